//! Passwords (Argon2id), session tokens (random, stored as SHA-256, expiring, revocable), the
//! `Session` extractor, and the login rate limiter.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine;
use careline_protocol::{ErrorCode, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::Actor;
use crate::error::{AppError, AppResult};

type HashJob = Box<dyn FnOnce() + Send>;

/// Runs password work on two long-lived threads. Argon2id needs 19 MiB per hash; on a few
/// fixed threads that memory is reused, where the blocking pool's many threads would each keep
/// their own (the process grew past 1 GB registering 1,000 clients). Two threads also bound the
/// CPU a burst of logins can take from everything else.
async fn on_hash_threads<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    static QUEUE: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>> = std::sync::OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..2 {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("starting a password thread");
        }
        std::sync::Mutex::new(tx)
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = tx.send(f());
    });
    queue.lock().unwrap_or_else(|e| e.into_inner()).send(job).map_err(|_| AppError::Other("the password threads stopped".into()))?;
    rx.await.map_err(|_| AppError::Other("a password job was dropped".into()))
}

/// Hashes a password with Argon2id off the async threads.
pub async fn hash_password(password: String) -> AppResult<String> {
    on_hash_threads(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AppError::Other(format!("hashing a password: {e}")))
    })
    .await?
}

/// Checks a password against a stored hash; with no hash, burns the same time and fails, so
/// an unknown login is not told apart from a wrong password by timing.
pub async fn verify_password(password: String, hash: Option<String>) -> AppResult<bool> {
    on_hash_threads(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| AppError::Corrupt(format!("password hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known)
    })
    .await?
}

/// Argon2id of a random password nobody knows, made once.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(&secret, &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// A new random token (256 bits, URL-safe) and the hash that is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    pub token_hash: String,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor { id: self.user_id, role: self.role }
    }

    pub fn require_staff(&self) -> AppResult<()> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for operators"))
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for admins"))
        }
    }

    pub fn require_client(&self) -> AppResult<()> {
        if self.role == Role::Client {
            Ok(())
        } else {
            Err(AppError::forbidden("this is for clients"))
        }
    }

    pub fn viewer(&self) -> crate::store::events::Viewer {
        if self.role.is_staff() {
            crate::store::events::Viewer::Staff
        } else {
            crate::store::events::Viewer::Client(self.user_id)
        }
    }

    /// Looks a token up.
    pub async fn from_token(state: &AppState, token: &str) -> AppResult<Session> {
        let hash = token_hash(token);
        match state.store.session(&hash).await? {
            Some(s) => Ok(Session { user_id: s.user_id, role: s.role, name: s.name, token_hash: hash }),
            None => Err(AppError::refuse(ErrorCode::Unauthorized, "the token is unknown, expired or revoked")),
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| AppError::refuse(ErrorCode::Unauthorized, "send Authorization: Bearer <token>"))?;
        Session::from_token(state, token).await
    }
}

/// The peer's address, when the server runs with connection info.
#[derive(Debug, Clone)]
pub struct RemoteAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RemoteAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())))
    }
}

/// Failed logins per (login, address) in a sliding window.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<(String, String), Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window, failures: Mutex::new(HashMap::new()) }
    }

    fn key(login: &str, addr: &Option<String>) -> (String, String) {
        (login.trim().to_lowercase(), addr.clone().unwrap_or_default())
    }

    /// Refuses when the window is full.
    pub fn check(&self, login: &str, addr: &Option<String>) -> AppResult<()> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some(list) = map.get_mut(&Self::key(login, addr)) {
            list.retain(|t| now.duration_since(*t) < self.window);
            if list.len() as u32 >= self.max {
                return Err(AppError::refuse(ErrorCode::RateLimited, "too many failed logins; try again in a few minutes"));
            }
        }
        Ok(())
    }

    pub fn failed(&self, login: &str, addr: &Option<String>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.clear(); // bounded memory under a spray of logins
        }
        map.entry(Self::key(login, addr)).or_default().push(Instant::now());
    }

    pub fn succeeded(&self, login: &str, addr: &Option<String>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Self::key(login, addr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_round_trip() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_password("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(ha, token_hash(&a));
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn limiter_blocks_after_max_failures() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let ip = Some("127.0.0.1".to_owned());
        l.check("Anna", &ip).unwrap();
        l.failed("anna", &ip);
        l.failed("ANNA", &ip);
        assert_eq!(l.check("anna", &ip).unwrap_err().code(), Some(ErrorCode::RateLimited));
        assert!(l.check("anna", &Some("10.0.0.1".into())).is_ok());
        l.succeeded("anna", &ip);
        assert!(l.check("anna", &ip).is_ok());
    }
}
