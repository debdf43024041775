//! Refunds of a consultation: requested by its client or by staff (up to what is left of the
//! price, with a reason; one request waits at a time), approved or rejected by an admin; a
//! declined visit is refunded in full at once. The client sees its own (events, the page);
//! billing counts the approved ones.

use careline_protocol::{
    ErrorCode, EventData, Refund, RefundQuery, RefundRequest, RefundStatus, Role, WebhookEventType,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::consultation_rows::load_consultation;
use super::rows::{get_enum, get_opt_time, get_opt_uuid, get_time, get_uuid};
use super::{SqlBuf, Store};
use crate::db::{Audience, WriteTx};
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::time::now_ms;
use crate::webhooks::events::refund_change;

const REFUND_COLS: &str = "id, consultation_id, client_id, amount, currency, reason, status, \
     requested_by, requested_by_name, decided_by, decided_at, decision_note, created_at";

fn refund_row(r: &AnyRow) -> AppResult<Refund> {
    Ok(Refund {
        id: get_uuid(r, "id")?,
        consultation_id: get_uuid(r, "consultation_id")?,
        client_id: get_uuid(r, "client_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        reason: r.try_get("reason")?,
        status: get_enum(r, "status")?,
        requested_by: get_opt_uuid(r, "requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        decided_by: get_opt_uuid(r, "decided_by")?,
        decided_at: get_opt_time(r, "decided_at")?,
        decision_note: r.try_get("decision_note")?,
        created_at: get_time(r, "created_at")?,
    })
}

async fn load(tx: &mut WriteTx, id: Uuid) -> AppResult<Refund> {
    let row = sqlx::query(&format!("SELECT {REFUND_COLS} FROM refunds WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("refund"))?;
    refund_row(&row)
}

async fn emit(tx: &mut WriteTx, r: &Refund, at: i64) -> AppResult<()> {
    tx.emit(
        &EventData::Refund(r.clone()),
        Audience::Client(r.client_id),
        at,
    )
    .await
    .map(|_| ())
}

/// What is already refunded of a consultation, or asked to be.
async fn taken(tx: &mut WriteTx, consultation_id: Uuid) -> AppResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM refunds \
         WHERE consultation_id = $1 AND status IN ('approved', 'requested')",
    )
    .bind(consultation_id.to_string())
    .fetch_one(tx.conn())
    .await?;
    Ok(row.try_get("s")?)
}

/// A refund of the whole price (what is left of it), approved at once (a declined visit needs
/// no request).
pub(crate) async fn refund_in_full(
    tx: &mut WriteTx,
    c: &careline_protocol::Consultation,
    reason: Option<&str>,
    at: i64,
) -> AppResult<()> {
    let left = c.price - taken(tx, c.id).await?;
    if left <= 0 {
        return Ok(());
    }
    let id = careline_protocol::new_id();
    sqlx::query(
        "INSERT INTO refunds (id, consultation_id, client_id, amount, currency, reason, status, created_at, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(c.id.to_string())
    .bind(c.client_id.to_string())
    .bind(left)
    .bind(c.currency.clone())
    .bind(reason.map(str::to_owned))
    .bind(RefundStatus::Approved.as_str())
    .bind(at)
    .execute(tx.conn())
    .await?;
    let r = load(tx, id).await?;
    emit(tx, &r, at).await?;
    refund_change(tx, &r, WebhookEventType::RefundDecided, at).await
}

impl Store {
    /// A client (of its own consultation) or staff asks for a refund.
    pub async fn request_refund(
        &self,
        consultation_id: Uuid,
        req: &RefundRequest,
        by: Actor,
        by_name: &str,
        remote: Option<&str>,
    ) -> AppResult<Refund> {
        if !(by.role.is_staff() || by.role == Role::Client) {
            return Err(AppError::forbidden(
                "a refund is asked by the client or staff",
            ));
        }
        let reason = super::required_text("reason", &req.reason, 1000)?;
        if req.amount <= 0 {
            return Err(AppError::invalid("the amount must be more than zero"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let c = load_consultation(&mut tx, consultation_id).await?;
        if by.role == Role::Client && c.client_id != by.id {
            return Err(AppError::not_found("consultation"));
        }
        let left = c.price - taken(&mut tx, c.id).await?;
        if c.price <= 0 {
            return Err(AppError::invalid(
                "this consultation was free: nothing to refund",
            ));
        }
        if req.amount > left {
            return Err(AppError::invalid(format!(
                "at most {left} (minor units of {}) is left to refund of this consultation",
                c.currency
            )));
        }
        let id = careline_protocol::new_id();
        let inserted = sqlx::query(&format!(
            "INSERT INTO refunds ({REFUND_COLS}) VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8, NULL, NULL, NULL, $9)"
        ))
        .bind(id.to_string())
        .bind(c.id.to_string())
        .bind(c.client_id.to_string())
        .bind(req.amount)
        .bind(c.currency.clone())
        .bind(reason.clone())
        .bind(by.id.to_string())
        .bind(by_name.to_owned())
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from);
        match inserted {
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::refuse(
                    ErrorCode::AlreadyExists,
                    "a refund of this consultation already waits for a decision",
                ))
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let r = load(&mut tx, id).await?;
        emit(&mut tx, &r, now).await?;
        refund_change(&mut tx, &r, WebhookEventType::RefundRequested, now).await?;
        if by.role.is_staff() {
            audit_in(
                &mut tx,
                by.id,
                "refund.request",
                Some(id),
                Some(&reason),
                remote,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(r)
    }

    /// An admin approves or rejects (with a reason) a requested refund.
    pub async fn decide_refund(
        &self,
        id: Uuid,
        approve: bool,
        note: Option<&str>,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Refund> {
        if !by.is_admin() {
            return Err(AppError::forbidden("an admin decides refunds"));
        }
        let note = match (approve, note.map(str::trim).filter(|n| !n.is_empty())) {
            (false, None) => return Err(AppError::invalid("a rejection needs a reason")),
            (_, n) => n
                .map(|n| super::required_text("reason", n, 1000))
                .transpose()?,
        };
        let to = if approve {
            RefundStatus::Approved
        } else {
            RefundStatus::Rejected
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load(&mut tx, id).await?;
        if before.status != RefundStatus::Requested {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                format!("cannot decide a refund that is {}", before.status),
            ));
        }
        let done = sqlx::query(
            "UPDATE refunds SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
             WHERE id = $5 AND status = 'requested'",
        )
        .bind(to.as_str())
        .bind(by.id.to_string())
        .bind(now)
        .bind(note.clone())
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "the refund changed meanwhile; look again",
            ));
        }
        let r = load(&mut tx, id).await?;
        emit(&mut tx, &r, now).await?;
        refund_change(&mut tx, &r, WebhookEventType::RefundDecided, now).await?;
        let action = if approve {
            "refund.approve"
        } else {
            "refund.reject"
        };
        audit_in(
            &mut tx,
            by.id,
            action,
            Some(id),
            note.as_deref(),
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Refunds `who` may see, newest first (at most 500): staff any, a client its own.
    pub async fn refunds(&self, q: &RefundQuery, who: Actor) -> AppResult<Vec<Refund>> {
        let mut sql = SqlBuf::new(&format!("SELECT {REFUND_COLS} FROM refunds"));
        match who.role {
            Role::Client => {
                let p = sql.arg(who.id.to_string());
                sql.and(&format!("client_id = {p}"));
            }
            Role::Operator | Role::Admin => {}
            Role::Pharmacist => return Err(AppError::forbidden("refunds are for staff")),
        }
        if let Some(s) = q.status {
            let p = sql.arg(s.as_str());
            sql.and(&format!("status = {p}"));
        }
        if let Some(c) = q.consultation_id {
            let p = sql.arg(c.to_string());
            sql.and(&format!("consultation_id = {p}"));
        }
        if let Some(c) = q.client_id {
            let p = sql.arg(c.to_string());
            sql.and(&format!("client_id = {p}"));
        }
        sql.push(" ORDER BY created_at DESC, id LIMIT 500");
        let rows = sql.query().fetch_all(&self.reader).await?;
        rows.iter().map(refund_row).collect()
    }

    /// The refunds of a consultation, oldest first.
    pub async fn refunds_of(&self, consultation_id: Uuid) -> AppResult<Vec<Refund>> {
        let rows = sqlx::query(&format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE consultation_id = $1 ORDER BY created_at, id"
        ))
        .bind(consultation_id.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(refund_row).collect()
    }
}
