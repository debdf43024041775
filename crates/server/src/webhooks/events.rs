//! What becomes a webhook: a consultation's steps, a callback request's changes and a rating,
//! written by [`enqueue`] in the transaction of the change (or by the sweeps of
//! `store::webhooks`), with the payloads each event carries. Depends on nothing of the store but
//! the transaction, so every store module may call it.

use careline_protocol::{Consultation, Message, WebhookEventType};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::time::from_ms;

/// The event types an endpoint's row lists (JSON).
pub(crate) fn parse_events(text: &str) -> AppResult<Vec<WebhookEventType>> {
    serde_json::from_str(text).map_err(|e| AppError::Corrupt(format!("a webhook's events: {e}")))
}

/// What an endpoint sends: the body of one event, as Standard Webhooks suggests.
pub fn payload(event: WebhookEventType, at: i64, data: serde_json::Value) -> String {
    serde_json::json!({ "type": event.as_str(), "timestamp": from_ms(at), "data": data })
        .to_string()
}

/// Writes a delivery of `event` for every endpoint that wants it, in the caller's transaction.
/// `dedup` (for what sweeps find) makes a second write of the same thing a no-op.
pub(crate) async fn enqueue(
    tx: &mut WriteTx,
    event: WebhookEventType,
    order_key: &str,
    dedup: Option<&str>,
    data: serde_json::Value,
    at: i64,
) -> AppResult<usize> {
    let endpoints = sqlx::query("SELECT id, events FROM webhook_endpoints")
        .fetch_all(tx.conn())
        .await?;
    let mut body = None;
    let mut written = 0;
    for e in &endpoints {
        if !parse_events(&e.try_get::<String, _>("events")?)?.contains(&event) {
            continue;
        }
        let body = body.get_or_insert_with(|| payload(event, at, data.clone()));
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, order_key, dedup_key, payload, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
        )
        .bind(format!("msg_{}", Uuid::now_v7().simple()))
        .bind(e.try_get::<String, _>("id")?)
        .bind(event.as_str())
        .bind(order_key)
        .bind(dedup)
        .bind(body.as_str())
        .bind(at)
        .execute(tx.conn())
        .await?;
        written += done.rows_affected() as usize;
    }
    Ok(written)
}

/// A consultation as a webhook tells of it: the consultation as the change left it, and its
/// client's id, name and phone (what a gateway needs to reach them).
pub(crate) async fn consultation_data(
    tx: &mut WriteTx,
    c: &Consultation,
) -> AppResult<serde_json::Value> {
    let client = client_brief(tx, c.client_id).await?;
    Ok(json!({ "consultation": c, "client": client }))
}

async fn client_brief(tx: &mut WriteTx, client: uuid::Uuid) -> AppResult<serde_json::Value> {
    let row = sqlx::query("SELECT id, name, phone FROM clients WHERE id = $1")
        .bind(client.to_string())
        .fetch_optional(tx.conn())
        .await?;
    Ok(match row {
        Some(r) => {
            json!({ "id": r.try_get::<String, _>("id")?, "name": r.try_get::<String, _>("name")?, "phone": r.try_get::<String, _>("phone")? })
        }
        None => serde_json::Value::Null,
    })
}

/// `message.undelivered`: who to reach and about which message — never its text, which stays
/// on the server (the gateway tells the patient to open the chat).
pub(crate) async fn undelivered_data(
    tx: &mut WriteTx,
    m: &Message,
) -> AppResult<serde_json::Value> {
    let client = client_brief(tx, m.client_id).await?;
    Ok(json!({
        "message": { "id": m.id, "consultation_id": m.consultation_id, "seq": m.seq, "kind": m.kind, "created_at": m.created_at, "author_id": m.author_id },
        "client": client,
    }))
}

/// Tells the endpoints of a consultation's step (`created`, `taken`, `transferred`, `released`,
/// `closed`, `red_flag`), in the transaction that took it.
pub(crate) async fn consultation_step(
    tx: &mut WriteTx,
    c: &Consultation,
    step: &str,
    at: i64,
) -> AppResult<()> {
    let event = match step {
        "created" => WebhookEventType::ConsultationCreated,
        "taken" => WebhookEventType::ConsultationTaken,
        "transferred" => WebhookEventType::ConsultationTransferred,
        "released" => WebhookEventType::ConsultationReleased,
        "closed" => WebhookEventType::ConsultationClosed,
        "red_flag" => WebhookEventType::ConsultationRedFlag,
        _ => return Ok(()),
    };
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let data = consultation_data(tx, c).await?;
    enqueue(tx, event, &c.id.to_string(), None, data, at)
        .await
        .map(|_| ())
}

