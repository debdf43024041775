//! Callback requests ("заявки"): a queue ordered by due time, claimed by one operator at a
//! time, with attempts and automatic retries.

use careline_protocol::CallbackFilter;
use careline_protocol::{
    Callback, CallbackAttempt, CallbackStatus, CreateCallbackRequest, ErrorCode, EventData, Page,
    Role,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::clients::normalize_phone;
use super::rows::{get_enum, get_opt_time, get_opt_uuid, get_time, get_uuid};
use super::Store;
use super::{optional_text, page_limit, SqlBuf};
use crate::db::{Audience, WriteTx};
use crate::domain::{callback_transition, Actor, CallbackAction};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, ms, now_ms};

pub(crate) const CALLBACK_COLS: &str = "id, client_id, phone, preferred_at, preferred_until, reason, status, operator_id, due_at, created_at, closed_at";

pub(crate) fn callback_row(row: &AnyRow) -> AppResult<Callback> {
    Ok(Callback {
        id: get_uuid(row, "id")?,
        client_id: get_opt_uuid(row, "client_id")?,
        phone: row.try_get("phone")?,
        preferred_at: get_opt_time(row, "preferred_at")?,
        preferred_until: get_opt_time(row, "preferred_until")?,
        reason: row.try_get("reason")?,
        status: get_enum(row, "status")?,
        operator_id: get_opt_uuid(row, "operator_id")?,
        due_at: get_time(row, "due_at")?,
        attempts: Vec::new(),
        created_at: get_time(row, "created_at")?,
        closed_at: get_opt_time(row, "closed_at")?,
    })
}

pub(crate) async fn attempts_of<'c, E>(
    exec: E,
    ids: &[String],
) -> AppResult<Vec<(String, CallbackAttempt)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q =
        SqlBuf::new("SELECT callback_id, at, operator_id, outcome, note FROM callback_attempts");
    let ps: Vec<String> = ids.iter().map(|i| q.arg(i.as_str())).collect();
    q.and(&format!("callback_id IN ({})", ps.join(", ")));
    q.push(" ORDER BY callback_id, n");
    let rows = q.query().fetch_all(exec).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("callback_id")?,
                CallbackAttempt {
                    at: get_time(r, "at")?,
                    operator_id: get_uuid(r, "operator_id")?,
                    outcome: get_enum(r, "outcome")?,
                    note: r.try_get("note")?,
                },
            ))
        })
        .collect()
}

pub(crate) fn attach_attempts(items: &mut [Callback], attempts: Vec<(String, CallbackAttempt)>) {
    for (id, a) in attempts {
        if let Some(cb) = items.iter_mut().find(|c| c.id.to_string() == id) {
            cb.attempts.push(a);
        }
    }
}

