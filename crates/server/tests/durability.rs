//! Nothing acknowledged is lost: the real `careline-server` binary killed with SIGKILL under
//! load, restarted on the same database, has every message it acknowledged, once; senders
//! that retry with the same `client_msg_id` create no duplicates.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::{start, start_as};
use common::{Api, Db, PASSWORD};
use serde_json::json;
use tokio::process::Command;

/// The operator anna, made by the server binary's own command.
async fn create_anna(data_dir: &std::path::Path, db_url: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_careline-server"))
        .args([
            "create-operator",
            "--login",
            "anna",
            "--password",
            PASSWORD,
            "--name",
            "Анна",
            "--role",
            "operator",
        ])
        .env("CARELINE_DATA_DIR", data_dir)
        .env("CARELINE_DATABASE_URL", db_url)
        .env("CARELINE_SECRET_KEY", common::TEST_SECRET_KEY)
        .stdout(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

/// A text message of `client`'s into consultation `c`, sent to the server at `base`.
async fn send_text(
    client: &Api,
    base: &str,
    c: &str,
    key: uuid::Uuid,
    body: String,
) -> reqwest::Result<reqwest::Response> {
    client
        .http
        .post(format!("{base}/api/v1/consultations/{c}/messages"))
        .bearer_auth(client.token.as_deref().unwrap())
        .json(&json!({"client_msg_id": key, "kind": "text", "body": body}))
        .send()
        .await
}

both!(sigkill_loses_nothing_acknowledged, |db| async move {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("careline.db").display()),
        Db::Postgres => common::fresh_pg_database().await,
    };
    create_anna(dir.path(), &db_url).await;
    let mut server = start(dir.path(), &db_url).await;
    let anon = Api {
        base: server.base.clone(),
        http: reqwest::Client::new(),
        token: None,
    };
    let (_, reg) = anon
        .post(
            "/api/v1/clients/register",
            json!({"name": "Load", "phone": "+79990000001", "password": PASSWORD}),
        )
        .await;
    let client = anon.with_token(reg["token"].as_str().unwrap());
    let c = client.open_consultation("start").await;

    // Eight senders, each remembering what the server acknowledged and what was in flight.
    let acked: Arc<Mutex<Vec<(uuid::Uuid, i64)>>> = Arc::default();
    let in_flight: Arc<Mutex<Vec<uuid::Uuid>>> = Arc::default();
    let senders: Vec<_> = (0..8)
        .map(|i| {
            let (client, c, acked, in_flight) =
                (client.clone(), c.clone(), acked.clone(), in_flight.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let key = uuid::Uuid::now_v7();
                    in_flight.lock().unwrap().push(key);
                    let req = send_text(&client, &client.base, &c, key, format!("s{i} m{n}")).await;
                    match req {
                        Ok(r) if r.status().is_success() => {
                            let m: serde_json::Value = r.json().await.unwrap();
                            in_flight.lock().unwrap().retain(|k| *k != key);
                            acked
                                .lock()
                                .unwrap()
                                .push((key, m["seq"].as_i64().unwrap()));
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.start_kill().unwrap(); // SIGKILL
    server.child.wait().await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let in_flight = in_flight.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "the load was too light to mean anything: {}",
        acked.len()
    );

    let server = start(dir.path(), &db_url).await;
    let client = Api {
        base: server.base.clone(),
        ..client
    };
    // Retries of what was in flight, with the same keys, then everything is read back.
    for key in &in_flight {
        client
            .must(
                &format!("/api/v1/consultations/{c}/messages"),
                json!({"client_msg_id": key, "kind": "text", "body": "retry"}),
            )
            .await;
    }
    let mut stored = Vec::new();
    let mut after = 0;
    loop {
        let page = client
            .ok(&format!(
                "/api/v1/consultations/{c}/messages?after_seq={after}&limit=500"
            ))
            .await;
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        after = items.last().unwrap()["seq"].as_i64().unwrap();
        stored.extend(items);
    }
    let keys: Vec<String> = stored
        .iter()
        .map(|m| m["client_msg_id"].as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "duplicates after restart");
    for (key, seq) in &acked {
        let m = stored
            .iter()
            .find(|m| m["client_msg_id"] == key.to_string().as_str())
            .unwrap_or_else(|| panic!("acknowledged message {key} lost"));
        assert_eq!(m["seq"].as_i64().unwrap(), *seq);
    }
    for key in &in_flight {
        assert!(
            unique.contains(&key.to_string()),
            "the retried message {key} is missing"
        );
    }
    let seqs: Vec<i64> = stored.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(stored.len(), 1 + acked.len() + in_flight.len());
    drop(server);
});

/// Every connection is a file handle: started under the common soft limit of 1,024 open files,
/// the server raises it to the hard limit, so idle sockets cannot run it out of handles.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_raises_its_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "ulimit -Sn 1024 && exec '{}' serve",
        env!("CARGO_BIN_EXE_careline-server")
    );
    let mut server = start_as(Command::new("sh").args(["-c", &script]), dir.path(), "").await;
    let child = &mut server.child;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id().unwrap())).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(
        numbers[0], numbers[1],
        "the soft limit is raised to the hard one: {line}"
    );
    assert_ne!(numbers[0], "1024", "{line}");
    child.kill().await.unwrap();
}

