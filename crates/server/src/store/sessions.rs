//! Session tokens: issued at login, looked up (briefly cached) on every request, revoked.

use careline_protocol::{ErrorCode, Role};
use sqlx::Row;
use uuid::Uuid;

use super::rows::{get_bool, get_enum, get_uuid};
use super::session_cache::SessionRow;
use super::Store;
use crate::error::{AppError, AppResult};
use crate::time::now_ms;

impl Store {
    pub async fn insert_token(&self, hash: &str, user_id: Uuid, role: Role, expires_ms: i64) -> AppResult<()> {
        let now = now_ms();
        sqlx::query("INSERT INTO tokens (hash, user_id, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash)
            .bind(user_id.to_string())
            .bind(role.as_str())
            .bind(now)
            .bind(expires_ms)
            .execute(&self.writer)
            .await?;
        // Expired tokens of this user are of no use to anyone.
        sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND expires_at < $2").bind(user_id.to_string()).bind(now).execute(&self.writer).await?;
        Ok(())
    }

    /// The live session behind a token hash, from the cache when it was looked up in the last
    /// few seconds (logout, disabling, blocking and password changes clear the cache at once).
    pub async fn session(&self, hash: &str) -> AppResult<Option<SessionRow>> {
        if let Some(s) = self.sessions.get(hash) {
            return Ok(Some(s));
        }
        let found = self.session_uncached(hash).await?;
        if let Some(s) = &found {
            self.sessions.put(hash, s.clone());
        }
        Ok(found)
    }

    /// The live session behind a token hash: not expired; an account disabled (or a client
    /// blocked) is refused with `account_disabled`.
    async fn session_uncached(&self, hash: &str) -> AppResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT t.user_id, t.role, COALESCE(o.name, c.name) AS name, \
                    COALESCE(o.disabled, c.blocked, 1) AS off, o.role AS op_role \
             FROM tokens t \
             LEFT JOIN operators o ON o.id = t.user_id \
             LEFT JOIN clients c ON c.id = t.user_id \
             WHERE t.hash = $1 AND t.expires_at > $2",
        )
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if get_bool(&row, "off")? {
            return Err(AppError::refuse(ErrorCode::AccountDisabled, "this account is disabled"));
        }
        // An operator's role is read live, so a promotion or demotion takes effect at once.
        let role: Role = match row.try_get::<Option<String>, _>("op_role")? {
            Some(r) => r.parse().map_err(|e: careline_protocol::UnknownValue| AppError::Corrupt(e.to_string()))?,
            None => get_enum(&row, "role")?,
        };
        Ok(Some(SessionRow { user_id: get_uuid(&row, "user_id")?, role, name: row.try_get("name")? }))
    }

    pub async fn delete_token(&self, hash: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM tokens WHERE hash = $1").bind(hash).execute(&self.writer).await?;
        self.sessions.clear();
        Ok(())
    }
}
