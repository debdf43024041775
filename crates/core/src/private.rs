//! The desk's files are the user's alone: folders 0700, files 0600 (medical data), also those
//! an older version left open to others.

use std::path::Path;

/// Creates a folder of the desk's own (the session's, a cache's files) readable by the user
/// alone, and closes one an older version left open to others.
#[cfg(unix)]
pub(crate) fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
pub(crate) fn private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)
}

/// Makes a file (a cache: medical data) readable by the user alone, creating it empty if it is
/// not there yet — SQLite gives its WAL and shared-memory files the database file's mode.
#[cfg(unix)]
pub(crate) fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
pub(crate) fn private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes a small file of the user's alone (the session, a key's record) whole or not at all:
/// into a 0600 file beside it, synced, then renamed over it (a crash leaves the old one).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    private_file(&tmp)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
