//! Webhooks: endpoints an admin registers, the events sent to them (signed in the Standard
//! Webhooks form), and the log of deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::UnknownValue;

macro_rules! event_types {
    ($($variant:ident = $text:literal: $doc:literal),+ $(,)?) => {
        /// What a webhook tells of; the `type` of its payload.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum WebhookEventType {
            $(#[doc = $doc] #[serde(rename = $text)] $variant),+
        }

        impl WebhookEventType {
            pub const ALL: &'static [WebhookEventType] = &[$(WebhookEventType::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(WebhookEventType::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for WebhookEventType {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(WebhookEventType::$variant),)+
                    other => Err(UnknownValue { kind: "WebhookEventType", value: other.to_owned() }),
                }
            }
        }
    };
}

event_types! {
    MessageUndelivered = "message.undelivered": "An operator's message the client's device has not confirmed in time: reach the patient another way (SMS, push).",
    ConsultationCreated = "consultation.created": "A client opened a consultation: it waits in the queue.",
    ConsultationTaken = "consultation.taken": "An operator took it (or it was assigned).",
    ConsultationTransferred = "consultation.transferred": "Given to another operator.",
    ConsultationReleased = "consultation.released": "Handed back to the queue.",
    ConsultationClosed = "consultation.closed": "Closed.",
    ConsultationRedFlag = "consultation.red_flag": "A client's message matched a red-flag rule: raised to urgent.",
    ConsultationSlaBreached = "consultation.sla_breached": "A consultation went past an SLA threshold of the desk's settings: waiting in the queue, or taken without a first answer (`data.sla`).",
    CallbackCreated = "callback.created": "A callback request was made.",
    CallbackClaimed = "callback.claimed": "An operator claimed a callback request.",
    CallbackDueSoon = "callback.due_soon": "A callback request falls due within the configured minutes and nobody has claimed it.",
    CallbackDone = "callback.done": "The client was reached.",
    CallbackFailed = "callback.failed": "Given up: wrong number, or no answer after the last allowed attempt.",
    RatingReceived = "rating.received": "A client rated a closed consultation.",
    AppointmentBooked = "appointment.booked": "A visit was booked (by the patient or by reception for them).",
    AppointmentRescheduled = "appointment.rescheduled": "A booked visit was moved to another time.",
    AppointmentCancelled = "appointment.cancelled": "A visit was cancelled (`data.appointment.status_reason` says why).",
    AppointmentDeclined = "appointment.declined": "The specialist declined the visit, with a reason; it is refunded in full. Tell the patient.",
    AppointmentCheckedIn = "appointment.checked_in": "The patient is in the waiting room.",
    AppointmentReminder = "appointment.reminder": "A visit starts in 5 minutes: remind the patient (SMS, push).",
    AppointmentMissedStart = "appointment.missed_start": "10 minutes after a visit's start no call has begun: the specialist and the supervisors are told.",
    AppointmentMissed = "appointment.missed": "A visit ended without a call: it is marked missed.",
    CallRinging = "call.ringing": "The operator called: the patient's page rings.",
    CallAnswered = "call.answered": "The patient answered the call.",
    CallEnded = "call.ended": "A call ended (`data.call.end`: completed, no_answer, declined, cancelled or failed; `duration_seconds`).",
    PrescriptionSubmitted = "prescription.submitted": "A doctor submitted a prescription for the pharmacist's review.",
    PrescriptionApproved = "prescription.approved": "A pharmacist approved a prescription: a pharmacy or an e-prescription gateway may dispense it.",
    PrescriptionRejected = "prescription.rejected": "A pharmacist rejected a prescription (`data.prescription.reason`); the doctor may revise it.",
    PrescriptionCancelled = "prescription.cancelled": "The doctor cancelled an approved prescription (`data.prescription.reason`): do not dispense it.",
    RefundRequested = "refund.requested": "A refund of a consultation was requested.",
    RefundDecided = "refund.decided": "An admin approved or rejected a refund (`data.refund.status`): tell the patient, pay it back.",
}

impl std::fmt::Display for WebhookEventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered endpoint. Its secret is shown once, when it is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    pub description: Option<String>,
    /// Off: nothing is sent (deliveries wait). Switched off by an admin, or by the server when
    /// the endpoint kept failing (`paused_reason` says why).
    pub enabled: bool,
    pub paused_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Deliveries waiting to be sent or retried, and those that failed for good.
    pub pending: i64,
    pub failed: i64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// `POST /api/v1/webhooks`: the endpoint and its signing secret (shown only here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_` + base64 of 32 random bytes: the key of the HMAC-SHA256 signatures.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateWebhookRequest {
    /// `https://…` (or `http://`); loopback, link-local and private addresses only when the
    /// server allows them (`webhook_allow_private`).
    pub url: String,
    /// At least one.
    pub events: Vec<WebhookEventType>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Every field optional. `enabled: true` resumes a paused endpoint (what waited is sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateWebhookRequest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<WebhookEventType>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

wire_enum!(
    /// `pending`: waiting for its (next) attempt; `delivered`: the endpoint answered 2xx;
    /// `failed`: given up after the retry window.
    DeliveryStatus { Pending = "pending", Delivered = "delivered", Failed = "failed" }
);

/// One event for one endpoint, with how its sending went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header: the same on every retry, so a receiver drops duplicates.
    pub id: String,
    pub endpoint_id: Uuid,
    pub event_type: WebhookEventType,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The HTTP status of the last attempt, if one came back.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body sent.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    /// 1 to 200; 50 by default.
    #[serde(default)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Staff only: the server paused an endpoint that kept failing (admins are told).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WebhookPaused {
    pub endpoint_id: Uuid,
    /// Scheme, host and path (never the query, which may carry a token).
    pub target: String,
    pub reason: String,
}
