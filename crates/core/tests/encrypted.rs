//! The desk's cache is encrypted at rest (SQLCipher, a key per cache; attachment files sealed
//! with it): `strings` over the cache after a sync finds no message, name or phone; a
//! plaintext cache of the last release is encrypted on first start with nothing lost; a cache
//! whose key is gone starts afresh instead of failing; a wipe takes the key with it.

use std::path::{Path, PathBuf};

use careline_core::files::Files;
use careline_core::outbox::Op;
use careline_core::{keys, sync, Cache, Keying, Opened, Remote};
use careline_protocol::{MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;

/// What `strings` (binutils) prints for every file under `dir` but a server's data: 8-bit
/// characters too, so Cyrillic and Chinese text in UTF-8 is printed as well as ASCII.
fn strings_under(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                // (The server's data directory, where a test keeps it beside the cache.)
                if !path.ends_with("server") {
                    stack.push(path);
                }
                continue;
            }
            let run = std::process::Command::new("strings")
                .args(["-a", "-e", "S", "-n", "4"])
                .arg(&path)
                .output()
                .expect("binutils' strings");
            assert!(
                run.status.success(),
                "strings {}: {}",
                path.display(),
                String::from_utf8_lossy(&run.stderr)
            );
            out.push_str(&String::from_utf8_lossy(&run.stdout));
        }
    }
    out
}

