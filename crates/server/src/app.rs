//! Wiring: the router over the shared state (separate from serving, so tests bind port 0),
//! and serving with a graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

impl AppState {
    pub fn router(&self) -> Router {
        let (router, _) = crate::api::routes();
        router
            .layer(middleware::from_fn_with_state(self.clone(), crate::idempotency::layer))
            .layer(middleware::from_fn_with_state(self.clone(), crate::hygiene::layer))
            .layer(DefaultBodyLimit::max(self.config.json_max_bytes))
            .layer(middleware::from_fn_with_state(self.clone(), count_requests))
            // The path alone: a query may carry a token (`/api/v1/ws?token=`), which no log keeps.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())))
            .with_state(self.clone())
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
