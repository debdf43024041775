//! The cache against the real server on a loopback port: after a sync the cache holds what the
//! server says; a second sync changes nothing; new traffic arrives by catch-up; search finds
//! Russian, Chinese (two-character words) and English.

use careline_core::search::Snippet;
use careline_core::{sync, Cache, Remote};
use careline_protocol::{ConsultationStatus, MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_mirrors_the_server_and_searches_it() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let url = server.url.clone();
    let (remote, login) = Remote::login(&url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(login.user.role, Role::Operator);
    let cache = Cache::open(&dir.path().join("cache/anna.db"))
        .await
        .unwrap();
    let mut pages = 0;
    let progress = sync::catch_up(&remote, &cache, |_| pages += 1)
        .await
        .unwrap();
    assert!(pages >= 1);
    assert_eq!(progress.position, state.store.last_seq().await.unwrap());
    assert_eq!(cache.last_seq().await.unwrap(), progress.position);

    // What the server lists is what the cache holds.
    let staff = Actor {
        id: login.user.id,
        role: Role::Operator,
    };
    let f = careline_protocol::ConsultationFilter {
        status: Some("new".into()),
        order: Some("asc".into()),
        limit: Some(500),
        ..Default::default()
    };
    let server_queue: Vec<_> = state
        .store
        .list_consultations(&f, staff.id, Role::Operator)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.consultation)
        .collect();
    let cached_queue = cache
        .consultations(&[ConsultationStatus::New], true, 500)
        .await
        .unwrap();
    assert_eq!(
        cached_queue.iter().map(|c| c.id).collect::<Vec<_>>(),
        server_queue.iter().map(|c| c.id).collect::<Vec<_>>()
    );
    for (a, b) in cached_queue.iter().zip(&server_queue) {
        assert_eq!(a, b, "the cached consultation differs from the server's");
    }
    let c = &server_queue[0];
    let q = careline_protocol::MessageQuery {
        thread: Some(true),
        limit: Some(500),
        ..Default::default()
    };
    let server_thread = state
        .store
        .list_messages(c, Role::Operator, &q)
        .await
        .unwrap()
        .items;
    assert_eq!(
        cache.thread(c.client_id, None, 500).await.unwrap(),
        server_thread
    );
    let server_callbacks = state
        .store
        .list_callbacks(
            &careline_protocol::CallbackFilter {
                status: Some("new,claimed".into()),
                ..Default::default()
            },
            staff,
        )
        .await
        .unwrap()
        .items;
    assert_eq!(cache.open_callbacks(100).await.unwrap(), server_callbacks);

    // Applying again changes nothing.
    let counts = cache.counts().await.unwrap();
    let again = sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    assert_eq!(again.applied, 0);
    assert_eq!(cache.counts().await.unwrap(), counts);

    // New traffic is caught up; the thread is in seq order.
    let client = Actor {
        id: c.client_id,
        role: Role::Client,
    };
    let req = SendMessageRequest {
        client_msg_id: uuid::Uuid::now_v7(),
        kind: MessageKind::Text,
        body: "Температура поднялась до 39".into(),
        attachment_id: None,
        internal: false,
    };
    let sent = state.store.send_message(c.id, client, &req).await.unwrap();
    let more = sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    assert_eq!(more.applied, 1);
    let thread = cache.thread(c.client_id, None, 500).await.unwrap();
    assert_eq!(thread.last().unwrap().id, sent.id);
    assert!(thread.windows(2).all(|w| w[0].seq < w[1].seq));
    let cached = cache.consultation(c.id).await.unwrap().unwrap();
    assert_eq!(
        cached.last_message_at,
        Some(sent.created_at),
        "a message moves its consultation's last_message_at"
    );

    // Search: Russian (any case, prefix), Chinese two-character words, English; clients too.
    let marked = |s: &Snippet| s.marked("[", "]");
    let hits = cache.search("темпер", 20).await.unwrap();
    assert!(
        hits.iter()
            .any(|h| h.kind == "message" && marked(&h.snippet).contains("[Темпер]атура")),
        "{hits:?}"
    );
    let hits = cache.search("咳嗽", 20).await.unwrap();
    assert!(
        hits.iter().any(|h| marked(&h.snippet).contains("[咳嗽]")),
        "{hits:?}"
    );
    let hits = cache.search("失眠", 20).await.unwrap();
    assert!(
        !hits.is_empty(),
        "a two-character Chinese word in the middle of a sentence"
    );
    let hits = cache.search("RASH", 20).await.unwrap();
    assert!(
        hits.iter()
            .any(|h| marked(&h.snippet).to_lowercase().contains("[rash]")),
        "{hits:?}"
    );
    let hits = cache.search("Emily", 20).await.unwrap();
    assert!(hits.iter().any(|h| h.kind == "client"));
    assert!(cache.search("жирафы", 20).await.unwrap().is_empty());
    assert!(
        cache.search("\"*) OR", 20).await.is_ok(),
        "query syntax never reaches FTS5 raw"
    );

    // The cache survives a reopen.
    cache.close().await;
    let reopened = Cache::open(&dir.path().join("cache/anna.db"))
        .await
        .unwrap();
    assert_eq!(reopened.last_seq().await.unwrap(), more.position);
}
