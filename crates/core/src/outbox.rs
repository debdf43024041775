//! The outbox: everything the operator does is written to the cache first, with its
//! idempotency key, shown as pending, and sent in order when the server is reachable. Each
//! operation is applied exactly once whatever the retries: it is sent with its key as
//! `Idempotency-Key`, and the server answers a retry with the first answer (messages also carry
//! their `client_msg_id`, attempts their `key`). A refusal is kept (`failed`, with the
//! server's code) and surfaced, never dropped.

use careline_protocol::{
    AssignRequest, AttemptOutcome, AttemptRequest, CloseRequest, CreateCallbackRequest,
    CreateClientRequest, Erasure, EventData, MessageKind, Presence, Priority,
    ReadRequest, ReleaseRequest, SendMessageRequest, TransferRequest, UpdateClientRequest,
    UpdateConsultationRequest,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::{Cache, CoreError, CoreResult, Remote};

/// An operation waiting for the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    SendMessage {
        consultation_id: Uuid,
        message: SendMessageRequest,
    },
    SetStatus {
        status: Presence,
    },
    Take {
        consultation_id: Uuid,
    },
    Release {
        consultation_id: Uuid,
    },
    Close {
        consultation_id: Uuid,
        summary: Option<String>,
    },
    /// To a colleague; an admin may go past the receiver's capacity.
    Transfer {
        consultation_id: Uuid,
        operator_id: Uuid,
        note: Option<String>,
        #[serde(default)]
        over_capacity: bool,
    },
    /// An admin gives a queued consultation to an operator.
    Assign {
        consultation_id: Uuid,
        operator_id: Uuid,
        note: Option<String>,
        #[serde(default)]
        over_capacity: bool,
    },
    ClaimCallback {
        callback_id: Uuid,
    },
    ReleaseCallback {
        callback_id: Uuid,
    },
    /// Priority and/or tags.
    Update {
        consultation_id: Uuid,
        priority: Option<Priority>,
        tags: Option<Vec<String>>,
    },
    /// Everything up to `seq` in the consultation was read.
    Read {
        consultation_id: Uuid,
        seq: i64,
    },
    CancelCallback {
        callback_id: Uuid,
    },
    /// A client's profile edited by staff.
    UpdateClient {
        client_id: Uuid,
        changes: UpdateClientRequest,
    },
    /// Reception records a client; `client.id` is set by the desk, so the record is in the
    /// cache (and can get a callback request) before the server has it.
    CreateClient {
        client: careline_protocol::CreateClientRequest,
    },
    /// A callback request made by staff; `callback.id` is set by the desk, as for a client.
    CreateCallback {
        callback: careline_protocol::CreateCallbackRequest,
    },
    /// `key` makes a retried attempt count once on the server.
    CallbackAttempt {
        callback_id: Uuid,
        outcome: AttemptOutcome,
        note: Option<String>,
        key: Uuid,
    },
    /// A new prescription's draft; `prescription.id` is set by the desk, so the draft is in
    /// the cache (and can be revised and submitted) before the server has it.
    CreatePrescription {
        consultation_id: Uuid,
        prescription: careline_protocol::PrescriptionRequest,
    },
    /// A draft (or a rejected one) revised.
    UpdatePrescription {
        prescription_id: Uuid,
        prescription: careline_protocol::PrescriptionRequest,
    },
    /// Sent for the pharmacist's review.
    SubmitPrescription {
        prescription_id: Uuid,
    },
}

impl Op {
    /// A call attempt with a fresh idempotency key.
    pub fn attempt(callback_id: Uuid, outcome: AttemptOutcome, note: Option<String>) -> Op {
        Op::CallbackAttempt {
            callback_id,
            outcome,
            note,
            key: Uuid::now_v7(),
        }
    }

    /// A text message (or internal note) with a fresh idempotency key.
    pub fn text(consultation_id: Uuid, body: &str, internal: bool) -> Op {
        Op::SendMessage {
            consultation_id,
            message: SendMessageRequest {
                client_msg_id: Uuid::now_v7(),
                kind: MessageKind::Text,
                body: body.into(),
                attachment_id: None,
                internal,
            },
        }
    }
}

/// A row of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Entry {
    pub id: i64,
    pub op: Op,
    pub state: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub attempts: i64,
    /// Sent as Idempotency-Key.
    pub key: String,
}

/// What one flush did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flushed {
    pub sent: usize,
    pub refused: usize,
    /// The server could not be reached; what is left stays pending.
    pub offline: bool,
    /// The server no longer accepts the session (revoked, expired, account disabled); what is
    /// left stays pending for the next login of the same operator.
    pub session_ended: Option<careline_protocol::ApiError>,
}

