//! Webhooks in the database: the endpoints, and the outbox of deliveries. A delivery is written
//! in the transaction of the change it tells of ([`enqueue`]) or by the sweep that finds it due,
//! so a crash or a restart loses none; [`crate::webhooks`] sends them.

use careline_protocol::{
    CreateWebhookRequest, DeliveryQuery, DeliveryStatus, EventData, Page, UpdateWebhookRequest,
    WebhookCreated, WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookPaused,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::paging::finish_page;
use super::rows::{get_enum, get_opt_time, get_time, get_uuid};
use super::{optional_text, page_limit, Store};
use crate::db::Audience;
use crate::error::{AppError, AppResult};
use crate::time::now_ms;
use crate::webhooks::events::{self, parse_events};

const ENDPOINT_COLS: &str = "e.id, e.url, e.events, e.description, e.enabled, e.paused_reason, e.last_success_at, e.last_error, e.created_at, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending') AS pending, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed') AS failed";

const DELIVERY_COLS: &str = "seq, id, endpoint_id, event_type, status, attempts, last_status, last_error, created_at, next_attempt_at, delivered_at, payload";

fn endpoint_row(row: &AnyRow) -> AppResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: get_uuid(row, "id")?,
        url: row.try_get("url")?,
        events: parse_events(&row.try_get::<String, _>("events")?)?,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        paused_reason: row.try_get("paused_reason")?,
        created_at: get_time(row, "created_at")?,
        pending: row.try_get("pending")?,
        failed: row.try_get("failed")?,
        last_success_at: get_opt_time(row, "last_success_at")?,
        last_error: row.try_get("last_error")?,
    })
}

fn delivery_row(row: &AnyRow) -> AppResult<WebhookDelivery> {
    let status: DeliveryStatus = get_enum(row, "status")?;
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        endpoint_id: get_uuid(row, "endpoint_id")?,
        event_type: get_enum(row, "event_type")?,
        status,
        attempts: row.try_get("attempts")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: get_time(row, "created_at")?,
        next_attempt_at: if status == DeliveryStatus::Pending {
            get_opt_time(row, "next_attempt_at")?
        } else {
            None
        },
        delivered_at: get_opt_time(row, "delivered_at")?,
        payload: serde_json::from_str(&row.try_get::<String, _>("payload")?)
            .map_err(|e| AppError::Corrupt(format!("a delivery's payload: {e}")))?,
    })
}

/// Checks the events asked for: at least one, each once.
fn clean_events(events: &[WebhookEventType]) -> AppResult<Vec<WebhookEventType>> {
    let mut out: Vec<WebhookEventType> = Vec::new();
    for e in events {
        if !out.contains(e) {
            out.push(*e);
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("events: choose at least one event type"));
    }
    Ok(out)
}

/// What an endpoint's sealed secret belongs to (its associated data).
fn secret_of(endpoint: Uuid) -> String {
    format!("webhook_endpoints.secret:{endpoint}")
}

impl Store {
    /// At start: the key check (an instance with another key than the one the database's
    /// secrets were sealed with refuses to start), then seals secrets stored in the clear by an
    /// older version.
    pub(crate) async fn seal_secrets(&self) -> AppResult<()> {
        const CHECK: &str = "settings.secret_check";
        let check = self.secrets.seal(CHECK, "careline");
        sqlx::query("INSERT INTO settings (name, value) VALUES ('secret_check', $1) ON CONFLICT (name) DO NOTHING").bind(&check).execute(&self.writer).await?;
        let row = sqlx::query("SELECT value FROM settings WHERE name = 'secret_check'")
            .fetch_one(&self.writer)
            .await?;
        if self
            .secrets
            .open(CHECK, &row.try_get::<String, _>("value")?)
            .ok()
            .as_deref()
            != Some("careline")
        {
            return Err(AppError::Other(
                "the secret_key (CARELINE_SECRET_KEY, or <data_dir>/secret.key) is not the one this database's secrets were sealed with: give every instance the same key".into(),
            ));
        }
        for r in sqlx::query("SELECT id, secret FROM webhook_endpoints")
            .fetch_all(&self.writer)
            .await?
        {
            let stored: String = r.try_get("secret")?;
            if !crate::secrets::SecretBox::is_sealed(&stored) {
                let id = get_uuid(&r, "id")?;
                sqlx::query(
                    "UPDATE webhook_endpoints SET secret = $1 WHERE id = $2 AND secret = $3",
                )
                .bind(self.secrets.seal(&secret_of(id), &stored))
                .bind(id.to_string())
                .bind(&stored)
                .execute(&self.writer)
                .await?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// The endpoints' secrets as the database holds them (for tests of sealing).
    pub async fn webhook_secrets_as_stored(&self) -> AppResult<Vec<String>> {
        let rows = sqlx::query("SELECT secret FROM webhook_endpoints")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("secret")?))
            .collect()
    }
}

/// A new signing secret in the Standard Webhooks form.
fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `scheme://host/path` of a URL: what may be shown where the query (a token, maybe) may not.
pub fn target_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        ),
        Err(_) => String::new(),
    }
}

