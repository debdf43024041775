//! The presence benchmark: N operators, each with a WebSocket open (answering the server's
//! pings, reading every frame), each changing status (online ↔ away) every `--every` seconds,
//! spread evenly; every change is an event every operator's socket receives. What it costs the
//! server is measured from outside (`scripts/bench-server.sh presence`: the servers' CPU seconds
//! over the load).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use careline_protocol::{Presence, StatusRequest};
use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::api::Api;
use crate::bench::{create_operator, head, http, loading, StaffArgs, PASSWORD};

#[derive(clap::Args)]
pub struct PresenceArgs {
    /// Operators connected.
    #[arg(long, default_value_t = 1000)]
    pub operators: usize,
    /// Seconds between two status changes of one operator.
    #[arg(long, default_value_t = 60.0)]
    pub every: f64,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    #[command(flatten)]
    pub staff: StaffArgs,
}

pub async fn presence(servers: &[String], args: PresenceArgs) -> anyhow::Result<()> {
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
        "presence: creating and connecting {} operators",
        args.operators
    );
    let start = head(&http, &servers[0]).await?;
    let frames = Arc::new(AtomicU64::new(0));
    let ops: Vec<anyhow::Result<Api>> = futures::stream::iter(0..args.operators)
        .map(|i| {
            let (http, admin, frames) = (http.clone(), admin.clone(), frames.clone());
            let server = servers[i % n].clone();
            async move {
                let login = format!("presence-op-{i}");
                create_operator(&http, &admin, &login, format!("Presence operator {i}")).await?;
                let op = Api::login(&http, &server, &login, PASSWORD).await?;
                let (mut ws, _) =
                    tokio_tungstenite::connect_async(op.ws_request(Some(start))).await?;
                tokio::spawn(async move {
                    // Reading answers the server's pings (tungstenite queues the pong).
                    while let Some(Ok(m)) = ws.next().await {
                        if matches!(m, WsMessage::Text(_)) {
                            frames.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
                Ok(op)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let ops: Vec<Api> = ops.into_iter().collect::<anyhow::Result<_>>()?;
    eprintln!(
        "presence: {} operators connected; changing status for {} s",
        ops.len(),
        args.seconds
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    frames.store(0, Ordering::Relaxed);
    loading(&args.staff.loading_file)?;
    let changes = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let count = ops.len();
    let tasks: Vec<_> = ops
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let (changes, failed) = (changes.clone(), failed.clone());
            let every = Duration::from_secs_f64(args.every);
            tokio::spawn(async move {
                tokio::time::sleep(
                    every
                        .mul_f64(i as f64 / count as f64)
                        .min(stop.saturating_duration_since(Instant::now())),
                )
                .await;
                let mut away = true;
                let mut tick = tokio::time::interval(every);
                let deadline = tokio::time::Instant::from_std(stop);
                while tokio::time::timeout_at(deadline, tick.tick()).await.is_ok() {
                    let status = if away {
                        Presence::Away
                    } else {
                        Presence::Online
                    };
                    away = !away;
                    let r = op
                        .http
                        .put(format!("{}/api/v1/me/status", op.base))
                        .bearer_auth(&op.token)
                        .json(&StatusRequest { status })
                        .send()
                        .await;
                    if matches!(r, Ok(ref resp) if resp.status().is_success()) {
                        changes.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let out = serde_json::json!({
        "bench": "presence", "operators": count, "seconds": secs, "status_changes": changes.load(Ordering::Relaxed),
        "failed": failed.load(Ordering::Relaxed), "changes_per_second": changes.load(Ordering::Relaxed) as f64 / secs,
        "frames_received": frames.load(Ordering::Relaxed),
    });
    eprintln!(
        "presence: {} status changes of {count} operators in {secs:.0} s, {} frames received",
        changes.load(Ordering::Relaxed),
        frames.load(Ordering::Relaxed)
    );
    println!("{out}");
    Ok(())
}
