//! Storage engines. The engine-specific part — connecting, migrations, telling other server
//! instances about a commit — sits behind [`Backend`], with one implementation per engine
//! ([`sqlite::SqliteBackend`], [`postgres::PostgresBackend`]), each owning its migrations.
//! The domain queries (the `store` module) are written once in the SQL both engines share,
//! run through sqlx's `Any` driver: ids are UUID text, times are epoch milliseconds, flags 0/1.
//!
//! Writes go through [`WriteTx`]: it hands out event sequence numbers from a counter row whose
//! lock is held until commit, so sequence order is commit order on every engine, and a reader
//! that has seen seq N will never later find an event below N appear.

pub mod postgres;
pub mod sqlite;
pub mod sqlite_writer;

use std::path::Path;
use std::sync::Arc;

use careline_protocol::EventData;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Row};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// What differs between storage engines.
pub trait Backend: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Runs the engine's own migrations.
    fn migrate(&self) -> BoxFuture<'_, AppResult<()>>;
    /// Watches for commits made by other server instances and tells `commits` of each
    /// ([`Commits::log_has_more`]); returns when watching is set up. Engines with a single
    /// process do nothing.
    fn watch_remote_commits(&self, commits: Arc<Commits>) -> BoxFuture<'_, AppResult<()>>;
    /// A statement run in every transaction that emitted events, to reach other instances.
    fn commit_notice_sql(&self) -> Option<&'static str>;
    /// The aggregate joining a group's texts with a separator: `<this>(text, ';')`.
    fn text_agg(&self) -> &'static str;
    /// Copies the database, as of one moment and while the server may be serving, into the
    /// empty folder `to` (a backup's database part, in the engine's own format). Returns the
    /// last event seq the copy holds at least.
    fn dump<'a>(&'a self, to: &'a Path) -> BoxFuture<'a, AppResult<i64>>;
    /// Loads what [`Backend::dump`] wrote into `from` into this engine's database, which must
    /// be empty (else an error, and nothing changes).
    fn load<'a>(&'a self, from: &'a Path) -> BoxFuture<'a, AppResult<()>>;
    /// Whether other server instances may share the database (signalling frames for a party
    /// connected elsewhere then go through it).
    fn shared(&self) -> bool {
        self.commit_notice_sql().is_some()
    }
    /// Watches for signalling frames other instances put in `call_signals`, calling `on` with
    /// each one's id; returns when watching is set up. Engines with a single process do nothing.
    fn watch_signals(&self, on: SignalWatcher) -> BoxFuture<'_, AppResult<()>> {
        let _ = on;
        Box::pin(async { Ok(()) })
    }
}

/// Told the id of each signalling row another instance wrote.
pub type SignalWatcher = Arc<dyn Fn(i64) + Send + Sync>;

/// The engine a database URL names, not yet connected.
pub async fn backend(url: &str, config: &Config) -> AppResult<Arc<dyn Backend>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteBackend::open(url, config).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PostgresBackend::new(url)))
    } else {
        Err(AppError::Other(format!(
            "unsupported database URL (expected sqlite:// or postgres://): {}",
            crate::config::redact_url(url)
        )))
    }
}

/// The seq of the newest event (engines read it with their own drivers).
pub(crate) const HEAD_SQL: &str = "SELECT value FROM counters WHERE name = 'seq'";

/// An opened database: its pools and its engine.
pub struct Engine {
    /// Writes. One connection on SQLite (a single writer avoids lock upgrades).
    pub writer: AnyPool,
    /// Reads.
    pub reader: AnyPool,
    pub backend: Arc<dyn Backend>,
    /// The embedded engine's native writer of the hot path (None on PostgreSQL).
    pub native: Option<sqlite_writer::NativeWriter>,
}

