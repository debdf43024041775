//! Catching the cache up with the server: pages of events after the cache's position, each
//! page applied with its new position in one transaction.

use careline_protocol::ErrorCode;

use crate::{Cache, CoreError, CoreResult, Remote};

/// Downloads the current state into an empty cache; the position becomes the snapshot's head.
async fn download_state(
    remote: &Remote,
    cache: &Cache,
    on_page: &mut impl FnMut(Progress),
) -> CoreResult<Progress> {
    let mut cursor: Option<String> = None;
    let mut head: Option<i64> = None;
    let mut progress = Progress::default();
    loop {
        let page = remote.snapshot_page(cursor.as_deref(), PAGE).await?;
        let head = *head.get_or_insert(page.head);
        let last = page.next_cursor.is_none();
        // The position is written with the last page only: a crash in between starts over.
        progress.applied += cache.apply_state(page.items, last.then_some(head)).await?;
        progress.position = if last { head } else { 0 };
        on_page(progress);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(progress),
        }
    }
}

/// Pages of this many events.
pub const PAGE: i64 = 5000;

/// How far a catch-up got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub applied: usize,
    pub position: i64,
}

/// Brings the cache up to date: an empty cache first downloads the current state in pages
/// (the snapshot), then every event after it is applied; `on_page` hears after each page.
/// When the server no longer keeps the events after our position, the cache is filled again
/// from the snapshot (the outbox stays).
pub async fn catch_up(
    remote: &Remote,
    cache: &Cache,
    mut on_page: impl FnMut(Progress),
) -> CoreResult<Progress> {
    let mut progress = Progress {
        applied: 0,
        position: cache.last_seq().await?,
    };
    if progress.position == 0 {
        progress = download_state(remote, cache, &mut on_page).await?;
    }
    loop {
        let page = match remote.sync_page(progress.position, PAGE).await {
            Err(CoreError::Refused(e)) if e.code == ErrorCode::ResyncRequired => {
                tracing::info!(
                    position = progress.position,
                    "the server no longer has our events: downloading the state again"
                );
                cache.reset_entities().await?;
                progress = download_state(remote, cache, &mut on_page).await?;
                continue;
            }
            other => other?,
        };
        progress.applied += cache.apply(page.events, page.next).await?;
        progress.position = page.next;
        on_page(progress);
        if !page.has_more {
            // What a big download left out of the search index is indexed in the background:
            // the cache is complete and browsable now, searchable when that is done.
            cache.index_in_background();
            return Ok(progress);
        }
    }
}
