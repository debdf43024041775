//! Attachments: streamed, size-limited upload; download with a safe `Content-Disposition`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use careline_protocol::{ApiError, Attachment, ErrorCode};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::{ApiPath, ApiQuery};
use crate::auth::Session;
use crate::blobs::{content_disposition, guess_media_type, safe_file_name, valid_media_type};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use careline_protocol::UploadQuery;

/// Upload a file as the raw request body (its `Content-Type` is the media type). The answer's
/// `id` goes into a message's `attachment_id`.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 413, body = ApiError), (status = 415, body = ApiError), (status = 422, body = ApiError), (status = 429, body = ApiError)))]
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Body,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let max = state.blobs.max_bytes();
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max {
            return Err(AppError::refuse(
                ErrorCode::PayloadTooLarge,
                format!("an attachment may have at most {max} bytes"),
            ));
        }
    }
    let file_name = safe_file_name(q.name.as_deref().unwrap_or(""));
    let media_type = match headers.get(header::CONTENT_TYPE) {
        None => guess_media_type(&file_name).to_owned(),
        Some(v) => {
            let v = v.to_str().ok().and_then(valid_media_type).ok_or_else(|| {
                AppError::refuse(
                    ErrorCode::UnsupportedMediaType,
                    "Content-Type is not a valid media type",
                )
            })?;
            if v == "application/octet-stream" {
                guess_media_type(&file_name).to_owned()
            } else {
                v
            }
        }
    };
    // A client's uploads are bounded per day (one client stored 300 MiB in 3 s); staff are not.
    // The upload's size (announced, or the largest allowed when it is sent in chunks) is
    // reserved against the quota before a byte is stored, so parallel uploads cannot all pass.
    let quota = state.config.client_upload_quota_bytes;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let _reserved = if session.role.is_staff() {
        None
    } else {
        let since = crate::time::now_ms() - 24 * 3600 * 1000;
        let used =
            || async { Ok(state.store.uploaded_since(session.user_id, since).await? as u64) };
        match state
            .uploading
            .reserve(
                session.user_id,
                announced.unwrap_or(max).max(1),
                quota,
                used,
            )
            .await?
        {
            Some(r) => Some(r),
            None => return Err(over_quota(quota)),
        }
    };
    let stored = state.blobs.store(body.into_data_stream()).await?;
    // Whatever refuses the upload now (an image bomb, the quota, the database) deletes what was
    // stored — the original and its thumbnail — unless another upload holds or a record names
    // the same content: no row would ever name it, and the clean-up of unattached uploads goes
    // by rows.
    let (image, thumb) = if crate::thumbs::wanted(&media_type) {
        match thumbnail(&state, &stored.sha256).await {
            Ok(Some((info, thumb))) => (Some(info), Some(thumb)),
            Ok(None) => (None, None),
            Err(e) => {
                discard(&state, stored).await;
                return Err(e);
            }
        }
    } else {
        (None, None)
    };
    let attachment = Attachment {
        id: careline_protocol::new_id(),
        sha256: stored.sha256.clone(),
        file_name,
        media_type,
        size: stored.size as i64,
        created_at: chrono::Utc::now(),
        image,
    };
    // The reservation above keeps parallel uploads from storing bytes the quota has no room
    // for; the count in the transaction that records the upload is what decides (a reader may
    // not yet see an upload just recorded, and other instances reserve on their own).
    let recorded = if session.role.is_staff() {
        state
            .store
            .insert_attachment(&attachment, session.user_id)
            .await
            .map(|()| true)
    } else {
        state
            .store
            .insert_attachment_within(
                &attachment,
                session.user_id,
                quota,
                crate::time::now_ms() - 24 * 3600 * 1000,
            )
            .await
    };
    if !matches!(recorded, Ok(true)) {
        discard(&state, stored).await;
        if let Some(thumb) = thumb {
            discard(&state, thumb).await;
        }
        return Err(recorded.err().unwrap_or_else(|| over_quota(quota)));
    }
    // Held until now (recorded): nothing deleted the content meanwhile.
    drop((stored, thumb));
    Ok((StatusCode::CREATED, Json(attachment)))
}

/// Deletes what a refused upload stored, unless it is held or named elsewhere.
async fn discard(state: &AppState, stored: crate::blobs::Stored) {
    let sha = stored.sha256.clone();
    if let Err(e) = state
        .blobs
        .discard(stored, state.store.content_unnamed(&sha))
        .await
    {
        tracing::warn!(error = %e, "a refused upload's file could not be deleted");
    }
}

fn over_quota(quota: u64) -> AppError {
    AppError::refuse(
        ErrorCode::RateLimited,
        format!(
            "a client may upload at most {} MiB a day",
            quota / (1024 * 1024)
        ),
    )
}

/// Memory all thumbnails being made may take together, in MiB (one image may take all of it).
const THUMB_BUDGET_MIB: usize = (crate::thumbs::MAX_DECODED_BYTES / (1024 * 1024)) as usize * 3 / 2;
/// How long a thumbnail waits for room in the budget before the upload is refused.
const THUMB_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

