//! Wiring: the shared state, the router (separate from serving, so tests bind port 0), and
//! the background tasks.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::auth::LoginLimiter;
use crate::blobs::Blobs;
use crate::config::Config;
use crate::db::Store;
use crate::error::AppResult;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::presence::PresenceTracker;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub config: Arc<Config>,
    pub blobs: Blobs,
    pub limiter: Arc<LoginLimiter>,
    pub presence: Arc<PresenceTracker>,
    pub metrics: Arc<Metrics>,
    /// Cancelled when this listener shuts down: open WebSockets close (1012, "service
    /// restart") so clients reconnect elsewhere instead of holding a dead instance.
    pub closing: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// Opens the database and starts the hub and the presence sweeper.
    pub async fn start(config: Config) -> AppResult<AppState> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::open(&config).await?;
        let metrics = Arc::new(Metrics::default());
        let hub = Hub::start(store.clone(), metrics.clone()).await?;
        let blobs = Blobs::new(config.data_dir.join("blobs"), config.attachment_max_bytes)?;
        let limiter = Arc::new(LoginLimiter::new(config.login_max_failures, Duration::from_secs(config.login_window_secs)));
        let presence = Arc::new(PresenceTracker::default());
        presence.clone().spawn(store.clone(), Duration::from_secs(config.presence_grace_secs));
        tokio::spawn(maintain(store.clone(), config.event_retention_days, config.idempotency_keep_hours));
        Ok(AppState { store, hub, config: Arc::new(config), blobs, limiter, presence, metrics, closing: Default::default() })
    }

    pub fn router(&self) -> Router {
        let (router, _) = crate::api::routes();
        router
            .layer(middleware::from_fn_with_state(self.clone(), crate::idempotency::layer))
            .layer(DefaultBodyLimit::max(self.config.json_max_bytes))
            .layer(middleware::from_fn_with_state(self.clone(), count_requests))
            .layer(TraceLayer::new_for_http())
            .with_state(self.clone())
    }
}

/// What keeps the database from growing without bound, at start and every hour: events older
/// than the retention (if one is set; their readers are told to re-sync) and remembered
/// idempotent answers older than their keep time.
async fn maintain(store: Store, event_retention_days: i64, idempotency_keep_hours: i64) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = crate::time::now_ms();
        if event_retention_days > 0 {
            if let Err(e) = store.prune_events(now - event_retention_days * 24 * 3600 * 1000).await {
                tracing::warn!(error = %e, "pruning events failed");
            }
        }
        match store.prune_idempotency(now - idempotency_keep_hours.max(1) * 3600 * 1000).await {
            Ok(n) if n > 0 => tracing::info!(pruned = n, "idempotent answers past their keep time removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning idempotent answers failed"),
        }
    }
}

async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let m = &state.metrics;
    m.http_requests.fetch_add(1, Ordering::Relaxed);
    if response.status().is_client_error() {
        m.http_client_errors.fetch_add(1, Ordering::Relaxed);
    } else if response.status().is_server_error() {
        m.http_server_errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// Serves until `shutdown` resolves; then closes this listener's WebSockets and waits for
/// requests in flight.
pub async fn serve(state: AppState, listener: TcpListener, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let mut state = state;
    state.closing = tokio_util::sync::CancellationToken::new();
    let closing = state.closing.clone();
    let app = state.router();
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.cancel();
        })
        .await
}