async fn load_callback(tx: &mut WriteTx, id: Uuid) -> AppResult<Callback> {
    let row = sqlx::query(&format!(
        "SELECT {CALLBACK_COLS} FROM callbacks WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::not_found("callback request"))?;
    let mut cb = callback_row(&row)?;
    let attempts = attempts_of(tx.conn(), &[cb.id.to_string()]).await?;
    attach_attempts(std::slice::from_mut(&mut cb), attempts);
    Ok(cb)
}

impl Store {
    pub async fn create_callback(
        &self,
        req: &CreateCallbackRequest,
        actor: Actor,
    ) -> AppResult<Callback> {
        let phone = normalize_phone(&req.phone)?;
        let reason = optional_text("reason", req.reason.as_deref(), 2_000)?;
        let client_id = match actor.role {
            Role::Client => {
                if req.client_id.is_some_and(|c| c != actor.id) {
                    return Err(AppError::forbidden(
                        "a client requests callbacks for itself",
                    ));
                }
                Some(actor.id)
            }
            _ => req.client_id,
        };
        if let (Some(a), Some(b)) = (req.preferred_at, req.preferred_until) {
            if b <= a {
                return Err(AppError::invalid(
                    "preferred_until must be after preferred_at",
                ));
            }
        }
        if req.preferred_until.is_some() && req.preferred_at.is_none() {
            return Err(AppError::invalid("preferred_until needs preferred_at"));
        }
        let now = now_ms();
        if let Some(p) = req.preferred_at {
            if ms(p) > now + 366 * 24 * 3600 * 1000 {
                return Err(AppError::invalid("preferred_at is more than a year away"));
            }
        }
        // Stored to the millisecond: the event must say exactly what a later read will.
        let preferred_at = req.preferred_at.map(|t| from_ms(ms(t)));
        let preferred_until = req.preferred_until.map(|t| from_ms(ms(t)));
        let cb = Callback {
            id: req.id.unwrap_or_else(careline_protocol::new_id),
            client_id,
            phone,
            preferred_at,
            preferred_until,
            reason,
            status: CallbackStatus::New,
            operator_id: None,
            due_at: preferred_at.unwrap_or(from_ms(now)),
            attempts: Vec::new(),
            created_at: from_ms(now),
            closed_at: None,
        };
        let mut tx = self.begin().await?;
        if let Some(c) = client_id {
            let row = sqlx::query("SELECT phone FROM clients WHERE id = $1")
                .bind(c.to_string())
                .fetch_optional(tx.conn())
                .await?;
            let Some(row) = row else {
                return Err(AppError::invalid("client_id does not name a client"));
            };
            // A client is called back on its own number only: a request to call someone else's
            // phone would have the clinic ring a stranger on the client's behalf.
            if actor.role == Role::Client && row.try_get::<String, _>("phone")? != cb.phone {
                return Err(AppError::forbidden("a callback is made to your own phone number; change it in your profile through reception"));
            }
        }
        if sqlx::query("SELECT id FROM callbacks WHERE id = $1")
            .bind(cb.id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .is_some()
        {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "a callback request with this id already exists",
            ));
        }
        sqlx::query(&format!("INSERT INTO callbacks ({CALLBACK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $8, $9, $10)"))
            .bind(cb.id.to_string())
            .bind(client_id.map(|c| c.to_string()))
            .bind(&cb.phone)
            .bind(cb.preferred_at.map(ms))
            .bind(cb.preferred_until.map(ms))
            .bind(cb.reason.clone())
            .bind(None::<String>)
            .bind(ms(cb.due_at))
            .bind(now)
            .bind(None::<i64>)
            .execute(tx.conn())
            .await?;
        emit_callback(&mut tx, &cb, now).await?;
        crate::webhooks::events::callback_change(&mut tx, &cb, true, now).await?;
        tx.commit().await?;
        Ok(cb)
    }

    pub async fn get_callback(&self, id: Uuid) -> AppResult<Callback> {
        let row = sqlx::query(&format!(
            "SELECT {CALLBACK_COLS} FROM callbacks WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| AppError::not_found("callback request"))?;
        let mut cb = callback_row(&row)?;
        let attempts = attempts_of(&self.reader, &[cb.id.to_string()]).await?;
        attach_attempts(std::slice::from_mut(&mut cb), attempts);
        Ok(cb)
    }

    /// The list ordered by due time (asap requests are due when made), then id.
    pub async fn list_callbacks(
        &self,
        f: &CallbackFilter,
        viewer: Actor,
    ) -> AppResult<Page<Callback>> {
        let limit = page_limit(f.limit)?;
        let mut q = SqlBuf::new(&format!("SELECT {CALLBACK_COLS} FROM callbacks"));
        if viewer.role == Role::Client {
            let p = q.arg(viewer.id.to_string());
            q.and(&format!("client_id = {p}"));
        }
        if let Some(s) = &f.status {
            let mut ps = Vec::new();
            for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                let st: CallbackStatus =
                    word.parse().map_err(|e: careline_protocol::UnknownValue| {
                        AppError::bad_request(e.to_string())
                    })?;
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
        if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p = q.arg(super::like_pattern(text));
            q.and(&format!(
                "(phone LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(reason, '')) LIKE {p} ESCAPE '\\')"
            ));
        }
        if let Some(c) = &f.cursor {
            let (due, id) = c
                .split_once('~')
                .and_then(|(d, i)| Some((d.parse::<i64>().ok()?, Uuid::parse_str(i).ok()?)))
                .ok_or_else(|| AppError::bad_request("cursor is not valid"))?;
            let (p1, p2, p3) = (q.arg(due), q.arg(due), q.arg(id.to_string()));
            q.and(&format!("(due_at > {p1} OR (due_at = {p2} AND id > {p3}))"));
        }
        let p = q.arg(limit + 1);
        q.push(&format!(" ORDER BY due_at, id LIMIT {p}"));
        let rows = q.query().fetch_all(&self.reader).await?;
        let mut items = rows
            .iter()
            .map(callback_row)
            .collect::<AppResult<Vec<_>>>()?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let ids: Vec<String> = items.iter().map(|c| c.id.to_string()).collect();
        let attempts = attempts_of(&self.reader, &ids).await?;
        attach_attempts(&mut items, attempts);
        let next_cursor = if more {
            items.last().map(|c| format!("{}~{}", ms(c.due_at), c.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Claim, release, record an attempt, or cancel.
    pub async fn act_on_callback(
        &self,
        id: Uuid,
        actor: Actor,
        action: CallbackAction,
        note: Option<&str>,
    ) -> AppResult<Callback> {
        self.act_on_callback_keyed(id, actor, action, note, None)
            .await
    }

    /// The same, with the idempotency key of an attempt: an attempt already recorded under
    /// `key` answers with the request as it is and records nothing.
    pub async fn act_on_callback_keyed(
        &self,
        id: Uuid,
        actor: Actor,
        action: CallbackAction,
        note: Option<&str>,
        key: Option<Uuid>,
    ) -> AppResult<Callback> {
        let note = optional_text("note", note, 2_000)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_callback(&mut tx, id).await?;
        if let (Some(k), CallbackAction::Attempt(_)) = (key, action) {
            let seen = sqlx::query(
                "SELECT 1 AS x FROM callback_attempts WHERE callback_id = $1 AND op_key = $2",
            )
            .bind(id.to_string())
            .bind(k.to_string())
            .fetch_optional(tx.conn())
            .await?;
            if seen.is_some() {
                if actor.role == Role::Client && before.client_id != Some(actor.id) {
                    return Err(AppError::not_found("callback request"));
                }
                return Ok(before);
            }
        }
        if actor.role == Role::Client && before.client_id != Some(actor.id) {
            return Err(AppError::not_found("callback request"));
        }
        let step = callback_transition(
            before.status,
            before.operator_id,
            before.attempts.len() as i64,
            self.settings.callback_max_attempts,
            actor,
            action,
        )?;
        let mut cb = before.clone();
        cb.status = step.status;
        cb.operator_id = step.operator;
        if step.retry {
            cb.due_at = from_ms(now + self.settings.callback_retry_minutes * 60_000);
        }
        if step.status.is_final() {
            cb.closed_at = Some(from_ms(now));
        }
        if let CallbackAction::Attempt(outcome) = action {
            let attempt = CallbackAttempt {
                at: from_ms(now),
                operator_id: actor.id,
                outcome,
                note: note.clone(),
            };
            sqlx::query("INSERT INTO callback_attempts (callback_id, n, at, operator_id, outcome, note, op_key) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id.to_string())
                .bind(before.attempts.len() as i64 + 1)
                .bind(now)
                .bind(actor.id.to_string())
                .bind(outcome.as_str())
                .bind(note.clone())
                .bind(key.map(|k| k.to_string()))
                .execute(tx.conn())
                .await?;
            cb.attempts.push(attempt);
        }
        let mut q = SqlBuf::new("UPDATE callbacks SET ");
        let (s, o, d, cl) = (
            q.arg(cb.status.as_str()),
            q.arg(cb.operator_id.map(|o| o.to_string())),
            q.arg(ms(cb.due_at)),
            q.arg(cb.closed_at.map(ms)),
        );
        q.push(&format!(
            "status = {s}, operator_id = {o}, due_at = {d}, closed_at = {cl}"
        ));
        let (pid, pst) = (q.arg(id.to_string()), q.arg(before.status.as_str()));
        q.push(&format!(" WHERE id = {pid} AND status = {pst}"));
        let done = q.query().execute(tx.conn()).await?;
        if done.rows_affected() != 1 {
            return Err(AppError::refuse(
                careline_protocol::ErrorCode::AlreadyTaken,
                "the request was changed by someone else; reload it",
            ));
        }
        emit_callback(&mut tx, &cb, now).await?;
        crate::webhooks::events::callback_change(&mut tx, &cb, false, now).await?;
        tx.commit().await?;
        Ok(cb)
    }
}

async fn emit_callback(tx: &mut WriteTx, cb: &Callback, at: i64) -> AppResult<()> {
    let audience = match cb.client_id {
        Some(c) => Audience::Client(c),
        None => Audience::Staff(None),
    };
    tx.emit(&EventData::Callback(cb.clone()), audience, at)
        .await
        .map(|_| ())
}
