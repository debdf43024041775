//! What the list and sync endpoints take (query parameters) and what the paged ones answer
//! beyond [`crate::Page`]: the consultation list's items and the snapshot's pages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{Consultation, ConsultationKind, EventData, Priority};

/// Filters of the consultation list.
#[derive(Debug, Default, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationFilter {
    /// One or more statuses, comma-separated: `new,active`.
    pub status: Option<String>,
    pub operator_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub kind: Option<ConsultationKind>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Only those with messages the caller has not read.
    pub unread: Option<bool>,
    /// `asc` (oldest first, the queue's order) or `desc` (newest first, the default).
    pub order: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A consultation with the caller's unread count.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsultationItem {
    #[serde(flatten)]
    pub consultation: Consultation,
    /// Messages from the other side after the caller's read position.
    pub unread: i64,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientFilter {
    /// Text in name, phone, email or tags.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub vip: Option<bool>,
    pub blocked: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Filters of the callback list.
#[derive(Debug, Default, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackFilter {
    /// One or more statuses, comma-separated; default: all.
    pub status: Option<String>,
    pub operator_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// Text in phone or reason.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Paging of a message list.
#[derive(Debug, Default, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Messages with a seq above this one, oldest first.
    pub after_seq: Option<i64>,
    /// Messages with a seq below this one, newest first in the query but returned oldest
    /// first (for scrolling back).
    pub before_seq: Option<i64>,
    /// The client's whole thread across consultations instead of this consultation only.
    pub thread: Option<bool>,
    pub limit: Option<i64>,
}

/// One page of a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SnapshotPage {
    /// The log position this state is at least as new as (of the first page: keep that one).
    pub head: i64,
    pub items: Vec<EventData>,
    /// Pass back as `cursor`; none means the snapshot is complete.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// The last seq the caller has; 0 for everything.
    pub since: Option<i64>,
    /// At most this many events (default 500, at most 5000).
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    pub cursor: Option<String>,
    /// At most this many items (default 1000, at most 10000).
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Refused (`400`): a token in the URL is written into proxies' logs. Send it in the
    /// Authorization header, or in the first frame (`{"token": …, "resume": SEQ}`).
    pub token: Option<String>,
    /// Replay the events after this seq before going live (or send `{"resume": SEQ}` first).
    pub resume: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only records about this client, operator, consultation or rule.
    pub target_id: Option<Uuid>,
    /// Only what this operator (or admin) did.
    pub operator_id: Option<Uuid>,
    /// Only actions beginning with this (`consultation.` for every consultation action).
    pub action: Option<String>,
    /// Only records at or after this time, and before `to`.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    /// `json` (the default, a page) or `csv` (every matching record, newest first; at most
    /// 100,000).
    pub format: Option<crate::ReportFormat>,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the user knows it; paths are stripped.
    pub name: Option<String>,
}

/// `GET /api/v1/sessions`: whose sessions (an admin may name anyone; default: the caller).
#[derive(Debug, Default, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    pub user_id: Option<Uuid>,
}

/// A session (a login on one device), as its owner and admins see it; never its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    /// Names the session for `DELETE /api/v1/sessions/{id}` (derived from the token's hash).
    pub id: String,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session of this request.
    pub current: bool,
}
