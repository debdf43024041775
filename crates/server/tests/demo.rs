//! `careline-server demo` fills an empty database with a believable clinic, and refuses a
//! database that already has one; token expiry.

mod common;

use careline_protocol::CallbackFilter;
use careline_protocol::ConsultationFilter;
use careline_protocol::Role;
use common::TestServer;
use reqwest::StatusCode;

both!(demo_fills_a_clinic_once, |db| async move {
    let s = TestServer::start(db).await;
    let printed = careline_server::demo::fill(&s.state.store).await.unwrap();
    assert!(printed.contains("anna") && printed.contains(careline_server::demo::DEMO_PASSWORD));
    // Staff can log in with the printed password; clients with their phone.
    let anna = s.anon().login("anna", careline_server::demo::DEMO_PASSWORD).await;
    s.anon().login("+79161234501", careline_server::demo::DEMO_PASSWORD).await;
    let ops = anna.ok("/api/v1/operators").await;
    let roles: Vec<&str> = ops["items"].as_array().unwrap().iter().map(|o| o["role"].as_str().unwrap()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "admin").count(), 1);
    assert!(roles.len() >= 4);
    // Names and text in the three languages; history across past consultations.
    let clients = anna.ok("/api/v1/clients?limit=100").await;
    let names: String = clients["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>().join(" ");
    assert!(names.contains("Иван") && names.contains("王芳") && names.contains("Emily"), "{names}");
    let store = &s.state.store;
    let anna_id = uuid::Uuid::parse_str(&anna.user_id().await).unwrap();
    let count = |status: &str| {
        let f = ConsultationFilter { status: Some(status.into()), limit: Some(500), ..Default::default() };
        async move { store.list_consultations(&f, anna_id, Role::Operator).await.unwrap().items.len() }
    };
    assert!(count("new").await >= 3, "a queue");
    assert!(count("active").await >= 2, "consultations in work");
    assert!(count("closed").await >= 4, "an archive");
    // Callback requests in every state.
    let actor = careline_server::domain::Actor { id: anna_id, role: Role::Operator };
    let all = store.list_callbacks(&CallbackFilter { limit: Some(500), ..Default::default() }, actor).await.unwrap().items;
    for status in careline_protocol::CallbackStatus::ALL {
        assert!(all.iter().any(|c| c.status == *status), "no callback request is {status}");
    }
    assert_eq!(anna.ok("/api/v1/tariffs").await.as_array().unwrap().len(), 3);
    // A second run refuses, and changes nothing.
    let before = store.last_seq().await.unwrap();
    assert!(careline_server::demo::fill(store).await.is_err());
    assert_eq!(store.last_seq().await.unwrap(), before);
    s.stop().await;
});

#[tokio::test]
async fn expired_tokens_are_refused() {
    let s = TestServer::start_with(common::Db::Sqlite, |c| c.token_ttl_hours = 0).await;
    let op = s.staff("anna", Role::Operator).await;
    let (st, b) = op.get("/api/v1/me").await;
    assert_eq!((st, b["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    s.stop().await;
}
