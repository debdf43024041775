//! The Careline desktop core, without any GUI (no `tauri` dependency, by design): the local
//! SQLite cache of everything an operator may see ([`cache`]), the sync engine that keeps it
//! current ([`sync`], live: [`live`]), the offline outbox ([`outbox`]), the attachment store ([`files`]), full-text search in Russian, Chinese
//! and English ([`search`]), the notification policy ([`notify`]), and the typed client of the
//! server's API ([`remote`]). The desktop app and the `careline` CLI are both thin shells over
//! this crate.

pub(crate) mod apply;
pub mod cache;
pub mod desk;
pub mod error;
pub mod files;
pub(crate) mod keychain;
pub mod keys;
pub(crate) mod layout;
pub mod live;
pub mod notify;
pub mod outbox;
pub(crate) mod private;
pub mod remote;
pub(crate) mod sealed;
pub mod search;
pub mod session;
pub mod sla;
pub mod sync;
pub mod unlock;
pub mod views;

pub use cache::Cache;
pub use remote::Remote;
pub use unlock::{Cipher, Keying, Opened, PageHmac};

pub use error::{CoreError, CoreResult, LocalCode, UiCode, UiError};
