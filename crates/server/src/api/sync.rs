//! Events: catch-up over REST, live over the WebSocket; health and metrics.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use careline_protocol::{ApiError, ErrorCode, Health, SyncResponse, WsClientFrame, WsControl};
use futures::{SinkExt, StreamExt};
use serde::Serialize;

use super::ApiQuery;
use crate::auth::{bearer, Session};
use crate::error::{AppError, AppResult};
use crate::passwords::token_hash;
use crate::state::AppState;
use crate::store::events::{StoredEvent, Viewer};
use crate::store::sessions::SessionEnd;
use careline_protocol::{SnapshotPage, SnapshotQuery, SyncQuery, WsQuery};

#[derive(Serialize)]
struct SyncPage {
    events: Vec<StoredEvent>,
    next: i64,
    has_more: bool,
}

/// Events after `since` that the caller may see, in seq order. 410 `resync_required` when
/// they are no longer kept.
#[utoipa::path(get, path = "/api/v1/sync", tag = "sync", params(SyncQuery),
    responses((status = 200, body = SyncResponse), (status = 410, body = ApiError)))]
pub async fn sync(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<SyncQuery>,
) -> AppResult<Response> {
    let since = q.since.unwrap_or(0);
    if since < 0 {
        return Err(AppError::bad_request("since must not be negative"));
    }
    let limit = match q.limit {
        None => 500,
        Some(n) if (1..=5000).contains(&n) => n,
        Some(n) => {
            return Err(AppError::bad_request(format!(
                "limit must be between 1 and 5000, not {n}"
            )))
        }
    };
    if !state.store.can_resume_from(since).await? {
        return Err(AppError::refuse(
            ErrorCode::ResyncRequired,
            "these events are no longer kept; download the state again",
        ));
    }
    // Read the head first: every event up to it is committed (seq order is commit order).
    let head = state.store.last_seq().await?;
    let events = state
        .store
        .events_after(since, limit, session.viewer())
        .await?;
    let has_more = events.len() as i64 == limit;
    let last = events.last().map(|e| e.seq).unwrap_or(since);
    let next = if has_more {
        last
    } else {
        last.max(head).max(since)
    };
    Ok(Json(SyncPage {
        events,
        next,
        has_more,
    })
    .into_response())
}

/// The current state, in pages, for a first sync or one after the log was pruned: apply the
/// pages, then the events after the first page's `head`.
#[utoipa::path(get, path = "/api/v1/snapshot", tag = "sync", params(SnapshotQuery),
    responses((status = 200, body = SnapshotPage), (status = 400, body = ApiError)))]
pub async fn snapshot(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<SnapshotQuery>,
) -> AppResult<Json<SnapshotPage>> {
    let limit = match q.limit {
        None => 1000,
        Some(n) if (1..=10_000).contains(&n) => n,
        Some(n) => {
            return Err(AppError::bad_request(format!(
                "limit must be between 1 and 10000, not {n}"
            )))
        }
    };
    Ok(Json(
        state
            .store
            .snapshot_page(session.viewer(), q.cursor.as_deref(), limit)
            .await?,
    ))
}

