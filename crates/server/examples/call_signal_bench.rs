//! Call signalling at scale, measured on the real server binary from outside (its CPU time from
//! `/proc/<pid>/stat`): 500 calls set up at once — each one an operator's call page and a
//! patient's page on their own WebSockets, the offer and the answer (SDPs of 5 KB) and 20 ICE
//! candidates each way relayed by the server — then 30 s with all 500 calls in progress (1,000
//! sockets open, nothing to relay). Reports the server's CPU for the set-ups and at rest, and
//! how long a frame takes from one party to the other (p50, p99).
//!
//! `cargo build --release -p careline-server --bin careline-server --example call_signal_bench &&
//!  target/release/examples/call_signal_bench 500`

use std::process::Stdio;
use std::time::{Duration, Instant};

use careline_protocol::{CreateOperatorRequest, RegisterRequest, Role};
use careline_server::passwords::{hash_password, new_token};
use careline_server::{AppState, Config};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// CPU time (user + system) of a process so far, in seconds.
fn cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// Operators (a hundred calls each, the most one may hold) and `n` patients with sessions:
/// `(operator tokens, patient tokens)`.
async fn fill(dir: &std::path::Path, n: usize) -> (Vec<String>, Vec<String>) {
    let state = AppState::start(Config {
        data_dir: dir.to_owned(),
        ..Config::default()
    })
    .await
    .unwrap();
    let store = &state.store;
    let hash = hash_password("bench-password-1".into()).await.unwrap();
    let later = chrono::Utc::now().timestamp_millis() + 24 * 3600 * 1000;
    let token = |id, role| {
        let (token, token_hash) = new_token();
        (token, token_hash, id, role)
    };
    let mut doctors = Vec::new();
    for d in 0..n.div_ceil(100) {
        let doctor = store
            .create_operator(
                &CreateOperatorRequest {
                    login: format!("doc{d}"),
                    password: String::new(),
                    name: format!("Доктор {d}"),
                    role: Role::Operator,
                    department: None,
                    capacity: Some(100),
                },
                hash.clone(),
                None,
            )
            .await
            .unwrap();
        let (t, h, id, role) = token(doctor.id, Role::Operator);
        store.insert_token(&h, id, role, later).await.unwrap();
        doctors.push(t);
    }
    let mut patients = Vec::new();
    for i in 0..n {
        let c = store
            .register_client(
                &RegisterRequest {
                    name: format!("Пациент {i}"),
                    phone: format!("+7901{:07}", i),
                    password: "bench-password-1".into(),
                    email: None,
                    source: None,
                    claim_code: None,
                    consents: Vec::new(),
                },
                hash.clone(),
            )
            .await
            .unwrap();
        let (t, h, id, role) = token(c.id, Role::Client);
        store.insert_token(&h, id, role, later).await.unwrap();
        patients.push(t);
    }
    store.close().await;
    (doctors, patients)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(base: &str, token: &str) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    // `resume` given: the server waits for no first frame.
    let mut req = format!(
        "{}/api/v1/ws?resume=0",
        base.replacen("http://", "ws://", 1)
    )
    .into_client_request()
    .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    // Up to the end of the replay.
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            if t.contains("\"control\":\"live\"") {
                break;
            }
        }
    }
    ws
}

/// The next signalling frame (not an event) on a socket.
async fn signal(ws: &mut Socket) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v.get("type").is_some() {
                    return v;
                }
                assert!(v.get("code").is_none(), "refused: {v}");
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no signal: {other:?}"),
        }
    }
}

