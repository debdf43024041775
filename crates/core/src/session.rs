//! The remembered session: server, login, token and who that is. The token goes to the OS
//! keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) where
//! there is one; the rest — and the token where there is no keychain (a headless machine, CI;
//! or `CARELINE_NO_KEYCHAIN=1`) — is kept in a file readable by the user alone
//! (`<data dir>/careline/session.json`, mode 0600; `CARELINE_HOME` moves the folder). The
//! desktop app and the CLI share it, so logging in with one logs in the other. One cache file
//! per (server, login) lives beside it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{CoreResult, Remote};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub login: String,
    /// Empty in the file when the keychain holds it.
    #[serde(default)]
    pub token: String,
    /// Whether the token is in the OS keychain.
    #[serde(default)]
    pub keychain: bool,
    pub user_id: Uuid,
    pub user_name: String,
    pub role: String,
}

/// The folder of the session file and the caches.
pub fn home() -> PathBuf {
    std::env::var_os("CARELINE_HOME").map(PathBuf::from).unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("careline"))
}

fn file() -> PathBuf {
    home().join("session.json")
}

impl Session {
    /// Logs in and remembers the session.
    pub async fn login(server: &str, login: &str, password: &str) -> CoreResult<Session> {
        let (_, l) = Remote::login(server, login, password).await?;
        let mut s = Session {
            server: server.trim_end_matches('/').to_owned(),
            login: login.to_owned(),
            token: l.token,
            keychain: false,
            user_id: l.user.id,
            user_name: l.user.name,
            role: l.user.role.to_string(),
        };
        let (account, token) = (s.account(), s.token.clone());
        s.keychain = tokio::task::spawn_blocking(move || keychain::store(&account, &token)).await.unwrap_or(false);
        crate::private::private_dir(&home())?;
        let on_disk = Session { token: if s.keychain { String::new() } else { s.token.clone() }, ..s.clone() };
        write_private(&file(), &serde_json::to_string_pretty(&on_disk).expect("a session serializes"))?;
        Ok(s)
    }

    /// The remembered session, if there is one (its token from the keychain if it is there).
    pub fn load() -> Option<Session> {
        let text = std::fs::read_to_string(file()).ok()?;
        let mut s: Session = serde_json::from_str(&text).ok()?;
        if s.keychain {
            s.token = keychain::load(&s.account())?;
        }
        (!s.token.is_empty()).then_some(s)
    }

    /// Forgets the session (the token is revoked by the caller while the server is reachable).
    pub fn forget(&self) {
        if self.keychain {
            keychain::delete(&self.account());
        }
        let _ = std::fs::remove_file(file());
    }

    /// The keychain entry's account: one per (server, login).
    fn account(&self) -> String {
        format!("{}@{}", self.login, self.server)
    }

    pub fn remote(&self) -> Remote {
        Remote::with_token(&self.server, &self.token)
    }

    /// One cache per (server, login).
    pub fn default_cache_path(&self) -> PathBuf {
        let host: String = self
            .server
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
            .collect();
        home().join("cache").join(format!("{host}-{}.db", self.login))
    }
}

/// The OS keychain, through the `keyring` crate; every failure means "no keychain here".
mod keychain {
    use std::time::Duration;

    const SERVICE: &str = "careline";
    /// A keychain that does not answer in this time is taken as none: a locked keyring on a
    /// machine with no one to type its password (D-Bus activates it, then it waits forever).
    const PATIENCE: Duration = Duration::from_secs(3);

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
            tracing::info!("the keychain did not answer; the 0600 session file is used");
            None
        })
    }

    fn entry(account: &str) -> Option<keyring::Entry> {
        keyring::Entry::new(SERVICE, account).map_err(|e| tracing::info!(error = %e, "no keychain")).ok()
    }

    pub fn store(account: &str, token: &str) -> bool {
        let (account, token) = (account.to_owned(), token.to_owned());
        patiently(move || match entry(&account)?.set_password(&token) {
            Ok(()) => Some(true),
            Err(e) => {
                tracing::info!(error = %e, "the keychain did not take the token; it stays in the 0600 session file");
                None
            }
        })
        .unwrap_or(false)
    }

    pub fn load(account: &str) -> Option<String> {
        let account = account.to_owned();
        patiently(move || entry(&account)?.get_password().map_err(|e| tracing::info!(error = %e, "the token is not in the keychain")).ok())
    }

    pub fn delete(account: &str) {
        let account = account.to_owned();
        patiently(move || entry(&account)?.delete_credential().ok());
    }
}

/// Deletes a cache file with its WAL and shared-memory files, and the attachment store beside it.
pub fn wipe_cache(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let _ = std::fs::remove_dir_all(crate::files::store_of(path));
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    // `mode` applies to a new file only: one an older version left readable is closed too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
