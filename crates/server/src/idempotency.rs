//! `Idempotency-Key`: a POST, PUT or PATCH sent with this header is answered once; a retry with
//! the same key (by the same user, to the same method and path) gets the first successful answer
//! again and changes nothing.
//! The desktop outbox sends every operation with one, so an operation whose answer was lost is
//! applied exactly once however often it is retried. The answer is stored right after the
//! handler's commit: only a crash between the two could let a retry run again, and then the
//! state machine refuses what no longer applies.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Session;
use crate::error::AppError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";

/// Marks an answer that carries a secret: it is never remembered for a retry. Handlers add it
/// as `axum::Extension(CarriesSecret)`.
#[derive(Debug, Clone, Copy)]
pub struct CarriesSecret;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 100 {
        return AppError::bad_request("Idempotency-Key must have 1 to 100 characters")
            .into_response();
    }
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned());
    let Some(token) = token else {
        return next.run(req).await;
    };
    let Ok(session) = Session::from_token(&state, &token).await else {
        return next.run(req).await;
    };
    let user = session.user_id.to_string();
    // A key names one request: the same key sent to another endpoint is another request.
    let key = format!("{} {} {key}", req.method(), req.uri().path());
    match state.store.idempotent_answer(&user, &key).await {
        Ok(Some((status, body))) => {
            let mut resp =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp.headers_mut()
                .insert("idempotent-replay", HeaderValue::from_static("true"));
            return resp;
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let resp = next.run(req).await;
    // An answer that carries a secret (a session token, a webhook's signing secret, a claim
    // code) is never stored: a retry with the same key would hand it to whoever sends the key,
    // and the table would keep it in the clear (and in every backup).
    if !resp.status().is_success() || resp.extensions().get::<CarriesSecret>().is_some() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, 4 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return AppError::Other("answer too large to remember".into()).into_response(),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(e) = state
        .store
        .remember_answer(&user, &key, parts.status.as_u16(), &text)
        .await
    {
        tracing::warn!(error = %e, "could not remember an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}
