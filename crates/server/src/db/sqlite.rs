//! The embedded engine: one SQLite file in WAL mode. One writer connection (writes are
//! serialized anyway; a single writer never meets a lock upgrade) and a pool of readers.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AnyPool, Connection, Executor};

use super::{Backend, Commits};
use crate::config::Config;
use crate::error::{AppError, AppResult};

pub struct SqliteBackend {
    url: String,
    synchronous: &'static str,
}

/// The database's copy in a backup.
const DUMP_FILE: &str = "careline.db";

impl SqliteBackend {
    fn options(&self) -> AppResult<SqliteConnectOptions> {
        Ok(SqliteConnectOptions::from_str(&self.url)?)
    }

    pub async fn open(url: &str, config: &Config) -> AppResult<Self> {
        let synchronous = match config.sqlite_synchronous.as_str() {
            "normal" => "NORMAL",
            "full" => "FULL",
            other => {
                return Err(AppError::Other(format!(
                    "sqlite_synchronous must be 'normal' or 'full', not {other:?}"
                )))
            }
        };
        let options = SqliteConnectOptions::from_str(url)?;
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                crate::private::dir(dir)?;
            }
        }
        Ok(Self {
            url: url.to_owned(),
            synchronous,
        })
    }

    /// The native writer of the hot path (`sqlite_writer`), on the file `pools` created.
    pub fn native_writer(&self) -> AppResult<super::sqlite_writer::NativeWriter> {
        let options = SqliteConnectOptions::from_str(&self.url)?;
        super::sqlite_writer::NativeWriter::open(options.get_filename(), self.synchronous)
    }

    /// The writer pool (one connection) and the reader pool.
    pub async fn pools(&self, config: &Config) -> AppResult<(AnyPool, AnyPool)> {
        // Create the file and switch it to WAL (a persistent setting) before the Any pools.
        let native = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::from_str(&self.url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await?;
        native.close().await;
        // The WAL and shared-memory files take the database file's mode.
        crate::private::file(SqliteConnectOptions::from_str(&self.url)?.get_filename())?;

        // A larger page cache and memory-mapped reads: the log and the message table are hot.
        let pragmas: &'static str = match self.synchronous {
            "FULL" => {
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                       PRAGMA cache_size = -32768; PRAGMA mmap_size = 1073741824; PRAGMA secure_delete = ON;"
            }
            _ => {
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                  PRAGMA cache_size = -32768; PRAGMA mmap_size = 1073741824; PRAGMA secure_delete = ON;"
            }
        };
        // Readers read through the OS's page cache, not a mapping of the file and not a big
        // cache of their own: a desk's first sync reads the whole database, and with a 1 GB
        // mapping and 32 MB of cache per reader the process held 1.3 GB resident afterwards
        // (BENCHMARKS.md, memory).
        let make = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute(pragmas).await?;
                        conn.execute("PRAGMA mmap_size = 0; PRAGMA cache_size = -4096;")
                            .await?;
                        Ok(())
                    })
                })
        };
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            // Its one connection is also the lock of the native writer (`store::batch_writer::write_native`):
            // no round trip to check it on every acquire.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute(pragmas).await?;
                    // Checkpoints run in the background (`spawn_checkpointer`), not inside a
                    // commit that someone is waiting for.
                    conn.execute("PRAGMA wal_autocheckpoint = 0;").await?;
                    Ok(())
                })
            })
            .connect(&self.url)
            .await?;
        let reader = make(config.db_max_connections.max(2))
            .connect(&self.url)
            .await?;
        Ok((writer, reader))
    }
}

/// Copies the WAL into the database file every second, off the writer's path. PASSIVE never
/// blocks a writer or a reader; the WAL is reused from the start once it is all copied.
pub fn spawn_checkpointer(reader: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&reader)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn text_agg(&self) -> &'static str {
        "group_concat"
    }

    fn migrate(&self) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(SqliteConnectOptions::from_str(&self.url)?)
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            pool.close().await;
            Ok(())
        })
    }

    fn watch_remote_commits(&self, _commits: Arc<Commits>) -> BoxFuture<'_, AppResult<()>> {
        // One process owns the file: there is nobody else to hear from.
        Box::pin(async { Ok(()) })
    }

    fn commit_notice_sql(&self) -> Option<&'static str> {
        None
    }

    fn dump<'a>(&'a self, to: &'a Path) -> BoxFuture<'a, AppResult<i64>> {
        Box::pin(async move {
            // `VACUUM INTO`: a consistent copy taken while the server serves.
            let copy = to.join(DUMP_FILE);
            let mut live = SqliteConnection::connect_with(&self.options()?).await?;
            let literal = copy.display().to_string().replace('\'', "''");
            sqlx::query(&format!("VACUUM INTO '{literal}'"))
                .execute(&mut live)
                .await?;
            live.close().await?;
            let mut snapshot =
                SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&copy))
                    .await?;
            let head: i64 = sqlx::query_scalar(super::HEAD_SQL)
                .fetch_one(&mut snapshot)
                .await?;
            snapshot.close().await?;
            Ok(head)
        })
    }

    fn load<'a>(&'a self, from: &'a Path) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            let db = self.options()?.get_filename().to_owned();
            if db.exists() && std::fs::metadata(&db)?.len() > 0 {
                return Err(AppError::invalid(format!(
                    "{} exists: restore into an empty data directory",
                    db.display()
                )));
            }
            std::fs::copy(from.join(DUMP_FILE), &db)?;
            Ok(())
        })
    }
}
