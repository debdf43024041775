//! Quick replies: the team's (admins edit them) and each operator's own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{ApiError, QuickReply, QuickReplyRequest};
use uuid::Uuid;

use super::{ApiJson, ApiPath};
use crate::auth::{Session, Staff};
use crate::error::AppResult;
use crate::state::AppState;

/// The team's quick replies and the caller's own (staff).
#[utoipa::path(get, path = "/api/v1/quick-replies", tag = "quick replies",
    responses((status = 200, body = Vec<QuickReply>), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<Vec<QuickReply>>> {
    session.require_staff()?;
    Ok(Json(state.store.list_quick_replies(session.user_id).await?))
}

/// A new reply: `personal` for the caller's own (any staff), otherwise the team's (admins).
#[utoipa::path(post, path = "/api/v1/quick-replies", tag = "quick replies", request_body = QuickReplyRequest,
    responses((status = 201, body = QuickReply), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiJson(req): ApiJson<QuickReplyRequest>,
) -> AppResult<(StatusCode, Json<QuickReply>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .create_quick_reply(&req, session.actor())
                .await?,
        ),
    ))
}

/// A reply's new shortcut, text and language: one's own, or the team's (admins). `personal`
/// is ignored (whose a reply is does not change).
#[utoipa::path(patch, path = "/api/v1/quick-replies/{id}", tag = "quick replies", request_body = QuickReplyRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = QuickReply), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<QuickReplyRequest>,
) -> AppResult<Json<QuickReply>> {
    Ok(Json(
        state
            .store
            .update_quick_reply(id, &req, session.actor())
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/quick-replies/{id}", tag = "quick replies", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    session.require_staff()?;
    state.store.delete_quick_reply(id, session.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
