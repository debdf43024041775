//! A client's thread in pages, each message with its author's name and, for mine to the client,
//! how far it got; what still waits in the outbox at its end.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use careline_protocol::{AuthorKind, Message};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::Views;
use crate::outbox::Op;
use crate::CoreResult;

/// How far a message of mine got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// In the outbox: not confirmed by the server yet (offline, or on its way).
    Pending,
    /// Refused by the server; kept for the operator to retry or dismiss.
    Failed,
    /// Stored by the server (and on its way to the client's devices).
    Sent,
    /// The client's app confirmed it has the message.
    Delivered,
    /// The client read it.
    Read,
}

/// A participant's positions in a consultation (seqs; 0 when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Positions {
    pub read: i64,
    /// Never below `read`.
    pub delivered: i64,
}

impl Positions {
    /// How far the message `seq`, sent to this participant, got.
    pub fn state_of(&self, seq: i64) -> SendState {
        if self.read >= seq {
            SendState::Read
        } else if self.delivered >= seq {
            SendState::Delivered
        } else {
            SendState::Sent
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageRow {
    pub message: Message,
    pub author_name: Option<String>,
    /// For staff messages to the client: sent, delivered or read; client, system and
    /// internal messages have none.
    pub state: Option<SendState>,
}

/// A message still in the outbox, shown at the end of its thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingMessage {
    pub outbox_id: i64,
    pub client_msg_id: Uuid,
    pub consultation_id: Uuid,
    pub body: String,
    pub internal: bool,
    pub state: SendState,
    /// Why it was refused: the server's code (or `unexpected_answer`) and its words.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A page of a client's thread, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadPage {
    pub messages: Vec<MessageRow>,
    /// More messages exist beyond the page in the direction it was asked for: older ones
    /// before a page of older or newest messages, newer ones after a page of newer messages.
    pub has_more: bool,
    /// Only with the page that reaches the newest message.
    pub pending: Vec<PendingMessage>,
}

impl Views<'_> {
    /// Up to which seq `reader` has read the consultation.
    pub async fn read_position(&self, consultation_id: Uuid, reader: Uuid) -> CoreResult<i64> {
        Ok(self.positions(consultation_id, reader).await?.read)
    }

    /// Up to which seq `reader` has read the consultation, and up to which its device has it.
    pub async fn positions(&self, consultation_id: Uuid, reader: Uuid) -> CoreResult<Positions> {
        let row = sqlx::query(
            "SELECT seq, delivered_seq FROM reads WHERE consultation_id = ? AND reader_id = ?",
        )
        .bind(consultation_id.to_string())
        .bind(reader.to_string())
        .fetch_optional(self.cache.pool())
        .await?;
        Ok(row.map_or(Positions::default(), |r| {
            let read: i64 = r.get(0);
            Positions {
                read,
                delivered: r.get::<i64, _>(1).max(read),
            }
        }))
    }

    /// A page of a client's thread, oldest first, `limit` messages before `before_seq` (or the
    /// newest); the newest page also carries what still waits in the outbox for this thread.
    /// `has_more`: older messages exist before the page.
    pub async fn thread_page(
        &self,
        client_id: Uuid,
        before_seq: Option<i64>,
        limit: i64,
    ) -> CoreResult<ThreadPage> {
        let mut messages = self.cache.thread(client_id, before_seq, limit + 1).await?;
        let has_more = messages.len() as i64 > limit;
        if has_more {
            messages.remove(0);
        }
        let pending = if before_seq.is_none() {
            self.pending_messages(client_id).await?
        } else {
            Vec::new()
        };
        Ok(ThreadPage {
            messages: self.message_rows(client_id, messages).await?,
            has_more,
            pending,
        })
    }

    /// `limit` messages of a client's thread after `after_seq`, oldest first (to page back
    /// towards the newest after jumping into the history). `has_more`: newer messages exist
    /// after the page; when there are none, the page carries the outbox's messages too.
    pub async fn thread_page_after(
        &self,
        client_id: Uuid,
        after_seq: i64,
        limit: i64,
    ) -> CoreResult<ThreadPage> {
        let mut messages = self
            .cache
            .thread_after(client_id, after_seq, limit + 1)
            .await?;
        let has_more = messages.len() as i64 > limit;
        messages.truncate(limit as usize);
        let pending = if has_more {
            Vec::new()
        } else {
            self.pending_messages(client_id).await?
        };
        Ok(ThreadPage {
            messages: self.message_rows(client_id, messages).await?,
            has_more,
            pending,
        })
    }

    /// Messages with their authors' names and, for mine to the client, how far they got.
    async fn message_rows(
        &self,
        client_id: Uuid,
        messages: Vec<Message>,
    ) -> CoreResult<Vec<MessageRow>> {
        let operators = self.operator_names().await?;
        // The client's positions in each consultation of the page.
        let mut client_at: HashMap<Uuid, Positions> = HashMap::new();
        for m in &messages {
            if let Entry::Vacant(slot) = client_at.entry(m.consultation_id) {
                slot.insert(self.positions(m.consultation_id, client_id).await?);
            }
        }
        Ok(messages
            .into_iter()
            .map(|m| {
                let state = (m.author_kind == AuthorKind::Operator && !m.internal)
                    .then(|| client_at[&m.consultation_id].state_of(m.seq));
                let author_name = m.author_id.and_then(|a| operators.get(&a).cloned());
                MessageRow {
                    message: m,
                    author_name,
                    state,
                }
            })
            .collect())
    }

    /// Messages of the outbox for consultations of this client.
    async fn pending_messages(&self, client_id: Uuid) -> CoreResult<Vec<PendingMessage>> {
        let mut out = Vec::new();
        for e in self.cache.outbox().await? {
            let Op::SendMessage {
                consultation_id,
                message,
            } = &e.op
            else {
                continue;
            };
            match self.cache.consultation(*consultation_id).await? {
                Some(c) if c.client_id == client_id => {}
                _ => continue,
            }
            out.push(PendingMessage {
                outbox_id: e.id,
                client_msg_id: message.client_msg_id,
                consultation_id: *consultation_id,
                body: message.body.clone(),
                internal: message.internal,
                state: if e.state == "failed" {
                    SendState::Failed
                } else {
                    SendState::Pending
                },
                error_code: e.error_code.clone(),
                error_message: e.error_message.clone(),
            });
        }
        Ok(out)
    }
}
