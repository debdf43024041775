//! Quick replies: the team's and my own, fetched from the server when they change (the `quick
//! replies` event) and kept in the cache, so the `/` picker works offline. Editing them is online
//! only, as for every shared rule: a reply must not wait in an outbox while colleagues use the
//! old one.

use careline_protocol::{QuickReply, QuickReplyRequest};
use uuid::Uuid;

use super::Desk;
use crate::CoreResult;

/// The quick replies, borrowed from the desk ([`Desk::replies`]).
pub struct Replies<'a> {
    pub(super) desk: &'a Desk,
}

impl Replies<'_> {
    /// The team's replies and mine; offline, the ones fetched last.
    pub async fn quick_replies(&self) -> CoreResult<Vec<QuickReply>> {
        Ok(self
            .desk
            .kept("quick_replies", self.desk.remote.quick_replies().await)
            .await?
            .0)
    }

    /// A new reply (`id` none) or a changed one; the list as it is now.
    pub async fn save_quick_reply(
        &self,
        id: Option<Uuid>,
        req: &QuickReplyRequest,
    ) -> CoreResult<Vec<QuickReply>> {
        self.desk.remote.save_quick_reply(id, req).await?;
        self.quick_replies().await
    }

    pub async fn delete_quick_reply(&self, id: Uuid) -> CoreResult<Vec<QuickReply>> {
        self.desk.remote.delete_quick_reply(id).await?;
        self.quick_replies().await
    }
}
