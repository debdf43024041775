//! Prescriptions between two desks over the real server: the doctor's desk writes a draft
//! (shown at once, sent through the outbox), the check before submit refuses an incomplete
//! one, the pharmacist's desk gets the submission in its review queue (and nothing else of
//! the clinic), rejects it with a reason the doctor's desk shows, the doctor revises and
//! submits again, the pharmacist approves.

mod common;

use std::sync::Arc;
use std::time::Duration;

use careline_core::desk::{Desk, PrescriptionStep};
use careline_core::CoreError;
use careline_protocol::{ErrorCode, PrescriptionItem, PrescriptionRequest, PrescriptionStatus};

async fn until<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    for _ in 0..300 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn started(url: &str, login: &str, cache: std::path::PathBuf) -> Arc<Desk> {
    let desk = common::desk_of(url, login, cache).await;
    desk.start(Arc::new(|_| {}));
    desk
}

fn item(name: &str) -> PrescriptionItem {
    PrescriptionItem {
        medication: name.into(),
        form: "таблетки".into(),
        strength: "200 мг".into(),
        dose: "1 таблетка".into(),
        route: "внутрь".into(),
        frequency: "2 раза в день".into(),
        duration: "5 дней".into(),
        quantity: "10".into(),
        instructions: None,
    }
}

async fn status_of(desk: &Desk, id: uuid::Uuid) -> Option<PrescriptionStatus> {
    desk.clinical().get(id).await.unwrap().map(|p| p.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_doctor_and_a_pharmacist_work_a_prescription_from_their_desks() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let anna = started(&server.url, "anna", dir.path().join("anna.db")).await;
    let pia = started(&server.url, "pia", dir.path().join("pia.db")).await;

    // The pharmacist's desk: the demo's prescription waits in its queue, and no chat, client
    // or colleague is in its cache.
    until("the demo's prescription in the queue", || async {
        pia.clinical()
            .by_status(PrescriptionStatus::Submitted)
            .await
            .unwrap()
            .len()
            == 1
    })
    .await;
    let queue = pia
        .clinical()
        .by_status(PrescriptionStatus::Submitted)
        .await
        .unwrap();
    let consultation = queue[0].consultation_id;
    assert!(pia
        .views()
        .consultation_row(consultation)
        .await
        .unwrap()
        .is_none());
    assert!(pia.views().client_list(None).await.unwrap().is_empty());
    assert!(pia.views().operator_list().await.unwrap().is_empty());
    // The chat behind it, read from the server.
    let thread = pia.clinical().thread(consultation).await.unwrap();
    assert!(!thread.is_empty());

    until("the doctor's desk to know the consultation", || async {
        anna.views()
            .consultation_row(consultation)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    // The doctor writes a draft in that consultation: in her desk at once.
    let id = anna
        .clinical()
        .save(
            consultation,
            None,
            PrescriptionRequest {
                id: None,
                items: vec![PrescriptionItem {
                    dose: String::new(),
                    ..item("Нурофен")
                }],
                note: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(status_of(&anna, id).await, Some(PrescriptionStatus::Draft));
    // The check refuses it before anything is sent.
    match anna.clinical().submit(id).await {
        Err(CoreError::Refused(e)) => {
            assert_eq!(e.code, ErrorCode::ValidationFailed);
            assert!(e.message.contains("\"dose\""), "{}", e.message);
        }
        other => panic!("submitted an incomplete prescription: {other:?}"),
    }
    anna.clinical()
        .save(
            consultation,
            Some(id),
            PrescriptionRequest {
                id: None,
                items: vec![item("Нурофен")],
                note: Some("При боли".into()),
            },
        )
        .await
        .unwrap();
    anna.clinical().submit(id).await.unwrap();
    // The server has it as the desk chose its id; the pharmacist's queue too.
    until("the submission at the pharmacist's", || async {
        status_of(&pia, id).await == Some(PrescriptionStatus::Submitted)
    })
    .await;
    assert_eq!(
        pia.clinical()
            .by_status(PrescriptionStatus::Submitted)
            .await
            .unwrap()
            .len(),
        2,
        "the demo's and the new one"
    );
    // A desk started afresh now gets both too.
    let late = started(&server.url, "pia", dir.path().join("pia-late.db")).await;
    until("both in a fresh pharmacist's desk", || async {
        late.clinical()
            .by_status(PrescriptionStatus::Submitted)
            .await
            .unwrap()
            .len()
            == 2
    })
    .await;
    late.stop();
    let stored = state
        .store
        .prescription(
            id,
            careline_server::domain::Actor {
                id: state
                    .store
                    .operator_credentials("anna")
                    .await
                    .unwrap()
                    .unwrap()
                    .0
                    .id,
                role: careline_protocol::Role::Operator,
            },
        )
        .await
        .unwrap();
    assert_eq!(stored.items[0].dose, "1 таблетка");
    assert_eq!(stored.note.as_deref(), Some("При боли"));

    // Rejected with a reason: the doctor's desk shows it.
    pia.clinical()
        .step(
            id,
            PrescriptionStep::Reject,
            Some("Дозировка для ребёнка велика".into()),
        )
        .await
        .unwrap();
    until("the rejection at the doctor's", || async {
        status_of(&anna, id).await == Some(PrescriptionStatus::Rejected)
    })
    .await;
    let p = anna.clinical().get(id).await.unwrap().unwrap();
    assert_eq!(p.reason.as_deref(), Some("Дозировка для ребёнка велика"));
    assert_eq!(p.reviewer_name.as_deref(), Some("Мария Фармацевтова"));

    // Revised, submitted again, approved.
    anna.clinical()
        .save(
            consultation,
            Some(id),
            PrescriptionRequest {
                id: None,
                items: vec![PrescriptionItem {
                    strength: "100 мг".into(),
                    ..item("Нурофен")
                }],
                note: Some("При боли".into()),
            },
        )
        .await
        .unwrap();
    anna.clinical().submit(id).await.unwrap();
    until("the revision at the pharmacist's", || async {
        pia.clinical()
            .get(id)
            .await
            .unwrap()
            .is_some_and(|p| p.status == PrescriptionStatus::Submitted && p.revision == 2)
    })
    .await;
    pia.clinical()
        .step(id, PrescriptionStep::Approve, None)
        .await
        .unwrap();
    until("the approval at the doctor's", || async {
        status_of(&anna, id).await == Some(PrescriptionStatus::Approved)
    })
    .await;
    assert!(anna.outbox().await.unwrap().is_empty());
    anna.stop();
    pia.stop();
    server.stop().await;
}
