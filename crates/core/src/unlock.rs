//! Opening a cache file under its key (SQLCipher): a new cache gets a new key; a plaintext cache
//! of an older version is encrypted in place on first start, outbox and read positions with it;
//! a cache whose key is gone is put aside for a fresh sync, never a crash; a wipe (logout)
//! deletes a cache with everything beside it and its key. The cipher settings
//! are chosen by measurement (BENCHMARKS.md "The desk's cache, encrypted").

use std::io::{Read, Seek, Write};
use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroizing;

use crate::keys::{self, CacheKey, Found};
use crate::{CoreError, CoreResult};

/// SQLCipher's settings for a cache (they must be the same at every open of a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cipher {
    /// The per-page authentication code.
    pub hmac: PageHmac,
    /// Bytes per page (and per encryption unit).
    pub page_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageHmac {
    /// SQLCipher 4's default.
    Sha512,
    Sha256,
    /// No per-page authentication: confidentiality only.
    Off,
}

impl Default for Cipher {
    /// The desk's choice (BENCHMARKS.md "The desk's cache, encrypted"): AES-256 with an
    /// HMAC-SHA256 per 8 KiB page — a tampered or damaged page is refused, not shown; half the
    /// pages of 4 KiB, so half the per-page work (IV, HMAC) for the same data.
    fn default() -> Cipher {
        Cipher {
            hmac: PageHmac::Sha256,
            page_size: 8192,
        }
    }
}

/// How a cache file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keying {
    /// Encrypted with its own key (every desk cache).
    Keyed(Cipher),
    /// Not encrypted: for benchmarks that measure what encryption costs, nothing else.
    #[doc(hidden)]
    PlainForBenchmarks,
}

impl Default for Keying {
    fn default() -> Keying {
        Keying::Keyed(Cipher::default())
    }
}

/// What opening the cache found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Opened {
    /// A new, empty cache.
    New,
    /// The cache as it was left.
    Existing,
    /// A plaintext cache of an older version, now encrypted (nothing in it lost).
    Migrated,
    /// The cache's key was gone: it could not be read, so it was deleted and a new one began
    /// (what its outbox held is lost; the server has everything else).
    KeyLost,
}

/// The pragmas that open a file under `key` (the key first, as SQLCipher requires).
pub(crate) fn pragmas(keying: Keying, key: &CacheKey) -> Vec<(&'static str, Zeroizing<String>)> {
    let Keying::Keyed(cipher) = keying else {
        return Vec::new();
    };
    let mut out = vec![
        ("key", key.sqlcipher()),
        (
            "cipher_page_size",
            Zeroizing::new(cipher.page_size.to_string()),
        ),
    ];
    match cipher.hmac {
        PageHmac::Sha512 => out.push((
            "cipher_hmac_algorithm",
            Zeroizing::new("HMAC_SHA512".into()),
        )),
        PageHmac::Sha256 => out.push((
            "cipher_hmac_algorithm",
            Zeroizing::new("HMAC_SHA256".into()),
        )),
        PageHmac::Off => out.push(("cipher_use_hmac", Zeroizing::new("OFF".into()))),
    }
    out
}

/// Opens a native connection to the cache file under its key.
pub(crate) fn connect(path: &Path, keying: Keying, key: &CacheKey) -> CoreResult<Connection> {
    let conn = Connection::open(path)?;
    for (name, value) in pragmas(keying, key) {
        conn.execute_batch(&format!("PRAGMA {name} = {};", value.as_str()))?;
    }
    Ok(conn)
}

/// Finds (or makes) the key of the cache file at `path` and makes the file readable with it.
/// Blocks (the keychain, a migration): call it off the async threads.
pub(crate) fn unlock(path: &Path, keying: Keying) -> CoreResult<(CacheKey, Opened)> {
    if keying == Keying::PlainForBenchmarks {
        return Ok((CacheKey::random(), Opened::New));
    }
    let mut header = Vec::with_capacity(16);
    std::fs::File::open(path)?
        .take(16)
        .read_to_end(&mut header)?;
    if header.is_empty() {
        // A new cache: what an old one left beside it (its key, its files) goes.
        wipe_cache(path);
        crate::private::private_file(path)?;
        return Ok((keys::create(path)?, Opened::New));
    }
    if header == b"SQLite format 3\0" {
        let key = keys::create(path)?;
        encrypt_plain(path, keying, &key)?;
        seal_legacy_store(path, &key)?;
        tracing::info!(cache = %path.display(), "the plaintext cache is encrypted now");
        return Ok((key, Opened::Migrated));
    }
    match keys::load(path) {
        Found::Key(key) if readable(path, keying, &key)? => Ok((key, Opened::Existing)),
        Found::Unavailable => Err(CoreError::KeyUnavailable),
        Found::Key(_) | Found::Lost => {
            tracing::warn!(cache = %path.display(), "the cache's key is gone: the cache is deleted and filled again from the server");
            wipe_cache(path);
            crate::private::private_file(path)?;
            Ok((keys::create(path)?, Opened::KeyLost))
        }
    }
}

