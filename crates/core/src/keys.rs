//! The keys of the desk's caches: a random 256-bit key per cache file, kept in the OS keychain
//! where there is one, else in a file readable by the user alone beside the session
//! (`<home>/keys/`, as the token is). Either way a small record in `<home>/keys/` says where
//! the key is, so a keychain that answers "no such entry" (the key is gone: the cache cannot be
//! read any more) is told apart from one that does not answer now (locked, not running: the
//! cache is kept and the desk says so). No passphrase: the operator's login is the gate.

use std::path::{Path, PathBuf};

use hkdf::Hkdf;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keychain::{self, Lookup};

/// A cache's key (zeroed when dropped; never printed).
pub struct CacheKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CacheKey(…)")
    }
}

impl CacheKey {
    pub(crate) fn random() -> CacheKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        CacheKey(bytes)
    }

    fn from_hex(text: &str) -> Option<CacheKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut()).ok()?;
        Some(CacheKey(bytes))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The value of SQLCipher's `PRAGMA key`: the raw key, so no key derivation runs at open.
    pub(crate) fn sqlcipher(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", self.to_hex().as_str()))
    }

    /// A key of its own for one purpose (HKDF-SHA256 over the cache's key): the files' AEAD,
    /// their names.
    pub(crate) fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, self.0.as_ref())
            .expand(purpose.as_bytes(), out.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 length");
        out
    }
}

/// Where a cache's key is, as its record says.
#[derive(Serialize, Deserialize)]
struct Record {
    /// The cache file (for whoever looks in the folder).
    cache: PathBuf,
    /// The key is in the OS keychain.
    #[serde(default)]
    keychain: bool,
    /// The key itself, where there is no keychain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

/// What looking for a cache's key found.
#[derive(Debug)]
pub(crate) enum Found {
    Key(CacheKey),
    /// There is no key for this cache any more: it cannot be read.
    Lost,
    /// The key is in the keychain, which does not answer now.
    Unavailable,
}

/// The cache's name in the keychain and in the keys folder: its absolute path, hashed.
fn id(cache: &Path) -> String {
    let path = std::path::absolute(cache).unwrap_or_else(|_| cache.to_owned());
    hex::encode(&Sha256::digest(path.as_os_str().as_encoded_bytes())[..16])
}

fn account(cache: &Path) -> String {
    format!("cache-key:{}", id(cache))
}

fn record_path(cache: &Path) -> PathBuf {
    crate::session::home()
        .join("keys")
        .join(format!("{}.json", id(cache)))
}

/// The cache's key, wherever it is kept (blocks up to the keychain's patience).
pub(crate) fn load(cache: &Path) -> Found {
    let Ok(text) = std::fs::read_to_string(record_path(cache)) else {
        return Found::Lost;
    };
    let Ok(record) = serde_json::from_str::<Record>(&text) else {
        return Found::Lost;
    };
    if let Some(key) = record.key.as_deref().and_then(CacheKey::from_hex) {
        return Found::Key(key);
    }
    if !record.keychain {
        return Found::Lost;
    }
    match keychain::lookup(&account(cache)) {
        Lookup::Found(text) => CacheKey::from_hex(&text)
            .map(Found::Key)
            .unwrap_or(Found::Lost),
        Lookup::Missing => Found::Lost,
        Lookup::NoAnswer => Found::Unavailable,
    }
}

/// Makes a new key for the cache and keeps it (replacing any old one).
pub(crate) fn create(cache: &Path) -> std::io::Result<CacheKey> {
    let key = CacheKey::random();
    let in_keychain = keychain::store(&account(cache), key.to_hex().as_str());
    let absolute = std::path::absolute(cache).unwrap_or_else(|_| cache.to_owned());
    let record = Record {
        cache: absolute,
        keychain: in_keychain,
        key: (!in_keychain).then(|| key.to_hex().to_string()),
    };
    let path = record_path(cache);
    crate::private::private_dir(path.parent().expect("the keys folder"))?;
    let text =
        Zeroizing::new(serde_json::to_string_pretty(&record).expect("a key record serializes"));
    crate::private::write_private(&path, text.as_bytes())?;
    Ok(key)
}

/// Whether a key is kept for the cache (its record is there): the tests' question.
#[cfg(feature = "testing")]
pub fn is_kept(cache: &Path) -> bool {
    record_path(cache).exists()
}

/// Forgets the cache's key (the cache is being wiped).
pub fn forget(cache: &Path) {
    let path = record_path(cache);
    if std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<Record>(&t).ok())
        .is_some_and(|r| r.keychain)
    {
        keychain::delete(&account(cache));
    }
    let _ = std::fs::remove_file(path);
}
