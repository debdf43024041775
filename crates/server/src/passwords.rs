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

/// Argon2 with the memory of this (password) thread: its 19 MiB of blocks are allocated once and
/// reused by every hash on the thread. Allocated and freed per hash, they were kept by the
/// allocator (a 19 MiB free raises glibc's mmap threshold, so later ones came from the heap and
/// stayed): 1,000 registrations left 450 MB of heap behind (BENCHMARKS.md, memory).
fn argon2_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
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
    on_hash_threads(move || {
        let salt = SaltString::generate(&mut OsRng);
        phc_hash(password.as_bytes(), &salt).map_err(|e| AppError::Other(format!("hashing a password: {e}")))
    })
    .await?
}

fn phc_hash(password: &[u8], salt: &SaltString) -> Result<String, String> {
    let argon = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password, salt_bytes, &mut out).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::Argon2id.ident(),
        version: Some(argon2::Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(argon.params()).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches a stored PHC hash (compared in constant time).
fn phc_matches(password: &[u8], stored: &PasswordHash) -> Result<bool, String> {
    let algorithm = argon2::Algorithm::try_from(stored.algorithm).map_err(|e| e.to_string())?;
    let version = stored.version.map(argon2::Version::try_from).transpose().map_err(|e| e.to_string())?.unwrap_or_default();
    let params = argon2::Params::try_from(stored).map_err(|e| e.to_string())?;
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else { return Err("a hash without salt or output".into()) };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
    let mut out = vec![0u8; expected.len()];
    argon2_into(&Argon2::new(algorithm, version, params), password, salt_bytes, &mut out).map_err(|e| e.to_string())?;
    Ok(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())? == expected)
}

/// Checks a password against a stored hash; with no hash, burns the same time and fails, so
/// an unknown login is not told apart from a wrong password by timing.
///
/// At most [`MAX_WAITING_CHECKS`] checks wait at once; more are refused at once (429) rather
/// than queued: 600 bogus logins queued ahead of a real one made it wait 3.3 s.
pub async fn verify_password(password: String, hash: Option<String>) -> AppResult<bool> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WAITING: AtomicUsize = AtomicUsize::new(0);
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            WAITING.fetch_sub(1, Ordering::AcqRel);
        }
    }
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING_CHECKS {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(AppError::refuse(careline_protocol::ErrorCode::RateLimited, "the server is checking many passwords at once; try again in a moment"));
    }
    let _waiting = Waiting;
    on_hash_threads(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&stored).map_err(|e| AppError::Corrupt(format!("password hash: {e}")))?;
        Ok(phc_matches(password.as_bytes(), &parsed).map_err(|e| AppError::Corrupt(format!("password hash: {e}")))? && known)
    })
    .await?
}

/// Password checks that may wait for the two password threads at once (~25 ms each).
const MAX_WAITING_CHECKS: usize = 32;

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

    /// The hashes made with the thread's reused memory are the standard ones: the argon2
    /// crate's own hasher and verifier agree with them both ways.
    #[test]
    fn reused_memory_makes_standard_hashes() {
        use argon2::password_hash::PasswordVerifier;
        let salt = SaltString::generate(&mut OsRng);
        let ours = phc_hash(b"correct horse", &salt).unwrap();
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap().to_string();
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&theirs).unwrap();
        assert!(phc_matches(b"correct horse", &parsed).unwrap());
        assert!(!phc_matches(b"correct horsf", &parsed).unwrap());
        assert!(Argon2::default().verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap()).is_ok());
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
