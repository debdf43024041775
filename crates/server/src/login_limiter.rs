//! The login rate limiter: failed logins per (login, address) in a sliding window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use careline_protocol::ErrorCode;

use crate::error::{AppError, AppResult};

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
