//! Session tokens: issued at login, looked up (briefly cached) on every request, revoked.

use careline_protocol::{ErrorCode, Role, SessionInfo};
use sqlx::Row;
use uuid::Uuid;

use super::rows::{get_bool, get_enum, get_uuid};
use super::session_cache::SessionRow;
use super::Store;

/// Why a session no longer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Logged out, expired or revoked.
    Ended,
    /// The operator is disabled or the client blocked.
    Disabled,
}
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

impl Store {
    pub async fn insert_token(
        &self,
        hash: &str,
        user_id: Uuid,
        role: Role,
        expires_ms: i64,
    ) -> AppResult<()> {
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
        sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND expires_at < $2")
            .bind(user_id.to_string())
            .bind(now)
            .execute(&self.writer)
            .await?;
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

    /// Which of these sessions ended (unknown, expired or revoked) or belong to an account now
    /// disabled or blocked; read from the database, never from the cache.
    pub async fn sessions_ended(&self, hashes: &[String]) -> AppResult<Vec<(String, SessionEnd)>> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = super::SqlBuf::new(
            "SELECT t.hash, COALESCE(o.disabled, c.blocked, 1) AS off FROM tokens t \
             LEFT JOIN operators o ON o.id = t.user_id AND t.role <> 'client' \
             LEFT JOIN clients c ON c.id = t.user_id AND t.role = 'client'",
        );
        let ps: Vec<String> = hashes.iter().map(|h| q.arg(h.as_str())).collect();
        q.and(&format!("t.hash IN ({})", ps.join(", ")));
        let now = q.arg(now_ms());
        q.and(&format!("t.expires_at > {now}"));
        let mut live = std::collections::HashMap::new();
        for row in q.query().fetch_all(&self.reader).await? {
            live.insert(row.try_get::<String, _>("hash")?, get_bool(&row, "off")?);
        }
        Ok(hashes
            .iter()
            .filter_map(|h| match live.get(h) {
                None => Some((h.clone(), SessionEnd::Ended)),
                Some(true) => Some((h.clone(), SessionEnd::Disabled)),
                Some(false) => None,
            })
            .collect())
    }

    /// The live session behind a token hash: not expired; an account disabled (or a client
    /// blocked) is refused with `account_disabled`.
    async fn session_uncached(&self, hash: &str) -> AppResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT t.user_id, t.role, t.expires_at, t.call_id, COALESCE(o.name, c.name) AS name, \
                    COALESCE(o.disabled, c.blocked, 1) AS off, o.role AS op_role \
             FROM tokens t \
             LEFT JOIN operators o ON o.id = t.user_id AND t.role <> 'client' \
             LEFT JOIN clients c ON c.id = t.user_id AND t.role = 'client' \
             WHERE t.hash = $1 AND t.expires_at > $2",
        )
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if get_bool(&row, "off")? {
            return Err(AppError::refuse(
                ErrorCode::AccountDisabled,
                "this account is disabled",
            ));
        }
        // A session knows which kind of account it belongs to (the token's role): a staff token
        // reads only `operators`, a client's only `clients`, so an id one kind shares with the
        // other (as a forged or colliding row would) never lends one the other's rights. An
        // operator's role is read live, so a promotion or demotion takes effect at once; the
        // account missing from its own table (`off` is then 1) is refused above.
        let issued: Role = get_enum(&row, "role")?;
        let role: Role = match row.try_get::<Option<String>, _>("op_role")? {
            Some(r) if issued.is_staff() => r
                .parse()
                .map_err(|e: careline_protocol::UnknownValue| AppError::Corrupt(e.to_string()))?,
            _ => issued,
        };
        Ok(Some(SessionRow {
            user_id: get_uuid(&row, "user_id")?,
            role,
            name: row.try_get("name")?,
            expires_ms: row.try_get("expires_at")?,
            call: super::rows::get_opt_uuid(&row, "call_id")?,
        }))
    }

    /// Moves a live token's expiry to `expires_ms` (a session renewed while in use).
    pub async fn renew_token(
        &self,
        hash: &str,
        row: &SessionRow,
        expires_ms: i64,
    ) -> AppResult<()> {
        sqlx::query("UPDATE tokens SET expires_at = $1 WHERE hash = $2 AND expires_at > $3")
            .bind(expires_ms)
            .bind(hash)
            .bind(now_ms())
            .execute(&self.writer)
            .await?;
        self.sessions.put(
            hash,
            SessionRow {
                expires_ms,
                ..row.clone()
            },
        );
        Ok(())
    }

    /// Sets a token's expiry as it is (for tests of renewal and expiry).
    pub async fn set_token_expiry(&self, hash: &str, expires_ms: i64) -> AppResult<()> {
        sqlx::query("UPDATE tokens SET expires_at = $1 WHERE hash = $2")
            .bind(expires_ms)
            .bind(hash)
            .execute(&self.writer)
            .await?;
        self.sessions.clear();
        Ok(())
    }

    pub async fn delete_token(&self, hash: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM tokens WHERE hash = $1")
            .bind(hash)
            .execute(&self.writer)
            .await?;
        self.sessions.revoked();
        Ok(())
    }

    /// The live sessions of `user`, newest first; `current` is the caller's token hash.
    pub async fn sessions_of(&self, user: Uuid, current: &str) -> AppResult<Vec<SessionInfo>> {
        let rows = sqlx::query("SELECT hash, created_at, expires_at FROM tokens WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC")
            .bind(user.to_string())
            .bind(now_ms())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                let hash: String = r.try_get("hash")?;
                Ok(SessionInfo {
                    id: session_id(&hash),
                    user_id: user,
                    created_at: from_ms(r.try_get("created_at")?),
                    expires_at: from_ms(r.try_get("expires_at")?),
                    current: hash == current,
                })
            })
            .collect()
    }

    /// Ends the session `id` of `user` (if it is theirs); whether it did.
    pub async fn revoke_session(&self, user: Uuid, id: &str) -> AppResult<bool> {
        if !valid_session_id(id) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND hash LIKE $2")
            .bind(user.to_string())
            .bind(format!("{id}%"))
            .execute(&self.writer)
            .await?;
        self.sessions.revoked();
        Ok(done.rows_affected() > 0)
    }

    /// The user a session id belongs to, if it is live.
    pub async fn session_owner(&self, id: &str) -> AppResult<Option<Uuid>> {
        if !valid_session_id(id) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT user_id FROM tokens WHERE hash LIKE $1 LIMIT 1")
            .bind(format!("{id}%"))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| get_uuid(&r, "user_id")).transpose()
    }
}

/// A session's public name: the first 128 bits of its token's SHA-256 (itself never secret
/// enough to log in with: the token is the secret, the hash only finds it).
const SESSION_ID_LEN: usize = 32;

fn valid_session_id(id: &str) -> bool {
    id.len() == SESSION_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn session_id(hash: &str) -> String {
    hash[..SESSION_ID_LEN.min(hash.len())].to_owned()
}