impl Cache {
    /// Queues an operation; returns its outbox id.
    pub async fn enqueue(&self, op: &Op) -> CoreResult<i64> {
        let text = serde_json::to_string(op).expect("ops serialize");
        let row = sqlx::query(
            "INSERT INTO outbox (op, op_key, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(text)
        .bind(Uuid::now_v7().to_string())
        .bind(chrono::Utc::now().timestamp_millis())
        .fetch_one(self.pool())
        .await?;
        Ok(row.get(0))
    }

    /// Entries in order: pending ones, and refused ones kept for the operator to see.
    pub async fn outbox(&self) -> CoreResult<Vec<Entry>> {
        let rows = sqlx::query("SELECT id, op, state, error_code, error_message, attempts, COALESCE(op_key, '') FROM outbox ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    id: r.get(0),
                    op: serde_json::from_str(r.get::<&str, _>(1))
                        .map_err(|e| CoreError::Corrupt(format!("outbox: {e}")))?,
                    state: r.get(2),
                    error_code: r.get(3),
                    error_message: r.get(4),
                    attempts: r.get(5),
                    key: r.get(6),
                })
            })
            .collect()
    }

    /// Sends a refused entry again (the operator fixed what was wrong, or wants to try anyway).
    pub async fn retry(&self, id: i64) -> CoreResult<()> {
        sqlx::query("UPDATE outbox SET state = 'pending', error_code = NULL, error_message = NULL WHERE id = ? AND state = 'failed'")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops a refused entry the operator has seen.
    pub async fn dismiss(&self, id: i64) -> CoreResult<()> {
        sqlx::query("DELETE FROM outbox WHERE id = ? AND state = 'failed'")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A record the desk showed before the server had it, taken back because the server
    /// refused to create it (a phone another client has, say): the refusal stays in the outbox.
    async fn drop_provisional(&self, op: &Op) -> CoreResult<()> {
        match op {
            Op::CreateClient {
                client: CreateClientRequest { id: Some(id), .. },
            } => {
                self.apply_state(vec![EventData::Erased(Erasure { client_id: *id })], None)
                    .await?;
            }
            Op::CreateCallback {
                callback: CreateCallbackRequest { id: Some(id), .. },
            } => {
                sqlx::query("DELETE FROM callbacks WHERE id = ?")
                    .bind(id.to_string())
                    .execute(self.pool())
                    .await?;
            }
            // A draft the server never had (refused: not this doctor's consultation, say).
            Op::CreatePrescription {
                prescription:
                    careline_protocol::PrescriptionRequest { id: Some(id), .. },
                ..
            } => {
                sqlx::query("DELETE FROM prescriptions WHERE id = ? AND updated_at = 0")
                    .bind(id.to_string())
                    .execute(self.pool())
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends pending operations in order until done or the server is unreachable.
    pub async fn flush(&self, remote: &Remote) -> CoreResult<Flushed> {
        let mut result = Flushed::default();
        for entry in self
            .outbox()
            .await?
            .into_iter()
            .filter(|e| e.state == "pending")
        {
            sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?")
                .bind(entry.id)
                .execute(self.pool())
                .await?;
            let keyed = if entry.key.is_empty() {
                remote.clone()
            } else {
                remote.keyed(&entry.key)
            };
            match send(&keyed, &entry.op).await {
                Ok(stored) => {
                    sqlx::query("DELETE FROM outbox WHERE id = ?")
                        .bind(entry.id)
                        .execute(self.pool())
                        .await?;
                    // A sent message (a created record) is in the cache at once, before its
                    // event arrives (applying the event later is an upsert).
                    if let Some(d) = stored {
                        self.apply_state(vec![d], None).await?;
                    }
                    result.sent += 1;
                }
                Err(CoreError::Refused(e))
                    if e.code.ends_session() =>
                {
                    result.session_ended = Some(e);
                    return Ok(result);
                }
                Err(CoreError::Refused(e)) => {
                    self.drop_provisional(&entry.op).await?;
                    sqlx::query("UPDATE outbox SET state = 'failed', error_code = ?, error_message = ? WHERE id = ?")
                        .bind(serde_json::to_value(e.code).ok().and_then(|v| v.as_str().map(str::to_owned)))
                        .bind(&e.message)
                        .bind(entry.id)
                        .execute(self.pool())
                        .await?;
                    result.refused += 1;
                }
                // An answer the desk does not understand will not change on a retry: the
                // operation is shown as failed with what came back, and the queue moves on.
                Err(CoreError::Unexpected { status, detail }) => {
                    sqlx::query("UPDATE outbox SET state = 'failed', error_code = 'unexpected_answer', error_message = ? WHERE id = ?")
                        .bind(format!("HTTP {status}: {detail}"))
                        .bind(entry.id)
                        .execute(self.pool())
                        .await?;
                    result.refused += 1;
                }
                Err(CoreError::Unreachable(_)) | Err(CoreError::Unavailable { .. }) => {
                    result.offline = true;
                    return Ok(result);
                }
                Err(other) => return Err(other),
            }
        }
        Ok(result)
    }
}

/// Sends one operation; a message, a client or a callback request comes back as the server
/// stored it.
async fn send(remote: &Remote, op: &Op) -> CoreResult<Option<EventData>> {
    match op {
        Op::SendMessage {
            consultation_id,
            message,
        } => remote
            .send_message(*consultation_id, message)
            .await
            .map(|m| Some(EventData::Message(m))),
        Op::CreateClient { client } => remote
            .create_client(client)
            .await
            .map(|c| Some(EventData::Client(c))),
        Op::CreateCallback { callback } => remote
            .create_callback(callback)
            .await
            .map(|c| Some(EventData::Callback(c))),
        Op::CreatePrescription {
            consultation_id,
            prescription,
        } => remote
            .create_prescription(*consultation_id, prescription)
            .await
            .map(|p| Some(EventData::Prescription(p))),
        Op::UpdatePrescription {
            prescription_id,
            prescription,
        } => remote
            .update_prescription(*prescription_id, prescription)
            .await
            .map(|p| Some(EventData::Prescription(p))),
        Op::SubmitPrescription { prescription_id } => remote
            .prescription_step(*prescription_id, "submit", None)
            .await
            .map(|p| Some(EventData::Prescription(p))),
        _ => send_change(remote, op).await.map(|_| None),
    }
}

async fn send_change(remote: &Remote, op: &Op) -> CoreResult<()> {
    match op {
        Op::SendMessage { .. }
        | Op::CreateClient { .. }
        | Op::CreateCallback { .. }
        | Op::CreatePrescription { .. }
        | Op::UpdatePrescription { .. }
        | Op::SubmitPrescription { .. } => {
            unreachable!("sent by `send`")
        }
        Op::SetStatus { status } => remote.set_status(*status).await.map(|_| ()),
        Op::Take { consultation_id } => remote.take(*consultation_id).await.map(|_| ()),
        Op::Release { consultation_id } => remote
            .release(*consultation_id, &ReleaseRequest::default())
            .await
            .map(|_| ()),
        Op::Close {
            consultation_id,
            summary,
        } => remote
            .close(
                *consultation_id,
                &CloseRequest {
                    summary: summary.clone(),
                },
            )
            .await
            .map(|_| ()),
        Op::Transfer {
            consultation_id,
            operator_id,
            note,
            over_capacity,
        } => remote
            .transfer(
                *consultation_id,
                &TransferRequest {
                    operator_id: *operator_id,
                    note: note.clone(),
                    over_capacity: *over_capacity,
                },
            )
            .await
            .map(|_| ()),
        Op::Assign {
            consultation_id,
            operator_id,
            note,
            over_capacity,
        } => remote
            .assign(
                *consultation_id,
                &AssignRequest {
                    operator_id: *operator_id,
                    note: note.clone(),
                    over_capacity: *over_capacity,
                },
            )
            .await
            .map(|_| ()),
        Op::Update {
            consultation_id,
            priority,
            tags,
        } => remote
            .update_consultation(
                *consultation_id,
                &UpdateConsultationRequest {
                    priority: *priority,
                    tags: tags.clone(),
                },
            )
            .await
            .map(|_| ()),
        Op::Read {
            consultation_id,
            seq,
        } => {
            remote
                .mark_read(*consultation_id, &ReadRequest { seq: *seq })
                .await
        }
        Op::CancelCallback { callback_id } => {
            remote.cancel_callback(*callback_id).await.map(|_| ())
        }
        Op::UpdateClient { client_id, changes } => {
            remote.update_client(*client_id, changes).await.map(|_| ())
        }
        Op::ClaimCallback { callback_id } => remote.claim_callback(*callback_id).await.map(|_| ()),
        Op::ReleaseCallback { callback_id } => {
            remote.release_callback(*callback_id).await.map(|_| ())
        }
        Op::CallbackAttempt {
            callback_id,
            outcome,
            note,
            key,
        } => remote
            .callback_attempt(
                *callback_id,
                &AttemptRequest {
                    outcome: *outcome,
                    note: note.clone(),
                    key: Some(*key),
                },
            )
            .await
            .map(|_| ()),
    }
}
