//! Catching the cache up with the server: pages of events after the cache's position, each
//! page applied with its new position in one transaction.

use crate::{Cache, CoreResult, Remote};

/// Pages of this many events.
pub const PAGE: i64 = 5000;

/// How far a catch-up got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub applied: usize,
    pub position: i64,
}

/// Applies every event after the cache's position; `on_page` hears after each page.
pub async fn catch_up(remote: &Remote, cache: &Cache, mut on_page: impl FnMut(Progress)) -> CoreResult<Progress> {
    let mut progress = Progress { applied: 0, position: cache.last_seq().await? };
    loop {
        let page = remote.sync_page(progress.position, PAGE).await?;
        progress.applied += cache.apply(&page.events, page.next).await?;
        progress.position = page.next;
        on_page(progress);
        if !page.has_more {
            return Ok(progress);
        }
    }
}