/// The live event stream. Authenticate with the Authorization header, or — where it cannot be
/// set (a browser) — with a first frame `{"token": …, "resume": SEQ}` within 10 seconds; never
/// in the URL (`?token=` is refused: proxies log request lines). Say where to resume with
/// `resume` or in a first frame. Events are JSON text frames with a `seq`; control frames have
/// a `control` field (`live` after the replay, `resync_required`). A client's frames are small:
/// a frame or message over 16 KiB closes the socket (1009).
#[utoipa::path(get, path = "/api/v1/ws", tag = "sync", params(WsQuery),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub async fn ws(
    State(state): State<AppState>,
    parts: Parts,
    ApiQuery(q): ApiQuery<WsQuery>,
) -> AppResult<Response> {
    // Not authenticated: a token in the URL (refused: proxies log it), or neither the header
    // nor a WebSocket upgrade that could carry the token in its first frame.
    let upgrading = parts
        .headers
        .get(axum::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if q.token.is_some() {
        return Err(AppError::refuse(
            ErrorCode::Unauthorized,
            "a token in the URL is refused (proxies log it): send the Authorization header or a first frame {\"token\": …}",
        ));
    }
    let session = match bearer(&parts) {
        Some(token) => Some(Session::from_token(&state, token).await?),
        None if !upgrading => {
            return Err(AppError::refuse(ErrorCode::Unauthorized, "send Authorization: Bearer <token>, or open the WebSocket and send {\"token\": …} first"))
        }
        None => None,
    };
    let mut parts = parts;
    let upgrade =
        <WebSocketUpgrade as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        .map_err(|e| AppError::bad_request(e.body_text()))?;
    // Small buffers: most sockets are idle, and there may be tens of thousands of them. A
    // client never sends more than a few kilobytes: the library's default (64 MiB a message)
    // let 8 sockets hold 480 MB of unfinished messages.
    Ok(upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_frame_size(MAX_CLIENT_FRAME)
        .max_message_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| async move {
            match session {
                Some(session) => run_socket(state, session, q.resume, None, socket).await,
                None => authenticate(state, q.resume, socket).await,
            }
        }))
}

/// The largest frame or message a client may send.
pub const MAX_CLIENT_FRAME: usize = 16 * 1024;

/// A socket opened without the header: its first frame must carry the token.
async fn authenticate(state: AppState, resume: Option<i64>, mut socket: WebSocket) {
    let first = match tokio::time::timeout(Duration::from_secs(10), socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) => serde_json::from_str::<WsClientFrame>(&t).ok(),
        _ => None,
    };
    let Some(WsClientFrame {
        token: Some(token),
        resume: first_resume,
    }) = first
    else {
        refuse(
            socket,
            ApiError::new(
                ErrorCode::Unauthorized,
                "send {\"token\": …} as the first frame (or the Authorization header)",
            ),
        )
        .await;
        return;
    };
    match Session::from_token(&state, &token).await {
        Ok(session) => run_socket(state, session, resume, Some(first_resume), socket).await,
        Err(e) => {
            refuse(
                socket,
                ApiError::new(
                    e.code().unwrap_or(ErrorCode::Unauthorized),
                    "the token is unknown, expired or revoked",
                ),
            )
            .await
        }
    }
}

/// Tells why and closes with 4401 (the code a revoked session's socket ends with).
async fn refuse(mut socket: WebSocket, e: ApiError) {
    if let Ok(text) = serde_json::to_string(&e) {
        let _ = socket.send(WsMessage::Text(text.into())).await;
    }
    let _ = socket
        .send(WsMessage::Close(Some(axum::extract::ws::CloseFrame {
            code: 4401,
            reason: "unauthorized".into(),
        })))
        .await;
}

const PING_EVERY: Duration = Duration::from_secs(20);
const DEAD_AFTER: Duration = Duration::from_secs(60);

/// `first`: the resume position a first frame already gave (`Some(None)`: a first frame came
/// without one), so none is waited for.
async fn run_socket(
    state: AppState,
    session: Session,
    resume: Option<i64>,
    first: Option<Option<i64>>,
    socket: WebSocket,
) {
    state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    if session.role.is_staff() {
        state.presence.connected(session.user_id);
    }
    if let Err(e) = stream_events(&state, &session, resume, first, socket).await {
        tracing::debug!(error = %e, user = %session.user_id, "websocket ended");
    }
    if session.role.is_staff() {
        state.presence.disconnected(session.user_id);
    }
    state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
}

#[derive(Debug, thiserror::Error)]
enum SocketEnd {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("store: {0}")]
    Store(#[from] AppError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("peer went silent")]
    Silent,
}

