//! PostgreSQL, for several server instances sharing one database. Instances tell each other
//! about commits with LISTEN/NOTIFY on the `careline_events` channel: the notification is sent
//! by the committing transaction itself, so it is delivered exactly when the commit is. Every
//! notice, an instance's own included, has its hub read the log: its own are already handed
//! over, but the read also finds other instances' commits whose notices are still on their way
//! (skipping its own notices made cross-instance delivery's p99 worse in 15 of 20 paired
//! runs).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{Backend, Commits};
use crate::error::{AppError, AppResult};
use futures::future::BoxFuture;
use sqlx::postgres::{PgConnection, PgListener, PgPoolOptions};
use sqlx::Connection;

pub const CHANNEL: &str = "careline_events";
/// Signalling frames for a party connected to another instance: the payload is the
/// `call_signals` row's id.
pub const SIGNAL_CHANNEL: &str = "careline_signals";

/// The database's dump in a backup (pg_dump's custom format).
const DUMP_FILE: &str = "careline.pgdump";

/// Runs one of PostgreSQL's client programs; its complaint, if any, is the error.
async fn run(program: &'static str, mut command: tokio::process::Command) -> AppResult<()> {
    let out = command.output().await.map_err(|e| {
        AppError::failed(
            format!("running {program} (apt-get install postgresql-client)"),
            e,
        )
    })?;
    if !out.status.success() {
        return Err(AppError::Other(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

pub struct PostgresBackend {
    url: String,
}

impl PostgresBackend {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
        }
    }
}

impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn text_agg(&self) -> &'static str {
        "string_agg"
    }

    fn migrate(&self) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect(&self.url)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            pool.close().await;
            Ok(())
        })
    }

    fn dump<'a>(&'a self, to: &'a Path) -> BoxFuture<'a, AppResult<i64>> {
        Box::pin(async move {
            // The head before the dump: pg_dump's one snapshot holds at least the events up to it.
            let mut live = PgConnection::connect(&self.url).await?;
            let head: i64 = sqlx::query_scalar(super::HEAD_SQL)
                .fetch_one(&mut live)
                .await?;
            live.close().await?;
            let mut dump = tokio::process::Command::new("pg_dump");
            dump.args(["--format=custom", "--no-owner", "--file"])
                .arg(to.join(DUMP_FILE))
                .arg(&self.url);
            run("pg_dump", dump).await?;
            Ok(head)
        })
    }

    fn load<'a>(&'a self, from: &'a Path) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            let mut conn = PgConnection::connect(&self.url).await?;
            let used: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_one(&mut conn)
            .await?;
            conn.close().await?;
            if used > 0 {
                return Err(AppError::invalid(
                    "the database is not empty: restore into an empty one",
                ));
            }
            let mut restore = tokio::process::Command::new("pg_restore");
            restore
                .args(["--no-owner", "--exit-on-error", "--dbname"])
                .arg(&self.url)
                .arg(from.join(DUMP_FILE));
            run("pg_restore", restore).await
        })
    }

    fn watch_remote_commits(&self, commits: Arc<Commits>) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let mut listener = PgListener::connect(&self.url).await?;
            listener.listen(CHANNEL).await?;
            tokio::spawn(async move {
                loop {
                    // `recv` reconnects by itself after a lost connection; on reconnect we may
                    // have missed notifications, so the hub reads the log anyway.
                    match listener.recv().await {
                        Ok(_) => commits.log_has_more(),
                        Err(e) => {
                            tracing::warn!(error = %e, "postgres listener failed; retrying");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            commits.log_has_more();
                        }
                    }
                }
            });
            Ok(())
        })
    }

    fn watch_signals(&self, on: super::SignalWatcher) -> BoxFuture<'_, AppResult<()>> {
        Box::pin(async move {
            let mut listener = PgListener::connect(&self.url).await?;
            listener.listen(SIGNAL_CHANNEL).await?;
            tokio::spawn(async move {
                loop {
                    // A frame lost while reconnecting is lost: signalling is live, and WebRTC
                    // retries (ICE restart) rather than waiting for an old candidate.
                    match listener.recv().await {
                        Ok(n) => {
                            if let Ok(id) = n.payload().parse() {
                                on(id);
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "postgres signal listener failed; retrying");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    }
                }
            });
            Ok(())
        })
    }

    fn commit_notice_sql(&self) -> Option<&'static str> {
        Some("SELECT pg_notify('careline_events', '')")
    }
}
