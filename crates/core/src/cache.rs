//! The local cache: one SQLite file per (server, operator). Everything the operator may see,
//! as events last said it, with the seq of the last applied event; a batch of events and the
//! new seq commit in one transaction, so a crash loses nothing and applies nothing twice.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use careline_protocol::{Callback, Client, Consultation, ConsultationStatus, Event, EventData, Message, Operator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;
use uuid::Uuid;

use crate::search::{highlight_terms, index_text, match_expression, snippet, Snippet};
use crate::{CoreError, CoreResult};

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
    path: PathBuf,
}

/// One search hit.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hit {
    /// `message`, `client` or `consultation`.
    pub kind: &'static str,
    pub id: Uuid,
    /// The consultation a message belongs to, or the consultation itself.
    pub consultation_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub snippet: Snippet,
}

fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(data: &str) -> CoreResult<T> {
    serde_json::from_str(data).map_err(|e| CoreError::Corrupt(format!("cached JSON: {e}")))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("protocol types serialize")
}

impl Cache {
    /// Opens (creating) the cache file.
    pub async fn open(path: &Path) -> CoreResult<Cache> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Cache { pool, path: path.to_owned() })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The seq of the last applied event (0 for an empty cache).
    pub async fn last_seq(&self) -> CoreResult<i64> {
        Ok(self.meta("last_seq").await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub async fn meta(&self, key: &str) -> CoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> CoreResult<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Applies events in seq order with the new position, in one transaction. Events at or
    /// below the stored position are skipped, so applying a batch twice changes nothing.
    pub async fn apply(&self, events: &[Event], next: i64) -> CoreResult<usize> {
        let mut tx = self.pool.begin().await?;
        let last: i64 = sqlx::query("SELECT value FROM meta WHERE key = 'last_seq'")
            .fetch_optional(&mut *tx)
            .await?
            .and_then(|r| r.get::<String, _>(0).parse().ok())
            .unwrap_or(0);
        let fresh: Vec<&EventData> = events.iter().filter(|e| e.seq > last).map(|e| &e.data).collect();
        let applied = fresh.len();
        apply_all(&mut tx, &fresh).await?;
        let new = next.max(last).max(events.last().map(|e| e.seq).unwrap_or(0));
        sqlx::query("INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(new.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Forgets every cached entity and the position, keeping the outbox: the next sync fills
    /// the cache again from the start.
    pub async fn reset_entities(&self) -> CoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for t in ["operators", "tariffs", "clients", "consultations", "messages", "callbacks", "reads", "message_fts", "client_fts", "consultation_fts"] {
            sqlx::query(&format!("DELETE FROM {t}")).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM meta WHERE key = 'last_seq'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies state items (from the snapshot) as upserts; with `position`, sets it in the same
    /// transaction.
    pub async fn apply_state(&self, items: &[EventData], position: Option<i64>) -> CoreResult<usize> {
        let mut tx = self.pool.begin().await?;
        let all: Vec<&EventData> = items.iter().collect();
        apply_all(&mut tx, &all).await?;
        if let Some(p) = position {
            sqlx::query("INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(p.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(items.len())
    }

    // -- reading ---------------------------------------------------------------------------

    /// Consultations of these statuses, oldest first (the queue's order) or newest first.
    pub async fn consultations(&self, statuses: &[ConsultationStatus], oldest_first: bool, limit: i64) -> CoreResult<Vec<Consultation>> {
        let placeholders = vec!["?"; statuses.len()].join(", ");
        let sql = format!(
            "SELECT data, last_message_at FROM consultations WHERE status IN ({placeholders}) ORDER BY created_at {}, id LIMIT ?",
            if oldest_first { "ASC" } else { "DESC" }
        );
        let mut q = sqlx::query(&sql);
        for s in statuses {
            q = q.bind(s.as_str());
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(consultation_from_row).collect()
    }

    /// Consultations whose id (without dashes) starts or ends with `part`: UUIDv7s made
    /// together share their first digits, so people quote the last ones.
    pub async fn consultations_by_prefix(&self, part: &str) -> CoreResult<Vec<Consultation>> {
        let clean: String = part.chars().filter(|c| c.is_ascii_hexdigit()).collect::<String>().to_lowercase();
        if clean.len() < 4 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT data, last_message_at FROM consultations WHERE replace(id, '-', '') LIKE ? OR replace(id, '-', '') LIKE ? LIMIT 10")
            .bind(format!("{clean}%"))
            .bind(format!("%{clean}"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(consultation_from_row).collect()
    }

    pub async fn consultation(&self, id: Uuid) -> CoreResult<Option<Consultation>> {
        let row = sqlx::query("SELECT data, last_message_at FROM consultations WHERE id = ?").bind(id.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref().map(consultation_from_row).transpose()
    }

    /// A client's whole thread across consultations: the `limit` messages before `before_seq`
    /// (or the newest), oldest first.
    pub async fn thread(&self, client_id: Uuid, before_seq: Option<i64>, limit: i64) -> CoreResult<Vec<Message>> {
        let rows = sqlx::query("SELECT data FROM messages WHERE client_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?")
            .bind(client_id.to_string())
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out = rows.iter().map(|r| parse::<Message>(r.get(0))).collect::<CoreResult<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    pub async fn client(&self, id: Uuid) -> CoreResult<Option<Client>> {
        let row = sqlx::query("SELECT data FROM clients WHERE id = ?").bind(id.to_string()).fetch_optional(&self.pool).await?;
        row.map(|r| parse(r.get(0))).transpose()
    }

    pub async fn operators(&self) -> CoreResult<Vec<Operator>> {
        let rows = sqlx::query("SELECT data FROM operators ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| parse(r.get(0))).collect()
    }

    /// Callback requests not finished, by due time.
    pub async fn open_callbacks(&self, limit: i64) -> CoreResult<Vec<Callback>> {
        let rows = sqlx::query("SELECT data FROM callbacks WHERE status IN ('new', 'claimed') ORDER BY due_at, id LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| parse(r.get(0))).collect()
    }

    /// Counts of the cached entities, by table.
    pub async fn counts(&self) -> CoreResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in ["operators", "clients", "consultations", "messages", "callbacks", "tariffs"] {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&self.pool).await?.get(0);
            out.push((t, n));
        }
        Ok(out)
    }

    /// Full-text search over messages, clients and consultations, best first.
    pub async fn search(&self, query: &str, limit: i64) -> CoreResult<Vec<Hit>> {
        let Some(expr) = match_expression(query) else { return Ok(Vec::new()) };
        let terms = highlight_terms(query);
        let mut hits = Vec::new();
        // Ranked among the newest matches: ranking every match of a common word in a million
        // messages costs a hundred milliseconds, and an operator looks for recent things first.
        let rows = sqlx::query(
            "SELECT m.data, r.rank FROM (SELECT rowid, bm25(message_fts) AS rank FROM message_fts \
             WHERE message_fts MATCH ? ORDER BY rowid DESC LIMIT 1000) r JOIN messages m ON m.seq = r.rowid ORDER BY r.rank LIMIT ?",
        )
        .bind(&expr)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut ranked: Vec<(f64, Hit)> = Vec::new();
        for r in &rows {
            let m: Message = parse(r.get(0))?;
            let text = if m.body.is_empty() { m.attachment.as_ref().map(|a| a.file_name.clone()).unwrap_or_default() } else { m.body.clone() };
            ranked.push((r.get(1), Hit { kind: "message", id: m.id, consultation_id: Some(m.consultation_id), client_id: Some(m.client_id), snippet: snippet(&text, &terms, 80) }));
        }
        let rows = sqlx::query(
            "SELECT c.data, bm25(client_fts) AS rank FROM client_fts JOIN clients c ON c.rowid = client_fts.rowid \
             WHERE client_fts MATCH ? ORDER BY rank LIMIT ?",
        )
        .bind(&expr)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let c: Client = parse(r.get(0))?;
            let text = client_text(&c);
            ranked.push((r.get(1), Hit { kind: "client", id: c.id, consultation_id: None, client_id: Some(c.id), snippet: snippet(&text, &terms, 80) }));
        }
        let rows = sqlx::query(
            "SELECT c.data, c.last_message_at, bm25(consultation_fts) AS rank FROM consultation_fts JOIN consultations c ON c.rowid = consultation_fts.rowid \
             WHERE consultation_fts MATCH ? ORDER BY rank LIMIT ?",
        )
        .bind(&expr)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let c: Consultation = parse(r.get(0))?;
            let text = consultation_text(&c);
            ranked.push((r.get(2), Hit { kind: "consultation", id: c.id, consultation_id: Some(c.id), client_id: Some(c.client_id), snippet: snippet(&text, &terms, 80) }));
        }
        // bm25: lower is better; the three indexes rank on comparable scales.
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        hits.extend(ranked.into_iter().take(limit as usize).map(|(_, h)| h));
        Ok(hits)
    }
}

pub(crate) fn consultation_from_row(r: &sqlx::sqlite::SqliteRow) -> CoreResult<Consultation> {
    let mut c: Consultation = parse(r.get(0))?;
    let last: Option<i64> = r.get(1);
    if let Some(last) = last {
        let t = chrono::DateTime::from_timestamp_millis(last);
        if t > c.last_message_at {
            c.last_message_at = t;
        }
    }
    Ok(c)
}

fn client_text(c: &Client) -> String {
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

fn consultation_text(c: &Consultation) -> String {
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

/// Rows per multi-row statement: each statement is a round trip to SQLite's thread, and
/// SQLite finds numbered parameters by walking a list (binding is quadratic per statement).
const ROWS: usize = 100;

/// Applies items in order; runs of messages (the bulk of any sync) go in multi-row statements.
async fn apply_all(tx: &mut sqlx::SqliteConnection, items: &[&EventData]) -> CoreResult<()> {
    let mut i = 0;
    while i < items.len() {
        if let EventData::Message(_) = items[i] {
            let start = i;
            while i < items.len() && matches!(items[i], EventData::Message(_)) {
                i += 1;
            }
            let run: Vec<&Message> = items[start..i].iter().filter_map(|d| if let EventData::Message(m) = d { Some(m) } else { None }).collect();
            for chunk in run.chunks(ROWS) {
                insert_messages(tx, chunk).await?;
            }
        } else {
            apply_data(tx, items[i]).await?;
            i += 1;
        }
    }
    Ok(())
}

fn message_search_text(m: &Message) -> String {
    match &m.attachment {
        Some(a) if m.body.is_empty() => a.file_name.clone(),
        Some(a) => format!("{} {}", m.body, a.file_name),
        None => m.body.clone(),
    }
}

/// Inserts messages (once each), indexes the new ones, and moves their consultations'
/// `last_message_at`.
async fn insert_messages(tx: &mut sqlx::SqliteConnection, msgs: &[&Message]) -> CoreResult<()> {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; msgs.len()].join(", ");
    let sql = format!("INSERT INTO messages (seq, id, consultation_id, client_id, from_client, data) VALUES {rows} ON CONFLICT DO NOTHING RETURNING seq");
    let mut q = sqlx::query(&sql);
    for m in msgs {
        q = q
            .bind(m.seq)
            .bind(m.id.to_string())
            .bind(m.consultation_id.to_string())
            .bind(m.client_id.to_string())
            .bind(m.author_kind == careline_protocol::AuthorKind::Client)
            .bind(json(*m));
    }
    let inserted: std::collections::HashSet<i64> = q.fetch_all(&mut *tx).await?.iter().map(|r| r.get::<i64, _>(0)).collect();
    let new: Vec<&&Message> = msgs.iter().filter(|m| inserted.contains(&m.seq)).collect();
    if !new.is_empty() {
        let rows = vec!["(?, ?)"; new.len()].join(", ");
        let sql = format!("INSERT INTO message_fts (rowid, text) VALUES {rows}");
        let mut q = sqlx::query(&sql);
        for m in &new {
            q = q.bind(m.seq).bind(index_text(&message_search_text(m)));
        }
        q.execute(&mut *tx).await?;
    }
    // The latest message time per consultation, in one statement.
    let mut latest: std::collections::HashMap<Uuid, i64> = std::collections::HashMap::new();
    for m in msgs {
        let t = latest.entry(m.consultation_id).or_insert(0);
        *t = (*t).max(ms(m.created_at));
    }
    let rows = vec!["(?, ?)"; latest.len()].join(", ");
    let sql = format!(
        "WITH v(id, t) AS (VALUES {rows}) UPDATE consultations SET last_message_at = \
         MAX(COALESCE(last_message_at, 0), (SELECT t FROM v WHERE v.id = consultations.id)) WHERE id IN (SELECT id FROM v)"
    );
    let mut q = sqlx::query(&sql);
    for (id, t) in &latest {
        q = q.bind(id.to_string()).bind(*t);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

async fn apply_data(tx: &mut sqlx::SqliteConnection, data: &EventData) -> CoreResult<()> {
    match data {
        EventData::Message(m) => insert_messages(tx, &[m]).await?,
        EventData::Consultation(c) => {
            sqlx::query(
                "INSERT INTO consultations (id, client_id, status, operator_id, created_at, last_message_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status, operator_id = excluded.operator_id, data = excluded.data, \
                 last_message_at = MAX(COALESCE(consultations.last_message_at, 0), COALESCE(excluded.last_message_at, 0))",
            )
            .bind(c.id.to_string())
            .bind(c.client_id.to_string())
            .bind(c.status.as_str())
            .bind(c.operator_id.map(|o| o.to_string()))
            .bind(ms(c.created_at))
            .bind(c.last_message_at.map(ms))
            .bind(json(c))
            .execute(&mut *tx)
            .await?;
            reindex(tx, "consultations", "consultation_fts", &c.id.to_string(), &consultation_text(c)).await?;
        }
        EventData::Client(c) => {
            sqlx::query("INSERT INTO clients (id, name, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data")
                .bind(c.id.to_string())
                .bind(&c.name)
                .bind(json(c))
                .execute(&mut *tx)
                .await?;
            reindex(tx, "clients", "client_fts", &c.id.to_string(), &client_text(c)).await?;
        }
        EventData::Operator(o) => {
            sqlx::query("INSERT INTO operators (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data")
                .bind(o.id.to_string())
                .bind(json(o))
                .execute(&mut *tx)
                .await?;
        }
        EventData::Callback(cb) => {
            sqlx::query("INSERT INTO callbacks (id, status, due_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at, data = excluded.data")
                .bind(cb.id.to_string())
                .bind(cb.status.as_str())
                .bind(ms(cb.due_at))
                .bind(json(cb))
                .execute(&mut *tx)
                .await?;
        }
        EventData::Tariff(t) => {
            sqlx::query("INSERT INTO tariffs (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data")
                .bind(t.id.to_string())
                .bind(json(t))
                .execute(&mut *tx)
                .await?;
        }
        EventData::Read(r) => {
            sqlx::query("INSERT INTO reads (consultation_id, reader_id, seq) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seq = MAX(seq, excluded.seq)")
                .bind(r.consultation_id.to_string())
                .bind(r.reader_id.to_string())
                .bind(r.seq)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Replaces the search text of a row of `table` (found by id) in `fts`.
async fn reindex(tx: &mut sqlx::SqliteConnection, table: &str, fts: &str, id: &str, text: &str) -> CoreResult<()> {
    let rowid: i64 = sqlx::query(&format!("SELECT rowid FROM {table} WHERE id = ?")).bind(id).fetch_one(&mut *tx).await?.get(0);
    sqlx::query(&format!("DELETE FROM {fts} WHERE rowid = ?")).bind(rowid).execute(&mut *tx).await?;
    sqlx::query(&format!("INSERT INTO {fts} (rowid, text) VALUES (?, ?)")).bind(rowid).bind(index_text(text)).execute(&mut *tx).await?;
    Ok(())
}
