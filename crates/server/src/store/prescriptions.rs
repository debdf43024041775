//! Prescriptions: written by the consultation's doctor as a draft, submitted, reviewed by a
//! pharmacist (approved, or rejected with a reason and then revised and submitted again), and an
//! approved one cancelled by its doctor. Every change is a guarded update on the status it was
//! read in, so a review and a revision racing each other never both win; every step is audited,
//! raises an event (the client sees only approved and cancelled ones) and a webhook.

use careline_protocol::{
    check_prescription, check_prescription_draft, ErrorCode, EventData, Prescription,
    PrescriptionItem, PrescriptionProblem, PrescriptionProblemKind, PrescriptionQuery,
    PrescriptionRequest, PrescriptionStatus, Role, WebhookEventType,
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
use crate::webhooks::events::prescription_change;

/// The columns and joins a [`Prescription`] is read from (`p` the prescription).
pub(crate) const PRESCRIPTION_SELECT: &str =
    "p.id, p.consultation_id, p.client_id, p.prescriber_id, o.name AS prescriber_name, p.status, \
     p.items, p.note, p.revision, p.reviewer_id, r.name AS reviewer_name, p.reviewed_at, p.reason, \
     p.created_at, p.updated_at, p.submitted_at \
     FROM prescriptions p JOIN operators o ON o.id = p.prescriber_id \
     LEFT JOIN operators r ON r.id = p.reviewer_id";

/// A note for the patient and the pharmacist holds at most this many characters.
const MAX_NOTE: usize = 2000;

pub(crate) fn prescription_row(row: &AnyRow) -> AppResult<Prescription> {
    let items: String = row.try_get("items")?;
    Ok(Prescription {
        id: get_uuid(row, "id")?,
        consultation_id: get_uuid(row, "consultation_id")?,
        client_id: get_uuid(row, "client_id")?,
        prescriber_id: get_uuid(row, "prescriber_id")?,
        prescriber_name: row.try_get("prescriber_name")?,
        status: get_enum(row, "status")?,
        items: serde_json::from_str(&items)
            .map_err(|e| AppError::Corrupt(format!("prescription items: {e}")))?,
        note: row.try_get("note")?,
        revision: row.try_get("revision")?,
        reviewer_id: get_opt_uuid(row, "reviewer_id")?,
        reviewer_name: row.try_get("reviewer_name")?,
        reviewed_at: get_opt_time(row, "reviewed_at")?,
        reason: row.try_get("reason")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        submitted_at: get_opt_time(row, "submitted_at")?,
    })
}

async fn load(tx: &mut WriteTx, id: Uuid) -> AppResult<Prescription> {
    let row = sqlx::query(&format!("SELECT {PRESCRIPTION_SELECT} WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("prescription"))?;
    prescription_row(&row)
}

/// Whether `who` may read this prescription: staff any; a pharmacist one that was submitted; a
/// client its own once approved. Anything else is "not found", so its existence leaks nothing.
pub fn may_read(p: &Prescription, who: Actor) -> bool {
    match who.role {
        Role::Operator | Role::Admin => true,
        Role::Pharmacist => p.status != PrescriptionStatus::Draft,
        Role::Client => p.client_id == who.id && p.status.shown_to_client(),
    }
}

/// The problems as one sentence: "item 2: dose is missing; item 2: the same medication twice".
fn problems_message(problems: &[PrescriptionProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            let at = p
                .item
                .map(|i| format!("item {}: ", i + 1))
                .unwrap_or_default();
            let field = p.field.as_deref().unwrap_or("");
            match p.kind {
                PrescriptionProblemKind::NoItems => "no items".to_string(),
                PrescriptionProblemKind::TooMany => format!(
                    "more than {} items",
                    careline_protocol::clinical::MAX_PRESCRIPTION_ITEMS
                ),
                PrescriptionProblemKind::Missing => format!("{at}{field} is missing"),
                PrescriptionProblemKind::TooLong => format!("{at}{field} is too long"),
                PrescriptionProblemKind::Duplicate => {
                    format!("{at}the same medication as an item above")
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn checked(problems: Vec<PrescriptionProblem>) -> AppResult<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(problems_message(&problems)))
    }
}

/// Text fields trimmed, an empty instruction dropped: what is stored is what the check saw.
fn tidy(items: &[PrescriptionItem]) -> Vec<PrescriptionItem> {
    items
        .iter()
        .map(|i| PrescriptionItem {
            medication: i.medication.trim().to_owned(),
            form: i.form.trim().to_owned(),
            strength: i.strength.trim().to_owned(),
            dose: i.dose.trim().to_owned(),
            route: i.route.trim().to_owned(),
            frequency: i.frequency.trim().to_owned(),
            duration: i.duration.trim().to_owned(),
            quantity: i.quantity.trim().to_owned(),
            instructions: i
                .instructions
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        })
        .collect()
}

fn note_of(note: Option<&str>) -> AppResult<Option<String>> {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => Ok(Some(super::required_text("note", n, MAX_NOTE)?)),
    }
}

fn illegal(p: &Prescription, what: &str) -> AppError {
    AppError::refuse(
        ErrorCode::IllegalTransition,
        format!("cannot {what} a prescription that is {}", p.status),
    )
}

fn changed() -> AppError {
    AppError::refuse(
        ErrorCode::IllegalTransition,
        "the prescription changed meanwhile; look again",
    )
}

/// Only the doctor who wrote it may revise, submit or cancel it.
fn own(p: &Prescription, by: Actor) -> AppResult<()> {
    if !by.role.is_staff() {
        return Err(AppError::not_found("prescription"));
    }
    if p.prescriber_id != by.id {
        return Err(AppError::refuse(
            ErrorCode::NotAssigned,
            "only the doctor who wrote a prescription changes it",
        ));
    }
    Ok(())
}

/// The prescription, read for a change by its doctor, in one of the states `what` is allowed
/// from.
async fn own_in(
    tx: &mut WriteTx,
    id: Uuid,
    by: Actor,
    from: &[PrescriptionStatus],
    what: &str,
) -> AppResult<Prescription> {
    let p = load(tx, id).await?;
    if !may_read(&p, by) {
        return Err(AppError::not_found("prescription"));
    }
    own(&p, by)?;
    if !from.contains(&p.status) {
        return Err(illegal(&p, what));
    }
    Ok(p)
}

/// Who sees an event of a prescription in this state.
fn audience(p: &Prescription) -> Audience {
    match p.status {
        PrescriptionStatus::Draft => Audience::Staff(Some(p.client_id)),
        PrescriptionStatus::Submitted | PrescriptionStatus::Rejected => {
            Audience::Pharmacy(p.client_id)
        }
        PrescriptionStatus::Approved | PrescriptionStatus::Cancelled => {
            Audience::Client(p.client_id)
        }
    }
}

async fn emit(tx: &mut WriteTx, p: &Prescription, at: i64) -> AppResult<()> {
    tx.emit(&EventData::Prescription(p.clone()), audience(p), at)
        .await
        .map(|_| ())
}

impl Store {
    /// A new draft in a consultation, by the doctor who holds it.
    pub async fn create_prescription(
        &self,
        consultation_id: Uuid,
        req: &PrescriptionRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Prescription> {
        checked(check_prescription_draft(&req.items))?;
        let note = note_of(req.note.as_deref())?;
        let items = tidy(&req.items);
        let now = now_ms();
        let mut tx = self.begin().await?;
        let c = load_consultation(&mut tx, consultation_id).await?;
        if c.operator_id != Some(by.id) {
            return Err(AppError::refuse(
                ErrorCode::NotAssigned,
                "only the consultation's doctor writes a prescription in it",
            ));
        }
        let id = req.id.unwrap_or_else(careline_protocol::new_id);
        if sqlx::query("SELECT 1 AS x FROM prescriptions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .is_some()
        {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "a prescription with this id exists",
            ));
        }
        sqlx::query(
            "INSERT INTO prescriptions (id, consultation_id, client_id, prescriber_id, status, items, note, revision, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
        )
        .bind(id.to_string())
        .bind(c.id.to_string())
        .bind(c.client_id.to_string())
        .bind(by.id.to_string())
        .bind(PrescriptionStatus::Draft.as_str())
        .bind(serde_json::to_string(&items).map_err(|e| AppError::failed("items", e))?)
        .bind(note)
        .bind(now)
        .execute(tx.conn())
        .await?;
        let p = load(&mut tx, id).await?;
        emit(&mut tx, &p, now).await?;
        audit_in(
            &mut tx,
            by.id,
            "prescription.draft",
            Some(id),
            None,
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    /// The doctor revises a draft, or a rejected one (it stays rejected until submitted again).
    pub async fn update_prescription(
        &self,
        id: Uuid,
        req: &PrescriptionRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Prescription> {
        checked(check_prescription_draft(&req.items))?;
        let note = note_of(req.note.as_deref())?;
        let items = tidy(&req.items);
        let now = now_ms();
        let mut tx = self.begin().await?;
        let open = [PrescriptionStatus::Draft, PrescriptionStatus::Rejected];
        let before = own_in(&mut tx, id, by, &open, "revise").await?;
        let done = sqlx::query(
            "UPDATE prescriptions SET items = $1, note = $2, updated_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(serde_json::to_string(&items).map_err(|e| AppError::failed("items", e))?)
        .bind(note)
        .bind(now)
        .bind(id.to_string())
        .bind(before.status.as_str())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(changed());
        }
        let p = load(&mut tx, id).await?;
        emit(&mut tx, &p, now).await?;
        audit_in(
            &mut tx,
            by.id,
            "prescription.revise",
            Some(id),
            None,
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Draft (or rejected) → submitted, after the check: the pharmacists' queue gets it.
    pub async fn submit_prescription(
        &self,
        id: Uuid,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Prescription> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let open = [PrescriptionStatus::Draft, PrescriptionStatus::Rejected];
        let before = own_in(&mut tx, id, by, &open, "submit").await?;
        checked(check_prescription(&before.items))?;
        let done = sqlx::query(
            "UPDATE prescriptions SET status = 'submitted', revision = revision + 1, submitted_at = $1, \
             updated_at = $1, reviewer_id = NULL, reviewed_at = NULL, reason = NULL \
             WHERE id = $2 AND status = $3",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(before.status.as_str())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(changed());
        }
        self.finish(tx, id, by, "prescription.submit", None, remote, now)
            .await
    }

    /// A pharmacist approves or rejects (with a reason) a submitted prescription.
    pub async fn review_prescription(
        &self,
        id: Uuid,
        approve: bool,
        reason: Option<&str>,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Prescription> {
        if by.role != Role::Pharmacist {
            return Err(AppError::forbidden("a pharmacist reviews prescriptions"));
        }
        let reason = match (approve, reason.map(str::trim).filter(|r| !r.is_empty())) {
            (false, None) => return Err(AppError::invalid("a rejection needs a reason")),
            (false, Some(r)) => Some(super::required_text("reason", r, 1000)?),
            (true, r) => r
                .map(|r| super::required_text("reason", r, 1000))
                .transpose()?,
        };
        let to = if approve {
            PrescriptionStatus::Approved
        } else {
            PrescriptionStatus::Rejected
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load(&mut tx, id).await?;
        if !may_read(&before, by) {
            return Err(AppError::not_found("prescription"));
        }
        if before.status != PrescriptionStatus::Submitted {
            return Err(illegal(&before, if approve { "approve" } else { "reject" }));
        }
        let done = sqlx::query(
            "UPDATE prescriptions SET status = $1, reviewer_id = $2, reviewed_at = $3, reason = $4, updated_at = $3 \
             WHERE id = $5 AND status = 'submitted' AND revision = $6",
        )
        .bind(to.as_str())
        .bind(by.id.to_string())
        .bind(now)
        .bind(reason.clone())
        .bind(id.to_string())
        .bind(before.revision)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(changed());
        }
        let action = if approve {
            "prescription.approve"
        } else {
            "prescription.reject"
        };
        self.finish(tx, id, by, action, reason.as_deref(), remote, now)
            .await
    }

    /// The doctor cancels an approved prescription, with a reason: the patient and the pharmacy
    /// are told not to use it.
    pub async fn cancel_prescription(
        &self,
        id: Uuid,
        reason: Option<&str>,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Prescription> {
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            None => return Err(AppError::invalid("a cancellation needs a reason")),
            Some(r) => super::required_text("reason", r, 1000)?,
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        own_in(&mut tx, id, by, &[PrescriptionStatus::Approved], "cancel").await?;
        let done = sqlx::query(
            "UPDATE prescriptions SET status = 'cancelled', reason = $1, updated_at = $2 WHERE id = $3 AND status = 'approved'",
        )
        .bind(reason.clone())
        .bind(now)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(changed());
        }
        self.finish(
            tx,
            id,
            by,
            "prescription.cancel",
            Some(&reason),
            remote,
            now,
        )
        .await
    }

    /// After a change of status: the event, the webhook, the audit, the commit.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        mut tx: WriteTx,
        id: Uuid,
        by: Actor,
        action: &str,
        detail: Option<&str>,
        remote: Option<&str>,
        now: i64,
    ) -> AppResult<Prescription> {
        let p = load(&mut tx, id).await?;
        emit(&mut tx, &p, now).await?;
        let hook = match p.status {
            PrescriptionStatus::Submitted => Some(WebhookEventType::PrescriptionSubmitted),
            PrescriptionStatus::Approved => Some(WebhookEventType::PrescriptionApproved),
            PrescriptionStatus::Rejected => Some(WebhookEventType::PrescriptionRejected),
            PrescriptionStatus::Cancelled => Some(WebhookEventType::PrescriptionCancelled),
            PrescriptionStatus::Draft => None,
        };
        if let Some(hook) = hook {
            prescription_change(&mut tx, &p, hook, now).await?;
        }
        audit_in(&mut tx, by.id, action, Some(id), detail, remote, now).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// One prescription, if `who` may read it.
    pub async fn prescription(&self, id: Uuid, who: Actor) -> AppResult<Prescription> {
        let row = sqlx::query(&format!("SELECT {PRESCRIPTION_SELECT} WHERE p.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| AppError::not_found("prescription"))?;
        let p = prescription_row(&row)?;
        if may_read(&p, who) {
            Ok(p)
        } else {
            Err(AppError::not_found("prescription"))
        }
    }

    /// Prescriptions `who` may read, newest first (at most 500): a pharmacist's queue is
    /// `status=submitted`, oldest submission first.
    pub async fn prescriptions(
        &self,
        q: &PrescriptionQuery,
        who: Actor,
    ) -> AppResult<Vec<Prescription>> {
        let mut sql = SqlBuf::new(&format!("SELECT {PRESCRIPTION_SELECT}"));
        match who.role {
            Role::Client => {
                let p = sql.arg(who.id.to_string());
                sql.and(&format!(
                    "p.client_id = {p} AND p.status IN ('approved', 'cancelled')"
                ));
            }
            Role::Pharmacist => sql.and("p.status <> 'draft'"),
            Role::Operator | Role::Admin => {}
        }
        if let Some(s) = q.status {
            let p = sql.arg(s.as_str());
            sql.and(&format!("p.status = {p}"));
        }
        if let Some(c) = q.consultation_id {
            let p = sql.arg(c.to_string());
            sql.and(&format!("p.consultation_id = {p}"));
        }
        if let Some(c) = q.client_id {
            let p = sql.arg(c.to_string());
            sql.and(&format!("p.client_id = {p}"));
        }
        if q.status == Some(PrescriptionStatus::Submitted) {
            sql.push(" ORDER BY p.submitted_at, p.id LIMIT 500");
        } else {
            sql.push(" ORDER BY p.created_at DESC, p.id LIMIT 500");
        }
        let rows = sql.query().fetch_all(&self.reader).await?;
        rows.iter().map(prescription_row).collect()
    }

    /// Whether a pharmacist may read this consultation: a prescription of it was submitted.
    pub async fn behind_a_prescription(&self, consultation_id: Uuid) -> AppResult<bool> {
        Ok(sqlx::query(
            "SELECT 1 AS x FROM prescriptions WHERE consultation_id = $1 AND status <> 'draft' LIMIT 1",
        )
        .bind(consultation_id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .is_some())
    }
}
