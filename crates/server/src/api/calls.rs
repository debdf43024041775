//! Calls: start, answer, decline, hang up, read; the one-time link to the operator's call page;
//! the ICE servers with short-lived TURN credentials. Signalling rides the WebSocket
//! (`crate::signals`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use base64::Engine;
use careline_protocol::{
    ApiError, Call, CallLink, CallSession, HangupRequest, IceServer, IceServers, RedeemCallLink,
    StartCallRequest,
};
use hmac::{Hmac, Mac};
use uuid::Uuid;

use super::{ApiJson, ApiPath, OptionalJson};
use crate::auth::{Session, Staff};
use crate::error::{AppError, AppResult};
use crate::idempotency::CarriesSecret;
use crate::state::AppState;
use crate::store::calls::is_party;
use crate::time::{from_ms, now_ms};

/// The consultation's operator calls its client (audio or video): the patient's page rings.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/calls", tag = "calls", params(("id" = Uuid, Path)),
    request_body = StartCallRequest,
    responses((status = 201, body = Call), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn start(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<StartCallRequest>,
) -> AppResult<(StatusCode, Json<Call>)> {
    let call = state
        .store
        .start_call(id, req.media, session.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(call)))
}

/// A consultation's calls, oldest first: staff, or its client.
#[utoipa::path(get, path = "/api/v1/consultations/{id}/calls", tag = "calls", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Call>), (status = 404, body = ApiError)))]
pub async fn of_consultation(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<Call>>> {
    let c = state.store.get_consultation(id).await?;
    if !session.role.is_staff() && c.client_id != session.user_id {
        return Err(AppError::not_found("consultation"));
    }
    Ok(Json(state.store.calls_of(id).await?))
}

/// A call: its parties, and any staff.
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", params(("id" = Uuid, Path)),
    responses((status = 200, body = Call), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Call>> {
    let call = state.store.get_call(id).await?;
    if !(session.role.is_staff() || is_party(&call, session.actor())) {
        return Err(AppError::not_found("call"));
    }
    Ok(Json(call))
}

/// The patient answers a ringing call.
#[utoipa::path(post, path = "/api/v1/calls/{id}/answer", tag = "calls", params(("id" = Uuid, Path)),
    responses((status = 200, body = Call), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Call>> {
    Ok(Json(state.store.answer_call(id, session.actor()).await?))
}

/// The patient refuses a ringing call.
#[utoipa::path(post, path = "/api/v1/calls/{id}/decline", tag = "calls", params(("id" = Uuid, Path)),
    responses((status = 200, body = Call), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn decline(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Call>> {
    Ok(Json(state.store.decline_call(id, session.actor()).await?))
}

/// Either party ends the call (`failed: true` when the media could not connect or was lost).
/// Hanging up an ended call changes nothing.
#[utoipa::path(post, path = "/api/v1/calls/{id}/hangup", tag = "calls", params(("id" = Uuid, Path)),
    request_body(content = HangupRequest, description = "optional"),
    responses((status = 200, body = Call), (status = 404, body = ApiError)))]
pub async fn hangup(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(body): OptionalJson<HangupRequest>,
) -> AppResult<Json<Call>> {
    let failed = body.is_some_and(|b| b.failed);
    Ok(Json(
        state.store.hangup_call(id, session.actor(), failed).await?,
    ))
}

/// A one-time link to the call's page, for its operator to open where WebRTC exists (the
/// system browser). The code is in the URL's fragment, works once, for a minute.
#[utoipa::path(post, path = "/api/v1/calls/{id}/link", tag = "calls", params(("id" = Uuid, Path)),
    responses((status = 200, body = CallLink), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn link(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<(Extension<CarriesSecret>, Json<CallLink>)> {
    if session.call.is_some() {
        return Err(AppError::forbidden("a call page cannot make links"));
    }
    let (code, expires) = state.store.call_link(id, session.actor()).await?;
    // The code is a secret: never kept for an Idempotency-Key's retry.
    Ok((
        Extension(CarriesSecret),
        Json(CallLink {
            url: format!("/call/#{code}"),
            expires_at: from_ms(expires),
        }),
    ))
}

/// Trades a one-time link's code for a session that may do nothing but this call.
#[utoipa::path(post, path = "/api/v1/calls/redeem", tag = "calls", security(),
    request_body = RedeemCallLink,
    responses((status = 200, body = CallSession), (status = 401, body = ApiError), (status = 409, body = ApiError)))]
pub async fn redeem(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RedeemCallLink>,
) -> AppResult<(Extension<CarriesSecret>, Json<CallSession>)> {
    if req.code.is_empty() || req.code.len() > 100 {
        return Err(AppError::bad_request("code must be a call link's code"));
    }
    Ok((
        Extension(CarriesSecret),
        Json(state.store.redeem_call_link(&req.code).await?),
    ))
}

type HmacSha1 = Hmac<sha1::Sha1>;

/// STUN and TURN servers for `RTCConfiguration.iceServers`. TURN credentials follow the TURN
/// REST API (coturn's `use-auth-secret`): the user name is `expiry:user-id`, the password the
/// base64 of its HMAC-SHA1 under the relay's shared secret; they stop working at `expires_at`.
#[utoipa::path(get, path = "/api/v1/calls/ice-servers", tag = "calls",
    responses((status = 200, body = IceServers), (status = 401, body = ApiError)))]
pub async fn ice_servers(
    State(state): State<AppState>,
    session: Session,
) -> AppResult<Json<IceServers>> {
    let config = &state.config;
    let expires_ms = now_ms() + config.turn_ttl_secs.max(60) * 1000;
    let mut servers = Vec::new();
    if !config.stun_urls.is_empty() {
        servers.push(IceServer {
            urls: config.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if !config.turn_urls.is_empty() && !config.turn_secret.is_empty() {
        let username = format!("{}:{}", expires_ms / 1000, session.user_id);
        let mut mac = HmacSha1::new_from_slice(config.turn_secret.as_bytes())
            .map_err(|e| AppError::failed("keying the TURN credential", e))?;
        mac.update(username.as_bytes());
        let credential =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        servers.push(IceServer {
            urls: config.turn_urls.clone(),
            username: Some(username),
            credential: Some(credential),
        });
    }
    Ok(Json(IceServers {
        ice_servers: servers,
        ice_transport_policy: if config.turn_only && !config.turn_urls.is_empty() {
            "relay".into()
        } else {
            "all".into()
        },
        expires_at: from_ms(expires_ms),
    }))
}
