//! The Careline wire protocol: every type that crosses the network between the server, the
//! mobile apps, the desktop core and the UI.
//!
//! Terms:
//! - *thread*: all messages of one client across all of their consultations; a consultation
//!   is an episode in it.
//! - *seq*: the server-wide, strictly increasing sequence number of an [`Event`]. Messages carry
//!   the seq of the event that created them, so they are ordered by it too.
//! - *internal*: a message (note) that only staff may see; it never reaches a client.
//!
//! Ids are UUIDv7 (time-ordered); times are UTC, sent as RFC 3339. Money is in minor units
//! (kopecks, fen, cents) with an ISO 4217 currency code. Enums are sent as the lowercase words
//! of the specification.

pub mod error;
pub mod event;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod query;
pub mod reports;
pub mod staff_only;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use error::{ApiError, ErrorCode};
pub use event::{Erasure, Event, EventData, ReadPosition, SyncResponse, WsClientFrame, WsControl};
pub use query::{
    AuditQuery, CallbackFilter, ClientFilter, ConsultationFilter, ConsultationItem, MessageQuery,
    PageQuery, SessionInfo, SessionQuery, SnapshotPage, SnapshotQuery, SyncQuery, UploadQuery,
    WsQuery,
};
pub use reports::{
    BillingReport, BillingRow, BillingTotal, CallFigures, CallbackFigures, CallbackReport,
    ConsultationBucket, ConsultationFigures, ConsultationReport, DurationFigure, OperatorFigures,
    OperatorReport, ReportFormat, ReportGroup, ReportItem, ReportItems, ReportItemsQuery,
    ReportMoment, ReportQuery, StatusTimes,
};
pub use staff_only::ForClient;

/// Makes a new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue { kind: stringify!($name), value: other.to_owned() }),
                }
            }
        }
    };
}

/// A word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' is not a valid {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownValue {}

wire_enum!(
    /// Who a session belongs to.
    Role { Client = "client", Operator = "operator", Admin = "admin", Pharmacist = "pharmacist" }
);

impl Role {
    /// Operators and admins: the staff of the service. A pharmacist is not: they review
    /// prescriptions and read the consultations behind them, and nothing else.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Operator | Role::Admin)
    }

    /// Whoever signs in to the desk: staff and pharmacists.
    pub fn is_desk(self) -> bool {
        self != Role::Client
    }
}

wire_enum!(
    /// An operator's presence.
    Presence { Online = "online", Away = "away", Busy = "busy", Offline = "offline" }
);

wire_enum!(
    /// How a consultation is held.
    ConsultationKind { Chat = "chat", Phone = "phone", Video = "video" }
);

wire_enum!(
    /// `new` (in the queue) → `active` (taken) → `closed` (archive); a booked visit's
    /// consultation is `scheduled` (assigned to its specialist, in nobody's queue) until the
    /// visit opens (`active`) or is cancelled, declined or missed (`closed`).
    ConsultationStatus { New = "new", Active = "active", Closed = "closed", Scheduled = "scheduled" }
);

