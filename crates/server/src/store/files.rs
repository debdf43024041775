//! Attachment metadata. The bytes live in the content-addressed blob store (`blobs`).

use careline_protocol::Attachment;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{get_time, get_uuid};
use super::Store;
use crate::db::WriteTx;
use crate::error::{AppError, AppResult};
use crate::store::events::Viewer;
use crate::time::ms;

async fn insert_row<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    a: &Attachment,
    uploader: Uuid,
) -> AppResult<()> {
    sqlx::query("INSERT INTO attachments (id, sha256, file_name, media_type, size, uploader_id, created_at, image) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(a.id.to_string())
        .bind(&a.sha256)
        .bind(&a.file_name)
        .bind(&a.media_type)
        .bind(a.size)
        .bind(uploader.to_string())
        .bind(ms(a.created_at))
        .bind(a.image.as_ref().map(|i| serde_json::to_string(i).expect("image info serializes")))
        .execute(e)
        .await?;
    Ok(())
}

/// What one uploader stored since a time, in bytes (the daily quota's count).
const UPLOADED_SINCE: &str = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS total FROM attachments WHERE uploader_id = $1 AND created_at >= $2";

impl Store {
    /// Records a client's upload if it fits the client's `quota` of bytes since `since_ms`,
    /// counted in the same transaction under the client's row lock (PostgreSQL; SQLite has one
    /// writer), so uploads racing on any instance cannot together pass it. Whether it fit.
    pub async fn insert_attachment_within(
        &self,
        a: &Attachment,
        uploader: Uuid,
        quota: u64,
        since_ms: i64,
    ) -> AppResult<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE clients SET id = id WHERE id = $1")
            .bind(uploader.to_string())
            .execute(tx.conn())
            .await?;
        let row = sqlx::query(UPLOADED_SINCE)
            .bind(uploader.to_string())
            .bind(since_ms)
            .fetch_one(tx.conn())
            .await?;
        let used = u64::try_from(row.try_get::<i64, _>("total")?).unwrap_or(0);
        if used + a.size.max(0) as u64 > quota {
            return Ok(false);
        }
        insert_row(tx.conn(), a, uploader).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn insert_attachment(&self, a: &Attachment, uploader: Uuid) -> AppResult<()> {
        insert_row(&self.writer, a, uploader).await
    }

    /// The attachment, if the viewer may see it: staff always; a client if it uploaded it or
    /// it is in a message of its thread that is not internal.
    pub async fn attachment_for(&self, id: Uuid, viewer: Viewer) -> AppResult<Attachment> {
        let row = sqlx::query("SELECT id, sha256, file_name, media_type, size, uploader_id, created_at, image FROM attachments WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| AppError::not_found("attachment"))?;
        if let Viewer::Client(client) = viewer {
            let mine = get_uuid(&row, "uploader_id")? == client;
            let shared = sqlx::query("SELECT 1 AS x FROM messages WHERE attachment_id = $1 AND client_id = $2 AND internal = 0 LIMIT 1")
                .bind(id.to_string())
                .bind(client.to_string())
                .fetch_optional(&self.reader)
                .await?
                .is_some();
            if !mine && !shared {
                return Err(AppError::not_found("attachment"));
            }
        }
        Ok(Attachment {
            id,
            sha256: row.try_get("sha256")?,
            file_name: row.try_get("file_name")?,
            media_type: row.try_get("media_type")?,
            size: row.try_get("size")?,
            created_at: get_time(&row, "created_at")?,
            image: image_info(&row, "image")?,
        })
    }

    /// How many bytes `uploader` uploaded since `since_ms`.
    pub async fn uploaded_since(&self, uploader: Uuid, since_ms: i64) -> AppResult<i64> {
        let row = sqlx::query(UPLOADED_SINCE)
            .bind(uploader.to_string())
            .bind(since_ms)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<i64, _>("total")?)
    }

    /// Forgets uploads made before `before_ms` that no message names; returns the content
    /// hashes no remaining upload names (their files may go).
    pub async fn prune_unattached(&self, before_ms: i64) -> AppResult<Vec<String>> {
        let mut tx = self.begin().await?;
        let gone = sqlx::query(
            "DELETE FROM attachments WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = attachments.id) RETURNING sha256, image",
        )
        .bind(before_ms)
        .fetch_all(tx.conn())
        .await?;
        let mut shas = Vec::new();
        for r in &gone {
            shas.push(r.try_get::<String, _>("sha256")?);
            if let Some(i) = image_info(r, "image")? {
                shas.push(i.thumb_sha256);
            }
        }
        let gone = shas;
        let orphans = unnamed_contents(&mut tx, gone).await?;
        tx.commit().await?;
        Ok(orphans)
    }
}

/// The image metadata kept (as JSON) on an attachment's row.
pub(crate) fn image_info(
    row: &sqlx::any::AnyRow,
    col: &str,
) -> AppResult<Option<Box<careline_protocol::ImageInfo>>> {
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| AppError::Corrupt(format!("an attachment's image: {e}")))
    })
    .transpose()
}

impl Store {
    /// Whether no upload names this content (as an original or a thumbnail), read through the
    /// writer so that an upload just recorded counts.
    pub async fn content_unnamed(&self, sha: &str) -> AppResult<bool> {
        Ok(!named(&self.writer, sha).await?)
    }
}

/// Whether an upload names this content: as an original, or as a thumbnail (the image JSON
/// holds it quoted).
async fn named<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    sha: &str,
) -> AppResult<bool> {
    let row =
        sqlx::query("SELECT 1 AS x FROM attachments WHERE sha256 = $1 OR image LIKE $2 LIMIT 1")
            .bind(sha)
            .bind(format!("%\"{sha}\"%"))
            .fetch_optional(e)
            .await?;
    Ok(row.is_some())
}

/// Of the content hashes `shas`, those no upload names any more (their files may go), once each.
pub(crate) async fn unnamed_contents(
    tx: &mut WriteTx,
    shas: Vec<String>,
) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for sha in shas {
        if !out.contains(&sha) && !named(tx.conn(), &sha).await? {
            out.push(sha);
        }
    }
    Ok(out)
}