/// The secrets of a synced cache: every client's name and phone, every message's text (of
/// eight characters or more, without characters JSON escapes).
async fn secrets(state: &careline_server::AppState) -> Vec<String> {
    let mut out = Vec::new();
    let clients = state
        .store
        .list_clients(&careline_protocol::ClientFilter {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    for c in &clients {
        out.push(c.name.clone());
        out.push(c.phone.clone());
    }
    let all = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items;
    let q = careline_protocol::MessageQuery {
        limit: Some(500),
        ..Default::default()
    };
    for c in all.into_iter().map(|i| i.consultation) {
        for m in state
            .store
            .list_messages(&c, Role::Operator, &q)
            .await
            .unwrap()
            .items
        {
            if m.body.chars().count() >= 8
                && !m.body.contains(['"', '\\'])
                && !m.body.chars().any(char::is_control)
            {
                out.push(m.body);
            }
        }
    }
    out
}

fn leaks<'a>(text: &str, secrets: &'a [String]) -> Vec<&'a str> {
    secrets
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .map(String::as_str)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strings_finds_no_message_name_or_phone_in_a_synced_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    // A file whose content says what it is.
    let (client_api, me) = Remote::login(
        &server.url,
        "+79161234501",
        careline_server::demo::DEMO_PASSWORD,
    )
    .await
    .unwrap();
    let all = state
        .store
        .list_consultations(&Default::default(), uuid::Uuid::nil(), Role::Operator)
        .await
        .unwrap()
        .items;
    let c = all
        .into_iter()
        .map(|i| i.consultation)
        .find(|c| c.client_id == me.user.id)
        .unwrap();
    let content = "Заключение: перелом лучевой кости. X-RAY REPORT 骨折"
        .as_bytes()
        .to_vec();
    let a = client_api
        .upload("zaklyuchenie.txt", "text/plain", content.clone())
        .await
        .unwrap();
    let req = SendMessageRequest {
        client_msg_id: uuid::Uuid::now_v7(),
        kind: MessageKind::File,
        body: String::new(),
        attachment_id: Some(a.id),
        internal: false,
    };
    state
        .store
        .send_message(
            c.id,
            Actor {
                id: c.client_id,
                role: Role::Client,
            },
            &req,
        )
        .await
        .unwrap();
    let mut secrets = secrets(&state).await;
    secrets.push("перелом лучевой кости".into());
    secrets.push("X-RAY REPORT".into());
    assert!(
        secrets.len() > 50,
        "the demo clinic has clients and messages to look for: {}",
        secrets.len()
    );

    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    for (keying, folder) in [
        (Keying::default(), "encrypted"),
        (Keying::PlainForBenchmarks, "plain"),
    ] {
        let path = dir.path().join(folder).join("anna.db");
        let cache = Cache::open_with(&path, keying).await.unwrap();
        sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
        let files = Files::beside(&cache, 50 << 20);
        assert_eq!(files.fetch(&remote, &cache).await.unwrap().files, 1);
        assert_eq!(
            files.read(&a.sha256).as_deref(),
            Some(content.as_slice()),
            "the file reads back whole"
        );
        cache
            .enqueue(&Op::text(
                c.id,
                "Ответ в очереди: принимайте ибупрофен",
                false,
            ))
            .await
            .unwrap();
        assert!(
            cache.search("перелом", 10).await.unwrap().len()
                + cache.search("Иванова", 10).await.unwrap().len()
                > 0,
            "search works"
        );
        // While the desk runs (the WAL beside the file) and after it closed.
        let open = strings_under(path.parent().unwrap());
        cache.close().await;
        let closed = strings_under(path.parent().unwrap());
        let mut all = secrets.clone();
        all.push("Ответ в очереди".into());
        if keying == Keying::PlainForBenchmarks {
            // The check can fail: a plaintext cache shows its text.
            assert!(
                leaks(&open, &all).len() > 20,
                "strings reads a plaintext cache"
            );
            assert!(
                !leaks(&open, &["X-RAY REPORT".to_owned()]).is_empty()
                    || !leaks(&closed, &["Ответ в очереди".to_owned()]).is_empty()
            );
        } else {
            assert_eq!(
                leaks(&open, &all),
                Vec::<&str>::new(),
                "found in the open cache"
            );
            assert_eq!(
                leaks(&closed, &all),
                Vec::<&str>::new(),
                "found in the closed cache"
            );
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[derive(serde::Deserialize)]
struct Fixture {
    consultation: uuid::Uuid,
    operator: uuid::Uuid,
    read: i64,
    sha256: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_cache_of_the_last_release_is_encrypted_with_nothing_lost() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1.0");
    let f: Fixture =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("fixture.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    for about in ["README.md", "fixture.json"] {
        std::fs::remove_file(dir.path().join(about)).unwrap();
    }
    let path = dir.path().join("anna.db");
    assert!(
        std::fs::read(&path)
            .unwrap()
            .starts_with(b"SQLite format 3\0"),
        "the release's cache is plaintext"
    );
    assert!(strings_under(dir.path()).contains("OUTBOXSECRET"));

    let state = careline_server::AppState::start(careline_server::Config {
        data_dir: dir.path().join("server"),
        ..Default::default()
    })
    .await
    .unwrap();
    let server =
        careline_server::testing::serve_at(&state, careline_server::testing::free_addr()).await;

    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.opened(), Opened::Migrated);
    let text = strings_under(dir.path());
    for secret in [
        "OUTBOXSECRET",
        "XRAYWRISTSECRET",
        "rentgen",
        "+79161234501",
        "Отложенный ответ",
    ] {
        assert!(!text.contains(secret), "{secret} is still readable");
    }
    assert!(!std::fs::read(&path)
        .unwrap()
        .starts_with(b"SQLite format 3"));
    assert!(
        !dir.path().join("anna.db.files").exists(),
        "the plaintext store is gone"
    );

    // The outbox, the read position, the file and the search are all there.
    let outbox = cache.outbox().await.unwrap();
    assert_eq!(
        outbox.iter().map(|e| e.op.clone()).collect::<Vec<_>>()[0],
        Op::Take {
            consultation_id: f.consultation
        }
    );
    assert_eq!(outbox.len(), 2);
    assert_eq!(
        cache
            .views(f.operator)
            .read_position(f.consultation, f.operator)
            .await
            .unwrap(),
        f.read
    );
    let files = Files::beside(&cache, 50 << 20);
    let content = files
        .read(&f.sha256)
        .expect("the release's file is readable");
    assert!(content.ends_with(b"XRAYWRISTSECRET snimok"));
    assert!(
        !cache.search("головная", 10).await.unwrap().is_empty()
            || !cache.search("давление", 10).await.unwrap().is_empty(),
        "search still finds"
    );

    // And the outbox goes out.
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let flushed = cache.flush(&remote).await.unwrap();
    assert_eq!((flushed.sent, flushed.refused), (2, 0));
    let c = state.store.get_consultation(f.consultation).await.unwrap();
    assert_eq!(c.operator_id, Some(f.operator));
    cache.close().await;
    let again = Cache::open(&path).await.unwrap();
    assert_eq!(again.opened(), Opened::Existing);
    assert!(again.outbox().await.unwrap().is_empty());
    again.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_whose_key_is_gone_starts_afresh_and_a_wipe_takes_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let path = dir.path().join("anna.db");
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.opened(), Opened::New);
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    let head = cache.last_seq().await.unwrap();
    assert!(head > 0);
    cache.close().await;
    assert!(keys::is_kept(&path));

    // The key is gone (another user profile, a keychain reset): not a crash, a fresh cache.
    keys::forget(&path);
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.opened(), Opened::KeyLost);
    assert_eq!(
        cache.last_seq().await.unwrap(),
        0,
        "nothing of the unreadable cache is taken for true"
    );
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    assert_eq!(
        cache.last_seq().await.unwrap(),
        head,
        "filled again from the server"
    );
    cache.close().await;
    assert_eq!(Cache::open(&path).await.unwrap().opened(), Opened::Existing);

    // Logout with wipe: the cache, its files and its key.
    careline_core::unlock::wipe_cache(&path);
    assert!(!path.exists() && !keys::is_kept(&path));
    server.stop().await;
}
