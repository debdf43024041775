//! The Careline desktop core, without any GUI (no `tauri` dependency, by design): the local
//! SQLite cache of everything an operator may see ([`cache`]), the sync engine that keeps it
//! current ([`sync`], live: [`live`]), the offline outbox ([`outbox`]), the attachment store ([`files`]), full-text search in Russian, Chinese
//! and English ([`search`]), the notification policy ([`notify`]), and the typed client of the
//! server's API ([`remote`]). The desktop app and the `careline` CLI are both thin shells over
//! this crate.

pub(crate) mod apply;
pub mod cache;
pub mod desk;
pub mod files;
pub mod live;
pub mod notify;
pub mod outbox;
pub mod remote;
pub mod search;
pub mod session;
pub mod sync;
pub mod views;

pub use cache::Cache;
pub use remote::Remote;

/// Errors of the core. A refusal from the server keeps its code, so callers branch on it.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the server refused: {0}")]
    Refused(careline_protocol::ApiError),
    #[error("the server answered {status}")]
    Status { status: u16 },
    #[error("the server cannot be reached")]
    Unreachable(#[source] reqwest::Error),
    #[error("cache database error")]
    Db(#[from] sqlx::Error),
    #[error("cache database error")]
    Native(#[source] rusqlite::Error),
    #[error("cache migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

pub type CoreResult<T> = Result<T, CoreError>;
