//! The content-addressed file store: `<data_dir>/blobs/ab/<sha256>`. An upload is streamed to
//! a temporary file while it is hashed and measured, then moved into place; the same content
//! uploaded twice is stored once.

use std::path::PathBuf;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::{AppError, AppResult};
use careline_protocol::ErrorCode;

#[derive(Clone)]
pub struct Blobs {
    root: PathBuf,
    max_bytes: u64,
    /// Contents an upload in flight has stored and not yet recorded (or given up): nothing
    /// deletes them meanwhile. Taken and checked under this lock together with the file's
    /// creation and deletion, so a deletion never falls between another upload finding the
    /// file there and recording it.
    held: Arc<tokio::sync::Mutex<std::collections::HashMap<String, u64>>>,
}

type Held = Arc<tokio::sync::Mutex<std::collections::HashMap<String, u64>>>;

/// What an upload turned out to be. Its content stays held (never deleted) while this lives.
pub struct Stored {
    pub sha256: String,
    pub size: u64,
    hold: Hold,
}

/// An upload's hold on its content; released when dropped.
struct Hold {
    held: Held,
    sha256: Option<String>,
}

fn release(map: &mut std::collections::HashMap<String, u64>, sha: &str) {
    take_from(map, sha, 1);
}

/// Takes `by` from `key`'s count, forgetting the key at zero.
fn take_from<K: std::hash::Hash + Eq + std::borrow::Borrow<Q>, Q: std::hash::Hash + Eq + ?Sized>(
    map: &mut std::collections::HashMap<K, u64>,
    key: &Q,
    by: u64,
) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(by);
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        let Some(sha) = self.sha256.take() else {
            return;
        };
        match self.held.try_lock() {
            Ok(mut map) => release(&mut map, &sha),
            // Busy: released a moment later (meanwhile the content is only kept a little longer).
            Err(_) => {
                let held = self.held.clone();
                tokio::spawn(async move { release(&mut *held.lock().await, &sha) });
            }
        }
    }
}

impl Blobs {
    pub fn new(root: PathBuf, max_bytes: u64) -> AppResult<Self> {
        crate::private::dir(&root)?;
        crate::private::dir(&root.join("tmp"))?;
        Ok(Self {
            root,
            max_bytes,
            held: Arc::default(),
        })
    }

    /// Deletes what an upload stored when the upload is refused after all, unless another
    /// upload in flight holds the same content or `unnamed` finds a record that names it.
    pub async fn discard<F: std::future::Future<Output = AppResult<bool>>>(
        &self,
        mut stored: Stored,
        unnamed: F,
    ) -> AppResult<()> {
        let mut map = self.held.lock().await;
        let sha = stored.hold.sha256.take().unwrap_or_default();
        let alone = map.get(&sha).copied().unwrap_or(0) <= 1;
        if alone && unnamed.await? {
            match tokio::fs::remove_file(self.path_of(&sha)?).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        release(&mut map, &sha);
        Ok(())
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn path_of(&self, sha256: &str) -> AppResult<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::Corrupt(format!("not a sha256: {sha256}")));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Streams `body` in; refuses (and keeps nothing) past the size limit or when empty.
    pub async fn store<S, E>(&self, mut body: S) -> AppResult<Stored>
    where
        S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let tmp = self
            .root
            .join("tmp")
            .join(careline_protocol::new_id().to_string());
        // Removed however this ends: an error, or the request dropped mid-upload (a client that
        // went away) — the async block below is then never resumed, so only a guard can.
        let guard = TmpFile(Some(tmp.clone()));
        let result = async {
            let mut file = crate::private::create_options().open(&tmp).await?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad_request(format!("reading the upload failed: {e}"))
                })?;
                size += chunk.len() as u64;
                if size > self.max_bytes {
                    return Err(AppError::refuse(
                        ErrorCode::PayloadTooLarge,
                        format!("an attachment may have at most {} bytes", self.max_bytes),
                    ));
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await?;
            }
            if size == 0 {
                return Err(AppError::invalid("the upload is empty"));
            }
            file.sync_all().await?;
            let sha256 = hex::encode(hasher.finalize());
            let dest = self.path_of(&sha256)?;
            if let Some(dir) = dest.parent() {
                crate::private::dir(dir)?;
            }
            let mut held = self.held.lock().await;
            *held.entry(sha256.clone()).or_insert(0) += 1;
            let hold = Hold {
                held: self.held.clone(),
                sha256: Some(sha256.clone()),
            };
            if tokio::fs::try_exists(&dest).await? {
                tokio::fs::remove_file(&tmp).await?;
                // Stored again: the clean-up of unattached uploads counts its age from now.
                let _ = filetime_now(&dest);
            } else {
                tokio::fs::rename(&tmp, &dest).await?;
            }
            drop(held);
            Ok(Stored { sha256, size, hold })
        }
        .await;
        drop(guard);
        result
    }
}

