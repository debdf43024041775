//! A consultation's row inside a write transaction: read, saved under the status it was read
//! with, created in the queue, announced by its event. Shared by the consultation and message
//! writes.

use careline_protocol::{
    Consultation, ConsultationKind, ConsultationStatus, ErrorCode, EventData, Priority,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::get_bool;
use super::rows::{get_enum, get_opt_time, get_opt_uuid, get_tags, get_time, get_uuid};
use super::{tags_json, SqlBuf};
use crate::db::{Audience, WriteTx};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, ms, now_ms};

pub(crate) const CONSULTATION_COLS: &str = "id, client_id, kind, status, operator_id, priority, tags, tariff_id, \
     price, currency, subject, created_at, taken_at, first_response_at, closed_at, summary, rating, \
     rating_comment, last_message_at, red_flag, red_flag_words, appointment_id";

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
        red_flag: row.try_get("red_flag")?,
        red_flag_words: row.try_get("red_flag_words")?,
        appointment_id: get_opt_uuid(row, "appointment_id")?,
    })
}

/// Reads a consultation inside a write transaction.
pub(crate) async fn load_consultation(tx: &mut WriteTx, id: Uuid) -> AppResult<Consultation> {
    let row = sqlx::query(&format!(
        "SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::not_found("consultation"))?;
    consultation_row(&row)
}

/// Writes every mutable column of a consultation, guarded by the status it was read with.
/// Returns false if someone changed the status in between.
pub(crate) async fn save_consultation(
    tx: &mut WriteTx,
    c: &Consultation,
    read_status: ConsultationStatus,
    read_operator: Option<Uuid>,
) -> AppResult<bool> {
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
        q.arg(c.red_flag.clone()),
        q.arg(c.red_flag_words.clone()),
    ];
    q.push(&format!(
        "status = {}, operator_id = {}, priority = {}, tags = {}, taken_at = {}, first_response_at = {}, closed_at = {}, \
         summary = {}, rating = {}, rating_comment = {}, last_message_at = {}, red_flag = {}, red_flag_words = {}",
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]
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

/// The client's consultation that is not closed, if any.
pub(crate) async fn open_consultation(
    tx: &mut WriteTx,
    client_id: Uuid,
) -> AppResult<Option<Consultation>> {
    let row = sqlx::query(&format!(
        "SELECT {CONSULTATION_COLS} FROM consultations WHERE client_id = $1 AND status <> 'closed' AND appointment_id IS NULL"
    ))
    .bind(client_id.to_string())
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(consultation_row).transpose()
}

/// A new consultation in the queue, priced by the active tariff of its kind. Its event is
/// emitted by the caller (usually with the first message).
pub(crate) async fn create_consultation(
    tx: &mut WriteTx,
    client_id: Uuid,
    kind: ConsultationKind,
    subject: Option<String>,
) -> AppResult<Consultation> {
    insert_consultation(tx, client_id, kind, subject, None).await
}

/// A booked visit's consultation: `scheduled`, assigned to its specialist, priced by the
/// active tariff of its kind, outside the queue. Its event is emitted by the caller.
pub(crate) async fn create_visit_consultation(
    tx: &mut WriteTx,
    client_id: Uuid,
    kind: ConsultationKind,
    subject: Option<String>,
    specialist: Uuid,
    appointment_id: Uuid,
) -> AppResult<Consultation> {
    insert_consultation(
        tx,
        client_id,
        kind,
        subject,
        Some((specialist, appointment_id)),
    )
    .await
}

async fn insert_consultation(
    tx: &mut WriteTx,
    client_id: Uuid,
    kind: ConsultationKind,
    subject: Option<String>,
    visit: Option<(Uuid, Uuid)>,
) -> AppResult<Consultation> {
    let client = sqlx::query("SELECT blocked FROM clients WHERE id = $1")
        .bind(client_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("client"))?;
    if get_bool(&client, "blocked")? {
        // Forbidden, not `account_disabled`: the caller is staff acting for the client, and that
        // code would tell a desk that its own session has ended.
        return Err(AppError::forbidden("this client is blocked"));
    }
    let tariff =
        sqlx::query("SELECT id, price, currency FROM tariffs WHERE kind = $1 AND active = 1")
            .bind(kind.as_str())
            .fetch_optional(tx.conn())
            .await?;
    let (tariff_id, price, currency) = match &tariff {
        Some(t) => (
            Some(get_uuid(t, "id")?),
            t.try_get("price")?,
            t.try_get("currency")?,
        ),
        None => (None, 0, "RUB".to_owned()),
    };
    let now = now_ms();
    let subject = subject.map(|s| s.chars().take(200).collect::<String>());
    let c = Consultation {
        id: careline_protocol::new_id(),
        client_id,
        kind,
        status: match visit {
            Some(_) => ConsultationStatus::Scheduled,
            None => ConsultationStatus::New,
        },
        operator_id: visit.map(|v| v.0),
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
        red_flag: None,
        red_flag_words: None,
        appointment_id: visit.map(|v| v.1),
    };
    let mut q =
        SqlBuf::new("INSERT INTO consultations (id, client_id, kind, status, operator_id, appointment_id, priority, tags, tariff_id, price, currency, subject, created_at) VALUES (");
    let ps = [
        q.arg(c.id.to_string()),
        q.arg(client_id.to_string()),
        q.arg(kind.as_str()),
        q.arg(c.status.as_str()),
        q.arg(c.operator_id.map(|o| o.to_string())),
        q.arg(c.appointment_id.map(|a| a.to_string())),
        q.arg(tariff_id.map(|t| t.to_string())),
        q.arg(price),
        q.arg(c.currency.clone()),
        q.arg(subject),
        q.arg(now),
    ];
    q.push(&format!(
        "{}, 'normal', '[]', {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING",
        ps[..6].join(", "),
        ps[6],
        ps[7],
        ps[8],
        ps[9],
        ps[10]
    ));
    let done = q.query().execute(tx.conn()).await?;
    if done.rows_affected() == 0 {
        // The one-open-consultation index refused it: another request opened one just now.
        return Err(AppError::refuse(
            ErrorCode::IllegalTransition,
            "the client already has an open consultation",
        ));
    }
    record_step(tx, &c, "created", None, now).await?;
    Ok(c)
}

/// Emits a consultation's event.
pub(crate) async fn emit_consultation(
    tx: &mut WriteTx,
    c: &Consultation,
    seq: Option<i64>,
    at: i64,
) -> AppResult<()> {
    let data = EventData::Consultation(c.clone());
    match seq {
        Some(s) => {
            tx.emit_with_seq(s, &data, Audience::Client(c.client_id), at)
                .await
        }
        None => tx
            .emit(&data, Audience::Client(c.client_id), at)
            .await
            .map(|_| ()),
    }
}

/// Records a step of a consultation's history (for the reports) in the transaction that takes
/// it; a first take is also kept on the consultation's row (`first_taken_at`).
pub(crate) async fn record_step(
    tx: &mut WriteTx,
    c: &Consultation,
    step: &str,
    operator: Option<Uuid>,
    at: i64,
) -> AppResult<()> {
    let consultation = c.id;
    if step == "taken" {
        sqlx::query(
            "UPDATE consultations SET first_taken_at = COALESCE(first_taken_at, $1) WHERE id = $2",
        )
        .bind(at)
        .bind(consultation.to_string())
        .execute(tx.conn())
        .await?;
    }
    sqlx::query("INSERT INTO consultation_steps (consultation_id, at, step, operator_id) VALUES ($1, $2, $3, $4)")
        .bind(consultation.to_string())
        .bind(at)
        .bind(step)
        .bind(operator.map(|o| o.to_string()))
        .execute(tx.conn())
        .await?;
    // Every step of a consultation is also a webhook, written in the same transaction.
    crate::webhooks::events::consultation_step(tx, c, step, at).await
}
