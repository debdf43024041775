//! Calls from the desk. The desk's web view has no WebRTC on Linux (Debian 12's WebKitGTK
//! exposes no `RTCPeerConnection`), so the call itself runs in the system browser, on the call
//! page the server serves, opened with a one-time link; the desk starts the call, opens and
//! reopens that page, hangs up, and shows the call's state from the events (cached, so a
//! reconnect or a restart shows it again).

use careline_protocol::{Call, CallMedia, EventData};
use sqlx::Row;
use uuid::Uuid;

use super::Desk;
use crate::CoreResult;

/// Calls, borrowed from the desk ([`Desk::calls`]).
pub struct Calls<'a> {
    pub(super) desk: &'a Desk,
}

impl Calls<'_> {
    /// Rings the consultation's client; returns the call and the absolute one-time link to its
    /// page (for the system browser).
    pub async fn start(&self, consultation: Uuid, media: CallMedia) -> CoreResult<(Call, String)> {
        let call = self.desk.remote.start_call(consultation, media).await?;
        self.keep(&call).await?;
        let link = self.link(call.id).await?;
        Ok((call, link))
    }

    /// A new one-time link to a call's page (the window was closed: open it again).
    pub async fn link(&self, call: Uuid) -> CoreResult<String> {
        let link = self.desk.remote.call_link(call).await?;
        Ok(format!(
            "{}{}",
            self.desk.remote.base().trim_end_matches('/'),
            link.url
        ))
    }

    pub async fn hang_up(&self, call: Uuid) -> CoreResult<Call> {
        let call = self.desk.remote.hangup_call(call).await?;
        self.keep(&call).await?;
        Ok(call)
    }

    /// The consultation's latest call, from the cache (offline too).
    pub async fn latest(&self, consultation: Uuid) -> CoreResult<Option<Call>> {
        let row = sqlx::query(
            "SELECT data FROM calls WHERE consultation_id = ? ORDER BY rang_at DESC, id DESC LIMIT 1",
        )
        .bind(consultation.to_string())
        .fetch_optional(self.desk.cache.pool())
        .await?;
        row.map(|r| crate::cache::parse::<Call>(r.get(0)))
            .transpose()
    }

    /// What the server answered, kept as an event would have it.
    async fn keep(&self, call: &Call) -> CoreResult<()> {
        self.desk
            .cache
            .apply_state(vec![EventData::Call(call.clone())], None)
            .await
            .map(|_| ())
    }
}
