//! The remembered session: server, login, token — a file readable by the user alone
//! (`<data dir>/careline/session.json`, mode 0600). The desktop app keeps its token in the OS
//! keychain; the CLI, like most CLIs, in this file.

use std::path::PathBuf;

use anyhow::Context;
use careline_core::Remote;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub login: String,
    pub token: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub role: String,
}

fn dir() -> PathBuf {
    std::env::var_os("CARELINE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("careline"))
}

fn file() -> PathBuf {
    dir().join("session.json")
}

impl Session {
    pub async fn login(server: &str, login: &str, password: &str) -> anyhow::Result<Session> {
        let (_, l) = Remote::login(server, login, password).await.with_context(|| format!("logging in to {server}"))?;
        let s = Session {
            server: server.trim_end_matches('/').to_owned(),
            login: login.to_owned(),
            token: l.token,
            user_id: l.user.id,
            user_name: l.user.name,
            role: l.user.role.to_string(),
        };
        std::fs::create_dir_all(dir())?;
        let path = file();
        let text = serde_json::to_string_pretty(&s)?;
        write_private(&path, &text).with_context(|| format!("saving {}", path.display()))?;
        Ok(s)
    }

    pub fn load() -> anyhow::Result<Session> {
        let path = file();
        let text = std::fs::read_to_string(&path).map_err(|_| anyhow::anyhow!("not logged in: run `careline login --server URL --login NAME`"))?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    pub fn forget(&self) -> anyhow::Result<()> {
        let _ = std::fs::remove_file(file());
        Ok(())
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
        dir().join("cache").join(format!("{host}-{}.db", self.login))
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
