//! The local cache: one SQLite file per (server, operator). Everything the operator may see,
//! as events last said it, with the seq of the last applied event; a batch of events and the
//! new seq commit in one transaction, so a crash loses nothing and applies nothing twice.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use careline_protocol::{
    Callback, Client, Consultation, ConsultationStatus, Event, EventData, Message, Operator,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use uuid::Uuid;

use crate::apply::{client_text, consultation_text, Writer};
use crate::keys::CacheKey;
use crate::search::{
    expression, highlight_terms, prefixes, relevance, snippet, Snippet, MAX_EXPANSION,
};
use crate::unlock::{Keying, Opened};
use crate::{CoreError, CoreResult};

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
    /// Events are written through this native connection (see [`crate::apply`]).
    writer: Writer,
    /// Set while a background indexer runs.
    indexing: Arc<AtomicBool>,
    /// The background indexer, stopped before the cache closes (a task still holding a
    /// connection as the process exits would leave the write-ahead log behind).
    indexer: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
    path: PathBuf,
    key: Arc<CacheKey>,
    opened: Opened,
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
    /// A message's seq (its place in the thread).
    pub seq: Option<i64>,
    pub snippet: Snippet,
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(data: &str) -> CoreResult<T> {
    serde_json::from_str(data).map_err(|e| CoreError::Corrupt(format!("cached JSON: {e}")))
}

impl Cache {
    /// Opens (creating) the cache file under its key (see [`crate::unlock`]).
    pub async fn open(path: &Path) -> CoreResult<Cache> {
        Cache::open_with(path, Keying::default()).await
    }

    pub async fn open_with(path: &Path, keying: Keying) -> CoreResult<Cache> {
        if let Some(dir) = path.parent() {
            // The default place is the desk's own folder; a path given elsewhere keeps its folder.
            if dir.starts_with(crate::session::home()) {
                crate::private::private_dir(dir)?;
            } else {
                std::fs::create_dir_all(dir)?;
            }
        }
        crate::private::private_file(path)?;
        for suffix in ["-wal", "-shm"] {
            let mut p = path.to_path_buf().into_os_string();
            p.push(suffix);
            if std::path::Path::new(&p).exists() {
                crate::private::private_file(std::path::Path::new(&p))?;
            }
        }
        let (key, opened) = {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || crate::unlock::unlock(&path, keying))
                .await
                .map_err(|e| CoreError::Corrupt(format!("opening the cache stopped: {e}")))??
        };
        let mut options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?;
        for (name, value) in crate::unlock::pragmas(keying, &key) {
            options = options.pragma(name, value.to_string());
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(false)
            // 32 MiB of decrypted pages per reading connection (allocated as read): a page
            // that is not here is decrypted and its HMAC checked again, so SQLite's default
            // 2 MB made list pages 3–25× slower than plaintext (BENCHMARKS.md).
            .pragma("cache_size", "-32768")
            // Equal in any case of any script (SQLite's own NOCASE folds ASCII only): tags.
            .collation("unicase", |a, b| a.to_lowercase().cmp(&b.to_lowercase()));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let writer = Writer::open(crate::unlock::connect(path, keying, &key)?)?;
        Ok(Cache {
            pool,
            writer,
            indexing: Arc::new(AtomicBool::new(false)),
            indexer: Arc::new(std::sync::Mutex::new(None)),
            path: path.to_owned(),
            key: Arc::new(key),
            opened,
        })
    }

    /// What opening found: a new cache, the old one, a migrated one, or a lost key.
    pub fn opened(&self) -> Opened {
        self.opened
    }

    /// Gives back the memory of the connections' page caches (decrypted pages: up to 32 MiB
    /// each): for an idle desk after its start. Pages are read again as they are needed.
    pub async fn shrink_memory(&self) {
        let mut held = Vec::new();
        while let Some(conn) = self.pool.try_acquire() {
            held.push(conn);
        }
        for conn in held.iter_mut() {
            let _ = sqlx::query("PRAGMA shrink_memory")
                .execute(&mut **conn)
                .await;
        }
        drop(held);
        self.writer.shrink_memory().await;
    }

