//! The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows),
//! through the `keyring` crate: the session's token and the caches' keys. A keychain that does
//! not answer in time, or `CARELINE_NO_KEYCHAIN=1`, is taken as none.

use std::time::Duration;

const SERVICE: &str = "careline";
/// A keychain that does not answer in this time is taken as none: a locked keyring on a
/// machine with no one to type its password (D-Bus activates it, then it waits forever).
const PATIENCE: Duration = Duration::from_secs(3);

/// What a lookup found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(String),
    /// The keychain answered: it holds no such entry.
    Missing,
    /// There is no keychain, or it did not answer.
    NoAnswer,
}

/// Runs a keychain call on its own thread, giving up after `PATIENCE`.
fn patiently<T: Send + 'static>(f: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    if std::env::var_os("CARELINE_NO_KEYCHAIN").is_some() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
        tracing::info!("the keychain did not answer");
        None
    })
}

fn entry(account: &str) -> Option<keyring::Entry> {
    keyring::Entry::new(SERVICE, account)
        .map_err(|e| tracing::info!(error = %e, "no keychain"))
        .ok()
}

/// Stores a secret; false when there is no keychain to take it.
pub(crate) fn store(account: &str, secret: &str) -> bool {
    let (account, secret) = (account.to_owned(), secret.to_owned());
    patiently(move || match entry(&account)?.set_password(&secret) {
        Ok(()) => Some(true),
        Err(e) => {
            tracing::info!(error = %e, "the keychain did not take the secret");
            None
        }
    })
    .unwrap_or(false)
}

pub(crate) fn lookup(account: &str) -> Lookup {
    let account = account.to_owned();
    patiently(move || {
        Some(match entry(&account)?.get_password() {
            Ok(secret) => Lookup::Found(secret),
            Err(keyring::Error::NoEntry) => Lookup::Missing,
            Err(e) => {
                tracing::info!(error = %e, "the keychain did not give the secret");
                Lookup::NoAnswer
            }
        })
    })
    .unwrap_or(Lookup::NoAnswer)
}

pub(crate) fn load(account: &str) -> Option<String> {
    match lookup(account) {
        Lookup::Found(secret) => Some(secret),
        _ => None,
    }
}

pub(crate) fn delete(account: &str) {
    let account = account.to_owned();
    patiently(move || entry(&account)?.delete_credential().ok());
}
