//! A server on a loopback port for the tests of the desktop core, the CLI and tools: start it
//! on a fresh data directory with the demo clinic, stop it, start it again on the same address
//! (the same database) — as an operator's network sees a server go away and come back.

use std::net::SocketAddr;
use std::path::Path;

use tokio::sync::oneshot;

use crate::{AppState, Config};

/// A server serving until `stop`.
pub struct Running {
    pub addr: SocketAddr,
    pub url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops listening and closes its WebSockets; the state (and database) stays.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// A free loopback address.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// Serves `state` on `addr`.
pub async fn serve_at(state: &AppState, addr: SocketAddr) -> Running {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("binding the test server");
    let (stop, rx) = oneshot::channel::<()>();
    let state = state.clone();
    let task = tokio::spawn(async move {
        let _ = crate::app::serve(state, listener, async {
            let _ = rx.await;
        })
        .await;
    });
    Running {
        addr,
        url: format!("http://{addr}"),
        stop,
        task,
    }
}

/// A fresh server with the demo clinic on an embedded database under `dir`, serving.
pub async fn demo(dir: &Path) -> (AppState, Running) {
    demo_with(dir, |_| {}).await
}

/// [`demo`], with the configuration changed by `tweak` first (a call relay, say).
pub async fn demo_with(dir: &Path, tweak: impl FnOnce(&mut Config)) -> (AppState, Running) {
    // Webhook targets on this machine are allowed: tests run their receivers on loopback.
    // Tests register many patients from loopback: the registration limits have tests of their own.
    let mut config = Config {
        data_dir: dir.join("server"),
        webhook_allow_private: true,
        register_per_address_per_hour: 100_000,
        register_per_hour: 100_000,
        ..Config::default()
    };
    tweak(&mut config);
    let state = AppState::start(config)
        .await
        .expect("starting the test server");
    crate::demo::fill(&state.store)
        .await
        .expect("filling the demo clinic");
    let running = serve_at(&state, free_addr()).await;
    (state, running)
}
