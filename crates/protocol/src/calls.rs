//! Calls: audio or video between the operator and the client of a consultation. Media flows
//! between the two browsers (WebRTC), directly or through the TURN relay; the server keeps the
//! call's record and relays its signalling frames on the WebSocket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::UnknownValue;

wire_enum!(
    /// What a call carries: `audio`, or `video` (with audio).
    CallMedia { Audio = "audio", Video = "video" }
);

wire_enum!(
    /// `ringing` (the patient's page rings) → `active` (answered) → `ended`.
    CallState { Ringing = "ringing", Active = "active", Ended = "ended" }
);

wire_enum!(
    /// How a call ended: `completed` (answered, then hung up), `no_answer` (rang out),
    /// `declined` (the patient refused it), `cancelled` (the caller hung up while it rang),
    /// `failed` (the media could not connect, or the call was lost).
    CallEnd {
        Completed = "completed",
        NoAnswer = "no_answer",
        Declined = "declined",
        Cancelled = "cancelled",
        Failed = "failed",
    }
);

/// A call and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Call {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub client_id: Uuid,
    /// The operator who called.
    pub operator_id: Uuid,
    /// The booked visit the call is for, if any.
    pub appointment_id: Option<Uuid>,
    pub media: CallMedia,
    pub state: CallState,
    pub end: Option<CallEnd>,
    /// When it began to ring.
    pub rang_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Seconds from the answer to the end; 0 for a call never answered.
    pub duration_seconds: Option<i64>,
}

/// `POST /api/v1/consultations/{id}/calls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StartCallRequest {
    pub media: CallMedia,
}

/// `POST /api/v1/calls/{id}/hangup`: `failed` when the media could not connect or was lost;
/// otherwise left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HangupRequest {
    #[serde(default)]
    pub failed: bool,
}

/// `POST /api/v1/calls/{id}/link`: a one-time link to the call's page for the operator, to
/// open where WebRTC exists (the system browser, where the desk's web view has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallLink {
    /// `{public_url}/call/#{code}`; the code is in the fragment, so it never reaches a log.
    pub url: String,
    /// The code works once, until then.
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/calls/redeem`: the code of a one-time link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RedeemCallLink {
    pub code: String,
}

/// A session that may do nothing but this one call (read it, signal, hang up), and the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub call: Call,
    /// The other party's name, to show.
    pub client_name: String,
}

/// One STUN or TURN server, in the form of WebRTC's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /api/v1/calls/ice-servers`: what to put in `RTCConfiguration.iceServers`. TURN
/// credentials are the TURN REST API's (`expiry:user`, HMAC-SHA1 with the relay's shared
/// secret) and stop working at `expires_at`: fetch new ones before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
    /// `RTCConfiguration.iceTransportPolicy`: `relay` where the clinic routes every call through
    /// its relay (neither party learns the other's address), else `all`.
    pub ice_transport_policy: String,
    pub expires_at: DateTime<Utc>,
}

/// The `type` of a call's signalling frame on the WebSocket.
pub const SIGNAL_TYPES: [&str; 4] = ["call.offer", "call.answer", "call.ice", "call.hangup"];

/// The part of a signalling frame the server reads; the rest (`sdp`, `candidate`) is relayed
/// unchanged, with `from` (the sender's user id) added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignalHead {
    /// `call.offer`, `call.answer`, `call.ice` or `call.hangup`.
    #[serde(rename = "type")]
    pub kind: String,
    pub call_id: Uuid,
}
