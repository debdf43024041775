//! Consultations (episodes of a client's thread), their state machine, and tariffs.

use careline_protocol::{
    Consultation, ConsultationKind, ConsultationStatus, CreateTariffRequest, ErrorCode, EventData, MessageKind, Page, Priority, Role, Tariff,
    UpdateConsultationRequest,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::accounts::{audit_in, finish_page, parse_id_cursor};
use super::messages::{insert_message, NewMessage};
use super::{clean_tags, optional_text, page_limit, required_text, tags_json, SqlBuf};
use crate::db::{get_bool, get_enum, get_opt_time, get_opt_uuid, get_tags, get_time, get_uuid, Audience, Store, WriteTx};
use crate::domain::{consultation_transition, Actor, ConsultationAction};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, ms, now_ms};

pub(crate) const CONSULTATION_COLS: &str = "id, client_id, kind, status, operator_id, priority, tags, tariff_id, \
     price, currency, subject, created_at, taken_at, first_response_at, closed_at, summary, rating, \
     rating_comment, last_message_at";

pub(crate) fn consultation_row(row: &AnyRow) -> AppResult<Consultation> {
    Ok(Consultation {
        id: get_uuid(row, "id")?,
        client_id: get_uuid(row, "client_id")?,
        kind: get_enum(row, "kind")?,
        status: get_enum(row, "status")?,
        operator_id: get_opt_uuid(row, "operator_id")?,
        priority: get_enum(row, "priority")?,
        tags: get_tags(row, "tags")?,
        tariff_id: get_opt_uuid(row, "tariff_id")?,
        price: row.try_get("price")?,
        currency: row.try_get("currency")?,
        subject: row.try_get("subject")?,
        created_at: get_time(row, "created_at")?,
        taken_at: get_opt_time(row, "taken_at")?,
        first_response_at: get_opt_time(row, "first_response_at")?,
        closed_at: get_opt_time(row, "closed_at")?,
        summary: row.try_get("summary")?,
        rating: row.try_get("rating")?,
        rating_comment: row.try_get("rating_comment")?,
        last_message_at: get_opt_time(row, "last_message_at")?,
    })
}

/// Reads a consultation inside a write transaction.
pub(crate) async fn load_consultation(tx: &mut WriteTx, id: Uuid) -> AppResult<Consultation> {
    let row = sqlx::query(&format!("SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
    consultation_row(&row)
}

/// Writes every mutable column of a consultation, guarded by the status it was read with.
/// Returns false if someone changed the status in between.
pub(crate) async fn save_consultation(tx: &mut WriteTx, c: &Consultation, read_status: ConsultationStatus, read_operator: Option<Uuid>) -> AppResult<bool> {
    let mut q = SqlBuf::new("UPDATE consultations SET ");
    let a = [
        q.arg(c.status.as_str()),
        q.arg(c.operator_id.map(|o| o.to_string())),
        q.arg(c.priority.as_str()),
        q.arg(tags_json(&c.tags)),
        q.arg(c.taken_at.map(ms)),
        q.arg(c.first_response_at.map(ms)),
        q.arg(c.closed_at.map(ms)),
        q.arg(c.summary.clone()),
        q.arg(c.rating),
        q.arg(c.rating_comment.clone()),
        q.arg(c.last_message_at.map(ms)),
    ];
    q.push(&format!(
        "status = {}, operator_id = {}, priority = {}, tags = {}, taken_at = {}, first_response_at = {}, closed_at = {}, \
         summary = {}, rating = {}, rating_comment = {}, last_message_at = {}",
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]
    ));
    let id = q.arg(c.id.to_string());
    let st = q.arg(read_status.as_str());
    q.push(&format!(" WHERE id = {id} AND status = {st}"));
    match read_operator {
        Some(o) => {
            let p = q.arg(o.to_string());
            q.push(&format!(" AND operator_id = {p}"));
        }
        None => q.push(" AND operator_id IS NULL"),
    }
    let done = q.query().execute(tx.conn()).await?;
    Ok(done.rows_affected() == 1)
}

/// Filters of the consultation list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct ConsultationFilter {
    /// One or more statuses, comma-separated: `new,active`.
    pub status: Option<String>,
    pub operator_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub kind: Option<ConsultationKind>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Only those with messages the caller has not read.
    pub unread: Option<bool>,
    /// `asc` (oldest first, the queue's order) or `desc` (newest first, the default).
    pub order: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A consultation with the caller's unread count.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ConsultationItem {
    #[serde(flatten)]
    pub consultation: Consultation,
    /// Messages from the other side after the caller's read position.
    pub unread: i64,
}