wire_enum!(
    Priority { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

wire_enum!(
    /// Who wrote a message.
    AuthorKind { Client = "client", Operator = "operator", System = "system" }
);

wire_enum!(
    MessageKind {
        Text = "text",
        Image = "image",
        File = "file",
        Audio = "audio",
        Video = "video",
        System = "system",
    }
);

wire_enum!(
    /// Where a client came from.
    ClientSource { App = "app", Qr = "qr", Phone = "phone", Web = "web" }
);

wire_enum!(
    /// `new` → `claimed` → `done` | `failed` | `cancelled`; a released or retried request goes
    /// back to `new`.
    CallbackStatus {
        New = "new",
        Claimed = "claimed",
        Done = "done",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

impl CallbackStatus {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallbackStatus::Done | CallbackStatus::Failed | CallbackStatus::Cancelled
        )
    }
}

wire_enum!(
    /// The outcome of one call attempt.
    AttemptOutcome {
        Reached = "reached",
        NoAnswer = "no_answer",
        Busy = "busy",
        WrongNumber = "wrong_number",
    }
);

// ---------------------------------------------------------------------------------------------
// Session

/// The identity behind a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginRequest {
    /// An operator's login, or a client's phone number.
    #[schema(max_length = 64)]
    pub login: String,
    #[schema(max_length = 256)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterRequest {
    pub name: String,
    pub phone: String,
    /// 8 to 64 characters.
    #[schema(min_length = 8, max_length = 64)]
    pub password: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub source: Option<ClientSource>,
    /// The code reception handed the patient (`POST /api/v1/clients/{id}/claim-code`): with it
    /// the registration takes over the record reception made for this phone. Without it, a
    /// phone the clinic already knows gets a new, separate account (staff are told of the
    /// possible duplicate) and nothing staff wrote is shown; a wrong or spent code is refused.
    #[serde(default)]
    pub claim_code: Option<String>,
    /// The consents accepted on the registration form (each required one, at its current
    /// version: `GET /api/v1/consents` lists them, no session needed).
    #[serde(default)]
    pub consents: Vec<ConsentGiven>,
}

/// A one-time code that lets a patient claim the record reception made for them: shown once,
/// to be handed to the patient (read out on the phone or printed), valid until used or
/// replaced by a newer one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClaimCode {
    pub client_id: Uuid,
    /// Eight letters and digits in two groups (`ABCD-EFGH`); case, spaces and dashes do not
    /// matter when it is typed.
    pub code: String,
}

/// `GET /api/v1/me`: the user, and the profile that goes with the role.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MeResponse {
    pub user: User,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub operator: Option<Operator>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client: Option<Client>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusRequest {
    pub status: Presence,
}

// ---------------------------------------------------------------------------------------------
// Operators

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Operator {
    pub id: Uuid,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    /// Maximum concurrent active consultations.
    pub capacity: i64,
    pub disabled: bool,
    pub status: Presence,
    pub last_seen: Option<DateTime<Utc>>,
    /// Active consultations assigned now (the load); filled in lists, not in events.
    #[serde(default)]
    pub active_count: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateOperatorRequest {
    pub login: String,
    pub password: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateOperatorRequest {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub department: Option<String>,
    pub capacity: Option<i64>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Clients

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Client {
    pub id: Uuid,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub gender: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    pub city: Option<String>,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub source: ClientSource,
    pub tags: Vec<String>,
    /// Private operator notes: never sent to the client.
    pub notes: Option<String>,
    pub vip: bool,
    pub blocked: bool,
    pub created_at: DateTime<Utc>,
    /// Allergies, as written ("пенициллин, орехи"): shown beside every chat with the client.
    #[serde(default)]
    pub allergies: Option<String>,
    /// Long-term medication, as written.
    #[serde(default)]
    pub medications: Option<String>,
}

/// Every field optional: only the given ones change. Clients may change their own personal
/// data; tags, notes, phone and source are staff-only, VIP and blocked admin-only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateClientRequest {
    pub name: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub city: Option<String>,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    pub vip: Option<bool>,
    pub blocked: Option<bool>,
    /// The client's phone (also their login), normalised; another client's is refused with
    /// `already_exists`.
    #[serde(default)]
    pub phone: Option<String>,
    /// Where the client came from.
    #[serde(default)]
    pub source: Option<ClientSource>,
    /// Allergies; the client may write their own. Empty clears.
    #[serde(default)]
    pub allergies: Option<String>,
    /// Long-term medication; the client may write their own. Empty clears.
    #[serde(default)]
    pub medications: Option<String>,
}

/// `POST /api/v1/clients`: reception records a client who walked in or phoned (staff only).
/// The record has no password: the first registration with this phone claims it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateClientRequest {
    /// The id the desk gave the record (so a callback request made offline can name it); the
    /// server makes one when left out. An id already in use is refused with `already_exists`.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub name: String,
    /// Normalised as at registration; a phone another client has is refused with
    /// `already_exists` naming that client.
    pub phone: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// `phone` when left out (reception's usual case).
    #[serde(default)]
    pub source: Option<ClientSource>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Keeps digits and a leading `+`; `None` unless 5 to 20 digits with only spaces, `-`, `(`,
/// `)` and `.` between them. The one rule for a phone on the server and the desk.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !trimmed.chars().all(allowed) || !(5..=20).contains(&digits.len()) {
        return None;
    }
    Some(if plus { format!("+{digits}") } else { digits })
}

