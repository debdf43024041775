//! The desk's files are the user's alone: the session file and the cache (medical data) are
//! 0600 in 0700 folders — also those an older version left readable to everyone (0644 in 0755).
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use careline_core::session::Session;
use careline_core::Cache;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_and_the_cache_are_readable_by_the_user_alone() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::env::set_var("CARELINE_HOME", &home);
    std::env::set_var("CARELINE_NO_KEYCHAIN", "1");
    // What an older version left: an open folder, a session file and a cache anyone could read.
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(home.join("session.json"), "{}").unwrap();
    std::fs::set_permissions(
        home.join("session.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (_state, server) = careline_server::testing::demo(dir.path()).await;
    let session = Session::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(mode(&home.join("session.json")), 0o600, "the session file");
    assert_eq!(mode(&home), 0o700, "the desk's folder");

    let path = session.default_cache_path();
    let cache = Cache::open(&path).await.unwrap();
    cache.set_meta("probe", "1").await.unwrap();
    assert_eq!(mode(&path), 0o600, "a new cache");
    assert_eq!(
        mode(Path::new(&format!("{}-wal", path.display()))),
        0o600,
        "its write-ahead log"
    );
    assert_eq!(mode(path.parent().unwrap()), 0o700, "the cache's folder");
    cache.close().await;

    let old = home.join("old.db");
    std::fs::write(&old, "").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cache = Cache::open(&old).await.unwrap();
    assert_eq!(mode(&old), 0o600, "a cache an older version made");
    cache.close().await;
    server.stop().await;
}
