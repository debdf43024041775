//! An erased client leaves the desk's cache too: the `erased` event removes their record,
//! consultations, thread (and its search hits), callback requests and files.

use std::sync::Arc;
use std::time::Duration;

use careline_core::desk::Desk;
use careline_core::session::Session;
use careline_core::Remote;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_client_disappears_from_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("CARELINE_HOME", dir.path().join("home"));
    std::env::set_var("CARELINE_NO_KEYCHAIN", "1");
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let desk = Desk::open(session, dir.path().join("anna.db"))
        .await
        .unwrap();
    desk.start(Arc::new(|_| {}));
    // A demo client with a thread, as the desk has it.
    let clients = state
        .store
        .list_clients(&Default::default())
        .await
        .unwrap()
        .items;
    let victim = clients
        .iter()
        .find(|c| c.name == "Иван Соколов")
        .expect("a demo client")
        .clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if desk
            .views()
            .client_profile(victim.id)
            .await
            .unwrap()
            .is_some_and(|p| !p.consultations.is_empty())
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the desk never had the client"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let theirs = |hits: Vec<careline_core::views::SearchHit>| {
        hits.iter()
            .filter(|h| h.client_id == Some(victim.id))
            .count()
    };
    assert!(theirs(desk.views().search_hits("Иван Соколов", 50).await.unwrap()) > 0);

    let (admin, _) = Remote::login(&server.url, "admin", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    admin.erase_client(victim.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while desk
        .views()
        .client_profile(victim.id)
        .await
        .unwrap()
        .is_some()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the desk still shows the erased client"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        theirs(desk.views().search_hits("Иван Соколов", 50).await.unwrap()),
        0,
        "no search hit of theirs is left"
    );
    let all = desk
        .views()
        .list(
            careline_core::views::ConsultationView::Archive,
            &Default::default(),
        )
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.consultation.client_id != victim.id));
    desk.stop();
    server.stop().await;
}
