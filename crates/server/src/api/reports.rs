//! Reports for admins and integrators (JSON, or CSV with `?format=csv`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use careline_protocol::{ApiError, ConsultationReport, OperatorReport, ReportFormat, ReportQuery, Role};

use super::ApiQuery;
use crate::auth::Session;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::reports::{consultation_report_csv, operator_report_csv};

/// Consultations over a period: arrivals, takes, closings, abandoned ones, time to take, first
/// response and resolution (median and p90), ratings — per hour, day or week of the reader's
/// time zone, and for the whole period (admins; an operator, their own figures with
/// `operator_id` = their id). README "Reports: what each figure means".
#[utoipa::path(get, path = "/api/v1/reports/consultations", tag = "reports", params(ReportQuery),
    responses(
        (status = 200, description = "The report; `?format=csv`: one row per bucket, then the total",
            content((ConsultationReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ApiError), (status = 422, body = ApiError)))]
pub async fn consultations(State(state): State<AppState>, session: Session, ApiQuery(q): ApiQuery<ReportQuery>) -> AppResult<Response> {
    allowed(&session, &q)?;
    let report = state.store.consultation_report(&q).await?;
    Ok(answer(q.format, &report, consultation_report_csv))
}

/// Reports are for admins; an operator sees their own figures (`operator_id` = their id).
fn allowed(session: &Session, q: &ReportQuery) -> AppResult<()> {
    if session.role != Role::Admin && (!session.role.is_staff() || q.operator_id != Some(session.user_id)) {
        return Err(AppError::forbidden("reports are for admins; an operator sees their own figures (operator_id = their id)"));
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
pub async fn operators(State(state): State<AppState>, session: Session, ApiQuery(q): ApiQuery<ReportQuery>) -> AppResult<Response> {
    allowed(&session, &q)?;
    let report = state.store.operator_report(&q).await?;
    Ok(answer(q.format, &report, operator_report_csv))
}

/// A report as asked: JSON, or CSV.
fn answer<R: serde::Serialize>(format: Option<ReportFormat>, report: &R, csv: fn(&R) -> String) -> Response {
    match format.unwrap_or_default() {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Csv => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv(report)).into_response(),
    }
}