/// Two instances on one PostgreSQL database; clients send through the second, an operator's
/// socket is on the second too; the second is killed (SIGKILL) under load. The clients send
/// again to the first with the same keys, the socket reconnects there resuming after the last
/// event it saw: every acknowledged message is stored once and reaches the operator once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover_under_load_on_postgres() {
    use futures::StreamExt;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db_url = common::fresh_pg_database().await;
    create_anna(dir_a.path(), &db_url).await;
    let a = start(dir_a.path(), &db_url).await;
    let mut b = start(dir_b.path(), &db_url).await;
    let http = reqwest::Client::new();
    let on_b = Api {
        base: b.base.clone(),
        http: http.clone(),
        token: None,
    };
    let anna = on_b.login("anna", PASSWORD).await;
    let head = on_b.ok("/healthz").await["last_seq"].as_i64().unwrap();

    // The operator's socket: first on b, then on a from where it stopped.
    let seen: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let reconnects = Arc::new(Mutex::new(0u32));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (seen, reconnects, stop, bases, token) = (
            seen.clone(),
            reconnects.clone(),
            stop.clone(),
            [b.base.clone(), a.base.clone()],
            anna.token.clone().unwrap(),
        );
        tokio::spawn(async move {
            let (mut at, mut last) = (0usize, head);
            while !stop.load(Ordering::Relaxed) {
                let request = common::ws_request(&bases[at], &token, Some(last));
                if let Ok((mut ws, _)) = tokio_tungstenite::connect_async(request).await {
                    while let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) =
                        ws.next().await
                    {
                        let f: serde_json::Value = serde_json::from_str(&t).unwrap();
                        if let Some(seq) = f["seq"].as_i64() {
                            last = last.max(seq);
                        }
                        if f["kind"] == "message" {
                            if let Some(k) = f["data"]["client_msg_id"].as_str() {
                                *seen.lock().unwrap().entry(k.to_owned()).or_default() += 1;
                            }
                        }
                    }
                }
                *reconnects.lock().unwrap() += 1;
                at = 1; // b is gone
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    // Four clients on b, each sending; a failed request goes again to a with the same key.
    let killed = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(String, String, bool)>>> = Arc::default();
    let mut senders = Vec::new();
    for i in 0..4 {
        let (_, reg) =
            on_b.post("/api/v1/clients/register", json!({"name": format!("Load {i}"), "phone": format!("+7999000010{i}"), "password": PASSWORD})).await;
        let client = on_b.with_token(reg["token"].as_str().unwrap());
        let c = client.open_consultation("start").await;
        let (acked, stop, killed, a_base) =
            (acked.clone(), stop.clone(), killed.clone(), a.base.clone());
        senders.push(tokio::spawn(async move {
            let mut base = client.base.clone();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let key = uuid::Uuid::now_v7();
                n += 1;
                loop {
                    match send_text(&client, &base, &c, key, format!("c{i} m{n}")).await {
                        Ok(r) if r.status().is_success() => {
                            acked.lock().unwrap().push((
                                c.clone(),
                                key.to_string(),
                                killed.load(Ordering::Relaxed),
                            ));
                            break;
                        }
                        Ok(r) if r.status().is_client_error() => panic!("refused: {}", r.status()),
                        _ => {
                            base = a_base.clone();
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.child.start_kill().unwrap(); // SIGKILL
    b.child.wait().await.unwrap();
    killed.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.iter().filter(|(_, _, after)| !after).count() > 20,
        "too little load before the kill"
    );
    assert!(
        acked.iter().filter(|(_, _, after)| *after).count() > 20,
        "too little load after the kill"
    );

    // The operator gets every acknowledged message exactly once.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let missing = {
            let seen = seen.lock().unwrap();
            acked
                .iter()
                .filter(|(_, k, _)| !seen.contains_key(k))
                .count()
        };
        if missing == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{missing} acknowledged messages never reached the operator"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    reader.abort();
    assert!(
        *reconnects.lock().unwrap() >= 1,
        "the operator's socket never moved to the other instance"
    );
    let doubled: Vec<(String, u32)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    assert!(doubled.is_empty(), "delivered more than once: {doubled:?}");

    // And the database holds each once.
    let on_a = Api {
        base: a.base.clone(),
        http,
        token: anna.token.clone(),
    };
    let consultations: BTreeSet<String> = acked.iter().map(|(c, _, _)| c.clone()).collect();
    let mut stored = Vec::new();
    for c in consultations {
        let mut after = 0;
        loop {
            let page = on_a
                .ok(&format!(
                    "/api/v1/consultations/{c}/messages?after_seq={after}&limit=500"
                ))
                .await;
            let items = page["items"].as_array().unwrap().clone();
            let Some(last) = items.last() else { break };
            after = last["seq"].as_i64().unwrap();
            stored.extend(
                items
                    .iter()
                    .filter_map(|m| m["client_msg_id"].as_str().map(str::to_owned)),
            );
        }
    }
    let unique: BTreeSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "a message stored twice");
    for (_, k, _) in &acked {
        assert!(unique.contains(k), "acknowledged message {k} lost");
    }
    drop(a);
}
