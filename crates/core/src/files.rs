//! The local attachment store: files of cached messages, kept by their SHA-256 so archived
//! chats can be reviewed offline with their files. Downloads are checked against the hash.
//! The thumbnails of every cached image are kept (small: they are outside the bound); the
//! originals are bounded: files of the newest messages are kept, and when it is full a newer
//! message's file pushes out the file of the oldest one (never the other way round). Every
//! file is sealed with the cache's key under a keyed name ([`crate::sealed`]); reading one
//! checks its tag and its hash again.

use std::path::{Path, PathBuf};

use careline_protocol::{Attachment, Message};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::layout::{opened_of, store_of, write_atomically};
use crate::sealed::Sealer;
use crate::{Cache, CoreError, CoreResult, Remote};

pub struct Files {
    root: PathBuf,
    max_bytes: u64,
    sealer: Sealer,
    /// Where files are decrypted to be opened by another program.
    opened: PathBuf,
}

/// What a fetch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Fetched {
    pub files: usize,
    pub bytes: u64,
    /// Files the server would not give (deleted, or not ours to see).
    pub refused: usize,
    /// Files older ones were evicted for.
    pub evicted: usize,
}

impl Files {
    /// The store beside a cache file: `<cache>.files/`.
    pub fn beside(cache: &Cache, max_bytes: u64) -> Files {
        Files {
            root: store_of(cache.path()),
            max_bytes,
            sealer: Sealer::new(cache.key()),
            opened: opened_of(cache.path()),
        }
    }

