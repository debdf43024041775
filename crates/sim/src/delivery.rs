//! The delivery benchmark: clients send at a fixed rate, operators connected by WebSocket
//! receive; the figure is the time from a client's send to each operator's frame. With several
//! servers (instances of one deployment on one database) the clients and the operators are
//! spread over them, so most deliveries cross instances; when an instance dies (the benchmark
//! script kills one), its clients send again to the next instance with the same
//! `client_msg_id`, and its operators reconnect to the next one resuming after the last event
//! they saw. At the end every operator must have every acknowledged message exactly once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use careline_protocol::{MessageKind, SendMessageRequest};
use futures::StreamExt;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use uuid::Uuid;

use crate::api::Api;
use crate::bench::{
    cpu_secs, create_operator, head, http, loading, percentile, senders, StaffArgs, PASSWORD,
};

#[derive(clap::Args)]
pub struct DeliveryArgs {
    /// Operators connected by WebSocket.
    #[arg(long, default_value_t = 50)]
    pub operators: usize,
    /// Messages per second in all.
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Client senders sharing the rate.
    #[arg(long, default_value_t = 200)]
    pub senders: usize,
    #[command(flatten)]
    pub staff: StaffArgs,
}

#[derive(Deserialize)]
struct Frame {
    seq: Option<i64>,
    kind: Option<String>,
    data: Option<FrameData>,
    control: Option<String>,
}

#[derive(Deserialize)]
struct FrameData {
    client_msg_id: Option<Uuid>,
}

/// What the senders share.
#[derive(Default)]
struct Sent {
    /// When each message was first sent, to which server last, and whether it was acknowledged.
    at: Mutex<HashMap<Uuid, (Instant, usize, bool)>>,
    acked: AtomicU64,
    failed: AtomicU64,
    /// Sends repeated on another server after a failure.
    retried: AtomicU64,
}

/// What one operator saw.
#[derive(Default)]
struct Seen {
    /// Frames per message (more than one is a double delivery).
    count: HashMap<Uuid, u32>,
    /// (latency in ms, whether the message was sent to another server than the one this
    /// operator was connected to).
    latencies: Vec<(f64, bool)>,
    reconnects: u64,
    /// The seq of each message frame, and each (re)connection as (server, resumed after): what
    /// the report names when a delivery is missing.
    seqs: HashMap<Uuid, i64>,
    connections: Vec<(usize, i64)>,
}

