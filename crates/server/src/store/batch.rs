//! Group commit of messages, the hot path of the server. Messages without attachments that
//! arrive while a transaction is running are written together in the next one: a handful of
//! multi-row statements and one commit for up to `MAX_BATCH` messages, instead of a transaction
//! each. Each message is still checked on its own and answered on its own; the answer is sent
//! only after the commit. Anything unusual (a closed consultation that must be reopened, the
//! very first message of one, a duplicate key inside the batch) is set aside and sent alone
//! after the batch, and if the batch fails as a whole every message is retried alone — so the
//! batch is only ever an optimisation of `send_message_one`, never a different behaviour.

use careline_protocol::{Message, SendMessageRequest};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::domain::Actor;
use crate::error::{AppError, AppResult};

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

    pub(crate) async fn send(&self, consultation_id: Uuid, actor: Actor, req: SendMessageRequest) -> AppResult<Message> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Job { consultation_id, actor, req, reply }).await.map_err(|_| AppError::Other("the message writer has stopped".into()))?;
        answer.await.map_err(|_| AppError::Other("the message writer dropped a message".into()))?
    }
}

pub(crate) struct BatchQueue {
    pub(crate) rx: mpsc::Receiver<Job>,
}
