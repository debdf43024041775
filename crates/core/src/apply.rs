//! Writing events into the cache: one native SQLite connection (rusqlite) that every batch of
//! events goes through, on a blocking thread, with cached prepared statements. A batch is one
//! hand-off and one transaction; through sqlx each statement was a round trip to SQLite's
//! worker thread, and a sync of a million messages spent most of its time in those.
//!
//! Full-text indexing of messages follows a watermark, `fts_upto` in `meta`: every message
//! with a seq at or below it is in `message_fts`, none above it is. Small batches (live events,
//! catch-up pages when nothing is waiting) are indexed in their own transaction; the pages of a
//! big download are not, and [`Writer::index_step`] indexes what waits in large steps after
//! it — the messages are in the cache (browsable, threads complete) before they are searchable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use careline_protocol::{AuthorKind, Client, Consultation, EventData, Message};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use uuid::Uuid;

use crate::search::{index_text, words};
use crate::{CoreError, CoreResult};

/// Snapshot pages with more messages than this leave their full-text indexing to
/// [`Writer::index_step`] (events are indexed as they are applied, when the index is caught up).
const INLINE_INDEX: usize = 1000;

/// The indexes of `messages` that a first download builds once at its end instead of row by row
/// (each message lands on a random leaf of both; CREATE INDEX sorts once). `Writer::open`
/// creates them if a download stopped half-way. Same definitions as the migrations.
const THREAD_INDEXES: [&str; 2] = [
    "CREATE INDEX IF NOT EXISTS messages_thread ON messages (client_id, seq)",
    "CREATE INDEX IF NOT EXISTS messages_unread ON messages (consultation_id, seq) WHERE from_client = 1",
];

/// The cache's one writing connection.
#[derive(Clone)]
pub(crate) struct Writer {
    /// None once closed: nothing writes into a cache after `Cache::close` (logout may delete it).
    conn: Arc<Mutex<Option<Connection>>>,
}

fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("protocol types serialize")
}

