//! The login rate limiter. Failed logins are counted per account — a phone in any notation is
//! one account — from each address and from all addresses together, in a sliding window. An
//! address that logged in to the account before (a known device) is not held back by the
//! address's count, so the real user behind an attacker's NAT still gets in; the account's
//! count from all addresses holds for every address, known or not (a known address behind a
//! load balancer is everyone's). The counts are bounded in memory without ever being wiped
//! wholesale. [`Registrations`] limits self-registrations per address and overall.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use careline_protocol::ErrorCode;

use crate::error::{AppError, AppResult};

/// Entries kept at most in each map; past it the stalest go first, never all at once.
const CAP: usize = 100_000;
/// A known device stays known this long after its last successful login.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// An account may be guessed at from all addresses together this many times the per-address limit.
const ACCOUNT_FACTOR: u32 = 3;

pub struct LoginLimiter {
    max: u32,
    window: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Failures per (account, address).
    pairs: HashMap<(String, String), Vec<Instant>>,
    /// Failures per account, from every address.
    accounts: HashMap<String, Vec<Instant>>,
    /// Addresses each account logged in from, with the time of the last success.
    known: HashMap<(String, String), Instant>,
}

/// The account a login names: a phone number in its one normal form, any other login
/// trimmed and lower-cased.
pub fn account_key(login: &str) -> String {
    crate::store::clients::normalize_phone(login).unwrap_or_else(|_| login.trim().to_lowercase())
}

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            state: Mutex::new(State::default()),
        }
    }

    /// Refuses when the window is full for this address (unless the address is a known device
    /// of the account) or for the account from all addresses together (a known device
    /// included: behind one load balancer or NAT every user shares an address, so a known
    /// address proves nothing about who guesses).
    pub fn check(&self, login: &str, addr: &Option<String>) -> AppResult<()> {
        let account = account_key(login);
        let pair = (account.clone(), addr.clone().unwrap_or_default());
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let known = s
            .known
            .get(&pair)
            .is_some_and(|at| now.duration_since(*at) < KNOWN_FOR);
        let recent = |list: Option<&mut Vec<Instant>>| match list {
            Some(l) => {
                l.retain(|t| now.duration_since(*t) < self.window);
                l.len() as u32
            }
            None => 0,
        };
        if (!known && recent(s.pairs.get_mut(&pair)) >= self.max)
            || recent(s.accounts.get_mut(&account)) >= self.max * ACCOUNT_FACTOR
        {
            return Err(AppError::refuse(
                ErrorCode::RateLimited,
                "too many failed logins; try again in a few minutes",
            ));
        }
        Ok(())
    }

    pub fn failed(&self, login: &str, addr: &Option<String>) {
        let account = account_key(login);
        let pair = (account.clone(), addr.clone().unwrap_or_default());
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.pairs.entry(pair).or_default().push(now);
        s.accounts.entry(account).or_default().push(now);
        let window = self.window;
        // A lockout (many failures) outlives a spray of single guesses at other logins.
        bound(
            &mut s.pairs,
            |l| l.last().is_some_and(|t| now.duration_since(*t) < window),
            |l| (l.len(), l.last().copied()),
        );
        bound(
            &mut s.accounts,
            |l| l.last().is_some_and(|t| now.duration_since(*t) < window),
            |l| (l.len(), l.last().copied()),
        );
    }

    pub fn succeeded(&self, login: &str, addr: &Option<String>) {
        let pair = (account_key(login), addr.clone().unwrap_or_default());
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.pairs.remove(&pair);
        s.known.insert(pair, now);
        bound(
            &mut s.known,
            |at| now.duration_since(*at) < KNOWN_FOR,
            |at| *at,
        );
    }
}

/// Keeps `map` under [`CAP`]: first drops what is no longer `live`, then the entries that
/// `worth` least — never the whole map (a flood of logins must not wipe the counts).
fn bound<K: Clone + Eq + std::hash::Hash, V, W: Ord>(
    map: &mut HashMap<K, V>,
    live: impl Fn(&V) -> bool,
    worth: impl Fn(&V) -> W,
) {
    if map.len() <= CAP {
        return;
    }
    map.retain(|_, v| live(v));
    if map.len() > CAP {
        let mut by_worth: Vec<(W, K)> = map.iter().map(|(k, v)| (worth(v), k.clone())).collect();
        by_worth.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, k) in by_worth.into_iter().take(map.len() - CAP * 9 / 10) {
            map.remove(&k);
        }
    }
}

/// Self-registrations in the last hour, per address and from all addresses together.
pub struct Registrations {
    per_address: u32,
    overall: u32,
    state: Mutex<Recent>,
}

/// Registration times per address, and all of them.
#[derive(Default)]
struct Recent {
    by_addr: HashMap<String, Vec<Instant>>,
    all: Vec<Instant>,
}

impl Registrations {
    const WINDOW: Duration = Duration::from_secs(3600);

    pub fn new(per_address: u32, overall: u32) -> Self {
        Self {
            per_address,
            overall,
            state: Mutex::new(Recent::default()),
        }
    }

    /// Counts a registration from `addr`, or refuses it (`429`) when either hour is full.
    pub fn check(&self, addr: &Option<String>) -> AppResult<()> {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Recent { by_addr, all } = &mut *s;
        all.retain(|t| now.duration_since(*t) < Self::WINDOW);
        let mine = by_addr.entry(addr.clone().unwrap_or_default()).or_default();
        mine.retain(|t| now.duration_since(*t) < Self::WINDOW);
        if mine.len() as u32 >= self.per_address || all.len() as u32 >= self.overall {
            return Err(AppError::refuse(
                ErrorCode::RateLimited,
                "too many registrations; try again later",
            ));
        }
        mine.push(now);
        all.push(now);
        bound(
            by_addr,
            |l| {
                l.last()
                    .is_some_and(|t| now.duration_since(*t) < Self::WINDOW)
            },
            |l| (l.len(), l.last().copied()),
        );
        Ok(())
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
        assert_eq!(
            l.check("anna", &ip).unwrap_err().code(),
            Some(ErrorCode::RateLimited)
        );
        assert!(l.check("anna", &Some("10.0.0.1".into())).is_ok());
        l.succeeded("anna", &ip);
        assert!(l.check("anna", &ip).is_ok());
    }

    #[test]
    fn a_flood_of_logins_does_not_wipe_a_lockout() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let ip = Some("10.0.0.1".to_owned());
        l.failed("anna", &ip);
        l.failed("anna", &ip);
        for i in 0..(CAP + 10) {
            l.failed(&format!("spray{i}"), &Some("10.9.9.9".into()));
        }
        assert_eq!(
            l.check("anna", &ip).unwrap_err().code(),
            Some(ErrorCode::RateLimited),
            "the lockout survives the flood"
        );
    }
}
