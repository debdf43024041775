//! The group-commit writer of messages: takes what the store's `Batcher` queued and writes
//! each batch in one transaction (see `batch`).

use std::collections::{HashMap, HashSet};

use careline_protocol::{AuthorKind, Consultation, EventData, Message, Role};
use uuid::Uuid;

use super::consultation_rows::{consultation_row, CONSULTATION_COLS};
use super::messages::{message_row, MESSAGE_SELECT};
use super::SqlBuf;
use super::Store;
use crate::db::Audience;
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

use super::batch::{
    fires_red_flag, verdict, BatchQueue, Facts, Job, Outcome, Verdict, MAX_BATCH, ROWS_PER_INSERT,
};
use super::batch_native::{self, NativeJob};
use crate::db::sqlite_writer::NativeWriter;

impl Store {
    /// Starts the task that writes the messages sent through the store's [`Batcher`].
    pub(crate) fn start_batch_writer(&self, queue: BatchQueue) {
        let store = self.clone();
        let mut rx = queue.rx;
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(j) => jobs.push(j),
                        Err(_) => break,
                    }
                }
                // The batch runs on its own task so a panic in it cannot stop the writer.
                let store = store.clone();
                let _ = tokio::spawn(async move { write_batch(&store, jobs).await }).await;
            }
        });
    }
}

async fn write_batch(store: &Store, jobs: Vec<Job>) {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let started = std::time::Instant::now();
    let result = match &store.native {
        Some(native) => write_native(store, native, &jobs, &mut outcomes).await,
        None => plan_and_write(store, &jobs, &mut outcomes).await,
    };
    tracing::debug!(
        size = jobs.len(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "message batch written"
    );
    if let Err(e) = result {
        tracing::warn!(error = %e, size = jobs.len(), "a message batch failed; sending each alone");
        outcomes = jobs.iter().map(|_| Outcome::Alone).collect();
    }
    let mut alone = Vec::new();
    for (job, outcome) in jobs.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Stored(m) => {
                let _ = job.reply.send(Ok(*m));
            }
            Outcome::Refused(e) => {
                let _ = job.reply.send(Err(e));
            }
            Outcome::Alone => alone.push(job),
        }
    }
    for job in alone {
        let r = store
            .send_message_one(job.consultation_id, job.actor, &job.req)
            .await;
        let _ = job.reply.send(r);
    }
}

/// The batch through the embedded engine's native writer (`batch_native`).
async fn write_native(
    store: &Store,
    native: &NativeWriter,
    jobs: &[Job],
    outcomes: &mut Vec<Outcome>,
) -> AppResult<()> {
    let red_flags = store.red_flag_matcher().await?;
    let native_jobs: Vec<NativeJob> = jobs
        .iter()
        .map(|j| NativeJob {
            consultation_id: j.consultation_id,
            actor: j.actor,
            kind: j.req.kind,
            body: j.req.body.trim().to_owned(),
            client_msg_id: j.req.client_msg_id,
            internal: j.req.internal,
            red_flag: fires_red_flag(&j.req, j.actor, &red_flags),
        })
        .collect();
    // The file's one writer: sqlx's writes wait meanwhile.
    let lock = store.writer.acquire().await?;
    let now = now_ms();
    let written = match native
        .run(move |conn| batch_native::write(conn, &native_jobs, now))
        .await?
    {
        Ok(w) => w,
        Err(e) => {
            // A failed commit may still have committed: the hub reads the log rather than wait
            // (the sqlx path's `WriteTx::commit` does the same).
            store.committed.log_has_more();
            return Err(e);
        }
    };
    if !written.events.is_empty() {
        store.committed.publish(written.events);
    }
    drop(lock);
    *outcomes = written.outcomes;
    Ok(())
}

