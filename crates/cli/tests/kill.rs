//! `careline sync` killed with SIGKILL while it applies events: the cache is consistent (every
//! applied page came with its position) and the next sync completes it with no gap and no
//! duplicate.

use std::time::Duration;

use careline_protocol::{MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_resumes_without_gaps_or_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    // Enough history that a sync takes a while.
    let consultations = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items;
    let open: Vec<_> = consultations
        .iter()
        .map(|i| i.consultation.clone())
        .filter(|c| c.status != careline_protocol::ConsultationStatus::Closed)
        .collect();
    let sends = (0..30_000).map(|i| {
        let c = &open[i % open.len()];
        let store = state.store.clone();
        let (id, client) = (c.id, c.client_id);
        async move {
            let req = SendMessageRequest {
                client_msg_id: uuid::Uuid::now_v7(),
                kind: MessageKind::Text,
                body: format!("история {i}"),
                attachment_id: None,
                internal: false,
            };
            store
                .send_message(
                    id,
                    Actor {
                        id: client,
                        role: Role::Client,
                    },
                    &req,
                )
                .await
                .unwrap();
        }
    });
    use futures::StreamExt;
    futures::stream::iter(sends)
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    let url = server.url.clone();

    let home = dir.path().join("home");
    let cli = |args: &[&str]| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_careline"));
        c.args(args)
            .env("CARELINE_HOME", &home)
            .env("CARELINE_PASSWORD", careline_server::demo::DEMO_PASSWORD);
        c
    };
    assert!(cli(&["login", "--server", &url, "--login", "anna"])
        .output()
        .await
        .unwrap()
        .status
        .success());
    // The snapshot (first pages) and then events: kill it in the middle, a few times.
    for wait in [150u64, 400, 700] {
        let mut child = cli(&["sync"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let _ = child.start_kill(); // SIGKILL
        let _ = child.wait().await;
    }
    let out = cli(&["sync", "--json"]).output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = state.store.last_seq().await.unwrap();
    let synced: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(synced["position"].as_i64().unwrap(), head);

    // The cache has every message once (opened here under its key, which the CLI keeps in its
    // home; this binary's only test, so nothing else reads the environment meanwhile).
    std::env::set_var("CARELINE_HOME", &home);
    let cache = careline_core::Cache::open(&home.join("cache").join(format!(
        "{}-anna.db",
        url.trim_start_matches("http://").replace(':', "_")
    )))
    .await
    .unwrap();
    let counts: std::collections::BTreeMap<&str, i64> =
        cache.counts().await.unwrap().into_iter().collect();
    // Every message the server has (the demo's six weeks of history and the 30,000 above).
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&state.config.effective_database_url())
        .await
        .unwrap();
    let server_messages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(counts["messages"], server_messages);
    assert!(cache
        .search("история 29999", 5)
        .await
        .unwrap()
        .iter()
        .any(|h| h.snippet.text.contains("29999")));
}
