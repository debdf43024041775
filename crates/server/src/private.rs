//! What the server writes is its own: the data directory, the database, attachments and
//! backups hold patients' records, password hashes and encrypted secrets, so folders are made
//! 0700 and files 0600 whatever the process's umask (a default umask of 022 left them
//! world-readable).

use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

/// Creates `dir` (and its parents) and makes it 0700, also where it already existed.
pub fn dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Makes an existing file 0600.
pub fn file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let _ = path;
    Ok(())
}

/// Makes every folder under `root` (itself included) 0700 and every file 0600.
pub fn tree(root: &Path) -> std::io::Result<()> {
    dir(root)?;
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            tree(&entry.path())?;
        } else if kind.is_file() {
            file(&entry.path())?;
        }
    }
    Ok(())
}

/// Options that create a file 0600 (on Unix).
pub fn create_options() -> tokio::fs::OpenOptions {
    let mut o = tokio::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    o.mode(0o600);
    o
}
