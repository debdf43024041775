//! The event hub of one server instance: broadcasts committed events, in seq order and without
//! gaps, to this instance's WebSocket connections. Local commits hand their events over in
//! memory (no read-back); when another instance committed (announced by the backend), or the
//! handed-over events leave a gap after the last one sent, the hub reads the log at once (and
//! again after `GAP_WAIT` should the gap outlive that). The log is the truth: seq order is
//! commit order, so reading after the last seq sent never misses an event.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::store::events::{StoredEvent, Viewer};
use crate::store::Store;

/// An event ready for every socket: serialized once, filtered per viewer.
pub struct LiveEvent {
    pub event: StoredEvent,
    pub text: axum::extract::ws::Utf8Bytes,
    /// The text a client's socket sends, where it differs (staff-only fields left out).
    pub client_text: Option<axum::extract::ws::Utf8Bytes>,
}

impl LiveEvent {
    /// What a socket of `viewer` sends.
    pub fn text_for(&self, viewer: Viewer) -> &axum::extract::ws::Utf8Bytes {
        match (viewer, &self.client_text) {
            (Viewer::Client(_), Some(t)) => t,
            _ => &self.text,
        }
    }
}

/// How long a gap in the handed-over events may stay before the hub reads the log again.
const GAP_WAIT: Duration = Duration::from_millis(50);

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
            // Events handed over by local commits, waiting for the ones before them.
            let mut pending: BTreeMap<i64, StoredEvent> = BTreeMap::new();
            loop {
                let wait = if pending.is_empty() { Duration::from_secs(3600) } else { GAP_WAIT };
                let woke = tokio::time::timeout(wait, store.committed.wake.notified()).await.is_ok();
                let handed = store.committed.take();
                let local = !handed.is_empty();
                for e in handed {
                    pending.insert(e.seq, e);
                }
                pump.send_contiguous(&mut pending, &metrics);
                // Read the log when someone else committed (woken with nothing handed over), or
                // when a gap is left before what was handed over: an event after the gap is
                // committed, and seq order is commit order, so the gap is committed too —
                // another instance's commits (its notice may come later, or together with a
                // local hand-over), or a local one whose hand-over is still on its way. Waiting
                // for the notice instead made every cross-instance delivery wait for the next
                // wake with nothing local, or for the gap's time-out.
                if (woke && !local) || !pending.is_empty() {
                    pump.send_from_log(&store, &mut pending, &metrics).await;
                }
            }
        });
        Ok(hub)
    }

    fn send_one(&self, event: StoredEvent, metrics: &Metrics) {
        self.last.store(event.seq, Ordering::Release);
        metrics.events_broadcast.fetch_add(1, Ordering::Relaxed);
        let text = serde_json::to_string(&event).unwrap_or_default().into();
        let client_text = (careline_protocol::staff_only::has_staff_only_fields(&event.kind) && !event.staff_only)
            .then(|| event.clone().for_client().ok().and_then(|e| serde_json::to_string(&e).ok()))
            .flatten()
            .map(Into::into);
        let _ = self.tx.send(Arc::new(LiveEvent { event, text, client_text }));
    }

    /// Sends the handed-over events that follow the last one sent, in order.
    fn send_contiguous(&self, pending: &mut BTreeMap<i64, StoredEvent>, metrics: &Metrics) {
        loop {
            let last = self.last();
            // Anything at or below `last` was already sent (from the log).
            while pending.first_key_value().is_some_and(|(seq, _)| *seq <= last) {
                pending.pop_first();
            }
            match pending.first_key_value() {
                Some((seq, _)) if *seq == last + 1 => {
                    let (_, e) = pending.pop_first().expect("checked above");
                    self.send_one(e, metrics);
                }
                _ => return,
            }
        }
    }

    async fn send_from_log(&self, store: &Store, pending: &mut BTreeMap<i64, StoredEvent>, metrics: &Metrics) {
        loop {
            match store.events_after(self.last(), 1000, Viewer::Staff).await {
                Ok(events) if events.is_empty() => break,
                Ok(events) => {
                    for e in events {
                        self.send_one(e, metrics);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading events for broadcast failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        self.send_contiguous(pending, metrics);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// The last seq broadcast.
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::Acquire)
    }
}
