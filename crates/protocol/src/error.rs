//! Errors as they travel: `{ "code": "...", "message": "..." }` with a fitting HTTP status.
//! Consumers branch on `code`, never on `message`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed: bad JSON, wrong types, a bad query parameter.
    BadRequest,
    /// Well-formed, but a value is not acceptable (empty name, score out of range, ...).
    ValidationFailed,
    /// No token, an unknown one, an expired or revoked one.
    Unauthorized,
    /// Wrong login or password.
    InvalidCredentials,
    /// Authenticated, but this role may not do this.
    Forbidden,
    NotFound,
    /// The state machine refuses this transition from the current state.
    IllegalTransition,
    /// Someone else took the consultation or claimed the callback first.
    AlreadyTaken,
    /// The operator already has as many active consultations as their capacity.
    CapacityReached,
    /// Only the assigned operator (or an admin) may do this.
    NotAssigned,
    /// The login or phone is already registered.
    AlreadyExists,
    /// The consultation was already rated.
    AlreadyRated,
    /// A booking or a call needs a consent the client has not given (or withdrew, or gave to
    /// an earlier text): the message names it.
    ConsentRequired,
    /// The account is disabled or the client is blocked.
    AccountDisabled,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Too many attempts; retry later.
    RateLimited,
    /// The requested events are no longer kept: download the state again.
    ResyncRequired,
    /// Something failed on the server; details are in its log, never in the response.
    Internal,
}

impl ErrorCode {
    /// The server no longer accepts the session (it expired or was revoked, or the account was
    /// disabled): the desk stops, keeps what waits to be sent, and asks for a new login.
    pub fn ends_session(self) -> bool {
        matches!(self, ErrorCode::Unauthorized | ErrorCode::AccountDisabled)
    }

    /// The HTTP status this code is sent with.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest => 400,
            ValidationFailed => 422,
            Unauthorized | InvalidCredentials => 401,
            Forbidden | AccountDisabled => 403,
            NotFound => 404,
            IllegalTransition | AlreadyTaken | CapacityReached | NotAssigned | AlreadyExists
            | AlreadyRated | ConsentRequired => 409,
            ResyncRequired => 410,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited => 429,
            Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "bad_request",
            ValidationFailed => "validation_failed",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            Forbidden => "forbidden",
            NotFound => "not_found",
            IllegalTransition => "illegal_transition",
            AlreadyTaken => "already_taken",
            CapacityReached => "capacity_reached",
            NotAssigned => "not_assigned",
            AlreadyExists => "already_exists",
            AlreadyRated => "already_rated",
            ConsentRequired => "consent_required",
            AccountDisabled => "account_disabled",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            RateLimited => "rate_limited",
            ResyncRequired => "resync_required",
            Internal => "internal",
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::IllegalTransition,
            ErrorCode::AlreadyTaken,
            ErrorCode::ResyncRequired,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
