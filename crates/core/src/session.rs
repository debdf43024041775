//! The remembered session: server, login, token and who that is — kept in a file readable by
//! the user alone (`<data dir>/careline/session.json`, mode 0600; `CARELINE_HOME` moves the
//! folder). The desktop app and the CLI share it, so logging in with one logs in the other.
//! One cache file per (server, login) lives beside it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{CoreResult, Remote};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub login: String,
    pub token: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub role: String,
}

/// The folder of the session file and the caches.
pub fn home() -> PathBuf {
    std::env::var_os("CARELINE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("careline"))
}

fn file() -> PathBuf {
    home().join("session.json")
}

impl Session {
    /// Logs in and remembers the session.
    pub async fn login(server: &str, login: &str, password: &str) -> CoreResult<Session> {
        let (_, l) = Remote::login(server, login, password).await?;
        let s = Session {
            server: server.trim_end_matches('/').to_owned(),
            login: login.to_owned(),
            token: l.token,
            user_id: l.user.id,
            user_name: l.user.name,
            role: l.user.role.to_string(),
        };
        std::fs::create_dir_all(home())?;
        write_private(&file(), &serde_json::to_string_pretty(&s).expect("a session serializes"))?;
        Ok(s)
    }

    /// The remembered session, if there is one.
    pub fn load() -> Option<Session> {
        let text = std::fs::read_to_string(file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Forgets the session (the token is revoked by the caller while the server is reachable).
    pub fn forget(&self) {
        let _ = std::fs::remove_file(file());
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

/// Deletes a cache file with its WAL and shared-memory files, and the attachment store beside it.
pub fn wipe_cache(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    let mut files = path.to_path_buf().into_os_string();
    files.push(".files");
    let _ = std::fs::remove_dir_all(PathBuf::from(files));
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
