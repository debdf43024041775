//! The group commit of messages on the embedded engine, through its native writer
//! (`db::sqlite_writer`): the same checks and the same rows as `batch_writer`'s sqlx plan, as
//! one job on the writer's thread with prepared statements. What that plan would emit a
//! consultation event for (a first response), or what it sets aside, goes alone here too —
//! and so does everything after it in the same consultation, so a thread keeps its order.

use std::collections::{HashMap, HashSet};

use careline_protocol::{AuthorKind, Message, MessageKind, Role};
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::batch::{verdict, Facts, Outcome, Verdict};
use crate::db::sqlite_writer::native;
use crate::db::{Audience, StoredEvent};
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::time::from_ms;

/// One message of a batch, as the writer's thread needs it.
pub(crate) struct NativeJob {
    pub consultation_id: Uuid,
    pub actor: Actor,
    pub kind: MessageKind,
    /// Trimmed.
    pub body: String,
    pub client_msg_id: Uuid,
    pub internal: bool,
    /// A red-flag rule fires on it (checked before the hand-off).
    pub red_flag: bool,
}

/// What a committed batch produced.
pub(crate) struct Written {
    pub outcomes: Vec<Outcome>,
    /// The events of the stored messages, for the hub.
    pub events: Vec<StoredEvent>,
}

