//! Clinical records: prescriptions (the doctor writes and submits, a pharmacist reviews, the
//! client reads an approved one) and refunds (the client or staff ask, an admin decides).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, Prescription, PrescriptionQuery, PrescriptionRequest, ReasonRequest, Refund,
    RefundQuery, RefundRequest,
};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::auth::{Admin, RemoteAddr, Session, Staff};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The consultation's doctor writes a prescription: a draft (it may be incomplete; the check
/// runs on submit).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/prescriptions", tag = "clinical",
    params(("id" = Uuid, Path)), request_body = PrescriptionRequest,
    responses((status = 201, body = Prescription), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_prescription(
    State(state): State<AppState>,
    Staff(session): Staff,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<PrescriptionRequest>,
) -> AppResult<(StatusCode, Json<Prescription>)> {
    let p = state
        .store
        .create_prescription(id, &req, session.actor(), addr.0.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Prescriptions: staff any (filtered); a pharmacist those submitted (`status=submitted` is the
/// review queue, oldest first); a client its own approved and cancelled ones.
#[utoipa::path(get, path = "/api/v1/prescriptions", tag = "clinical", params(PrescriptionQuery),
    responses((status = 200, body = Vec<Prescription>), (status = 422, body = ApiError)))]
pub async fn list_prescriptions(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<PrescriptionQuery>,
) -> AppResult<Json<Vec<Prescription>>> {
    Ok(Json(state.store.prescriptions(&q, session.actor()).await?))
}

#[utoipa::path(get, path = "/api/v1/prescriptions/{id}", tag = "clinical", params(("id" = Uuid, Path)),
    responses((status = 200, body = Prescription), (status = 404, body = ApiError)))]
pub async fn get_prescription(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Prescription>> {
    Ok(Json(state.store.prescription(id, session.actor()).await?))
}

/// The doctor revises a draft or a rejected prescription.
#[utoipa::path(patch, path = "/api/v1/prescriptions/{id}", tag = "clinical", params(("id" = Uuid, Path)),
    request_body = PrescriptionRequest,
    responses((status = 200, body = Prescription), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_prescription(
    State(state): State<AppState>,
    Staff(session): Staff,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<PrescriptionRequest>,
) -> AppResult<Json<Prescription>> {
    Ok(Json(
        state
            .store
            .update_prescription(id, &req, session.actor(), addr.0.as_deref())
            .await?,
    ))
}

/// The doctor submits it for review (after the check: items complete, no medication twice).
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/submit", tag = "clinical", params(("id" = Uuid, Path)),
    responses((status = 200, body = Prescription), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn submit_prescription(
    State(state): State<AppState>,
    Staff(session): Staff,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Prescription>> {
    Ok(Json(
        state
            .store
            .submit_prescription(id, session.actor(), addr.0.as_deref())
            .await?,
    ))
}

/// A pharmacist approves a submitted prescription.
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/approve", tag = "clinical", params(("id" = Uuid, Path)),
    request_body(content = Option<ReasonRequest>),
    responses((status = 200, body = Prescription), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn approve_prescription(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(req): OptionalJson<ReasonRequest>,
) -> AppResult<Json<Prescription>> {
    let reason = req.and_then(|r| r.reason);
    Ok(Json(
        state
            .store
            .review_prescription(
                id,
                true,
                reason.as_deref(),
                session.actor(),
                addr.0.as_deref(),
            )
            .await?,
    ))
}

/// A pharmacist rejects a submitted prescription, with a reason the doctor reads.
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/reject", tag = "clinical", params(("id" = Uuid, Path)),
    request_body = ReasonRequest,
    responses((status = 200, body = Prescription), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn reject_prescription(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> AppResult<Json<Prescription>> {
    Ok(Json(
        state
            .store
            .review_prescription(
                id,
                false,
                req.reason.as_deref(),
                session.actor(),
                addr.0.as_deref(),
            )
            .await?,
    ))
}

/// The doctor cancels an approved prescription, with a reason.
#[utoipa::path(post, path = "/api/v1/prescriptions/{id}/cancel", tag = "clinical", params(("id" = Uuid, Path)),
    request_body = ReasonRequest,
    responses((status = 200, body = Prescription), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn cancel_prescription(
    State(state): State<AppState>,
    Staff(session): Staff,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> AppResult<Json<Prescription>> {
    Ok(Json(
        state
            .store
            .cancel_prescription(
                id,
                req.reason.as_deref(),
                session.actor(),
                addr.0.as_deref(),
            )
            .await?,
    ))
}

/// The client of a consultation, or staff, asks for a refund of it (up to what is left of its
/// price, with a reason).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/refunds", tag = "clinical", params(("id" = Uuid, Path)),
    request_body = RefundRequest,
    responses((status = 201, body = Refund), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn request_refund(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> AppResult<(StatusCode, Json<Refund>)> {
    let r = state
        .store
        .request_refund(id, &req, session.actor(), &session.name, addr.0.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Refunds, newest first: staff any (filtered), a client its own.
#[utoipa::path(get, path = "/api/v1/refunds", tag = "clinical", params(RefundQuery),
    responses((status = 200, body = Vec<Refund>), (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn list_refunds(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<RefundQuery>,
) -> AppResult<Json<Vec<Refund>>> {
    Ok(Json(state.store.refunds(&q, session.actor()).await?))
}

/// An admin approves a requested refund.
#[utoipa::path(post, path = "/api/v1/refunds/{id}/approve", tag = "clinical", params(("id" = Uuid, Path)),
    request_body(content = Option<ReasonRequest>),
    responses((status = 200, body = Refund), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn approve_refund(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(req): OptionalJson<ReasonRequest>,
) -> AppResult<Json<Refund>> {
    let note = req.and_then(|r| r.reason);
    Ok(Json(
        state
            .store
            .decide_refund(
                id,
                true,
                note.as_deref(),
                session.actor(),
                addr.0.as_deref(),
            )
            .await?,
    ))
}

/// An admin rejects a requested refund, with a reason the client reads.
#[utoipa::path(post, path = "/api/v1/refunds/{id}/reject", tag = "clinical", params(("id" = Uuid, Path)),
    request_body = ReasonRequest,
    responses((status = 200, body = Refund), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn reject_refund(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> AppResult<Json<Refund>> {
    Ok(Json(
        state
            .store
            .decide_refund(
                id,
                false,
                req.reason.as_deref(),
                session.actor(),
                addr.0.as_deref(),
            )
            .await?,
    ))
}

/// Whether a pharmacist may read this consultation (and its messages): a prescription of it
/// was submitted. Anyone else passes (their own rules follow in the handler).
pub(crate) async fn pharmacist_may_read(
    state: &AppState,
    session: &Session,
    consultation: Uuid,
) -> AppResult<()> {
    if session.role == careline_protocol::Role::Pharmacist
        && !state.store.behind_a_prescription(consultation).await?
    {
        return Err(AppError::not_found("consultation"));
    }
    Ok(())
}
