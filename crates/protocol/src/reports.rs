//! Reports for the people who run the desk (admins) and for integrators: what
//! `GET /api/v1/reports/…` takes and answers. Every figure's definition is in
//! docs/reports.md; the server computes them from the consultations and
//! their history of steps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{ConsultationKind, Priority};

/// How a report's period is cut into rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReportGroup {
    Hour,
    #[default]
    Day,
    /// Weeks start on Monday.
    Week,
}

/// JSON (the default) or CSV, one row per bucket and a total.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
}

/// The period, its grouping and filters of a report.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The period's start (RFC 3339), inclusive; seven days before `to` when left out.
    #[param(required = false)]
    pub from: DateTime<Utc>,
    /// The period's end (RFC 3339), exclusive, at most 366 days after `from`; now when left out.
    #[param(required = false)]
    pub to: DateTime<Utc>,
    /// `hour`, `day` (the default) or `week`.
    pub group: Option<ReportGroup>,
    /// The reader's offset from UTC in minutes (Moscow: 180): days and weeks start at its
    /// midnight.
    pub tz_offset_minutes: Option<i32>,
    /// Only consultations this operator handled (the one holding it now, or when it closed).
    pub operator_id: Option<Uuid>,
    pub kind: Option<ConsultationKind>,
    pub priority: Option<Priority>,
    /// Only consultations with this tag (whole, any case).
    pub tag: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<ReportFormat>,
}

/// A duration's distribution over the consultations it was measured on.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DurationFigure {
    /// How many durations were measured.
    pub count: i64,
    /// Nearest-rank median, milliseconds (none when nothing was measured).
    pub median_ms: Option<i64>,
    /// Nearest-rank 90th percentile, milliseconds.
    pub p90_ms: Option<i64>,
}

/// The consultation figures of one bucket (or of the whole period).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsultationFigures {
    /// Consultations created.
    pub arrivals: i64,
    /// Consultations taken from the queue for the first time.
    pub taken: i64,
    /// Consultations closed.
    pub closed: i64,
    /// Closed without any operator message the client could see.
    pub abandoned: i64,
    /// From creation to the first take, of those taken.
    pub time_to_take: DurationFigure,
    /// From creation to the first operator message the client could see, of those answered.
    pub first_response: DurationFigure,
    /// From creation to closing, of those closed.
    pub resolution: DurationFigure,
    /// Closed consultations the client rated.
    pub rated: i64,
    /// The mean rating (1–5) of those.
    pub rating_average: Option<f64>,
    /// Of those taken, how many waited in the queue past the SLA's queue-wait threshold (as
    /// set now; none set: 0).
    #[serde(default)]
    pub sla_queue_wait_breaches: i64,
    /// Of those answered, how many got their first answer past the SLA's first-response
    /// threshold after the take.
    #[serde(default)]
    pub sla_first_response_breaches: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsultationBucket {
    /// The bucket's start (the reader's local midnight or hour, as UTC).
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: ConsultationFigures,
}

/// `GET /api/v1/reports/consultations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsultationReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub group: ReportGroup,
    pub buckets: Vec<ConsultationBucket>,
    pub total: ConsultationFigures,
    /// Arrivals by weekday (Monday first) and hour of the reader's day, over the whole
    /// period: 7 rows of 24, for staffing to follow demand.
    pub heatmap: Vec<Vec<i64>>,
}

/// Time in each status over a period, milliseconds.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusTimes {
    pub online: i64,
    pub away: i64,
    pub busy: i64,
    pub offline: i64,
}

/// One operator's row of `GET /api/v1/reports/operators`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorFigures {
    pub operator_id: Uuid,
    pub name: String,
    /// The consultation figures of those this operator holds (or closed).
    #[serde(flatten)]
    pub figures: ConsultationFigures,
    /// Active consultations now, and the most the operator takes.
    pub load: i64,
    pub capacity: i64,
    /// Time in each status within the period (up to now).
    pub status_ms: StatusTimes,
    /// The same, in each of the report's buckets (`OperatorReport::buckets`).
    #[serde(default)]
    pub status_by_bucket: Vec<StatusTimes>,
    /// The calls this operator made that rang in the period.
    #[serde(default)]
    pub calls: CallFigures,
}

/// Calls that rang in a period, by how they ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallFigures {
    pub calls: i64,
    /// Answered and hung up.
    pub completed: i64,
    /// Rang out, declined by the patient, or cancelled by the caller before an answer.
    pub unanswered: i64,
    /// The media could not connect, or the call was lost.
    pub failed: i64,
    /// Ringing or running now.
    pub live: i64,
    /// Seconds talked, over the completed and failed calls that were answered.
    pub talk_seconds: i64,
}

