//! Reception at the desk: a client who phoned in is recorded and gets a callback request while
//! the server is away; both are in the desk at once, reach the server with the desk's ids when
//! it is back, and a phone that is someone else's is refused — before queuing when the desk
//! knows the client, by the server otherwise, taking the shown record back.

mod common;

use std::time::Duration;

use careline_core::views::CallbackView;
use careline_core::CoreError;
use careline_protocol::{CreateCallbackRequest, CreateClientRequest, ErrorCode};

type Told = std::sync::Arc<std::sync::Mutex<Vec<careline_core::notify::Notification>>>;

async fn started(
    url: &str,
    login: &str,
    cache: std::path::PathBuf,
    told: Told,
) -> std::sync::Arc<careline_core::desk::Desk> {
    let desk = common::desk_of(url, login, cache).await;
    desk.start(std::sync::Arc::new(move |e| {
        if let careline_core::desk::DeskEvent::Notify { notification } = e {
            told.lock().unwrap().push(notification);
        }
    }));
    desk
}

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    for _ in 0..300 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn code(e: CoreError) -> ErrorCode {
    match e {
        CoreError::Refused(e) => e.code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reception_records_a_caller_and_their_callback_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let addr = server.addr;
    let known = state
        .store
        .list_clients(&Default::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    let told = Told::default();
    let desk = started(
        &server.url,
        "anna",
        dir.path().join("anna.db"),
        told.clone(),
    )
    .await;
    until("the desk to know the clients", || async {
        !desk
            .reception()
            .clients_with_phone(&known.phone)
            .await
            .unwrap()
            .is_empty()
    })
    .await;

    server.stop().await;
    // A known client's phone, however written, is offered back, not recorded again.
    let spaced: String = known.phone.chars().flat_map(|c| [c, ' ']).collect();
    assert_eq!(
        desk.reception().clients_with_phone(&spaced).await.unwrap()[0].id,
        known.id
    );
    let twice = desk
        .reception()
        .create_client(CreateClientRequest {
            name: "Двойник".into(),
            phone: spaced,
            ..Default::default()
        })
        .await;
    assert_eq!(code(twice.unwrap_err()), ErrorCode::AlreadyExists);
    for bad in [
        ("", "+79120000001"),
        ("Имя", "позвоните мне"),
        ("Имя", "12"),
    ] {
        let r = desk
            .reception()
            .create_client(CreateClientRequest {
                name: bad.0.into(),
                phone: bad.1.into(),
                ..Default::default()
            })
            .await;
        assert_eq!(code(r.unwrap_err()), ErrorCode::ValidationFailed, "{bad:?}");
    }
    assert!(
        desk.outbox().await.unwrap().is_empty(),
        "nothing refused was queued"
    );

    // The caller is recorded and their callback requested, with the server away.
    let zina = desk
        .reception()
        .create_client(CreateClientRequest {
            name: " Зинаида Петровна ".into(),
            phone: "8 (912) 345-67-89".into(),
            city: Some("Тула".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (zina.name.as_str(), zina.phone.as_str()),
        ("Зинаида Петровна", "89123456789")
    );
    let found = desk.views().client_list(Some("Зинаида")).await.unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![zina.id],
        "in the list at once"
    );
    let when = chrono::Utc::now() + chrono::Duration::hours(2);
    let cb = desk
        .reception()
        .create_callback(CreateCallbackRequest {
            id: None,
            phone: zina.phone.clone(),
            preferred_at: Some(when),
            preferred_until: Some(when + chrono::Duration::hours(1)),
            reason: Some("Результаты анализов".into()),
            client_id: Some(zina.id),
        })
        .await
        .unwrap();
    let open = desk
        .views()
        .callback_list(CallbackView::Open, None)
        .await
        .unwrap();
    let row = open
        .iter()
        .find(|r| r.callback.id == cb.id)
        .expect("in the queue at once");
    assert_eq!(row.client_name.as_deref(), Some("Зинаида Петровна"));
    let backwards = CreateCallbackRequest {
        id: None,
        phone: zina.phone.clone(),
        preferred_at: Some(when),
        preferred_until: Some(when),
        reason: None,
        client_id: None,
    };
    assert_eq!(
        code(
            desk.reception()
                .create_callback(backwards)
                .await
                .unwrap_err()
        ),
        ErrorCode::ValidationFailed
    );

    // Meanwhile someone registers on the server with a phone the desk has not heard of, and the
    // desk records the same phone: the server will refuse it.
    let hash = careline_server::passwords::hash_password("секрет-пароль".into())
        .await
        .unwrap();
    let reg = careline_protocol::RegisterRequest {
        name: "Олег".into(),
        phone: "+79125550000".into(),
        password: "секрет-пароль".into(),
        email: None,
        source: None,
        claim_code: None,
        consents: Vec::new(),
    };
    state.store.register_client(&reg, hash).await.unwrap();
    let clash = desk
        .reception()
        .create_client(CreateClientRequest {
            name: "Олег Иванович".into(),
            phone: "+7 912 555-00-00".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(desk.outbox().await.unwrap().len(), 3);

    // The server is back: the desk sends all of it by itself.
    let _server = careline_server::testing::serve_at(&state, addr).await;
    until("the outbox to be sent", || async {
        desk.outbox()
            .await
            .unwrap()
            .iter()
            .all(|e| e.state != "pending")
    })
    .await;
    let on_server = state.store.get_client(zina.id).await.unwrap();
    assert_eq!(
        (
            on_server.name.as_str(),
            on_server.phone.as_str(),
            on_server.city.as_deref()
        ),
        ("Зинаида Петровна", "89123456789", Some("Тула"))
    );
    assert_eq!(on_server.source, careline_protocol::ClientSource::Phone);
    let stored = state.store.get_callback(cb.id).await.unwrap();
    assert_eq!(
        (stored.client_id, stored.reason.as_deref()),
        (Some(zina.id), Some("Результаты анализов"))
    );
    assert_eq!(
        stored.preferred_at.map(|t| t.timestamp_millis()),
        Some(when.timestamp_millis())
    );
    // The clash is refused and shown; the record the desk showed is taken back.
    let left = desk.outbox().await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        (left[0].state.as_str(), left[0].error_code.as_deref()),
        ("failed", Some("already_exists"))
    );
    assert!(
        left[0].error_message.as_deref().unwrap().contains("Олег"),
        "{left:?}"
    );
    assert!(desk
        .views()
        .client_profile(clash.id)
        .await
        .unwrap()
        .is_none());
    assert!(state.store.get_client(clash.id).await.is_err());
    // The server's own record of the caller replaces the desk's, the same id.
    until("the synced client", || async {
        desk.reception()
            .clients_with_phone("+79125550000")
            .await
            .unwrap()
            .len()
            == 1
    })
    .await;
    assert_eq!(
        desk.reception()
            .clients_with_phone("89123456789")
            .await
            .unwrap()
            .len(),
        1
    );

    // A request the desk made itself (online now) is not news to it; a client's own request is.
    let again = CreateCallbackRequest {
        id: None,
        phone: zina.phone.clone(),
        preferred_at: None,
        preferred_until: None,
        reason: Some("ещё раз".into()),
        client_id: Some(zina.id),
    };
    let again = desk.reception().create_callback(again).await.unwrap();
    until("the request on the server", || async {
        state.store.get_callback(again.id).await.is_ok()
    })
    .await;
    let theirs = careline_protocol::CreateCallbackRequest {
        id: None,
        phone: "+79125550000".into(),
        preferred_at: None,
        preferred_until: None,
        reason: None,
        client_id: None,
    };
    let oleg = state
        .store
        .client_credentials("+79125550000")
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .0;
    let theirs = state
        .store
        .create_callback(
            &theirs,
            careline_server::domain::Actor {
                id: oleg.id,
                role: careline_protocol::Role::Client,
            },
        )
        .await
        .unwrap();
    until("the client's request to be told", || async {
        told.lock()
            .unwrap()
            .iter()
            .any(|n| n.target == careline_core::notify::Target::Callback(theirs.id))
    })
    .await;
    let about_mine: Vec<_> = told
        .lock()
        .unwrap()
        .iter()
        .filter(|n| n.target == careline_core::notify::Target::Callback(again.id) || n.count > 1)
        .cloned()
        .collect();
    assert!(
        about_mine.is_empty(),
        "told of the request the desk made itself: {about_mine:?}"
    );
    desk.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_replies_follow_the_server_and_stay_for_offline() {
    use careline_core::desk::DeskEvent;
    use careline_protocol::{QuickReplyRequest, Role, RuleLanguage};
    use careline_server::domain::Actor;
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let desk = common::desk_of(&server.url, "anna", dir.path().join("anna.db")).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<DeskEvent>::new()));
    let sink = seen.clone();
    desk.start(std::sync::Arc::new(move |e| sink.lock().unwrap().push(e)));
    let team = desk.replies().quick_replies().await.unwrap();
    assert_eq!(team.len(), 15, "the team's replies in ru, zh and en");
    let told = |seen: &std::sync::Arc<std::sync::Mutex<Vec<DeskEvent>>>| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    DeskEvent::Changed {
                        quick_replies: true,
                        ..
                    }
                )
            })
            .count()
    };
    until("online", || async {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, DeskEvent::Connection { online: true, .. }))
    })
    .await;

    // A colleague's own reply is not the desk's business; a client's message marks the moment.
    let li = state
        .store
        .operator_credentials("li")
        .await
        .unwrap()
        .unwrap()
        .0;
    let mine = |text: &str, personal: bool| QuickReplyRequest {
        shortcut: "s".into(),
        text: text.into(),
        language: Some(RuleLanguage::Ru),
        personal,
    };
    state
        .store
        .create_quick_reply(
            &mine("его личный", true),
            Actor {
                id: li.id,
                role: Role::Operator,
            },
        )
        .await
        .unwrap();
    let client = state
        .store
        .list_clients(&Default::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    let asap = CreateCallbackRequest {
        id: None,
        phone: client.phone.clone(),
        preferred_at: None,
        preferred_until: None,
        reason: None,
        client_id: None,
    };
    state
        .store
        .create_callback(
            &asap,
            Actor {
                id: client.id,
                role: Role::Client,
            },
        )
        .await
        .unwrap();
    until("the client's change", || async {
        seen.lock().unwrap().iter().any(|e| {
            matches!(
                e,
                DeskEvent::Changed {
                    callbacks: true,
                    ..
                }
            )
        })
    })
    .await;
    assert_eq!(told(&seen), 0, "not told of a colleague's own reply");
    // The team's new reply is: the desk fetches the list again.
    let admin = state
        .store
        .operator_credentials("admin")
        .await
        .unwrap()
        .unwrap()
        .0;
    state
        .store
        .create_quick_reply(
            &mine("для всех", false),
            Actor {
                id: admin.id,
                role: Role::Admin,
            },
        )
        .await
        .unwrap();
    until("told of the team's reply", || async { told(&seen) == 1 }).await;
    assert_eq!(desk.replies().quick_replies().await.unwrap().len(), 16);
    let after_mine = desk
        .replies()
        .save_quick_reply(None, &mine("мой: {client_name}", true))
        .await
        .unwrap();
    assert_eq!(after_mine.len(), 17);
    assert!(after_mine.iter().all(|r| r.text != "его личный"));

    // Offline: the picker still has them; editing is refused, not queued.
    server.stop().await;
    assert_eq!(desk.replies().quick_replies().await.unwrap(), after_mine);
    assert!(desk
        .replies()
        .save_quick_reply(None, &mine("офлайн", true))
        .await
        .is_err());
    desk.stop();
}
