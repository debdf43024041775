//! Server event → notification: how long from a client's new consultation being accepted by
//! the server to the desk handing the shell its notification (the product's quality targets: < 500 ms). The
//! shell's own `show()` (a D-Bus call on Linux) adds about a millisecond.
//!
//! `cargo run --release -p careline-core --example notify_bench -- 40`

use std::sync::Arc;
use std::time::{Duration, Instant};

use careline_core::desk::{Desk, DeskEvent};
use careline_core::session::Session;
use serde_json::{json, Value};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let desk = Desk::open(session, dir.path().join("anna.db"))
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    desk.start(Arc::new(move |e| {
        let _ = tx.send(e);
    }));
    while !matches!(
        rx.recv().await,
        Some(DeskEvent::Connection { online: true, .. })
    ) {}
    let http = reqwest::Client::new();
    let mut took = Vec::new();
    for i in 0..n {
        let r: Value = http
            .post(format!("{}/api/v1/clients/register", server.url))
            .json(&json!({ "name": format!("Bench {i}"), "phone": format!("+7999{i:07}"), "password": "client-secret-1" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["token"].as_str().unwrap().to_owned();
        let text = format!("bench question {i}");
        let resp = http
            .post(format!("{}/api/v1/consultations", server.url))
            .bearer_auth(&token)
            .json(&json!({ "kind": "chat", "text": text, "client_msg_id": uuid::Uuid::now_v7() }));
        // The clock starts when the server has accepted (committed) the consultation.
        resp.send().await.unwrap().error_for_status().unwrap();
        let accepted = Instant::now();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a notification within 5 s")
            {
                Some(DeskEvent::Notify { notification }) if notification.text == text => break,
                _ => {}
            }
        }
        took.push(accepted.elapsed());
        // Let bursts not merge: each is its own notification.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "server event → notification over {n} new consultations: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (target < 500 ms)",
        ms(took[n / 2]),
        ms(took[(n * 95 / 100).min(n - 1)]),
        ms(took[n - 1])
    );
    desk.stop();
}
