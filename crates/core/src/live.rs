//! Following the server live: the WebSocket, resumed from the cache's position, each event
//! applied as it comes; reconnects with exponential backoff and jitter; a silent connection is
//! dropped; when the server no longer has the events after our position, the cache is
//! re-synced from scratch — the outbox is kept.

use std::time::Duration;

use careline_protocol::{Event, WsControl};
use futures::StreamExt;
use rand::Rng;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::{sync, Cache, CoreError, CoreResult, Remote};

/// The wait before reconnect attempt `attempt` (0-based): doubling from 500 ms up to 30 s,
/// with full jitter so that a thousand desks do not come back in step.
pub fn backoff(attempt: u32, rng: &mut impl Rng) -> Duration {
    let cap = Duration::from_millis(500)
        .saturating_mul(1u32 << attempt.min(6))
        .min(Duration::from_secs(30));
    cap.mul_f64(rng.gen_range(0.5..=1.0))
}

/// A connection with no frame at all (the server pings every 20 s) for this long is dead.
pub const SILENCE: Duration = Duration::from_secs(60);

/// What the follower tells its owner.
#[derive(Debug, Clone)]
pub enum Update {
    /// Connected and caught up.
    Live,
    /// Events applied to the cache.
    Applied(Vec<Event>),
    /// The connection dropped; reconnecting after the delay.
    Offline { retry_in: Duration },
    /// The server no longer had our events: the cache was filled again from scratch.
    Resynced,
}

/// Follows until `on_update` returns false or the session is refused (the token expired or
/// was revoked: the error says so). `wake` cuts a reconnect wait short (the desk wakes it when
/// the server was seen to answer again, so live updates resume at once rather than after the
/// backoff).
pub async fn follow(
    remote: &Remote,
    cache: &Cache,
    wake: &tokio::sync::Notify,
    mut on_update: impl FnMut(Update) -> bool,
) -> CoreResult<()> {
    let mut attempt = 0u32;
    loop {
        match session(remote, cache, &mut on_update, &mut attempt).await {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(CoreError::Refused(e))
                if e.code.ends_session() =>
            {
                return Err(CoreError::Refused(e))
            }
            Err(e) => tracing::debug!(error = %e, "live connection ended"),
        }
        let wait = backoff(attempt, &mut rand::thread_rng());
        attempt = attempt.saturating_add(1);
        if !on_update(Update::Offline { retry_in: wait }) {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}

/// One connection. Ok(true): reconnect; Ok(false): the owner asked to stop.
async fn session(
    remote: &Remote,
    cache: &Cache,
    on_update: &mut impl FnMut(Update) -> bool,
    attempt: &mut u32,
) -> CoreResult<bool> {
    // Catch up over REST first (pages are cheaper than a long replay), then go live.
    sync::catch_up(remote, cache, |_| {}).await?;
    let since = cache.last_seq().await?;
    let url = format!(
        "{}/api/v1/ws?resume={since}",
        remote.base().replacen("http", "ws", 1)
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .map_err(|e| CoreError::LiveConnect(format!("the address: {e}")))?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", remote.token())
            .parse()
            .map_err(|_| CoreError::NotLoggedIn)?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| CoreError::LiveConnect(e.to_string()))?;
    loop {
        let frame = match tokio::time::timeout(SILENCE, ws.next()).await {
            Err(_) => return Ok(true), // silent: reconnect
            Ok(None) | Ok(Some(Err(_))) => return Ok(true),
            Ok(Some(Ok(f))) => f,
        };
        let WsMessage::Text(text) = frame else {
            continue;
        };
        if let Ok(control) = serde_json::from_str::<WsControl>(&text) {
            match control {
                WsControl::Live { .. } => {
                    *attempt = 0;
                    if !on_update(Update::Live) {
                        return Ok(false);
                    }
                }
                WsControl::ResyncRequired { .. } => {
                    cache.reset_entities().await?;
                    sync::catch_up(remote, cache, |_| {}).await?;
                    if !on_update(Update::Resynced) {
                        return Ok(false);
                    }
                    return Ok(true);
                }
            }
            continue;
        }
        let event: Event = match serde_json::from_str(&text) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "an event the core does not understand; skipping it");
                continue;
            }
        };
        let seq = event.seq;
        cache.apply(vec![event.clone()], seq).await?;
        if !on_update(Update::Applied(vec![event])) {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 0..20 {
            let cap = Duration::from_millis(500)
                .saturating_mul(1 << attempt.min(6))
                .min(Duration::from_secs(30));
            for _ in 0..50 {
                let d = backoff(attempt, &mut rng);
                assert!(
                    d <= cap && d >= cap / 2,
                    "attempt {attempt}: {d:?} vs {cap:?}"
                );
            }
        }
        assert!(backoff(30, &mut rng) <= Duration::from_secs(30));
    }
}