/// Whether the file opens under the key (SQLCipher tells only at the first read).
fn readable(path: &Path, keying: Keying, key: &CacheKey) -> CoreResult<bool> {
    let conn = connect(path, keying, key)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Encrypts a plaintext cache in place: everything (outbox, read positions, the search index)
/// is exported into a new encrypted file, which replaces the old one in one rename; the old
/// file's bytes are then overwritten (a crash before the rename leaves the plaintext cache as
/// it was, to be encrypted at the next start).
fn encrypt_plain(path: &Path, keying: Keying, key: &CacheKey) -> CoreResult<()> {
    {
        // The WAL into the file, and the file on its own (no -wal/-shm beside it).
        let plain = Connection::open(path)?;
        plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")?;
    }
    let tmp = crate::layout::beside_cache(path, ".encrypting");
    for p in [tmp.clone(), crate::layout::beside_cache(&tmp, "-journal")] {
        let _ = std::fs::remove_file(p);
    }
    crate::private::private_file(&tmp)?;
    {
        let conn = connect(&tmp, keying, key)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [path.to_string_lossy()],
        )?;
        conn.query_row("SELECT sqlcipher_export('main', 'plain')", [], |_| Ok(()))?;
        conn.execute_batch("DETACH DATABASE plain;")?;
    }
    let mut old = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    std::fs::rename(&tmp, path)?;
    // The plaintext's blocks: overwritten through the handle of the file just replaced.
    let len = old.seek(std::io::SeekFrom::End(0))?;
    old.rewind()?;
    let zeros = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        old.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    old.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(crate::layout::beside_cache(path, suffix));
    }
    Ok(())
}

/// Deletes a cache file with its WAL and shared-memory files, the attachment store beside it
/// (and an older version's plaintext one), the files decrypted for other programs, and the
/// cache's key.
pub fn wipe_cache(path: &Path) {
    for suffix in [
        "",
        "-wal",
        "-shm",
        "-journal",
        ".encrypting",
        ".encrypting-journal",
    ] {
        let _ = std::fs::remove_file(crate::layout::beside_cache(path, suffix));
    }
    for dir in [
        crate::layout::store_of(path),
        crate::layout::legacy_store_of(path),
        crate::layout::opened_of(path),
    ] {
        let _ = std::fs::remove_dir_all(dir);
    }
    crate::keys::forget(path);
}

/// Seals the plaintext files an older version stored beside the cache into the sealed store
/// (each checked against its name, the hash of its content), overwrites and deletes them.
pub(crate) fn seal_legacy_store(
    cache: &Path,
    key: &crate::keys::CacheKey,
) -> std::io::Result<usize> {
    let legacy = crate::layout::legacy_store_of(cache);
    let Ok(dirs) = std::fs::read_dir(&legacy) else {
        return Ok(0);
    };
    let sealer = crate::sealed::Sealer::new(key);
    let root = crate::layout::store_of(cache);
    let mut sealed = 0;
    for d in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(d.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().to_ascii_lowercase();
            let Ok(plain) = std::fs::read(f.path()) else {
                continue;
            };
            if hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&plain)) == name {
                let keyed = sealer.name(&name);
                crate::layout::write_atomically(
                    &root.join(&keyed[..2]).join(&keyed),
                    &sealer.seal(&name, &plain),
                )?;
                sealed += 1;
            }
            // Overwritten before it goes (a partial download, a damaged file: the same).
            std::fs::write(f.path(), vec![0u8; plain.len()])?;
            std::fs::remove_file(f.path())?;
        }
    }
    std::fs::remove_dir_all(&legacy)?;
    Ok(sealed)
}
