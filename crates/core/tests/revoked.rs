//! A session the server no longer accepts (logged out elsewhere, expired, the account
//! disabled) ends the desk: it says why once, forgets the session so the next start shows the
//! login form instead of the same dead desk, and keeps the outbox for the next login of the
//! same operator. (Its own process: it owns the session file of `CARELINE_HOME`.)

use std::sync::Arc;
use std::time::Duration;

use careline_core::desk::{Desk, DeskEvent};
use careline_core::outbox::Op;
use careline_core::session::Session;
use careline_core::views::{ConsultationView, ListFilter};
use careline_core::{Remote, UiCode};
use careline_protocol::{ConsultationStatus, ErrorCode};
use tokio::sync::mpsc;

async fn next(
    rx: &mut mpsc::UnboundedReceiver<DeskEvent>,
    secs: u64,
    f: impl Fn(&DeskEvent) -> bool,
) -> DeskEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) if f(&e) => return e,
            Ok(Some(_)) => {}
            _ => panic!("no such desk event within {secs} s"),
        }
    }
}

/// The tests set CARELINE_HOME for the whole process: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn start(desk: &Arc<Desk>) -> mpsc::UnboundedReceiver<DeskEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    desk.start(Arc::new(move |e| {
        let _ = tx.send(e);
    }));
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_ends_the_desk_and_keeps_its_outbox() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    std::env::set_var("CARELINE_NO_KEYCHAIN", "1");
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache_path = dir.path().join("anna.db");
    let desk = Desk::open(session.clone(), cache_path.clone())
        .await
        .unwrap();
    let mut rx = start(&desk);
    next(&mut rx, 10, |e| {
        matches!(e, DeskEvent::Connection { online: true, .. })
    })
    .await;
    let queued = desk
        .views()
        .list(ConsultationView::Queue, &ListFilter::default())
        .await
        .unwrap()[0]
        .consultation
        .clone();

    // The operator logs out on another computer with the same session.
    Remote::with_token(&server.url, &session.token)
        .logout()
        .await
        .unwrap();
    // The next thing the desk sends is refused: the desk ends, once, saying why.
    desk.act(Op::Take {
        consultation_id: queued.id,
    })
    .await
    .unwrap();
    let ended = next(&mut rx, 10, |e| matches!(e, DeskEvent::SessionEnded { .. })).await;
    let DeskEvent::SessionEnded { error } = ended else {
        unreachable!()
    };
    assert_eq!(error.code, UiCode::Server(ErrorCode::Unauthorized));
    assert!(desk.ended());
    assert_eq!(
        Session::load(),
        None,
        "the dead session is forgotten: the next start shows the login form"
    );
    let waiting = desk.outbox().await.unwrap();
    assert!(
        waiting.iter().any(|e| e.op
            == Op::Take {
                consultation_id: queued.id
            }
            && e.state == "pending"),
        "the operation waits: {waiting:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !std::iter::from_fn(|| rx.try_recv().ok())
            .any(|e| matches!(e, DeskEvent::SessionEnded { .. })),
        "said once"
    );
    desk.close().await;
    drop(desk);

    // The same operator logs in again: the same cache, and what waited is sent.
    let again = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let desk = Desk::open(again, cache_path).await.unwrap();
    let mut rx = start(&desk);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c = state.store.get_consultation(queued.id).await.unwrap();
        if c.status == ConsultationStatus::Active {
            assert_eq!(c.operator_id, Some(desk.me().id));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the kept operation was not sent after the new login"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An administrator disables the operator: the desk ends with that reason.
    let (admin_api, _) = Remote::login(&server.url, "admin", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    admin_api
        .update_operator(
            desk.me().id,
            &careline_protocol::UpdateOperatorRequest {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    desk.act(Op::SetStatus {
        status: careline_protocol::Presence::Away,
    })
    .await
    .unwrap();
    let DeskEvent::SessionEnded { error } =
        next(&mut rx, 10, |e| matches!(e, DeskEvent::SessionEnded { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(
        error.code,
        UiCode::Server(ErrorCode::AccountDisabled),
        "the reason is said: {error:?}"
    );
    desk.stop();
    server.stop().await;
}

/// A desk that sends nothing learns of its end too: the server closes its live connection when
/// the account is disabled, and the reconnect's catch-up is refused with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_desk_learns_that_its_account_was_disabled() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    std::env::set_var("CARELINE_NO_KEYCHAIN", "1");
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "li", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let desk = Desk::open(session, dir.path().join("li.db")).await.unwrap();
    let mut rx = start(&desk);
    next(&mut rx, 10, |e| {
        matches!(e, DeskEvent::Connection { online: true, .. })
    })
    .await;
    let (admin_api, _) = Remote::login(&server.url, "admin", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    admin_api
        .update_operator(
            desk.me().id,
            &careline_protocol::UpdateOperatorRequest {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let DeskEvent::SessionEnded { error } =
        next(&mut rx, 30, |e| matches!(e, DeskEvent::SessionEnded { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(error.code, UiCode::Server(ErrorCode::AccountDisabled));
    desk.stop();
    server.stop().await;
}
