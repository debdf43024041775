//! Housekeeping of the database, at start and every hour.

use std::time::Duration;

use crate::store::Store;

/// What keeps the database from growing without bound, at start and every hour: events older
/// than the retention (if one is set; their readers are told to re-sync) and remembered
/// idempotent answers older than their keep time.
pub async fn run(store: Store, event_retention_days: i64, idempotency_keep_hours: i64) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = crate::time::now_ms();
        if event_retention_days > 0 {
            if let Err(e) = store.prune_events(now - event_retention_days * 24 * 3600 * 1000).await {
                tracing::warn!(error = %e, "pruning events failed");
            }
        }
        match store.prune_idempotency(now - idempotency_keep_hours.max(1) * 3600 * 1000).await {
            Ok(n) if n > 0 => tracing::info!(pruned = n, "idempotent answers past their keep time removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning idempotent answers failed"),
        }
    }
}
