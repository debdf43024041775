//! Housekeeping of the database, at start and every hour.

use std::time::Duration;

use std::sync::Arc;

use crate::blobs::Blobs;
use crate::config::Config;
use crate::store::Store;

/// Runs [`once`] at start and every hour.
pub async fn run(store: Store, blobs: Blobs, config: Arc<Config>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        once(&store, &blobs, &config).await;
    }
}

/// What keeps the database and the file store from growing without bound: events older than
/// the retention (if one is set; their readers are told to re-sync), remembered idempotent
/// answers older than their keep time, and uploads no message named within theirs.
pub async fn once(store: &Store, blobs: &Blobs, config: &Config) {
    let (event_retention_days, idempotency_keep_hours, unattached_keep_hours) = (
        config.event_retention_days,
        config.idempotency_keep_hours,
        config.unattached_keep_hours,
    );
    let now = crate::time::now_ms();
    if event_retention_days > 0 {
        if let Err(e) = store
            .prune_events(now - event_retention_days * 24 * 3600 * 1000)
            .await
        {
            tracing::warn!(error = %e, "pruning events failed");
        }
    }
    match store
        .prune_idempotency(now - idempotency_keep_hours.max(1) * 3600 * 1000)
        .await
    {
        Ok(n) if n > 0 => tracing::info!(
            pruned = n,
            "idempotent answers past their keep time removed"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning idempotent answers failed"),
    }
    let cutoff_ms = now - unattached_keep_hours.max(1) * 3600 * 1000;
    let cutoff = std::time::UNIX_EPOCH + Duration::from_millis(cutoff_ms.max(0) as u64);
    match store.prune_unattached(cutoff_ms).await {
        Ok(orphans) => {
            let mut removed = 0;
            for sha in &orphans {
                match blobs.remove_unused(sha, cutoff).await {
                    Ok(true) => removed += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "removing an unattached file failed"),
                }
            }
            if removed > 0 {
                tracing::info!(removed, "uploads no message named were deleted");
            }
        }
        Err(e) => tracing::warn!(error = %e, "pruning unattached uploads failed"),
    }
}
