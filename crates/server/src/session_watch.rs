//! Ends the WebSockets whose session ended — logged out, expired, revoked on any instance, the
//! account disabled or the client blocked — at once when it ended on this instance, within
//! `EVERY` seconds when on another. One task per instance asks
//! the database about every open socket's session in one query per 500 of them; each socket
//! used to ask on its own every 3 s, which with 1,000 operators connected was most of what
//! they cost the server at rest (BENCHMARKS.md, presence).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::store::sessions::SessionEnd;
use crate::store::Store;

/// How often the open sockets' sessions are checked.
pub const EVERY: Duration = Duration::from_secs(3);

/// The sessions of this instance's open sockets, and what ended.
pub struct SessionWatch {
    /// Token hash → open sockets with it.
    open: Mutex<HashMap<String, usize>>,
    /// The sessions found ended at the last check (replaced each time one ends).
    ended: watch::Sender<Arc<HashMap<String, SessionEnd>>>,
}

/// A socket's place in the watch; leaving it (drop) forgets the socket.
pub struct Watched {
    watch: Arc<SessionWatch>,
    hash: String,
    pub ended: watch::Receiver<Arc<HashMap<String, SessionEnd>>>,
}

impl Watched {
    /// Why this socket's session ended, if it did.
    pub fn end(&self) -> Option<SessionEnd> {
        self.ended.borrow().get(&self.hash).copied()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let mut open = self.watch.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.hash) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.hash);
            }
        }
    }
}

impl SessionWatch {
    /// Starts the checking task.
    pub fn start(store: Store) -> Arc<SessionWatch> {
        let (ended, _) = watch::channel(Arc::new(HashMap::new()));
        let w = Arc::new(SessionWatch {
            open: Mutex::default(),
            ended,
        });
        let task = w.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                // Every `EVERY` (a revocation on another instance), and at once when a session
                // ends on this one (its sockets must not keep receiving for seconds).
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = store.sessions.ended_here() => {}
                }
                let hashes: Vec<String> = task
                    .open
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .keys()
                    .cloned()
                    .collect();
                let mut ended = HashMap::new();
                for chunk in hashes.chunks(500) {
                    match store.sessions_ended(chunk).await {
                        Ok(found) => ended.extend(found),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not check the sockets' sessions")
                        }
                    }
                }
                if !ended.is_empty() {
                    // The cache would let a request through for a few seconds more.
                    store.sessions.clear();
                    task.ended.send_replace(Arc::new(ended));
                }
            }
        });
        w
    }

    /// Watches a socket of the session `hash` until the returned value is dropped.
    pub fn watch(self: &Arc<Self>, hash: &str) -> Watched {
        *self
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(hash.to_owned())
            .or_insert(0) += 1;
        Watched {
            watch: self.clone(),
            hash: hash.to_owned(),
            ended: self.ended.subscribe(),
        }
    }
}
