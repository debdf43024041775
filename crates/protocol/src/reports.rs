//! Reports for the people who run the desk (admins) and for integrators: what
//! `GET /api/v1/reports/…` takes and answers. Every figure's definition is in the README
//! ("Reports: what each figure means"); the server computes them from the consultations and
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
    /// The period's start (RFC 3339), inclusive.
    pub from: DateTime<Utc>,
    /// The period's end (RFC 3339), exclusive; at most 366 days after `from`.
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
}

/// `GET /api/v1/reports/operators`: a row per operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub operators: Vec<OperatorFigures>,
}