/// Opens the database named by the configuration and runs its engine's migrations.
pub async fn open(config: &Config) -> AppResult<Engine> {
    sqlx::any::install_default_drivers();
    let url = config.effective_database_url();
    let (backend, writer, reader, native): (Arc<dyn Backend>, AnyPool, AnyPool, _) =
        if url.starts_with("sqlite:") {
            let b = sqlite::SqliteBackend::open(&url, config).await?;
            let (w, r) = b.pools(config).await?;
            sqlite::spawn_checkpointer(r.clone());
            let native = b.native_writer()?;
            (Arc::new(b), w, r, Some(native))
        } else {
            let b = backend(&url, config).await?;
            let pool = AnyPoolOptions::new()
                .max_connections(config.db_max_connections)
                .connect(&url)
                .await?;
            (b, pool.clone(), pool, None)
        };
    backend.migrate().await?;
    Ok(Engine {
        writer,
        reader,
        backend,
        native,
    })
}

/// An event as stored: the payload stays raw JSON from the log to the socket.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub data: Box<RawValue>,
    #[serde(skip)]
    pub client_id: Option<Uuid>,
    #[serde(skip)]
    pub staff_only: bool,
    /// Staff and pharmacists see it, the client does not (a prescription under review).
    #[serde(skip)]
    pub pharmacy: bool,
}

/// Committed events on their way to the hub. Local commits hand their events over here, so the
/// hub need not read them back; a remote commit (another instance) is only announced, and the
/// hub reads the log. The two are told apart by a flag, not by the wake: a wake that finds the
/// hub busy is kept as one permit, so a hand-over and an announcement can arrive as one wake.
#[derive(Default)]
pub struct Commits {
    pub(crate) wake: Arc<Notify>,
    pub(crate) inbox: std::sync::Mutex<Vec<StoredEvent>>,
    /// The log holds commits that were not handed over: read it on the next turn.
    unseen: std::sync::atomic::AtomicBool,
}

impl Commits {
    pub(crate) fn publish(&self, events: Vec<StoredEvent>) {
        self.inbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(events);
        self.wake.notify_one();
    }

