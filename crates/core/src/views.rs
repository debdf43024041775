//! What the desk's screens show, read from the cache alone (nothing here waits on the
//! network): consultation lists with filters and sorting, a thread in pages with each
//! message's send state, callback queues, clients with their history, operators with their
//! load, badge counts and search hits. Every type here is also a TypeScript type of the UI.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use careline_protocol::{AuthorKind, Callback, Client, Consultation, ConsultationKind, ConsultationStatus, Message, Operator, Priority};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::outbox::Op;
use crate::{Cache, CoreError, CoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConsultationView {
    /// Waiting to be taken.
    Queue,
    /// Active and assigned to me.
    Mine,
    /// Everyone's active ones.
    Active,
    /// Closed.
    Archive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// The view's natural order: the queue oldest first, the others newest first.
    #[default]
    Natural,
    Oldest,
    Newest,
    /// Urgent first, then by waiting time.
    Priority,
    /// Most recent message first.
    LastMessage,
}

/// Filters of a consultation list; empty fields filter nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct ListFilter {
    pub kind: Option<ConsultationKind>,
    pub priority: Option<Priority>,
    pub operator_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub tag: Option<String>,
    /// Words of the subject, summary, tags or the client's name.
    pub text: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub unread_only: bool,
    pub sort: Sort,
}

/// A line of a consultation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsultationRow {
    pub consultation: Consultation,
    pub client_name: String,
    pub client_vip: bool,
    pub operator_name: Option<String>,
    /// The client's messages after my read position.
    pub unread: i64,
}

/// How far a message of mine got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// In the outbox: not confirmed by the server yet (offline, or on its way).
    Pending,
    /// Refused by the server; kept for the operator to retry or dismiss.
    Failed,
    /// Stored by the server (and on its way to the client's devices).
    Sent,
    /// The client's app confirmed it has the message.
    Delivered,
    /// The client read it.
    Read,
}

/// A participant's positions in a consultation (seqs; 0 when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Positions {
    pub read: i64,
    /// Never below `read`.
    pub delivered: i64,
}

impl Positions {
    /// How far the message `seq`, sent to this participant, got.
    pub fn state_of(&self, seq: i64) -> SendState {
        if self.read >= seq {
            SendState::Read
        } else if self.delivered >= seq {
            SendState::Delivered
        } else {
            SendState::Sent
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageRow {
    pub message: Message,
    pub author_name: Option<String>,
    /// For staff messages to the client: sent, delivered or read; client, system and
    /// internal messages have none.
    pub state: Option<SendState>,
}

/// A message still in the outbox, shown at the end of its thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingMessage {
    pub outbox_id: i64,
    pub client_msg_id: Uuid,
    pub consultation_id: Uuid,
    pub body: String,
    pub internal: bool,
    pub state: SendState,
    /// Why it was refused: the server's code (or `unexpected_answer`) and its words.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A page of a client's thread, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadPage {
    pub messages: Vec<MessageRow>,
    /// More messages exist beyond the page in the direction it was asked for: older ones
    /// before a page of older or newest messages, newer ones after a page of newer messages.
    pub has_more: bool,
    /// Only with the page that reaches the newest message.
    pub pending: Vec<PendingMessage>,
}

/// The numbers on the sidebar's badges and the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub queue: i64,
    pub mine: i64,
    pub active: i64,
    /// Open callback requests that are due.
    pub callbacks_due: i64,
    pub callbacks_open: i64,
    /// Unread client messages in my consultations.
    pub unread: i64,
    pub operators_online: i64,
    pub clients: i64,
    /// Outbox entries not confirmed yet, and refused ones.
    pub outbox_pending: i64,
    pub outbox_failed: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallbackView {
    /// New and claimed ones, by due time.
    Open,
    /// Finished ones, newest first.
    Archive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackRow {
    pub callback: Callback,
    pub client_name: Option<String>,
    pub operator_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorRow {
    pub operator: Operator,
    /// Active consultations assigned to them, as the cache knows.
    pub load: i64,
}

/// A client with everything the desk knows of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientProfile {
    pub client: Client,
    pub consultations: Vec<ConsultationRow>,
    pub callbacks: Vec<CallbackRow>,
    /// Files and images of the thread, newest first.
    pub files: Vec<Message>,
}

/// Part of a snippet; marked parts matched the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Segment {
    pub text: String,
    pub mark: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    /// `message`, `client` or `consultation`.
    pub kind: String,
    pub id: Uuid,
    pub consultation_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    /// A message's seq: the chat opens there.
    pub seq: Option<i64>,
    /// The client's name, for the line's title.
    pub title: String,
    pub segments: Vec<Segment>,
}

/// Where a consultation list's next page starts: the sort key and id of the last row shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListCursor {
    pub key: i64,
    pub id: Uuid,
}

/// A page of a consultation list, and how many consultations match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListPage {
    pub rows: Vec<ConsultationRow>,
    /// Every consultation of the view matching the filter, not only this page.
    pub total: i64,
    /// Where the next page starts; none after the last page.
    pub next: Option<ListCursor>,
}