impl Writer {
    /// Opens the writing connection on a cache whose schema is already migrated.
    /// Takes the cache's native connection (opened under its key).
    pub(crate) fn open(conn: Connection) -> CoreResult<Writer> {
        // 32 MiB of page cache: a big download touches the leaves of three indexes at random.
        // wal_autocheckpoint: a page written by several commits in a row is copied back once.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 8192;",
        )?;
        for sql in THREAD_INDEXES {
            conn.execute(sql, [])?;
        }
        Ok(Writer {
            conn: Arc::new(Mutex::new(Some(conn))),
        })
    }

    /// Gives back the writer's page cache.
    pub(crate) async fn shrink_memory(&self) {
        let _ = self
            .run(|c| Ok(c.execute_batch("PRAGMA shrink_memory;")?))
            .await;
    }

    /// Runs `f` on the connection, on a blocking thread.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> CoreResult<R> + Send + 'static,
    ) -> CoreResult<R> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            match guard.as_mut() {
                Some(c) => f(c),
                None => Err(CoreError::Closed),
            }
        })
        .await
        .map_err(|e| CoreError::Corrupt(format!("the cache writer stopped: {e}")))?
    }

    /// Moves the read position of `reader` forward at once (never back).
    pub(crate) async fn set_read_position(
        &self,
        consultation_id: Uuid,
        reader: Uuid,
        seq: i64,
    ) -> CoreResult<()> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO reads (consultation_id, reader_id, seq) VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET seq = MAX(seq, excluded.seq)",
                rusqlite::params![consultation_id.to_string(), reader.to_string(), seq],
            )?;
            Ok(())
        })
        .await
    }

    /// Applies events (as `(seq, data)`) after the stored position, with the new position, in
    /// one transaction; returns how many were applied.
    pub(crate) async fn apply(
        &self,
        events: Vec<(i64, EventData)>,
        next: i64,
    ) -> CoreResult<usize> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last = meta_i64(&tx, "last_seq")?;
            let fresh: Vec<&EventData> = events
                .iter()
                .filter(|(seq, _)| *seq > last)
                .map(|(_, d)| d)
                .collect();
            apply_all(&tx, &fresh, false)?;
            let new = next.max(last).max(events.last().map(|e| e.0).unwrap_or(0));
            set_meta(&tx, "last_seq", new)?;
            tx.commit()?;
            Ok(fresh.len())
        })
        .await
    }

    /// Applies state items as upserts; with `position`, sets it in the same transaction. The
    /// first big page into an empty cache drops the thread indexes; the page with the position
    /// builds them again.
    pub(crate) async fn apply_state(
        &self,
        items: Vec<EventData>,
        position: Option<i64>,
    ) -> CoreResult<usize> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let all: Vec<&EventData> = items.iter().collect();
            if position.is_none() && all.len() > INLINE_INDEX {
                let empty = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM messages)", [], |r| r.get::<_, bool>(0))?;
                if empty {
                    tx.execute_batch("DROP INDEX IF EXISTS messages_thread; DROP INDEX IF EXISTS messages_unread;")?;
                }
            }
            apply_all(&tx, &all, true)?;
            if let Some(p) = position {
                for sql in THREAD_INDEXES {
                    tx.execute(sql, [])?;
                }
                set_meta(&tx, "last_seq", p)?;
            }
            tx.commit()?;
            Ok(items.len())
        })
        .await
    }

    /// Forgets every cached entity, the position and the index; the outbox stays.
    pub(crate) async fn reset_entities(&self) -> CoreResult<()> {
        self.run(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for t in [
                "operators",
                "tariffs",
                "clients",
                "consultations",
                "messages",
                "callbacks",
                "reads",
                "client_fts",
                "consultation_fts",
                "search_words",
            ] {
                tx.execute(&format!("DELETE FROM {t}"), [])?;
            }
            tx.execute(
                "INSERT INTO message_fts (message_fts) VALUES ('delete-all')",
                [],
            )?;
            tx.execute("DELETE FROM meta WHERE key IN ('last_seq', 'fts_upto')", [])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Indexes up to `limit` messages that wait for the full-text index, in one transaction;
    /// returns how many it indexed.
    pub(crate) async fn index_step(&self, limit: i64) -> CoreResult<usize> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let upto = meta_i64(&tx, "fts_upto")?;
            let mut last = upto;
            let mut done = 0;
            let mut seen = Words::default();
            {
                let mut read = tx.prepare_cached(
                    "SELECT seq, data FROM messages WHERE seq > ? ORDER BY seq LIMIT ?",
                )?;
                let mut insert =
                    tx.prepare_cached("INSERT INTO message_fts (rowid, text) VALUES (?, ?)")?;
                let mut rows = read.query(params![upto, limit])?;
                while let Some(row) = rows.next()? {
                    let seq: i64 = row.get(0)?;
                    let text: Searchable = serde_json::from_str(
                        row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?,
                    )
                    .map_err(|e| CoreError::Corrupt(format!("cached JSON: {e}")))?;
                    let text = text.text();
                    seen.add(&text);
                    insert.execute(params![seq, index_text(&text)])?;
                    last = seq;
                    done += 1;
                }
            }
            seen.save(&tx)?;
            if last > upto {
                set_meta(&tx, "fts_upto", last)?;
            }
            tx.commit()?;
            Ok(done)
        })
        .await
    }

    /// Closes the connection (after the batch in hand, if any).
    pub(crate) async fn close(&self) {
        let conn = self.conn.clone();
        let _ = tokio::task::spawn_blocking(move || {
            drop(conn.lock().unwrap_or_else(|p| p.into_inner()).take())
        })
        .await;
    }

    /// Gives back the page cache a big download filled.
    pub(crate) async fn shrink(&self) -> CoreResult<()> {
        self.run(|c| Ok(c.execute_batch("PRAGMA shrink_memory")?))
            .await
    }
}

