//! The server's one error type. A refusal (the caller's mistake, or a transition the state
//! machine does not allow) is sent as `{code, message}` with its status; anything else is
//! logged with its cause chain and answered with a bare `internal` 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use careline_protocol::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Refused(ApiError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// Something failed while the server was doing `doing`; `source` is why (logged with its
    /// whole chain, never sent).
    #[error("{doing}")]
    Failed {
        doing: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A failure with no error behind it (a thread gone, a value out of range in the
    /// configuration): its words say all there is.
    #[error("{0}")]
    Other(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn refuse(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Refused(ApiError::new(code, message))
    }

    pub fn not_found(what: &str) -> Self {
        Self::refuse(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::refuse(ErrorCode::BadRequest, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::refuse(ErrorCode::ValidationFailed, message)
    }

    /// A failure while doing `doing`, keeping its cause.
    pub fn failed(
        doing: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        AppError::Failed {
            doing: doing.into(),
            source: Box::new(source),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::refuse(ErrorCode::Forbidden, message)
    }

    /// The code, if this is a refusal.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            AppError::Refused(e) => Some(e.code),
            _ => None,
        }
    }

    /// True for a unique-constraint violation from the database.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, AppError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError::Refused(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = match self {
            AppError::Refused(e) => e,
            other => {
                let mut chain = String::new();
                let mut source: Option<&dyn std::error::Error> = Some(&other);
                while let Some(e) = source {
                    if !chain.is_empty() {
                        chain.push_str(": ");
                    }
                    chain.push_str(&e.to_string());
                    source = e.source();
                }
                tracing::error!(error = %chain, "request failed");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        };
        let status = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}