async fn stream_events(
    state: &AppState,
    session: &Session,
    resume: Option<i64>,
    first: Option<Option<i64>>,
    socket: WebSocket,
) -> Result<(), SocketEnd> {
    let viewer = session.viewer();
    let (mut sink, mut stream) = socket.split();
    // Subscribe before reading the log, so nothing falls between replay and live.
    let mut live = state.hub.subscribe();
    let resume = match (resume, first) {
        (Some(r), _) => Some(r),
        (None, Some(r)) => r,
        (None, None) => match tokio::time::timeout(Duration::from_secs(1), stream.next()).await {
            Ok(Some(Ok(WsMessage::Text(t)))) => match serde_json::from_str::<WsClientFrame>(&t) {
                Ok(f) => f.resume,
                Err(_) => {
                    let e = ApiError::new(
                        ErrorCode::BadRequest,
                        "the first frame must be {\"resume\": SEQ}",
                    );
                    sink.send(WsMessage::Text(serde_json::to_string(&e)?.into()))
                        .await?;
                    return Ok(());
                }
            },
            Ok(None) | Ok(Some(Err(_))) => return Ok(()),
            _ => None,
        },
    };
    // A call page's socket hears its call's events from now on, and nothing else.
    let mut last_sent = match (session.call, resume) {
        (Some(_), _) | (None, None) => state.hub.last(),
        (None, Some(r)) if r < 0 => 0,
        (None, Some(r)) => r,
    };
    // A position ahead of the log (a restore lost what the reader saw) is refused, not clamped.
    if !state.store.can_resume_from(last_sent).await? {
        let frame = WsControl::ResyncRequired {
            message: "these events are no longer kept; download the state again".into(),
        };
        sink.send(WsMessage::Text(serde_json::to_string(&frame)?.into()))
            .await?;
        return Ok(());
    }
    if session.call.is_none() {
        last_sent = replay(state, viewer, last_sent, &mut sink).await?;
    }
    sink.send(WsMessage::Text(
        serde_json::to_string(&WsControl::Live { seq: last_sent })?.into(),
    ))
    .await?;

    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    // A revoked session (on any instance), a disabled account or a blocked client ends the
    // socket within `session_watch::EVERY` (one check for all of this instance's sockets).
    let mut watched = state.session_watch.watch(&session.token_hash);
    let mut last_heard = Instant::now();
    let mut inbox = state.signals.register(party(session));
    let mut budget = SignalBudget::new();
    loop {
        tokio::select! {
            event = live.recv() => {
                // Send what is queued in one write: under load, one flush for many events.
                let mut next = event;
                loop {
                    match next {
                        Ok(live) => {
                            if live.event.seq > last_sent && shown(session, viewer, &live.event) {
                                sink.feed(WsMessage::Text(live.text_for(viewer).clone())).await?;
                                last_sent = live.event.seq;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            // Too slow for the broadcast buffer: fill in from the log (a
                            // call page reads its call again instead).
                            sink.flush().await?;
                            if session.call.is_none() {
                                last_sent = replay(state, viewer, last_sent, &mut sink).await?;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                    next = match live.try_recv() {
                        Ok(e) => Ok(e),
                        Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => Err(tokio::sync::broadcast::error::RecvError::Lagged(n)),
                        Err(tokio::sync::broadcast::error::TryRecvError::Closed) => Err(tokio::sync::broadcast::error::RecvError::Closed),
                        Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                    };
                }
                sink.flush().await?;
            },
            Some(text) = inbox.rx.recv() => {
                sink.send(WsMessage::Text(text)).await?;
            }
            frame = stream.next() => match frame {
                Some(Ok(WsMessage::Close(_))) | None => return Ok(()),
                Some(Ok(WsMessage::Text(t))) => {
                    last_heard = Instant::now();
                    if let Some(e) = signal(state, session, &t, &mut budget).await {
                        sink.send(WsMessage::Text(serde_json::to_string(&e)?.into())).await?;
                    }
                }
                Some(Ok(_)) => last_heard = Instant::now(),
                Some(Err(e)) => return Err(e.into()),
            },
            _ = state.closing.cancelled() => {
                let frame = axum::extract::ws::CloseFrame { code: 1012, reason: "service restart".into() };
                let _ = sink.send(WsMessage::Close(Some(frame))).await;
                return Ok(());
            }
            Ok(()) = watched.ended.changed() => {
                // 4401: the session is over (log in again); 4403: the account is disabled or blocked.
                let end = match watched.end() {
                    None => None,
                    Some(SessionEnd::Ended) => Some((4401, "the session has ended")),
                    Some(SessionEnd::Disabled) => Some((4403, "the account is disabled")),
                };
                if let Some((code, reason)) = end {
                    let frame = axum::extract::ws::CloseFrame { code, reason: reason.into() };
                    let _ = sink.send(WsMessage::Close(Some(frame))).await;
                    return Ok(());
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return Err(SocketEnd::Silent);
                }
                sink.send(WsMessage::Ping(Default::default())).await?;
            }
        }
    }
}

fn party(session: &Session) -> crate::signals::Party {
    crate::signals::Party {
        user_id: session.user_id,
        role: session.role,
        call: session.call,
    }
}

/// Whether a live event goes to this socket: what its viewer may see, or — on a call page's
/// socket — the events of its call only.
fn shown(session: &Session, viewer: Viewer, event: &StoredEvent) -> bool {
    match session.call {
        None => event.visible_to(viewer),
        Some(call) => {
            #[derive(serde::Deserialize)]
            struct Id {
                id: uuid::Uuid,
            }
            event.kind == "call"
                && serde_json::from_str::<Id>(event.data.get()).is_ok_and(|d| d.id == call)
        }
    }
}

/// A socket's allowance of signalling frames: `PER_SECOND` a second, with bursts up to `BURST`
/// (an offer brings a few dozen ICE candidates at once).
struct SignalBudget {
    tokens: f64,
    at: Instant,
}

impl SignalBudget {
    const PER_SECOND: f64 = 20.0;
    const BURST: f64 = 100.0;

    fn new() -> Self {
        SignalBudget {
            tokens: Self::BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * Self::PER_SECOND)
            .min(Self::BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A text frame from the client: a call's signalling frame is relayed; anything else (a
/// keep-alive) is only a sign of life. Returns the error frame for the sender, if any.
async fn signal(
    state: &AppState,
    session: &Session,
    text: &str,
    budget: &mut SignalBudget,
) -> Option<ApiError> {
    if !text.contains("\"call.") {
        return None;
    }
    if !budget.take() {
        return Some(ApiError::new(
            ErrorCode::RateLimited,
            "too many call frames; slow down",
        ));
    }
    state.signals.relay(party(session), text).await.err()
}

/// Sends every visible event after `from` from the log; returns the last seq sent (or `from`).
async fn replay<S>(
    state: &AppState,
    viewer: Viewer,
    from: i64,
    sink: &mut S,
) -> Result<i64, SocketEnd>
where
    S: futures::Sink<WsMessage, Error = axum::Error> + Unpin,
{
    let mut last = from;
    loop {
        let events = state.store.events_after(last, 1000, viewer).await?;
        let Some(tail) = events.last().map(|e| e.seq) else {
            return Ok(last);
        };
        for e in &events {
            sink.feed(WsMessage::Text(serde_json::to_string(e)?.into()))
                .await?;
        }
        sink.flush().await?;
        last = tail;
    }
}

/// Liveness: answers when the database does.
#[utoipa::path(get, path = "/healthz", tag = "ops", security(), responses((status = 200, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> AppResult<Json<Health>> {
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        last_seq: state.store.last_seq().await?,
    }))
}

/// Prometheus metrics: for a bearer of the configured `metrics_token` (a Prometheus scrape
/// job's `authorization`) or an admin's session; anyone else `401`/`403` (the figures tell an
/// outsider how busy the clinic is and when).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn metrics(State(state): State<AppState>, parts: Parts) -> AppResult<impl IntoResponse> {
    let token = bearer(&parts).ok_or_else(|| {
        AppError::refuse(
            ErrorCode::Unauthorized,
            "send Authorization: Bearer <metrics token or an admin's token>",
        )
    })?;
    // Compared as SHA-256 hashes, as session tokens are: the time it takes tells nothing of the token.
    let scraper = !state.config.metrics_token.is_empty()
        && token_hash(token) == token_hash(&state.config.metrics_token);
    if !scraper {
        Session::from_token(&state, token).await?.require_admin()?;
    }
    let last = state.store.last_seq().await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(last),
    ))
}
