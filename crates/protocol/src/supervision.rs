//! What the people who run the desk set for everyone: red-flag rules and the desk's settings
//! (assignment policy, SLA thresholds).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::UnknownValue;

wire_enum!(
    /// The language a rule is written for (shown to admins; matching does not depend on it).
    RuleLanguage { Ru = "ru", Zh = "zh", En = "en" }
);

wire_enum!(
    /// Who gets a consultation that arrives in the queue: nobody until an operator takes it
    /// (`manual`), the next online operator with spare capacity in turn (`round_robin`), or the
    /// online operator with the fewest active consultations (`least_loaded`).
    AssignmentPolicy { Manual = "manual", RoundRobin = "round_robin", LeastLoaded = "least_loaded" }
);

/// A phrase in a client's message that raises the consultation to `urgent` and alerts every
/// online operator. How phrases match: docs/red-flags.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedFlagRule {
    pub id: Uuid,
    /// Whole words; a word ending in `*` matches any word beginning with it; Chinese
    /// characters match in a row.
    pub phrase: String,
    /// Phrases that cancel a match they cover ("中风" unless "中风险").
    pub unless: Vec<String>,
    pub language: RuleLanguage,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A new rule, or a rule's new state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedFlagRuleRequest {
    pub phrase: String,
    #[serde(default)]
    pub unless: Vec<String>,
    pub language: RuleLanguage,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Which rule fires on a text, without changing anything (the admin screen's "try it").
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedFlagTestRequest {
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedFlagTestResponse {
    /// The phrase of the first enabled rule that fires, if any.
    pub fired: Option<String>,
}

/// Limits past which an item is late; `None` turns that alert off. Minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlaThresholds {
    /// A consultation waiting in the queue.
    pub queue_wait_minutes: Option<i64>,
    /// From the take to the first answer the client can see.
    pub first_response_minutes: Option<i64>,
    /// A client's message in an active chat with no operator answer after it.
    pub unanswered_minutes: Option<i64>,
    /// An `asap` callback request without a first attempt.
    pub callback_asap_minutes: Option<i64>,
}

impl Default for SlaThresholds {
    fn default() -> Self {
        SlaThresholds {
            queue_wait_minutes: Some(5),
            first_response_minutes: Some(3),
            unanswered_minutes: Some(10),
            callback_asap_minutes: Some(15),
        }
    }
}

/// The desk's settings, set by an admin, the same for every desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeskSettings {
    pub assignment: AssignmentPolicy,
    pub sla: SlaThresholds,
    #[serde(default)]
    pub visits: VisitSettings,
}

impl Default for DeskSettings {
    fn default() -> Self {
        DeskSettings {
            assignment: AssignmentPolicy::Manual,
            sla: SlaThresholds::default(),
            visits: VisitSettings::default(),
        }
    }
}

/// Rules of booked visits, the same for every specialist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitSettings {
    /// A patient may cancel or move a visit until this many minutes before it starts (staff
    /// may at any time before it begins); 0 allows it until the start.
    pub cancel_before_minutes: u32,
}

impl Default for VisitSettings {
    fn default() -> Self {
        VisitSettings {
            cancel_before_minutes: 120,
        }
    }
}
