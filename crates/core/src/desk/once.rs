//! The desk's work done once, in the foreground, by a desk that runs no background loops (the
//! command-line desk): bring the cache up to date, send what waits. The same code the window's
//! loops run, called when asked.

use super::Desk;
use crate::files::Fetched;
use crate::outbox::Flushed;
use crate::sync::Progress;
use crate::CoreResult;

/// What one sync did.
#[derive(Debug, Clone, Default)]
pub struct Synced {
    /// Where the cache is now in the server's log, and how many changes it applied.
    pub progress: Progress,
    /// What the outbox sent (first, so the server's answer to it is in the same sync).
    pub outbox: Flushed,
    /// Files of cached messages fetched for offline reading.
    pub files: Fetched,
}

/// A step of a sync, for a progress line.
#[derive(Debug, Clone, Copy)]
pub enum SyncStep {
    /// A page of changes was applied.
    Applied(Progress),
    /// Messages were indexed for search (the count so far).
    Indexed(usize),
}

impl Desk {
    /// Sends the outbox, brings the cache up to date with the server, indexes every new
    /// message for search and fetches the files of cached messages. A session the server no
    /// longer accepts is an error (what waits stays in the outbox for the next login).
    pub async fn sync_now(&self, mut step: impl FnMut(SyncStep)) -> CoreResult<Synced> {
        let outbox = self.send_now().await?;
        let progress =
            crate::sync::catch_up(&self.remote, &self.cache, |p| step(SyncStep::Applied(p)))
                .await?;
        self.cache
            .index_pending(|n| step(SyncStep::Indexed(n)))
            .await?;
        let files = self.files.fetch(&self.remote, &self.cache).await?;
        Ok(Synced {
            progress,
            outbox,
            files,
        })
    }

    /// Sends what waits in the outbox now; a session the server refused is an error.
    pub async fn send_now(&self) -> CoreResult<Flushed> {
        let flushed = self.cache.flush(&self.remote).await?;
        match flushed.session_ended {
            Some(refusal) => Err(crate::CoreError::Refused(refusal)),
            None => Ok(flushed),
        }
    }

    /// How many records of each kind the cache holds.
    pub async fn cached(&self) -> CoreResult<Vec<(&'static str, i64)>> {
        self.cache.counts().await
    }
}