/// A delivery an instance holds to send now.
#[derive(Debug, Clone)]
pub struct Due {
    pub seq: i64,
    pub id: String,
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered { status: u16 },
    Failed { status: Option<u16>, error: String },
}

/// A row if any endpoint is registered.
const ANY_ENDPOINT: &str = "SELECT 1 AS x FROM webhook_endpoints LIMIT 1";

impl Store {
    pub async fn create_webhook(
        &self,
        req: &CreateWebhookRequest,
        admin: Uuid,
        allow_private: bool,
    ) -> AppResult<WebhookCreated> {
        let url = crate::webhooks::target::check_url(&req.url, allow_private)
            .map_err(AppError::invalid)?;
        let events = clean_events(&req.events)?;
        let description = optional_text("description", req.description.as_deref(), 500)?;
        let (id, secret, now) = (careline_protocol::new_id(), new_secret(), now_ms());
        let mut tx = self.begin().await?;
        if sqlx::query(ANY_ENDPOINT)
            .fetch_optional(tx.conn())
            .await?
            .is_none()
        {
            // The sweep does not run while no endpoint exists: the first one starts it from now,
            // so what happened before any webhook existed is not told.
            sqlx::query("UPDATE settings SET value = (SELECT CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM events) WHERE name = 'webhook_sweep'")
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("INSERT INTO webhook_endpoints (id, url, events, secret, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.to_string())
            .bind(&url)
            .bind(serde_json::to_string(&events).expect("events serialize"))
            .bind(self.secrets.seal(&secret_of(id), &secret))
            .bind(description)
            .bind(now)
            .execute(tx.conn())
            .await?;
        audit_in(
            &mut tx,
            admin,
            "webhook.created",
            Some(id),
            Some(&target_of(&url)),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(WebhookCreated {
            endpoint: self.get_webhook(id).await?,
            secret,
        })
    }

    /// Whether any endpoint is registered: without one the sender has nothing to do (no sweep,
    /// no write every few seconds on the database's single writer).
    pub async fn has_webhooks(&self) -> AppResult<bool> {
        Ok(sqlx::query(ANY_ENDPOINT)
            .fetch_optional(&self.reader)
            .await?
            .is_some())
    }

    pub async fn list_webhooks(&self) -> AppResult<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints e ORDER BY e.created_at, e.id"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(endpoint_row).collect()
    }

    pub async fn get_webhook(&self, id: Uuid) -> AppResult<WebhookEndpoint> {
        let row = sqlx::query(&format!(
            "SELECT {ENDPOINT_COLS} FROM webhook_endpoints e WHERE e.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| AppError::not_found("webhook endpoint"))?;
        endpoint_row(&row)
    }

    /// Changes an endpoint; `enabled: true` resumes a paused one (its failures start over).
    pub async fn update_webhook(
        &self,
        id: Uuid,
        req: &UpdateWebhookRequest,
        admin: Uuid,
        allow_private: bool,
    ) -> AppResult<WebhookEndpoint> {
        let url = req
            .url
            .as_deref()
            .map(|u| {
                crate::webhooks::target::check_url(u, allow_private).map_err(AppError::invalid)
            })
            .transpose()?;
        let events = req.events.as_deref().map(clean_events).transpose()?;
        let description = req
            .description
            .as_deref()
            .map(|d| optional_text("description", Some(d), 500))
            .transpose()?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let found = sqlx::query("SELECT id FROM webhook_endpoints WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?;
        if found.is_none() {
            return Err(AppError::not_found("webhook endpoint"));
        }
        if let Some(u) = &url {
            sqlx::query("UPDATE webhook_endpoints SET url = $1 WHERE id = $2")
                .bind(u)
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        if let Some(e) = &events {
            sqlx::query("UPDATE webhook_endpoints SET events = $1 WHERE id = $2")
                .bind(serde_json::to_string(e).expect("events serialize"))
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        if let Some(d) = description {
            sqlx::query("UPDATE webhook_endpoints SET description = $1 WHERE id = $2")
                .bind(d)
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        match req.enabled {
            Some(true) => {
                sqlx::query("UPDATE webhook_endpoints SET enabled = 1, paused_reason = NULL, failures = 0 WHERE id = $1")
                    .bind(id.to_string())
                    .execute(tx.conn())
                    .await?;
            }
            Some(false) => {
                sqlx::query("UPDATE webhook_endpoints SET enabled = 0, paused_reason = 'paused by an administrator' WHERE id = $1")
                    .bind(id.to_string())
                    .execute(tx.conn())
                    .await?;
            }
            None => {}
        }
        audit_in(&mut tx, admin, "webhook.updated", Some(id), None, None, now).await?;
        tx.commit().await?;
        self.get_webhook(id).await
    }

    /// Removes an endpoint and its deliveries.
    pub async fn delete_webhook(&self, id: Uuid, admin: Uuid) -> AppResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found("webhook endpoint"));
        }
        audit_in(&mut tx, admin, "webhook.deleted", Some(id), None, None, now).await?;
        tx.commit().await
    }

    /// An endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        endpoint: Uuid,
        q: &DeliveryQuery,
    ) -> AppResult<Page<WebhookDelivery>> {
        let limit = page_limit(q.limit)?;
        self.get_webhook(endpoint).await?;
        let before = match q.cursor.as_deref() {
            Some(c) => c
                .parse::<i64>()
                .map_err(|_| AppError::bad_request("cursor: not one this server gave"))?,
            None => i64::MAX,
        };
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE endpoint_id = $1 AND seq < $2 AND ($3 = '' OR status = $3) ORDER BY seq DESC LIMIT $4"
        ))
        .bind(endpoint.to_string())
        .bind(before)
        .bind(q.status.map(|s| s.as_str()).unwrap_or(""))
        .bind(limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut items = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>("seq")?, delivery_row(r)?)))
            .collect::<AppResult<Vec<_>>>()?;
        let page = finish_page(&mut items, limit, |(seq, _)| seq.to_string());
        Ok(Page {
            items: page.items.into_iter().map(|(_, d)| d).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// Holds up to `limit` deliveries that are due, of enabled endpoints, each the first still
    /// pending of its endpoint and order key (so a consultation's events go out in order), for
    /// `hold_ms`; an instance that dies lets go when the hold runs out.
    pub async fn claim_deliveries(&self, limit: i64, hold_ms: i64) -> AppResult<Vec<Due>> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT d.seq, d.id, d.endpoint_id, e.url, e.secret, d.payload, d.attempts, d.created_at FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1) AND e.enabled = 1 \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key \
                             AND p.status = 'pending' AND p.seq < d.seq) \
             ORDER BY d.next_attempt_at, d.seq LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        let mut held = Vec::new();
        for r in rows {
            let seq: i64 = r.try_get("seq")?;
            // Only one instance wins each row.
            let done = sqlx::query(
                "UPDATE webhook_deliveries SET locked_until = $1 WHERE seq = $2 AND status = 'pending' AND (locked_until IS NULL OR locked_until < $3)",
            )
            .bind(now + hold_ms)
            .bind(seq)
            .bind(now)
            .execute(&self.writer)
            .await?;
            if done.rows_affected() == 1 {
                held.push(Due {
                    seq,
                    id: r.try_get("id")?,
                    endpoint_id: get_uuid(&r, "endpoint_id")?,
                    url: r.try_get("url")?,
                    secret: self.secrets.open(
                        &secret_of(get_uuid(&r, "endpoint_id")?),
                        &r.try_get::<String, _>("secret")?,
                    )?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                });
            }
        }
        Ok(held)
    }