pub async fn delivery(servers: &[String], seed: u64, args: DeliveryArgs) -> anyhow::Result<()> {
    let http = http();
    let n = servers.len();
    let admin = Api::login(
        &http,
        &servers[0],
        &args.staff.admin_login,
        &args.staff.admin_password,
    )
    .await
    .context("logging in the admin")?;
    eprintln!(
        "delivery: connecting {} operators to {n} server(s)",
        args.operators
    );
    let sent: Arc<Sent> = Arc::default();
    let mut seen: Vec<Arc<Mutex<Seen>>> = Vec::new();
    let mut readers = Vec::new();
    let start = head(&http, &servers[0]).await?;
    for i in 0..args.operators {
        let login = format!("bench-op-{i}");
        create_operator(&http, &admin, &login, format!("Bench operator {i}")).await?;
        let op = Api::login(&http, &servers[i % n], &login, PASSWORD).await?;
        let s: Arc<Mutex<Seen>> = Arc::default();
        seen.push(s.clone());
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        readers.push(tokio::spawn(operator(
            servers.to_vec(),
            i % n,
            op.token,
            start,
            sent.clone(),
            s,
            ready_tx,
        )));
        ready
            .await
            .context("an operator's socket never went live")?;
    }
    eprintln!("delivery: preparing {} senders", args.senders);
    let senders = senders(servers, seed.wrapping_add(7), args.senders).await?;
    loading(&args.staff.loading_file)?;
    let per_sender = args.rate / args.senders as f64;
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let cpu0 = cpu_secs();
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, (api, consultation))| {
            let (servers, sent) = (servers.to_vec(), sent.clone());
            tokio::spawn(async move {
                let period = Duration::from_secs_f64(1.0 / per_sender);
                // Spread the senders over one period so the load is smooth.
                tokio::time::sleep(period.mul_f64(i as f64 / 200.0 % 1.0)).await;
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut at = i % servers.len();
                while Instant::now() < stop {
                    tick.tick().await;
                    at = send(&api, consultation, &servers, at, &sent).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    let send_secs = started.elapsed().as_secs_f64();
    let sim_cpu = cpu_secs() - cpu0;
    // Time for the last frames (and for operators that were reconnecting).
    tokio::time::sleep(Duration::from_secs(3)).await;
    for r in &readers {
        r.abort();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    let acked: Vec<Uuid> = sent
        .at
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, (_, _, acked))| *acked)
        .map(|(id, _)| *id)
        .collect();
    let (mut lat, mut cross) = (Vec::new(), Vec::new());
    let (mut missing, mut doubled, mut reconnects) = (0u64, 0u64, 0u64);
    for s in &seen {
        let s = s.lock().unwrap();
        missing += acked.iter().filter(|id| !s.count.contains_key(id)).count() as u64;
        doubled += s
            .count
            .values()
            .map(|&c| u64::from(c.saturating_sub(1)))
            .sum::<u64>();
        reconnects += s.reconnects;
        for &(ms, crossed) in &s.latencies {
            lat.push(ms);
            if crossed {
                cross.push(ms);
            }
        }
    }
    if missing > 0 {
        report_missing(&seen, &acked, &sent);
    }
    lat.sort_by(f64::total_cmp);
    cross.sort_by(f64::total_cmp);
    let acked_n = sent.acked.load(Ordering::Relaxed);
    let expected = acked_n * args.operators as u64;
    let out = serde_json::json!({
        "bench": "delivery", "servers": n, "operators": args.operators, "target_rate": args.rate, "achieved_rate": acked_n as f64 / send_secs,
        "sent": acked_n, "failed": sent.failed.load(Ordering::Relaxed), "resent_elsewhere": sent.retried.load(Ordering::Relaxed),
        "deliveries": lat.len(), "expected_deliveries": expected, "missing": missing, "doubled": doubled, "reconnects": reconnects,
        "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99), "max_ms": lat.last().copied().unwrap_or(f64::NAN),
        "cross_instance_deliveries": cross.len(), "cross_p99_ms": percentile(&cross, 0.99), "sim_cpu_s": sim_cpu,
    });
    eprintln!(
        "delivery: {acked_n} messages at {:.0}/s to {} operators on {n} server(s): {} of {expected} deliveries ({missing} missing, {doubled} doubled), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        acked_n as f64 / send_secs,
        args.operators,
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!("{out}");
    Ok(())
}

/// Names, on stderr, each operator that missed messages: its connections (server, resumed
/// after) and the missed messages' seqs (as another operator saw them) and servers.
fn report_missing(seen: &[Arc<Mutex<Seen>>], acked: &[Uuid], sent: &Sent) {
    let seen: Vec<_> = seen.iter().map(|s| s.lock().unwrap()).collect();
    let seq_of = |id: &Uuid| seen.iter().find_map(|s| s.seqs.get(id).copied());
    let sent_at = sent.at.lock().unwrap();
    for (i, s) in seen.iter().enumerate() {
        let mut missed: Vec<(Option<i64>, usize)> = acked
            .iter()
            .filter(|id| !s.count.contains_key(id))
            .map(|id| (seq_of(id), sent_at.get(id).map_or(usize::MAX, |t| t.1)))
            .collect();
        if missed.is_empty() {
            continue;
        }
        missed.sort();
        let received: Vec<i64> = s.seqs.values().copied().collect();
        let around = |q: i64| {
            let below = received.iter().filter(|&&r| r < q).max().copied();
            let above = received.iter().filter(|&&r| r > q).min().copied();
            (below, above)
        };
        let first = missed.first().and_then(|m| m.0).map(around);
        eprintln!(
            "delivery: operator {i} missed {} messages (seq, server it was sent to): {:?}; its connections (server, resumed after): {:?}; received around the first: {first:?}",
            missed.len(),
            &missed[..missed.len().min(20)],
            s.connections
        );
    }
}

/// Sends one message, to `servers[at]` and on failure to the next ones with the same key, for
/// up to 30 s. Returns the server that answered (where this sender goes on).
async fn send(
    api: &Api,
    consultation: Uuid,
    servers: &[String],
    mut at: usize,
    sent: &Sent,
) -> usize {
    let req = SendMessageRequest {
        client_msg_id: Uuid::now_v7(),
        kind: MessageKind::Text,
        body: "ping".into(),
        attachment_id: None,
        internal: false,
    };
    let first = Instant::now();
    loop {
        sent.at
            .lock()
            .unwrap()
            .insert(req.client_msg_id, (first, at, false));
        let url = format!(
            "{}/api/v1/consultations/{consultation}/messages",
            servers[at]
        );
        let r = api
            .http
            .post(url)
            .bearer_auth(&api.token)
            .timeout(Duration::from_secs(10))
            .json(&req)
            .send()
            .await;
        match r {
            Ok(resp) if resp.status().is_success() => {
                sent.at
                    .lock()
                    .unwrap()
                    .insert(req.client_msg_id, (first, at, true));
                sent.acked.fetch_add(1, Ordering::Relaxed);
                return at;
            }
            // Refused for what it is: sending it elsewhere would not help.
            Ok(resp) if resp.status().is_client_error() => break,
            _ if first.elapsed() < Duration::from_secs(30) => {
                at = (at + 1) % servers.len();
                sent.retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => break,
        }
    }
    sent.failed.fetch_add(1, Ordering::Relaxed);
    at
}

/// An operator's socket: reads message frames; when the socket ends, connects to the next
/// server resuming after the last event seen.
async fn operator(
    servers: Vec<String>,
    mut at: usize,
    token: String,
    mut last: i64,
    sent: Arc<Sent>,
    seen: Arc<Mutex<Seen>>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        seen.lock().unwrap().connections.push((at, last));
        let request = crate::api::ws_request(&servers[at], &token, Some(last));
        if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(request).await {
            while let Some(Ok(frame)) = ws.next().await {
                let WsMessage::Text(t) = frame else { continue };
                let now = Instant::now();
                let Ok(f) = serde_json::from_str::<Frame>(&t) else {
                    continue;
                };
                if f.control.is_some() {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    continue;
                }
                if let Some(seq) = f.seq {
                    last = last.max(seq);
                }
                if f.kind.as_deref() != Some("message") {
                    continue;
                }
                let Some(id) = f.data.and_then(|d| d.client_msg_id) else {
                    continue;
                };
                let first_sent = sent.at.lock().unwrap().get(&id).copied();
                let mut s = seen.lock().unwrap();
                if let Some(seq) = f.seq {
                    s.seqs.insert(id, seq);
                }
                let c = s.count.entry(id).or_insert(0);
                *c += 1;
                if *c == 1 {
                    if let Some((t0, to, _)) = first_sent {
                        s.latencies
                            .push((now.duration_since(t0).as_secs_f64() * 1000.0, to != at));
                    }
                }
            }
        }
        seen.lock().unwrap().reconnects += 1;
        at = (at + 1) % servers.len();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