// ---------------------------------------------------------------------------------------------
// Consultations and messages

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Consultation {
    pub id: Uuid,
    pub client_id: Uuid,
    pub kind: ConsultationKind,
    pub status: ConsultationStatus,
    pub operator_id: Option<Uuid>,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub tariff_id: Option<Uuid>,
    /// Fixed from the tariff when the consultation was created, in minor units.
    pub price: i64,
    pub currency: String,
    /// The first message.
    pub subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub taken_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    /// The red-flag phrase that last raised it to `urgent` (see [`RedFlagRule`]).
    #[serde(default)]
    pub red_flag: Option<String>,
    /// The client's own words that rule fired on, as written ("давит в груди" for the rule
    /// "дав* в груд*"): what the desk shows, and marks in the message.
    #[serde(default)]
    pub red_flag_words: Option<String>,
    /// The booked visit this consultation carries (see [`Appointment`]); none for one that
    /// began in the queue.
    #[serde(default)]
    pub appointment_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InitiateConsultationRequest {
    pub kind: ConsultationKind,
    #[serde(default)]
    pub text: Option<String>,
    /// Idempotency key of the first message, if `text` is given.
    #[serde(default)]
    pub client_msg_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InitiateConsultationResponse {
    pub consultation: Consultation,
    /// False when the client's open consultation was returned instead of a new one.
    pub created: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferRequest {
    pub operator_id: Uuid,
    #[serde(default)]
    pub note: Option<String>,
    /// Past the receiver's capacity (admins only).
    #[serde(default)]
    pub over_capacity: bool,
}

/// `POST /api/v1/consultations/{id}/assign`: an admin gives a queued consultation to an operator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssignRequest {
    pub operator_id: Uuid,
    #[serde(default)]
    pub note: Option<String>,
    /// Past the operator's capacity.
    #[serde(default)]
    pub over_capacity: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CloseRequest {
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReleaseRequest {
    #[serde(default)]
    pub note: Option<String>,
}

/// Tags and priority; only given fields change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UpdateConsultationRequest {
    pub priority: Option<Priority>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RatingRequest {
    /// 1 to 5.
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    pub id: Uuid,
    pub consultation_id: Uuid,
    /// The client whose thread this is.
    pub client_id: Uuid,
    pub author_kind: AuthorKind,
    /// The client or operator who wrote it; none for system messages.
    pub author_id: Option<Uuid>,
    pub kind: MessageKind,
    pub body: String,
    pub attachment: Option<Attachment>,
    pub client_msg_id: Option<Uuid>,
    pub internal: bool,
    pub created_at: DateTime<Utc>,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendMessageRequest {
    /// Made by the sender; sending the same one again stores nothing new.
    pub client_msg_id: Uuid,
    pub kind: MessageKind,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachment_id: Option<Uuid>,
    /// An operator's note that the client never sees.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReadRequest {
    /// Everything up to and including this message seq has been read (for `/read`) or has
    /// reached the device (for `/delivered`).
    pub seq: i64,
}

// ---------------------------------------------------------------------------------------------
// Attachments

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    pub id: Uuid,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
    /// An image's size (upright) and its thumbnail; none for other files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Box<ImageInfo>>,
}

/// An uploaded image: its size as shown (after its EXIF orientation) and its thumbnail, a JPEG
/// that fits 480 × 480, fetched from `GET /api/v1/attachments/{id}/thumbnail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    /// Hex SHA-256 of the thumbnail (content-addressed beside the original).
    pub thumb_sha256: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub thumb_size: i64,
}

// ---------------------------------------------------------------------------------------------
// Callback requests

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Callback {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub phone: String,
    /// Start of the preferred window; none means "as soon as possible".
    pub preferred_at: Option<DateTime<Utc>>,
    pub preferred_until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub status: CallbackStatus,
    pub operator_id: Option<Uuid>,
    /// When the request is due: the preferred time, or the next retry after `no_answer`.
    pub due_at: DateTime<Utc>,
    pub attempts: Vec<CallbackAttempt>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackAttempt {
    pub at: DateTime<Utc>,
    pub operator_id: Uuid,
    pub outcome: AttemptOutcome,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateCallbackRequest {
    /// The id the sender gave the request (a desk recording it offline); made by the server when
    /// left out. An id already in use is refused with `already_exists`.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub phone: String,
    #[serde(default)]
    pub preferred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub preferred_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Staff only: the client this request is for (clients always create their own).
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AttemptRequest {
    pub outcome: AttemptOutcome,
    #[serde(default)]
    pub note: Option<String>,
    /// Idempotency key made by the sender: the same key again records nothing new.
    #[serde(default)]
    pub key: Option<Uuid>,
}

// ---------------------------------------------------------------------------------------------
// Tariffs and audit

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tariff {
    pub id: Uuid,
    pub name: String,
    pub kind: ConsultationKind,
    pub price: i64,
    pub currency: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateTariffRequest {
    pub name: String,
    pub kind: ConsultationKind,
    pub price: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditRecord {
    pub id: Uuid,
    pub operator_id: Uuid,
    /// e.g. `client.viewed`, `operator.created`.
    pub action: String,
    pub target_id: Option<Uuid>,
    pub detail: Option<String>,
    pub remote_addr: Option<String>,
    pub at: DateTime<Utc>,
    /// Who did it, by name (an operator, or a client for what a client does); none when the
    /// account is gone.
    #[serde(default)]
    pub actor_name: Option<String>,
    /// What it was done to, by name: a client, an operator, a consultation's client, a tariff,
    /// a red-flag phrase; none for an erased client or a target without a name.
    #[serde(default)]
    pub target_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Lists

/// One page of a list. Pass `next_cursor` back as `cursor` for the next page; none means the end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The health answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub status: String,
    pub version: String,
    pub last_seq: i64,
}

// After `wire_enum!`, which it uses.
pub mod replies;
pub mod webhooks;
pub use replies::{check_quick_reply, QuickRepliesChanged, QuickReply, QuickReplyRequest};
pub use webhooks::{
    CreateWebhookRequest, DeliveryQuery, DeliveryStatus, UpdateWebhookRequest, WebhookCreated,
    WebhookDelivery, WebhookEndpoint, WebhookEventType, WebhookPaused,
};
pub mod calls;
pub use calls::{
    Call, CallEnd, CallLink, CallMedia, CallSession, CallState, HangupRequest, IceServer,
    IceServers, RedeemCallLink, SignalHead, StartCallRequest, SIGNAL_TYPES,
};
pub mod visits;
pub use visits::{
    Appointment, AppointmentQuery, AppointmentStatus, BookRequest, ReasonRequest,
    RescheduleRequest, Schedule, ScheduleException, ScheduleRequest, Slot, SlotQuery, Specialist,
    TimeRange, VisitLengths, WorkingHours,
};
pub mod clinical;
pub use clinical::{
    check_prescription, check_prescription_draft, Prescription, PrescriptionItem,
    PrescriptionProblem, PrescriptionProblemKind, PrescriptionQuery, PrescriptionRequest,
    PrescriptionStatus, Refund, RefundQuery, RefundRequest, RefundStatus,
};
pub mod consent;
pub use consent::{
    ClientConsent, Consent, ConsentAction, ConsentAnswer, ConsentChannel, ConsentGiven,
    ConsentPurpose, ConsentRecord, ConsentRequest, ConsentState, Localized,
};
pub mod supervision;
pub use supervision::{
    AssignmentPolicy, DeskSettings, RedFlagRule, RedFlagRuleRequest, RedFlagTestRequest,
    RedFlagTestResponse, RuleLanguage, SlaThresholds, VisitSettings,
};