    /// The events handed over since the last call.
    pub(crate) fn take(&self) -> Vec<StoredEvent> {
        std::mem::take(&mut *self.inbox.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Commits reached the log without being handed over (another instance's, or a local one
    /// whose outcome is unclear): the hub reads the log.
    pub(crate) fn log_has_more(&self) {
        self.unseen
            .store(true, std::sync::atomic::Ordering::Release);
        self.wake.notify_one();
    }

    /// Whether the log was said to hold more since the last call.
    pub(crate) fn take_unseen(&self) -> bool {
        self.unseen.swap(false, std::sync::atomic::Ordering::AcqRel)
    }
}

/// Who may see an event.
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    /// Staff, and the client whose data it is.
    Client(Uuid),
    /// Staff only (with the client it concerns, if any, for scoping).
    Staff(Option<Uuid>),
    /// Staff and pharmacists, not the client (a prescription under review).
    Pharmacy(Uuid),
}

/// The `staff_only` column's value of an event staff and pharmacists see (0: the client too;
/// 1: staff only).
pub const PHARMACY_LEVEL: i64 = 2;

impl Audience {
    /// The `client_id` and `staff_only` columns of the event.
    pub(crate) fn columns(self) -> (Option<Uuid>, i64) {
        match self {
            Audience::Client(c) => (Some(c), 0),
            Audience::Staff(c) => (c, 1),
            Audience::Pharmacy(c) => (Some(c), PHARMACY_LEVEL),
        }
    }
}

/// A writing transaction that may emit events.
pub struct WriteTx {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
    backend: Arc<dyn Backend>,
    committed: Arc<Commits>,
    emitted: Vec<StoredEvent>,
}

impl WriteTx {
    /// Starts a writing transaction on `writer`; after its commit, `committed` hears of its events.
    pub async fn begin(
        writer: &AnyPool,
        backend: Arc<dyn Backend>,
        committed: Arc<Commits>,
    ) -> AppResult<WriteTx> {
        Ok(WriteTx {
            tx: writer.begin().await?,
            backend,
            committed,
            emitted: Vec::new(),
        })
    }

    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// The next event sequence number. Takes the counter's lock until commit: call it after
    /// the transaction's checks, as late as possible.
    pub async fn next_seq(&mut self) -> AppResult<i64> {
        let row =
            sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value")
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Records an event with a seq from [`WriteTx::next_seq`].
    pub async fn emit_with_seq(
        &mut self,
        seq: i64,
        data: &EventData,
        audience: Audience,
        at_ms: i64,
    ) -> AppResult<()> {
        let (client_id, staff_only) = audience.columns();
        let json = match data {
            EventData::Consultation(v) => serde_json::to_string(v),
            EventData::Message(v) => serde_json::to_string(v),
            EventData::Callback(v) => serde_json::to_string(v),
            EventData::Client(v) => serde_json::to_string(v),
            EventData::Operator(v) => serde_json::to_string(v),
            EventData::Read(v) => serde_json::to_string(v),
            EventData::Tariff(v) => serde_json::to_string(v),
            EventData::Erased(v) => serde_json::to_string(v),
            EventData::Settings(v) => serde_json::to_string(v),
            EventData::QuickReplies(v) => serde_json::to_string(v),
            EventData::WebhookPaused(v) => serde_json::to_string(v),
            EventData::Appointment(v) => serde_json::to_string(v),
            EventData::Call(v) => serde_json::to_string(v),
            EventData::Prescription(v) => serde_json::to_string(v),
            EventData::Refund(v) => serde_json::to_string(v),
        }
        .map_err(|e| AppError::failed("serializing event", e))?;
        sqlx::query("INSERT INTO events (seq, kind, client_id, staff_only, data, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(seq)
            .bind(data.kind())
            .bind(client_id.map(|c| c.to_string()))
            .bind(staff_only)
            .bind(json.clone())
            .bind(at_ms)
            .execute(&mut *self.tx)
            .await?;
        self.record(seq, data.kind(), client_id, staff_only, json, at_ms)
    }

    /// Remembers an event this transaction inserted, for the hub after the commit.
    pub(crate) fn record(
        &mut self,
        seq: i64,
        kind: &str,
        client_id: Option<Uuid>,
        level: i64,
        json: String,
        at_ms: i64,
    ) -> AppResult<()> {
        let data = serde_json::value::RawValue::from_string(json)
            .map_err(|e| AppError::failed("event JSON", e))?;
        self.emitted.push(StoredEvent {
            seq,
            at: crate::time::from_ms(at_ms),
            kind: kind.to_owned(),
            data,
            client_id,
            staff_only: level != 0,
            pharmacy: level == PHARMACY_LEVEL,
        });
        Ok(())
    }

    /// Records an event with a new seq; returns the seq.
    pub async fn emit(
        &mut self,
        data: &EventData,
        audience: Audience,
        at_ms: i64,
    ) -> AppResult<i64> {
        let seq = self.next_seq().await?;
        self.emit_with_seq(seq, data, audience, at_ms).await?;
        Ok(seq)
    }

    /// Commits; only then is anything acknowledged, and only then are listeners woken.
    pub async fn commit(mut self) -> AppResult<()> {
        if !self.emitted.is_empty() {
            if let Some(sql) = self.backend.commit_notice_sql() {
                sqlx::query(sql).execute(&mut *self.tx).await?;
            }
        }
        if let Err(e) = self.tx.commit().await {
            // The commit may have happened (the answer was lost): the log will tell.
            if !self.emitted.is_empty() {
                self.committed.log_has_more();
            }
            return Err(e.into());
        }
        if !self.emitted.is_empty() {
            self.committed.publish(std::mem::take(&mut self.emitted));
        }
        Ok(())
    }
}