/// Writes a batch in one transaction. An error means nothing was written.
pub(crate) fn write(
    conn: &mut rusqlite::Connection,
    jobs: &[NativeJob],
    now: i64,
) -> AppResult<Written> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(native)?;
    let mut outcomes: Vec<Outcome> = jobs.iter().map(|_| Outcome::Alone).collect();
    let mut facts: HashMap<Uuid, Option<Facts>> = HashMap::new();
    // Consultations with a job set aside: their later jobs go alone too, after it.
    let mut aside: HashSet<Uuid> = HashSet::new();
    let mut keys: HashSet<(Uuid, Uuid)> = HashSet::new();
    let mut planned: Vec<usize> = Vec::new();
    {
        let mut known = tx
            .prepare_cached("SELECT 1 FROM messages WHERE client_msg_id = ?1 AND author_id = ?2")
            .map_err(native)?;
        let mut load = tx
            .prepare_cached(
                "SELECT client_id, status, operator_id, last_message_at IS NULL AND taken_at IS NULL, first_response_at IS NOT NULL \
                 FROM consultations WHERE id = ?1",
            )
            .map_err(native)?;
        for (i, j) in jobs.iter().enumerate() {
            // A key twice in the batch, or one already stored: alone, where the stored message answers.
            let (author, key) = (j.actor.id.to_string(), j.client_msg_id.to_string());
            if !keys.insert((j.actor.id, j.client_msg_id))
                || known.exists(params![key, author]).map_err(native)?
            {
                continue;
            }
            if aside.contains(&j.consultation_id) {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = facts.entry(j.consultation_id)
            {
                let row = load
                    .query_row(params![j.consultation_id.to_string()], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, bool>(4)?,
                        ))
                    })
                    .optional()
                    .map_err(native)?;
                let row = match row {
                    Some((client, status, operator, silent, answered)) => Some(Facts {
                        client_id: parse_uuid(&client)?,
                        status: status.parse().map_err(|_| {
                            AppError::Corrupt(format!("consultation status {status:?}"))
                        })?,
                        operator_id: operator.as_deref().map(parse_uuid).transpose()?,
                        silent,
                        answered,
                    }),
                    None => None,
                };
                slot.insert(row);
            }
            let Some(c) = facts.get_mut(&j.consultation_id).and_then(Option::as_mut) else {
                outcomes[i] = Outcome::Refused(AppError::not_found("consultation"));
                continue;
            };
            match verdict(j.actor, j.internal, j.red_flag, c) {
                Verdict::Refuse(e) => {
                    outcomes[i] = Outcome::Refused(e);
                    continue;
                }
                // A first response changes the consultation: its event is emitted alone.
                Verdict::Alone
                | Verdict::Write {
                    first_response: true,
                } => {
                    aside.insert(j.consultation_id);
                    continue;
                }
                Verdict::Write {
                    first_response: false,
                } => {}
            }
            c.silent = false;
            planned.push(i);
        }
    }
    if planned.is_empty() {
        return Ok(Written {
            outcomes,
            events: Vec::new(),
        }); // rolled back: nothing written
    }

    let n = planned.len() as i64;
    let last: i64 = tx
        .query_row(
            "UPDATE counters SET value = value + ?1 WHERE name = 'seq' RETURNING value",
            params![n],
            |r| r.get(0),
        )
        .map_err(native)?;
    let mut seq = last - n + 1;
    let mut events = Vec::with_capacity(planned.len());
    let mut touched: HashSet<Uuid> = HashSet::new();
    {
        let mut insert_message = tx
            .prepare_cached(
                "INSERT INTO messages (id, consultation_id, client_id, author_kind, author_id, kind, body, client_msg_id, internal, created_at, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(native)?;
        let mut insert_event =
            tx.prepare_cached("INSERT INTO events (seq, kind, client_id, staff_only, data, at) VALUES (?1, 'message', ?2, ?3, ?4, ?5)").map_err(native)?;
        for &i in &planned {
            let j = &jobs[i];
            let client_id = facts[&j.consultation_id]
                .as_ref()
                .map(|c| c.client_id)
                .ok_or_else(|| AppError::Other("planned without a consultation".into()))?;
            let m = Message {
                id: careline_protocol::new_id(),
                consultation_id: j.consultation_id,
                client_id,
                author_kind: if j.actor.role == Role::Client {
                    AuthorKind::Client
                } else {
                    AuthorKind::Operator
                },
                author_id: Some(j.actor.id),
                kind: j.kind,
                body: j.body.clone(),
                attachment: None,
                client_msg_id: Some(j.client_msg_id),
                internal: j.internal,
                created_at: from_ms(now),
                seq,
            };
            seq += 1;
            let client = client_id.to_string();
            insert_message
                .execute(params![
                    m.id.to_string(),
                    m.consultation_id.to_string(),
                    client,
                    m.author_kind.as_str(),
                    j.actor.id.to_string(),
                    m.kind.as_str(),
                    m.body,
                    j.client_msg_id.to_string(),
                    m.internal as i64,
                    now,
                    m.seq
                ])
                .map_err(native)?;
            let audience = if m.internal {
                Audience::Staff(Some(client_id))
            } else {
                Audience::Client(client_id)
            };
            let (event_client, staff_only) = audience.columns();
            let json = serde_json::to_string(&m)
                .map_err(|e| AppError::failed("serializing an event", e))?;
            insert_event
                .execute(params![
                    m.seq,
                    event_client.map(|c| c.to_string()),
                    staff_only,
                    json,
                    now
                ])
                .map_err(native)?;
            events.push(StoredEvent {
                seq: m.seq,
                at: from_ms(now),
                kind: "message".into(),
                data: RawValue::from_string(json).map_err(|e| AppError::failed("event JSON", e))?,
                client_id: event_client,
                staff_only: staff_only != 0,
                pharmacy: false,
            });
            touched.insert(m.consultation_id);
            outcomes[i] = Outcome::Stored(Box::new(m));
        }
        let mut update = tx
            .prepare_cached("UPDATE consultations SET last_message_at = ?1 WHERE id = ?2")
            .map_err(native)?;
        for id in &touched {
            update
                .execute(params![now, id.to_string()])
                .map_err(native)?;
        }
    }
    tx.commit().map_err(native)?;
    Ok(Written { outcomes, events })
}

fn parse_uuid(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| AppError::Corrupt(format!("id {s:?}: {e}")))
}