    /// Records how an attempt went: delivered; or retried after `retry_in_ms`, or failed for good
    /// past the retry window. An endpoint failing `pause_after` times in a row is paused, and
    /// admins are told (an event, and the audit log).
    pub async fn record_attempt(
        &self,
        due: &Due,
        outcome: &Outcome,
        retry_in_ms: Option<i64>,
        pause_after: i64,
    ) -> AppResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        match outcome {
            Outcome::Delivered { status } => {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $1, last_error = NULL, \
                     delivered_at = $2, locked_until = NULL WHERE seq = $3",
                )
                .bind(*status as i64)
                .bind(now)
                .bind(due.seq)
                .execute(tx.conn())
                .await?;
                sqlx::query(
                    "UPDATE webhook_endpoints SET failures = 0, last_success_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(due.endpoint_id.to_string())
                .execute(tx.conn())
                .await?;
            }
            Outcome::Failed { status, error } => {
                let error: String = error.chars().take(500).collect();
                let (state, next) = match retry_in_ms {
                    Some(ms) => ("pending", now + ms),
                    None => ("failed", now),
                };
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, last_status = $2, last_error = $3, next_attempt_at = $4, \
                     locked_until = NULL WHERE seq = $5",
                )
                .bind(state)
                .bind(status.map(|s| s as i64))
                .bind(&error)
                .bind(next)
                .bind(due.seq)
                .execute(tx.conn())
                .await?;
                let row = sqlx::query("UPDATE webhook_endpoints SET failures = failures + 1, last_error = $1 WHERE id = $2 RETURNING failures, enabled, url")
                    .bind(&error)
                    .bind(due.endpoint_id.to_string())
                    .fetch_optional(tx.conn())
                    .await?;
                if let Some(row) = row {
                    let (failures, enabled, url): (i64, i64, String) =
                        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                    if enabled != 0 && failures >= pause_after {
                        let reason = format!(
                            "paused after {failures} failed attempts in a row; last: {error}"
                        );
                        sqlx::query("UPDATE webhook_endpoints SET enabled = 0, paused_reason = $1 WHERE id = $2")
                            .bind(&reason)
                            .bind(due.endpoint_id.to_string())
                            .execute(tx.conn())
                            .await?;
                        let paused = WebhookPaused {
                            endpoint_id: due.endpoint_id,
                            target: target_of(&url),
                            reason: reason.clone(),
                        };
                        tx.emit(
                            &EventData::WebhookPaused(paused),
                            Audience::Staff(None),
                            now,
                        )
                        .await?;
                        audit_in(
                            &mut tx,
                            Uuid::nil(),
                            "webhook.paused",
                            Some(due.endpoint_id),
                            Some(&reason),
                            None,
                            now,
                        )
                        .await?;
                    }
                }
            }
        }
        tx.commit().await
    }

    /// Deliveries still pending past the retry window (an endpoint paused all along) fail.
    pub async fn expire_deliveries(&self, window_ms: i64) -> AppResult<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = COALESCE(last_error, 'not sent within the retry window'), locked_until = NULL \
             WHERE status = 'pending' AND created_at < $1",
        )
        .bind(now_ms() - window_ms)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Writes what only time makes due: `message.undelivered` for operators' messages the
    /// client's device has not confirmed `undelivered_ms` after they were sent (read through
    /// the events past the sweep's mark), and `callback.due_soon` for unclaimed requests due
    /// within `due_soon_ms`. Each is written once (dedup keys); one instance at a time.
    pub async fn sweep_webhooks(&self, undelivered_ms: i64, due_soon_ms: i64) -> AppResult<usize> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        // The lock row: another instance's sweep waits for this one.
        let mark: String = sqlx::query(
            "UPDATE settings SET value = value WHERE name = 'webhook_sweep' RETURNING value",
        )
        .fetch_one(tx.conn())
        .await?
        .try_get(0)?;
        let mut mark: i64 = mark.parse().unwrap_or(0);
        // The event types some endpoint wants, read once per sweep.
        let mut wanted_types = std::collections::HashSet::new();
        for r in sqlx::query("SELECT events FROM webhook_endpoints")
            .fetch_all(tx.conn())
            .await?
        {
            wanted_types.extend(parse_events(&r.try_get::<String, _>("events")?)?);
        }
        let wanted = |e: WebhookEventType| wanted_types.contains(&e);
        let mut written = 0;
        let cutoff = now - undelivered_ms;
        let rows = sqlx::query("SELECT seq, data FROM events WHERE seq > $1 AND kind = 'message' AND at <= $2 ORDER BY seq LIMIT 2000")
            .bind(mark)
            .bind(cutoff)
            .fetch_all(tx.conn())
            .await?;
        for r in &rows {
            mark = mark.max(r.try_get::<i64, _>("seq")?);
            if !wanted(WebhookEventType::MessageUndelivered) {
                continue;
            }
            let Ok(m) = serde_json::from_str::<careline_protocol::Message>(
                &r.try_get::<String, _>("data")?,
            ) else {
                continue;
            };
            if m.internal || m.author_kind != careline_protocol::AuthorKind::Operator {
                continue;
            }
            let delivered: Option<i64> = sqlx::query(
                "SELECT delivered_seq FROM reads WHERE consultation_id = $1 AND reader_id = $2",
            )
            .bind(m.consultation_id.to_string())
            .bind(m.client_id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
            if delivered.unwrap_or(0) >= m.seq {
                continue;
            }
            let data = events::undelivered_data(&mut tx, &m).await?;
            written += events::enqueue(
                &mut tx,
                WebhookEventType::MessageUndelivered,
                &m.consultation_id.to_string(),
                Some(&format!("undelivered:{}", m.id)),
                data,
                now,
            )
            .await?;
        }
        sqlx::query("UPDATE settings SET value = $1 WHERE name = 'webhook_sweep'")
            .bind(mark.to_string())
            .execute(tx.conn())
            .await?;
        if wanted(WebhookEventType::CallbackDueSoon) {
            let rows = sqlx::query(&format!(
                "SELECT {} FROM callbacks WHERE status = 'new' AND due_at > $1 AND due_at <= $2 ORDER BY due_at LIMIT 500",
                super::callbacks::CALLBACK_COLS
            ))
            .bind(now)
            .bind(now + due_soon_ms)
            .fetch_all(tx.conn())
            .await?;
            for r in &rows {
                let cb = super::callbacks::callback_row(r)?;
                let key = format!("due_soon:{}:{}", cb.id, cb.due_at.timestamp_millis());
                let data = serde_json::to_value(&cb)
                    .map_err(|e| AppError::failed("serializing a callback for its webhook", e))?;
                written += events::enqueue(
                    &mut tx,
                    WebhookEventType::CallbackDueSoon,
                    &cb.id.to_string(),
                    Some(&key),
                    data,
                    now,
                )
                .await?;
            }
        }
        // SLA breaches, by the desk's thresholds: a consultation still in the queue, or taken and
        // not yet answered, past its limit. Told once per consultation and kind.
        if wanted(WebhookEventType::ConsultationSlaBreached) {
            let sla = self.desk_settings().await?.sla;
            let checks = [
                (
                    "queue_wait",
                    sla.queue_wait_minutes,
                    "status = 'new' AND created_at <= $1",
                ),
                (
                    "first_response",
                    sla.first_response_minutes,
                    "status = 'active' AND first_response_at IS NULL AND taken_at <= $1",
                ),
            ];
            for (kind, minutes, condition) in checks {
                let Some(minutes) = minutes else { continue };
                let rows = sqlx::query(&format!(
                    "SELECT id FROM consultations WHERE {condition} ORDER BY created_at LIMIT 500"
                ))
                .bind(now - minutes * 60_000)
                .fetch_all(tx.conn())
                .await?;
                for r in rows {
                    let id = get_uuid(&r, "id")?;
                    let c = super::consultation_rows::load_consultation(&mut tx, id).await?;
                    let mut data = events::consultation_data(&mut tx, &c).await?;
                    data["sla"] = serde_json::json!({ "kind": kind, "minutes": minutes });
                    let key = format!("sla:{kind}:{id}");
                    written += events::enqueue(
                        &mut tx,
                        WebhookEventType::ConsultationSlaBreached,
                        &id.to_string(),
                        Some(&key),
                        data,
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(written)
    }
}