fn sdp(kind: &str) -> String {
    // About the size of a browser's SDP for audio and video.
    format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns={kind}\r\n{}",
        "a=rtpmap:96 VP8/90000\r\n".repeat(200)
    )
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    let (doctors, patients) = fill(dir.path(), n).await;
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
            .expect("the server's address");
        if let Some(rest) = line.split("addr=").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http = reqwest::Client::new();
    let post = |token: String, path: String, body: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let v: Value = r.json().await.unwrap();
            assert!(status.is_success(), "{path}: {status} {v}");
            v
        }
    };

    // Each patient writes, the doctor takes it and calls; the call page's session; the answer.
    let mut calls = Vec::new();
    for (i, p) in patients.iter().enumerate() {
        let doc = &doctors[i / 100];
        let c = post(
            p.clone(),
            "/api/v1/consultations".into(),
            json!({"kind": "chat", "text": "Позвоните мне"}),
        )
        .await;
        let id = c["consultation"]["id"].as_str().unwrap().to_owned();
        post(
            doc.clone(),
            format!("/api/v1/consultations/{id}/take"),
            json!({}),
        )
        .await;
        let call = post(
            doc.clone(),
            format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "video"}),
        )
        .await;
        let call_id = call["id"].as_str().unwrap().to_owned();
        let link = post(
            doc.clone(),
            format!("/api/v1/calls/{call_id}/link"),
            json!({}),
        )
        .await;
        let code = link["url"]
            .as_str()
            .unwrap()
            .trim_start_matches("/call/#")
            .to_owned();
        let grant = post(
            String::new(),
            "/api/v1/calls/redeem".into(),
            json!({"code": code}),
        )
        .await;
        post(
            p.clone(),
            format!("/api/v1/calls/{call_id}/answer"),
            json!({}),
        )
        .await;
        calls.push((
            call_id,
            grant["token"].as_str().unwrap().to_owned(),
            p.clone(),
        ));
    }
    let mut pairs = Vec::new();
    for (call_id, page, patient) in &calls {
        if pairs.len() % 100 == 0 {
            eprintln!("{} pairs of sockets open", pairs.len());
        }
        pairs.push((
            call_id.clone(),
            socket(&base, page).await,
            socket(&base, patient).await,
        ));
    }
    println!("{n} calls answered, {} sockets open", 2 * n);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // All set-ups at once: offer → answer, 20 candidates each way.
    let cpu0 = cpu(pid);
    let wall = Instant::now();
    let mut tasks = Vec::new();
    for (call_id, mut page, mut patient) in pairs {
        tasks.push(tokio::spawn(async move {
            let frame = |t: &str, extra: Value| {
                let mut f = json!({"type": t, "call_id": call_id});
                for (k, v) in extra.as_object().unwrap() {
                    f[k] = v.clone();
                }
                Message::Text(f.to_string().into())
            };
            let sent = Instant::now();
            page.send(frame("call.offer", json!({"sdp": sdp("offer")}))).await.unwrap();
            let offer = signal(&mut patient).await;
            let latency = sent.elapsed();
            assert_eq!(offer["type"], "call.offer");
            patient.send(frame("call.answer", json!({"sdp": sdp("answer")}))).await.unwrap();
            assert_eq!(signal(&mut page).await["type"], "call.answer");
            for i in 0..20 {
                let c = json!({"candidate": {"candidate": format!("candidate:{i} 1 udp 2122260223 192.0.2.{i} 5{i:04} typ host"), "sdpMid": "0", "sdpMLineIndex": 0}});
                page.send(frame("call.ice", c.clone())).await.unwrap();
                patient.send(frame("call.ice", c)).await.unwrap();
            }
            for _ in 0..20 {
                signal(&mut patient).await;
                signal(&mut page).await;
            }
            (latency, page, patient)
        }));
    }
    let mut latencies = Vec::new();
    let mut open = Vec::new();
    for t in tasks {
        let (l, a, b) = t.await.unwrap();
        latencies.push(l);
        open.push((a, b));
    }
    let setup_wall = wall.elapsed();
    let setup_cpu = cpu(pid) - cpu0;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let frames = n * 44;
    println!(
        "set-up of {n} calls at once ({frames} frames): {:.2} s wall, server CPU {:.3} s ({:.0} µs a frame); spread over a minute that is {:.2} % of one core",
        setup_wall.as_secs_f64(),
        setup_cpu,
        setup_cpu * 1e6 / frames as f64,
        setup_cpu / 60.0 * 100.0
    );
    println!(
        "an offer from the call page to the patient: p50 {:.1} ms, p99 {:.1} ms (all {n} at once)",
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );

    // In progress: 1,000 sockets open, the media elsewhere.
    let cpu1 = cpu(pid);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let rest = cpu(pid) - cpu1;
    println!(
        "{n} calls in progress for 30 s: server CPU {:.3} s = {:.2} % of one core",
        rest,
        rest / 30.0 * 100.0
    );
    drop(open);
}
