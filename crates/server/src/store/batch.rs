//! Group commit of messages, the hot path of the server. Messages without attachments that
//! arrive while a transaction is running are written together in the next one: a handful of
//! multi-row statements and one commit for up to `MAX_BATCH` messages, instead of a transaction
//! each. Each message is still checked on its own and answered on its own; the answer is sent
//! only after the commit. Anything unusual (a closed consultation that must be reopened, the
//! very first message of one, a duplicate key inside the batch) is set aside and sent alone
//! after the batch, and if the batch fails as a whole every message is retried alone — so the
//! batch is only ever an optimisation of `send_message_one`, never a different behaviour.

use careline_protocol::{Consultation, ConsultationStatus, Message, Role, SendMessageRequest};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::domain::{may_post_public, Actor};
use crate::error::{AppError, AppResult};
use crate::red_flags::Matcher;

pub(crate) const MAX_BATCH: usize = 256;
pub(crate) const ROWS_PER_INSERT: usize = 24;

pub(crate) struct Job {
    pub(crate) consultation_id: Uuid,
    pub(crate) actor: Actor,
    pub(crate) req: SendMessageRequest,
    pub(crate) reply: oneshot::Sender<AppResult<Message>>,
}

/// The handle the store sends through.
#[derive(Clone)]
pub(crate) struct Batcher {
    tx: mpsc::Sender<Job>,
}

impl Batcher {
    /// A batcher whose writer starts when the store is given the queue (`start_batch_writer`).
    pub(crate) fn new() -> (Batcher, BatchQueue) {
        let (tx, rx) = mpsc::channel(8192);
        (Batcher { tx }, BatchQueue { rx })
    }

    pub(crate) async fn send(
        &self,
        consultation_id: Uuid,
        actor: Actor,
        req: SendMessageRequest,
    ) -> AppResult<Message> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job {
                consultation_id,
                actor,
                req,
                reply,
            })
            .await
            .map_err(|_| AppError::Other("the message writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Other("the message writer dropped a message".into()))?
    }
}

pub(crate) struct BatchQueue {
    pub(crate) rx: mpsc::Receiver<Job>,
}

/// What became of a job in the batch.
pub(crate) enum Outcome {
    Stored(Box<Message>),
    Refused(AppError),
    /// Sent alone after the batch, through `send_message_one`.
    Alone,
}

/// What the checks of a batched message need to know of its consultation.
pub(crate) struct Facts {
    pub client_id: Uuid,
    pub status: ConsultationStatus,
    pub operator_id: Option<Uuid>,
    /// No message yet and never taken: the first message announces it.
    pub silent: bool,
    /// An operator has answered publicly.
    pub answered: bool,
}

impl Facts {
    pub(crate) fn of(c: &Consultation) -> Facts {
        Facts {
            client_id: c.client_id,
            status: c.status,
            operator_id: c.operator_id,
            silent: c.last_message_at.is_none() && c.taken_at.is_none(),
            answered: c.first_response_at.is_some(),
        }
    }
}

/// The check of one batched message, as `send_message_one` would decide it.
pub(crate) enum Verdict {
    Refuse(AppError),
    /// Alone: it opens, announces or raises its consultation.
    Alone,
    /// Written in the batch; `first_response` when it is the consultation's first public answer.
    Write {
        first_response: bool,
    },
}

/// Checks a message of `actor` (`internal` for a staff note) against its consultation;
/// `red_flag` is whether a rule fires on it ([`fires_red_flag`]).
pub(crate) fn verdict(actor: Actor, internal: bool, red_flag: bool, c: &Facts) -> Verdict {
    let announces = c.silent && c.status == ConsultationStatus::New;
    if actor.role == Role::Client {
        if c.client_id != actor.id {
            return Verdict::Refuse(AppError::not_found("consultation"));
        }
        if c.status == ConsultationStatus::Closed || announces || red_flag {
            return Verdict::Alone;
        }
    } else if !internal {
        if let Err(e) = may_post_public(c.status, c.operator_id, actor) {
            return Verdict::Refuse(e.into());
        }
    }
    if announces {
        return Verdict::Alone;
    }
    Verdict::Write {
        first_response: actor.role != Role::Client && !internal && !c.answered,
    }
}

/// Whether a red-flag rule fires on a batched message (a client's, not a note, not empty).
pub(crate) fn fires_red_flag(req: &SendMessageRequest, actor: Actor, rules: &Matcher) -> bool {
    let body = req.body.trim();
    actor.role == Role::Client
        && !req.internal
        && !body.is_empty()
        && rules.first_match(body).is_some()
}
