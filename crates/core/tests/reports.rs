//! The desk's reports: fetched from the server (an admin's, and an operator's own), kept in the
//! cache, and shown from there — said to be old — when the server cannot be reached.

mod common;

use careline_protocol::{ReportGroup, ReportQuery};
use chrono::{Duration, Utc};
use common::desk_of;

fn week(operator_id: Option<uuid::Uuid>) -> ReportQuery {
    ReportQuery {
        from: Utc::now() - Duration::days(7),
        to: Utc::now() + Duration::hours(1),
        group: Some(ReportGroup::Day),
        tz_offset_minutes: Some(180),
        operator_id,
        kind: None,
        priority: None,
        tag: None,
        format: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_kept_for_when_the_server_is_away() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let admin = desk_of(&server.url, "admin", dir.path().join("admin.db")).await;
    let q = week(None);
    let online = admin.reports().consultation_report(&q).await.unwrap();
    assert!(!online.offline);
    let on_server = state
        .store
        .consultation_report(&q)
        .await
        .unwrap()
        .total
        .arrivals;
    assert_eq!(
        online.report.total.arrivals, on_server,
        "the server's figures"
    );
    assert!(on_server > 100, "the demo clinic's week: {on_server}");

    // An operator sees their own figures, not everyone's.
    let anna = desk_of(&server.url, "anna", dir.path().join("anna.db")).await;
    let me = anna.me().id;
    assert!(anna
        .reports()
        .consultation_report(&week(Some(me)))
        .await
        .is_ok());
    assert!(
        anna.reports()
            .consultation_report(&week(None))
            .await
            .is_err(),
        "everyone's figures are for admins"
    );

    let settings = admin.supervision().desk_settings().await.unwrap();
    let people = admin.reports().operator_report(&week(None)).await.unwrap();
    let operators = state
        .store
        .list_operators(None, Some(100))
        .await
        .unwrap()
        .items
        .iter()
        // The pharmacist takes no consultations: not a row of the operators report.
        .filter(|o| o.role != careline_protocol::Role::Pharmacist)
        .count();
    assert_eq!(
        people.report.operators.len(),
        operators,
        "a row per operator"
    );

    server.stop().await;
    let kept = admin.reports().operator_report(&week(None)).await.unwrap();
    assert!(kept.offline);
    assert_eq!(kept.report, people.report);
    let offline = admin
        .reports()
        .consultation_report(&week(None))
        .await
        .unwrap();
    assert!(offline.offline, "said to be the kept one");
    assert_eq!(offline.report, online.report);
    assert_eq!(offline.fetched_at, online.fetched_at);
    // The desk's settings read offline are the kept ones; saving them offline is refused, not
    // answered with the kept ones as if the server had taken the change.
    assert_eq!(admin.supervision().desk_settings().await.unwrap(), settings);
    let changed = careline_protocol::DeskSettings {
        assignment: careline_protocol::AssignmentPolicy::RoundRobin,
        ..settings.clone()
    };
    assert!(
        admin
            .supervision()
            .set_desk_settings(&changed)
            .await
            .is_err(),
        "an admin's change is never shown as saved while the server is away"
    );
}
