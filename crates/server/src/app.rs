//! Wiring: the router over the shared state (separate from serving, so tests bind port 0),
//! and serving with a graceful shutdown.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

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
            .layer(middleware::from_fn(crate::hygiene::layer))
            .layer(middleware::from_fn_with_state(self.clone(), body_timeout))
            .layer(DefaultBodyLimit::max(self.config.json_max_bytes))
            .layer(middleware::from_fn_with_state(self.clone(), count_requests))
            // The path alone: a query may carry a token (`/api/v1/ws?token=`), which no log keeps.
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())))
            .with_state(self.clone())
    }
}

/// A request body that stalls longer than `request_read_timeout_secs` between two pieces ends
/// the request, and so does one that, after that long, has come slower than
/// [`MIN_BODY_RATE`] on average (a byte every 15 s kept an upload open for ever). A slow
/// upload is fine as long as it keeps moving at a phone's slowest useful speed.
async fn body_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let timeout = Duration::from_secs(state.config.request_read_timeout_secs.max(1));
    next.run(req.map(|b| {
        axum::body::Body::new(MinRate::new(
            tower_http::timeout::TimeoutBody::new(timeout, b),
            timeout,
        ))
    }))
    .await
}

/// Bytes a second a request body must average once its grace time has passed.
pub const MIN_BODY_RATE: u64 = 512;

/// A body that fails when it comes slower than [`MIN_BODY_RATE`] after `grace`.
struct MinRate<B> {
    inner: std::pin::Pin<Box<B>>,
    started: std::time::Instant,
    grace: Duration,
    bytes: u64,
}

impl<B> MinRate<B> {
    fn new(inner: B, grace: Duration) -> Self {
        Self {
            inner: Box::pin(inner),
            started: std::time::Instant::now(),
            grace,
            bytes: 0,
        }
    }
}

impl<B> hyper::body::Body for MinRate<B>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
    B::Error: Into<axum::BoxError>,
{
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let polled = self.inner.as_mut().poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.bytes += data.len() as u64;
            }
            let elapsed = self.started.elapsed();
            if elapsed > self.grace && self.bytes < MIN_BODY_RATE * elapsed.as_secs() {
                return std::task::Poll::Ready(Some(Err(format!(
                    "the request body comes slower than {MIN_BODY_RATE} bytes a second"
                )
                .into())));
            }
        }
        polled.map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
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

/// Connections waiting to be accepted. A reconnect storm (every desk and patient app after a
/// restart or a network blip) opens thousands at once; with the usual 1,024 the kernel dropped
/// them by the thousand while the runtime was busy (`ListenOverflows`), and each dropped one
/// waited seconds for a retransmission or timed out. The kernel caps it at `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 8192;

/// Binds the server's listening socket (`host:port`, names resolved, the first address that binds).
pub async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let socket = if a.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(a).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    }))
}

/// Serves until `shutdown` resolves; then closes this listener's WebSockets and waits for
/// requests in flight. Each connection must send a request's headers within
/// `request_read_timeout_secs` (an idle keep-alive connection too), and one address may hold at
/// most `max_connections_per_address` connections: silent sockets cannot exhaust the server.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;

    let mut state = state;
    state.closing = tokio_util::sync::CancellationToken::new();
    let closing = state.closing.clone();
    let app = state.router();
    let cap = state.config.max_connections_per_address;
    let header_timeout = Duration::from_secs(state.config.request_read_timeout_secs.max(1));
    let per_address: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let conns = Arc::new(Connections::new(open_file_limit()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file handles, most likely: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = AddressSlot::take(&per_address, peer.ip(), cap) else {
            drop(stream); // over the cap: closed at once
            continue;
        };
        let open = conns.opened();
        let _ = stream.set_nodelay(true);
        // The peer's address for this connection's requests. `Router::layer` here would wrap
        // every route again for each connection.
        let service =
            hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                app.clone(),
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            ));
        let (conns, builder, watcher) = (conns.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            let _slot = slot;
            let _open = open;
            // Until its first byte a connection is silent: it may wait `header_timeout` (the
            // protocol sniffing before HTTP/1's own header time-out has none), and it is the
            // first to go when handles run short.
            if !conns.first_byte(&stream, header_timeout).await {
                return;
            }
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    closing.cancel();
    graceful.shutdown().await;
    Ok(())
}

/// One address's share of the connections, given back when its connection ends.
struct AddressSlot {
    map: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl AddressSlot {
    fn take(
        map: &Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        cap: usize,
    ) -> Option<AddressSlot> {
        let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(ip).or_insert(0);
        if cap > 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            map: map.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// The process's open-file limit (each connection is a handle).
fn open_file_limit() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024)
}

/// Open connections, and the silent ones (no byte yet) oldest first. Connections may take the
/// process's handles up to a reserve (an eighth of the limit and 64 more: the database, files,
/// a health check, the logged-in sockets' next request); past it the oldest silent connections
/// are closed to make room — 1,100 silent connections under a 1,024-handle limit kept
/// `/healthz` from answering for 45 s.
struct Connections {
    max_open: usize,
    open: std::sync::atomic::AtomicUsize,
    next: std::sync::atomic::AtomicU64,
    silent: std::sync::Mutex<std::collections::BTreeMap<u64, tokio_util::sync::CancellationToken>>,
}

/// A connection's place among the open ones; leaving it (drop) counts it closed.
struct Open(Arc<Connections>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Connections {
    fn new(limit: u64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let reserve = 64 + limit / 8;
        Self {
            max_open: limit.saturating_sub(reserve).max(16),
            open: Default::default(),
            next: Default::default(),
            silent: Default::default(),
        }
    }

    /// Counts a new connection; past the budget, closes the oldest silent ones.
    fn opened(self: &Arc<Self>) -> Open {
        let open = self.open.fetch_add(1, Ordering::AcqRel) + 1;
        if open > self.max_open {
            let mut silent = self.silent.lock().unwrap_or_else(|e| e.into_inner());
            for _ in 0..(open - self.max_open) {
                match silent.pop_first() {
                    Some((_, token)) => token.cancel(),
                    None => break,
                }
            }
        }
        Open(self.clone())
    }

    /// Waits for the connection's first byte (or its end); false when `wait` passed first or
    /// it was closed to make room.
    async fn first_byte(&self, stream: &tokio::net::TcpStream, wait: Duration) -> bool {
        let token = tokio_util::sync::CancellationToken::new();
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.silent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, token.clone());
        let mut byte = [0u8; 1];
        let spoke = tokio::select! {
            // `readable()` may wake before any byte arrived (it did for a fresh socket): a peek
            // waits for a byte (or the end, which reads 0).
            r = tokio::time::timeout(wait, stream.peek(&mut byte)) => matches!(r, Ok(Ok(n)) if n > 0),
            _ = token.cancelled() => false,
        };
        self.silent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        spoke
    }
}