fn thumb_budget() -> &'static tokio::sync::Semaphore {
    static BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(THUMB_BUDGET_MIB);
    &BUDGET
}

/// Makes and stores an image's thumbnail. Too many pixels (a decompression bomb): refused with
/// the numbers. An image that does not decode is kept as a file, without a thumbnail.
async fn thumbnail(
    state: &AppState,
    sha256: &str,
) -> AppResult<Option<(Box<careline_protocol::ImageInfo>, crate::blobs::Stored)>> {
    let path = state.blobs.path_of(sha256)?;
    let bytes = tokio::fs::read(&path).await?;
    let (bytes, cost) = tokio::task::spawn_blocking(move || {
        let cost = crate::thumbs::cost(&bytes);
        (bytes, cost)
    })
    .await
    .map_err(|e| AppError::failed("making a thumbnail", e))?;
    // Thumbnails share a memory budget: each takes its decoded size from it and waits for room
    // (16 at once peaked the server at 4.9 GB); past a few seconds of waiting, refused.
    let permit = match cost {
        Ok(cost) => {
            let mib = u32::try_from(cost.div_ceil(1024 * 1024))
                .unwrap_or(u32::MAX)
                .max(1);
            match tokio::time::timeout(THUMB_WAIT, thumb_budget().acquire_many(mib)).await {
                Ok(Ok(p)) => Some(p),
                _ => {
                    return Err(AppError::refuse(
                        ErrorCode::RateLimited,
                        "the server is busy with other images; send this one again in a moment",
                    ))
                }
            }
        }
        Err(_) => None,
    };
    let made = tokio::task::spawn_blocking(move || crate::thumbs::make(&bytes))
        .await
        .map_err(|e| AppError::failed("making a thumbnail", e))?;
    drop(permit);
    let made = match made {
        Ok(m) => m,
        Err(crate::thumbs::Refusal::TooMuchMemory {
            width,
            height,
            bytes,
        }) => {
            return Err(AppError::invalid(format!(
                "the image has {width} × {height} pixels, {} MB once decoded; at most {} MB are accepted",
                bytes / 1_000_000,
                crate::thumbs::MAX_DECODED_BYTES / 1_000_000
            )));
        }
        Err(crate::thumbs::Refusal::TooManyPixels { width, height }) => {
            return Err(AppError::invalid(format!(
                "the image has {width} × {height} pixels; at most {} million are accepted",
                crate::thumbs::MAX_PIXELS / 1_000_000
            )));
        }
        Err(crate::thumbs::Refusal::Undecodable(why)) => {
            tracing::info!(%why, "an image upload without a thumbnail");
            return Ok(None);
        }
    };
    let size = made.thumb.len() as i64;
    let stored = state
        .blobs
        .store(futures::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::from(made.thumb),
        )]))
        .await?;
    let info = Box::new(careline_protocol::ImageInfo {
        width: made.width,
        height: made.height,
        thumb_sha256: stored.sha256.clone(),
        thumb_width: made.thumb_width,
        thumb_height: made.thumb_height,
        thumb_size: size,
    });
    Ok(Some((info, stored)))
}

/// An image's thumbnail (a JPEG that fits 480 × 480), for whoever may see the image; another
/// file has none (422).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ApiError), (status = 422, body = ApiError)))]
pub async fn thumbnail_of(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let a = state.store.attachment_for(id, session.viewer()).await?;
    let Some(image) = a.image else {
        // The attachment exists (a 404 would say it does not): it is just not an image.
        return Err(AppError::invalid(
            "this attachment is not an image: it has no thumbnail",
        ));
    };
    serve(
        &state,
        &image.thumb_sha256,
        "image/jpeg",
        image.thumb_size,
        &format!("thumbnail-{}.jpg", a.id),
        true,
    )
    .await
}

/// Download a file the caller may see.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ApiError)))]
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let a = state.store.attachment_for(id, session.viewer()).await?;
    let inline = a.media_type.starts_with("image/");
    serve(
        &state,
        &a.sha256,
        &a.media_type,
        a.size,
        &a.file_name,
        inline,
    )
    .await
}

/// Streams a stored content with headers that keep a browser from running it.
async fn serve(
    state: &AppState,
    sha256: &str,
    media_type: &str,
    size: i64,
    file_name: &str,
    inline: bool,
) -> AppResult<Response> {
    let file = tokio::fs::File::open(state.blobs.path_of(sha256)?).await?;
    let mut response = Body::from_stream(ReaderStream::new(file)).into_response();
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, media_type.to_owned());
    set(h, header::CONTENT_LENGTH, size.to_string());
    set(
        h,
        header::CONTENT_DISPOSITION,
        content_disposition(file_name, inline),
    );
    set(h, header::ETAG, format!("\"{sha256}\""));
    set(
        h,
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable".into(),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