/// An upload's temporary file, deleted when dropped (a no-op once renamed into the store).
struct TmpFile(Option<std::path::PathBuf>);

impl Drop for TmpFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The bytes each client is uploading right now, held against the daily quota until the
/// upload is stored and recorded (or refused): 16 parallel uploads each read the quota before
/// any was stored and all were accepted.
#[derive(Default)]
pub struct Uploading {
    /// Held while a reservation reads what the client stored and adds to what it uploads.
    gate: tokio::sync::Mutex<()>,
    bytes: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, u64>>,
}

/// A client's reservation; released when dropped.
pub struct Reserved {
    uploading: std::sync::Arc<Uploading>,
    user: uuid::Uuid,
    bytes: u64,
}

impl Uploading {
    /// Reserves `bytes` for `user` if what they stored (`used`, read under the same gate) and
    /// what they are uploading leave room within `quota`.
    pub async fn reserve<F: std::future::Future<Output = AppResult<u64>>>(
        self: &std::sync::Arc<Self>,
        user: uuid::Uuid,
        bytes: u64,
        quota: u64,
        used: impl FnOnce() -> F,
    ) -> AppResult<Option<Reserved>> {
        let _gate = self.gate.lock().await;
        let used = used().await?;
        let mut map = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        let busy = map.get(&user).copied().unwrap_or(0);
        if used + busy + bytes > quota {
            return Ok(None);
        }
        *map.entry(user).or_insert(0) += bytes;
        Ok(Some(Reserved {
            uploading: self.clone(),
            user,
            bytes,
        }))
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        let mut map = self
            .uploading
            .bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        take_from(&mut map, &self.user, self.bytes);
    }
}

/// Sets a file's modification time to now.
fn filetime_now(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::File::options()
        .append(true)
        .open(path)?
        .set_modified(std::time::SystemTime::now())
}

impl Blobs {
    /// Deletes a stored file no upload names any more, unless it was stored (again) since
    /// `before`: an upload of the same content in the meantime keeps it.
    pub async fn remove_unused(
        &self,
        sha256: &str,
        before: std::time::SystemTime,
    ) -> AppResult<bool> {
        let path = self.path_of(sha256)?;
        let held = self.held.lock().await;
        if held.contains_key(sha256) {
            return Ok(false);
        }
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.modified()? < before => {
                tokio::fs::remove_file(&path).await?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// A safe file name: the last path component, no control characters or quotes, at most 200
/// characters; "file" when nothing is left.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control()
                && !crate::store::is_invisible(*c)
                && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*')
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// A media type as `type/subtype` of token characters, lower-cased; parameters dropped.
pub fn valid_media_type(raw: &str) -> Option<String> {
    let essence = raw.split(';').next()?.trim().to_ascii_lowercase();
    let (t, s) = essence.split_once('/')?;
    let token = |x: &str| {
        !x.is_empty()
            && x.len() <= 100
            && x.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (token(t) && token(s)).then_some(essence)
}

/// A guess from the extension, for uploads sent as `application/octet-stream`.
pub fn guess_media_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// `Content-Disposition` with an ASCII fallback and the RFC 5987 UTF-8 name.
pub fn content_disposition(file_name: &str, inline: bool) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_tricks() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\анализы.pdf"), "анализы.pdf");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name("a\"b\r\n.txt"), "ab.txt");
        assert_eq!(safe_file_name(""), "file");
    }

    #[test]
    fn media_types_are_checked() {
        assert_eq!(
            valid_media_type("Image/PNG; charset=x").as_deref(),
            Some("image/png")
        );
        assert_eq!(valid_media_type("nonsense"), None);
        assert_eq!(valid_media_type("text/html\r\nX: y"), None);
    }

    #[test]
    fn disposition_is_safe() {
        let d = content_disposition("отчёт \"1\".pdf", false);
        assert!(d.starts_with("attachment; filename=\""));
        assert!(d.contains("filename*=UTF-8''%D0%BE"));
        assert!(!d.contains('\n'));
    }
}