impl Store {
    // -- tariffs ---------------------------------------------------------------------------

    pub async fn list_tariffs(&self) -> AppResult<Vec<Tariff>> {
        let rows = sqlx::query("SELECT id, name, kind, price, currency, active FROM tariffs ORDER BY kind, name").fetch_all(&self.reader).await?;
        rows.iter()
            .map(|r| {
                Ok(Tariff {
                    id: get_uuid(r, "id")?,
                    name: r.try_get("name")?,
                    kind: get_enum(r, "kind")?,
                    price: r.try_get("price")?,
                    currency: r.try_get("currency")?,
                    active: get_bool(r, "active")?,
                })
            })
            .collect()
    }

    /// A new tariff becomes the active one of its kind.
    pub async fn create_tariff(&self, req: &CreateTariffRequest, actor: Uuid) -> AppResult<Tariff> {
        let name = required_text("name", &req.name, 200)?;
        if req.price < 0 {
            return Err(AppError::invalid("price must not be negative"));
        }
        let currency = req.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::invalid("currency must be an ISO 4217 code such as RUB"));
        }
        let t = Tariff { id: careline_protocol::new_id(), name, kind: req.kind, price: req.price, currency, active: true };
        let now = now_ms();
        let mut tx = self.begin().await?;
        let old = sqlx::query("SELECT id, name, kind, price, currency FROM tariffs WHERE kind = $1 AND active = 1")
            .bind(t.kind.as_str())
            .fetch_all(tx.conn())
            .await?;
        sqlx::query("UPDATE tariffs SET active = 0 WHERE kind = $1").bind(t.kind.as_str()).execute(tx.conn()).await?;
        for r in &old {
            let prev = Tariff {
                id: get_uuid(r, "id")?,
                name: r.try_get("name")?,
                kind: get_enum(r, "kind")?,
                price: r.try_get("price")?,
                currency: r.try_get("currency")?,
                active: false,
            };
            tx.emit(&EventData::Tariff(prev), Audience::Staff(None), now).await?;
        }
        sqlx::query("INSERT INTO tariffs (id, name, kind, price, currency, active) VALUES ($1, $2, $3, $4, $5, 1)")
            .bind(t.id.to_string())
            .bind(&t.name)
            .bind(t.kind.as_str())
            .bind(t.price)
            .bind(&t.currency)
            .execute(tx.conn())
            .await?;
        tx.emit(&EventData::Tariff(t.clone()), Audience::Staff(None), now).await?;
        audit_in(&mut tx, actor, "tariff.created", Some(t.id), Some(&t.name), None, now).await?;
        tx.commit().await?;
        Ok(t)
    }

    // -- consultations ---------------------------------------------------------------------

    /// The client's open consultation, or a new one with the active tariff's price and, if
    /// `text` is given, that first message.
    pub async fn initiate_consultation(
        &self,
        client_id: Uuid,
        kind: ConsultationKind,
        text: Option<&str>,
        client_msg_id: Option<Uuid>,
    ) -> AppResult<(Consultation, bool)> {
        match self.initiate_once(client_id, kind, text, client_msg_id).await {
            // Two requests raced (PostgreSQL runs them at once; SQLite's single writer never
            // does): the other one's insert won the partial unique index of open
            // consultations. Its consultation is this request's answer too.
            Err(e) if e.is_unique_violation() || e.code() == Some(ErrorCode::IllegalTransition) => {
                let mut tx = self.begin().await?;
                match open_consultation(&mut tx, client_id).await? {
                    Some(open) => Ok((open, false)),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    async fn initiate_once(&self, client_id: Uuid, kind: ConsultationKind, text: Option<&str>, client_msg_id: Option<Uuid>) -> AppResult<(Consultation, bool)> {
        let text = optional_text("text", text, 20_000)?;
        let mut tx = self.begin().await?;
        if let Some(open) = open_consultation(&mut tx, client_id).await? {
            return Ok((open, false));
        }
        let c = create_consultation(&mut tx, client_id, kind, text.clone()).await?;
        let c = match text {
            Some(body) => {
                let msg = NewMessage {
                    consultation: &c,
                    author_kind: careline_protocol::AuthorKind::Client,
                    author_id: Some(client_id),
                    kind: MessageKind::Text,
                    body,
                    attachment: None,
                    client_msg_id: Some(client_msg_id.unwrap_or_else(careline_protocol::new_id)),
                    internal: false,
                };
                insert_message(&mut tx, msg).await?.1
            }
            None => c,
        };
        tx.commit().await?;
        Ok((c, true))
    }

    pub async fn get_consultation(&self, id: Uuid) -> AppResult<Consultation> {
        let row = sqlx::query(&format!("SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| AppError::not_found("consultation"))?;
        consultation_row(&row)
    }

    /// The list, filtered, with the viewer's unread counts. `only_client` restricts it to
    /// one client's own consultations.
    pub async fn list_consultations(&self, f: &ConsultationFilter, viewer: Uuid, viewer_role: Role) -> AppResult<Page<ConsultationItem>> {
        let limit = page_limit(f.limit)?;
        let other_side = if viewer_role == Role::Client { "m.author_kind <> 'client' AND m.internal = 0" } else { "m.author_kind = 'client'" };
        let mut q = SqlBuf::new("");
        let v = q.arg(viewer.to_string());
        q.push(&format!(
            "SELECT {CONSULTATION_COLS}, (SELECT COUNT(*) FROM messages m WHERE m.client_id = consultations.client_id AND m.consultation_id = consultations.id AND {other_side} \
             AND m.seq > COALESCE((SELECT r.seq FROM reads r WHERE r.consultation_id = consultations.id AND r.reader_id = {v}), 0)) AS unread \
             FROM consultations"
        ));
        if viewer_role == Role::Client {
            let p = q.arg(viewer.to_string());
            q.and(&format!("client_id = {p}"));
        }
        if let Some(s) = &f.status {
            let mut ps = Vec::new();
            for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                let st: ConsultationStatus = word.parse().map_err(|e: careline_protocol::UnknownValue| AppError::bad_request(e.to_string()))?;
                ps.push(q.arg(st.as_str()));
            }
            if !ps.is_empty() {
                q.and(&format!("status IN ({})", ps.join(", ")));
            }
        }
        if let Some(o) = f.operator_id {
            let p = q.arg(o.to_string());
            q.and(&format!("operator_id = {p}"));
        }
        if let Some(c) = f.client_id {
            let p = q.arg(c.to_string());
            q.and(&format!("client_id = {p}"));
        }
        if let Some(k) = f.kind {
            let p = q.arg(k.as_str());
            q.and(&format!("kind = {p}"));
        }
        if let Some(pr) = f.priority {
            let p = q.arg(pr.as_str());
            q.and(&format!("priority = {p}"));
        }
        if let Some(tag) = &f.tag {
            let p = q.arg(format!("%{}%", tags_json(std::slice::from_ref(tag)).trim_start_matches('[').trim_end_matches(']')));
            q.and(&format!("tags LIKE {p}"));
        }
        if let Some(from) = f.from {
            let p = q.arg(ms(from));
            q.and(&format!("created_at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = q.arg(ms(to));
            q.and(&format!("created_at < {p}"));
        }
        let desc = match f.order.as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(AppError::bad_request(format!("order must be asc or desc, not {other:?}"))),
        };
        if let Some(c) = &f.cursor {
            let p = q.arg(parse_id_cursor(c)?);
            q.and(&format!("id {} {p}", if desc { "<" } else { ">" }));
        }
        let mut sql_tail = format!(" ORDER BY id {}", if desc { "DESC" } else { "ASC" });
        let unread_only = f.unread == Some(true);
        if !unread_only {
            let p = q.arg(limit + 1);
            sql_tail.push_str(&format!(" LIMIT {p}"));
        }
        q.push(&sql_tail);
        let rows = if unread_only {
            // Filter on the computed count; wrap to stay portable.
            let inner = std::mem::take(&mut q.sql);
            let p = q.arg(limit + 1);
            q.sql = format!("SELECT * FROM ({inner}) AS x WHERE unread > 0 ORDER BY id {} LIMIT {p}", if desc { "DESC" } else { "ASC" });
            q.query().fetch_all(&self.reader).await?
        } else {
            q.query().fetch_all(&self.reader).await?
        };
        let mut items =
            rows.iter().map(|r| Ok(ConsultationItem { consultation: consultation_row(r)?, unread: r.try_get("unread")? })).collect::<AppResult<Vec<_>>>()?;
        Ok(finish_page(&mut items, limit, |c| c.consultation.id.to_string()))
    }

    /// Take, transfer, release or close.
    pub async fn transition_consultation(
        &self,
        id: Uuid,
        actor: Actor,
        action: ConsultationAction,
        target: Option<Uuid>,
        text: Option<&str>,
    ) -> AppResult<Consultation> {
        let text = optional_text("text", text, 20_000)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        let status = consultation_transition(before.status, before.operator_id, actor, action)?;
        let mut c = before.clone();
        c.status = status;
        let mut system_note: Option<String> = None;
        match action {
            ConsultationAction::Take => {
                check_capacity(&mut tx, actor.id).await?;
                c.operator_id = Some(actor.id);
                c.taken_at = Some(from_ms(now));
            }
            ConsultationAction::Transfer => {
                let to = target.ok_or_else(|| AppError::invalid("operator_id is required"))?;
                if Some(to) == before.operator_id {
                    return Err(AppError::refuse(ErrorCode::IllegalTransition, "the consultation is already assigned to this operator"));
                }
                let row = sqlx::query("SELECT name, disabled FROM operators WHERE id = $1")
                    .bind(to.to_string())
                    .fetch_optional(tx.conn())
                    .await?
                    .ok_or_else(|| AppError::invalid("the target operator does not exist"))?;
                if get_bool(&row, "disabled")? {
                    return Err(AppError::invalid("the target operator is disabled"));
                }
                let name: String = row.try_get("name")?;
                c.operator_id = Some(to);
                system_note = Some(match &text {
                    Some(t) => format!("Transferred to {name}: {t}"),
                    None => format!("Transferred to {name}"),
                });
            }
            ConsultationAction::Release => {
                c.operator_id = None;
                c.taken_at = None;
                system_note = Some(match &text {
                    Some(t) => format!("Handed back to the queue: {t}"),
                    None => "Handed back to the queue".into(),
                });
            }
            ConsultationAction::Close => {
                c.closed_at = Some(from_ms(now));
                c.summary = text.clone();
            }
        }
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            // Somebody else changed it between our read and write (another instance).
            return Err(AppError::refuse(ErrorCode::AlreadyTaken, "the consultation was changed by someone else; reload it"));
        }
        if let Some(body) = system_note {
            // Transfers and hand-backs are recorded in the thread as internal system notes.
            let msg = NewMessage {
                consultation: &c,
                author_kind: careline_protocol::AuthorKind::System,
                author_id: None,
                kind: MessageKind::System,
                body,
                attachment: None,
                client_msg_id: None,
                internal: true,
            };
            c = insert_message(&mut tx, msg).await?.1;
        }
        // The new state goes out as its own event: a message event implies only the
        // consultation's last_message_at (insert_message emits the consultation itself only for
        // a first message or a first response), and a transfer or hand-back changes its operator.
        tx.emit(&EventData::Consultation(c.clone()), Audience::Client(c.client_id), now).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Tags and priority, by staff.
    pub async fn update_consultation(&self, id: Uuid, req: &UpdateConsultationRequest) -> AppResult<Consultation> {
        let tags = req.tags.as_deref().map(clean_tags).transpose()?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        let mut c = before.clone();
        if let Some(p) = req.priority {
            c.priority = p;
        }
        if let Some(t) = tags {
            c.tags = t;
        }
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            return Err(AppError::refuse(ErrorCode::AlreadyTaken, "the consultation was changed by someone else; reload it"));
        }
        tx.emit(&EventData::Consultation(c.clone()), Audience::Client(c.client_id), now).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The client rates a closed consultation, once.
    pub async fn rate_consultation(&self, id: Uuid, client: Uuid, score: i64, comment: Option<&str>) -> AppResult<Consultation> {
        if !(1..=5).contains(&score) {
            return Err(AppError::invalid("score must be between 1 and 5"));
        }
        let comment = optional_text("comment", comment, 2_000)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        if before.client_id != client {
            return Err(AppError::not_found("consultation"));
        }
        if before.status != ConsultationStatus::Closed {
            return Err(AppError::refuse(ErrorCode::IllegalTransition, "only a closed consultation can be rated"));
        }
        if before.rating.is_some() {
            return Err(AppError::refuse(ErrorCode::AlreadyRated, "this consultation was already rated"));
        }
        let mut c = before.clone();
        c.rating = Some(score);
        c.rating_comment = comment;
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            return Err(AppError::refuse(ErrorCode::AlreadyRated, "this consultation was already rated"));
        }
        tx.emit(&EventData::Consultation(c.clone()), Audience::Client(c.client_id), now).await?;
        tx.commit().await?;
        Ok(c)
    }
}

async fn check_capacity(tx: &mut WriteTx, operator: Uuid) -> AppResult<()> {
    let row = sqlx::query(
        "SELECT o.capacity, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = o.id AND c.status = 'active') AS active \
         FROM operators o WHERE o.id = $1",
    )
    .bind(operator.to_string())
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::forbidden("only operators take consultations"))?;
    let capacity: i64 = row.try_get("capacity")?;
    let active: i64 = row.try_get("active")?;
    if active >= capacity {
        return Err(AppError::refuse(ErrorCode::CapacityReached, format!("you already have {active} active consultations of your capacity {capacity}")));
    }
    Ok(())
}

/// The client's consultation that is not closed, if any.
pub(crate) async fn open_consultation(tx: &mut WriteTx, client_id: Uuid) -> AppResult<Option<Consultation>> {
    let row = sqlx::query(&format!("SELECT {CONSULTATION_COLS} FROM consultations WHERE client_id = $1 AND status <> 'closed'"))
        .bind(client_id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(consultation_row).transpose()
}

/// A new consultation in the queue, priced by the active tariff of its kind. Its event is
/// emitted by the caller (usually with the first message).
pub(crate) async fn create_consultation(tx: &mut WriteTx, client_id: Uuid, kind: ConsultationKind, subject: Option<String>) -> AppResult<Consultation> {
    let client = sqlx::query("SELECT blocked FROM clients WHERE id = $1")
        .bind(client_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("client"))?;
    if get_bool(&client, "blocked")? {
        return Err(AppError::refuse(ErrorCode::AccountDisabled, "this client is blocked"));
    }
    let tariff = sqlx::query("SELECT id, price, currency FROM tariffs WHERE kind = $1 AND active = 1").bind(kind.as_str()).fetch_optional(tx.conn()).await?;
    let (tariff_id, price, currency) = match &tariff {
        Some(t) => (Some(get_uuid(t, "id")?), t.try_get("price")?, t.try_get("currency")?),
        None => (None, 0, "RUB".to_owned()),
    };
    let now = now_ms();
    let subject = subject.map(|s| s.chars().take(200).collect::<String>());
    let c = Consultation {
        id: careline_protocol::new_id(),
        client_id,
        kind,
        status: ConsultationStatus::New,
        operator_id: None,
        priority: Priority::Normal,
        tags: Vec::new(),
        tariff_id,
        price,
        currency,
        subject: subject.clone(),
        created_at: from_ms(now),
        taken_at: None,
        first_response_at: None,
        closed_at: None,
        summary: None,
        rating: None,
        rating_comment: None,
        last_message_at: None,
    };
    let mut q =
        SqlBuf::new("INSERT INTO consultations (id, client_id, kind, status, priority, tags, tariff_id, price, currency, subject, created_at) VALUES (");
    let ps = [
        q.arg(c.id.to_string()),
        q.arg(client_id.to_string()),
        q.arg(kind.as_str()),
        q.arg(tariff_id.map(|t| t.to_string())),
        q.arg(price),
        q.arg(c.currency.clone()),
        q.arg(subject),
        q.arg(now),
    ];
    q.push(&format!("{}, {}, {}, 'new', 'normal', '[]', {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING", ps[0], ps[1], ps[2], ps[3], ps[4], ps[5], ps[6], ps[7]));
    let done = q.query().execute(tx.conn()).await?;
    if done.rows_affected() == 0 {
        // The one-open-consultation index refused it: another request opened one just now.
        return Err(AppError::refuse(ErrorCode::IllegalTransition, "the client already has an open consultation"));
    }
    Ok(c)
}

/// Emits a consultation's event.
pub(crate) async fn emit_consultation(tx: &mut WriteTx, c: &Consultation, seq: Option<i64>, at: i64) -> AppResult<()> {
    let data = EventData::Consultation(c.clone());
    match seq {
        Some(s) => tx.emit_with_seq(s, &data, Audience::Client(c.client_id), at).await,
        None => tx.emit(&data, Audience::Client(c.client_id), at).await.map(|_| ()),
    }
}