    /// Where the sealed copy of a content is (or would be).
    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let name = self.sealer.name(&sha256.to_ascii_lowercase());
        Some(self.root.join(&name[..2]).join(name))
    }

    /// Whether the file of an attachment is here.
    pub fn has(&self, a: &Attachment) -> bool {
        self.path_of(&a.sha256).is_some_and(|p| p.exists())
    }

    /// The content with this SHA-256, if it is here (and is what it says it is).
    pub fn read(&self, sha256: &str) -> Option<Vec<u8>> {
        let sealed = std::fs::read(self.path_of(sha256)?).ok()?;
        let plain = self.sealer.open(&sha256.to_ascii_lowercase(), &sealed);
        if plain.is_none() {
            tracing::warn!(sha256, "a stored file does not open with the cache's key");
        }
        plain
    }

    /// Decrypts a file for another program to open, as `name` in a folder of the user's alone
    /// (the session's runtime folder where there is one: memory, emptied at logout); the
    /// folder is emptied whenever the desk starts or logs out.
    pub fn export(&self, sha256: &str, name: &str) -> CoreResult<Option<PathBuf>> {
        let Some(plain) = self.read(sha256) else {
            return Ok(None);
        };
        let dir = self.opened.join(&sha256[..16]);
        crate::private::private_dir(&dir)?;
        let path = dir.join(local_name(name));
        crate::private::write_private(&path, &plain)?;
        Ok(Some(path))
    }

    /// Deletes the files decrypted for other programs.
    pub fn forget_exported(&self) {
        let _ = std::fs::remove_dir_all(&self.opened);
    }

    fn stored(&self) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        // (Partial downloads end in `.part` and are not counted.)
        let mut out = Vec::new();
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return out;
        };
        for d in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                if let Ok(m) = f.metadata() {
                    out.push((
                        f.path(),
                        m.len(),
                        m.modified().unwrap_or(std::time::UNIX_EPOCH),
                    ));
                }
            }
        }
        out
    }

    /// Downloads the attachments of cached messages that are not here yet, newest messages
    /// first, within the size limit.
    pub async fn fetch(&self, remote: &Remote, cache: &Cache) -> CoreResult<Fetched> {
        let mut result = Fetched::default();
        let wanted = cache.attachments_newest_first().await?;
        // Thumbnails first: every image's, whatever the bound.
        for a in &wanted {
            if self.fetch_thumbnail(remote, a).await? {
                result.files += 1;
            }
        }
        let thumbs: std::collections::HashSet<String> = wanted
            .iter()
            .filter_map(|a| a.image.as_ref())
            .map(|i| self.sealer.name(&i.thumb_sha256))
            .collect();
        let is_thumb = |path: &Path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| thumbs.contains(n))
        };
        let mut used: u64 = self
            .stored()
            .iter()
            .filter(|s| !is_thumb(&s.0))
            .map(|s| s.1)
            .sum();
        // How new each content is, by its name in the store: 0 for the newest message's file.
        let rank: std::collections::HashMap<String, usize> = wanted
            .iter()
            .enumerate()
            .map(|(i, a)| (self.sealer.name(&a.sha256), i))
            .collect();
        for (index, a) in wanted.into_iter().enumerate() {
            if self.has(&a) || a.size as u64 > self.max_bytes {
                continue;
            }
            let bytes = match remote.download(a.id).await {
                Ok(b) => b,
                Err(CoreError::Refused(_)) => {
                    result.refused += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if hex::encode(Sha256::digest(&bytes)) != a.sha256 {
                return Err(CoreError::Corrupt(format!(
                    "attachment {} does not match its SHA-256",
                    a.id
                )));
            }
            let mut full = false;
            while used + bytes.len() as u64 > self.max_bytes {
                // Push out the file of the oldest message (or of none), if it is older than this.
                let victim = self
                    .stored()
                    .into_iter()
                    .filter(|(path, _, _)| !is_thumb(path))
                    .map(|(path, size, _)| {
                        let name = path
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or("")
                            .to_owned();
                        (rank.get(&name).copied().unwrap_or(usize::MAX), path, size)
                    })
                    .filter(|(r, _, _)| *r > index)
                    .max_by_key(|(r, _, _)| *r);
                let Some((_, path, size)) = victim else {
                    full = true;
                    break;
                };
                std::fs::remove_file(&path)?;
                used = used.saturating_sub(size);
                result.evicted += 1;
            }
            if full {
                break; // everything left is older than what the store keeps
            }
            let path = self
                .path_of(&a.sha256)
                .ok_or_else(|| CoreError::Corrupt("bad sha256".into()))?;
            let sealed = self.sealer.seal(&a.sha256, &bytes);
            write_atomically(&path, &sealed)?;
            used += sealed.len() as u64;
            result.files += 1;
            result.bytes += bytes.len() as u64;
        }
        Ok(result)
    }

    /// Deletes the stored files no cached message names any more (after an erasure); how many.
    pub async fn sweep(&self, cache: &Cache) -> CoreResult<usize> {
        let named: std::collections::HashSet<String> = cache
            .attachments_newest_first()
            .await?
            .into_iter()
            .flat_map(|a| [Some(a.sha256.clone()), a.image.map(|i| i.thumb_sha256)])
            .flatten()
            .map(|sha| self.sealer.name(&sha))
            .collect();
        let mut removed = 0;
        for (path, _, _) in self.stored() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            if !named.contains(&name) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Fetches the file of a message that just arrived (the newest, so it is kept before any
    /// other): at once when the store has room, else through [`Files::fetch`], which makes room
    /// by pushing out the oldest messages' files. True when the file is here now.
    pub async fn fetch_new(
        &self,
        remote: &Remote,
        cache: &Cache,
        a: &Attachment,
    ) -> CoreResult<bool> {
        self.fetch_thumbnail(remote, a).await?;
        if self.has(a) {
            return Ok(true);
        }
        if a.size as u64 > self.max_bytes {
            return Ok(false);
        }
        let used: u64 = self.stored().iter().map(|s| s.1).sum();
        if used + a.size as u64 > self.max_bytes {
            self.fetch(remote, cache).await?;
            return Ok(self.has(a));
        }
        self.download_into(remote, a, false).await
    }
}

impl Files {
    /// Whether the thumbnail of an image attachment is here.
    pub fn has_thumbnail(&self, a: &Attachment) -> bool {
        a.image
            .as_ref()
            .and_then(|i| self.path_of(&i.thumb_sha256))
            .is_some_and(|p| p.exists())
    }

    /// Fetches an image's thumbnail if it is not here; true when it was fetched now.
    async fn fetch_thumbnail(&self, remote: &Remote, a: &Attachment) -> CoreResult<bool> {
        if a.image.is_none() || self.has_thumbnail(a) {
            return Ok(false);
        }
        self.download_into(remote, a, true).await
    }

    /// The original of an attachment, fetched now if it is not here (an old one pushed out of
    /// the bound, opened from its thumbnail); kept while the bound allows. True when it is here.
    pub async fn ensure(&self, remote: &Remote, a: &Attachment) -> CoreResult<bool> {
        if self.has(a) {
            return Ok(true);
        }
        self.download_into(remote, a, false).await
    }

    /// Downloads an attachment's original (or its thumbnail), checks it against its SHA-256 and
    /// seals it into the store; false when the server would not give it.
    async fn download_into(
        &self,
        remote: &Remote,
        a: &Attachment,
        thumbnail: bool,
    ) -> CoreResult<bool> {
        let sha256 = match (&a.image, thumbnail) {
            (Some(i), true) => i.thumb_sha256.as_str(),
            (None, true) => return Ok(false),
            (_, false) => a.sha256.as_str(),
        };
        let got = if thumbnail {
            remote.download_thumbnail(a.id).await
        } else {
            remote.download(a.id).await
        };
        let bytes = match got {
            Ok(b) => b,
            Err(CoreError::Refused(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(CoreError::Corrupt(format!(
                "attachment {} (thumbnail: {thumbnail}) does not match its SHA-256",
                a.id
            )));
        }
        let path = self
            .path_of(sha256)
            .ok_or_else(|| CoreError::Corrupt("bad sha256".into()))?;
        write_atomically(&path, &self.sealer.seal(sha256, &bytes))?;
        Ok(true)
    }
}

impl Cache {
    /// Attachments of cached messages, one per content, newest message first.
    pub async fn attachments_newest_first(&self) -> CoreResult<Vec<Attachment>> {
        let rows = sqlx::query("SELECT data FROM messages WHERE json_extract(data, '$.attachment.sha256') IS NOT NULL ORDER BY seq DESC")
            .fetch_all(self.pool())
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in rows {
            let m: Message = serde_json::from_str(r.get::<&str, _>(0))
                .map_err(|e| CoreError::Corrupt(e.to_string()))?;
            if let Some(a) = m.attachment {
                if seen.insert(a.sha256.clone()) {
                    out.push(a);
                }
            }
        }
        Ok(out)
    }
}

/// A file name safe to write here: its last component, without control characters (the server
/// cleaned it already; the desk does not rely on that).
/// Where the desk saves what the user takes away (report exports, files it would not open): the
/// downloads folder (the home folder if there is none); `CARELINE_EXPORT_DIR` names another
/// (a shared drive of the clinic, a test's).
pub fn save_dir() -> PathBuf {
    match std::env::var_os("CARELINE_EXPORT_DIR") {
        Some(d) => PathBuf::from(d),
        None => dirs::download_dir()
            .or_else(dirs::home_dir)
            .unwrap_or_else(std::env::temp_dir),
    }
}

/// The extensions under which a file of `media_type` may be handed to the system's program for
/// it: documents, pictures and recordings that programs show, never run. Anything else — an
/// executable, a script, an HTML page, a macro document, a name that disagrees with its type —
/// is not opened (a click on `анализы.pdf.exe` ran it on Windows).
pub fn safe_extensions(media_type: &str) -> &'static [&'static str] {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/pdf" => &["pdf"],
        "image/jpeg" => &["jpg", "jpeg"],
        "image/png" => &["png"],
        "image/gif" => &["gif"],
        "image/webp" => &["webp"],
        "image/heic" => &["heic"],
        "image/bmp" => &["bmp"],
        "image/tiff" => &["tif", "tiff"],
        "text/plain" => &["txt"],
        "audio/mpeg" => &["mp3"],
        "audio/ogg" => &["ogg", "oga", "opus"],
        "audio/wav" | "audio/x-wav" => &["wav"],
        "audio/webm" | "video/webm" => &["webm"],
        "audio/mp4" | "audio/aac" | "audio/x-m4a" => &["m4a", "aac"],
        "video/mp4" => &["mp4", "m4v"],
        "video/quicktime" => &["mov"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => &["docx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => &["xlsx"],
        "application/vnd.oasis.opendocument.text" => &["odt"],
        "application/vnd.oasis.opendocument.spreadsheet" => &["ods"],
        _ => &[],
    }
}

/// Whether a file named `name` of `media_type` may be opened with the system's program: its
/// last extension is one [`safe_extensions`] allows for that type.
pub fn openable(media_type: &str, name: &str) -> bool {
    let name = local_name(name);
    let ext = name.rsplit_once('.').map(|(_, e)| e.trim().to_lowercase());
    ext.is_some_and(|e| safe_extensions(media_type).contains(&e.as_str()))
}

impl Files {
    /// Saves a file that is not to be opened into `dir`, under its name with `.blocked`
    /// added (no program runs it by a click), never over another file — but a click on the
    /// same file again finds the copy it saved before instead of adding another; its path.
    pub fn save_blocked(
        &self,
        sha256: &str,
        name: &str,
        dir: &Path,
    ) -> CoreResult<Option<PathBuf>> {
        let Some(plain) = self.read(sha256) else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir)?;
        let base = local_name(name);
        let mut path = dir.join(format!("{base}.blocked"));
        let mut n = 2;
        while path.exists() {
            if std::fs::read(&path).is_ok_and(|saved| saved == plain) {
                return Ok(Some(path));
            }
            path = dir.join(format!("{base} ({n}).blocked"));
            n += 1;
        }
        crate::private::write_private(&path, &plain)?;
        Ok(Some(path))
    }
}

fn local_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    match clean.trim() {
        "" | "." | ".." => "file".to_owned(),
        ok => ok.to_owned(),
    }
}

#[cfg(test)]
mod opening {
    use super::openable;

    #[test]
    fn only_a_safe_extension_that_agrees_with_the_type_opens() {
        assert!(openable("application/pdf", "анализы.pdf"));
        assert!(openable("application/pdf", "Анализы.PDF"));
        assert!(openable("image/jpeg; charset=binary", "photo.JPEG"));
        assert!(
            !openable("application/pdf", "анализы.pdf.exe"),
            "the last extension decides"
        );
        assert!(
            !openable("application/pdf", "анализы.pdf\u{202e}exe.txt"),
            "a name that disagrees with its type"
        );
        assert!(!openable("application/x-msdownload", "setup.exe"));
        assert!(!openable("text/html", "result.html"));
        assert!(!openable(
            "application/vnd.ms-word.document.macroEnabled.12",
            "letter.docm"
        ));
        assert!(!openable("image/png", "scan"), "no extension");
        assert!(!openable("image/png", "../../scan.png.lnk"));
        assert!(openable("audio/ogg", "voice.opus"));
    }
}
