//! Attachments of cached messages are fetched into the local store (checked against their
//! hash), once, within the size limit, and stay readable with the server gone.

use careline_core::files::Files;
use careline_core::{sync, Cache, Remote};
use careline_protocol::{MessageKind, Role, SendMessageRequest};
use careline_server::domain::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_cached_messages_are_kept_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
    let (addr, url) = (server.addr, server.url.clone());

    // A client sends two files (one of them twice).
    let (client_api, me) =
        Remote::login(&url, "+79161234501", careline_server::demo::DEMO_PASSWORD)
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
        .find(|c| {
            c.client_id == me.user.id && c.status != careline_protocol::ConsultationStatus::Closed
        })
        .unwrap();
    let scan = b"\x89PNG\r\n\x1a\nscan of the blood test".to_vec();
    let report = "Hb 135 g/L, 血糖 5.4 mmol/L".as_bytes().to_vec();
    let client = Actor {
        id: c.client_id,
        role: Role::Client,
    };
    for (name, media, bytes) in [
        ("scan.png", "image/png", &scan),
        ("report.txt", "text/plain", &report),
        ("scan-again.png", "image/png", &scan),
    ] {
        let a = client_api.upload(name, media, bytes.clone()).await.unwrap();
        let req = SendMessageRequest {
            client_msg_id: uuid::Uuid::now_v7(),
            kind: MessageKind::File,
            body: String::new(),
            attachment_id: Some(a.id),
            internal: false,
        };
        state.store.send_message(c.id, client, &req).await.unwrap();
    }

    let (remote, _) = Remote::login(&url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    let files = Files::beside(&cache, 10 * 1024 * 1024);
    let fetched = files.fetch(&remote, &cache).await.unwrap();
    assert_eq!(
        (fetched.files, fetched.bytes),
        (2, (scan.len() + report.len()) as u64),
        "one download per content"
    );
    assert_eq!(
        files.fetch(&remote, &cache).await.unwrap().files,
        0,
        "nothing twice"
    );

    // The server goes away: the thread and its files are still here.
    server.stop().await;
    let thread = cache.thread(c.client_id, None, 500).await.unwrap();
    let with_files: Vec<_> = thread.iter().filter_map(|m| m.attachment.clone()).collect();
    assert_eq!(with_files.len(), 3);
    for a in &with_files {
        assert!(files.has(a), "the file is kept locally");
        let bytes = files.read(&a.sha256).expect("it reads back");
        assert_eq!(bytes.len() as i64, a.size);
    }
    // (A first download is indexed for search in the background: wait for it.)
    cache.index_pending(|_| {}).await.unwrap();
    assert!(
        cache
            .search("report", 10)
            .await
            .unwrap()
            .iter()
            .any(|h| h.kind == "message"),
        "files are found by name"
    );

    // A small store keeps the newest only.
    let small = Files::beside(&cache, report.len() as u64 + 5);
    std::fs::remove_dir_all(dir.path().join("anna.db.attachments")).unwrap();
    let again = careline_server::testing::serve_at(&state, addr).await;
    let fetched = small.fetch(&remote, &cache).await.unwrap();
    assert_eq!((fetched.files, fetched.evicted), (1, 0), "{fetched:?}");
    // It is the newest message's file (the scan, sent last).
    let newest = thread
        .iter()
        .rev()
        .find_map(|m| m.attachment.clone())
        .unwrap();
    assert!(small.has(&newest));
    again.stop().await;
}

/// Thumbnails of every image are kept, whatever the bound on originals; an original pushed out
/// is fetched again when it is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnails_of_every_image_stay_and_originals_come_back_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let (state, server) = careline_server::testing::demo(dir.path()).await;
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
        .find(|c| {
            c.client_id == me.user.id && c.status != careline_protocol::ConsultationStatus::Closed
        })
        .unwrap();
    let client = Actor {
        id: c.client_id,
        role: Role::Client,
    };
    let mut photos = Vec::new();
    for shade in [40u8, 120, 200] {
        let img = image::RgbImage::from_fn(900, 600, |x, y| {
            image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
        });
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let a = client_api
            .upload(&format!("photo-{shade}.png"), "image/png", png.clone())
            .await
            .unwrap();
        assert!(a.image.is_some(), "the server made a thumbnail");
        let req = SendMessageRequest {
            client_msg_id: uuid::Uuid::now_v7(),
            kind: MessageKind::Image,
            body: String::new(),
            attachment_id: Some(a.id),
            internal: false,
        };
        state.store.send_message(c.id, client, &req).await.unwrap();
        photos.push((a, png.len() as u64));
    }
    let (remote, _) = Remote::login(&server.url, "anna", careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let cache = Cache::open(&dir.path().join("anna.db")).await.unwrap();
    sync::catch_up(&remote, &cache, |_| {}).await.unwrap();
    // Room for one original only.
    let files = Files::beside(&cache, photos[2].1 + 10);
    files.fetch(&remote, &cache).await.unwrap();
    for (a, _) in &photos {
        assert!(files.has_thumbnail(a), "every thumbnail is kept");
        let t = files
            .read(&a.image.as_ref().unwrap().thumb_sha256)
            .expect("the thumbnail reads back");
        assert_eq!(image::load_from_memory(&t).unwrap().width(), 480);
    }
    let kept: Vec<bool> = photos.iter().map(|(a, _)| files.has(a)).collect();
    assert_eq!(kept, [false, false, true], "the newest original only");
    // The oldest is opened from its thumbnail: fetched now.
    assert!(files.ensure(&remote, &photos[0].0).await.unwrap());
    assert!(files.has(&photos[0].0));
    server.stop().await;
}