async fn plan_and_write(store: &Store, jobs: &[Job], outcomes: &mut Vec<Outcome>) -> AppResult<()> {
    outcomes.clear();
    outcomes.extend(jobs.iter().map(|_| Outcome::Alone));
    let red_flags = store.red_flag_matcher().await?;
    let mut tx = store.begin().await?;
    let now = now_ms();

    // Keys already stored answer with the stored message; a key twice in the batch goes alone.
    let mut seen: HashSet<(Uuid, Uuid)> = HashSet::new();
    let mut fresh: Vec<usize> = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        if seen.insert((j.actor.id, j.req.client_msg_id)) {
            fresh.push(i);
        }
    }
    let mut existing: HashMap<(Uuid, Uuid), Message> = HashMap::new();
    {
        let mut q = SqlBuf::new(MESSAGE_SELECT);
        let ps: Vec<String> = fresh
            .iter()
            .map(|&i| q.arg(jobs[i].req.client_msg_id.to_string()))
            .collect();
        q.and(&format!("m.client_msg_id IN ({})", ps.join(", ")));
        for row in q.query().fetch_all(tx.conn()).await? {
            let m = message_row(&row)?;
            if let (Some(a), Some(k)) = (m.author_id, m.client_msg_id) {
                existing.insert((a, k), m);
            }
        }
    }
    let mut consultations: HashMap<Uuid, Consultation> = HashMap::new();
    {
        let ids: HashSet<Uuid> = fresh.iter().map(|&i| jobs[i].consultation_id).collect();
        let mut q = SqlBuf::new(&format!("SELECT {CONSULTATION_COLS} FROM consultations"));
        let ps: Vec<String> = ids.iter().map(|id| q.arg(id.to_string())).collect();
        q.and(&format!("id IN ({})", ps.join(", ")));
        for row in q.query().fetch_all(tx.conn()).await? {
            let c = consultation_row(&row)?;
            consultations.insert(c.id, c);
        }
    }

    // Check each message as `send_message_one` would; plan what to write.
    struct Planned {
        job: usize,
        consultation: Uuid,
        first_response: bool,
    }
    let mut planned: Vec<Planned> = Vec::new();
    for &i in &fresh {
        let j = &jobs[i];
        if let Some(m) = existing.get(&(j.actor.id, j.req.client_msg_id)) {
            outcomes[i] = Outcome::Stored(Box::new(m.clone()));
            continue;
        }
        let Some(c) = consultations.get_mut(&j.consultation_id) else {
            outcomes[i] = Outcome::Refused(AppError::not_found("consultation"));
            continue;
        };
        let first_response = match verdict(
            j.actor,
            j.req.internal,
            fires_red_flag(&j.req, j.actor, &red_flags),
            &Facts::of(c),
        ) {
            Verdict::Refuse(e) => {
                outcomes[i] = Outcome::Refused(e);
                continue;
            }
            Verdict::Alone => continue,
            Verdict::Write { first_response } => first_response,
        };
        if first_response {
            c.first_response_at = Some(from_ms(now));
        }
        c.last_message_at = Some(from_ms(now));
        planned.push(Planned {
            job: i,
            consultation: c.id,
            first_response,
        });
    }
    if planned.is_empty() {
        return Ok(()); // the transaction rolls back: nothing was written
    }

    // Sequence numbers for every event of the batch, in one step.
    let n_events = planned.len() + planned.iter().filter(|p| p.first_response).count();
    let last: i64 = {
        use sqlx::Row;
        let row = sqlx::query(
            "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
        )
        .bind(n_events as i64)
        .fetch_one(tx.conn())
        .await?;
        row.try_get(0)?
    };
    let mut next_seq = last - n_events as i64 + 1;
    let mut messages: Vec<(usize, Message)> = Vec::new();
    let mut events: Vec<(i64, EventData, Audience)> = Vec::new();
    for p in &planned {
        let j = &jobs[p.job];
        let c = &consultations[&p.consultation];
        if p.first_response {
            events.push((
                next_seq,
                EventData::Consultation(c.clone()),
                Audience::Client(c.client_id),
            ));
            next_seq += 1;
        }
        let m = Message {
            id: careline_protocol::new_id(),
            consultation_id: c.id,
            client_id: c.client_id,
            author_kind: if j.actor.role == Role::Client {
                AuthorKind::Client
            } else {
                AuthorKind::Operator
            },
            author_id: Some(j.actor.id),
            kind: j.req.kind,
            body: j.req.body.trim().to_owned(),
            attachment: None,
            client_msg_id: Some(j.req.client_msg_id),
            internal: j.req.internal,
            created_at: from_ms(now),
            seq: next_seq,
        };
        let audience = if m.internal {
            Audience::Staff(Some(c.client_id))
        } else {
            Audience::Client(c.client_id)
        };
        events.push((next_seq, EventData::Message(m.clone()), audience));
        next_seq += 1;
        messages.push((p.job, m));
    }

    // Small statements: SQLite finds a numbered parameter by walking the list of them, so
    // binding is quadratic in the parameters of one statement.
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        let mut q = SqlBuf::new(
            "INSERT INTO messages (id, consultation_id, client_id, author_kind, author_id, kind, body, client_msg_id, internal, created_at, seq) VALUES ",
        );
        let mut rows = Vec::new();
        for (_, m) in chunk {
            let ps = [
                q.arg(m.id.to_string()),
                q.arg(m.consultation_id.to_string()),
                q.arg(m.client_id.to_string()),
                q.arg(m.author_kind.as_str()),
                q.arg(m.author_id.map(|a| a.to_string())),
                q.arg(m.kind.as_str()),
                q.arg(m.body.clone()),
                q.arg(m.client_msg_id.map(|a| a.to_string())),
                q.arg(m.internal as i64),
                q.arg(now),
                q.arg(m.seq),
            ];
            rows.push(format!("({})", ps.join(", ")));
        }
        q.push(&rows.join(", "));
        q.query().execute(tx.conn()).await?;
    }
    let mut recorded = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut q =
            SqlBuf::new("INSERT INTO events (seq, kind, client_id, staff_only, data, at) VALUES ");
        let mut rows = Vec::new();
        for (seq, data, audience) in chunk {
            let (client_id, staff_only) = audience.columns();
            let client = client_id.map(|c| c.to_string());
            let json = match data {
                EventData::Message(m) => serde_json::to_string(m),
                EventData::Consultation(c) => serde_json::to_string(c),
                _ => unreachable!("a message batch emits messages and consultations"),
            }
            .map_err(|e| AppError::failed("serializing an event", e))?;
            let ps = [
                q.arg(*seq),
                q.arg(data.kind()),
                q.arg(client),
                q.arg(staff_only),
                q.arg(json.clone()),
                q.arg(now),
            ];
            recorded.push((*seq, data.kind(), client_id, staff_only, json));
            rows.push(format!("({})", ps.join(", ")));
        }
        q.push(&rows.join(", "));
        q.query().execute(tx.conn()).await?;
    }
    for (seq, kind, client_id, staff_only, json) in recorded {
        tx.record(seq, kind, client_id, staff_only, json, now)?;
    }
    {
        let touched: HashSet<Uuid> = planned.iter().map(|p| p.consultation).collect();
        let mut q = SqlBuf::new("UPDATE consultations SET ");
        let t = q.arg(now);
        q.push(&format!("last_message_at = {t}"));
        let ps: Vec<String> = touched.iter().map(|id| q.arg(id.to_string())).collect();
        q.and(&format!("id IN ({})", ps.join(", ")));
        q.query().execute(tx.conn()).await?;
        for p in planned.iter().filter(|p| p.first_response) {
            sqlx::query("UPDATE consultations SET first_response_at = $1 WHERE id = $2")
                .bind(now)
                .bind(p.consultation.to_string())
                .execute(tx.conn())
                .await?;
        }
    }
    tx.commit().await?;
    for (job, m) in messages {
        outcomes[job] = Outcome::Stored(Box::new(m));
    }
    Ok(())
}
