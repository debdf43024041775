//! Reading the event log.

use careline_protocol::{Callback, Consultation, ForClient};
use serde_json::value::RawValue;
use sqlx::Row;
use uuid::Uuid;

use super::Store;
pub use crate::db::StoredEvent;
use crate::error::{AppError, AppResult};

/// Who reads a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Staff,
    Client(Uuid),
    /// A pharmacist: prescriptions from their submission on, nothing else.
    Pharmacy,
}

impl StoredEvent {
    pub fn visible_to(&self, viewer: Viewer) -> bool {
        match viewer {
            Viewer::Staff => true,
            Viewer::Client(c) => !self.staff_only && self.client_id == Some(c),
            Viewer::Pharmacy => self.kind == "prescription" && (self.pharmacy || !self.staff_only),
        }
    }

    /// The event as a client sees it: without what staff wrote about them (tags, call notes).
    pub fn for_client(mut self) -> AppResult<StoredEvent> {
        if careline_protocol::staff_only::has_staff_only_fields(&self.kind) {
            let data = self.data.get();
            let corrupt = |e: serde_json::Error| AppError::Corrupt(format!("event data: {e}"));
            let json = match self.kind.as_str() {
                "consultation" => serde_json::to_string(
                    &serde_json::from_str::<Consultation>(data)
                        .map_err(corrupt)?
                        .for_client(),
                ),
                _ => serde_json::to_string(
                    &serde_json::from_str::<Callback>(data)
                        .map_err(corrupt)?
                        .for_client(),
                ),
            }
            .map_err(corrupt)?;
            self.data = RawValue::from_string(json)
                .map_err(|e| AppError::Corrupt(format!("event data: {e}")))?;
        }
        Ok(self)
    }

    /// The event as `viewer` sees it.
    pub fn for_viewer(self, viewer: Viewer) -> AppResult<StoredEvent> {
        match viewer {
            Viewer::Staff | Viewer::Pharmacy => Ok(self),
            Viewer::Client(_) => self.for_client(),
        }
    }
}

impl Store {
    /// Events after `since`, up to `limit`, that the viewer may see.
    pub async fn events_after(
        &self,
        since: i64,
        limit: i64,
        viewer: Viewer,
    ) -> AppResult<Vec<StoredEvent>> {
        let rows = match viewer {
            Viewer::Staff => {
                sqlx::query("SELECT seq, kind, client_id, staff_only, data, at FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(since)
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?
            }
            Viewer::Pharmacy => {
                sqlx::query(
                    "SELECT seq, kind, client_id, staff_only, data, at FROM events \
                     WHERE kind = 'prescription' AND staff_only <> 1 AND seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(since)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?
            }
            Viewer::Client(c) => {
                sqlx::query(
                    "SELECT seq, kind, client_id, staff_only, data, at FROM events \
                     WHERE client_id = $1 AND staff_only = 0 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(c.to_string())
                .bind(since)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                StoredEvent {
                    seq: r.try_get("seq")?,
                    at: crate::time::from_ms(r.try_get("at")?),
                    kind: r.try_get("kind")?,
                    data: RawValue::from_string(data)
                        .map_err(|e| AppError::Corrupt(format!("event data: {e}")))?,
                    client_id: super::rows::get_opt_uuid(r, "client_id")?,
                    staff_only: super::rows::get_bool(r, "staff_only")?,
                    pharmacy: r.try_get::<i64, _>("staff_only")? == crate::db::PHARMACY_LEVEL,
                }
                .for_viewer(viewer)
            })
            .collect()
    }

    /// The last seq handed out (0 for an empty log).
    pub async fn last_seq(&self) -> AppResult<i64> {
        let row = sqlx::query("SELECT value FROM counters WHERE name = 'seq'")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The oldest seq still kept, if any event is.
    pub async fn oldest_seq(&self) -> AppResult<Option<i64>> {
        let row = sqlx::query("SELECT MIN(seq) AS m FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("m")?)
    }

    /// Whether a reader that has seen everything up to `since` can still catch up from the log.
    pub async fn can_resume_from(&self, since: i64) -> AppResult<bool> {
        // A position the log never reached (ahead of it, or in the gap a restore left): the
        // reader saw events a restored backup does not hold.
        if since > self.last_seq().await? {
            return Ok(false);
        }
        let gap = sqlx::query(
            "SELECT name, value FROM counters WHERE name IN ('restored_head', 'restored_gap_end')",
        )
        .fetch_all(&self.reader)
        .await?;
        let value = |n: &str| {
            gap.iter()
                .find(|r| r.try_get::<String, _>("name").is_ok_and(|x| x == n))
                .and_then(|r| r.try_get::<i64, _>("value").ok())
        };
        if let (Some(head), Some(end)) = (value("restored_head"), value("restored_gap_end")) {
            if since > head && since <= end {
                return Ok(false);
            }
        }
        Ok(match self.oldest_seq().await? {
            Some(oldest) => since >= oldest - 1,
            // Nothing kept: fine if nothing was ever handed out past `since`.
            None => since >= self.last_seq().await?,
        })
    }

    /// Drops events older than `before_ms`; readers behind them will be told to re-sync.
    pub async fn prune_events(&self, before_ms: i64) -> AppResult<u64> {
        let done = sqlx::query("DELETE FROM events WHERE at < $1")
            .bind(before_ms)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
