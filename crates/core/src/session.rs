//! The remembered session: server, login, token and who that is. The token goes to the OS
//! keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) where
//! there is one; the rest — and the token where there is no keychain (a headless machine, CI;
//! or `CARELINE_NO_KEYCHAIN=1`) — is kept in a file readable by the user alone
//! (`<data dir>/careline/session.json`, mode 0600; `CARELINE_HOME` moves the folder). The
//! desktop app and the CLI share it, so logging in with one logs in the other. One cache file
//! per (server, login) lives beside it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{keychain, CoreResult, Remote};

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
    std::env::var_os("CARELINE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("careline")
        })
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
        s.keychain = tokio::task::spawn_blocking(move || keychain::store(&account, &token))
            .await
            .unwrap_or(false);
        crate::private::private_dir(&home())?;
        let on_disk = Session {
            token: if s.keychain {
                String::new()
            } else {
                s.token.clone()
            },
            ..s.clone()
        };
        crate::private::write_private(
            &file(),
            serde_json::to_string_pretty(&on_disk)
                .expect("a session serializes")
                .as_bytes(),
        )?;
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
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        home()
            .join("cache")
            .join(format!("{host}-{}.db", self.login))
    }
}
