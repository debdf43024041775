//! Signalling frames in transit between instances sharing one PostgreSQL database: a frame for
//! a party that may be connected elsewhere is written to `call_signals`, and its id rides a
//! NOTIFY in the same statement; every instance reads it and hands it to its own sockets.

use sqlx::Row;

use super::Store;
use crate::error::AppResult;
use crate::time::now_ms;

/// Rows older than this are swept (a frame is read within milliseconds of its NOTIFY).
const KEEP_MS: i64 = 60 * 1000;

impl Store {
    /// Whether other instances may hold sockets (frames then go through the database too).
    pub fn shared(&self) -> bool {
        self.backend.shared()
    }

    /// Puts a frame for `route` in transit to the other instances.
    pub async fn signal_out(&self, origin: &str, route: &str, body: &str) -> AppResult<()> {
        sqlx::query(
            "WITH s AS (INSERT INTO call_signals (origin, route, body, at) VALUES ($1, $2, $3, $4) RETURNING id) \
             SELECT pg_notify('careline_signals', CAST(id AS TEXT)) FROM s",
        )
        .bind(origin)
        .bind(route)
        .bind(body)
        .bind(now_ms())
        .fetch_all(&self.writer)
        .await?;
        Ok(())
    }

    /// A frame in transit: `(origin, route, body)`.
    pub async fn signal_in(&self, id: i64) -> AppResult<Option<(String, String, String)>> {
        sqlx::query("SELECT origin, route, body FROM call_signals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .map(|r| -> AppResult<_> {
                Ok((
                    r.try_get("origin")?,
                    r.try_get("route")?,
                    r.try_get("body")?,
                ))
            })
            .transpose()
    }

    /// Forgets frames every instance has long read.
    pub async fn sweep_signals(&self) -> AppResult<()> {
        sqlx::query("DELETE FROM call_signals WHERE at < $1")
            .bind(now_ms() - KEEP_MS)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(crate) fn backend_handle(&self) -> std::sync::Arc<dyn crate::db::Backend> {
        self.backend.clone()
    }
}
