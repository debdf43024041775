//! Consultations, their messages and read positions, tariffs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, AssignRequest, CloseRequest, Consultation, CreateTariffRequest,
    InitiateConsultationRequest, InitiateConsultationResponse, Message, Page, RatingRequest,
    ReadPosition, ReadRequest, ReleaseRequest, SendMessageRequest, Tariff, TransferRequest,
    UpdateConsultationRequest,
};
use std::sync::atomic::Ordering;
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::auth::{Admin, RemoteAddr, Session, Staff};
use crate::domain::ConsultationAction;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use careline_protocol::{ConsultationFilter, ConsultationItem};
use careline_protocol::{MessageQuery, Role};

/// The consultation, if the caller may see it (a client only its own; a pharmacist one behind
/// a submitted prescription — the session's scope lets a pharmacist only read).
async fn visible(state: &AppState, session: &Session, id: Uuid) -> AppResult<Consultation> {
    let c = state.store.get_consultation(id).await?;
    match session.role {
        Role::Operator | Role::Admin => {}
        Role::Pharmacist => super::clinical::pharmacist_may_read(state, session, id).await?,
        Role::Client if c.client_id == session.user_id => {}
        Role::Client => return Err(AppError::not_found("consultation")),
    }
    Ok(c)
}

/// A client opens a consultation: its open one comes back (`created: false`) if it has one.
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultations", request_body = InitiateConsultationRequest,
    responses((status = 201, body = InitiateConsultationResponse), (status = 200, body = InitiateConsultationResponse), (status = 403, body = ApiError)))]
pub async fn initiate(
    State(state): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<InitiateConsultationRequest>,
) -> AppResult<(StatusCode, Json<InitiateConsultationResponse>)> {
    session.require_client()?;
    let (consultation, created) = state
        .store
        .initiate_consultation(
            session.user_id,
            req.kind,
            req.text.as_deref(),
            req.client_msg_id,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(session.shown(InitiateConsultationResponse {
            consultation,
            created,
        })),
    ))
}

