//! Load for the benchmarks of the product's quality targets (server rows). Each prints one JSON line on
//! stdout with its figures, and a sentence on stderr.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use careline_protocol::MessageKind;
use futures::{SinkExt, StreamExt};
use uuid::Uuid;

use crate::api::Api;

pub(crate) const PASSWORD: &str = "careline-bench-1";

#[derive(clap::Args)]
pub struct IngestArgs {
    /// Concurrent senders (each a client with its own consultation).
    #[arg(long, default_value_t = 1000)]
    pub senders: usize,
    /// Messages to send in all.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u64,
    /// Touch this file when the senders are ready and the load begins (for a profiler).
    #[arg(long)]
    pub loading_file: Option<std::path::PathBuf>,
}

/// Creates an operator through `admin` (an existing login is left as it is: a second run on
/// the same server logs in with the same password).
pub(crate) async fn create_operator(
    http: &reqwest::Client,
    admin: &Api,
    login: &str,
    name: String,
) -> anyhow::Result<()> {
    let req = careline_protocol::CreateOperatorRequest {
        login: login.into(),
        password: PASSWORD.into(),
        name,
        role: careline_protocol::Role::Operator,
        department: None,
        capacity: None,
    };
    http.post(format!("{}/api/v1/operators", admin.base))
        .bearer_auth(&admin.token)
        .json(&req)
        .send()
        .await?;
    Ok(())
}

