//! The core's errors, by what happened: the server refused (with its code), the server could
//! not be reached, the server answered something the core does not understand, the session is
//! over, the cache is closed or its data is not valid, a local file failed. Callers branch on
//! the variant (the outbox moves on after an unexpected answer but waits out an outage); the
//! window gets an [`ErrorCode`]-typed [`UiError`] from each.

use careline_protocol::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The server said no, with a stable code.
    #[error("the server refused: {0}")]
    Refused(ApiError),
    /// The network: no connection, a timeout, a dropped connection.
    #[error("the server cannot be reached")]
    Unreachable(#[source] reqwest::Error),
    /// A gateway in front of the server answered that the server is down (HTTP 502–504
    /// without the API's error body): an outage like no network at all.
    #[error("the server is not answering behind its gateway (HTTP {status})")]
    Unavailable { status: u16 },
    /// The live connection (WebSocket) could not be opened.
    #[error("the live connection could not be opened: {0}")]
    LiveConnect(String),
    /// The server answered, but not as the API says: a body that does not decode, an error
    /// that is not the API's JSON (a proxy's page, a server of another version).
    #[error("the server answered something unexpected (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
    /// There is no session (nobody is logged in, or the server ended it).
    #[error("not logged in")]
    NotLoggedIn,
    /// The cache was closed (logout): nothing reads or writes it any more.
    #[error("the cache is closed")]
    Closed,
    #[error("cache database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cache database error: {0}")]
    Native(#[source] rusqlite::Error),
    #[error("cache migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The cache's key is in the OS keychain, which does not answer (locked, or not running).
    #[error("the local cache's key is in the system keychain, which is locked or not answering: unlock it and try again")]
    KeyUnavailable,
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data (the cache's JSON, a downloaded file) is not what it should be.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type CoreResult<T> = Result<T, CoreError>;

impl From<rusqlite::Error> for CoreError {
    fn from(e: rusqlite::Error) -> Self {
        CoreError::Native(e)
    }
}

/// What went wrong on the desk's side (the server's refusals keep the server's [`ErrorCode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LocalCode {
    /// The server cannot be reached; what was asked waits in the outbox or shows from the cache.
    Offline,
    /// The server answered something the desk does not understand.
    UnexpectedAnswer,
    /// Nobody is logged in (or the server ended the session).
    NotLoggedIn,
    /// The cache is closed or its data is not valid.
    Cache,
    /// A local file could not be read or opened.
    File,
    /// The cache's key is in the system keychain, which is locked or not answering.
    KeyUnavailable,
    /// A patient's file was not opened: its name's extension is not a safe one for its media
    /// type (`анализы.pdf.exe`); it was saved, under a name no program runs, where the message
    /// says.
    FileNotOpened,
}

/// An error's code as the window branches on it: the server's, or the desk's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum UiCode {
    Server(ErrorCode),
    Local(LocalCode),
}

/// An error as the window shows it: the code picks the sentence in the interface's language;
/// `message` (English, from the server or the core) is the detail under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UiError {
    pub code: UiCode,
    pub message: String,
}

impl UiError {
    pub fn local(code: LocalCode, message: impl Into<String>) -> UiError {
        UiError {
            code: UiCode::Local(code),
            message: message.into(),
        }
    }
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> UiError {
        let code = match &e {
            CoreError::Refused(api) => {
                return UiError {
                    code: UiCode::Server(api.code),
                    message: api.message.clone(),
                }
            }
            CoreError::Unreachable(_)
            | CoreError::Unavailable { .. }
            | CoreError::LiveConnect(_) => LocalCode::Offline,
            CoreError::Unexpected { .. } => LocalCode::UnexpectedAnswer,
            CoreError::NotLoggedIn => LocalCode::NotLoggedIn,
            CoreError::Closed
            | CoreError::Db(_)
            | CoreError::Native(_)
            | CoreError::Migrate(_)
            | CoreError::Corrupt(_) => LocalCode::Cache,
            CoreError::Io(_) => LocalCode::File,
            CoreError::KeyUnavailable => LocalCode::KeyUnavailable,
        };
        UiError::local(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_their_kind() {
        let refused = CoreError::Refused(ApiError {
            code: ErrorCode::AlreadyTaken,
            message: "taken by someone else".into(),
        });
        assert_eq!(
            serde_json::to_value(UiError::from(refused)).unwrap()["code"],
            "already_taken"
        );
        let unexpected = CoreError::Unexpected {
            status: 502,
            detail: "<html>Bad gateway</html>".into(),
        };
        let ui = UiError::from(unexpected);
        assert_eq!(ui.code, UiCode::Local(LocalCode::UnexpectedAnswer));
        assert!(
            ui.message.contains("Bad gateway"),
            "the cause stays as the detail"
        );
        assert_eq!(
            UiError::from(CoreError::Closed).code,
            UiCode::Local(LocalCode::Cache)
        );
        assert_eq!(
            UiError::from(CoreError::LiveConnect("refused".into())).code,
            UiCode::Local(LocalCode::Offline)
        );
        assert_eq!(
            serde_json::to_value(UiError::from(CoreError::NotLoggedIn)).unwrap()["code"],
            "not_logged_in"
        );
    }
}
