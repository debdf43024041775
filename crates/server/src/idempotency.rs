//! `Idempotency-Key`: a POST, PUT or PATCH sent with this header is answered once; a retry with
//! the same key (by the same user) gets the first successful answer again and changes nothing.
//! The desktop outbox sends every operation with one, so an operation whose answer was lost is
//! applied exactly once however often it is retried. The answer is stored right after the
//! handler's commit: only a crash between the two could let a retry run again, and then the
//! state machine refuses what no longer applies.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::Row;

use crate::app::AppState;
use crate::auth::Session;
use crate::error::AppError;

pub const HEADER: &str = "idempotency-key";

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 100 {
        return AppError::bad_request("Idempotency-Key must have 1 to 100 characters").into_response();
    }
    let token =
        req.headers().get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.split_once(' ')).map(|(_, t)| t.trim().to_owned());
    let Some(token) = token else {
        return next.run(req).await;
    };
    let Ok(session) = Session::from_token(&state, &token).await else {
        return next.run(req).await;
    };
    let user = session.user_id.to_string();
    match state.store.idempotent_answer(&user, &key).await {
        Ok(Some((status, body))) => {
            let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            resp.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp.headers_mut().insert("idempotent-replay", HeaderValue::from_static("true"));
            return resp;
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, 4 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return AppError::Other("answer too large to remember".into()).into_response(),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if let Err(e) = state.store.remember_answer(&user, &key, parts.status.as_u16(), &text).await {
        tracing::warn!(error = %e, "could not remember an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

impl crate::db::Store {
    pub async fn idempotent_answer(&self, user: &str, key: &str) -> crate::error::AppResult<Option<(u16, String)>> {
        let row = sqlx::query("SELECT status, body FROM idempotency WHERE user_id = $1 AND key = $2").bind(user).bind(key).fetch_optional(&self.reader).await?;
        Ok(row.map(|r| (r.get::<i64, _>(0) as u16, r.get::<String, _>(1))))
    }

    pub async fn remember_answer(&self, user: &str, key: &str, status: u16, body: &str) -> crate::error::AppResult<()> {
        sqlx::query("INSERT INTO idempotency (user_id, key, status, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind(user)
            .bind(key)
            .bind(status as i64)
            .bind(body)
            .bind(crate::time::now_ms())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Forgets answers remembered before `before_ms`; how many.
    pub async fn prune_idempotency(&self, before_ms: i64) -> crate::error::AppResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < $1").bind(before_ms).execute(&self.writer).await?;
        Ok(done.rows_affected())
    }
}