    /// SQLite's plan for a query, one line per step (for tests and benchmarks that check which
    /// index a read uses; the file opens under its key only).
    pub async fn query_plan(&self, sql: &str) -> CoreResult<Vec<String>> {
        let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(3)).collect())
    }

    pub(crate) fn key(&self) -> &CacheKey {
        &self.key
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        let indexer = self.indexer.lock().expect("indexer").take();
        if let Some(task) = indexer {
            task.abort();
            let _ = task.await;
        }
        self.writer.close().await;
        self.pool.close().await;
        // `close` can return while connections that tasks (aborted, or finishing a query) hand
        // back are still being closed on their own threads: the process could then exit with a
        // connection open and the write-ahead log left behind (under load, 3 runs in 10 of the
        // SIGTERM test). Wait for the last one (bounded), so it checkpoints and removes the log.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.pool.size() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// The seq of the last applied event (0 for an empty cache).
    pub async fn last_seq(&self) -> CoreResult<i64> {
        Ok(self
            .meta("last_seq")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub async fn meta(&self, key: &str) -> CoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The desk's SLA thresholds as last heard from the server (the defaults before that).
    pub async fn sla_thresholds(&self) -> CoreResult<careline_protocol::SlaThresholds> {
        Ok(self
            .kept_settings()
            .await?
            .map(|s| s.sla)
            .unwrap_or_default())
    }

    /// The desk's settings as the cache keeps them, if it has heard of them.
    async fn kept_settings(&self) -> CoreResult<Option<careline_protocol::DeskSettings>> {
        #[derive(serde::Deserialize)]
        struct Kept {
            value: careline_protocol::DeskSettings,
        }
        match self.meta("desk_settings").await? {
            Some(text) => Ok(Some(parse::<Kept>(&text)?.value)),
            None => Ok(None),
        }
    }

    /// Keeps the desk's settings fetched by a request that started at `asked`, unless an event
    /// brought newer ones while it was under way (its answer would then be older than what the
    /// cache has). Returns the settings the cache keeps now.
    pub async fn keep_fetched_settings(
        &self,
        s: &careline_protocol::DeskSettings,
        asked: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<careline_protocol::DeskSettings> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('desk_settings', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value \
             WHERE COALESCE(json_extract(meta.value, '$.ms'), 0) < ?",
        )
        .bind(crate::apply::settings_record(s))
        .bind(asked.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(self.kept_settings().await?.unwrap_or_else(|| s.clone()))
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
    pub async fn apply(&self, events: Vec<Event>, next: i64) -> CoreResult<usize> {
        self.writer
            .apply(events.into_iter().map(|e| (e.seq, e.data)).collect(), next)
            .await
    }

    /// Forgets every cached entity and the position, keeping the outbox: the next sync fills
    /// the cache again from the start.
    /// Moves a read position forward at once (the server confirms it through the outbox).
    pub async fn set_read_position(
        &self,
        consultation_id: Uuid,
        reader: Uuid,
        seq: i64,
    ) -> CoreResult<()> {
        self.writer
            .set_read_position(consultation_id, reader, seq)
            .await
    }

    pub async fn reset_entities(&self) -> CoreResult<()> {
        self.writer.reset_entities().await
    }

    /// Applies state items (from the snapshot) as upserts; with `position`, sets it in the same
    /// transaction.
    pub async fn apply_state(
        &self,
        items: Vec<EventData>,
        position: Option<i64>,
    ) -> CoreResult<usize> {
        self.writer.apply_state(items, position).await
    }

    /// Puts every message that waits for the full-text index into it, in steps of 50,000 (a
    /// big download leaves its messages unindexed until then; see [`crate::apply`]);
    /// `on_step` hears how many were indexed so far. Returns that number.
    pub async fn index_pending(&self, mut on_step: impl FnMut(usize)) -> CoreResult<usize> {
        const STEP: i64 = 50_000;
        let mut total = 0;
        loop {
            let n = self.writer.index_step(STEP).await?;
            total += n;
            if n > 0 {
                on_step(total);
            }
            if (n as i64) < STEP {
                break;
            }
        }
        if total > STEP as usize {
            self.writer.shrink().await?;
        }
        Ok(total)
    }

    /// Starts indexing what waits for the search index, unless an indexer already runs. It
    /// asks first, over a read connection: a caught-up cache (every start of the desk) takes
    /// no write lock.
    pub fn index_in_background(&self) {
        if self.indexing.swap(true, Ordering::AcqRel) {
            return;
        }
        let cache = self.clone();
        let task = tokio::spawn(async move {
            loop {
                if cache.unindexed().await.unwrap_or(0) > 0 {
                    if let Err(e) = cache.index_pending(|_| {}).await {
                        tracing::warn!(error = %e, "indexing cached messages for search");
                    }
                }
                cache.indexing.store(false, Ordering::Release);
                // A download that ended while this ran found the flag still set: look again.
                if cache.unindexed().await.unwrap_or(0) == 0
                    || cache.indexing.swap(true, Ordering::AcqRel)
                {
                    return;
                }
            }
        });
        *self.indexer.lock().expect("indexer") = Some(task);
    }

    /// How many cached messages are not searchable yet (a big download is being indexed).
    pub async fn unindexed(&self) -> CoreResult<i64> {
        let upto: i64 = self
            .meta("fts_upto")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(sqlx::query("SELECT COUNT(*) FROM messages WHERE seq > ?")
            .bind(upto)
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }

    // -- reading ---------------------------------------------------------------------------

    /// Consultations of these statuses, oldest first (the queue's order) or newest first.
    pub async fn consultations(
        &self,
        statuses: &[ConsultationStatus],
        oldest_first: bool,
        limit: i64,
    ) -> CoreResult<Vec<Consultation>> {
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
        let clean: String = part
            .chars()
            .filter(|c| c.is_ascii_hexdigit())
            .collect::<String>()
            .to_lowercase();
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
        let row = sqlx::query("SELECT data, last_message_at FROM consultations WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(consultation_from_row).transpose()
    }

    /// A client's whole thread across consultations: the `limit` messages before `before_seq`
    /// (or the newest), oldest first.
    pub async fn thread(
        &self,
        client_id: Uuid,
        before_seq: Option<i64>,
        limit: i64,
    ) -> CoreResult<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT data FROM messages WHERE client_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
        )
        .bind(client_id.to_string())
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| parse::<Message>(r.get(0)))
            .collect::<CoreResult<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// Up to `limit` messages of a client's thread after `after_seq`, oldest first.
    pub async fn thread_after(
        &self,
        client_id: Uuid,
        after_seq: i64,
        limit: i64,
    ) -> CoreResult<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT data FROM messages WHERE client_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(client_id.to_string())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| parse::<Message>(r.get(0))).collect()
    }

    pub async fn client(&self, id: Uuid) -> CoreResult<Option<Client>> {
        let row = sqlx::query("SELECT data FROM clients WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| parse(r.get(0))).transpose()
    }

    pub async fn operators(&self) -> CoreResult<Vec<Operator>> {
        let rows = sqlx::query("SELECT data FROM operators ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| parse(r.get(0))).collect()
    }

    pub async fn tariffs(&self) -> CoreResult<Vec<careline_protocol::Tariff>> {
        let rows = sqlx::query("SELECT data FROM tariffs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| parse(r.get(0))).collect()
    }

    /// Callback requests not finished, by due time.
    pub async fn open_callbacks(&self, limit: i64) -> CoreResult<Vec<Callback>> {
        let rows =
            sqlx::query("SELECT data FROM callbacks WHERE status IN ('new', 'claimed') ORDER BY due_at, id LIMIT ?").bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| parse(r.get(0))).collect()
    }

    /// Counts of the cached entities, by table.
    pub async fn counts(&self) -> CoreResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in [
            "operators",
            "clients",
            "consultations",
            "messages",
            "callbacks",
            "tariffs",
        ] {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&self.pool)
                .await?
                .get(0);
            out.push((t, n));
        }
        Ok(out)
    }

    /// Full-text search over messages, clients and consultations, best first: the newest
    /// matches of each kind are ranked by [`crate::search::relevance`], ties newest first
    /// (see [`crate::search`] for why not by FTS5's own `bm25`).
    pub async fn search(&self, query: &str, limit: i64) -> CoreResult<Vec<Hit>> {
        let mut expanded = std::collections::HashMap::new();
        for prefix in prefixes(query) {
            let rows =
                sqlx::query("SELECT word FROM search_words WHERE word >= ? AND word < ? LIMIT ?")
                    .bind(&prefix)
                    .bind(format!("{prefix}{}", char::MAX))
                    .bind(MAX_EXPANSION as i64 + 1)
                    .fetch_all(&self.pool)
                    .await?;
            if rows.len() <= MAX_EXPANSION {
                expanded.insert(
                    prefix,
                    rows.iter()
                        .map(|r| r.get::<String, _>(0))
                        .collect::<Vec<_>>(),
                );
            }
        }
        let Some(expr) = expression(query, &expanded) else {
            return Ok(Vec::new());
        };
        let terms = highlight_terms(query);
        let candidates = CANDIDATES.max(limit);
        // (score, time, hit): among equal scores the newest first — a message written after a
        // consultation was opened comes before the consultation's subject saying the same.
        let mut ranked: Vec<(f64, i64, Hit)> = Vec::new();
        let rows = sqlx::query(
            "SELECT m.data FROM (SELECT rowid FROM message_fts WHERE message_fts MATCH ? ORDER BY rowid DESC LIMIT ?) r \
             JOIN messages m ON m.seq = r.rowid",
        )
        .bind(&expr)
        .bind(candidates)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let m: Message = parse(r.get(0))?;
            let text = if m.body.is_empty() {
                m.attachment
                    .as_ref()
                    .map(|a| a.file_name.clone())
                    .unwrap_or_default()
            } else {
                m.body.clone()
            };
            let hit = Hit {
                kind: "message",
                id: m.id,
                consultation_id: Some(m.consultation_id),
                client_id: Some(m.client_id),
                seq: Some(m.seq),
                snippet: Snippet {
                    text,
                    marks: Vec::new(),
                },
            };
            ranked.push((
                relevance(&hit.snippet.text, &terms),
                m.created_at.timestamp_millis(),
                hit,
            ));
        }
        let rows = sqlx::query(
            "SELECT c.data FROM (SELECT rowid FROM client_fts WHERE client_fts MATCH ? ORDER BY rowid DESC LIMIT ?) r JOIN clients c ON c.rowid = r.rowid",
        )
        .bind(&expr)
        .bind(candidates)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let c: Client = parse(r.get(0))?;
            let text = client_text(&c);
            // Clients have no time of their own here: among equals, things that happened first.
            ranked.push((
                relevance(&text, &terms),
                0,
                Hit {
                    kind: "client",
                    id: c.id,
                    consultation_id: None,
                    client_id: Some(c.id),
                    seq: None,
                    snippet: Snippet {
                        text,
                        marks: Vec::new(),
                    },
                },
            ));
        }
        let rows = sqlx::query(
            "SELECT c.data FROM (SELECT rowid FROM consultation_fts WHERE consultation_fts MATCH ? ORDER BY rowid DESC LIMIT ?) r \
             JOIN consultations c ON c.rowid = r.rowid",
        )
        .bind(&expr)
        .bind(candidates)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let c: Consultation = parse(r.get(0))?;
            let text = consultation_text(&c);
            ranked.push((
                relevance(&text, &terms),
                c.created_at.timestamp_millis(),
                Hit {
                    kind: "consultation",
                    id: c.id,
                    consultation_id: Some(c.id),
                    client_id: Some(c.client_id),
                    seq: None,
                    snippet: Snippet {
                        text,
                        marks: Vec::new(),
                    },
                },
            ));
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        Ok(ranked
            .into_iter()
            .take(limit.max(0) as usize)
            .map(|(_, _, mut h)| {
                h.snippet = snippet(&h.snippet.text, &terms, 80);
                h
            })
            .collect())
    }
}

/// Matches of each kind ranked for a search: the newest this many, or the limit asked for if
/// larger (ranking every match of a common word in a million messages costs more than an
/// operator waits).
const CANDIDATES: i64 = 200;

pub(crate) fn consultation_from_row(r: &sqlx::sqlite::SqliteRow) -> CoreResult<Consultation> {
    let mut c: Consultation = parse(r.get(0))?;
    // 0 is "none" (an older cache kept it for a consultation with no message).
    let last: Option<i64> = r.get::<Option<i64>, _>(1).filter(|&l| l > 0);
    if let Some(last) = last {
        let t = chrono::DateTime::from_timestamp_millis(last);
        if t > c.last_message_at {
            c.last_message_at = t;
        }
    }
    Ok(c)
}
