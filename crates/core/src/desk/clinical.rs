//! Clinical records from the desk. A doctor's prescription drafts go through the outbox (written
//! offline too, shown at once from the cache, sent when the server is reachable); a
//! pharmacist's review and a doctor's cancellation, and refunds, need the server and are kept
//! as their events would have them. The cache answers the chat's list and the review queue.

use careline_protocol::{
    check_prescription, check_prescription_draft, EventData, Message, Prescription,
    PrescriptionProblem, PrescriptionQuery, PrescriptionRequest, PrescriptionStatus, Refund,
    RefundQuery, RefundRequest, RefundStatus,
};
use chrono::Utc;
use sqlx::Row;
use uuid::Uuid;

use super::Desk;
use crate::outbox::Op;
use crate::{CoreError, CoreResult};

/// A step of a prescription the desk takes online: a pharmacist approves or rejects (with a
/// reason), its doctor cancels an approved one (with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionStep {
    Approve,
    Reject,
    Cancel,
}

impl PrescriptionStep {
    fn path(self) -> &'static str {
        match self {
            PrescriptionStep::Approve => "approve",
            PrescriptionStep::Reject => "reject",
            PrescriptionStep::Cancel => "cancel",
        }
    }
}

/// Clinical records, borrowed from the desk ([`Desk::clinical`]).
pub struct Clinical<'a> {
    pub(super) desk: &'a Desk,
}

/// A check's problems as the refusal the window shows (the window also runs the check itself,
/// field by field, before it asks).
fn refuse(problems: Vec<PrescriptionProblem>) -> CoreResult<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(CoreError::Refused(careline_protocol::ApiError::new(
        careline_protocol::ErrorCode::ValidationFailed,
        serde_json::to_string(&problems).unwrap_or_default(),
    )))
}

fn not_found(what: &str) -> CoreError {
    CoreError::Refused(careline_protocol::ApiError::new(
        careline_protocol::ErrorCode::NotFound,
        format!("{what} not found"),
    ))
}

