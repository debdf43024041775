//! Sessions found by token hash, kept for a few seconds: every request looks its token up.

use careline_protocol::Role;
use uuid::Uuid;

#[derive(Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (SessionRow, std::time::Instant)>>,
    ended_here: tokio::sync::Notify,
}

impl SessionCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    pub(crate) fn get(&self, hash: &str) -> Option<SessionRow> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(s, _)| s.clone())
    }

    pub(crate) fn put(&self, hash: &str, s: SessionRow) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
        }
        map.insert(hash.to_owned(), (s, std::time::Instant::now()));
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// A session was ended here (logout, revocation, an account disabled, blocked or erased):
    /// forgets every cached session and wakes this instance's socket watch, so the sockets of
    /// that session end at once instead of at the next periodic check.
    pub fn revoked(&self) {
        self.clear();
        self.ended_here.notify_one();
    }

    /// Waits until a session is ended on this instance.
    pub async fn ended_here(&self) {
        self.ended_here.notified().await
    }
}

/// A session found by its token hash.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    /// When the token expires (milliseconds since the epoch).
    pub expires_ms: i64,
    /// The one call a call page's session may touch; `None` for an ordinary session.
    pub call: Option<Uuid>,
}
