//! The live follower against the real server: events arrive as they commit; the server goes
//! away and comes back and nothing is lost or doubled; when the server pruned what we missed,
//! the cache is filled again and the outbox is kept.

use std::time::Duration;

use careline_core::live::{follow, Update};
use careline_core::outbox::Op;
use careline_core::{Cache, Remote};
use careline_protocol::{MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;
use tokio::sync::mpsc;

fn text(body: &str) -> SendMessageRequest {
    SendMessageRequest {
        client_msg_id: uuid::Uuid::now_v7(),
        kind: MessageKind::Text,
        body: body.into(),
        attachment_id: None,
        internal: false,
    }
}

async fn next_matching(
    rx: &mut mpsc::UnboundedReceiver<Update>,
    what: impl Fn(&Update) -> bool,
) -> Update {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let u = rx.recv().await.expect("the follower stopped");
            if what(&u) {
                return u;
            }
        }
    })
    .await
    .expect("no such update in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_live_across_outages_and_resyncs() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let addr = server.addr;
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (r, c) = (remote.clone(), cache.clone());
    tokio::spawn(async move {
        let wake = tokio::sync::Notify::new();
        follow(&r, &c, &wake, |u| tx.send(u).is_ok()).await
    });
    next_matching(&mut rx, |u| matches!(u, Update::Live)).await;

    // Live.
    let consultation = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items[0]
        .consultation
        .clone();
    let client = Actor {
        id: consultation.client_id,
        role: Role::Client,
    };
    let m = state
        .store
        .send_message(consultation.id, client, &text("живое сообщение"))
        .await
        .unwrap();
    next_matching(
        &mut rx,
        |u| matches!(u, Update::Applied(e) if e.iter().any(|e| e.seq == m.seq)),
    )
    .await;
    assert!(cache
        .thread(consultation.client_id, None, 500)
        .await
        .unwrap()
        .iter()
        .any(|x| x.id == m.id));

    // The server goes away; traffic goes on without us; it comes back.
    server.stop().await;
    next_matching(&mut rx, |u| matches!(u, Update::Offline { .. })).await;
    let mut missed = Vec::new();
    for i in 0..10 {
        missed.push(
            state
                .store
                .send_message(
                    consultation.id,
                    client,
                    &text(&format!("пока вас не было {i}")),
                )
                .await
                .unwrap(),
        );
    }
    let server = careline_server::testing::serve_at(&state, addr).await;
    next_matching(&mut rx, |u| matches!(u, Update::Live)).await;
    let thread = cache
        .thread(consultation.client_id, None, 500)
        .await
        .unwrap();
    for m in &missed {
        assert_eq!(
            thread.iter().filter(|x| x.id == m.id).count(),
            1,
            "missed message applied once"
        );
    }
    assert_eq!(
        cache.last_seq().await.unwrap(),
        state.store.last_seq().await.unwrap()
    );

    // Away again; this time the server prunes what we missed. The cache is filled again; the
    // outbox survives.
    cache
        .enqueue(&Op::text(consultation.id, "в очереди", false))
        .await
        .unwrap();
    server.stop().await;
    next_matching(&mut rx, |u| matches!(u, Update::Offline { .. })).await;
    let gone = state
        .store
        .send_message(consultation.id, client, &text("после очистки"))
        .await
        .unwrap();
    state.store.prune_events(i64::MAX).await.unwrap();
    let after = state
        .store
        .send_message(consultation.id, client, &text("совсем новое"))
        .await
        .unwrap();
    let _server = careline_server::testing::serve_at(&state, addr).await;
    next_matching(&mut rx, |u| matches!(u, Update::Live)).await;
    let thread = cache
        .thread(consultation.client_id, None, 500)
        .await
        .unwrap();
    assert!(
        thread.iter().any(|x| x.id == after.id),
        "the event after the pruning"
    );
    assert!(
        thread.iter().any(|x| x.id == gone.id),
        "a message whose event was pruned comes with the state"
    );
    assert_eq!(
        thread.len(),
        thread
            .iter()
            .map(|m| m.id)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        "nothing doubled"
    );
    assert_eq!(
        cache.outbox().await.unwrap().len(),
        1,
        "the outbox is kept through a re-sync"
    );
}
