//! Sends the webhook outbox ([`crate::store::webhooks`]): every instance runs [`run`], holding
//! due deliveries one at a time (so two instances never send the same one at once, and a
//! consultation's events go in order), signing each in the Standard Webhooks form (the
//! `standardwebhooks` crate, the scheme's reference implementation), retrying with exponential
//! backoff and jitter. Targets are checked at every attempt: the host is resolved and each
//! address must be public (unless `webhook_allow_private`), the connection goes to exactly the
//! addresses checked (no second lookup a DNS rebinding could change), redirects are not
//! followed, the answer is read up to 64 KiB, and each attempt has a time limit.

pub mod events;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::store::webhooks::{Due, Outcome};
use crate::store::Store;
use target::resolve;

/// How much of an answer is read (the rest is not awaited).
const ANSWER_LIMIT: usize = 64 * 1024;
/// Deliveries sent at once by one instance.
const BATCH: i64 = 16;

/// One attempt: signed, to the checked addresses, without redirects, time-limited.
pub async fn attempt(due: &Due, config: &Config) -> Outcome {
    match try_attempt(due, config).await {
        Ok(status) if (200..300).contains(&status) => Outcome::Delivered { status },
        Ok(status) => Outcome::Failed {
            status: Some(status),
            error: format!("HTTP {status}"),
        },
        Err(error) => Outcome::Failed {
            status: None,
            error,
        },
    }
}

async fn try_attempt(due: &Due, config: &Config) -> Result<u16, String> {
    let url = reqwest::Url::parse(&due.url).map_err(|e| format!("url: {e}"))?;
    let addrs = resolve(&url, config.webhook_allow_private).await?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let timeout = Duration::from_secs(config.webhook_timeout_secs.max(1));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&host, &addrs)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent("Careline-Webhooks/1")
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let timestamp = chrono::Utc::now().timestamp();
    let signature = standardwebhooks::Webhook::new(&due.secret)
        .and_then(|w| w.sign(&due.id, timestamp, due.payload.as_bytes()))
        .map_err(|e| format!("signing: {e:?}"))?;
    let send = async {
        let mut answer = client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &due.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(due.payload.clone())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("timed out after {} s", timeout.as_secs())
                } else {
                    format!("sending: {e}")
                }
            })?;
        let status = answer.status().as_u16();
        // Read a little of the answer (a receiver may want it read); never more.
        let mut read = 0;
        while read < ANSWER_LIMIT {
            match answer.chunk().await {
                Ok(Some(c)) => read += c.len(),
                _ => break,
            }
        }
        Ok::<u16, String>(status)
    };
    tokio::time::timeout(timeout, send)
        .await
        .map_err(|_| format!("timed out after {} s", timeout.as_secs()))?
}

/// The wait before the next attempt: `base` × 2^(attempts − 1), at most an hour, times a
/// random 0.5–1.0 (so endpoints that failed together do not retry together).
pub fn backoff_ms(base_ms: u64, attempts_so_far: i64) -> i64 {
    let exp = attempts_so_far.clamp(0, 20) as u32;
    let full = (base_ms.max(1) as f64 * 2f64.powi(exp as i32)).min(3_600_000.0);
    (full * (0.5 + rand::random::<f64>() * 0.5)) as i64
}

/// Sends the outbox, forever: due deliveries every half second (sooner when told), the sweeps
/// every few seconds.
pub async fn run(store: Store, config: Arc<Config>) {
    let window_ms = (config.webhook_retry_secs as i64).saturating_mul(1000);
    let hold_ms = (config.webhook_timeout_secs as i64 + 5) * 1000 * 2;
    let mut last_sweep = std::time::Instant::now() - Duration::from_secs(60);
    let mut busy = false;
    loop {
        // Asked when idle only: while deliveries flow, endpoints exist.
        if !busy && !store.has_webhooks().await.unwrap_or(true) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        if last_sweep.elapsed() >= Duration::from_secs(2) {
            last_sweep = std::time::Instant::now();
            let undelivered = (config.webhook_undelivered_secs as i64).saturating_mul(1000);
            if let Err(e) = store
                .sweep_webhooks(undelivered, config.webhook_due_soon_minutes * 60_000)
                .await
            {
                tracing::warn!(error = %e, "webhook sweep");
            }
            if let Err(e) = store.expire_deliveries(window_ms).await {
                tracing::warn!(error = %e, "expiring webhook deliveries");
            }
        }
        let due = match store.claim_deliveries(BATCH, hold_ms).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries");
                Vec::new()
            }
        };
        busy = !due.is_empty();
        let sent = futures::future::join_all(due.iter().map(|d| async {
            let outcome = attempt(d, &config).await;
            let retry = match &outcome {
                Outcome::Delivered { .. } => None,
                Outcome::Failed { .. } => {
                    let wait = backoff_ms(config.webhook_backoff_base_ms, d.attempts);
                    (crate::time::now_ms() + wait < d.created_at + window_ms).then_some(wait)
                }
            };
            if let Err(e) = store
                .record_attempt(d, &outcome, retry, config.webhook_pause_after)
                .await
            {
                tracing::warn!(error = %e, delivery = %d.id, "recording a webhook attempt");
            }
        }));
        sent.await;
        if !busy {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
