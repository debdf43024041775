//! Booked visits: schedules, free slots, appointments and the waiting room's check-in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use careline_protocol::{
    ApiError, Appointment, AppointmentQuery, BookRequest, ReasonRequest, RescheduleRequest,
    Schedule, ScheduleRequest, Slot, SlotQuery, Specialist,
};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{RemoteAddr, Session};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A specialist's schedule: staff read anyone's (reception books by it).
#[utoipa::path(get, path = "/api/v1/operators/{id}/schedule", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = Schedule), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Schedule>> {
    session.require_staff()?;
    Ok(Json(state.store.schedule(id).await?))
}

/// Replaces a specialist's schedule: an admin anyone's, an operator their own.
#[utoipa::path(put, path = "/api/v1/operators/{id}/schedule", tag = "visits", params(("id" = Uuid, Path)),
    request_body = ScheduleRequest,
    responses((status = 200, body = Schedule), (status = 403, body = ApiError), (status = 422, body = ApiError), (status = 404, body = ApiError)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiPath(id): ApiPath<Uuid>,
    body: Result<ApiJson<ScheduleRequest>, AppError>,
) -> AppResult<Json<Schedule>> {
    // Who may, before what they sent is read.
    session.require_staff()?;
    if session.role != careline_protocol::Role::Admin && session.user_id != id {
        return Err(AppError::forbidden(
            "an operator edits their own schedule; an admin edits anyone's",
        ));
    }
    let ApiJson(req) = body?;
    Ok(Json(
        state
            .store
            .set_schedule(id, &req, session.actor(), addr.0.as_deref())
            .await?,
    ))
}

/// The specialists patients may book.
#[utoipa::path(get, path = "/api/v1/specialists", tag = "visits",
    responses((status = 200, body = Vec<Specialist>)))]
pub async fn specialists(
    State(state): State<AppState>,
    _session: Session,
) -> AppResult<Json<Vec<Specialist>>> {
    Ok(Json(state.store.specialists().await?))
}

/// Free slots, computed from the schedules minus the visits already booked.
#[utoipa::path(get, path = "/api/v1/slots", tag = "visits", params(SlotQuery),
    responses((status = 200, body = Vec<Slot>), (status = 422, body = ApiError)))]
pub async fn slots(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> AppResult<Json<Vec<Slot>>> {
    Ok(Json(state.store.free_slots(&q, session.actor()).await?))
}

/// Books a visit: a client for itself, staff for a client (`client_id`). `409 already_taken`
/// when someone booked that time first.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "visits", request_body = BookRequest,
    responses((status = 201, body = Appointment), (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn book(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    ApiJson(req): ApiJson<BookRequest>,
) -> AppResult<(StatusCode, Json<Appointment>)> {
    let a = state
        .store
        .book(&req, session.actor(), addr.0.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// Visits by start time: a client's own; staff anyone's (one specialist's agenda, one client's).
#[utoipa::path(get, path = "/api/v1/appointments", tag = "visits", params(AppointmentQuery),
    responses((status = 200, body = Vec<Appointment>), (status = 422, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(q): ApiQuery<AppointmentQuery>,
) -> AppResult<Json<Vec<Appointment>>> {
    Ok(Json(
        state.store.list_appointments(&q, session.actor()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Appointment>> {
    let a = state.store.get_appointment(id).await?;
    if !session.role.is_staff() && a.client_id != session.user_id {
        return Err(AppError::not_found("appointment"));
    }
    Ok(Json(a))
}

/// Cancels a visit that has not begun (a client until the cancellation window closes).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "visits", params(("id" = Uuid, Path)),
    request_body = ReasonRequest,
    responses((status = 200, body = Appointment), (status = 409, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> AppResult<Json<Appointment>> {
    Ok(Json(
        state
            .store
            .cancel_appointment(id, session.actor(), req.reason.as_deref())
            .await?,
    ))
}

/// The specialist (or an admin) declines a visit, with a reason; it is refunded in full.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/decline", tag = "visits", params(("id" = Uuid, Path)),
    request_body = ReasonRequest,
    responses((status = 200, body = Appointment), (status = 403, body = ApiError), (status = 409, body = ApiError), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn decline(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    body: Result<ApiJson<ReasonRequest>, AppError>,
) -> AppResult<Json<Appointment>> {
    session.require_staff()?;
    let ApiJson(req) = body?;
    let reason = req.reason.unwrap_or_default();
    Ok(Json(
        state
            .store
            .decline_appointment(id, session.actor(), &reason)
            .await?,
    ))
}

/// Moves a visit that has not begun to another free slot of its specialist.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", tag = "visits", params(("id" = Uuid, Path)),
    request_body = RescheduleRequest,
    responses((status = 200, body = Appointment), (status = 409, body = ApiError), (status = 422, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn reschedule(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> AppResult<Json<Appointment>> {
    Ok(Json(
        state
            .store
            .reschedule_appointment(id, session.actor(), req.starts_at)
            .await?,
    ))
}

/// The patient enters the waiting room (from 15 minutes before the start).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/check-in", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = Appointment), (status = 409, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn check_in(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Appointment>> {
    session.require_client()?;
    Ok(Json(state.store.check_in(id, session.actor()).await?))
}
