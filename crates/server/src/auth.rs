//! The `Session` extractor: who calls, from the bearer token (looked up through the store's
//! briefly cached sessions), and what they may do; the caller's address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use careline_protocol::{ErrorCode, Role};
use uuid::Uuid;

use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::passwords::token_hash;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    pub token_hash: String,
    /// A call page's session may touch this one call and nothing else.
    pub call: Option<Uuid>,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.user_id,
            role: self.role,
        }
    }

    pub fn require_staff(&self) -> AppResult<()> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for operators"))
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for admins"))
        }
    }

    pub fn require_client(&self) -> AppResult<()> {
        if self.role == Role::Client {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for clients"))
        }
    }

    /// `value` as this caller may see it: a client without the fields staff wrote about them.
    pub fn shown<T: careline_protocol::ForClient>(&self, value: T) -> T {
        if self.role.is_staff() {
            value
        } else {
            value.for_client()
        }
    }

    pub fn viewer(&self) -> crate::store::events::Viewer {
        use crate::store::events::Viewer;
        match self.role {
            Role::Operator | Role::Admin => Viewer::Staff,
            Role::Pharmacist => Viewer::Pharmacy,
            Role::Client => Viewer::Client(self.user_id),
        }
    }

    /// Looks a token up. A patient's session is short (`client_token_ttl_hours`) and renewed
    /// while in use: a use more than an hour after it was issued or last renewed moves its
    /// expiry to a full lifetime from now.
    pub async fn from_token(state: &AppState, token: &str) -> AppResult<Session> {
        let hash = token_hash(token);
        match state.store.session(&hash).await? {
            Some(s) => {
                let ttl = state.config.client_token_ttl_hours * 3600 * 1000;
                let now = crate::time::now_ms();
                if s.role == Role::Client && s.expires_ms < now + ttl - RENEW_AFTER_MS {
                    state.store.renew_token(&hash, &s, now + ttl).await?;
                }
                Ok(Session {
                    user_id: s.user_id,
                    role: s.role,
                    name: s.name,
                    token_hash: hash,
                    call: s.call,
                })
            }
            None => Err(AppError::refuse(
                ErrorCode::Unauthorized,
                "the token is unknown, expired or revoked",
            )),
        }
    }
}

/// A patient's session is renewed at most this often (a write per hour of use, not per request).
const RENEW_AFTER_MS: i64 = 3600 * 1000;

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_of(&parts.headers)
}

/// The bearer token in these headers, if any.
pub fn bearer_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            AppError::refuse(
                ErrorCode::Unauthorized,
                "send Authorization: Bearer <token>",
            )
        })?;
        let session = Session::from_token(state, token).await?;
        if let Some(call) = session.call {
            if !call_scope_allows(&parts.method, parts.uri.path(), call) {
                return Err(AppError::forbidden(
                    "this session belongs to one call's page and may do nothing else",
                ));
            }
        }
        if session.role == Role::Pharmacist && !pharmacist_allows(&parts.method, parts.uri.path()) {
            return Err(AppError::forbidden(
                "a pharmacist reviews prescriptions and reads the consultations behind them, nothing else",
            ));
        }
        Ok(session)
    }
}

/// What a call page's session may request: its call, its hang-up, the ICE servers, the
/// WebSocket (signalling) and logging out. Everything else is refused before any handler runs.
fn call_scope_allows(method: &axum::http::Method, path: &str, call: Uuid) -> bool {
    use axum::http::Method;
    let own = format!("/api/v1/calls/{call}");
    match *method {
        Method::GET => path == own || path == "/api/v1/calls/ice-servers" || path == "/api/v1/ws",
        Method::POST => path == format!("{own}/hangup") || path == "/api/v1/auth/logout",
        _ => false,
    }
}

/// What a pharmacist's session may request: the prescriptions (read, approve, reject), the
/// consultations behind them and their messages (read; the handler checks a prescription of
/// the consultation was submitted), their own account, the event stream (prescriptions only)
/// and logging out. Everything else is refused before any handler runs: default deny, so an
/// endpoint added later is closed to pharmacists until it is named here.
fn pharmacist_allows(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    let parts: Vec<&str> = path
        .strip_prefix("/api/v1/")
        .unwrap_or("")
        .split('/')
        .collect();
    let id = |s: &str| Uuid::parse_str(s).is_ok();
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["prescriptions"]) => true,
        (Method::GET, ["prescriptions", p]) => id(p),
        (Method::POST, ["prescriptions", p, "approve" | "reject"]) => id(p),
        (Method::GET, ["consultations", c]) => id(c),
        (Method::GET, ["consultations", c, "messages"]) => id(c),
        (Method::GET, ["me"] | ["sync"] | ["snapshot"] | ["ws"] | ["sessions"]) => true,
        (Method::POST, ["auth", "logout"]) => true,
        _ => false,
    }
}

/// A staff session, checked before the request's body or query is read: someone who may not
/// call an endpoint hears 403 whatever they sent, not a 400 about a body nobody would read.
pub struct Staff(pub Session);

/// An administrator's session, checked before the body or query (see [`Staff`]).
pub struct Admin(pub Session);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        session.require_staff()?;
        Ok(Staff(session))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        session.require_admin()?;
        Ok(Admin(session))
    }
}

/// The peer's address, when the server runs with connection info.
#[derive(Debug, Clone)]
pub struct RemoteAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RemoteAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}
