//! Webhook endpoints (admins): register, change, pause or resume, remove, and the log of what
//! was sent to each.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, CreateWebhookRequest, DeliveryQuery, Page, UpdateWebhookRequest, WebhookCreated,
    WebhookDelivery, WebhookEndpoint,
};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Admin, Session};
use crate::error::AppResult;
use crate::state::AppState;

/// Every endpoint with its state: enabled or paused (and why), deliveries pending and failed,
/// the last success and the last error.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookEndpoint>), (status = 403, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<Vec<WebhookEndpoint>>> {
    session.require_admin()?;
    Ok(Json(state.store.list_webhooks().await?))
}

/// Registers an endpoint; the answer carries its signing secret (`whsec_…`), shown only here.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookCreated), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiJson(req): ApiJson<CreateWebhookRequest>,
) -> AppResult<(
    StatusCode,
    axum::Extension<crate::idempotency::CarriesSecret>,
    Json<WebhookCreated>,
)> {
    let created = state
        .store
        .create_webhook(&req, session.user_id, state.config.webhook_allow_private)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Extension(crate::idempotency::CarriesSecret),
        Json(created),
    ))
}

/// Changes an endpoint; `enabled: false` pauses it (deliveries wait), `true` resumes it.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = UpdateWebhookRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookEndpoint), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateWebhookRequest>,
) -> AppResult<Json<WebhookEndpoint>> {
    Ok(Json(
        state
            .store
            .update_webhook(
                id,
                &req,
                session.user_id,
                state.config.webhook_allow_private,
            )
            .await?,
    ))
}

/// Removes an endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    session.require_admin()?;
    state.store.delete_webhook(id, session.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What was sent to an endpoint, newest first: each delivery's status, attempts, last HTTP
/// status and error, and the body.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), DeliveryQuery),
    responses((status = 200, body = Page<WebhookDelivery>), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn deliveries(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<Page<WebhookDelivery>>> {
    Ok(Json(state.store.list_deliveries(id, &q).await?))
}
