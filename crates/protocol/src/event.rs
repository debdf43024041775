//! Events: every committed change, numbered by a server-wide strictly increasing `seq`.
//! An event carries the whole new state of the entity it is about, so applying it is an
//! upsert by id, and applying it twice is harmless.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Callback, Client, Consultation, Message, Operator, Role, Tariff};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub data: EventData,
}

/// What changed; `kind` names the entity, `data` is its new state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EventData {
    Consultation(Consultation),
    Message(Message),
    Callback(Callback),
    /// Staff only.
    Client(Client),
    /// Staff only.
    Operator(Operator),
    Read(ReadPosition),
    /// Staff only.
    Tariff(Tariff),
    /// Staff only: a client was erased (the right to erasure) — forget everything of them.
    Erased(Erasure),
    /// Staff only: the desk's settings (assignment policy, SLA thresholds) changed.
    Settings(crate::DeskSettings),
    /// Staff only: the team's quick replies, or one operator's own, changed.
    QuickReplies(crate::QuickRepliesChanged),
    /// Staff only: the server paused a webhook endpoint that kept failing.
    WebhookPaused(crate::WebhookPaused),
    /// A booked visit changed (the client sees its own).
    Appointment(crate::Appointment),
    /// A call rang, was answered or ended (the client sees its own).
    Call(crate::Call),
    /// A prescription was written, submitted, reviewed or cancelled (staff and pharmacists see
    /// it from submission; the client only once approved).
    Prescription(crate::Prescription),
    /// A refund was requested or decided (the client sees its own).
    Refund(crate::Refund),
}

/// Who was erased.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Erasure {
    pub client_id: Uuid,
}

impl EventData {
    /// The `kind` word of this event.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::Consultation(_) => "consultation",
            EventData::Message(_) => "message",
            EventData::Callback(_) => "callback",
            EventData::Client(_) => "client",
            EventData::Operator(_) => "operator",
            EventData::Read(_) => "read",
            EventData::Tariff(_) => "tariff",
            EventData::Erased(_) => "erased",
            EventData::Settings(_) => "settings",
            EventData::QuickReplies(_) => "quick_replies",
            EventData::WebhookPaused(_) => "webhook_paused",
            EventData::Appointment(_) => "appointment",
            EventData::Call(_) => "call",
            EventData::Prescription(_) => "prescription",
            EventData::Refund(_) => "refund",
        }
    }
}

/// A participant's read and delivery positions in a consultation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReadPosition {
    pub consultation_id: Uuid,
    pub client_id: Uuid,
    pub reader_id: Uuid,
    pub reader_role: Role,
    /// The seq of the last message read.
    pub seq: i64,
    /// The seq of the last message that reached the participant's device (never below `seq`:
    /// what was read was delivered).
    #[serde(default)]
    pub delivered_seq: i64,
}

/// `GET /api/v1/sync?since=SEQ&limit=N`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncResponse {
    pub events: Vec<Event>,
    /// Pass as `since` next time.
    pub next: i64,
    pub has_more: bool,
}

/// What a WebSocket client may send first: where to resume, and — from a client that cannot set
/// the Authorization header (a browser) — its token, which never rides in the URL (proxies log
/// request lines). A socket opened without the header must send it within 10 seconds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WsClientFrame {
    /// Replay the events after this seq, then go live.
    #[serde(default)]
    pub resume: Option<i64>,
    #[serde(default)]
    pub token: Option<String>,
}

/// Frames of the WebSocket that are not events (events have a `seq`, these a `control`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum WsControl {
    /// The replay is done; what follows is live. `seq` is the last event sent so far.
    Live { seq: i64 },
    /// The events after the requested seq are no longer kept: download the state again.
    ResyncRequired { message: String },
}
