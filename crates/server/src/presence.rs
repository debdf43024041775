//! Presence: an operator's status is set explicitly and falls to `offline` by itself when
//! none of their connections has been alive for the grace period. Every instance keeps the
//! `last_seen` of the operators connected to it fresh, and sweeps the rest; so it works the
//! same with one instance or many.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

use crate::store::Store;

#[derive(Default)]
pub struct PresenceTracker {
    connections: Mutex<HashMap<Uuid, usize>>,
}

impl PresenceTracker {
    pub fn connected(&self, id: Uuid) {
        *self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default() += 1;
    }

    pub fn disconnected(&self, id: Uuid) {
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&id);
            }
        }
    }

    pub fn online_here(&self) -> Vec<Uuid> {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Touches connected operators and sweeps stale ones, forever.
    pub fn spawn(self: Arc<Self>, store: Store, grace: Duration) {
        let period = (grace / 3).clamp(Duration::from_millis(200), Duration::from_secs(20));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let here = self.online_here();
                if let Err(e) = store.touch_operators(&here).await {
                    tracing::warn!(error = %e, "presence touch failed");
                }
                let cutoff = crate::time::now_ms() - grace.as_millis() as i64;
                match store.sweep_presence(cutoff, &here).await {
                    Ok(gone) => {
                        for op in gone {
                            tracing::info!(operator = %op.login, "went offline after the grace period");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "presence sweep failed"),
                }
                // Whatever a stopped instance left unassigned (nothing, when the policy is manual).
                store.assign_waiting().await;
            }
        });
    }
}