fn meta_i64(tx: &Transaction, key: &str) -> CoreResult<i64> {
    let v: Option<String> = tx
        .prepare_cached("SELECT value FROM meta WHERE key = ?")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn set_meta(tx: &Transaction, key: &str, value: i64) -> CoreResult<()> {
    tx.prepare_cached("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
        .execute(params![key, value.to_string()])?;
    Ok(())
}

/// The searchable text of a message: its body and the name of its file.
pub(crate) fn message_search_text(m: &Message) -> String {
    search_text(&m.body, m.attachment.as_ref().map(|a| a.file_name.as_str()))
}

fn search_text(body: &str, file_name: Option<&str>) -> String {
    match file_name {
        Some(f) if body.is_empty() => f.to_owned(),
        Some(f) => format!("{body} {f}"),
        None => body.to_owned(),
    }
}

/// The fields of a cached message the indexer reads (the rest of the JSON is skipped).
#[derive(serde::Deserialize)]
struct Searchable {
    body: String,
    attachment: Option<SearchableFile>,
}

#[derive(serde::Deserialize)]
struct SearchableFile {
    file_name: String,
}

impl Searchable {
    fn text(&self) -> String {
        search_text(
            &self.body,
            self.attachment.as_ref().map(|a| a.file_name.as_str()),
        )
    }
}

pub(crate) fn client_text(c: &Client) -> String {
    let mut s = format!("{} {}", c.name, c.phone);
    if let Some(e) = &c.email {
        s.push(' ');
        s.push_str(e);
    }
    for t in &c.tags {
        s.push(' ');
        s.push_str(t);
    }
    s
}

pub(crate) fn consultation_text(c: &Consultation) -> String {
    let mut s = c.subject.clone().unwrap_or_default();
    if let Some(sum) = &c.summary {
        s.push_str(" — ");
        s.push_str(sum);
    }
    for t in &c.tags {
        s.push(' ');
        s.push_str(t);
    }
    s
}

/// Applies items in order; `snapshot` for pages of a download.
fn apply_all(tx: &Transaction, items: &[&EventData], snapshot: bool) -> CoreResult<()> {
    let messages = items
        .iter()
        .filter(|d| matches!(d, EventData::Message(_)))
        .count();
    let mut index = Index::new(tx, messages, snapshot)?;
    // The latest message time per consultation, written once per batch.
    let mut latest: HashMap<uuid::Uuid, i64> = HashMap::new();
    for item in items {
        match item {
            EventData::Message(m) => {
                insert_message(tx, m, &mut index)?;
                // A snapshot's consultations carry their last message time themselves (one
                // UPDATE per message's consultation doubled the cost of a first download).
                if !snapshot {
                    let t = latest.entry(m.consultation_id).or_insert(0);
                    *t = (*t).max(ms(m.created_at));
                }
            }
            other => {
                // A consultation's own event must see the message times before it.
                flush_latest(tx, &mut latest)?;
                apply_data(tx, other)?;
            }
        }
    }
    flush_latest(tx, &mut latest)?;
    index.finish(tx)
}

/// What to do with the new messages of a batch for the full-text index.
struct Index {
    upto: i64,
    /// Index the new messages above the watermark too (the index is caught up and the batch
    /// is small).
    inline: bool,
    highest: i64,
    words: Words,
}

/// The words indexed by a transaction, for the word list.
#[derive(Default)]
struct Words(std::collections::HashSet<String>);

impl Words {
    fn add(&mut self, text: &str) {
        self.0.extend(words(text));
    }

    fn save(&self, tx: &Transaction) -> CoreResult<()> {
        let mut insert =
            tx.prepare_cached("INSERT INTO search_words (word) VALUES (?) ON CONFLICT DO NOTHING")?;
        for w in &self.0 {
            insert.execute([w])?;
        }
        Ok(())
    }
}

impl Index {
    fn new(tx: &Transaction, messages: usize, snapshot: bool) -> CoreResult<Index> {
        let upto = meta_i64(tx, "fts_upto")?;
        let inline = if messages == 0 || (snapshot && messages > INLINE_INDEX) {
            false
        } else {
            let max: Option<i64> = tx
                .prepare_cached("SELECT MAX(seq) FROM messages")?
                .query_row([], |r| r.get(0))?;
            max.unwrap_or(0) <= upto
        };
        Ok(Index {
            upto,
            inline,
            highest: upto,
            words: Words::default(),
        })
    }

    fn wants(&self, seq: i64) -> bool {
        seq <= self.upto || self.inline
    }

    fn finish(self, tx: &Transaction) -> CoreResult<()> {
        self.words.save(tx)?;
        if self.highest > self.upto {
            set_meta(tx, "fts_upto", self.highest)?;
        }
        Ok(())
    }
}

/// Inserts a message once; indexes it when the watermark says so.
fn insert_message(tx: &Transaction, m: &Message, index: &mut Index) -> CoreResult<()> {
    let inserted = tx
        .prepare_cached("INSERT INTO messages (seq, id, consultation_id, client_id, from_client, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")?
        .execute(params![m.seq, m.id.to_string(), m.consultation_id.to_string(), m.client_id.to_string(), m.author_kind == AuthorKind::Client, json(m)])?;
    if inserted == 1 && index.wants(m.seq) {
        let text = message_search_text(m);
        index.words.add(&text);
        tx.prepare_cached("INSERT INTO message_fts (rowid, text) VALUES (?, ?)")?
            .execute(params![m.seq, index_text(&text)])?;
        index.highest = index.highest.max(m.seq);
    }
    Ok(())
}

fn flush_latest(tx: &Transaction, latest: &mut HashMap<uuid::Uuid, i64>) -> CoreResult<()> {
    let mut update = tx.prepare_cached("UPDATE consultations SET last_message_at = MAX(COALESCE(last_message_at, 0), ?) WHERE id = ?")?;
    for (id, t) in latest.drain() {
        update.execute(params![t, id.to_string()])?;
    }
    Ok(())
}

fn apply_data(tx: &Transaction, data: &EventData) -> CoreResult<()> {
    match data {
        EventData::Message(_) => unreachable!("messages are inserted by insert_message"),
        EventData::Consultation(c) => {
            tx.prepare_cached(
                "INSERT INTO consultations (id, client_id, status, operator_id, created_at, last_message_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, operator_id = excluded.operator_id, data = excluded.data, \
                 last_message_at = NULLIF(MAX(COALESCE(consultations.last_message_at, 0), COALESCE(excluded.last_message_at, 0)), 0)",
            )?
            .execute(params![
                c.id.to_string(),
                c.client_id.to_string(),
                c.status.as_str(),
                c.operator_id.map(|o| o.to_string()),
                ms(c.created_at),
                c.last_message_at.map(ms),
                json(c)
            ])?;
            reindex(
                tx,
                "consultations",
                "consultation_fts",
                &c.id.to_string(),
                &consultation_text(c),
            )?;
        }
        EventData::Client(c) => {
            tx.prepare_cached(
                "INSERT INTO clients (id, name, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
            )?
            .execute(params![c.id.to_string(), c.name, json(c)])?;
            reindex(
                tx,
                "clients",
                "client_fts",
                &c.id.to_string(),
                &client_text(c),
            )?;
        }
        EventData::Operator(o) => {
            tx.prepare_cached("INSERT INTO operators (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data")?
                .execute(params![o.id.to_string(), json(o)])?;
        }
        EventData::Callback(cb) => {
            tx.prepare_cached(
                "INSERT INTO callbacks (id, status, due_at, data) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at, data = excluded.data",
            )?
            .execute(params![cb.id.to_string(), cb.status.as_str(), ms(cb.due_at), json(cb)])?;
        }
        EventData::Appointment(a) => {
            tx.prepare_cached(
                "INSERT INTO appointments (id, operator_id, client_id, starts_at, status, data) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET operator_id = excluded.operator_id, starts_at = excluded.starts_at, \
                 status = excluded.status, data = excluded.data \
                 WHERE json_extract(excluded.data, '$.updated_at') >= json_extract(appointments.data, '$.updated_at')",
            )?
            .execute(params![
                a.id.to_string(),
                a.operator_id.to_string(),
                a.client_id.to_string(),
                ms(a.starts_at),
                a.status.as_str(),
                json(a)
            ])?;
        }
        EventData::Call(c) => {
            // A call only moves forward (ringing → active → ended): an answer read late never
            // undoes the event that came before it.
            tx.prepare_cached(
                "INSERT INTO calls (id, consultation_id, client_id, rang_at, data) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data \
                 WHERE (CASE json_extract(excluded.data, '$.state') WHEN 'ringing' THEN 0 WHEN 'active' THEN 1 ELSE 2 END) \
                    >= (CASE json_extract(calls.data, '$.state') WHEN 'ringing' THEN 0 WHEN 'active' THEN 1 ELSE 2 END)",
            )?
            .execute(params![
                c.id.to_string(),
                c.consultation_id.to_string(),
                c.client_id.to_string(),
                ms(c.rang_at),
                json(c)
            ])?;
        }
        EventData::Prescription(p) => {
            // A later version wins; one read late never undoes a newer one.
            tx.prepare_cached(
                "INSERT INTO prescriptions (id, consultation_id, client_id, status, updated_at, data) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, data = excluded.data \
                 WHERE excluded.updated_at >= prescriptions.updated_at",
            )?
            .execute(params![
                p.id.to_string(),
                p.consultation_id.to_string(),
                p.client_id.to_string(),
                p.status.as_str(),
                ms(p.updated_at),
                json(p)
            ])?;
        }
        EventData::Refund(r) => {
            // Requested → decided, never back.
            tx.prepare_cached(
                "INSERT INTO refunds (id, consultation_id, client_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data \
                 WHERE refunds.status = 'requested'",
            )?
            .execute(params![
                r.id.to_string(),
                r.consultation_id.to_string(),
                r.client_id.to_string(),
                r.status.as_str(),
                ms(r.created_at),
                json(r)
            ])?;
        }
        EventData::Tariff(t) => {
            tx.prepare_cached("INSERT INTO tariffs (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data")?
                .execute(params![t.id.to_string(), json(t)])?;
        }
        EventData::Read(r) => {
            tx.prepare_cached(
                "INSERT INTO reads (consultation_id, reader_id, seq, delivered_seq) VALUES (?, ?, ?, ?) \
                 ON CONFLICT DO UPDATE SET seq = MAX(seq, excluded.seq), delivered_seq = MAX(delivered_seq, excluded.delivered_seq)",
            )?
            .execute(params![r.consultation_id.to_string(), r.reader_id.to_string(), r.seq, r.delivered_seq.max(r.seq)])?;
        }
        EventData::Erased(e) => erase_client(tx, e.client_id)?,
        // Only a cue: the desk fetches the replies that concern it (`Desk::quick_replies`).
        EventData::QuickReplies(_) => {}
        // Told to admins by the desk (`Desk::on_applied`); nothing is kept.
        EventData::WebhookPaused(_) => {}
        EventData::Settings(s) => {
            // Kept as the desk keeps what it fetches (`Desk::desk_settings`).
            tx.prepare_cached("INSERT INTO meta (key, value) VALUES ('desk_settings', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
                .execute(params![settings_record(s)])?;
        }
    }
    Ok(())
}

/// Forgets everything of an erased client: their record, consultations, thread (out of the
/// search index too), callback requests and read positions. Their files go with the next
/// sweep of the attachment store (`Files::sweep`).
fn erase_client(tx: &Transaction, client: uuid::Uuid) -> CoreResult<()> {
    let id = client.to_string();
    let upto = meta_i64(tx, "fts_upto")?;
    {
        let mut rows = tx.prepare("SELECT seq, data FROM messages WHERE client_id = ?")?;
        let indexed: Vec<(i64, String)> = rows
            .query_map([&id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|(seq, _)| *seq <= upto)
            .collect();
        // The message index keeps no text: a row leaves it given the text it went in with.
        let mut forget = tx.prepare(
            "INSERT INTO message_fts (message_fts, rowid, text) VALUES ('delete', ?, ?)",
        )?;
        for (seq, data) in indexed {
            let m: Message = serde_json::from_str(&data)
                .map_err(|e| CoreError::Corrupt(format!("a cached message: {e}")))?;
            forget.execute(params![seq, index_text(&message_search_text(&m))])?;
        }
    }
    tx.execute("DELETE FROM messages WHERE client_id = ?", [&id])?;
    tx.execute("DELETE FROM consultation_fts WHERE rowid IN (SELECT rowid FROM consultations WHERE client_id = ?)", [&id])?;
    tx.execute("DELETE FROM reads WHERE consultation_id IN (SELECT id FROM consultations WHERE client_id = ?) OR reader_id = ?", [&id, &id])?;
    tx.execute("DELETE FROM consultations WHERE client_id = ?", [&id])?;
    tx.execute("DELETE FROM appointments WHERE client_id = ?", [&id])?;
    tx.execute("DELETE FROM calls WHERE client_id = ?", [&id])?;
    tx.execute("DELETE FROM prescriptions WHERE client_id = ?", [&id])?;
    tx.execute("DELETE FROM refunds WHERE client_id = ?", [&id])?;
    tx.execute(
        "DELETE FROM callbacks WHERE json_extract(data, '$.client_id') = ?",
        [&id],
    )?;
    tx.execute(
        "DELETE FROM client_fts WHERE rowid IN (SELECT rowid FROM clients WHERE id = ?)",
        [&id],
    )?;
    tx.execute("DELETE FROM clients WHERE id = ?", [&id])?;
    Ok(())
}

/// Replaces the search text of a row of `table` (found by id) in `fts`.
fn reindex(tx: &Transaction, table: &str, fts: &str, id: &str, text: &str) -> CoreResult<()> {
    let rowid: i64 = tx
        .prepare_cached(&format!("SELECT rowid FROM {table} WHERE id = ?"))?
        .query_row([id], |r| r.get(0))?;
    tx.prepare_cached(&format!("DELETE FROM {fts} WHERE rowid = ?"))?
        .execute([rowid])?;
    tx.prepare_cached(&format!("INSERT INTO {fts} (rowid, text) VALUES (?, ?)"))?
        .execute(params![rowid, index_text(text)])?;
    let mut seen = Words::default();
    seen.add(text);
    seen.save(tx)
}

/// The desk's settings as the cache keeps them (meta `desk_settings`): with when they were
/// kept, `ms` ordering them against a fetch under way meanwhile (`Cache::keep_fetched_settings`).
pub(crate) fn settings_record(s: &careline_protocol::DeskSettings) -> String {
    let now = chrono::Utc::now();
    serde_json::json!({ "at": now, "ms": now.timestamp_millis(), "value": s }).to_string()
}
