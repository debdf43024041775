//! Messages of a client's thread and read positions.
//!
//! A message event implies its consultation's `last_message_at`; a consultation event is
//! emitted with a message only when something else about the consultation changed (it was just
//! created, or this is the first response), which halves the events of a busy chat.

use careline_protocol::MessageQuery;
use careline_protocol::{
    Attachment, AuthorKind, Consultation, ConsultationStatus, EventData, Message, MessageKind,
    Page, Priority, ReadPosition, Role, SendMessageRequest,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::consultation_rows::record_step;
use super::consultation_rows::{
    create_consultation, emit_consultation, load_consultation, open_consultation,
};
use super::rows::{get_bool, get_enum, get_opt_uuid, get_time, get_uuid};
use super::Store;
use super::{page_limit, SqlBuf};
use crate::db::{Audience, WriteTx};
use crate::domain::{may_post_public, Actor};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

pub(crate) const MESSAGE_SELECT: &str = "SELECT m.id, m.consultation_id, m.client_id, m.author_kind, m.author_id, m.kind, m.body, \
     m.client_msg_id, m.internal, m.created_at, m.seq, a.id AS a_id, a.sha256 AS a_sha256, \
     a.file_name AS a_file_name, a.media_type AS a_media_type, a.size AS a_size, a.created_at AS a_created_at, a.image AS a_image \
     FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id";

pub(crate) fn message_row(row: &AnyRow) -> AppResult<Message> {
    let attachment = match get_opt_uuid(row, "a_id")? {
        Some(id) => Some(Attachment {
            id,
            sha256: row.try_get("a_sha256")?,
            file_name: row.try_get("a_file_name")?,
            media_type: row.try_get("a_media_type")?,
            size: row.try_get("a_size")?,
            created_at: get_time(row, "a_created_at")?,
            image: super::files::image_info(row, "a_image")?,
        }),
        None => None,
    };
    Ok(Message {
        id: get_uuid(row, "id")?,
        consultation_id: get_uuid(row, "consultation_id")?,
        client_id: get_uuid(row, "client_id")?,
        author_kind: get_enum(row, "author_kind")?,
        author_id: get_opt_uuid(row, "author_id")?,
        kind: get_enum(row, "kind")?,
        body: row.try_get("body")?,
        attachment,
        client_msg_id: get_opt_uuid(row, "client_msg_id")?,
        internal: get_bool(row, "internal")?,
        created_at: get_time(row, "created_at")?,
        seq: row.try_get("seq")?,
    })
}

pub(crate) struct NewMessage<'a> {
    pub consultation: &'a Consultation,
    pub author_kind: AuthorKind,
    pub author_id: Option<Uuid>,
    pub kind: MessageKind,
    pub body: String,
    pub attachment: Option<Attachment>,
    pub client_msg_id: Option<Uuid>,
    pub internal: bool,
}

