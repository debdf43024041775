//! Reception's tools: a client who walked in or phoned is recorded, and a callback request is
//! made for them — online or offline. The desk gives each record its id and shows it at once
//! (the server's event later replaces it; a refusal takes it back and stays in the outbox), so
//! a callback request can name a client the server has not heard of yet: the outbox sends them
//! in order.

use careline_protocol::{
    ApiError, Callback, CallbackStatus, Client, ClientSource, CreateCallbackRequest,
    CreateClientRequest, ErrorCode, EventData,
};
use sqlx::Row;
use uuid::Uuid;

use super::Desk;
use crate::outbox::Op;
use crate::{CoreError, CoreResult};

fn invalid(message: impl Into<String>) -> CoreError {
    CoreError::Refused(ApiError::new(ErrorCode::ValidationFailed, message))
}

/// The text of an optional field, trimmed; blank is none.
fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Reception's tools, borrowed from the desk ([`Desk::reception`]).
pub struct Reception<'a> {
    pub(super) desk: &'a Desk,
}

impl Reception<'_> {
    /// Clients the desk knows with this phone (however it is written): what reception is
    /// offered instead of recording someone twice. Nothing for a phone that is not one yet.
    pub async fn clients_with_phone(&self, phone: &str) -> CoreResult<Vec<Client>> {
        let Some(phone) = careline_protocol::normalize_phone(phone) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT data FROM clients WHERE json_extract(data, '$.phone') = ? ORDER BY name",
        )
        .bind(phone)
        .fetch_all(self.desk.cache.pool())
        .await?;
        rows.iter().map(|r| crate::cache::parse(r.get(0))).collect()
    }

    /// Records a client (checked here as the server would; a phone a known client has is
    /// refused with `already_exists` naming them) and queues it; the client is in the cache at
    /// once. Returns the client as shown.
    pub async fn create_client(&self, mut req: CreateClientRequest) -> CoreResult<Client> {
        let name = req.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("name must be 1 to 200 characters"));
        }
        let phone = careline_protocol::normalize_phone(&req.phone)
            .ok_or_else(|| invalid("phone must be 5 to 20 digits"))?;
        if let Some(b) = given(&req.birthday) {
            chrono::NaiveDate::parse_from_str(&b, "%Y-%m-%d")
                .map_err(|_| invalid("birthday must be YYYY-MM-DD"))?;
        }
        if let Some(c) = self.clients_with_phone(&phone).await?.into_iter().next() {
            return Err(CoreError::Refused(ApiError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "this phone number belongs to the client {} (id {})",
                    c.name, c.id
                ),
            )));
        }
        let id = *req.id.get_or_insert_with(Uuid::now_v7);
        req.name = name.clone();
        let client = Client {
            id,
            name,
            phone,
            email: given(&req.email),
            gender: given(&req.gender),
            birthday: given(&req.birthday),
            city: given(&req.city),
            height_cm: None,
            weight_kg: None,
            source: req.source.unwrap_or(ClientSource::Phone),
            tags: req
                .tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            notes: given(&req.notes),
            vip: false,
            blocked: false,
            created_at: chrono::Utc::now(),
            allergies: None,
            medications: None,
        };
        self.desk
            .cache
            .apply_state(vec![EventData::Client(client.clone())], None)
            .await?;
        self.desk.act(Op::CreateClient { client: req }).await?;
        Ok(client)
    }

    /// A callback request made by staff, for a client the desk knows or just a phone; in the
    /// queue at once.
    pub async fn create_callback(&self, mut req: CreateCallbackRequest) -> CoreResult<Callback> {
        let phone = careline_protocol::normalize_phone(&req.phone)
            .ok_or_else(|| invalid("phone must be 5 to 20 digits"))?;
        match (req.preferred_at, req.preferred_until) {
            (Some(a), Some(b)) if b <= a => {
                return Err(invalid("preferred_until must be after preferred_at"))
            }
            (None, Some(_)) => return Err(invalid("preferred_until needs preferred_at")),
            _ => {}
        }
        if let Some(c) = req.client_id {
            if self.desk.cache.client(c).await?.is_none() {
                return Err(invalid("client_id does not name a client"));
            }
        }
        if req
            .reason
            .as_deref()
            .is_some_and(|r| r.chars().count() > 2_000)
        {
            return Err(invalid("reason is longer than 2000 characters"));
        }
        req.reason = given(&req.reason);
        let id = *req.id.get_or_insert_with(Uuid::now_v7);
        let now = chrono::Utc::now();
        let cb = Callback {
            id,
            client_id: req.client_id,
            phone,
            preferred_at: req.preferred_at,
            preferred_until: req.preferred_until,
            reason: req.reason.clone(),
            status: CallbackStatus::New,
            operator_id: None,
            due_at: req.preferred_at.unwrap_or(now),
            attempts: Vec::new(),
            created_at: now,
            closed_at: None,
        };
        self.desk
            .cache
            .apply_state(vec![EventData::Callback(cb.clone())], None)
            .await?;
        self.desk.act(Op::CreateCallback { callback: req }).await?;
        Ok(cb)
    }

    /// A new claim code for a record reception made, to hand the patient (online only: the
    /// code is shown once and never kept on disk).
    pub async fn claim_code(&self, id: Uuid) -> CoreResult<careline_protocol::ClaimCode> {
        self.desk.remote.claim_code(id).await
    }
}
