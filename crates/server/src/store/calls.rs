//! Calls: their record and state (`ringing` → `active` → `ended`), the system message each one
//! leaves in the thread, the visit it carries, and the one-time links that open a call's page
//! for the operator. Every change is a guarded update (`WHERE state = …`), so two parties (or
//! two instances) acting at once never both win.

use careline_protocol::{
    AppointmentStatus, AuthorKind, Call, CallEnd, CallMedia, CallSession, CallState,
    ConsultationStatus, ErrorCode, EventData, MessageKind, Role, WebhookEventType,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::consultation_rows::{
    emit_consultation, load_consultation, record_step, save_consultation,
};
use super::messages::{insert_message, NewMessage};
use super::rows::{get_enum, get_opt_time, get_opt_uuid, get_time, get_uuid};
use super::visits::{emit_appointment, load_appointment};
use super::Store;
use crate::db::{Audience, WriteTx};
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::passwords::{new_token, token_hash};
use crate::time::{from_ms, ms, now_ms};
use crate::webhooks::events::call_change;

/// A call nobody answers ends as `no_answer` after this long.
pub const RING_FOR_MS: i64 = 60 * 1000;
/// A call still running after this long is taken as lost (`failed`): nobody hung up.
pub const LONGEST_CALL_MS: i64 = 4 * 3600 * 1000;
/// A one-time link works this long.
const LINK_FOR_MS: i64 = 60 * 1000;
/// A call page's session lasts this long (the longest call, and some).
const CALL_SESSION_MS: i64 = LONGEST_CALL_MS + 3600 * 1000;

const CALL_COLS: &str =
    "id, consultation_id, client_id, operator_id, appointment_id, media, state, \
     end_reason, rang_at, answered_at, ended_at, duration_seconds";

fn call_row(row: &AnyRow) -> AppResult<Call> {
    Ok(Call {
        id: get_uuid(row, "id")?,
        consultation_id: get_uuid(row, "consultation_id")?,
        client_id: get_uuid(row, "client_id")?,
        operator_id: get_uuid(row, "operator_id")?,
        appointment_id: get_opt_uuid(row, "appointment_id")?,
        media: get_enum(row, "media")?,
        state: get_enum(row, "state")?,
        end: row
            .try_get::<Option<String>, _>("end_reason")?
            .map(|s| {
                s.parse()
                    .map_err(|e: careline_protocol::UnknownValue| AppError::Corrupt(e.to_string()))
            })
            .transpose()?,
        rang_at: get_time(row, "rang_at")?,
        answered_at: get_opt_time(row, "answered_at")?,
        ended_at: get_opt_time(row, "ended_at")?,
        duration_seconds: row.try_get("duration_seconds")?,
    })
}

async fn call_by_id<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: Uuid,
) -> AppResult<Call> {
    let row = sqlx::query(&format!("SELECT {CALL_COLS} FROM calls WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(on)
        .await?
        .ok_or_else(|| AppError::not_found("call"))?;
    call_row(&row)
}

/// Whether `who` is a party of the call: its operator or its client.
pub fn is_party(call: &Call, who: Actor) -> bool {
    if who.role == Role::Client {
        call.client_id == who.id
    } else {
        call.operator_id == who.id
    }
}

impl Store {
    /// The operator of a consultation calls its client: the page rings. A booked visit's
    /// consultation opens with its first call.
    pub async fn start_call(
        &self,
        consultation_id: Uuid,
        media: CallMedia,
        by: Actor,
    ) -> AppResult<Call> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut c = load_consultation(&mut tx, consultation_id).await?;
        if c.operator_id != Some(by.id) {
            return Err(AppError::refuse(
                ErrorCode::NotAssigned,
                "only the consultation's operator calls its client",
            ));
        }
        super::consents::require_for(
            &mut tx,
            c.client_id,
            careline_protocol::ConsentPurpose::Call,
        )
        .await?;
        match c.status {
            ConsultationStatus::Active => {}
            ConsultationStatus::Scheduled => {
                c.status = ConsultationStatus::Active;
                c.taken_at = Some(from_ms(now));
                if !save_consultation(&mut tx, &c, ConsultationStatus::Scheduled, c.operator_id)
                    .await?
                {
                    return Err(AppError::refuse(
                        ErrorCode::IllegalTransition,
                        "the consultation changed meanwhile; look again",
                    ));
                }
                record_step(&mut tx, &c, "taken", Some(by.id), now).await?;
                emit_consultation(&mut tx, &c, None, now).await?;
            }
            other => {
                return Err(AppError::refuse(
                    ErrorCode::IllegalTransition,
                    format!("the consultation is {other}: there is nobody to call"),
                ))
            }
        }
        let appointment_id = sqlx::query(
            "SELECT id FROM appointments WHERE consultation_id = $1 AND status IN ('booked', 'waiting', 'in_call')",
        )
        .bind(c.id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .map(|r| get_uuid(&r, "id"))
        .transpose()?;
        let call = Call {
            id: careline_protocol::new_id(),
            consultation_id: c.id,
            client_id: c.client_id,
            operator_id: by.id,
            appointment_id,
            media,
            state: CallState::Ringing,
            end: None,
            rang_at: from_ms(now),
            answered_at: None,
            ended_at: None,
            duration_seconds: None,
        };
        sqlx::query(&format!(
            "INSERT INTO calls ({CALL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 'ringing', NULL, $7, NULL, NULL, NULL)"
        ))
        .bind(call.id.to_string())
        .bind(c.id.to_string())
        .bind(c.client_id.to_string())
        .bind(by.id.to_string())
        .bind(appointment_id.map(|a| a.to_string()))
        .bind(media.as_str())
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => AppError::refuse(
                ErrorCode::AlreadyExists,
                "a call already rings or runs in this consultation",
            ),
            e => e.into(),
        })?;
        emit_call(&mut tx, &call, now).await?;
        call_change(&mut tx, &call, WebhookEventType::CallRinging, now).await?;
        tx.commit().await?;
        Ok(call)
    }

    pub async fn get_call(&self, id: Uuid) -> AppResult<Call> {
        call_by_id(&self.reader, id).await
    }

    /// The calls of a consultation, oldest first.
    pub async fn calls_of(&self, consultation_id: Uuid) -> AppResult<Vec<Call>> {
        sqlx::query(&format!(
            "SELECT {CALL_COLS} FROM calls WHERE consultation_id = $1 ORDER BY rang_at LIMIT 500"
        ))
        .bind(consultation_id.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(call_row)
        .collect()
    }

    /// The patient answers: the call is `active` (and its visit `in_call`).
    pub async fn answer_call(&self, id: Uuid, by: Actor) -> AppResult<Call> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut call = call_by_id(tx.conn(), id).await?;
        if by.role != Role::Client || call.client_id != by.id {
            return Err(not_party());
        }
        match call.state {
            CallState::Active => return Ok(call),
            CallState::Ended => return Err(over(&call)),
            CallState::Ringing => {}
        }
        let moved = sqlx::query(
            "UPDATE calls SET state = 'active', answered_at = $1 WHERE id = $2 AND state = 'ringing'",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(changed());
        }
        call.state = CallState::Active;
        call.answered_at = Some(from_ms(now));
        if let Some(a) = call.appointment_id {
            visit_to(
                &mut tx,
                a,
                &["booked", "waiting"],
                AppointmentStatus::InCall,
                now,
            )
            .await?;
        }
        emit_call(&mut tx, &call, now).await?;
        call_change(&mut tx, &call, WebhookEventType::CallAnswered, now).await?;
        tx.commit().await?;
        Ok(call)
    }

    /// The patient refuses a ringing call.
    pub async fn decline_call(&self, id: Uuid, by: Actor) -> AppResult<Call> {
        let mut tx = self.begin().await?;
        let call = call_by_id(tx.conn(), id).await?;
        if by.role != Role::Client || call.client_id != by.id {
            return Err(not_party());
        }
        match call.state {
            CallState::Ended => return Ok(call),
            CallState::Active => {
                return Err(AppError::refuse(
                    ErrorCode::IllegalTransition,
                    "the call was answered: hang up instead",
                ))
            }
            CallState::Ringing => {}
        }
        let call = finish(&mut tx, call, CallEnd::Declined, now_ms()).await?;
        tx.commit().await?;
        Ok(call)
    }

    /// Either party hangs up: a ringing call is `cancelled` (by its operator) or `declined` (by
    /// the patient); an active one `completed`, or `failed` when the media was lost. Hanging up
    /// an ended call changes nothing.
    pub async fn hangup_call(&self, id: Uuid, by: Actor, failed: bool) -> AppResult<Call> {
        let mut tx = self.begin().await?;
        let call = call_by_id(tx.conn(), id).await?;
        if !is_party(&call, by) {
            return Err(not_party());
        }
        let end = match (call.state, by.role == Role::Client) {
            (CallState::Ended, _) => return Ok(call),
            (CallState::Ringing, _) if failed => CallEnd::Failed,
            (CallState::Ringing, true) => CallEnd::Declined,
            (CallState::Ringing, false) => CallEnd::Cancelled,
            (CallState::Active, _) if failed => CallEnd::Failed,
            (CallState::Active, _) => CallEnd::Completed,
        };
        let call = finish(&mut tx, call, end, now_ms()).await?;
        tx.commit().await?;
        Ok(call)
    }

    /// A one-time code for the call's page, for its operator: `(code, expires_ms)`.
    pub async fn call_link(&self, id: Uuid, by: Actor) -> AppResult<(String, i64)> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let call = call_by_id(tx.conn(), id).await?;
        if by.role == Role::Client || call.operator_id != by.id {
            return Err(not_party());
        }
        if call.state == CallState::Ended {
            return Err(over(&call));
        }
        let (code, hash) = new_token();
        let expires = now + LINK_FOR_MS;
        sqlx::query("DELETE FROM call_links WHERE expires_at < $1")
            .bind(now)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "INSERT INTO call_links (code_hash, call_id, operator_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&hash)
        .bind(id.to_string())
        .bind(by.id.to_string())
        .bind(expires)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok((code, expires))
    }

    /// Trades a one-time code for a session scoped to its call (the code is spent whether or
    /// not the call is still on).
    pub async fn redeem_call_link(&self, code: &str) -> AppResult<CallSession> {
        let now = now_ms();
        let unknown = || {
            AppError::refuse(
                ErrorCode::Unauthorized,
                "this call link is unknown, used or expired; open the call again from the desk",
            )
        };
        let hash = token_hash(code);
        // A guess costs a read, not a write transaction (SQLite's one writer serves everyone).
        let known = sqlx::query("SELECT 1 AS x FROM call_links WHERE code_hash = $1")
            .bind(&hash)
            .fetch_optional(&self.reader)
            .await?;
        if known.is_none() {
            return Err(unknown());
        }
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "SELECT call_id, operator_id, expires_at FROM call_links WHERE code_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(unknown)?;
        let spent = sqlx::query("DELETE FROM call_links WHERE code_hash = $1")
            .bind(&hash)
            .execute(tx.conn())
            .await?
            .rows_affected();
        let expires: i64 = row.try_get("expires_at")?;
        if spent == 0 || expires <= now {
            tx.commit().await?;
            return Err(unknown());
        }
        let call = call_by_id(tx.conn(), get_uuid(&row, "call_id")?).await?;
        let operator = get_uuid(&row, "operator_id")?;
        let role = sqlx::query("SELECT role FROM operators WHERE id = $1 AND disabled = 0")
            .bind(operator.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(unknown)?
            .try_get::<String, _>("role")?;
        if call.state == CallState::Ended {
            tx.commit().await?;
            return Err(over(&call));
        }
        let client_name: String = sqlx::query("SELECT name FROM clients WHERE id = $1")
            .bind(call.client_id.to_string())
            .fetch_one(tx.conn())
            .await?
            .try_get("name")?;
        let (token, token_hash) = new_token();
        let session_expires = now + CALL_SESSION_MS;
        sqlx::query(
            "INSERT INTO tokens (hash, user_id, role, created_at, expires_at, call_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token_hash)
        .bind(operator.to_string())
        .bind(role)
        .bind(now)
        .bind(session_expires)
        .bind(call.id.to_string())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(CallSession {
            token,
            expires_at: from_ms(session_expires),
            call,
            client_name,
        })
    }

    /// Ends calls nobody ended: ringing past [`RING_FOR_MS`] (`no_answer`), running past
    /// [`LONGEST_CALL_MS`] (`failed`). Returns how many.
    pub async fn sweep_calls(&self, now: i64) -> AppResult<usize> {
        let rows = sqlx::query(&format!(
            "SELECT {CALL_COLS} FROM calls WHERE (state = 'ringing' AND rang_at <= $1) \
             OR (state = 'active' AND answered_at <= $2) LIMIT 500"
        ))
        .bind(now - RING_FOR_MS)
        .bind(now - LONGEST_CALL_MS)
        .fetch_all(&self.reader)
        .await?;
        let mut ended = 0;
        for row in rows {
            let call = call_row(&row)?;
            let end = if call.state == CallState::Ringing {
                CallEnd::NoAnswer
            } else {
                CallEnd::Failed
            };
            let mut tx = self.begin().await?;
            match finish(&mut tx, call, end, now).await {
                Ok(_) => {
                    tx.commit().await?;
                    ended += 1;
                }
                // Someone ended it meanwhile (a party, another instance's sweep).
                Err(AppError::Refused(e)) if e.code == ErrorCode::IllegalTransition => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ended)
    }
}

/// Ends a call (guarded by the state it was read in): its record, its system message in the
/// thread, its visit, its event and webhook.
async fn finish(tx: &mut WriteTx, mut call: Call, end: CallEnd, now: i64) -> AppResult<Call> {
    let duration = call.answered_at.map(|a| ((now - ms(a)) / 1000).max(0));
    let moved = sqlx::query(
        "UPDATE calls SET state = 'ended', end_reason = $1, ended_at = $2, duration_seconds = $3 \
         WHERE id = $4 AND state = $5",
    )
    .bind(end.as_str())
    .bind(now)
    .bind(duration.unwrap_or(0))
    .bind(call.id.to_string())
    .bind(call.state.as_str())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(changed());
    }
    let was = call.state;
    call.state = CallState::Ended;
    call.end = Some(end);
    call.ended_at = Some(from_ms(now));
    call.duration_seconds = Some(duration.unwrap_or(0));
    if let Some(a) = call.appointment_id {
        match (end, was) {
            (CallEnd::Completed, _) => {
                visit_to(tx, a, &["in_call"], AppointmentStatus::Done, now).await?
            }
            // A lost call leaves the patient waiting for the next one.
            (_, CallState::Active) => {
                visit_to(tx, a, &["in_call"], AppointmentStatus::Waiting, now).await?
            }
            _ => {}
        }
    }
    let c = load_consultation(tx, call.consultation_id).await?;
    let operator: String = sqlx::query("SELECT name FROM operators WHERE id = $1")
        .bind(call.operator_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .map(|r| r.try_get("name"))
        .transpose()?
        .unwrap_or_default();
    let note = NewMessage {
        consultation: &c,
        author_kind: AuthorKind::System,
        author_id: None,
        kind: MessageKind::System,
        body: call_note(&call, &operator),
        attachment: None,
        client_msg_id: None,
        internal: false,
    };
    insert_message(tx, note).await?;
    emit_call(tx, &call, now).await?;
    call_change(tx, &call, WebhookEventType::CallEnded, now).await?;
    Ok(call)
}

/// The thread's note of an ended call, in English like every server note (the desk and the
/// page word it in their language): `Video call by Anna: completed (192 s)`.
pub fn call_note(call: &Call, operator: &str) -> String {
    let media = match call.media {
        CallMedia::Audio => "Audio",
        CallMedia::Video => "Video",
    };
    let end = match call.end {
        Some(CallEnd::Completed) => "completed",
        Some(CallEnd::NoAnswer) => "no answer",
        Some(CallEnd::Declined) => "declined",
        Some(CallEnd::Cancelled) => "cancelled",
        Some(CallEnd::Failed) | None => "failed",
    };
    match call.duration_seconds {
        Some(s) if call.answered_at.is_some() => {
            format!("{media} call by {operator}: {end} ({s} s)")
        }
        _ => format!("{media} call by {operator}: {end}"),
    }
}

/// Moves a call's visit to `to` if it is in one of `from`.
async fn visit_to(
    tx: &mut WriteTx,
    id: Uuid,
    from: &[&str],
    to: AppointmentStatus,
    now: i64,
) -> AppResult<()> {
    let list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let moved = sqlx::query(&format!(
        "UPDATE appointments SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({list})"
    ))
    .bind(to.as_str())
    .bind(now)
    .bind(id.to_string())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if moved > 0 {
        let a = load_appointment(tx, id).await?;
        emit_appointment(tx, &a, now).await?;
    }
    Ok(())
}

async fn emit_call(tx: &mut WriteTx, call: &Call, at: i64) -> AppResult<()> {
    tx.emit(
        &EventData::Call(call.clone()),
        Audience::Client(call.client_id),
        at,
    )
    .await
    .map(|_| ())
}

fn not_party() -> AppError {
    AppError::not_found("call")
}

fn over(call: &Call) -> AppError {
    AppError::refuse(
        ErrorCode::IllegalTransition,
        format!(
            "the call is over ({})",
            call.end.map(|e| e.as_str()).unwrap_or("ended")
        ),
    )
}

fn changed() -> AppError {
    AppError::refuse(
        ErrorCode::IllegalTransition,
        "the call changed meanwhile; look again",
    )
}