/// Consultations with the caller's unread counts; a client sees its own.
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations", params(ConsultationFilter),
    responses((status = 200, body = Page<ConsultationItem>), (status = 400, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(f): ApiQuery<ConsultationFilter>,
) -> AppResult<Json<Page<ConsultationItem>>> {
    Ok(Json(
        session.shown(
            state
                .store
                .list_consultations(&f, session.user_id, session.role)
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Consultation), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Consultation>> {
    Ok(Json(session.shown(visible(&state, &session, id).await?)))
}

/// Tags and priority (staff).
#[utoipa::path(patch, path = "/api/v1/consultations/{id}", tag = "consultations", params(("id" = Uuid, Path)), request_body = UpdateConsultationRequest,
    responses((status = 200, body = Consultation), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<UpdateConsultationRequest>,
) -> AppResult<Json<Consultation>> {
    let c = state.store.update_consultation(id, &req).await?;
    let detail = [
        req.priority.map(|p| format!("priority={p}")),
        req.tags.as_ref().map(|t| format!("tags={}", t.join("|"))),
    ];
    audited(
        &state,
        &session,
        &addr,
        "consultation.update",
        id,
        detail.into_iter().flatten().collect::<Vec<_>>().join(" "),
    )
    .await?;
    Ok(Json(c))
}

/// Take a consultation from the queue. Of two operators taking it at once exactly one wins;
/// the other gets 409 `already_taken`.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/take", tag = "consultations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Consultation), (status = 409, body = ApiError)))]
pub async fn take(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Consultation>> {
    session.require_staff()?;
    let c = state
        .store
        .transition_consultation(id, session.actor(), ConsultationAction::Take, None, None)
        .await?;
    audited(
        &state,
        &session,
        &addr,
        "consultation.take",
        id,
        String::new(),
    )
    .await?;
    Ok(Json(c))
}

/// Transfer to another operator, with an optional note (kept as an internal system message).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/transfer", tag = "consultations", params(("id" = Uuid, Path)), request_body = TransferRequest,
    responses((status = 200, body = Consultation), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn transfer(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<TransferRequest>,
) -> AppResult<Json<Consultation>> {
    let c = state
        .store
        .assign_consultation(
            id,
            session.actor(),
            ConsultationAction::Transfer,
            req.operator_id,
            req.note.as_deref(),
            req.over_capacity,
        )
        .await?;
    audited(
        &state,
        &session,
        &addr,
        "consultation.transfer",
        id,
        receiver(req.operator_id, req.over_capacity),
    )
    .await?;
    Ok(Json(c))
}

/// Assign a queued consultation to an operator (admin): within the operator's capacity unless
/// `over_capacity`; recorded in the thread as an internal system note, and counted as its take.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/assign", tag = "consultations", params(("id" = Uuid, Path)), request_body = AssignRequest,
    responses((status = 200, body = Consultation), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn assign(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiPath(id): ApiPath<Uuid>,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<AssignRequest>,
) -> AppResult<Json<Consultation>> {
    let c = state
        .store
        .assign_consultation(
            id,
            session.actor(),
            ConsultationAction::Assign,
            req.operator_id,
            req.note.as_deref(),
            req.over_capacity,
        )
        .await?;
    audited(
        &state,
        &session,
        &addr,
        "consultation.assign",
        id,
        receiver(req.operator_id, req.over_capacity),
    )
    .await?;
    Ok(Json(c))
}

/// Hand back to the queue.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/release", tag = "consultations", params(("id" = Uuid, Path)), request_body(content = ReleaseRequest, description = "optional"),
    responses((status = 200, body = Consultation), (status = 409, body = ApiError)))]
pub async fn release(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    addr: RemoteAddr,
    OptionalJson(body): OptionalJson<ReleaseRequest>,
) -> AppResult<Json<Consultation>> {
    let note = body.and_then(|b| b.note);
    let c = state
        .store
        .transition_consultation(
            id,
            session.actor(),
            ConsultationAction::Release,
            None,
            note.as_deref(),
        )
        .await?;
    audited(
        &state,
        &session,
        &addr,
        "consultation.release",
        id,
        String::new(),
    )
    .await?;
    Ok(Json(c))
}

/// Close with an optional summary.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/close", tag = "consultations", params(("id" = Uuid, Path)), request_body(content = CloseRequest, description = "optional"),
    responses((status = 200, body = Consultation), (status = 409, body = ApiError)))]
pub async fn close(
    State(state): State<AppState>,
    Staff(session): Staff,
    ApiPath(id): ApiPath<Uuid>,
    addr: RemoteAddr,
    OptionalJson(body): OptionalJson<CloseRequest>,
) -> AppResult<Json<Consultation>> {
    let summary = body.and_then(|b| b.summary);
    let c = state
        .store
        .transition_consultation(
            id,
            session.actor(),
            ConsultationAction::Close,
            None,
            summary.as_deref(),
        )
        .await?;
    audited(
        &state,
        &session,
        &addr,
        "consultation.close",
        id,
        String::new(),
    )
    .await?;
    Ok(Json(session.shown(c)))
}

/// Every consultation action is audited: who, what, which, from where.
async fn audited(
    state: &AppState,
    session: &Session,
    addr: &RemoteAddr,
    action: &str,
    id: Uuid,
    detail: String,
) -> AppResult<()> {
    let detail = (!detail.is_empty()).then_some(detail);
    state
        .store
        .audit(
            session.user_id,
            action,
            Some(id),
            detail.as_deref(),
            addr.0.as_deref(),
        )
        .await
}

fn receiver(operator: Uuid, over_capacity: bool) -> String {
    if over_capacity {
        format!("to={operator} over_capacity")
    } else {
        format!("to={operator}")
    }
}

/// The client rates a closed consultation (once).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/rating", tag = "consultations", params(("id" = Uuid, Path)), request_body = RatingRequest,
    responses((status = 200, body = Consultation), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn rate(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> AppResult<Json<Consultation>> {
    session.require_client()?;
    Ok(Json(
        session.shown(
            state
                .store
                .rate_consultation(id, session.user_id, req.score, req.comment.as_deref())
                .await?,
        ),
    ))
}

/// Messages, paged by seq either way; `thread=true` gives the client's whole thread.
/// Internal notes are never returned to a client.
#[utoipa::path(get, path = "/api/v1/consultations/{id}/messages", tag = "messages", params(("id" = Uuid, Path), MessageQuery),
    responses((status = 200, body = Page<Message>), (status = 404, body = ApiError)))]
pub async fn list_messages(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> AppResult<Json<Page<Message>>> {
    let c = visible(&state, &session, id).await?;
    Ok(Json(state.store.list_messages(&c, session.role, &q).await?))
}

/// Send a message (idempotent on `client_msg_id`). A client's message to a closed
/// consultation starts a new one in the same thread; the answer names it.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/messages", tag = "messages", params(("id" = Uuid, Path)), request_body = SendMessageRequest,
    responses((status = 201, body = Message), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn send_message(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let msg = state.store.send_message(id, session.actor(), &req).await?;
    state
        .metrics
        .messages_stored
        .fetch_add(1, Ordering::Relaxed);
    Ok((StatusCode::CREATED, Json(msg)))
}

/// Move my read position forward.
#[utoipa::path(post, path = "/api/v1/consultations/{id}/read", tag = "messages", params(("id" = Uuid, Path)), request_body = ReadRequest,
    responses((status = 200, body = ReadPosition), (status = 404, body = ApiError)))]
pub async fn read(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReadRequest>,
) -> AppResult<Json<ReadPosition>> {
    let c = visible(&state, &session, id).await?;
    Ok(Json(
        state
            .store
            .mark_read(&c, session.user_id, session.role, req.seq)
            .await?,
    ))
}

/// Move my delivery position forward: my device has received the messages up to `seq`
/// (a client app calls it when operator messages arrive, so the operator sees "delivered").
#[utoipa::path(post, path = "/api/v1/consultations/{id}/delivered", tag = "messages", params(("id" = Uuid, Path)), request_body = ReadRequest,
    responses((status = 200, body = ReadPosition), (status = 404, body = ApiError)))]
pub async fn delivered(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReadRequest>,
) -> AppResult<Json<ReadPosition>> {
    let c = visible(&state, &session, id).await?;
    Ok(Json(
        state
            .store
            .mark_delivered(&c, session.user_id, session.role, req.seq)
            .await?,
    ))
}

/// Tariffs, the active one of each kind first.
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "consultations", responses((status = 200, body = Vec<Tariff>)))]
pub async fn list_tariffs(
    State(state): State<AppState>,
    _session: Session,
) -> AppResult<Json<Vec<Tariff>>> {
    Ok(Json(state.store.list_tariffs().await?))
}

/// A new tariff; it replaces the active one of its kind (admin).
#[utoipa::path(post, path = "/api/v1/tariffs", tag = "consultations", request_body = CreateTariffRequest,
    responses((status = 201, body = Tariff), (status = 403, body = ApiError)))]
pub async fn create_tariff(
    State(state): State<AppState>,
    Admin(session): Admin,
    ApiJson(req): ApiJson<CreateTariffRequest>,
) -> AppResult<(StatusCode, Json<Tariff>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_tariff(&req, session.user_id).await?),
    ))
}
