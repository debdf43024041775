//! The outbox against the real server: 100 messages written while the server is down are
//! delivered exactly once, in order, when it is back; a conflict is kept and surfaced.

use careline_core::outbox::{Entry, Op};
use careline_core::{sync, Cache, Remote};
use careline_protocol::{ConsultationStatus, Role};
use careline_server::domain::{Actor, ConsultationAction};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_work_is_delivered_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let (addr, url) = (server.addr, server.url.clone());
    let (remote, login) = Remote::login(&url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let me = login.user.id;
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    let queue = cache
        .consultations(&[ConsultationStatus::New], true, 10)
        .await
        .unwrap();
    let (mine, contested) = (queue[0].clone(), queue[1].clone());

    // The server goes away; the operator keeps working.
    server.stop().await;
    cache
        .enqueue(&Op::Take {
            consultation_id: mine.id,
        })
        .await
        .unwrap();
    for i in 0..100 {
        cache
            .enqueue(&Op::text(mine.id, &format!("офлайн {i}"), false))
            .await
            .unwrap();
    }
    cache
        .enqueue(&Op::Take {
            consultation_id: contested.id,
        })
        .await
        .unwrap();
    let flushed = cache.flush(&remote).await.unwrap();
    assert!(flushed.offline && flushed.sent == 0);
    assert_eq!(
        cache.outbox().await.unwrap().len(),
        102,
        "everything stays pending"
    );

    // Meanwhile another operator takes the contested consultation.
    let li = state
        .store
        .operator_credentials("li")
        .await
        .unwrap()
        .unwrap()
        .0;
    state
        .store
        .transition_consultation(
            contested.id,
            Actor {
                id: li.id,
                role: Role::Operator,
            },
            ConsultationAction::Take,
            None,
            None,
        )
        .await
        .unwrap();

    // The server is back: all of it is delivered once, in order; the conflict is surfaced.
    let _server = careline_server::testing::serve_at(&state, addr).await;
    let flushed = cache.flush(&remote).await.unwrap();
    assert_eq!(
        (flushed.sent, flushed.refused, flushed.offline),
        (101, 1, false)
    );
    let left: Vec<Entry> = cache.outbox().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].op,
        Op::Take {
            consultation_id: contested.id
        }
    );
    assert_eq!(
        (left[0].state.as_str(), left[0].error_code.as_deref()),
        ("failed", Some("already_taken"))
    );
    // A second flush sends nothing again.
    assert_eq!(cache.flush(&remote).await.unwrap().sent, 0);

    let q = careline_protocol::MessageQuery {
        limit: Some(500),
        ..Default::default()
    };
    let c = state.store.get_consultation(mine.id).await.unwrap();
    assert_eq!(
        (c.status, c.operator_id),
        (ConsultationStatus::Active, Some(me))
    );
    let bodies: Vec<String> = state
        .store
        .list_messages(&c, Role::Operator, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.body.starts_with("офлайн"))
        .map(|m| m.body)
        .collect();
    assert_eq!(
        bodies,
        (0..100).map(|i| format!("офлайн {i}")).collect::<Vec<_>>()
    );

    // The cache learns it all through sync; the operator dismisses the seen refusal.
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    assert_eq!(
        cache
            .thread(mine.client_id, None, 500)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.body.starts_with("офлайн"))
            .count(),
        100
    );
    cache.dismiss(left[0].id).await.unwrap();
    assert!(cache.outbox().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_not_applied_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _server, remote, cache) = synced_desk(dir.path()).await;
    let c = cache
        .consultations(&[ConsultationStatus::New], true, 1)
        .await
        .unwrap()[0]
        .clone();
    // The take reached the server (with the entry's key), but its answer was lost: the entry
    // is still pending.
    let op = Op::Take {
        consultation_id: c.id,
    };
    cache.enqueue(&op).await.unwrap();
    let text = Op::text(c.id, "один раз", false);
    cache.enqueue(&text).await.unwrap();
    let keys: Vec<String> = cache
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    remote.keyed(&keys[0]).take(c.id).await.unwrap();
    if let Op::SendMessage { message, .. } = &text {
        remote
            .keyed(&keys[1])
            .send_message(c.id, message)
            .await
            .unwrap();
    }
    let flushed = cache.flush(&remote).await.unwrap();
    assert_eq!(
        (flushed.sent, flushed.refused),
        (2, 0),
        "{:?}",
        cache.outbox().await.unwrap()
    );
    let q = careline_protocol::MessageQuery::default();
    let server_c = state.store.get_consultation(c.id).await.unwrap();
    let n = state
        .store
        .list_messages(&server_c, Role::Operator, &q)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|m| m.body == "один раз")
        .count();
    assert_eq!(n, 1);
}

