//! Backups of the server's data and their restore. A backup is a folder: the database as of
//! one moment (SQLite: `VACUUM INTO`, a consistent copy taken while the server serves;
//! PostgreSQL: `pg_dump`'s custom format, one snapshot), the attachment files that database
//! names (content-addressed and immutable, so copying them after the snapshot is consistent),
//! and `backup.json` saying what it holds.
//!
//! A restore puts a backup into an empty data directory (or empty PostgreSQL database). The
//! events after the backup are lost; desks that saw them hold positions the restored log never
//! reached. So the restore moves the sequence far ahead and records the gap: a desk whose
//! position falls in it (or is ahead of the log) is told to re-sync instead of silently keeping
//! a state the server no longer has (`Store::can_resume_from`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::config::Config;
use crate::db;
use crate::error::{AppError, AppResult};

/// Seqs skipped by a restore: far beyond what a lost stretch of traffic could have handed out.
pub const RESTORE_GAP: i64 = 1_000_000_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `sqlite` or `postgres`.
    pub engine: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The last event seq the backup holds (PostgreSQL: at least; the head just before the dump).
    pub head: i64,
    /// Attachment files copied.
    pub files: usize,
}

/// Backs the data up into `to` (created; must be empty), while the server may be serving.
pub async fn backup(config: &Config, to: &Path) -> AppResult<Manifest> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        return Err(AppError::invalid(format!("{} is not empty", to.display())));
    }
    std::fs::create_dir_all(to)?;
    let url = config.effective_database_url();
    let engine = db::backend(&url, config).await?;
    let head = engine.dump(to).await?;
    // Read after the copy: a superset of the files the copy names.
    let hashes = attachment_hashes(&url).await?;
    let blobs = config.data_dir.join("blobs");
    let mut files = 0;
    for sha in hashes {
        let from = blobs.join(&sha[..2]).join(&sha);
        if !from.exists() {
            continue;
        }
        let dest = to.join("blobs").join(&sha[..2]);
        std::fs::create_dir_all(&dest)?;
        std::fs::copy(&from, dest.join(&sha))?;
        files += 1;
    }
    let manifest = Manifest {
        engine: engine.name().into(),
        created_at: chrono::Utc::now(),
        head,
        files,
    };
    std::fs::write(
        to.join("backup.json"),
        serde_json::to_string_pretty(&manifest).expect("a manifest serializes"),
    )?;
    // A backup holds what the database holds: folders 0700, files 0600, whatever the umask.
    crate::private::tree(to)?;
    Ok(manifest)
}

async fn connect(url: &str) -> AppResult<sqlx::AnyConnection> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    Ok(sqlx::AnyConnection::connect(url).await?)
}

/// The attachment files the database names (well-formed hashes only: they become paths).
async fn attachment_hashes(url: &str) -> AppResult<Vec<String>> {
    let mut conn = connect(url).await?;
    let rows = sqlx::query("SELECT DISTINCT sha256 FROM attachments")
        .fetch_all(&mut conn)
        .await?;
    let hashes = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(hashes
        .into_iter()
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect())
}

/// Restores the backup in `from` into the configured, empty, database and data directory.
pub async fn restore(config: &Config, from: &Path) -> AppResult<Manifest> {
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(from.join("backup.json"))?).map_err(|e| {
            AppError::invalid(format!("{} is not a Careline backup: {e}", from.display()))
        })?;
    let url = config.effective_database_url();
    std::fs::create_dir_all(&config.data_dir)?;
    let blobs = config.data_dir.join("blobs");
    if blobs.exists() && std::fs::read_dir(&blobs)?.next().is_some() {
        return Err(AppError::invalid(format!(
            "{} already holds files: restore into an empty data directory",
            blobs.display()
        )));
    }
    let engine = db::backend(&url, config).await?;
    if manifest.engine != engine.name() {
        return Err(AppError::invalid(format!(
            "a {} backup cannot be restored into {}",
            manifest.engine,
            crate::config::redact_url(&url)
        )));
    }
    engine.load(from).await?;
    if from.join("blobs").exists() {
        copy_tree(&from.join("blobs"), &blobs)?;
    }
    // The gap: positions of the lost stretch are refused from now on.
    let mut conn = connect(&url).await?;
    let head: i64 = sqlx::query(db::HEAD_SQL)
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    sqlx::query("UPDATE counters SET value = $1 WHERE name = 'seq'")
        .bind(head + RESTORE_GAP)
        .execute(&mut conn)
        .await?;
    sqlx::query("DELETE FROM counters WHERE name IN ('restored_head', 'restored_gap_end')")
        .execute(&mut conn)
        .await?;
    sqlx::query(
        "INSERT INTO counters (name, value) VALUES ('restored_head', $1), ('restored_gap_end', $2)",
    )
    .bind(head)
    .bind(head + RESTORE_GAP)
    .execute(&mut conn)
    .await?;
    Ok(Manifest { head, ..manifest })
}

/// Takes a backup every `backup_every_hours` into a dated folder of `backup_dir`, keeping the
/// newest `backup_keep` (only when `backup_dir` is set).
pub async fn scheduled(config: std::sync::Arc<Config>) {
    if config.backup_dir.is_empty() {
        return;
    }
    let root = PathBuf::from(&config.backup_dir);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(
        config.backup_every_hours.max(1) * 3600,
    ));
    tick.tick().await; // the first one after a period, not at start
    loop {
        tick.tick().await;
        let to = root.join(chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
        match backup(&config, &to).await {
            Ok(m) => {
                tracing::info!(to = %to.display(), head = m.head, files = m.files, "backup taken")
            }
            Err(e) => {
                tracing::error!(error = %e, to = %to.display(), "the scheduled backup failed");
                continue;
            }
        }
        let mut taken: Vec<PathBuf> = std::fs::read_dir(&root)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("backup.json").exists())
                    .collect()
            })
            .unwrap_or_default();
        taken.sort();
        let surplus = taken.len().saturating_sub(config.backup_keep.max(1));
        for old in taken.into_iter().take(surplus) {
            if let Err(e) = std::fs::remove_dir_all(&old) {
                tracing::warn!(error = %e, backup = %old.display(), "could not delete an old backup");
            }
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}
