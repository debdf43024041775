//! Quick replies: the team's (admins edit them) and each operator's own (only its author sees
//! and edits them). A change is an event that carries no text, only whose replies changed, so
//! an operator's own replies never reach a colleague's desk.

use careline_protocol::{
    check_quick_reply, EventData, QuickRepliesChanged, QuickReply, QuickReplyRequest, Role,
    RuleLanguage,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{get_opt_uuid, get_time, get_uuid};
use super::Store;
use crate::db::Audience;
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

const COLS: &str = "id, owner_id, shortcut, text, language, updated_at";

/// An operator keeps at most this many of their own.
const PERSONAL_MAX: i64 = 200;

fn reply_row(row: &AnyRow) -> AppResult<QuickReply> {
    let language: Option<String> = row.try_get("language")?;
    Ok(QuickReply {
        id: get_uuid(row, "id")?,
        owner_id: get_opt_uuid(row, "owner_id")?,
        shortcut: row.try_get("shortcut")?,
        text: row.try_get("text")?,
        language: language
            .map(|l| {
                l.parse::<RuleLanguage>()
                    .map_err(|_| AppError::Other(format!("a quick reply's language {l:?}")))
            })
            .transpose()?,
        updated_at: get_time(row, "updated_at")?,
    })
}

fn clean(req: &QuickReplyRequest) -> AppResult<(String, String)> {
    let (shortcut, text) = (req.shortcut.trim().to_owned(), req.text.trim().to_owned());
    check_quick_reply(&shortcut, &text).map_err(AppError::invalid)?;
    Ok((shortcut, text))
}

impl Store {
    /// The team's replies and the viewer's own, by language and shortcut.
    pub async fn list_quick_replies(&self, viewer: Uuid) -> AppResult<Vec<QuickReply>> {
        let rows =
            sqlx::query(&format!("SELECT {COLS} FROM quick_replies WHERE owner_id IS NULL OR owner_id = $1 ORDER BY owner_id IS NULL, language, shortcut, id"))
                .bind(viewer.to_string())
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(reply_row).collect()
    }

    /// A new reply: the caller's own (`personal`), or the team's (admins only).
    pub async fn create_quick_reply(
        &self,
        req: &QuickReplyRequest,
        actor: Actor,
    ) -> AppResult<QuickReply> {
        if !req.personal && actor.role != Role::Admin {
            return Err(AppError::forbidden(
                "the team's quick replies are edited by administrators",
            ));
        }
        let (shortcut, text) = clean(req)?;
        let now = now_ms();
        let reply = QuickReply {
            id: careline_protocol::new_id(),
            shortcut,
            text,
            language: req.language,
            owner_id: req.personal.then_some(actor.id),
            updated_at: from_ms(now),
        };
        let mut tx = self.begin().await?;
        if req.personal {
            let n: i64 = sqlx::query("SELECT COUNT(*) FROM quick_replies WHERE owner_id = $1")
                .bind(actor.id.to_string())
                .fetch_one(tx.conn())
                .await?
                .try_get(0)?;
            if n >= PERSONAL_MAX {
                return Err(AppError::invalid(format!(
                    "an operator keeps at most {PERSONAL_MAX} quick replies of their own"
                )));
            }
        }
        sqlx::query(&format!(
            "INSERT INTO quick_replies ({COLS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(reply.id.to_string())
        .bind(reply.owner_id.map(|o| o.to_string()))
        .bind(&reply.shortcut)
        .bind(&reply.text)
        .bind(reply.language.map(|l| l.as_str()))
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.emit(
            &EventData::QuickReplies(QuickRepliesChanged {
                owner_id: reply.owner_id,
            }),
            Audience::Staff(None),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(reply)
    }

    /// The reply as the caller may see it for a change: their own, or the team's for an admin.
    /// Someone else's own reply does not exist for them (404).
    async fn editable_reply(
        &self,
        tx: &mut crate::db::WriteTx,
        id: Uuid,
        actor: Actor,
    ) -> AppResult<QuickReply> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM quick_replies WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?;
        let reply = row
            .as_ref()
            .map(reply_row)
            .transpose()?
            .filter(|r| r.owner_id.is_none_or(|o| o == actor.id))
            .ok_or_else(|| AppError::not_found("quick reply"))?;
        if reply.owner_id.is_none() && actor.role != Role::Admin {
            return Err(AppError::forbidden(
                "the team's quick replies are edited by administrators",
            ));
        }
        Ok(reply)
    }

    /// A reply's new shortcut, text and language (whose it is stays).
    pub async fn update_quick_reply(
        &self,
        id: Uuid,
        req: &QuickReplyRequest,
        actor: Actor,
    ) -> AppResult<QuickReply> {
        let (shortcut, text) = clean(req)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut reply = self.editable_reply(&mut tx, id, actor).await?;
        sqlx::query("UPDATE quick_replies SET shortcut = $1, text = $2, language = $3, updated_at = $4 WHERE id = $5")
            .bind(&shortcut)
            .bind(&text)
            .bind(req.language.map(|l| l.as_str()))
            .bind(now)
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        (reply.shortcut, reply.text, reply.language, reply.updated_at) =
            (shortcut, text, req.language, from_ms(now));
        tx.emit(
            &EventData::QuickReplies(QuickRepliesChanged {
                owner_id: reply.owner_id,
            }),
            Audience::Staff(None),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(reply)
    }

    pub async fn delete_quick_reply(&self, id: Uuid, actor: Actor) -> AppResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let reply = self.editable_reply(&mut tx, id, actor).await?;
        sqlx::query("DELETE FROM quick_replies WHERE id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        tx.emit(
            &EventData::QuickReplies(QuickRepliesChanged {
                owner_id: reply.owner_id,
            }),
            Audience::Staff(None),
            now,
        )
        .await?;
        tx.commit().await
    }
}
