//! Consents: the texts (anyone reads the active ones — the registration form needs them before
//! there is a session; admins keep them), a client's answers (the client from the page, staff
//! for an answer given by phone), and where a client stands.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, ClientConsent, Consent, ConsentAction, ConsentAnswer, ConsentRecord, ConsentRequest,
};
use uuid::Uuid;

use super::{ApiJson, ApiPath};
use crate::auth::{bearer_of, Admin, RemoteAddr, Session};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The consent texts the clinic asks for (no session needed); an admin's token also lists the
/// inactive ones.
#[utoipa::path(get, path = "/api/v1/consents", tag = "consents", security(),
    responses((status = 200, body = Vec<Consent>)))]
pub async fn list(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> AppResult<Json<Vec<Consent>>> {
    let admin = match bearer_of(&headers) {
        Some(token) => Session::from_token(&state, token)
            .await
            .is_ok_and(|s| s.role == careline_protocol::Role::Admin && s.call.is_none()),
        None => false,
    };
    Ok(Json(state.store.consents(admin).await?))
}

/// A new consent text (admins).
#[utoipa::path(post, path = "/api/v1/consents", tag = "consents", request_body = ConsentRequest,
    responses((status = 201, body = Consent), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> AppResult<(StatusCode, Json<Consent>)> {
    let c = state
        .store
        .create_consent(&req, session.actor(), addr.0.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Edits a consent text (admins): new words make a new version, asked of every client again.
#[utoipa::path(put, path = "/api/v1/consents/{id}", tag = "consents", params(("id" = Uuid, Path)),
    request_body = ConsentRequest,
    responses((status = 200, body = Consent), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ConsentRequest>,
) -> AppResult<Json<Consent>> {
    Ok(Json(
        state
            .store
            .update_consent(id, &req, session.actor(), addr.0.as_deref())
            .await?,
    ))
}

async fn answer(
    state: &AppState,
    session: &Session,
    addr: &RemoteAddr,
    id: Uuid,
    action: ConsentAction,
    ans: &ConsentAnswer,
) -> AppResult<(StatusCode, Json<ConsentRecord>)> {
    let r = state
        .store
        .answer_consent(id, action, ans, session.actor(), addr.0.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The client accepts the version it read (or staff record an acceptance given by phone).
#[utoipa::path(post, path = "/api/v1/consents/{id}/accept", tag = "consents", params(("id" = Uuid, Path)),
    request_body = ConsentAnswer,
    responses((status = 201, body = ConsentRecord), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn accept(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(ans): ApiJson<ConsentAnswer>,
) -> AppResult<(StatusCode, Json<ConsentRecord>)> {
    answer(&state, &session, &addr, id, ConsentAction::Accept, &ans).await
}

/// The client withdraws (or staff record a withdrawal given by phone).
#[utoipa::path(post, path = "/api/v1/consents/{id}/withdraw", tag = "consents", params(("id" = Uuid, Path)),
    request_body = ConsentAnswer,
    responses((status = 201, body = ConsentRecord), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(ans): ApiJson<ConsentAnswer>,
) -> AppResult<(StatusCode, Json<ConsentRecord>)> {
    answer(&state, &session, &addr, id, ConsentAction::Withdraw, &ans).await
}

/// Where a client stands with each consent, and every answer (staff; a client its own).
#[utoipa::path(get, path = "/api/v1/clients/{id}/consents", tag = "consents", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<ClientConsent>), (status = 404, body = ApiError)))]
pub async fn of_client(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<ClientConsent>>> {
    if !(session.role.is_staff() || session.user_id == id) {
        return Err(AppError::not_found("client"));
    }
    Ok(Json(state.store.client_consents(id).await?))
}
