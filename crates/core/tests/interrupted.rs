//! The server killed in the middle of a sync and started again: the next sync completes with no
//! gap and no duplicate (every page was applied with its position, or not at all).

use std::time::Duration;

use careline_core::{sync, Cache, Remote};
use careline_protocol::{MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_by_the_server_completes_later() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let open: Vec<_> = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.consultation)
        .filter(|c| c.status != careline_protocol::ConsultationStatus::Closed)
        .collect();
    let store = state.store.clone();
    futures::stream::iter(0..40_000)
        .map(|i| {
            let c = open[i % open.len()].clone();
            let store = store.clone();
            async move {
                let req = SendMessageRequest {
                    client_msg_id: uuid::Uuid::now_v7(),
                    kind: MessageKind::Text,
                    body: format!("m{i}"),
                    attachment_id: None,
                    internal: false,
                };
                store
                    .send_message(
                        c.id,
                        Actor {
                            id: c.client_id,
                            role: Role::Client,
                        },
                        &req,
                    )
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let addr = server.addr;
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();

    // The server goes away after the first page or two.
    let (r, c) = (remote.clone(), cache.clone());
    let syncing = tokio::spawn(async move { sync::catch_up(&r, &c, |_| {}).await });
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if cache
            .counts()
            .await
            .unwrap()
            .iter()
            .any(|(t, n)| *t == "messages" && *n > 0)
        {
            break;
        }
    }
    server.stop().await;
    let cut = syncing.await.unwrap();
    assert!(cut.is_err(), "the sync was cut off");
    let partial: i64 = cache
        .counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == "messages")
        .unwrap()
        .1;
    assert!(partial < 40_000, "the cut came in the middle ({partial})");

    // Back: the sync completes.
    let _server = careline_server::testing::serve_at(&state, addr).await;
    let done = sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    assert_eq!(done.position, state.store.last_seq().await.unwrap());
    let messages: i64 = cache
        .counts()
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == "messages")
        .unwrap()
        .1;
    // Every message the server has: the demo clinic's (its six weeks of history) and the 40,000.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&state.config.effective_database_url())
        .await
        .unwrap();
    let on_server: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(on_server > 40_000 + 1000, "{on_server}");
    assert_eq!(messages, on_server, "no gap, no duplicate");
}
