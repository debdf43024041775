//! The server's memory, measured from outside (`/proc/<pid>/status` of the real binary, sampled
//! every 20 ms): at rest on a database with `N` messages (default 1,000,000, in N/10
//! consultations of 10,000 clients); its peak during 1,000 client registrations (50 at a time)
//! and at rest after them; its peak while a desk downloads everything a first sync takes (the
//! snapshot in pages of 10,000, then the event log) and at rest after that.
//!
//! `cargo build --release -p careline-server --bin careline-server --example memory_bench &&
//!  target/release/examples/memory_bench 1000000`

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use careline_protocol::{CreateOperatorRequest, Role};
use careline_server::{AppState, Config};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

const MIN: i64 = 60_000;

/// Resident and peak resident memory of a process, in MB.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What the resident memory is: the heap's (anonymous) and the mapped files' (the database).
fn split(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    format!(
        "heap {:.0} MB, mapped files {:.0} MB",
        field("RssAnon:"),
        field("RssFile:")
    )
}

async fn fill(dir: &std::path::Path, n: i64) {
    let state = AppState::start(Config {
        data_dir: dir.to_owned(),
        ..Config::default()
    })
    .await
    .unwrap();
    let hash = careline_server::passwords::hash_password("bench-password-1".into())
        .await
        .unwrap();
    let req = CreateOperatorRequest {
        login: "admin".into(),
        password: String::new(),
        name: "Admin".into(),
        role: Role::Admin,
        department: None,
        capacity: None,
    };
    state.store.create_operator(&req, hash, None).await.unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&state.config.effective_database_url())
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let t = Instant::now();
    let mut tx = pool.begin().await.unwrap();
    for c in 0..10_000i64 {
        sqlx::query("INSERT INTO clients (id, name, phone, source, tags, vip, blocked, search, created_at) VALUES ($1, $2, $3, 'app', '[]', 0, 0, '', $4)")
            .bind(uuid::Uuid::from_u128(0x2_0000_0000 + c as u128).to_string())
            .bind(format!("Клиент {c}"))
            .bind(format!("+7900{c:07}"))
            .bind(now)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut seq = 0i64;
    for chunk in 0..(n / 10 / 1000).max(1) {
        let mut tx = pool.begin().await.unwrap();
        for k in 0..1000 {
            let i = chunk * 1000 + k;
            let id = uuid::Uuid::from_u128(0x1_0000_0000 + i as u128).to_string();
            let client = uuid::Uuid::from_u128(0x2_0000_0000 + (i % 10_000) as u128).to_string();
            let created = now - 300 * 24 * 60 * MIN + i * MIN;
            sqlx::query(
                "INSERT INTO consultations (id, client_id, kind, status, priority, tags, price, currency, created_at, closed_at) \
                 VALUES ($1, $2, 'chat', 'closed', 'normal', '[]', 0, 'RUB', $3, $4)",
            )
            .bind(id.as_str())
            .bind(client.as_str())
            .bind(created)
            .bind(created + 30 * MIN)
            .execute(&mut *tx)
            .await
            .unwrap();
            for m in 0..10 {
                seq += 1;
                sqlx::query("INSERT INTO messages (id, consultation_id, client_id, author_kind, kind, body, internal, created_at, seq) VALUES ($1, $2, $3, $4, 'text', $5, 0, $6, $7)")
                    .bind(uuid::Uuid::from_u128(0x3_0000_0000 + seq as u128).to_string())
                    .bind(id.as_str())
                    .bind(client.as_str())
                    .bind(if m % 2 == 0 { "client" } else { "operator" })
                    .bind("Здравствуйте, у меня третий день температура 38, что принять?")
                    .bind(created + m * MIN)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    pool.close().await;
    state.store.close().await;
    eprintln!(
        "filled {} consultations, {seq} messages in {:.0} s",
        (n / 10).max(1000),
        t.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path(), n).await;
    let exe = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("careline-server");
    let mut child = tokio::process::Command::new(&exe)
        .arg("serve")
        .env("CARELINE_DATA_DIR", dir.path())
        .env("CARELINE_LISTEN", "127.0.0.1:0")
        // 1,000 registrations from one address: the per-address hour is not what is measured.
        .env("CARELINE_REGISTER_PER_ADDRESS_PER_HOUR", "1000000")
        .env("CARELINE_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {} (build it first): {e}", exe.display()));
    let pid = child.id().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server said where it listens");
        if let Some(rest) = line.split("addr=").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let (now, _) = rss(pid);
                peak.fetch_max((now * 10.0) as u64, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let reset = |peak: &AtomicU64| peak.store(0, Ordering::Relaxed);
    let peak_mb = |peak: &AtomicU64| peak.load(Ordering::Relaxed) as f64 / 10.0;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "at rest, {n} messages in the database: {:.0} MB",
        rss(pid).0
    );

    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": "bench-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    reset(&peak);
    let t = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(50));
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (http, base, sem) = (http.clone(), base.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let r = http
                .post(format!("{base}/api/v1/clients/register"))
                .json(&json!({"name": format!("Новый {i}"), "phone": format!("+7955{i:07}"), "password": "client-password-1"}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "registration {i}: {}", r.status());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "1,000 registrations (50 at a time) in {:.1} s: server peak {:.0} MB",
        t.elapsed().as_secs_f64(),
        peak_mb(&peak)
    );
    tokio::time::sleep(Duration::from_secs(12)).await;
    println!(
        "12 s after the registrations: {:.0} MB ({})",
        rss(pid).0,
        split(pid)
    );
    tokio::time::sleep(Duration::from_secs(20)).await;
    println!(
        "32 s after (the server closed the 50 idle keep-alive connections at 20 s): {:.0} MB ({})",
        rss(pid).0,
        split(pid)
    );
    reset(&peak);
    let t = Instant::now();
    let (mut items, mut bytes, mut cursor, mut head) = (0usize, 0usize, None::<String>, 0i64);
    loop {
        let mut url = format!("{base}/api/v1/snapshot?limit=10000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let body = http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        bytes += body.len();
        let page: Value = serde_json::from_slice(&body).unwrap();
        if cursor.is_none() {
            head = page["head"].as_i64().unwrap();
        }
        items += page["items"].as_array().map_or(0, |a| a.len());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut since = head;
    loop {
        let body = http
            .get(format!("{base}/api/v1/sync?since={since}&limit=5000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        bytes += body.len();
        let page: Value = serde_json::from_slice(&body).unwrap();
        since = page["next"].as_i64().unwrap();
        if page["has_more"] != true {
            break;
        }
    }
    println!(
        "a desk's first sync: {items} items, {:.0} MB of JSON in {:.1} s; server peak {:.0} MB (VmHWM {:.0} MB)",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        peak_mb(&peak),
        rss(pid).1
    );
    println!("  at the end of the sync: {}", split(pid));
    tokio::time::sleep(Duration::from_secs(12)).await;
    println!(
        "at rest after the sync: {:.0} MB ({})",
        rss(pid).0,
        split(pid)
    );

    sampler.abort();
    child.kill().await.unwrap();
}