/// The most rows a list page holds.
pub const PAGE_MAX: i64 = 1000;

/// One value bound to a `?` of a list query.
enum Bind {
    Text(String),
    Int(i64),
}

/// A consultation list's query: the view's and filter's conditions, and the sort as one
/// integer key (ties broken by id) so that a page continues where the last one ended.
struct ListQuery {
    conditions: Vec<String>,
    binds: Vec<Bind>,
    key: &'static str,
    ascending: bool,
}

/// Sort keys. Priority: urgent first, then by waiting time — the rank's complement above any
/// millisecond timestamp (1e14 ms is year 5138).
/// Each has its index (migration 0007), which must repeat the expression word for word.
const KEY_CREATED: &str = "created_at";
const KEY_PRIORITY: &str =
    "((3 - CASE json_extract(data, '$.priority') WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END) * 100000000000000 + created_at)";
const KEY_LAST_MESSAGE: &str = "COALESCE(last_message_at, created_at)";

impl ListQuery {
    fn new(view: ConsultationView, filter: &ListFilter, me: Uuid) -> ListQuery {
        let (status, oldest_default) = match view {
            ConsultationView::Queue => (ConsultationStatus::New, true),
            ConsultationView::Mine | ConsultationView::Active => (ConsultationStatus::Active, false),
            ConsultationView::Archive => (ConsultationStatus::Closed, false),
        };
        let (key, ascending) = match filter.sort {
            Sort::Natural => (KEY_CREATED, oldest_default),
            Sort::Oldest => (KEY_CREATED, true),
            Sort::Newest => (KEY_CREATED, false),
            Sort::Priority => (KEY_PRIORITY, true),
            Sort::LastMessage => (KEY_LAST_MESSAGE, false),
        };
        let mut q = ListQuery { conditions: Vec::new(), binds: Vec::new(), key, ascending };
        q.add("c.status = ?", [Bind::Text(status.as_str().to_owned())]);
        let operator = if view == ConsultationView::Mine { Some(me) } else { filter.operator_id };
        if let Some(o) = operator {
            q.add("c.operator_id = ?", [Bind::Text(o.to_string())]);
        }
        if let Some(c) = filter.client_id {
            q.add("c.client_id = ?", [Bind::Text(c.to_string())]);
        }
        if let Some(from) = filter.from {
            q.add("c.created_at >= ?", [Bind::Int(from.timestamp_millis())]);
        }
        if let Some(to) = filter.to {
            q.add("c.created_at <= ?", [Bind::Int(to.timestamp_millis())]);
        }
        if let Some(kind) = filter.kind {
            q.add("json_extract(c.data, '$.kind') = ?", [Bind::Text(enum_text(&kind))]);
        }
        if let Some(priority) = filter.priority {
            q.add("json_extract(c.data, '$.priority') = ?", [Bind::Text(enum_text(&priority))]);
        }
        if let Some(tag) = filter.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            q.add("EXISTS (SELECT 1 FROM json_each(c.data, '$.tags') t WHERE lower(t.value) = lower(?))", [Bind::Text(tag.to_owned())]);
        }
        if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            match crate::search::match_expression(text) {
                Some(expr) => q.add(
                    "c.rowid IN (SELECT f.rowid FROM consultation_fts f WHERE consultation_fts MATCH ? \
                     UNION SELECT x.rowid FROM client_fts f JOIN clients k ON k.rowid = f.rowid JOIN consultations x ON x.client_id = k.id \
                     WHERE client_fts MATCH ?)",
                    [Bind::Text(expr.clone()), Bind::Text(expr)],
                ),
                // Nothing searchable in the words (punctuation alone): nothing matches.
                None => q.add("0", []),
            }
        }
        if filter.unread_only {
            // As the rows count it: the client's messages after my read position, in open ones.
            q.add(
                "c.status != 'closed' AND EXISTS (SELECT 1 FROM messages m WHERE m.consultation_id = c.id AND m.from_client = 1 \
                 AND m.seq > COALESCE((SELECT r.seq FROM reads r WHERE r.consultation_id = c.id AND r.reader_id = ?), 0))",
                [Bind::Text(me.to_string())],
            );
        }
        q
    }

    fn add(&mut self, condition: &str, binds: impl IntoIterator<Item = Bind>) {
        self.conditions.push(condition.to_owned());
        self.binds.extend(binds);
    }

    fn bound<'q>(sql: &'q str, binds: &'q [Bind]) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = match b {
                Bind::Text(t) => q.bind(t.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// An enum's wire name (`"urgent"`), as the cache's JSON holds it.
fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

const LIST_LIMIT: i64 = 2000;

impl Cache {
    /// A page of a consultation list of one view, filtered and sorted in the database (every
    /// match is reachable however big the archive), after `after` (or from the start), with
    /// the exact number of matches; `me` is the operator.
    pub async fn list_page(&self, view: ConsultationView, filter: &ListFilter, me: Uuid, after: Option<ListCursor>, limit: i64) -> CoreResult<ListPage> {
        let q = ListQuery::new(view, filter, me);
        let filter_sql = q.conditions.join(" AND ");
        let total: i64 = ListQuery::bound(&format!("SELECT COUNT(*) FROM consultations c WHERE {filter_sql}"), &q.binds).fetch_one(self.pool()).await?.get(0);
        let (order, past) = if q.ascending { ("ASC", ">") } else { ("DESC", "<") };
        let mut binds = q.binds;
        let mut page_sql = filter_sql;
        if let Some(cursor) = after {
            // The plain bound lets SQLite seek the key's index (it does not for a row value alone).
            page_sql.push_str(&format!(" AND {key} {past}= ? AND ({key}, id) {past} (?, ?)", key = q.key));
            binds.push(Bind::Int(cursor.key));
            binds.push(Bind::Int(cursor.key));
            binds.push(Bind::Text(cursor.id.to_string()));
        }
        let limit = limit.clamp(1, PAGE_MAX);
        binds.push(Bind::Int(limit + 1));
        let sql =
            format!("SELECT c.data, c.last_message_at, {key} FROM consultations c WHERE {page_sql} ORDER BY {key} {order}, id {order} LIMIT ?", key = q.key);
        let found = ListQuery::bound(&sql, &binds).fetch_all(self.pool()).await?;
        let more = found.len() as i64 > limit;
        let found = &found[..found.len().min(limit as usize)];
        let list = found.iter().map(crate::cache::consultation_from_row).collect::<CoreResult<Vec<_>>>()?;
        let next = match (more, list.last(), found.last()) {
            (true, Some(c), Some(r)) => Some(ListCursor { key: r.get(2), id: c.id }),
            _ => None,
        };
        Ok(ListPage { rows: self.rows(list, me).await?, total, next })
    }

    /// A whole consultation list (every page): for the desk's own needs, not for the window.
    pub async fn list(&self, view: ConsultationView, filter: &ListFilter, me: Uuid) -> CoreResult<Vec<ConsultationRow>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.list_page(view, filter, me, after, PAGE_MAX).await?;
            all.extend(page.rows);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    pub async fn consultation_row(&self, id: Uuid, me: Uuid) -> CoreResult<Option<ConsultationRow>> {
        let Some(c) = self.consultation(id).await? else {
            return Ok(None);
        };
        Ok(self.rows(vec![c], me).await?.pop())
    }

    /// Decorates consultations with names and unread counts (a query for all of each, not one
    /// per row: a queue of hundreds lists in milliseconds).
    async fn rows(&self, list: Vec<Consultation>, me: Uuid) -> CoreResult<Vec<ConsultationRow>> {
        let operators = self.operator_names().await?;
        let mut clients: HashMap<Uuid, (String, bool)> = HashMap::new();
        let mut unread: HashMap<Uuid, i64> = HashMap::new();
        for chunk in list.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|c| c.client_id.to_string()).collect();
            let sql = format!("SELECT id, name, COALESCE(json_extract(data, '$.vip'), 0) FROM clients WHERE id IN ({})", vec!["?"; ids.len()].join(", "));
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.pool()).await? {
                clients.insert(uuid_of(r.get(0))?, (r.get(1), r.get::<i64, _>(2) != 0));
            }
            let open: Vec<String> = chunk.iter().filter(|c| c.status != ConsultationStatus::Closed).map(|c| c.id.to_string()).collect();
            if open.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT m.consultation_id, COUNT(*) FROM messages m WHERE m.consultation_id IN ({}) AND m.from_client = 1 \
                 AND m.seq > COALESCE((SELECT seq FROM reads r WHERE r.consultation_id = m.consultation_id AND r.reader_id = ?), 0) \
                 GROUP BY m.consultation_id",
                vec!["?"; open.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in &open {
                q = q.bind(id);
            }
            for r in q.bind(me.to_string()).fetch_all(self.pool()).await? {
                unread.insert(uuid_of(r.get(0))?, r.get(1));
            }
        }
        Ok(list
            .into_iter()
            .map(|c| {
                let (client_name, client_vip) = clients.get(&c.client_id).cloned().unwrap_or_default();
                ConsultationRow {
                    operator_name: c.operator_id.and_then(|o| operators.get(&o).cloned()),
                    client_name,
                    client_vip,
                    unread: unread.get(&c.id).copied().unwrap_or(0),
                    consultation: c,
                }
            })
            .collect())
    }

    async fn operator_names(&self) -> CoreResult<HashMap<Uuid, String>> {
        Ok(self.operators().await?.into_iter().map(|o| (o.id, o.name)).collect())
    }

    /// Up to which seq `reader` has read the consultation.
    pub async fn read_position(&self, consultation_id: Uuid, reader: Uuid) -> CoreResult<i64> {
        Ok(self.positions(consultation_id, reader).await?.read)
    }

    /// Up to which seq `reader` has read the consultation, and up to which its device has it.
    pub async fn positions(&self, consultation_id: Uuid, reader: Uuid) -> CoreResult<Positions> {
        let row = sqlx::query("SELECT seq, delivered_seq FROM reads WHERE consultation_id = ? AND reader_id = ?")
            .bind(consultation_id.to_string())
            .bind(reader.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map_or(Positions::default(), |r| {
            let read: i64 = r.get(0);
            Positions { read, delivered: r.get::<i64, _>(1).max(read) }
        }))
    }

    /// Moves a read position forward at once (the server confirms it through the outbox).
    pub async fn set_read_position(&self, consultation_id: Uuid, reader: Uuid, seq: i64) -> CoreResult<()> {
        sqlx::query("INSERT INTO reads (consultation_id, reader_id, seq) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seq = MAX(seq, excluded.seq)")
            .bind(consultation_id.to_string())
            .bind(reader.to_string())
            .bind(seq)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A page of a client's thread, oldest first, `limit` messages before `before_seq` (or the
    /// newest); the newest page also carries what still waits in the outbox for this thread.
    /// `has_more`: older messages exist before the page.
    pub async fn thread_page(&self, client_id: Uuid, before_seq: Option<i64>, limit: i64) -> CoreResult<ThreadPage> {
        let mut messages = self.thread(client_id, before_seq, limit + 1).await?;
        let has_more = messages.len() as i64 > limit;
        if has_more {
            messages.remove(0);
        }
        let pending = if before_seq.is_none() { self.pending_messages(client_id).await? } else { Vec::new() };
        Ok(ThreadPage { messages: self.message_rows(client_id, messages).await?, has_more, pending })
    }

    /// `limit` messages of a client's thread after `after_seq`, oldest first (to page back
    /// towards the newest after jumping into the history). `has_more`: newer messages exist
    /// after the page; when there are none, the page carries the outbox's messages too.
    pub async fn thread_page_after(&self, client_id: Uuid, after_seq: i64, limit: i64) -> CoreResult<ThreadPage> {
        let mut messages = self.thread_after(client_id, after_seq, limit + 1).await?;
        let has_more = messages.len() as i64 > limit;
        messages.truncate(limit as usize);
        let pending = if has_more { Vec::new() } else { self.pending_messages(client_id).await? };
        Ok(ThreadPage { messages: self.message_rows(client_id, messages).await?, has_more, pending })
    }

    /// Messages with their authors' names and, for mine to the client, how far they got.
    async fn message_rows(&self, client_id: Uuid, messages: Vec<Message>) -> CoreResult<Vec<MessageRow>> {
        let operators = self.operator_names().await?;
        // The client's positions in each consultation of the page.
        let mut client_at: HashMap<Uuid, Positions> = HashMap::new();
        for m in &messages {
            if let Entry::Vacant(slot) = client_at.entry(m.consultation_id) {
                slot.insert(self.positions(m.consultation_id, client_id).await?);
            }
        }
        Ok(messages
            .into_iter()
            .map(|m| {
                let state = (m.author_kind == AuthorKind::Operator && !m.internal).then(|| client_at[&m.consultation_id].state_of(m.seq));
                let author_name = m.author_id.and_then(|a| operators.get(&a).cloned());
                MessageRow { message: m, author_name, state }
            })
            .collect())
    }

    /// Messages of the outbox for consultations of this client.
    async fn pending_messages(&self, client_id: Uuid) -> CoreResult<Vec<PendingMessage>> {
        let mut out = Vec::new();
        for e in self.outbox().await? {
            let Op::SendMessage { consultation_id, message } = &e.op else {
                continue;
            };
            match self.consultation(*consultation_id).await? {
                Some(c) if c.client_id == client_id => {}
                _ => continue,
            }
            out.push(PendingMessage {
                outbox_id: e.id,
                client_msg_id: message.client_msg_id,
                consultation_id: *consultation_id,
                body: message.body.clone(),
                internal: message.internal,
                state: if e.state == "failed" { SendState::Failed } else { SendState::Pending },
                error_code: e.error_code.clone(),
                error_message: e.error_message.clone(),
            });
        }
        Ok(out)
    }

    pub async fn counts_for(&self, me: Uuid) -> CoreResult<Counts> {
        let one = |sql: &'static str| async move { sqlx::query(sql).fetch_one(self.pool()).await.map(|r| r.get::<i64, _>(0)) };
        let now = Utc::now().timestamp_millis();
        let me_text = me.to_string();
        let mine =
            sqlx::query("SELECT COUNT(*) FROM consultations WHERE status = 'active' AND operator_id = ?").bind(&me_text).fetch_one(self.pool()).await?.get(0);
        let unread = sqlx::query(
            "SELECT COUNT(*) FROM consultations c JOIN messages m ON m.consultation_id = c.id AND m.from_client = 1 \
             WHERE c.status = 'active' AND c.operator_id = ?1 \
             AND m.seq > COALESCE((SELECT r.seq FROM reads r WHERE r.consultation_id = c.id AND r.reader_id = ?1), 0)",
        )
        .bind(&me_text)
        .fetch_one(self.pool())
        .await?
        .get(0);
        Ok(Counts {
            queue: one("SELECT COUNT(*) FROM consultations WHERE status = 'new'").await?,
            mine,
            active: one("SELECT COUNT(*) FROM consultations WHERE status = 'active'").await?,
            callbacks_due: sqlx::query("SELECT COUNT(*) FROM callbacks WHERE status IN ('new', 'claimed') AND due_at <= ?")
                .bind(now)
                .fetch_one(self.pool())
                .await?
                .get(0),
            callbacks_open: one("SELECT COUNT(*) FROM callbacks WHERE status IN ('new', 'claimed')").await?,
            unread,
            operators_online: one("SELECT COUNT(*) FROM operators WHERE json_extract(data, '$.status') IN ('online', 'busy', 'away')").await?,
            clients: one("SELECT COUNT(*) FROM clients").await?,
            outbox_pending: one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await?,
            outbox_failed: one("SELECT COUNT(*) FROM outbox WHERE state = 'failed'").await?,
        })
    }

    /// Callbacks of a view; with `text`, those whose phone, client's name or reason hold it
    /// (any case, any script: matched here, over the whole view, not over a first cut).
    pub async fn callback_list(&self, view: CallbackView, text: Option<&str>) -> CoreResult<Vec<CallbackRow>> {
        let sql = match view {
            CallbackView::Open => {
                "SELECT cb.data, k.name FROM callbacks cb LEFT JOIN clients k ON k.id = json_extract(cb.data, '$.client_id') \
                                   WHERE cb.status IN ('new', 'claimed') ORDER BY cb.due_at, cb.id"
            }
            CallbackView::Archive => {
                "SELECT cb.data, k.name FROM callbacks cb LEFT JOIN clients k ON k.id = json_extract(cb.data, '$.client_id') \
                                      WHERE cb.status NOT IN ('new', 'claimed') ORDER BY cb.due_at DESC, cb.id"
            }
        };
        let needle = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        let mut rows = sqlx::query(sql).fetch(self.pool());
        let mut callbacks = Vec::new();
        while let Some(r) = rows.try_next().await? {
            if let Some(t) = &needle {
                let name: Option<String> = r.get(1);
                let cb: Callback = crate::cache::parse(r.get(0))?;
                if cb.phone.contains(t.as_str())
                    || name.is_some_and(|n| n.to_lowercase().contains(t.as_str()))
                    || cb.reason.as_deref().is_some_and(|n| n.to_lowercase().contains(t.as_str()))
                {
                    callbacks.push(cb);
                }
            } else {
                callbacks.push(crate::cache::parse::<Callback>(r.get(0))?);
            }
            if callbacks.len() as i64 >= LIST_LIMIT {
                break;
            }
        }
        drop(rows);
        self.callback_rows(callbacks).await
    }

    async fn callback_rows(&self, callbacks: Vec<Callback>) -> CoreResult<Vec<CallbackRow>> {
        let operators = self.operator_names().await?;
        let mut out = Vec::with_capacity(callbacks.len());
        for cb in callbacks {
            let client_name = match cb.client_id {
                Some(id) => self.client(id).await?.map(|c| c.name),
                None => None,
            };
            out.push(CallbackRow { operator_name: cb.operator_id.and_then(|o| operators.get(&o).cloned()), client_name, callback: cb });
        }
        Ok(out)
    }

    pub async fn callback(&self, id: Uuid) -> CoreResult<Option<CallbackRow>> {
        let row = sqlx::query("SELECT data FROM callbacks WHERE id = ?").bind(id.to_string()).fetch_optional(self.pool()).await?;
        let Some(row) = row else { return Ok(None) };
        let cb: Callback = crate::cache::parse(row.get(0))?;
        Ok(self.callback_rows(vec![cb]).await?.pop())
    }

    /// Clients by name (or matching `query` by name, phone, email or tag), VIPs first.
    pub async fn client_list(&self, query: Option<&str>) -> CoreResult<Vec<Client>> {
        let rows = match query.map(str::trim).filter(|q| !q.is_empty()).and_then(crate::search::match_expression) {
            Some(expr) => {
                sqlx::query("SELECT c.data FROM client_fts f JOIN clients c ON c.rowid = f.rowid WHERE client_fts MATCH ? ORDER BY bm25(client_fts) LIMIT ?")
                    .bind(expr)
                    .bind(LIST_LIMIT)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query("SELECT data FROM clients ORDER BY name COLLATE NOCASE LIMIT ?").bind(LIST_LIMIT).fetch_all(self.pool()).await?,
        };
        rows.iter().map(|r| crate::cache::parse(r.get(0))).collect()
    }

    pub async fn client_profile(&self, id: Uuid, me: Uuid) -> CoreResult<Option<ClientProfile>> {
        let Some(client) = self.client(id).await? else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT data, last_message_at FROM consultations WHERE client_id = ? ORDER BY created_at DESC")
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        let consultations = rows.iter().map(crate::cache::consultation_from_row).collect::<CoreResult<Vec<_>>>()?;
        let consultations = self.rows(consultations, me).await?;
        let rows = sqlx::query("SELECT data FROM callbacks WHERE json_extract(data, '$.client_id') = ? ORDER BY due_at DESC")
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        let callbacks = rows.iter().map(|r| crate::cache::parse::<Callback>(r.get(0))).collect::<CoreResult<Vec<_>>>()?;
        let callbacks = self.callback_rows(callbacks).await?;
        let rows = sqlx::query("SELECT data FROM messages WHERE client_id = ? AND json_extract(data, '$.attachment') IS NOT NULL ORDER BY seq DESC LIMIT 200")
            .bind(id.to_string())
            .fetch_all(self.pool())
            .await?;
        let files = rows.iter().map(|r| crate::cache::parse::<Message>(r.get(0))).collect::<CoreResult<Vec<_>>>()?;
        Ok(Some(ClientProfile { client, consultations, callbacks, files }))
    }

    /// Operators with their load, online ones first, then by name.
    pub async fn operator_list(&self) -> CoreResult<Vec<OperatorRow>> {
        let loads: HashMap<Uuid, i64> =
            sqlx::query("SELECT operator_id, COUNT(*) FROM consultations WHERE status = 'active' AND operator_id IS NOT NULL GROUP BY operator_id")
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| Ok((uuid_of(r.get(0))?, r.get::<i64, _>(1))))
                .collect::<CoreResult<_>>()?;
        let mut out: Vec<OperatorRow> =
            self.operators().await?.into_iter().map(|o| OperatorRow { load: loads.get(&o.id).copied().unwrap_or(0), operator: o }).collect();
        out.sort_by(|a, b| {
            presence_rank(a.operator.status)
                .cmp(&presence_rank(b.operator.status))
                .then_with(|| a.operator.name.to_lowercase().cmp(&b.operator.name.to_lowercase()))
        });
        Ok(out)
    }

    /// Search hits with the client's name as their title and the snippet in parts.
    pub async fn search_hits(&self, query: &str, limit: i64) -> CoreResult<Vec<SearchHit>> {
        let mut out = Vec::new();
        for h in self.search(query, limit).await? {
            let title = match h.client_id {
                Some(id) => self.client(id).await?.map(|c| c.name).unwrap_or_default(),
                None => String::new(),
            };
            let mut segments = Vec::new();
            let mut at = 0;
            for &(a, b) in &h.snippet.marks {
                if a > at {
                    segments.push(Segment { text: h.snippet.text[at..a].to_owned(), mark: false });
                }
                segments.push(Segment { text: h.snippet.text[a..b].to_owned(), mark: true });
                at = b;
            }
            if at < h.snippet.text.len() {
                segments.push(Segment { text: h.snippet.text[at..].to_owned(), mark: false });
            }
            out.push(SearchHit { kind: h.kind.to_owned(), id: h.id, consultation_id: h.consultation_id, client_id: h.client_id, seq: h.seq, title, segments });
        }
        Ok(out)
    }
}

fn uuid_of(s: &str) -> CoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| CoreError::Corrupt(format!("an id in the cache: {e}")))
}

fn presence_rank(p: careline_protocol::Presence) -> u8 {
    use careline_protocol::Presence::*;
    match p {
        Online => 0,
        Busy => 1,
        Away => 2,
        Offline => 3,
    }
}
