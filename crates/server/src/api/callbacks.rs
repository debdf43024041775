//! Callback requests.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{ApiError, AttemptRequest, Callback, CreateCallbackRequest, Page};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Session, Staff};
use crate::domain::CallbackAction;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use careline_protocol::CallbackFilter;

/// Request a callback: a client for itself, staff for anyone. `id` may be given by the sender (a
/// desk recording it offline); one already in use is `409 already_exists`.
#[utoipa::path(post, path = "/api/v1/callbacks", tag = "callbacks", request_body = CreateCallbackRequest,
    responses((status = 201, body = Callback), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<CreateCallbackRequest>,
) -> AppResult<(StatusCode, Json<Callback>)> {
    Ok((
        StatusCode::CREATED,
        Json(session.shown(state.store.create_callback(&req, session.actor()).await?)),
    ))
}

/// The queue ordered by due time; a client sees its own.
#[utoipa::path(get, path = "/api/v1/callbacks", tag = "callbacks", params(CallbackFilter),
    responses((status = 200, body = Page<Callback>)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(f): ApiQuery<CallbackFilter>,
) -> AppResult<Json<Page<Callback>>> {
    Ok(Json(session.shown(
        state.store.list_callbacks(&f, session.actor()).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/callbacks/{id}", tag = "callbacks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Callback), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Callback>> {
    let cb = state.store.get_callback(id).await?;
    if !session.role.is_staff() && cb.client_id != Some(session.user_id) {
        return Err(AppError::not_found("callback request"));
    }
    Ok(Json(session.shown(cb)))
}

/// Claim a request: it is mine until I finish or release it.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/claim", tag = "callbacks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Callback), (status = 409, body = ApiError)))]
pub async fn claim(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Callback>> {
    session.require_staff()?;
    Ok(Json(
        state
            .store
            .act_on_callback(id, session.actor(), CallbackAction::Claim, None)
            .await?,
    ))
}

/// Put a claimed request back in the queue.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/release", tag = "callbacks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Callback), (status = 409, body = ApiError)))]
pub async fn release(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Callback>> {
    session.require_staff()?;
    Ok(Json(
        state
            .store
            .act_on_callback(id, session.actor(), CallbackAction::Release, None)
            .await?,
    ))
}

/// Record a call attempt: `reached` finishes it, `no_answer`/`busy` schedule a retry (or fail
/// it after the last allowed attempt), `wrong_number` fails it. With `key`, a retry of the same
/// attempt records nothing new.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/attempts", tag = "callbacks", params(("id" = Uuid, Path)), request_body = AttemptRequest,
    responses((status = 200, body = Callback), (status = 409, body = ApiError)))]
pub async fn attempt(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AttemptRequest>,
) -> AppResult<Json<Callback>> {
    Ok(Json(
        state
            .store
            .act_on_callback_keyed(
                id,
                session.actor(),
                CallbackAction::Attempt(req.outcome),
                req.note.as_deref(),
                req.key,
            )
            .await?,
    ))
}

/// Cancel: the client its own request, staff any.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/cancel", tag = "callbacks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Callback), (status = 409, body = ApiError)))]
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Callback>> {
    Ok(Json(
        session.shown(
            state
                .store
                .act_on_callback(id, session.actor(), CallbackAction::Cancel, None)
                .await?,
        ),
    ))
}
