//! Sends the webhook outbox ([`crate::store::webhooks`]): every instance runs [`run`], holding
//! due deliveries one at a time (so two instances never send the same one at once, and a
//! consultation's events go in order), signing each in the Standard Webhooks form (the
//! `standardwebhooks` crate, the scheme's reference implementation), retrying with exponential
//! backoff and jitter. Targets are checked at every attempt: the host is resolved and each
//! address must be public (unless `webhook_allow_private`), the connection goes to exactly the
//! addresses checked (no second lookup a DNS rebinding could change), redirects are not
//! followed, the answer is read up to 64 KiB, and each attempt has a time limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use careline_protocol::{Message, WebhookEventType};
use serde_json::json;
use sqlx::Row;

use crate::config::Config;
use crate::db::WriteTx;
use crate::error::AppResult;
use crate::store::webhooks::{enqueue, Due, Outcome};
use crate::store::Store;

/// How much of an answer is read (the rest is not awaited).
const ANSWER_LIMIT: usize = 64 * 1024;
/// Deliveries sent at once by one instance.
const BATCH: i64 = 16;

/// Checks a URL an admin gives: `http(s)`, a host, no credentials; a literal address must be
/// public unless private ones are allowed (a name is checked when it is resolved, at sending).
pub fn check_url(url: &str, allow_private: bool) -> Result<String, String> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("url: only http and https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("url: no user name or password in the URL (put a token in the path or query)".into());
    }
    match parsed.host() {
        None => return Err("url: no host".into()),
        Some(url::Host::Ipv4(a)) if !allow_private && !is_public(IpAddr::V4(a)) => return Err(format!("url: {a} is not a public address")),
        Some(url::Host::Ipv6(a)) if !allow_private && !is_public(IpAddr::V6(a)) => return Err(format!("url: {a} is not a public address")),
        Some(_) => {}
    }
    if url.len() > 2000 {
        return Err("url: at most 2000 characters".into());
    }
    Ok(parsed.to_string())
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), unspecified, multicast, broadcast, documentation or benchmarking; IPv4 inside IPv6
/// judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// The addresses to connect to for a URL's host, each checked.
async fn resolve(url: &reqwest::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(format!("refused: {host} resolves to {}, not a public address", bad.ip()));
        }
    }
    Ok(addrs)
}

