//! The event hub of one server instance: after every commit (its own, or another instance's
//! announced by the backend) it reads the new events from the log in seq order and broadcasts
//! them to this instance's WebSocket connections. Reading from the log — not passing events
//! in memory — is what makes delivery gap-free across instances.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::db::Store;
use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::store::events::{StoredEvent, Viewer};

/// An event ready for every socket: serialized once, filtered per viewer.
pub struct LiveEvent {
    pub event: StoredEvent,
    pub text: axum::extract::ws::Utf8Bytes,
}

pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    last: AtomicI64,
}

impl Hub {
    /// Starts the pump from the log's current end.
    pub async fn start(store: Store, metrics: Arc<Metrics>) -> AppResult<Arc<Hub>> {
        let (tx, _) = broadcast::channel(8192);
        let hub = Arc::new(Hub { tx, last: AtomicI64::new(store.last_seq().await?) });
        let pump = hub.clone();
        tokio::spawn(async move {
            loop {
                store.committed.notified().await;
                loop {
                    let since = pump.last.load(Ordering::Acquire);
                    match store.events_after(since, 1000, Viewer::Staff).await {
                        Ok(events) if events.is_empty() => break,
                        Ok(events) => {
                            for event in events {
                                pump.last.store(event.seq, Ordering::Release);
                                metrics.events_broadcast.fetch_add(1, Ordering::Relaxed);
                                let text = serde_json::to_string(&event).unwrap_or_default().into();
                                let _ = pump.tx.send(Arc::new(LiveEvent { event, text }));
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "reading events for broadcast failed; retrying");
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        });
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// The last seq broadcast.
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::Acquire)
    }
}
