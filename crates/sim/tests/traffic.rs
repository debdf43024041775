//! The simulator against a real server on a loopback port: it registers clients, opens
//! consultations, chats, uploads, requests callbacks — and answers an operator.

use std::process::Stdio;
use std::time::Duration;

use careline_protocol::ConsultationFilter;
use careline_protocol::{
    ConsultationKind, CreateOperatorRequest, MessageKind, Role, SendMessageRequest,
};
use careline_server::domain::{Actor, ConsultationAction};
use careline_server::{AppState, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_clients_make_believable_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let state = AppState::start(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(careline_server::app::serve(
        state.clone(),
        listener,
        std::future::pending(),
    ));
    let hash = careline_server::passwords::hash_password("operator-pass".into())
        .await
        .unwrap();
    let req = CreateOperatorRequest {
        login: "anna".into(),
        password: String::new(),
        name: "Анна".into(),
        role: Role::Operator,
        department: None,
        capacity: Some(50),
    };
    let op = state.store.create_operator(&req, hash, None).await.unwrap();
    let op = Actor {
        id: op.id,
        role: Role::Operator,
    };

    let mut sim = tokio::process::Command::new(env!("CARGO_BIN_EXE_careline-sim"))
        .args([
            "--server",
            &url,
            "--seed",
            "7",
            "run",
            "--clients",
            "4",
            "--rate",
            "25",
            "--duration",
            "12",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // Wait for the first consultations, then answer one as an operator.
    let staff = careline_protocol::Role::Operator;
    let mut queue = Vec::new();
    for _ in 0..100 {
        let f = ConsultationFilter {
            status: Some("new".into()),
            ..Default::default()
        };
        queue = state
            .store
            .list_consultations(&f, op.id, staff)
            .await
            .unwrap()
            .items;
        if !queue.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = queue
        .first()
        .expect("the simulator opened no consultation")
        .consultation
        .clone();
    assert_eq!(c.kind, ConsultationKind::Chat);
    state
        .store
        .transition_consultation(c.id, op, ConsultationAction::Take, None, None)
        .await
        .unwrap();
    let reply = SendMessageRequest {
        client_msg_id: uuid::Uuid::now_v7(),
        kind: MessageKind::Text,
        body: "Здравствуйте! Чем помочь?".into(),
        attachment_id: None,
        internal: false,
    };
    let sent = state.store.send_message(c.id, op, &reply).await.unwrap();

    let status = tokio::time::timeout(Duration::from_secs(60), sim.wait())
        .await
        .expect("the simulator did not stop")
        .unwrap();
    assert!(status.success());

    // The client answered the operator.
    let q = careline_protocol::MessageQuery {
        after_seq: Some(sent.seq),
        thread: Some(true),
        ..Default::default()
    };
    let after = state
        .store
        .list_messages(&c, staff, &q)
        .await
        .unwrap()
        .items;
    assert!(
        after
            .iter()
            .any(|m| m.author_kind == careline_protocol::AuthorKind::Client
                && m.consultation_id == c.id),
        "the simulated client did not answer: {after:?}"
    );
    // Traffic of every kind.
    let all = state
        .store
        .list_consultations(
            &ConsultationFilter {
                limit: Some(500),
                ..Default::default()
            },
            op.id,
            staff,
        )
        .await
        .unwrap()
        .items;
    assert!(all.len() >= 3, "consultations: {}", all.len());
    let mut kinds = std::collections::BTreeSet::new();
    for item in &all {
        let q = careline_protocol::MessageQuery {
            limit: Some(500),
            ..Default::default()
        };
        for m in state
            .store
            .list_messages(&item.consultation, staff, &q)
            .await
            .unwrap()
            .items
        {
            kinds.insert(m.kind.as_str());
        }
    }
    assert!(kinds.contains("text"), "{kinds:?}");
    assert!(
        kinds.contains("image") || kinds.contains("file"),
        "no attachments in {kinds:?}"
    );
    let callbacks = state
        .store
        .list_callbacks(&Default::default(), op)
        .await
        .unwrap()
        .items;
    assert!(!callbacks.is_empty(), "no callback requests");
}
