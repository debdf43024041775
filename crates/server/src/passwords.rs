//! Passwords (Argon2id, on two dedicated threads) and session tokens (random, stored as
//! SHA-256).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

type HashJob = Box<dyn FnOnce() + Send>;

/// Password jobs one address may have waiting at once; more are refused at once (`429`).
pub const PER_ADDRESS_WAITING: usize = 64;
/// Password jobs waiting from all addresses together.
const MAX_WAITING: usize = 4_096;

/// The password queue: one queue per address, served in turn (round robin), so a flood from
/// one address delays another address's login by at most one hash per busy address, not by
/// the flood's length (600 bogus logins queued ahead of a real one made it wait 3.3 s in one
/// first-come queue).
#[derive(Default)]
struct Fair {
    queues: std::collections::HashMap<String, std::collections::VecDeque<HashJob>>,
    /// Addresses with waiting jobs, in serving order.
    turn: std::collections::VecDeque<String>,
    waiting: usize,
}

struct Queue {
    fair: std::sync::Mutex<Fair>,
    ready: std::sync::Condvar,
}

fn queue() -> &'static Queue {
    static QUEUE: std::sync::OnceLock<&'static Queue> = std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let q: &'static Queue = Box::leak(Box::new(Queue {
            fair: Default::default(),
            ready: std::sync::Condvar::new(),
        }));
        for i in 0..2 {
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || loop {
                    next_job(q)()
                })
                .expect("starting a password thread");
        }
        q
    })
}

/// Waits for the next job, taking addresses in turn.
fn next_job(q: &Queue) -> HashJob {
    let mut fair = q.fair.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(addr) = fair.turn.pop_front() {
            let Some(queue) = fair.queues.get_mut(&addr) else {
                continue;
            };
            let Some(job) = queue.pop_front() else {
                continue;
            };
            if queue.is_empty() {
                fair.queues.remove(&addr);
            } else {
                fair.turn.push_back(addr);
            }
            fair.waiting -= 1;
            return job;
        }
        fair = q.ready.wait(fair).unwrap_or_else(|e| e.into_inner());
    }
}

/// Runs password work on two long-lived threads, queued fairly per address (`addr`; `None`
/// for work no outside caller asked for). Argon2id needs 19 MiB per hash; on a few fixed
/// threads that memory is reused, where the blocking pool's many threads would each keep their
/// own (the process grew past 1 GB registering 1,000 clients). Two threads also bound the CPU a
/// burst of logins can take from everything else.
async fn on_hash_threads<T: Send + 'static>(
    addr: Option<&str>,
    f: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        // The caller gave up (its connection closed): no hash for nobody.
        if !tx.is_closed() {
            let _ = tx.send(f());
        }
    });
    let q = queue();
    {
        let mut fair = q.fair.lock().unwrap_or_else(|e| e.into_inner());
        let key = addr.unwrap_or_default().to_owned();
        let mine = fair.queues.get(&key).map_or(0, |q| q.len());
        if mine >= PER_ADDRESS_WAITING || fair.waiting >= MAX_WAITING {
            return Err(AppError::refuse(
                careline_protocol::ErrorCode::RateLimited,
                "too many password checks are waiting; try again in a moment",
            ));
        }
        if mine == 0 {
            fair.turn.push_back(key.clone());
        }
        fair.queues.entry(key).or_default().push_back(job);
        fair.waiting += 1;
    }
    q.ready.notify_one();
    rx.await
        .map_err(|_| AppError::Other("a password job was dropped".into()))
}

/// Argon2 with the memory of this (password) thread: its 19 MiB of blocks are allocated once and
/// reused by every hash on the thread. Allocated and freed per hash, they were kept by the
/// allocator (a 19 MiB free raises glibc's mmap threshold, so later ones came from the heap and
/// stayed): 1,000 registrations left 450 MB of heap behind (BENCHMARKS.md, memory).
fn argon2_into(
    argon: &Argon2,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let needed = argon.params().block_count();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// Hashes a password with Argon2id off the async threads (the PHC string, as stored).
pub async fn hash_password(password: String) -> AppResult<String> {
    hash_password_for(None, password).await
}

/// [`hash_password`] for a request from `addr`, queued fairly with that address's other work.
pub async fn hash_password_for(addr: Option<&str>, password: String) -> AppResult<String> {
    on_hash_threads(addr, move || {
        let salt = SaltString::generate(&mut OsRng);
        phc_hash(password.as_bytes(), &salt)
            .map_err(|e| AppError::Other(format!("hashing a password: {e}")))
    })
    .await?
}

fn phc_hash(password: &[u8], salt: &SaltString) -> Result<String, String> {
    let argon = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password, salt_bytes, &mut out).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(argon.params())
            .map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches a stored PHC hash (compared in constant time).
fn phc_matches(password: &[u8], stored: &PasswordHash) -> Result<bool, String> {
    let algorithm = argon2::Algorithm::try_from(stored.algorithm).map_err(|e| e.to_string())?;
    let version = stored
        .version
        .map(argon2::Version::try_from)
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let params = argon2::Params::try_from(stored).map_err(|e| e.to_string())?;
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return Err("a hash without salt or output".into());
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    let mut out = vec![0u8; expected.len()];
    argon2_into(
        &Argon2::new(algorithm, version, params),
        password,
        salt_bytes,
        &mut out,
    )
    .map_err(|e| e.to_string())?;
    Ok(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())? == expected)
}

/// Checks a password against a stored hash; with no hash, burns the same time and fails, so
/// an unknown login is not told apart from a wrong password by timing.
pub async fn verify_password(password: String, hash: Option<String>) -> AppResult<bool> {
    verify_password_for(None, password, hash).await
}

/// [`verify_password`] for a request from `addr`: queued behind that address's other password
/// work, in turn with other addresses; past [`PER_ADDRESS_WAITING`] waiting from one address
/// (or many more from all), refused at once (`429`) without hashing.
pub async fn verify_password_for(
    addr: Option<&str>,
    password: String,
    hash: Option<String>,
) -> AppResult<bool> {
    on_hash_threads(addr, move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::Corrupt(format!("password hash: {e}")))?;
        Ok(phc_matches(password.as_bytes(), &parsed)
            .map_err(|e| AppError::Corrupt(format!("password hash: {e}")))?
            && known)
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
        Argon2::default()
            .hash_password(&secret, &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_round_trip() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify_password("wrong horse".into(), Some(h))
            .await
            .unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }

    /// The hashes made with the thread's reused memory are the standard ones: the argon2
    /// crate's own hasher and verifier agree with them both ways.
    #[test]
    fn reused_memory_makes_standard_hashes() {
        use argon2::password_hash::PasswordVerifier;
        let salt = SaltString::generate(&mut OsRng);
        let ours = phc_hash(b"correct horse", &salt).unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&theirs).unwrap();
        assert!(phc_matches(b"correct horse", &parsed).unwrap());
        assert!(!phc_matches(b"correct horsf", &parsed).unwrap());
        assert!(Argon2::default()
            .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
            .is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(ha, token_hash(&a));
        assert_eq!(ha.len(), 64);
    }
}
