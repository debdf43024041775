//! The desk against the real server: it follows live, decides notifications (and stays quiet
//! while busy or while the chat is in front), lists what the screens show, and acts through
//! the outbox — a reply's state goes from sent to delivered to read as the client's app
//! receives and reads it.

use std::sync::Arc;
use std::time::Duration;

use careline_core::desk::{Desk, DeskEvent};
use careline_core::notify::Kind;
use careline_core::outbox::Op;
use careline_core::session::Session;
use careline_core::views::{ConsultationView, ListFilter, SendState};
use careline_protocol::Presence;
use serde_json::{json, Value};
use tokio::sync::mpsc;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn register(base: &str, name: &str, phone: &str) -> Client {
        let http = reqwest::Client::new();
        let r: Value = http
            .post(format!("{base}/api/v1/clients/register"))
            .json(&json!({ "name": name, "phone": phone, "password": "client-secret-1" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Client {
            http,
            base: base.into(),
            token: r["token"].as_str().unwrap().into(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn ask(&self, text: &str) -> uuid::Uuid {
        let r = self
            .post(
                "/api/v1/consultations",
                json!({ "kind": "chat", "text": text, "client_msg_id": uuid::Uuid::now_v7() }),
            )
            .await;
        r["consultation"]["id"].as_str().unwrap().parse().unwrap()
    }

    async fn say(&self, consultation: uuid::Uuid, text: &str) -> i64 {
        let r = self
            .post(
                &format!("/api/v1/consultations/{consultation}/messages"),
                json!({ "client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": text }),
            )
            .await;
        r["seq"].as_i64().unwrap()
    }
}

/// The next event matching `f` within `secs`.
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

/// Whether an event matching `f` comes within `ms`.
async fn comes(
    rx: &mut mpsc::UnboundedReceiver<DeskEvent>,
    ms: u64,
    f: impl Fn(&DeskEvent) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if f(&e) {
            return true;
        }
    }
    false
}

fn notified(kind: Kind, text: &'static str) -> impl Fn(&DeskEvent) -> bool {
    move |e| matches!(e, DeskEvent::Notify { notification } if notification.kind == kind && notification.text.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desk_follows_notifies_and_acts() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        Session::load().as_ref(),
        Some(&session),
        "the session is remembered"
    );
    // The token is in the keychain, or (no keychain here) in a file only the user can read.
    let file = dir.path().join("home/session.json");
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert_eq!(on_disk.contains(&session.token), !session.keychain);
    if std::env::var_os("CARELINE_EXPECT_KEYCHAIN").is_some() {
        assert!(session.keychain, "a keychain daemon runs (scripts/test.sh starts gnome-keyring), so the token must be in it");
    }
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions())
            & 0o777,
        0o600
    );
    let desk = Desk::open(session, dir.path().join("anna.db"))
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    desk.start(Arc::new(move |e| {
        let _ = tx.send(e);
    }));
    next(&mut rx, 10, |e| {
        matches!(e, DeskEvent::Connection { online: true, .. })
    })
    .await;

    // A new consultation: in the queue, counted, and notified.
    let maria = Client::register(&server.url, "Мария Тестова", "+79990001111").await;
    let first = maria.ask("Болит горло третий день").await;
    next(&mut rx, 5, notified(Kind::NewQueueItem, "Болит горло")).await;
    let queue = desk
        .views()
        .list(ConsultationView::Queue, &ListFilter::default())
        .await
        .unwrap();
    let row = queue
        .iter()
        .find(|r| r.consultation.id == first)
        .expect("in the queue");
    assert_eq!((row.client_name.as_str(), row.unread), ("Мария Тестова", 1));
    assert!(desk.counts().await.unwrap().queue >= 1);

    // Busy: no notification, but the list still changes.
    desk.act(Op::SetStatus {
        status: Presence::Busy,
    })
    .await
    .unwrap();
    let peter = Client::register(&server.url, "Пётр Занятов", "+79990002222").await;
    let second = peter.ask("Вопрос по рецепту").await;
    assert!(
        !comes(&mut rx, 1500, notified(Kind::NewQueueItem, "рецепту")).await,
        "silent while busy"
    );
    assert!(desk
        .views()
        .list(ConsultationView::Queue, &ListFilter::default())
        .await
        .unwrap()
        .iter()
        .any(|r| r.consultation.id == second));
    desk.act(Op::SetStatus {
        status: Presence::Online,
    })
    .await
    .unwrap();

    // Take it through the outbox; it is mine; a reply goes out and is read by the client.
    desk.act(Op::Take {
        consultation_id: first,
    })
    .await
    .unwrap();
    next(
        &mut rx,
        5,
        |e| matches!(e, DeskEvent::Outbox { sent, .. } if *sent > 0),
    )
    .await;
    assert!(
        !comes(&mut rx, 1500, notified(Kind::AssignedToMe, "")).await,
        "my own take is not an assignment to tell me of"
    );
    wait(|| async {
        desk.views()
            .list(ConsultationView::Mine, &ListFilter::default())
            .await
            .unwrap()
            .iter()
            .any(|r| r.consultation.id == first)
    })
    .await;
    desk.act(Op::text(
        first,
        "Полощите горло тёплой водой с солью",
        false,
    ))
    .await
    .unwrap();
    let client_id = desk
        .views()
        .consultation_row(first)
        .await
        .unwrap()
        .map(|r| r.consultation)
        .unwrap()
        .client_id;
    wait(|| async {
        let page = desk.views().thread_page(client_id, None, 50).await.unwrap();
        page.pending.is_empty()
            && page
                .messages
                .iter()
                .any(|m| m.message.body.contains("Полощите") && m.state == Some(SendState::Sent))
    })
    .await;
    let reply_seq = desk
        .views()
        .thread_page(client_id, None, 50)
        .await
        .unwrap()
        .messages
        .last()
        .unwrap()
        .message
        .seq;
    let reply_state = || async {
        let page = desk.views().thread_page(client_id, None, 50).await.unwrap();
        page.messages
            .iter()
            .find(|m| m.message.seq == reply_seq)
            .unwrap()
            .state
    };
    // Her app confirms it has the reply: delivered (and the window is told to redraw that
    // thread); then she reads it.
    while rx.try_recv().is_ok() {}
    maria
        .post(
            &format!("/api/v1/consultations/{first}/delivered"),
            json!({ "seq": reply_seq }),
        )
        .await;
    next(
        &mut rx,
        10,
        |e| matches!(e, DeskEvent::Changed { threads, .. } if threads.contains(&client_id)),
    )
    .await;
    wait(|| async { reply_state().await == Some(SendState::Delivered) }).await;
    maria
        .post(
            &format!("/api/v1/consultations/{first}/read"),
            json!({ "seq": reply_seq }),
        )
        .await;
    wait(|| async { reply_state().await == Some(SendState::Read) }).await;

    // A message in my consultation: notified unless its chat is in front.
    maria.say(first, "Спасибо, а если температура?").await;
    next(&mut rx, 5, notified(Kind::NewMessage, "температура")).await;
    desk.set_in_front(Some(first));
    maria.say(first, "И ещё кашель").await;
    assert!(
        !comes(&mut rx, 1500, notified(Kind::NewMessage, "кашель")).await,
        "no notification for the chat in front"
    );

    // Reading it clears the unread count.
    desk.mark_read(first).await.unwrap();
    let mine = desk
        .views()
        .list(ConsultationView::Mine, &ListFilter::default())
        .await
        .unwrap();
    assert_eq!(
        mine.iter()
            .find(|r| r.consultation.id == first)
            .unwrap()
            .unread,
        0
    );

    // Search hits carry the client's name as their title.
    let hits = desk.views().search_hits("кашель", 10).await.unwrap();
    assert!(hits.iter().any(|h| h.title == "Мария Тестова"
        && h.segments
            .iter()
            .any(|s| s.mark && s.text.to_lowercase().contains("кашель"))));

    // Transferred to another operator: theirs in the cache (and on screen), no longer mine.
    let john = desk
        .views()
        .operator_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.operator.login == "john")
        .unwrap()
        .operator
        .id;
    desk.act(Op::Transfer {
        consultation_id: first,
        operator_id: john,
        note: None,
        over_capacity: false,
    })
    .await
    .unwrap();
    wait(|| async {
        desk.views()
            .consultation_row(first)
            .await
            .unwrap()
            .map(|r| r.consultation)
            .unwrap()
            .operator_id
            == Some(john)
    })
    .await;
    let row = desk.views().consultation_row(first).await.unwrap().unwrap();
    assert_eq!(row.operator_name.as_deref(), Some("John Carter"));
    assert!(!desk
        .views()
        .list(ConsultationView::Mine, &ListFilter::default())
        .await
        .unwrap()
        .iter()
        .any(|r| r.consultation.id == first));
    desk.stop();
}

/// A photo a client sends mid-session, and the operator's own upload, are fetched into the
/// attachment store as they land (not only after the next reconnect), and their thread is
/// redrawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_new_messages_arrive_during_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    // A session that is not remembered (the other test of this file owns the session file).
    let (_, login) =
        careline_core::Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
            .await
            .unwrap();
    let session = Session {
        server: server.url.clone(),
        login: "anna".into(),
        token: login.token,
        keychain: false,
        user_id: login.user.id,
        user_name: login.user.name,
        role: login.user.role.to_string(),
    };
    let desk = Desk::open(session, dir.path().join("anna.db"))
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    desk.start(Arc::new(move |e| {
        let _ = tx.send(e);
    }));
    next(&mut rx, 10, |e| {
        matches!(e, DeskEvent::Connection { online: true, .. })
    })
    .await;

    let olga = Client::register(&server.url, "Ольга Фотова", "+79990003333").await;
    let consultation = olga.ask("Посмотрите, пожалуйста, сыпь").await;
    let photo = b"\x89PNG\r\n\x1a\nrash on the left arm, day 2".to_vec();
    let uploaded: Value = olga
        .http
        .post(format!("{}/api/v1/attachments?name=rash.png", olga.base))
        .bearer_auth(&olga.token)
        .header("content-type", "image/png")
        .body(photo.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    olga.post(
        &format!("/api/v1/consultations/{consultation}/messages"),
        json!({ "client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "body": "", "attachment_id": uploaded["id"] }),
    )
    .await;
    wait(|| async {
        desk.views()
            .consultation_row(consultation)
            .await
            .unwrap()
            .map(|r| r.consultation)
            .is_some()
    })
    .await;
    let client_id = desk
        .views()
        .consultation_row(consultation)
        .await
        .unwrap()
        .map(|r| r.consultation)
        .map(|c| c.client_id);
    let local = |bytes: Vec<u8>| {
        let desk = desk.clone();
        async move {
            let Some(client_id) = client_id else {
                return false;
            };
            let page = desk.views().thread_page(client_id, None, 50).await.unwrap();
            page.messages
                .iter()
                .filter_map(|m| m.message.attachment.as_ref())
                .filter(|a| a.size as usize == bytes.len())
                .any(|a| desk.files().has(a))
        }
    };
    wait(|| local(photo.clone())).await;

    // The operator's own upload is in the store too.
    desk.act(Op::Take {
        consultation_id: consultation,
    })
    .await
    .unwrap();
    let advice = "Recommendations: antihistamine, 7 days; 推荐"
        .as_bytes()
        .to_vec();
    desk.send_file(consultation, "advice.txt", advice.clone(), false)
        .await
        .unwrap();
    wait(|| local(advice.clone())).await;
    desk.stop();
}

async fn wait<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "not within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SLA marks in the lists follow the thresholds an admin sets, as they change (the settings
/// arrive as an event): a queued consultation is late from `created_at` + queue wait; an
/// answered one whose client wrote again, from that message + the unanswered threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_marks_follow_the_thresholds_the_admin_sets() {
    use careline_core::sla::Breach;
    use careline_protocol::{AssignmentPolicy, DeskSettings, SlaThresholds};
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    let (state, server) = careline_server::testing::demo(dir.path()).await;
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
    next(&mut rx, 10, |e| {
        matches!(e, DeskEvent::Connection { online: true, .. })
    })
    .await;

    let olga = Client::register(&server.url, "Ольга Срокова", "+79990003333").await;
    let id = olga.ask("Когда будут результаты?").await;
    wait(|| async { desk.views().consultation_row(id).await.unwrap().is_some() }).await;
    let row = desk.views().consultation_row(id).await.unwrap().unwrap();
    let sla = row.sla.expect("the default thresholds apply");
    assert_eq!(
        (sla.breach, sla.at),
        (
            Breach::QueueWait,
            row.consultation.created_at + chrono::Duration::minutes(5)
        )
    );

    // The admin changes the thresholds: the desk hears it and the mark moves.
    let admin = state
        .store
        .operator_credentials("admin")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let sla = SlaThresholds {
        queue_wait_minutes: Some(2),
        first_response_minutes: Some(1),
        unanswered_minutes: Some(7),
        callback_asap_minutes: None,
    };
    state
        .store
        .set_desk_settings(
            &DeskSettings {
                assignment: AssignmentPolicy::Manual,
                sla,
                ..DeskSettings::default()
            },
            admin,
            None,
        )
        .await
        .unwrap();
    wait(|| async {
        desk.views()
            .consultation_row(id)
            .await
            .unwrap()
            .unwrap()
            .sla
            .unwrap()
            .at
            == row.consultation.created_at + chrono::Duration::minutes(2)
    })
    .await;

    // Taken and answered, then the client writes again: unanswered from that message.
    desk.act(Op::Take {
        consultation_id: id,
    })
    .await
    .unwrap();
    wait(|| async {
        desk.views()
            .consultation_row(id)
            .await
            .unwrap()
            .unwrap()
            .sla
            .is_some_and(|s| s.breach == Breach::FirstResponse)
    })
    .await;
    desk.act(Op::text(id, "Завтра к обеду", false))
        .await
        .unwrap();
    wait(|| async {
        desk.views()
            .consultation_row(id)
            .await
            .unwrap()
            .unwrap()
            .sla
            .is_none()
    })
    .await;
    olga.say(id, "А можно пораньше?").await;
    wait(|| async {
        desk.views()
            .consultation_row(id)
            .await
            .unwrap()
            .unwrap()
            .sla
            .is_some()
    })
    .await;
    let row = desk.views().consultation_row(id).await.unwrap().unwrap();
    let page = desk
        .views()
        .thread_page(row.consultation.client_id, None, 50)
        .await
        .unwrap();
    let asked = page
        .messages
        .iter()
        .find(|m| m.message.body == "А можно пораньше?")
        .unwrap()
        .message
        .created_at;
    assert_eq!(
        row.sla.map(|s| (s.breach, s.at)),
        Some((Breach::Unanswered, asked + chrono::Duration::minutes(7)))
    );

    // A supervisor gives anna a queued consultation: her desk tells her.
    let pavel = Client::register(&server.url, "Павел Назначенов", "+79990004444").await;
    let given = pavel.ask("Нужна справка для работы").await;
    let boss = careline_server::domain::Actor {
        id: admin,
        role: careline_protocol::Role::Admin,
    };
    let anna = state
        .store
        .operator_credentials("anna")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    state
        .store
        .assign_consultation(
            given,
            boss,
            careline_server::domain::ConsultationAction::Assign,
            anna,
            None,
            false,
        )
        .await
        .unwrap();
    next(&mut rx, 10, notified(Kind::AssignedToMe, "справка")).await;
    desk.close().await;
    server.stop().await;
}
