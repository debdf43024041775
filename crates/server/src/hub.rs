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
        let last = store.last_seq().await?;
        Ok(Hub::start_after(store, metrics, last))
    }

    /// Starts the pump with every event up to `last` taken as sent.
    fn start_after(store: Store, metrics: Arc<Metrics>, last: i64) -> Arc<Hub> {
        let (tx, _) = broadcast::channel(8192);
        let hub = Arc::new(Hub {
            tx,
            last: AtomicI64::new(last),
        });
        let pump = hub.clone();
        tokio::spawn(async move {
            // Events handed over by local commits, waiting for the ones before them.
            let mut pending: BTreeMap<i64, StoredEvent> = BTreeMap::new();
            loop {
                let wait = if pending.is_empty() {
                    Duration::from_secs(3600)
                } else {
                    GAP_WAIT
                };
                let _ = tokio::time::timeout(wait, store.committed.wake.notified()).await;
                // Before the hand-over: a notice after this is another turn (the wake keeps it).
                let unseen = store.committed.take_unseen();
                for e in store.committed.take() {
                    pending.insert(e.seq, e);
                }
                pump.send_contiguous(&mut pending, &metrics);
                // Read the log when it may hold commits not handed over (announced by a commit
                // notice, another instance's or this one's), or when a gap is left before what was handed over: an event after
                // the gap is committed, and seq order is commit order, so the gap is committed
                // too — another instance's commits (its notice may come later), or a local one
                // whose hand-over is still on its way. Waiting for the notice instead made every
                // cross-instance delivery wait for the next wake, or for the gap's time-out.
                if unseen || !pending.is_empty() {
                    pump.send_from_log(&store, &mut pending, &metrics).await;
                }
            }
        });
        hub
    }

    fn send_one(&self, event: StoredEvent, metrics: &Metrics) {
        self.last.store(event.seq, Ordering::Release);
        metrics.events_broadcast.fetch_add(1, Ordering::Relaxed);
        let text = serde_json::to_string(&event).unwrap_or_default().into();
        let client_text = (careline_protocol::staff_only::has_staff_only_fields(&event.kind)
            && !event.staff_only)
            .then(|| {
                event
                    .clone()
                    .for_client()
                    .ok()
                    .and_then(|e| serde_json::to_string(&e).ok())
            })
            .flatten()
            .map(Into::into);
        let _ = self.tx.send(Arc::new(LiveEvent {
            event,
            text,
            client_text,
        }));
    }

    /// Sends the handed-over events that follow the last one sent, in order.
    fn send_contiguous(&self, pending: &mut BTreeMap<i64, StoredEvent>, metrics: &Metrics) {
        loop {
            let last = self.last();
            // Anything at or below `last` was already sent (from the log).
            while pending
                .first_key_value()
                .is_some_and(|(seq, _)| *seq <= last)
            {
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

    async fn send_from_log(
        &self,
        store: &Store,
        pending: &mut BTreeMap<i64, StoredEvent>,
        metrics: &Metrics,
    ) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// Commits `n` events without handing them to the hub (as another instance's commits).
    async fn commit_unannounced(store: &Store, before: i64, n: usize) -> Vec<StoredEvent> {
        let mut tx = store.begin().await.unwrap();
        for _ in 0..n {
            let seq = tx.next_seq().await.unwrap();
            sqlx::query("INSERT INTO events (seq, kind, client_id, staff_only, data, at) VALUES ($1, 'settings', NULL, 1, '{}', 0)")
                .bind(seq)
                .execute(tx.conn())
                .await
                .unwrap();
        }
        tx.tx.commit().await.unwrap();
        store
            .events_after(before, 100, Viewer::Staff)
            .await
            .unwrap()
    }

    /// A commit of this instance handed over and another instance's commit right after it,
    /// announced while the hub was busy: both reach the sockets. The hub once took the one wake
    /// both left for the local hand-over alone and left the other instance's events unsent
    /// until the next commit anywhere (a failover benchmark's last messages: never).
    #[tokio::test]
    async fn a_remote_commit_announced_with_a_local_one_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let store = Store::open(&config).await.unwrap();
        let start = store.last_seq().await.unwrap();
        let events = commit_unannounced(&store, start, 2).await;
        let (local, remote) = (events[0].seq, events[1].seq);
        // The pump is not polled before the test's next await: it is busy, as under load, and
        // wakes once for both.
        let hub = Hub::start_after(store.clone(), Arc::default(), start);
        let mut live = hub.subscribe();
        store
            .committed
            .publish(vec![events.into_iter().next().unwrap()]);
        store.committed.log_has_more();
        for expected in [local, remote] {
            let got = tokio::time::timeout(Duration::from_secs(2), live.recv()).await;
            let seq = got.map(|e| e.unwrap().event.seq).ok();
            assert_eq!(seq, Some(expected), "event {expected} within 2 s");
        }
    }
}