impl Clinical<'_> {
    /// A consultation's prescriptions, oldest first, from the cache (offline too).
    pub async fn of_consultation(&self, consultation: Uuid) -> CoreResult<Vec<Prescription>> {
        let rows = sqlx::query(
            "SELECT data FROM prescriptions WHERE consultation_id = ? \
             ORDER BY json_extract(data, '$.created_at'), id",
        )
        .bind(consultation.to_string())
        .fetch_all(self.desk.cache.pool())
        .await?;
        rows.iter()
            .map(|r| crate::cache::parse::<Prescription>(r.get(0)))
            .collect()
    }

    /// Prescriptions in one state, from the cache: `submitted` is the pharmacists' review
    /// queue (oldest submission first); others newest change first.
    pub async fn by_status(&self, status: PrescriptionStatus) -> CoreResult<Vec<Prescription>> {
        let order = if status == PrescriptionStatus::Submitted {
            "json_extract(data, '$.submitted_at'), id"
        } else {
            "updated_at DESC, id"
        };
        let rows = sqlx::query(&format!(
            "SELECT data FROM prescriptions WHERE status = ? ORDER BY {order} LIMIT 500"
        ))
        .bind(status.as_str())
        .fetch_all(self.desk.cache.pool())
        .await?;
        rows.iter()
            .map(|r| crate::cache::parse::<Prescription>(r.get(0)))
            .collect()
    }

    /// One prescription from the cache.
    pub async fn get(&self, id: Uuid) -> CoreResult<Option<Prescription>> {
        let row = sqlx::query("SELECT data FROM prescriptions WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(self.desk.cache.pool())
            .await?;
        row.map(|r| crate::cache::parse::<Prescription>(r.get(0)))
            .transpose()
    }

    /// Saves a draft: a new one (`id` none) in the consultation, or a revision of a draft or a
    /// rejected one. Shown at once; sent through the outbox. Returns the prescription's id.
    pub async fn save(
        &self,
        consultation: Uuid,
        id: Option<Uuid>,
        mut req: PrescriptionRequest,
    ) -> CoreResult<Uuid> {
        refuse(check_prescription_draft(&req.items))?;
        let session = &self.desk.session;
        let shown = match id {
            None => {
                let c = self
                    .desk
                    .cache
                    .consultation(consultation)
                    .await?
                    .ok_or_else(|| not_found("consultation"))?;
                let id = Uuid::now_v7();
                req.id = Some(id);
                // `updated_at` at the epoch: whatever the server says of it wins.
                Prescription {
                    id,
                    consultation_id: consultation,
                    client_id: c.client_id,
                    prescriber_id: session.user_id,
                    prescriber_name: session.user_name.clone(),
                    status: PrescriptionStatus::Draft,
                    items: req.items.clone(),
                    note: req.note.clone(),
                    revision: 0,
                    reviewer_id: None,
                    reviewer_name: None,
                    reviewed_at: None,
                    reason: None,
                    created_at: Utc::now(),
                    updated_at: chrono::DateTime::UNIX_EPOCH,
                    submitted_at: None,
                }
            }
            Some(id) => {
                let mut p = self
                    .get(id)
                    .await?
                    .ok_or_else(|| not_found("prescription"))?;
                p.items = req.items.clone();
                p.note = req.note.clone();
                p
            }
        };
        self.keep(shown.clone()).await?;
        let op = match id {
            None => Op::CreatePrescription {
                consultation_id: consultation,
                prescription: req,
            },
            Some(id) => Op::UpdatePrescription {
                prescription_id: id,
                prescription: req,
            },
        };
        self.desk.act(op).await?;
        Ok(shown.id)
    }

    /// Sends a saved draft for review, after the check (items complete, no medication twice).
    pub async fn submit(&self, id: Uuid) -> CoreResult<()> {
        let p = self
            .get(id)
            .await?
            .ok_or_else(|| not_found("prescription"))?;
        refuse(check_prescription(&p.items))?;
        self.desk
            .act(Op::SubmitPrescription {
                prescription_id: id,
            })
            .await?;
        Ok(())
    }

    /// `approve` or `reject` (a pharmacist; a rejection with a reason), or `cancel` (its
    /// doctor, with a reason): online.
    pub async fn step(
        &self,
        id: Uuid,
        step: PrescriptionStep,
        reason: Option<String>,
    ) -> CoreResult<Prescription> {
        let p = self
            .desk
            .remote
            .prescription_step(id, step.path(), reason)
            .await?;
        self.keep(p.clone()).await?;
        Ok(p)
    }

    /// The server's prescriptions in a state (the review queue after a long time offline, say),
    /// kept in the cache.
    pub async fn refresh(&self, status: PrescriptionStatus) -> CoreResult<Vec<Prescription>> {
        let list = self
            .desk
            .remote
            .prescriptions(&PrescriptionQuery {
                status: Some(status),
                ..Default::default()
            })
            .await?;
        for p in &list {
            self.keep(p.clone()).await?;
        }
        Ok(list)
    }

    /// The messages of the consultation behind a prescription, as its client sees them (a
    /// pharmacist's desk keeps no chats): the last hundred, oldest first.
    pub async fn thread(&self, consultation: Uuid) -> CoreResult<Vec<Message>> {
        self.desk
            .remote
            .consultation_messages(consultation, 100)
            .await
    }

    /// Refunds (an admin's list; `requested` are those waiting for a decision), kept.
    pub async fn refunds(&self, status: Option<RefundStatus>) -> CoreResult<Vec<Refund>> {
        let list = self
            .desk
            .remote
            .refunds(&RefundQuery {
                status,
                ..Default::default()
            })
            .await?;
        self.desk
            .cache
            .apply_state(list.iter().cloned().map(EventData::Refund).collect(), None)
            .await?;
        Ok(list)
    }

    /// Staff ask for a refund of a consultation (up to what is left of its price).
    pub async fn request_refund(
        &self,
        consultation: Uuid,
        amount: i64,
        reason: String,
    ) -> CoreResult<Refund> {
        let r = self
            .desk
            .remote
            .request_refund(consultation, &RefundRequest { amount, reason })
            .await?;
        self.keep_refund(r.clone()).await?;
        Ok(r)
    }

    /// An admin approves, or rejects with a reason.
    pub async fn decide_refund(
        &self,
        id: Uuid,
        approve: bool,
        reason: Option<String>,
    ) -> CoreResult<Refund> {
        let step = if approve { "approve" } else { "reject" };
        let r = self.desk.remote.decide_refund(id, step, reason).await?;
        self.keep_refund(r.clone()).await?;
        Ok(r)
    }

    /// The clinic's consent texts (an admin sees the inactive ones too; online).
    pub async fn consent_texts(&self) -> CoreResult<Vec<careline_protocol::Consent>> {
        self.desk.remote.consents().await
    }

    /// An admin writes a new text or edits one (new words make a new version; online).
    pub async fn save_consent_text(
        &self,
        id: Option<Uuid>,
        req: careline_protocol::ConsentRequest,
    ) -> CoreResult<careline_protocol::Consent> {
        self.desk.remote.save_consent(id, &req).await
    }

    /// Where a client stands with each consent, and every answer (online).
    pub async fn consents_of(
        &self,
        client: Uuid,
    ) -> CoreResult<Vec<careline_protocol::ClientConsent>> {
        self.desk.remote.client_consents(client).await
    }

    /// Records what a client said by phone: accepted (the text as it stands, `version`) or
    /// withdrew, with a note (the call). Online.
    pub async fn record_consent(
        &self,
        consent: Uuid,
        client: Uuid,
        accept: bool,
        version: i64,
        note: Option<String>,
    ) -> CoreResult<careline_protocol::ConsentRecord> {
        let action = if accept { "accept" } else { "withdraw" };
        self.desk
            .remote
            .answer_consent(
                consent,
                action,
                &careline_protocol::ConsentAnswer {
                    version,
                    client_id: Some(client),
                    note,
                },
            )
            .await
    }

    /// A consultation's refunds from the cache.
    pub async fn refunds_of(&self, consultation: Uuid) -> CoreResult<Vec<Refund>> {
        let rows = sqlx::query(
            "SELECT data FROM refunds WHERE consultation_id = ? ORDER BY created_at, id",
        )
        .bind(consultation.to_string())
        .fetch_all(self.desk.cache.pool())
        .await?;
        rows.iter()
            .map(|r| crate::cache::parse::<Refund>(r.get(0)))
            .collect()
    }

    async fn keep(&self, p: Prescription) -> CoreResult<()> {
        self.desk
            .cache
            .apply_state(vec![EventData::Prescription(p)], None)
            .await
            .map(|_| ())
    }

    async fn keep_refund(&self, r: Refund) -> CoreResult<()> {
        self.desk
            .cache
            .apply_state(vec![EventData::Refund(r)], None)
            .await
            .map(|_| ())
    }
}
