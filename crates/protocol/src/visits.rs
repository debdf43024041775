//! Visits booked ahead: a specialist's schedule, the free slots it gives, and appointments.
//!
//! Times of day and dates in a schedule are the specialist's local ones (`"09:00"`,
//! `"2026-12-31"`) in the schedule's IANA time zone, so a clinic's hours stay put across daylight
//! saving changes; slots and appointments are instants (UTC) like every other time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{ConsultationKind, UnknownValue};

wire_enum!(
    /// `booked` → `waiting` (the patient is in the waiting room) → `in_call` → `done`;
    /// `booked` | `waiting` → `missed` (no call began), `cancelled` (either side, with a reason)
    /// or `declined` (the specialist refuses it, with a reason).
    AppointmentStatus {
        Booked = "booked",
        Waiting = "waiting",
        InCall = "in_call",
        Done = "done",
        Missed = "missed",
        Cancelled = "cancelled",
        Declined = "declined",
    }
);

/// Working hours on one weekday, local time: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WorkingHours {
    /// 1 = Monday … 7 = Sunday (ISO 8601).
    pub weekday: u8,
    /// `"HH:MM"`.
    pub from: String,
    /// `"HH:MM"`, after `from`; `"24:00"` is the end of the day.
    pub to: String,
}

/// A local time range of an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimeRange {
    pub from: String,
    pub to: String,
}

/// One day that differs from the week: its hours replace the weekday's; none is a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScheduleException {
    /// `"YYYY-MM-DD"`, local.
    pub date: String,
    #[serde(default)]
    pub hours: Vec<TimeRange>,
    /// Why (a holiday, a conference); shown to staff only.
    #[serde(default)]
    pub note: Option<String>,
}

/// How long one visit of each bookable kind lasts, in minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitLengths {
    pub phone: u32,
    pub video: u32,
}

impl Default for VisitLengths {
    fn default() -> Self {
        VisitLengths {
            phone: 15,
            video: 30,
        }
    }
}

impl VisitLengths {
    /// The length of a kind's visit; chat is not booked.
    pub fn of(&self, kind: ConsultationKind) -> Option<u32> {
        match kind {
            ConsultationKind::Phone => Some(self.phone),
            ConsultationKind::Video => Some(self.video),
            ConsultationKind::Chat => None,
        }
    }
}

/// A specialist's schedule: what they consult in and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Schedule {
    pub operator_id: Uuid,
    /// IANA time zone of the hours and dates below, e.g. `"Europe/Moscow"`.
    pub time_zone: String,
    /// E.g. `"therapist"`, `"paediatrician"`: words the clinic chooses, matched exactly.
    pub specialties: Vec<String>,
    /// Languages consulted in (BCP 47: `"ru"`, `"zh"`, `"en"`).
    pub languages: Vec<String>,
    pub weekly: Vec<WorkingHours>,
    pub exceptions: Vec<ScheduleException>,
    pub visit_minutes: VisitLengths,
    /// Whether patients may book this specialist (an admin may keep a schedule unpublished).
    pub bookable: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /api/v1/operators/{id}/schedule`: the whole schedule, replacing the last one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScheduleRequest {
    pub time_zone: String,
    #[serde(default)]
    pub specialties: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub weekly: Vec<WorkingHours>,
    #[serde(default)]
    pub exceptions: Vec<ScheduleException>,
    #[serde(default)]
    pub visit_minutes: Option<VisitLengths>,
    #[serde(default = "yes")]
    pub bookable: bool,
}

fn yes() -> bool {
    true
}

/// A free time a visit of `kind` can be booked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Slot {
    pub operator_id: Uuid,
    pub kind: ConsultationKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// `GET /api/v1/slots`: free slots of bookable specialists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// `phone` or `video`.
    pub kind: ConsultationKind,
    /// Only specialists with this specialty.
    pub specialty: Option<String>,
    /// Only this specialist.
    pub operator_id: Option<Uuid>,
    /// Only specialists consulting in this language.
    pub language: Option<String>,
    /// Default: now.
    pub from: Option<DateTime<Utc>>,
    /// Default: 7 days after `from`; at most 62 days after it.
    pub to: Option<DateTime<Utc>>,
}

/// A bookable specialist as a patient sees them (the booking page's list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Specialist {
    pub operator_id: Uuid,
    pub name: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub visit_minutes: VisitLengths,
}

/// A booked visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Appointment {
    pub id: Uuid,
    pub client_id: Uuid,
    pub operator_id: Uuid,
    /// The consultation that carries the visit in the client's thread.
    pub consultation_id: Uuid,
    pub kind: ConsultationKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub status: AppointmentStatus,
    /// Why it was cancelled or declined.
    pub status_reason: Option<String>,
    /// Who booked it (the client, or a member of staff for them).
    pub booked_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/appointments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BookRequest {
    /// The specialist.
    pub operator_id: Uuid,
    /// `phone` or `video`.
    pub kind: ConsultationKind,
    /// One of the specialist's free slots' start.
    pub starts_at: DateTime<Utc>,
    /// For staff booking for a caller; a client books for itself and leaves it out.
    #[serde(default)]
    pub client_id: Option<Uuid>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/appointments/{id}/reschedule`: another free slot of the same specialist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RescheduleRequest {
    pub starts_at: DateTime<Utc>,
}

/// `POST /api/v1/appointments/{id}/cancel` and `/decline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReasonRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `GET /api/v1/appointments`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// Starting at or after (default: the start of today, UTC).
    pub from: Option<DateTime<Utc>>,
    /// Starting before (default: 7 days after `from`; at most 92 days after it).
    pub to: Option<DateTime<Utc>>,
    /// One specialist's agenda.
    pub operator_id: Option<Uuid>,
    /// One client's visits (staff).
    pub client_id: Option<Uuid>,
    /// Only these statuses, comma-separated.
    pub status: Option<String>,
}
