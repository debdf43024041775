//! The numbers on the sidebar's badges and the tray.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::Views;
use crate::CoreResult;

/// The numbers on the sidebar's badges and the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub queue: i64,
    pub mine: i64,
    pub active: i64,
    /// Open callback requests that are due.
    pub callbacks_due: i64,
    pub callbacks_open: i64,
    /// Unread client messages in my consultations.
    pub unread: i64,
    pub operators_online: i64,
    pub clients: i64,
    /// Outbox entries not confirmed yet, and refused ones.
    pub outbox_pending: i64,
    pub outbox_failed: i64,
}

impl Views<'_> {
    pub async fn counts(&self) -> CoreResult<Counts> {
        let one = |sql: &'static str| async move {
            sqlx::query(sql)
                .fetch_one(self.cache.pool())
                .await
                .map(|r| r.get::<i64, _>(0))
        };
        let now = Utc::now().timestamp_millis();
        let me_text = self.me.to_string();
        let mine = sqlx::query(
            "SELECT COUNT(*) FROM consultations WHERE status = 'active' AND operator_id = ?",
        )
        .bind(&me_text)
        .fetch_one(self.cache.pool())
        .await?
        .get(0);
        let unread = sqlx::query(
            "SELECT COUNT(*) FROM consultations c JOIN messages m ON m.consultation_id = c.id AND m.from_client = 1 \
             WHERE c.status = 'active' AND c.operator_id = ?1 \
             AND m.seq > COALESCE((SELECT r.seq FROM reads r WHERE r.consultation_id = c.id AND r.reader_id = ?1), 0)",
        )
        .bind(&me_text)
        .fetch_one(self.cache.pool())
        .await?
        .get(0);
        Ok(Counts {
            queue: one("SELECT COUNT(*) FROM consultations WHERE status = 'new'").await?,
            mine,
            active: one("SELECT COUNT(*) FROM consultations WHERE status = 'active'").await?,
            callbacks_due: sqlx::query("SELECT COUNT(*) FROM callbacks WHERE status IN ('new', 'claimed') AND due_at <= ?")
                .bind(now)
                .fetch_one(self.cache.pool())
                .await?
                .get(0),
            callbacks_open: one("SELECT COUNT(*) FROM callbacks WHERE status IN ('new', 'claimed')").await?,
            unread,
            operators_online: one("SELECT COUNT(*) FROM operators WHERE json_extract(data, '$.status') IN ('online', 'busy', 'away')").await?,
            clients: one("SELECT COUNT(*) FROM clients").await?,
            outbox_pending: one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await?,
            outbox_failed: one("SELECT COUNT(*) FROM outbox WHERE state = 'failed'").await?,
        })
    }
}
