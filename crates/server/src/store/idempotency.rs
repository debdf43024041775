//! The answers remembered for `Idempotency-Key` (see the `idempotency` middleware), by user
//! and key, pruned after their keep time.

use sqlx::Row;

use super::Store;
use crate::error::AppResult;
use crate::time::now_ms;

impl Store {
    pub async fn idempotent_answer(
        &self,
        user: &str,
        key: &str,
    ) -> AppResult<Option<(u16, String)>> {
        let row =
            sqlx::query("SELECT status, body FROM idempotency WHERE user_id = $1 AND key = $2")
                .bind(user)
                .bind(key)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|r| (r.get::<i64, _>(0) as u16, r.get::<String, _>(1))))
    }

    pub async fn remember_answer(
        &self,
        user: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> AppResult<()> {
        sqlx::query("INSERT INTO idempotency (user_id, key, status, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(user)
            .bind(key)
            .bind(status as i64)
            .bind(body)
            .bind(now_ms())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Forgets answers remembered before `before_ms`; how many.
    pub async fn prune_idempotency(&self, before_ms: i64) -> AppResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(before_ms)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