/// `GET /api/v1/reports/operators`: a row per operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The starts of the buckets (hours, days or weeks of the reader's time zone) that each
    /// operator's `status_by_bucket` follows.
    #[serde(default)]
    pub buckets: Vec<DateTime<Utc>>,
    pub operators: Vec<OperatorFigures>,
}

/// Which consultations a drill-down lists: those with this moment in the period (the same
/// moments the figures count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReportMoment {
    /// Created in the period (arrivals; the heatmap's cells).
    Arrived,
    /// First taken in the period.
    Taken,
    /// First answered in the period.
    Answered,
    /// Closed in the period.
    Closed,
    /// Closed in the period without any answer the client could see.
    Abandoned,
    /// Alive in the period at all: one row per consultation with all its times (the CSV export).
    Any,
}

/// `GET /api/v1/reports/consultations/items`: the report's filters, a moment, and a page.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[into_params(parameter_in = Query)]
pub struct ReportItemsQuery {
    /// As in the reports: seven days before `to` when left out.
    #[param(required = false)]
    pub from: DateTime<Utc>,
    /// Now when left out.
    #[param(required = false)]
    pub to: DateTime<Utc>,
    pub moment: ReportMoment,
    /// The reader's offset from UTC in minutes, for the CSV's local times.
    pub tz_offset_minutes: Option<i32>,
    pub operator_id: Option<Uuid>,
    pub kind: Option<ConsultationKind>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    /// Only those whose moment falls on this weekday (0 = Monday) and hour of the reader's day
    /// (a heatmap cell).
    pub weekday: Option<u8>,
    pub hour: Option<u8>,
    /// At most this many, oldest moment first (JSON: 1–1000, default 200; CSV: every one).
    pub limit: Option<i64>,
    pub format: Option<ReportFormat>,
}

/// One consultation behind a figure, with all its times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportItem {
    pub id: Uuid,
    pub client_id: Uuid,
    pub client_name: String,
    pub kind: ConsultationKind,
    pub priority: Priority,
    pub operator_id: Option<Uuid>,
    pub operator_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub first_taken_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub time_to_take_ms: Option<i64>,
    pub first_response_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    pub rating: Option<i64>,
    /// What the client wrote with the rating.
    #[serde(default)]
    pub rating_comment: Option<String>,
    pub price: i64,
    pub currency: String,
    pub red_flag: Option<String>,
}

/// The consultations behind a figure; `more`: the limit cut the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportItems {
    pub items: Vec<ReportItem>,
    pub more: bool,
}

/// Callback requests over a period (those created in it), docs/reports.md.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackFigures {
    /// Requests created.
    pub created: i64,
    /// Of those, with at least one call attempt.
    pub attempted: i64,
    /// From when the client wanted the call (asap: creation; scheduled: the window's start)
    /// to the first attempt.
    pub time_to_first_attempt: DurationFigure,
    /// Of those attempted, reached on the first attempt.
    pub reached_first_try: i64,
    /// Of every attempt on them, how many went unanswered (no answer or a busy line).
    pub attempts: i64,
    pub no_answer: i64,
    /// Of those attempted, the first attempt within its due time: asap within the SLA's
    /// threshold, scheduled within its window (its start to its end, or to the start + the
    /// threshold when no end was given).
    pub due_hits: i64,
    /// Of those finished (done or failed), attempts per request, on average.
    pub finished: i64,
    pub attempts_per_finished: Option<f64>,
    /// Open requests past their due time now (of any period).
    pub overdue_now: i64,
}

/// `GET /api/v1/reports/callbacks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: CallbackFigures,
}

/// Revenue of one (tariff, kind, operator, currency) group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingRow {
    pub tariff_id: Option<Uuid>,
    pub tariff_name: Option<String>,
    pub kind: ConsultationKind,
    pub operator_id: Option<Uuid>,
    pub operator_name: Option<String>,
    pub currency: String,
    /// Consultations billed: closed in the period after an answer the client could see.
    pub consultations: i64,
    /// Their prices (fixed when each was created), in minor units.
    pub revenue: i64,
    /// What was refunded of them (approved refunds), in minor units: the net is
    /// `revenue - refunded`.
    #[serde(default)]
    pub refunded: i64,
}

/// The period's revenue per currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingTotal {
    pub currency: String,
    pub consultations: i64,
    pub revenue: i64,
    #[serde(default)]
    pub refunded: i64,
}

/// `GET /api/v1/reports/billing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub rows: Vec<BillingRow>,
    pub totals: Vec<BillingTotal>,
}
