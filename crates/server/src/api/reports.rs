//! Reports for admins and integrators (JSON, or CSV with `?format=csv`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use careline_protocol::{
    ApiError, BillingReport, CallbackReport, ConsultationReport, OperatorReport, ReportFormat,
    ReportItems, ReportItemsQuery, ReportQuery, Role,
};

use super::PeriodQuery;
use crate::auth::{Admin, RemoteAddr, Session};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::reports::csv::{
    billing_report_csv, callback_report_csv, consultation_report_csv, items_csv,
    operator_report_csv,
};

/// Consultations over a period: arrivals, takes, closings, abandoned ones, time to take, first
/// response and resolution (median and p90), ratings — per hour, day or week of the reader's
/// time zone, and for the whole period (admins; an operator, their own figures with
/// `operator_id` = their id). docs/reports.md.
#[utoipa::path(get, path = "/api/v1/reports/consultations", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The report; `?format=csv`: one row per bucket, then the total",
            content((ConsultationReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn consultations(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    PeriodQuery(q): PeriodQuery<ReportQuery>,
) -> AppResult<Response> {
    allowed(&session, q.operator_id)?;
    let report = state.store.consultation_report(&q).await?;
    opened(&state, &session, &addr, "consultations", q.format).await?;
    Ok(answer(q.format, &report, consultation_report_csv))
}

/// Reports are for admins; an operator sees their own figures (`operator_id` = their id).
fn allowed(session: &Session, operator_id: Option<uuid::Uuid>) -> AppResult<()> {
    if session.role != Role::Admin
        && (!session.role.is_staff() || operator_id != Some(session.user_id))
    {
        return Err(AppError::forbidden(
            "reports are for admins; an operator sees their own figures (operator_id = their id)",
        ));
    }
    Ok(())
}

/// A row per operator: handled (closed), abandoned, first response and resolution medians,
/// ratings, load now, and time in each status within the period (admins; an operator, their
/// own row with `operator_id`). `group` and `tz_offset_minutes` are not used here.
#[utoipa::path(get, path = "/api/v1/reports/operators", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The report; `?format=csv`: one row per operator",
            content((OperatorReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn operators(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    PeriodQuery(q): PeriodQuery<ReportQuery>,
) -> AppResult<Response> {
    allowed(&session, q.operator_id)?;
    let report = state.store.operator_report(&q).await?;
    opened(&state, &session, &addr, "operators", q.format).await?;
    Ok(answer(q.format, &report, operator_report_csv))
}

/// The consultations behind a figure — created, first taken, first answered, closed, abandoned
/// in the period, or alive in it at all (`moment=any`: one row per consultation with all its
/// times, the CSV export) — with the report's filters and a heatmap cell's weekday and hour
/// (admins; an operator, their own with `operator_id`).
#[utoipa::path(get, path = "/api/v1/reports/consultations/items", tag = "reports", params(ReportItemsQuery),
    responses(
        (status = 200, description = "The consultations, oldest moment first; `?format=csv`: every one, a row each",
            content((ReportItems = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn items(
    State(state): State<AppState>,
    session: Session,
    addr: RemoteAddr,
    PeriodQuery(q): PeriodQuery<ReportItemsQuery>,
) -> AppResult<Response> {
    allowed(&session, q.operator_id)?;
    let items = state.store.report_items(&q).await?;
    opened(&state, &session, &addr, "consultation_items", q.format).await?;
    Ok(answer(q.format, &items, |i| items_csv(&i.items)))
}

/// Callback requests created in the period: time to the first attempt (median, p90), reached
/// on the first try, unanswered attempts, due-time hits, attempts per finished request, and
/// those overdue now (admins). `group` is not used here.
#[utoipa::path(get, path = "/api/v1/reports/callbacks", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The report; `?format=csv`: one row", content((CallbackReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn callbacks(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    PeriodQuery(q): PeriodQuery<ReportQuery>,
) -> AppResult<Response> {
    let report = state.store.callback_report(&q).await?;
    opened(&state, &session, &addr, "callbacks", q.format).await?;
    Ok(answer(q.format, &report, callback_report_csv))
}

/// Revenue of the consultations closed in the period after an answer, by tariff, kind and
/// operator, per currency (admins).
#[utoipa::path(get, path = "/api/v1/reports/billing", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The report; `?format=csv`: one row per group", content((BillingReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn billing(
    State(state): State<AppState>,
    Admin(session): Admin,
    addr: RemoteAddr,
    PeriodQuery(q): PeriodQuery<ReportQuery>,
) -> AppResult<Response> {
    let report = state.store.billing_report(&q).await?;
    opened(&state, &session, &addr, "billing", q.format).await?;
    Ok(answer(q.format, &report, billing_report_csv))
}

/// Who read which report, or exported it, is audited.
async fn opened(
    state: &AppState,
    session: &Session,
    addr: &RemoteAddr,
    which: &str,
    format: Option<ReportFormat>,
) -> AppResult<()> {
    let action = match format.unwrap_or_default() {
        ReportFormat::Json => "report.opened",
        ReportFormat::Csv => "report.exported",
    };
    state
        .store
        .audit(
            session.user_id,
            action,
            None,
            Some(which),
            addr.0.as_deref(),
        )
        .await
}

/// A report as asked: JSON, or CSV.
fn answer<R: serde::Serialize>(
    format: Option<ReportFormat>,
    report: &R,
    csv: fn(&R) -> String,
) -> Response {
    match format.unwrap_or_default() {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Csv => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv(report),
        )
            .into_response(),
    }
}
