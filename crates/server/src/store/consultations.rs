//! Consultations (episodes of a client's thread) and their state machine.

use careline_protocol::{
    Consultation, ConsultationKind, ConsultationStatus, ErrorCode, EventData, MessageKind, Page,
    Role, UpdateConsultationRequest,
};
use careline_protocol::{ConsultationFilter, ConsultationItem};
use sqlx::Row;
use uuid::Uuid;

use super::consultation_rows::{
    consultation_row, create_consultation, load_consultation, open_consultation, record_step,
    save_consultation, CONSULTATION_COLS,
};
use super::messages::{insert_message, raise_red_flag, NewMessage};
use super::paging::{finish_page, parse_id_cursor};
use super::rows::get_bool;
use super::Store;
use super::{clean_tags, optional_text, page_limit, tags_json, SqlBuf};
use crate::db::{Audience, WriteTx};
use crate::domain::{consultation_transition, Actor, ConsultationAction};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, ms, now_ms};

impl Store {
    // -- consultations ---------------------------------------------------------------------

    /// The client's open consultation, or a new one with the active tariff's price and, if
    /// `text` is given, that first message.
    pub async fn initiate_consultation(
        &self,
        client_id: Uuid,
        kind: ConsultationKind,
        text: Option<&str>,
        client_msg_id: Option<Uuid>,
    ) -> AppResult<(Consultation, bool)> {
        match self
            .initiate_once(client_id, kind, text, client_msg_id)
            .await
        {
            // Two requests raced (PostgreSQL runs them at once; SQLite's single writer never
            // does): the other one's insert won the partial unique index of open
            // consultations. Its consultation is this request's answer too.
            Err(e) if e.is_unique_violation() || e.code() == Some(ErrorCode::IllegalTransition) => {
                let mut tx = self.begin().await?;
                match open_consultation(&mut tx, client_id).await? {
                    Some(open) => Ok((open, false)),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    async fn initiate_once(
        &self,
        client_id: Uuid,
        kind: ConsultationKind,
        text: Option<&str>,
        client_msg_id: Option<Uuid>,
    ) -> AppResult<(Consultation, bool)> {
        let text = optional_text("text", text, 20_000)?;
        let client = Actor {
            id: client_id,
            role: Role::Client,
        };
        let red_flag = self
            .red_flag_on(client, false, text.as_deref().unwrap_or(""))
            .await?;
        let mut tx = self.begin().await?;
        if let Some(open) = open_consultation(&mut tx, client_id).await? {
            return Ok((open, false));
        }
        let c = create_consultation(&mut tx, client_id, kind, text.clone()).await?;
        let c = match text {
            Some(body) => {
                let msg = NewMessage {
                    consultation: &c,
                    author_kind: careline_protocol::AuthorKind::Client,
                    author_id: Some(client_id),
                    kind: MessageKind::Text,
                    body,
                    attachment: None,
                    client_msg_id: Some(client_msg_id.unwrap_or_else(careline_protocol::new_id)),
                    internal: false,
                };
                let c = insert_message(&mut tx, msg).await?.1;
                match red_flag {
                    Some(hit) => raise_red_flag(&mut tx, c, &hit).await?,
                    None => c,
                }
            }
            None => c,
        };
        tx.commit().await?;
        self.assign_waiting().await;
        Ok((c, true))
    }

    pub async fn get_consultation(&self, id: Uuid) -> AppResult<Consultation> {
        let row = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLS} FROM consultations WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| AppError::not_found("consultation"))?;
        consultation_row(&row)
    }

    /// The list, filtered, with the viewer's unread counts. `only_client` restricts it to
    /// one client's own consultations.
    pub async fn list_consultations(
        &self,
        f: &ConsultationFilter,
        viewer: Uuid,
        viewer_role: Role,
    ) -> AppResult<Page<ConsultationItem>> {
        let limit = page_limit(f.limit)?;
        let other_side = if viewer_role == Role::Client {
            "m.author_kind <> 'client' AND m.internal = 0"
        } else {
            "m.author_kind = 'client'"
        };
        let mut q = SqlBuf::new("");
        let v = q.arg(viewer.to_string());
        q.push(&format!(
            "SELECT {CONSULTATION_COLS}, (SELECT COUNT(*) FROM messages m WHERE m.client_id = consultations.client_id AND m.consultation_id = consultations.id AND {other_side} \
             AND m.seq > COALESCE((SELECT r.seq FROM reads r WHERE r.consultation_id = consultations.id AND r.reader_id = {v}), 0)) AS unread \
             FROM consultations"
        ));
        if viewer_role == Role::Client {
            let p = q.arg(viewer.to_string());
            q.and(&format!("client_id = {p}"));
        }
        if let Some(s) = &f.status {
            let mut ps = Vec::new();
            for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                let st: ConsultationStatus =
                    word.parse().map_err(|e: careline_protocol::UnknownValue| {
                        AppError::bad_request(e.to_string())
                    })?;
                ps.push(q.arg(st.as_str()));
            }
            if !ps.is_empty() {
                q.and(&format!("status IN ({})", ps.join(", ")));
            }
        }
        if let Some(o) = f.operator_id {
            let p = q.arg(o.to_string());
            q.and(&format!("operator_id = {p}"));
        }
        if let Some(c) = f.client_id {
            let p = q.arg(c.to_string());
            q.and(&format!("client_id = {p}"));
        }
        if let Some(k) = f.kind {
            let p = q.arg(k.as_str());
            q.and(&format!("kind = {p}"));
        }
        if let Some(pr) = f.priority {
            let p = q.arg(pr.as_str());
            q.and(&format!("priority = {p}"));
        }
        if let Some(tag) = &f.tag {
            let p = q.arg(format!(
                "%{}%",
                tags_json(std::slice::from_ref(tag))
                    .trim_start_matches('[')
                    .trim_end_matches(']')
            ));
            q.and(&format!("tags LIKE {p}"));
        }
        if let Some(from) = f.from {
            let p = q.arg(ms(from));
            q.and(&format!("created_at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = q.arg(ms(to));
            q.and(&format!("created_at < {p}"));
        }
        let desc = match f.order.as_deref() {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                return Err(AppError::bad_request(format!(
                    "order must be asc or desc, not {other:?}"
                )))
            }
        };
        if let Some(c) = &f.cursor {
            let p = q.arg(parse_id_cursor(c)?);
            q.and(&format!("id {} {p}", if desc { "<" } else { ">" }));
        }
        let mut sql_tail = format!(" ORDER BY id {}", if desc { "DESC" } else { "ASC" });
        let unread_only = f.unread == Some(true);
        if !unread_only {
            let p = q.arg(limit + 1);
            sql_tail.push_str(&format!(" LIMIT {p}"));
        }
        q.push(&sql_tail);
        let rows = if unread_only {
            // Filter on the computed count; wrap to stay portable.
            let inner = std::mem::take(&mut q.sql);
            let p = q.arg(limit + 1);
            q.sql = format!(
                "SELECT * FROM ({inner}) AS x WHERE unread > 0 ORDER BY id {} LIMIT {p}",
                if desc { "DESC" } else { "ASC" }
            );
            q.query().fetch_all(&self.reader).await?
        } else {
            q.query().fetch_all(&self.reader).await?
        };
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(ConsultationItem {
                    consultation: consultation_row(r)?,
                    unread: r.try_get("unread")?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(finish_page(&mut items, limit, |c| {
            c.consultation.id.to_string()
        }))
    }

    /// Take, transfer, release or close.
    pub async fn transition_consultation(
        &self,
        id: Uuid,
        actor: Actor,
        action: ConsultationAction,
        target: Option<Uuid>,
        text: Option<&str>,
    ) -> AppResult<Consultation> {
        self.transition(id, actor, action, target, text, false)
            .await
    }

    /// An admin gives a queued consultation to an operator (within the operator's capacity,
    /// unless `over_capacity`), or transfers one past the receiver's capacity.
    pub async fn assign_consultation(
        &self,
        id: Uuid,
        actor: Actor,
        action: ConsultationAction,
        target: Uuid,
        text: Option<&str>,
        over_capacity: bool,
    ) -> AppResult<Consultation> {
        if over_capacity && actor.role != Role::Admin {
            return Err(AppError::forbidden(
                "only an admin goes past an operator's capacity",
            ));
        }
        self.transition(id, actor, action, Some(target), text, over_capacity)
            .await
    }

    async fn transition(
        &self,
        id: Uuid,
        actor: Actor,
        action: ConsultationAction,
        target: Option<Uuid>,
        text: Option<&str>,
        over_capacity: bool,
    ) -> AppResult<Consultation> {
        let text = optional_text("text", text, 20_000)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        let status = consultation_transition(before.status, before.operator_id, actor, action)?;
        let mut c = before.clone();
        c.status = status;
        let mut system_note: Option<String> = None;
        match action {
            ConsultationAction::Take => {
                check_capacity(&mut tx, actor.id, true).await?;
                c.operator_id = Some(actor.id);
                c.taken_at = Some(from_ms(now));
            }
            ConsultationAction::Assign | ConsultationAction::Transfer => {
                let to = target.ok_or_else(|| AppError::invalid("operator_id is required"))?;
                if Some(to) == before.operator_id {
                    return Err(AppError::refuse(
                        ErrorCode::IllegalTransition,
                        "the consultation is already assigned to this operator",
                    ));
                }
                let row = sqlx::query(
                    "SELECT name, disabled FROM operators WHERE id = $1 AND role <> 'pharmacist'",
                )
                .bind(to.to_string())
                .fetch_optional(tx.conn())
                .await?
                .ok_or_else(|| AppError::invalid("the target operator does not exist"))?;
                if get_bool(&row, "disabled")? {
                    return Err(AppError::invalid("the target operator is disabled"));
                }
                // The receiver's capacity holds, unless an admin says otherwise.
                if !over_capacity {
                    check_capacity(&mut tx, to, false).await?;
                }
                let name: String = row.try_get("name")?;
                c.operator_id = Some(to);
                system_note = Some(match (action, &text) {
                    (ConsultationAction::Assign, Some(t)) => format!("Assigned to {name}: {t}"),
                    (ConsultationAction::Assign, None) => format!("Assigned to {name}"),
                    (_, Some(t)) => format!("Transferred to {name}: {t}"),
                    (_, None) => format!("Transferred to {name}"),
                });
                if action == ConsultationAction::Assign {
                    c.taken_at = Some(from_ms(now));
                }
            }
            ConsultationAction::Release => {
                c.operator_id = None;
                c.taken_at = None;
                system_note = Some(match &text {
                    Some(t) => format!("Handed back to the queue: {t}"),
                    None => "Handed back to the queue".into(),
                });
            }
            ConsultationAction::Close => {
                c.closed_at = Some(from_ms(now));
                c.summary = text.clone();
            }
        }
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            // Somebody else changed it between our read and write (another instance).
            return Err(AppError::refuse(
                ErrorCode::AlreadyTaken,
                "the consultation was changed by someone else; reload it",
            ));
        }
        let (step, holder) = match action {
            // An assignment takes it from the queue for the operator: a take, for the reports.
            ConsultationAction::Take | ConsultationAction::Assign => ("taken", c.operator_id),
            ConsultationAction::Transfer => ("transferred", c.operator_id),
            ConsultationAction::Release => ("released", before.operator_id),
            ConsultationAction::Close => ("closed", before.operator_id),
        };
        record_step(&mut tx, &c, step, holder, now).await?;
        if let Some(body) = system_note {
            // Transfers and hand-backs are recorded in the thread as internal system notes.
            let msg = NewMessage {
                consultation: &c,
                author_kind: careline_protocol::AuthorKind::System,
                author_id: None,
                kind: MessageKind::System,
                body,
                attachment: None,
                client_msg_id: None,
                internal: true,
            };
            c = insert_message(&mut tx, msg).await?.1;
        }
        // The new state goes out as its own event: a message event implies only the
        // consultation's last_message_at (insert_message emits the consultation itself only for
        // a first message or a first response), and a transfer or hand-back changes its operator.
        tx.emit(
            &EventData::Consultation(c.clone()),
            Audience::Client(c.client_id),
            now,
        )
        .await?;
        tx.commit().await?;
        if matches!(
            action,
            ConsultationAction::Close | ConsultationAction::Transfer | ConsultationAction::Release
        ) {
            // Capacity freed up, or the queue grew.
            self.assign_waiting().await;
        }
        Ok(c)
    }

    /// Tags and priority, by staff.
    pub async fn update_consultation(
        &self,
        id: Uuid,
        req: &UpdateConsultationRequest,
    ) -> AppResult<Consultation> {
        let tags = req.tags.as_deref().map(clean_tags).transpose()?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        let mut c = before.clone();
        if let Some(p) = req.priority {
            c.priority = p;
        }
        if let Some(t) = tags {
            c.tags = t;
        }
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            return Err(AppError::refuse(
                ErrorCode::AlreadyTaken,
                "the consultation was changed by someone else; reload it",
            ));
        }
        tx.emit(
            &EventData::Consultation(c.clone()),
            Audience::Client(c.client_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The client rates a closed consultation, once.
    pub async fn rate_consultation(
        &self,
        id: Uuid,
        client: Uuid,
        score: i64,
        comment: Option<&str>,
    ) -> AppResult<Consultation> {
        if !(1..=5).contains(&score) {
            return Err(AppError::invalid("score must be between 1 and 5"));
        }
        let comment = optional_text("comment", comment, 2_000)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load_consultation(&mut tx, id).await?;
        if before.client_id != client {
            return Err(AppError::not_found("consultation"));
        }
        if before.status != ConsultationStatus::Closed {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "only a closed consultation can be rated",
            ));
        }
        if before.rating.is_some() {
            return Err(AppError::refuse(
                ErrorCode::AlreadyRated,
                "this consultation was already rated",
            ));
        }
        let mut c = before.clone();
        c.rating = Some(score);
        c.rating_comment = comment;
        if !save_consultation(&mut tx, &c, before.status, before.operator_id).await? {
            return Err(AppError::refuse(
                ErrorCode::AlreadyRated,
                "this consultation was already rated",
            ));
        }
        tx.emit(
            &EventData::Consultation(c.clone()),
            Audience::Client(c.client_id),
            now,
        )
        .await?;
        crate::webhooks::events::rating(&mut tx, &c, now).await?;
        tx.commit().await?;
        Ok(c)
    }
}

async fn check_capacity(tx: &mut WriteTx, operator: Uuid, self_: bool) -> AppResult<()> {
    // Locks the operator's row (PostgreSQL) until the commit, so that two takes, transfers or
    // automatic assignments to one operator on two instances count each other.
    sqlx::query("UPDATE operators SET capacity = capacity WHERE id = $1")
        .bind(operator.to_string())
        .execute(tx.conn())
        .await?;
    let row = sqlx::query(
        "SELECT o.capacity, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = o.id AND c.status = 'active') AS active \
         FROM operators o WHERE o.id = $1",
    )
    .bind(operator.to_string())
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::forbidden("only operators take consultations"))?;
    let capacity: i64 = row.try_get("capacity")?;
    let active: i64 = row.try_get("active")?;
    if active >= capacity {
        let who = if self_ {
            "you already have"
        } else {
            "the operator already has"
        };
        return Err(AppError::refuse(
            ErrorCode::CapacityReached,
            format!("{who} {active} active consultations of the capacity {capacity}"),
        ));
    }
    Ok(())
}