/// Stores a message and its event (and the consultation's, when it changed beyond
/// `last_message_at` or is new). Returns the message and the consultation as it is now.
pub(crate) async fn insert_message(
    tx: &mut WriteTx,
    m: NewMessage<'_>,
) -> AppResult<(Message, Consultation)> {
    let now = now_ms();
    let mut c = m.consultation.clone();
    let is_new =
        c.last_message_at.is_none() && c.status == ConsultationStatus::New && c.taken_at.is_none();
    let mut consultation_changed = is_new;
    if m.author_kind == AuthorKind::Operator && !m.internal && c.first_response_at.is_none() {
        c.first_response_at = Some(from_ms(now));
        consultation_changed = true;
    }
    c.last_message_at = Some(from_ms(now));
    if consultation_changed {
        emit_consultation(tx, &c, None, now).await?;
    }
    let seq = tx.next_seq().await?;
    let msg = Message {
        id: careline_protocol::new_id(),
        consultation_id: c.id,
        client_id: c.client_id,
        author_kind: m.author_kind,
        author_id: m.author_id,
        kind: m.kind,
        body: m.body,
        attachment: m.attachment,
        client_msg_id: m.client_msg_id,
        internal: m.internal,
        created_at: from_ms(now),
        seq,
    };
    sqlx::query(
        "INSERT INTO messages (id, consultation_id, client_id, author_kind, author_id, kind, body, attachment_id, client_msg_id, internal, created_at, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(msg.id.to_string())
    .bind(c.id.to_string())
    .bind(c.client_id.to_string())
    .bind(msg.author_kind.as_str())
    .bind(msg.author_id.map(|a| a.to_string()))
    .bind(msg.kind.as_str())
    .bind(&msg.body)
    .bind(msg.attachment.as_ref().map(|a| a.id.to_string()))
    .bind(msg.client_msg_id.map(|a| a.to_string()))
    .bind(msg.internal as i64)
    .bind(now)
    .bind(seq)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE consultations SET last_message_at = $1, first_response_at = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(c.first_response_at.map(crate::time::ms))
    .bind(c.id.to_string())
    .execute(tx.conn())
    .await?;
    let audience = if msg.internal {
        Audience::Staff(Some(c.client_id))
    } else {
        Audience::Client(c.client_id)
    };
    tx.emit_with_seq(seq, &EventData::Message(msg.clone()), audience, now)
        .await?;
    Ok((msg, c))
}

impl Store {
    /// Sends a message. The same `client_msg_id` from the same author returns the stored
    /// message and stores nothing. A client writing into a closed consultation starts a new
    /// one in the same thread.
    pub async fn send_message(
        &self,
        consultation_id: Uuid,
        actor: Actor,
        req: &SendMessageRequest,
    ) -> AppResult<Message> {
        validate_send(actor, req)?;
        if req.attachment_id.is_none() {
            // The hot path: group-committed with whatever else is being sent right now.
            return self.batcher.send(consultation_id, actor, req.clone()).await;
        }
        self.send_message_one(consultation_id, actor, req).await
    }

    /// Sends one message in a transaction of its own (attachments, and whatever the batch
    /// sets aside).
    pub(crate) async fn send_message_one(
        &self,
        consultation_id: Uuid,
        actor: Actor,
        req: &SendMessageRequest,
    ) -> AppResult<Message> {
        match self.send_message_once(consultation_id, actor, req).await {
            // A concurrent retry with the same key committed first: the second attempt finds it.
            Err(e) if e.is_unique_violation() => {
                self.send_message_once(consultation_id, actor, req).await
            }
            other => other,
        }
    }

    async fn send_message_once(
        &self,
        consultation_id: Uuid,
        actor: Actor,
        req: &SendMessageRequest,
    ) -> AppResult<Message> {
        let body = req.body.trim().to_owned();
        let red_flag = self.red_flag_on(actor, req.internal, &body).await?;
        let mut tx = self.begin().await?;
        // Idempotency first: a retry returns the original even if the consultation moved on.
        let existing = sqlx::query(&format!(
            "{MESSAGE_SELECT} WHERE m.author_id = $1 AND m.client_msg_id = $2"
        ))
        .bind(actor.id.to_string())
        .bind(req.client_msg_id.to_string())
        .fetch_optional(tx.conn())
        .await?;
        if let Some(row) = existing {
            return message_row(&row);
        }
        let mut c = load_consultation(&mut tx, consultation_id).await?;
        let mut opened = false;
        if actor.role == Role::Client {
            if c.client_id != actor.id {
                return Err(AppError::not_found("consultation"));
            }
            if c.status == ConsultationStatus::Closed {
                c = match open_consultation(&mut tx, actor.id).await? {
                    Some(open) => open,
                    None => {
                        opened = true;
                        // After a visit, writing again is a chat, not another visit.
                        let kind = match c.appointment_id {
                            Some(_) => careline_protocol::ConsultationKind::Chat,
                            None => c.kind,
                        };
                        create_consultation(
                            &mut tx,
                            actor.id,
                            kind,
                            Some(body.clone()).filter(|b| !b.is_empty()),
                        )
                        .await?
                    }
                };
            }
        } else if !req.internal {
            may_post_public(c.status, c.operator_id, actor)?;
        }
        let attachment = match req.attachment_id {
            Some(id) => Some(attachment_for_message(&mut tx, id, actor.id).await?),
            None => None,
        };
        let author_kind = if actor.role == Role::Client {
            AuthorKind::Client
        } else {
            AuthorKind::Operator
        };
        let msg = NewMessage {
            consultation: &c,
            author_kind,
            author_id: Some(actor.id),
            kind: req.kind,
            body,
            attachment,
            client_msg_id: Some(req.client_msg_id),
            internal: req.internal,
        };
        let (msg, c) = insert_message(&mut tx, msg).await?;
        if let Some(hit) = red_flag {
            raise_red_flag(&mut tx, c, &hit).await?;
        }
        tx.commit().await?;
        if opened {
            self.assign_waiting().await;
        }
        Ok(msg)
    }

    /// The red flag that fires on a client's message, if any: the rule and the client's words
    /// (staff messages and notes never raise one).
    pub(crate) async fn red_flag_on(
        &self,
        actor: Actor,
        internal: bool,
        body: &str,
    ) -> AppResult<Option<RedFlagHit>> {
        if actor.role != Role::Client || internal || body.is_empty() {
            return Ok(None);
        }
        let matcher = self.red_flag_matcher().await?;
        Ok(matcher.find(body).map(|f| RedFlagHit {
            rule: f.rule.to_owned(),
            words: f.words.to_owned(),
        }))
    }

    /// Messages of a consultation (or its client's whole thread) that the viewer may see.
    pub async fn list_messages(
        &self,
        consultation: &Consultation,
        viewer_role: Role,
        q: &MessageQuery,
    ) -> AppResult<Page<Message>> {
        let limit = page_limit(q.limit)?;
        let mut s = SqlBuf::new(MESSAGE_SELECT);
        if q.thread == Some(true) {
            let p = s.arg(consultation.client_id.to_string());
            s.and(&format!("m.client_id = {p}"));
        } else {
            // Through the thread index: a consultation's messages are in its client's thread.
            let (pc, p) = (
                s.arg(consultation.client_id.to_string()),
                s.arg(consultation.id.to_string()),
            );
            s.and(&format!("m.client_id = {pc} AND m.consultation_id = {p}"));
        }
        if !viewer_role.is_staff() {
            s.and("m.internal = 0");
        }
        let backwards = q.before_seq.is_some();
        if q.after_seq.is_some() && backwards {
            return Err(AppError::bad_request(
                "give after_seq or before_seq, not both",
            ));
        }
        if let Some(b) = q.before_seq {
            let p = s.arg(b);
            s.and(&format!("m.seq < {p}"));
        } else if let Some(a) = q.after_seq {
            let p = s.arg(a);
            s.and(&format!("m.seq > {p}"));
        }
        let p = s.arg(limit + 1);
        s.push(&format!(
            " ORDER BY m.seq {} LIMIT {p}",
            if backwards { "DESC" } else { "ASC" }
        ));
        let rows = s.query().fetch_all(&self.reader).await?;
        let mut items = rows
            .iter()
            .map(message_row)
            .collect::<AppResult<Vec<_>>>()?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let next_cursor = if more {
            items.last().map(|m| m.seq.to_string())
        } else {
            None
        };
        if backwards {
            items.reverse();
        }
        Ok(Page { items, next_cursor })
    }

    /// Moves the reader's read position forward (never back) and tells the other side; what
    /// is read is delivered too.
    pub async fn mark_read(
        &self,
        consultation: &Consultation,
        reader: Uuid,
        role: Role,
        seq: i64,
    ) -> AppResult<ReadPosition> {
        self.mark(consultation, reader, role, seq, seq).await
    }

    /// Moves the participant's delivery position forward (never back): its device has the
    /// messages up to `seq`.
    pub async fn mark_delivered(
        &self,
        consultation: &Consultation,
        reader: Uuid,
        role: Role,
        seq: i64,
    ) -> AppResult<ReadPosition> {
        self.mark(consultation, reader, role, 0, seq).await
    }

    async fn mark(
        &self,
        consultation: &Consultation,
        reader: Uuid,
        role: Role,
        read: i64,
        delivered: i64,
    ) -> AppResult<ReadPosition> {
        if read < 0 || delivered < 0 {
            return Err(AppError::invalid("seq must not be negative"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO reads (consultation_id, reader_id, reader_role, seq, delivered_seq) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (consultation_id, reader_id) DO UPDATE \
             SET seq = CASE WHEN excluded.seq > reads.seq THEN excluded.seq ELSE reads.seq END, \
                 delivered_seq = CASE WHEN excluded.delivered_seq > reads.delivered_seq THEN excluded.delivered_seq ELSE reads.delivered_seq END \
             WHERE reads.seq < excluded.seq OR reads.delivered_seq < excluded.delivered_seq",
        )
        .bind(consultation.id.to_string())
        .bind(reader.to_string())
        .bind(role.as_str())
        .bind(read)
        .bind(delivered.max(read))
        .execute(tx.conn())
        .await?;
        let row = sqlx::query(
            "SELECT seq, delivered_seq FROM reads WHERE consultation_id = $1 AND reader_id = $2",
        )
        .bind(consultation.id.to_string())
        .bind(reader.to_string())
        .fetch_one(tx.conn())
        .await?;
        let pos = ReadPosition {
            consultation_id: consultation.id,
            client_id: consultation.client_id,
            reader_id: reader,
            reader_role: role,
            seq: row.try_get("seq")?,
            delivered_seq: row.try_get("delivered_seq")?,
        };
        if done.rows_affected() > 0 {
            tx.emit(
                &EventData::Read(pos.clone()),
                Audience::Client(consultation.client_id),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(pos)
    }
}

/// Checks a message on its own, before any database work.
pub(crate) fn validate_send(actor: Actor, req: &SendMessageRequest) -> AppResult<()> {
    if req.body.chars().count() > 20_000 {
        return Err(AppError::invalid("a message has at most 20000 characters"));
    }
    // A body of only invisible characters (Hangul fillers, tag characters, …) is empty.
    let empty = super::shows_nothing(&req.body);
    super::no_bidi_override("the message", &req.body)?;
    match req.kind {
        MessageKind::System => {
            return Err(AppError::invalid(
                "system messages are written by the server",
            ))
        }
        MessageKind::Text if empty => {
            return Err(AppError::invalid("a text message must not be empty"))
        }
        MessageKind::Text if req.attachment_id.is_some() => {
            return Err(AppError::invalid(
                "a text message has no attachment; use kind image, file, audio or video",
            ))
        }
        MessageKind::Image | MessageKind::File | MessageKind::Audio | MessageKind::Video
            if req.attachment_id.is_none() =>
        {
            return Err(AppError::invalid(
                "this kind of message needs attachment_id",
            ))
        }
        _ => {}
    }
    if req.internal && !actor.role.is_staff() {
        return Err(AppError::forbidden("only staff write internal notes"));
    }
    Ok(())
}

/// An attachment may be sent by the one who uploaded it.
async fn attachment_for_message(tx: &mut WriteTx, id: Uuid, author: Uuid) -> AppResult<Attachment> {
    let row = sqlx::query("SELECT id, sha256, file_name, media_type, size, uploader_id, created_at, image FROM attachments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        // The same answer as for someone else's upload: ids cannot be probed.
        .ok_or_else(|| AppError::invalid("attachment_id does not name an upload of yours"))?;
    if get_uuid(&row, "uploader_id")? != author {
        return Err(AppError::invalid(
            "attachment_id does not name an upload of yours",
        ));
    }
    Ok(Attachment {
        id,
        sha256: row.try_get("sha256")?,
        file_name: row.try_get("file_name")?,
        media_type: row.try_get("media_type")?,
        size: row.try_get("size")?,
        created_at: get_time(&row, "created_at")?,
        image: super::files::image_info(&row, "image")?,
    })
}

/// A red-flag rule that fired on a client's message: the rule, and the client's words.
#[derive(Debug, Clone)]
pub(crate) struct RedFlagHit {
    pub rule: String,
    pub words: String,
}

/// A rule fired on a client's message in `c`: the consultation becomes `urgent`, remembers the
/// rule and the client's words, and its history says so (a step, and an internal note in the
/// thread the operator sees, quoting the client). The same rule twice in one consultation
/// raises it once. Returns the consultation as it is now.
pub(crate) async fn raise_red_flag(
    tx: &mut WriteTx,
    c: Consultation,
    hit: &RedFlagHit,
) -> AppResult<Consultation> {
    if c.status == ConsultationStatus::Closed || c.red_flag.as_deref() == Some(hit.rule.as_str()) {
        return Ok(c);
    }
    let now = now_ms();
    let mut c = c;
    c.priority = Priority::Urgent;
    c.red_flag = Some(hit.rule.clone());
    c.red_flag_words = Some(hit.words.clone());
    sqlx::query("UPDATE consultations SET priority = 'urgent', red_flag = $1, red_flag_words = $2 WHERE id = $3")
        .bind(&hit.rule)
        .bind(&hit.words)
        .bind(c.id.to_string())
        .execute(tx.conn())
        .await?;
    let phrase = &hit.words;
    record_step(tx, &c, "red_flag", c.operator_id, now).await?;
    let note = NewMessage {
        consultation: &c,
        author_kind: AuthorKind::System,
        author_id: None,
        kind: MessageKind::System,
        body: format!("Red flag: «{phrase}»"),
        attachment: None,
        client_msg_id: None,
        internal: true,
    };
    let (_, c) = insert_message(tx, note).await?;
    emit_consultation(tx, &c, None, now).await?;
    Ok(c)
}
