//! What admins set for the whole desk: red-flag rules and the desk's settings (assignment
//! policy, SLA thresholds).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, DeskSettings, RedFlagRule, RedFlagRuleRequest, RedFlagTestRequest,
    RedFlagTestResponse,
};
use uuid::Uuid;

use super::{ApiJson, ApiPath};
use crate::auth::{Admin, RemoteAddr, Session};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The red-flag rules, in the order they are tried (admins).
#[utoipa::path(get, path = "/api/v1/red-flags", tag = "supervision",
    responses((status = 200, body = Vec<RedFlagRule>), (status = 403, body = ApiError)))]
pub async fn list_red_flags(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<Vec<RedFlagRule>>> {
    session.require_admin()?;
    Ok(Json(state.store.list_red_flags().await?))
}

/// A new rule; it applies to client messages from now on (admins; audited).
#[utoipa::path(post, path = "/api/v1/red-flags", tag = "supervision", request_body = RedFlagRuleRequest,
    responses((status = 201, body = RedFlagRule), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_red_flag(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<RedFlagRuleRequest>,
) -> AppResult<(StatusCode, Json<RedFlagRule>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .create_red_flag(&req, session.user_id, addr.0.as_deref())
                .await?,
        ),
    ))
}

/// A rule's new phrase, exceptions, language or enabled flag (admins; audited).
#[utoipa::path(put, path = "/api/v1/red-flags/{id}", tag = "supervision", request_body = RedFlagRuleRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = RedFlagRule), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_red_flag(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RedFlagRuleRequest>,
) -> AppResult<Json<RedFlagRule>> {
    Ok(Json(
        state
            .store
            .update_red_flag(id, &req, session.user_id, addr.0.as_deref())
            .await?,
    ))
}

/// Removes a rule (admins; audited). Consultations it raised stay raised.
#[utoipa::path(delete, path = "/api/v1/red-flags/{id}", tag = "supervision", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn delete_red_flag(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    session.require_admin()?;
    state
        .store
        .delete_red_flag(id, session.user_id, addr.0.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which enabled rule would fire on a text; nothing changes (admins).
#[utoipa::path(post, path = "/api/v1/red-flags/test", tag = "supervision", request_body = RedFlagTestRequest,
    responses((status = 200, body = RedFlagTestResponse), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn test_red_flags(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(req): ApiJson<RedFlagTestRequest>,
) -> AppResult<Json<RedFlagTestResponse>> {
    if req.text.chars().count() > 20_000 {
        return Err(AppError::invalid("a text has at most 20000 characters"));
    }
    Ok(Json(RedFlagTestResponse {
        fired: state.store.test_red_flags(&req.text).await?,
    }))
}

/// The desk's settings: assignment policy and SLA thresholds (staff).
#[utoipa::path(get, path = "/api/v1/settings", tag = "supervision",
    responses((status = 200, body = DeskSettings), (status = 403, body = ApiError)))]
pub async fn get_settings(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<DeskSettings>> {
    if !session.role.is_staff() {
        return Err(AppError::forbidden("the desk's settings are for staff"));
    }
    Ok(Json(state.store.desk_settings().await?))
}

/// New settings (admins; audited). An automatic policy assigns the waiting queue at once.
#[utoipa::path(put, path = "/api/v1/settings", tag = "supervision", request_body = DeskSettings,
    responses((status = 200, body = DeskSettings), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<DeskSettings>,
) -> AppResult<Json<DeskSettings>> {
    Ok(Json(
        state
            .store
            .set_desk_settings(&req, session.user_id, addr.0.as_deref())
            .await?,
    ))
}