/// Tells the endpoints that the client rated a consultation.
pub(crate) async fn rating(tx: &mut WriteTx, c: &Consultation, at: i64) -> AppResult<()> {
    if !wanted(tx, WebhookEventType::RatingReceived).await? {
        return Ok(());
    }
    let data = consultation_data(tx, c).await?;
    enqueue(
        tx,
        WebhookEventType::RatingReceived,
        &c.id.to_string(),
        None,
        data,
        at,
    )
    .await
    .map(|_| ())
}

/// Whether any endpoint wants `event` (most changes need no payload built at all).
pub(crate) async fn wanted(tx: &mut WriteTx, event: WebhookEventType) -> AppResult<bool> {
    let like = format!("%\"{}\"%", event.as_str());
    Ok(
        sqlx::query("SELECT 1 FROM webhook_endpoints WHERE events LIKE $1 LIMIT 1")
            .bind(like)
            .fetch_optional(tx.conn())
            .await?
            .is_some(),
    )
}

/// Tells the endpoints of a callback request's change, as its new status says: created,
/// claimed, done, failed (a release or a retry scheduled is not told).
pub(crate) async fn callback_change(
    tx: &mut WriteTx,
    cb: &careline_protocol::Callback,
    created: bool,
    at: i64,
) -> AppResult<()> {
    use careline_protocol::CallbackStatus as S;
    let event = match cb.status {
        S::New if created => WebhookEventType::CallbackCreated,
        S::Claimed => WebhookEventType::CallbackClaimed,
        S::Done => WebhookEventType::CallbackDone,
        S::Failed => WebhookEventType::CallbackFailed,
        _ => return Ok(()),
    };
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = match cb.client_id {
        Some(c) => client_brief(tx, c).await?,
        None => serde_json::Value::Null,
    };
    enqueue(
        tx,
        event,
        &cb.id.to_string(),
        None,
        json!({ "callback": cb, "client": client }),
        at,
    )
    .await
    .map(|_| ())
}

/// Tells the endpoints of a visit's change (`event` is one of the `appointment.*` types): the
/// visit, its client's id, name and phone, and its specialist's id and name.
pub(crate) async fn appointment_change(
    tx: &mut WriteTx,
    a: &careline_protocol::Appointment,
    event: WebhookEventType,
    dedup: Option<&str>,
    at: i64,
) -> AppResult<()> {
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = client_brief(tx, a.client_id).await?;
    let specialist = sqlx::query("SELECT name FROM operators WHERE id = $1")
        .bind(a.operator_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .map(|r| r.try_get::<String, _>("name"))
        .transpose()?;
    let data = json!({
        "appointment": a,
        "client": client,
        "specialist": { "id": a.operator_id, "name": specialist },
    });
    enqueue(tx, event, &a.id.to_string(), dedup, data, at)
        .await
        .map(|_| ())
}

/// Tells the endpoints of a call's change (`call.ringing`, `call.answered`, `call.ended`): the
/// call, its client's id, name and phone, and its operator's id and name.
pub(crate) async fn call_change(
    tx: &mut WriteTx,
    call: &careline_protocol::Call,
    event: WebhookEventType,
    at: i64,
) -> AppResult<()> {
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = client_brief(tx, call.client_id).await?;
    let operator = sqlx::query("SELECT name FROM operators WHERE id = $1")
        .bind(call.operator_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .map(|r| r.try_get::<String, _>("name"))
        .transpose()?;
    let data = json!({
        "call": call,
        "client": client,
        "operator": { "id": call.operator_id, "name": operator },
    });
    enqueue(tx, event, &call.id.to_string(), None, data, at)
        .await
        .map(|_| ())
}

/// Tells the endpoints of a prescription's step (`prescription.submitted`, `.approved`,
/// `.rejected`, `.cancelled`): the prescription (items, prescriber, reviewer, reason) and its
/// client's id, name and phone — what a pharmacy or an e-prescription gateway needs.
pub(crate) async fn prescription_change(
    tx: &mut WriteTx,
    p: &careline_protocol::Prescription,
    event: WebhookEventType,
    at: i64,
) -> AppResult<()> {
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = client_brief(tx, p.client_id).await?;
    let data = json!({ "prescription": p, "client": client });
    enqueue(tx, event, &p.id.to_string(), None, data, at)
        .await
        .map(|_| ())
}

/// Tells the endpoints of a refund requested or decided (`refund.requested`, `refund.decided`).
pub(crate) async fn refund_change(
    tx: &mut WriteTx,
    r: &careline_protocol::Refund,
    event: WebhookEventType,
    at: i64,
) -> AppResult<()> {
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = client_brief(tx, r.client_id).await?;
    let data = json!({ "refund": r, "client": client });
    enqueue(tx, event, &r.id.to_string(), None, data, at)
        .await
        .map(|_| ())
}