/// The demo server, and anna's desk synced with it.
async fn synced_desk(
    dir: &std::path::Path,
) -> (
    careline_server::AppState,
    careline_server::testing::Running,
    Remote,
    Cache,
) {
    let (state, server) = careline_server::testing::demo(dir).await;
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.join("anna.db")).await.unwrap();
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    (state, server, remote, cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_work_is_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _server, remote, cache) = synced_desk(dir.path()).await;
    let cb = cache
        .open_callbacks(50)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.status == careline_protocol::CallbackStatus::New)
        .unwrap();
    // Claimed and called; both answers were lost, so both are retried.
    let claim = Op::ClaimCallback { callback_id: cb.id };
    let call = Op::attempt(
        cb.id,
        careline_protocol::AttemptOutcome::NoAnswer,
        Some("не берёт".into()),
    );
    cache.enqueue(&claim).await.unwrap();
    cache.enqueue(&call).await.unwrap();
    let keys: Vec<String> = cache
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    remote.keyed(&keys[0]).claim_callback(cb.id).await.unwrap();
    if let Op::CallbackAttempt {
        outcome, note, key, ..
    } = &call
    {
        remote
            .keyed(&keys[1])
            .callback_attempt(
                cb.id,
                &careline_protocol::AttemptRequest {
                    outcome: *outcome,
                    note: note.clone(),
                    key: Some(*key),
                },
            )
            .await
            .unwrap();
    }
    let flushed = cache.flush(&remote).await.unwrap();
    assert_eq!(
        (flushed.sent, flushed.refused),
        (2, 0),
        "{:?}",
        cache.outbox().await.unwrap()
    );
    let server = state.store.get_callback(cb.id).await.unwrap();
    assert_eq!(server.attempts.len(), 1, "the attempt counted once");
    assert_eq!(
        server.status,
        careline_protocol::CallbackStatus::New,
        "back in the queue for a retry"
    );
}

/// A gateway in front of the real server that answers some paths itself, as misconfigured
/// proxies and servers of another version do: a success page that is not JSON, an error that
/// is not the API's, and "service unavailable".
async fn odd_gateway(upstream: String) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (http, upstream) = (http.clone(), upstream.clone());
            async move {
                let path = uri.path();
                if path.ends_with("/take") {
                    return (
                        StatusCode::OK,
                        "<html><body>Welcome to nginx!</body></html>".to_owned(),
                    );
                }
                if path.ends_with("/release") {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "upstream says no".to_owned(),
                    );
                }
                if path.ends_with("/close") {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "<html>503 Service Temporarily Unavailable</html>".to_owned(),
                    );
                }
                let mut req = http.request(method, format!("{upstream}{uri}")).body(body);
                for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
                    req = req.header(k, v);
                }
                let resp = req.send().await.unwrap();
                (resp.status(), resp.text().await.unwrap())
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// An answer the desk does not understand is not an outage: the operation is failed with
/// what came back (for the operator to retry or dismiss) and the queue behind it moves on;
/// only "unreachable" (or a gateway saying the server is down) keeps it waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odd_answer_fails_one_operation_and_the_queue_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let (direct, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();
    sync::catch_up(&direct, &cache, |_| {}).await.unwrap();
    let queue = cache
        .consultations(&[ConsultationStatus::New], true, 10)
        .await
        .unwrap();
    let (first, second, third) = (queue[0].id, queue[1].id, queue[2].id);
    direct.take(third).await.unwrap();

    let through_gateway =
        Remote::with_token(&odd_gateway(server.url.clone()).await, direct.token());
    cache
        .enqueue(&Op::Take {
            consultation_id: first,
        })
        .await
        .unwrap();
    cache
        .enqueue(&Op::Release {
            consultation_id: second,
        })
        .await
        .unwrap();
    cache
        .enqueue(&Op::text(third, "Ответ после странного ответа", false))
        .await
        .unwrap();
    let flushed = cache.flush(&through_gateway).await.unwrap();
    assert_eq!(
        (flushed.sent, flushed.refused, flushed.offline),
        (1, 2, false),
        "{flushed:?}"
    );
    let failed = cache.outbox().await.unwrap();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|e| e.state == "failed" && e.error_code.as_deref() == Some("unexpected_answer")),
        "{failed:?}"
    );
    assert!(
        failed[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("Welcome to nginx"),
        "the text that came back is shown"
    );
    assert!(failed[1]
        .error_message
        .as_deref()
        .unwrap()
        .contains("upstream says no"));

    // "Service unavailable" from the gateway: an outage; the operation waits.
    cache
        .enqueue(&Op::Close {
            consultation_id: third,
            summary: None,
        })
        .await
        .unwrap();
    let flushed = cache.flush(&through_gateway).await.unwrap();
    assert!(
        flushed.offline && flushed.sent == 0 && flushed.refused == 0,
        "{flushed:?}"
    );
    assert_eq!(
        cache
            .outbox()
            .await
            .unwrap()
            .iter()
            .filter(|e| e.state == "pending")
            .count(),
        1
    );
    server.stop().await;
}
