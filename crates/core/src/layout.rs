//! Where the cache's companions live on disk — the sealed attachment store, the plaintext
//! store of older versions, the folder files are opened from — and the private, atomic write
//! they share. Below the cache, its unlocking and the attachment store, which all use it.

use std::path::{Path, PathBuf};

/// `cache` with `suffix` appended to its file name (its WAL, its stores, its temporary copy).
pub(crate) fn beside_cache(cache: &Path, suffix: &str) -> PathBuf {
    let mut root = cache.as_os_str().to_owned();
    root.push(suffix);
    PathBuf::from(root)
}

/// The folder of the attachment store of the cache file at `cache`: `<cache>.attachments/`.
pub(crate) fn store_of(cache: &Path) -> PathBuf {
    beside_cache(cache, ".attachments")
}

/// The plaintext store of versions before encryption: `<cache>.files/`.
pub(crate) fn legacy_store_of(cache: &Path) -> PathBuf {
    beside_cache(cache, ".files")
}

/// Where files are decrypted for other programs: the user's runtime folder (memory on Linux,
/// emptied at logout) where there is one, else beside the cache.
pub(crate) fn opened_of(cache: &Path) -> PathBuf {
    let name = cache
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match dirs::runtime_dir() {
        Some(run) => run.join("careline").join(format!("{name}.open")),
        None => beside_cache(cache, ".open"),
    }
}

/// Writes a file of the store (medical data: readable by the user alone, in folders of theirs).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        if let Some(root) = dir.parent() {
            crate::private::private_dir(root)?;
        }
        crate::private::private_dir(dir)?;
    }
    let tmp = path.with_extension("part");
    crate::private::private_file(&tmp)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
