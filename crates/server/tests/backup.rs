//! Backups taken while the server serves, restored into a fresh data directory (or database):
//! everything acknowledged before the backup began is there, files included, and a desk that
//! saw events after the backup is told to re-sync instead of silently diverging.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use careline_protocol::Role;
use common::{TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

both!(
    a_backup_under_load_restores_what_was_acknowledged,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let client = s.client("Резервная Копия", "+79000000099").await;
        let c = client.open_consultation("анализы").await;
        // A file in a message.
        let up = client
            .must_upload("scan.png", "image/png", b"\x89PNG backup test")
            .await;
        client
        .must(&format!("/api/v1/consultations/{c}/messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "attachment_id": up["id"]}))
        .await;
        // Load: the client writes without pause; each acknowledged message is noted.
        let acked: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let load = {
            let (acked, stop, client, c) = (acked.clone(), stop.clone(), client.clone(), c.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let b = client
                    .must(
                        &format!("/api/v1/consultations/{c}/messages"),
                        json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": format!("сообщение {i}")}),
                    )
                    .await;
                    acked
                        .lock()
                        .unwrap()
                        .push(b["id"].as_str().unwrap().to_owned());
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(400)).await;
        let before: Vec<String> = acked.lock().unwrap().clone();
        let backup_dir = tempfile::tempdir().unwrap();
        let to = backup_dir.path().join("b1");
        let manifest = careline_server::backup::backup(&s.config, &to)
            .await
            .unwrap();
        assert_eq!(manifest.files, 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        load.await.unwrap();
        assert!(
            acked.lock().unwrap().len() > before.len(),
            "the load went on during and after the backup"
        );
        // A desk that synced after the backup.
        let after = anna.ok("/api/v1/sync?since=0&limit=5000").await["next"]
            .as_i64()
            .unwrap();
        assert!(after > manifest.head);
        s.stop().await;

        // The disk is lost: restore into a fresh data directory (database) and start there.
        let (config, dir) = TestServer::fresh_config(db).await;
        careline_server::backup::restore(&config, &to)
            .await
            .unwrap();
        let again = careline_server::backup::restore(&config, &to).await;
        assert!(again.is_err(), "a restore never overwrites data");
        let r = TestServer::start_on(config, dir).await;
        let anna = r.anon().login("anna", PASSWORD).await;
        let thread = anna
            .ok(&format!("/api/v1/consultations/{c}/messages?limit=500"))
            .await;
        let ids: Vec<&str> = thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        for id in &before {
            assert!(
                ids.contains(&id.as_str()),
                "message {id}, acknowledged before the backup, is missing after the restore"
            );
        }
        let file = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/attachments/{}",
                r.base,
                up["id"].as_str().unwrap()
            ))
            .bearer_auth(anna.token.clone().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), StatusCode::OK);
        assert_eq!(&file.bytes().await.unwrap()[..], b"\x89PNG backup test");
        // The desk that saw later events is told to re-sync, now and after new traffic.
        let (st, b) = anna.get(&format!("/api/v1/sync?since={after}")).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::GONE, Some("resync_required"))
        );
        anna.must(
        &format!("/api/v1/consultations/{c}/messages"),
        json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "после восстановления", "internal": true}),
    )
    .await;
        let (st, b) = anna.get(&format!("/api/v1/sync?since={after}")).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::GONE, Some("resync_required")),
            "still, after new events"
        );
        // A desk at the backup's head goes on normally.
        let (st, _) = anna
            .get(&format!("/api/v1/sync?since={}", manifest.head))
            .await;
        assert_eq!(st, StatusCode::OK);
        r.stop().await;
    }
);

/// A backup is restored only by the engine that took it; the other refuses it by name and
/// leaves its database as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_of_one_engine_is_refused_by_the_other() {
    let s = TestServer::start(common::Db::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("b");
    let manifest = careline_server::backup::backup(&s.config, &to)
        .await
        .unwrap();
    assert_eq!(manifest.engine, "sqlite");
    s.stop().await;
    let (config, _keep) = TestServer::fresh_config(common::Db::Postgres).await;
    let err = careline_server::backup::restore(&config, &to)
        .await
        .expect_err("a SQLite backup restored into PostgreSQL");
    assert!(
        err.to_string()
            .contains("a sqlite backup cannot be restored into postgres"),
        "{err}"
    );
    // Nothing was written: the same database then takes a PostgreSQL backup's restore.
    let pg = TestServer::start(common::Db::Postgres).await;
    pg.staff("ivan", Role::Operator).await;
    let pg_backup = dir.path().join("pg");
    careline_server::backup::backup(&pg.config, &pg_backup)
        .await
        .unwrap();
    pg.stop().await;
    careline_server::backup::restore(&config, &pg_backup)
        .await
        .unwrap();
}
