//! What the core's tests against a real server share (each test uses a part of it).

#![allow(dead_code)]

pub mod browser;

use std::sync::Arc;

use careline_core::desk::Desk;
use careline_core::session::Session;

/// A desk of `login` (a demo account) over a cache at `cache`; not started.
pub async fn desk_of(url: &str, login: &str, cache: std::path::PathBuf) -> Arc<Desk> {
    let (_, l) = careline_core::Remote::login(url, login, careline_server::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    let session = Session {
        server: url.into(),
        login: login.into(),
        token: l.token,
        keychain: false,
        user_id: l.user.id,
        user_name: l.user.name,
        role: l.user.role.to_string(),
    };
    Desk::open(session, cache).await.unwrap()
}