/// One attempt: signed, to the checked addresses, without redirects, time-limited.
pub async fn attempt(due: &Due, config: &Config) -> Outcome {
    match try_attempt(due, config).await {
        Ok(status) if (200..300).contains(&status) => Outcome::Delivered { status },
        Ok(status) => Outcome::Failed { status: Some(status), error: format!("HTTP {status}") },
        Err(error) => Outcome::Failed { status: None, error },
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
    let signature =
        standardwebhooks::Webhook::new(&due.secret).and_then(|w| w.sign(&due.id, timestamp, due.payload.as_bytes())).map_err(|e| format!("signing: {e:?}"))?;
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
            .map_err(|e| if e.is_timeout() { format!("timed out after {} s", timeout.as_secs()) } else { format!("sending: {e}") })?;
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
    tokio::time::timeout(timeout, send).await.map_err(|_| format!("timed out after {} s", timeout.as_secs()))?
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
    loop {
        if last_sweep.elapsed() >= Duration::from_secs(2) {
            last_sweep = std::time::Instant::now();
            let undelivered = (config.webhook_undelivered_secs as i64).saturating_mul(1000);
            if let Err(e) = store.sweep_webhooks(undelivered, config.webhook_due_soon_minutes * 60_000).await {
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
        let busy = !due.is_empty();
        let sent = futures::future::join_all(due.iter().map(|d| async {
            let outcome = attempt(d, &config).await;
            let retry = match &outcome {
                Outcome::Delivered { .. } => None,
                Outcome::Failed { .. } => {
                    let wait = backoff_ms(config.webhook_backoff_base_ms, d.attempts);
                    (crate::time::now_ms() + wait < d.created_at + window_ms).then_some(wait)
                }
            };
            if let Err(e) = store.record_attempt(d, &outcome, retry, config.webhook_pause_after).await {
                tracing::warn!(error = %e, delivery = %d.id, "recording a webhook attempt");
            }
        }));
        sent.await;
        if !busy {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// A consultation as a webhook tells of it: the consultation, and its client's id, name and
/// phone (what a gateway needs to reach them). Read in the transaction that changed it.
pub(crate) async fn consultation_data(tx: &mut WriteTx, consultation: uuid::Uuid) -> AppResult<serde_json::Value> {
    let row = sqlx::query(&format!("SELECT {} FROM consultations WHERE id = $1", crate::store::consultation_rows::CONSULTATION_COLS))
        .bind(consultation.to_string())
        .fetch_one(tx.conn())
        .await?;
    let c = crate::store::consultation_rows::consultation_row(&row)?;
    let client = client_brief(tx, c.client_id).await?;
    Ok(json!({ "consultation": c, "client": client }))
}

async fn client_brief(tx: &mut WriteTx, client: uuid::Uuid) -> AppResult<serde_json::Value> {
    let row = sqlx::query("SELECT id, name, phone FROM clients WHERE id = $1").bind(client.to_string()).fetch_optional(tx.conn()).await?;
    Ok(match row {
        Some(r) => json!({ "id": r.try_get::<String, _>("id")?, "name": r.try_get::<String, _>("name")?, "phone": r.try_get::<String, _>("phone")? }),
        None => serde_json::Value::Null,
    })
}

/// `message.undelivered`: who to reach and about which message — never its text, which stays
/// on the server (the gateway tells the patient to open the chat).
pub(crate) async fn undelivered_data(tx: &mut WriteTx, m: &Message) -> AppResult<serde_json::Value> {
    let client = client_brief(tx, m.client_id).await?;
    Ok(json!({
        "message": { "id": m.id, "consultation_id": m.consultation_id, "seq": m.seq, "kind": m.kind, "created_at": m.created_at, "author_id": m.author_id },
        "client": client,
    }))
}

/// Tells the endpoints of a consultation's step (`created`, `taken`, `transferred`, `released`,
/// `closed`, `red_flag`), in the transaction that took it.
pub(crate) async fn consultation_step(tx: &mut WriteTx, consultation: uuid::Uuid, step: &str, at: i64) -> AppResult<()> {
    let event = match step {
        "created" => WebhookEventType::ConsultationCreated,
        "taken" => WebhookEventType::ConsultationTaken,
        "transferred" => WebhookEventType::ConsultationTransferred,
        "released" => WebhookEventType::ConsultationReleased,
        "closed" => WebhookEventType::ConsultationClosed,
        "red_flag" => WebhookEventType::ConsultationRedFlag,
        _ => return Ok(()),
    };
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let data = consultation_data(tx, consultation).await?;
    enqueue(tx, event, &consultation.to_string(), None, data, at).await.map(|_| ())
}

/// Whether any endpoint wants `event` (most changes need no payload built at all).
pub(crate) async fn wanted(tx: &mut WriteTx, event: WebhookEventType) -> AppResult<bool> {
    let like = format!("%\"{}\"%", event.as_str());
    Ok(sqlx::query("SELECT 1 FROM webhook_endpoints WHERE events LIKE $1 LIMIT 1").bind(like).fetch_optional(tx.conn()).await?.is_some())
}

/// Tells the endpoints of a callback request's change, as its new status says: created,
/// claimed, done, failed (a release or a retry scheduled is not told).
pub(crate) async fn callback_change(tx: &mut WriteTx, cb: &careline_protocol::Callback, created: bool, at: i64) -> AppResult<()> {
    use careline_protocol::CallbackStatus as S;
    let event = match cb.status {
        S::New if created => WebhookEventType::CallbackCreated,
        S::Claimed => WebhookEventType::CallbackClaimed,
        S::Done => WebhookEventType::CallbackDone,
        S::Failed => WebhookEventType::CallbackFailed,
        _ => return Ok(()),
    };
    if !wanted(tx, event).await? {
        return Ok(());
    }
    let client = match cb.client_id {
        Some(c) => client_brief(tx, c).await?,
        None => serde_json::Value::Null,
    };
    enqueue(tx, event, &cb.id.to_string(), None, json!({ "callback": cb, "client": client }), at).await.map(|_| ())
}