/// What the benchmarks that create operators share.
#[derive(clap::Args)]
pub struct StaffArgs {
    /// An admin account, to create the operators.
    #[arg(long, default_value = "admin")]
    pub admin_login: String,
    #[arg(long, env = "CARELINE_ADMIN_PASSWORD", default_value = "careline-demo")]
    pub admin_password: String,
    /// Touch this file when everyone is connected and the load begins (for a profiler, and
    /// for the servers' CPU count).
    #[arg(long)]
    pub loading_file: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
pub struct IdleArgs {
    /// WebSocket connections to open.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Seconds to hold them after all are open.
    #[arg(long, default_value_t = 10)]
    pub hold: u64,
    /// Write the number of open connections here once all are open (for the bench script).
    #[arg(long)]
    pub ready_file: Option<std::path::PathBuf>,
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .tcp_nodelay(true)
        .build()
        .expect("http client")
}

/// Registers `n` clients (or logs them in), each with an open consultation; the i-th on
/// `servers[i % servers.len()]`.
pub(crate) async fn senders(
    servers: &[String],
    seed: u64,
    n: usize,
) -> anyhow::Result<Vec<(Api, Uuid)>> {
    let http = http();
    let done = Arc::new(AtomicU64::new(0));
    let results: Vec<anyhow::Result<(Api, Uuid)>> = futures::stream::iter(0..n)
        .map(|i| {
            let (http, done) = (http.clone(), done.clone());
            async move {
                let phone = format!("+7998{:03}{:05}", seed % 1000, i);
                let server = &servers[i % servers.len()];
                let api =
                    Api::client(&http, server, &format!("Bench {i}"), &phone, PASSWORD).await?;
                let c = api.initiate("benchmark").await?;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 200 == 0 {
                    eprintln!("  {d}/{n} senders ready");
                }
                Ok((api, c.consultation.id))
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect()
}

/// CPU seconds this process has used (user + system), from /proc (0 where there is none).
pub(crate) fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

pub(crate) fn loading(file: &Option<std::path::PathBuf>) -> anyhow::Result<()> {
    if let Some(f) = file {
        std::fs::write(f, b"")?;
    }
    Ok(())
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

pub async fn ingest(servers: &[String], seed: u64, args: IngestArgs) -> anyhow::Result<()> {
    eprintln!(
        "ingest: preparing {} senders on {} server(s)",
        args.senders,
        servers.len()
    );
    let senders = senders(servers, seed, args.senders).await?;
    loading(&args.loading_file)?;
    let remaining = Arc::new(AtomicI64::new(args.messages as i64));
    let failures = Arc::new(AtomicU64::new(0));
    let reasons: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let started = Instant::now();
    let cpu0 = cpu_secs();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|(api, consultation)| {
            let (remaining, failures, reasons) =
                (remaining.clone(), failures.clone(), reasons.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
                    let t = Instant::now();
                    match api
                        .send(
                            consultation,
                            MessageKind::Text,
                            "Нагрузочный тест 负载测试 load test",
                            None,
                        )
                        .await
                    {
                        Ok(_) => latencies.push(t.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                            // The reason without the request's address, and when it came.
                            let reason = format!("{e:#}");
                            let reason =
                                reason.split_once("): ").map_or(reason.as_str(), |(_, r)| r);
                            *reasons
                                .lock()
                                .unwrap()
                                .entry(format!(
                                    "{reason} (from {:.0} s)",
                                    started.elapsed().as_secs_f64().floor()
                                ))
                                .or_default() += 1;
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    let secs = started.elapsed().as_secs_f64();
    let sim_cpu = cpu_secs() - cpu0;
    lat.sort_by(f64::total_cmp);
    let rate = lat.len() as f64 / secs;
    let out = serde_json::json!({
        "bench": "ingest", "senders": args.senders, "accepted": lat.len(), "failed": failures.load(Ordering::Relaxed),
        "seconds": secs, "messages_per_second": rate, "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99),
        "failures": *reasons.lock().unwrap(), "sim_cpu_s": sim_cpu,
    });
    eprintln!(
        "ingest: {} messages accepted from {} concurrent senders in {:.2} s = {:.0} msg/s (p50 {:.1} ms, p99 {:.1} ms), {} failed",
        lat.len(),
        args.senders,
        secs,
        rate,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        failures.load(Ordering::Relaxed)
    );
    println!("{out}");
    Ok(())
}

pub async fn idle(server: &str, args: IdleArgs) -> anyhow::Result<()> {
    let http = http();
    let api = Api::client(&http, server, "Idle", "+79970000001", PASSWORD).await?;
    let open = Arc::new(AtomicU64::new(0));
    let resume = Some(head(&http, server).await?);
    let handles: Vec<_> = futures::stream::iter(0..args.connections)
        .map(|_| {
            let (request, open) = (api.ws_request(resume), open.clone());
            async move {
                let (ws, _) = tokio_tungstenite::connect_async(request).await?;
                let n = open.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 1000 == 0 {
                    eprintln!("  {n} connections open");
                }
                // Keep reading so pings are answered.
                Ok::<_, anyhow::Error>(tokio::spawn(async move {
                    let (mut sink, mut stream) = ws.split();
                    while let Some(Ok(m)) = stream.next().await {
                        if let tokio_tungstenite::tungstenite::Message::Ping(p) = m {
                            let _ = sink
                                .send(tokio_tungstenite::tungstenite::Message::Pong(p))
                                .await;
                        }
                    }
                }))
            }
        })
        .buffer_unordered(100)
        .collect::<Vec<_>>()
        .await;
    let mut tasks = Vec::new();
    for h in handles {
        tasks.push(h?);
    }
    let n = open.load(Ordering::Relaxed);
    eprintln!("idle: {n} connections open; holding {} s", args.hold);
    if let Some(f) = &args.ready_file {
        std::fs::write(f, n.to_string())?;
    }
    tokio::time::sleep(Duration::from_secs(args.hold)).await;
    let still = tasks.iter().filter(|t| !t.is_finished()).count();
    println!(
        "{}",
        serde_json::json!({"bench": "idle", "connections": n, "still_open_after_hold": still})
    );
    Ok(())
}

/// The server's last event seq: a socket resumed there starts with the present (a position
/// ahead of the log is refused as one a restore lost).
pub(crate) async fn head(http: &reqwest::Client, server: &str) -> anyhow::Result<i64> {
    let h: serde_json::Value = http
        .get(format!("{server}/healthz"))
        .send()
        .await?
        .json()
        .await?;
    h["last_seq"].as_i64().context("healthz without last_seq")
}
