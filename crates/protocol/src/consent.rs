//! Consents: texts admins keep (processing of health data, video calls, contact by SMS or
//! messenger), versioned, each required or optional, in three languages; a client's acceptances
//! and withdrawals, kept for ever with the version, the time and the channel. A booking or a call
//! that needs a consent is refused without it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::UnknownValue;

wire_enum!(
    /// What a consent is needed for: without it, the server refuses that.
    ConsentPurpose { Booking = "booking", Call = "call" }
);

wire_enum!(
    /// How a client's answer reached the clinic: the web page, or by phone (recorded by staff).
    ConsentChannel { Web = "web", Phone = "phone" }
);

wire_enum!(
    /// What the client said.
    ConsentAction { Accept = "accept", Withdraw = "withdraw" }
);

wire_enum!(
    /// Where a client stands with a consent: `accepted` (its current version), `withdrawn`,
    /// `outdated` (an earlier version accepted: asked again), `never`.
    ConsentState { Accepted = "accepted", Withdrawn = "withdrawn", Outdated = "outdated", Never = "never" }
);

/// A text in the interface's three languages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Localized {
    pub ru: String,
    pub zh: String,
    pub en: String,
}

/// A consent text as it stands (its current version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Consent {
    pub id: Uuid,
    /// A short name that stays across versions (`health_data`, `video_calls`, `sms`).
    pub key: String,
    /// 1 for the first text; every edit of the title or text makes the next.
    pub version: i64,
    pub required: bool,
    pub needed_for: Vec<ConsentPurpose>,
    pub title: Localized,
    pub text: Localized,
    /// An inactive text is not asked for and gates nothing.
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/consents` and `PUT /api/v1/consents/{id}` (admins). A changed title or text
/// makes a new version (clients are asked again); `required`, `needed_for` and `active` change
/// the current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentRequest {
    pub key: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub needed_for: Vec<ConsentPurpose>,
    pub title: Localized,
    pub text: Localized,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/consents/{id}/accept` and `/withdraw`: the version the client read. A client
/// answers for itself from the page; staff record an answer given by phone (`client_id`, and a
/// note such as the call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentAnswer {
    pub version: i64,
    #[serde(default)]
    pub client_id: Option<Uuid>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A consent given at registration: the text's id and the version shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentGiven {
    pub id: Uuid,
    pub version: i64,
}

/// One answer, kept for ever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentRecord {
    pub id: Uuid,
    pub client_id: Uuid,
    pub consent_id: Uuid,
    pub version: i64,
    pub action: ConsentAction,
    pub channel: ConsentChannel,
    /// Who recorded an answer given by phone.
    pub recorded_by: Option<Uuid>,
    pub recorded_by_name: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// `GET /api/v1/clients/{id}/consents`: each active text, where the client stands with it, and
/// every answer they gave to it, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientConsent {
    pub consent: Consent,
    pub state: ConsentState,
    pub history: Vec<ConsentRecord>,
}
