//! The Careline desktop core, without any GUI (no `tauri` dependency, by design). Its one way
//! in is [`desk::Desk`]: a logged-in session over its local cache, with the background work a
//! desk needs; the desktop app and the `careline` CLI are both thin shells over it, and every
//! type they exchange with it is named in [`desk`].
//!
//! Behind it, the core's own modules: the local SQLite cache of everything an operator may see
//! (`cache`), the sync engine that keeps it current (`sync`, live: `live`), the offline outbox
//! (`outbox`), the attachment store (`files`), full-text search in Russian, Chinese and English
//! (`search`), the notification policy (`notify`), the screens' reads (`views`) and the typed
//! client of the server's API (`remote`). They are public only with the `testing` feature.

pub mod desk;
pub mod error;

/// Declares the core's own modules: `pub(crate)` — the desk is the way in —, public only with
/// the `testing` feature, for the core's own tests, examples and benchmarks.
macro_rules! internal {
    ($($name:ident),* $(,)?) => {$(
        #[cfg(feature = "testing")]
        pub mod $name;
        #[cfg(not(feature = "testing"))]
        pub(crate) mod $name;
    )*};
}

internal!(
    apply, cache, files, keychain, keys, layout, live, notify, outbox, private, remote, sealed,
    search, session, sla, sync, unlock, views,
);

pub use error::{CoreError, CoreResult, LocalCode, UiCode, UiError};
pub use unlock::Opened;
#[cfg(not(feature = "testing"))]
pub(crate) use {cache::Cache, remote::Remote};
#[cfg(feature = "testing")]
pub use {
    cache::Cache,
    remote::Remote,
    unlock::{Cipher, Keying, PageHmac},
};
