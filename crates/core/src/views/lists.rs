//! Consultation lists: the four views, filtered and sorted in the database, in pages after a
//! keyset cursor, with exact counts; a list's line with names and my unread count.

use std::collections::HashMap;

use careline_protocol::{Consultation, ConsultationKind, ConsultationStatus, Priority};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::{uuid_of, Views};
use crate::sla::{consultation_due, SlaDue};
use crate::CoreResult;

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
    /// The view's natural order: the queue urgent first, then oldest first (the order the
    /// server assigns in); the others newest first.
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
    /// When it is (or was) late by the desk's SLA, if a threshold applies (see `sla`).
    pub sla: Option<SlaDue>,
    /// The last message the client and staff exchanged in it (not notes, not the server's
    /// own): its text, or a file's name; what the list shows under the name.
    pub last_text: Option<String>,
    /// Whether the client wrote that last message.
    pub last_from_client: bool,
    /// Whether I wrote it (the list marks it "You:").
    pub last_by_me: bool,
    /// Whether it was a file without words (`last_text` is then the file's name).
    pub last_is_file: bool,
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
            ConsultationView::Mine | ConsultationView::Active => {
                (ConsultationStatus::Active, false)
            }
            ConsultationView::Archive => (ConsultationStatus::Closed, false),
        };
        let (key, ascending) = match filter.sort {
            // The queue's own order is the server's order of assignment: urgent (a red flag)
            // first, then the longest waiting.
            Sort::Natural if view == ConsultationView::Queue => (KEY_PRIORITY, true),
            Sort::Natural => (KEY_CREATED, oldest_default),
            Sort::Oldest => (KEY_CREATED, true),
            Sort::Newest => (KEY_CREATED, false),
            Sort::Priority => (KEY_PRIORITY, true),
            Sort::LastMessage => (KEY_LAST_MESSAGE, false),
        };
        let mut q = ListQuery {
            conditions: Vec::new(),
            binds: Vec::new(),
            key,
            ascending,
        };
        q.add("c.status = ?", [Bind::Text(status.as_str().to_owned())]);
        let operator = if view == ConsultationView::Mine {
            Some(me)
        } else {
            filter.operator_id
        };
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
            q.add(
                "json_extract(data, '$.kind') = ?",
                [Bind::Text(enum_text(&kind))],
            );
        }
        if let Some(priority) = filter.priority {
            q.add(
                "json_extract(data, '$.priority') = ?",
                [Bind::Text(enum_text(&priority))],
            );
        }
        if let Some(tag) = filter
            .tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            // The full-text index (which holds the tags) narrows the rows down; the tag itself is
            // then compared whole, in any case of any script (the `unicase` collation).
            if let Some(expr) = crate::search::match_expression(tag) {
                q.add("c.rowid IN (SELECT f.rowid FROM consultation_fts f WHERE consultation_fts MATCH ?)", [Bind::Text(expr)]);
            }
            q.add("EXISTS (SELECT 1 FROM json_each(c.data, '$.tags') t WHERE t.value = ? COLLATE unicase)", [Bind::Text(tag.to_owned())]);
        }
        if let Some(text) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
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

    fn bound<'q>(
        sql: &'q str,
        binds: &'q [Bind],
    ) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
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
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Views<'_> {
    /// A page of a consultation list of one view, filtered and sorted in the database (every
    /// match is reachable however big the archive), after `after` (or from the start), with
    /// the exact number of matches; `self.me` is the operator.
    pub async fn list_page(
        &self,
        view: ConsultationView,
        filter: &ListFilter,
        after: Option<ListCursor>,
        limit: i64,
    ) -> CoreResult<ListPage> {
        let q = ListQuery::new(view, filter, self.me);
        let filter_sql = q.conditions.join(" AND ");
        let total: i64 = ListQuery::bound(
            &format!("SELECT COUNT(*) FROM consultations c WHERE {filter_sql}"),
            &q.binds,
        )
        .fetch_one(self.cache.pool())
        .await?
        .get(0);
        let (order, past) = if q.ascending {
            ("ASC", ">")
        } else {
            ("DESC", "<")
        };
        let mut binds = q.binds;
        let mut page_sql = filter_sql;
        if let Some(cursor) = after {
            // The plain bound lets SQLite seek the key's index (it does not for a row value alone).
            page_sql.push_str(&format!(
                " AND {key} {past}= ? AND ({key}, id) {past} (?, ?)",
                key = q.key
            ));
            binds.push(Bind::Int(cursor.key));
            binds.push(Bind::Int(cursor.key));
            binds.push(Bind::Text(cursor.id.to_string()));
        }
        let limit = limit.clamp(1, PAGE_MAX);
        binds.push(Bind::Int(limit + 1));
        let sql =
            format!("SELECT c.data, c.last_message_at, {key} FROM consultations c WHERE {page_sql} ORDER BY {key} {order}, id {order} LIMIT ?", key = q.key);
        let found = ListQuery::bound(&sql, &binds)
            .fetch_all(self.cache.pool())
            .await?;
        let more = found.len() as i64 > limit;
        let found = &found[..found.len().min(limit as usize)];
        let list = found
            .iter()
            .map(crate::cache::consultation_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        let next = match (more, list.last(), found.last()) {
            (true, Some(c), Some(r)) => Some(ListCursor {
                key: r.get(2),
                id: c.id,
            }),
            _ => None,
        };
        Ok(ListPage {
            rows: self.rows(list).await?,
            total,
            next,
        })
    }

    /// A whole consultation list (every page): for the desk's own needs, not for the window.
    pub async fn list(
        &self,
        view: ConsultationView,
        filter: &ListFilter,
    ) -> CoreResult<Vec<ConsultationRow>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.list_page(view, filter, after, PAGE_MAX).await?;
            all.extend(page.rows);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    pub async fn consultation_row(&self, id: Uuid) -> CoreResult<Option<ConsultationRow>> {
        let Some(c) = self.cache.consultation(id).await? else {
            return Ok(None);
        };
        Ok(self.rows(vec![c]).await?.pop())
    }

    /// Consultations whose id starts (or, for the short ids the CLI shows, ends) with `part`:
    /// at least 4 hex digits.
    pub async fn consultations_by_prefix(&self, part: &str) -> CoreResult<Vec<ConsultationRow>> {
        let found = self.cache.consultations_by_prefix(part).await?;
        self.rows(found).await
    }

    /// For each active consultation whose client wrote after the last answer they could see:
    /// when that first unanswered message came. Two statements per 200: the threads' last
    /// answers through the thread index, then the client messages after them through theirs.
    pub async fn unanswered_since(
        &self,
        list: &[Consultation],
    ) -> CoreResult<HashMap<Uuid, DateTime<Utc>>> {
        let answered: Vec<&Consultation> = list
            .iter()
            .filter(|c| c.status == ConsultationStatus::Active && c.first_response_at.is_some())
            .collect();
        let mut out = HashMap::new();
        for chunk in answered.chunks(200) {
            let mut last_answer: HashMap<Uuid, i64> = HashMap::new();
            let sql = format!(
                "SELECT consultation_id, MAX(seq) FROM messages WHERE client_id IN ({}) AND from_client = 0                  AND json_extract(data, '$.author_kind') = 'operator' AND json_extract(data, '$.internal') = 0 GROUP BY consultation_id",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q.bind(c.client_id.to_string());
            }
            for r in q.fetch_all(self.cache.pool()).await? {
                last_answer.insert(uuid_of(r.get(0))?, r.get(1));
            }
            // Each consultation's first client message after its last answer, in one statement
            // (a subquery each, through the client messages' index).
            let after: serde_json::Map<String, serde_json::Value> = chunk
                .iter()
                .map(|c| {
                    (
                        c.id.to_string(),
                        last_answer.get(&c.id).copied().unwrap_or(0).into(),
                    )
                })
                .collect();
            let rows = sqlx::query(
                "SELECT a.key, (SELECT json_extract(m.data, '$.created_at') FROM messages m \
                 WHERE m.consultation_id = a.key AND m.from_client = 1 AND m.seq > a.value ORDER BY m.seq LIMIT 1) \
                 FROM json_each(?) a",
            )
            .bind(serde_json::Value::Object(after).to_string())
            .fetch_all(self.cache.pool())
            .await?;
            for r in rows {
                if let Some(at) = r
                    .get::<Option<String>, _>(1)
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                {
                    out.insert(uuid_of(r.get(0))?, at.with_timezone(&Utc));
                }
            }
        }
        Ok(out)
    }

    /// Decorates consultations with names and unread counts (a query for all of each, not one
    /// per row: a queue of hundreds lists in milliseconds).
    pub(super) async fn rows(&self, list: Vec<Consultation>) -> CoreResult<Vec<ConsultationRow>> {
        let operators = self.operator_names().await?;
        let thresholds = self.cache.sla_thresholds().await?;
        let waiting = self.unanswered_since(&list).await?;
        let mut clients: HashMap<Uuid, (String, bool)> = HashMap::new();
        let mut unread: HashMap<Uuid, i64> = HashMap::new();
        let mut last: HashMap<Uuid, (String, bool, bool, bool)> = HashMap::new();
        for chunk in list.chunks(500) {
            // Each one's last exchanged message, through its client's thread index, newest first.
            let pairs: serde_json::Map<String, serde_json::Value> = chunk
                .iter()
                .map(|c| (c.id.to_string(), c.client_id.to_string().into()))
                .collect();
            let rows = sqlx::query(
                "SELECT j.key, json_extract(m.data, '$.body'), json_extract(m.data, '$.attachment.file_name'), m.from_client, \
                 json_extract(m.data, '$.author_id') = ? \
                 FROM json_each(?) j JOIN messages m ON m.seq = ( \
                   SELECT l.seq FROM messages l WHERE l.client_id = j.value AND l.consultation_id = j.key \
                   AND json_extract(l.data, '$.internal') = 0 AND json_extract(l.data, '$.author_kind') IN ('client', 'operator') \
                   ORDER BY l.seq DESC LIMIT 1)",
            )
            .bind(self.me.to_string())
            .bind(serde_json::Value::Object(pairs).to_string())
            .fetch_all(self.cache.pool())
            .await?;
            for r in rows {
                let body: Option<String> = r.get(1);
                let file: Option<String> = r.get(2);
                let (text, is_file) = match (body.filter(|b| !b.trim().is_empty()), file) {
                    (Some(b), _) => (b, false),
                    (None, Some(f)) => (f, true),
                    (None, None) => continue,
                };
                last.insert(
                    uuid_of(r.get(0))?,
                    (
                        text,
                        r.get::<i64, _>(3) != 0,
                        r.get::<Option<i64>, _>(4) == Some(1),
                        is_file,
                    ),
                );
            }
            let ids: Vec<String> = chunk.iter().map(|c| c.client_id.to_string()).collect();
            let sql = format!("SELECT id, name, COALESCE(json_extract(data, '$.vip'), 0) FROM clients WHERE id IN ({})", vec!["?"; ids.len()].join(", "));
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.cache.pool()).await? {
                clients.insert(uuid_of(r.get(0))?, (r.get(1), r.get::<i64, _>(2) != 0));
            }
            let open: Vec<String> = chunk
                .iter()
                .filter(|c| c.status != ConsultationStatus::Closed)
                .map(|c| c.id.to_string())
                .collect();
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
            for r in q
                .bind(self.me.to_string())
                .fetch_all(self.cache.pool())
                .await?
            {
                unread.insert(uuid_of(r.get(0))?, r.get(1));
            }
        }
        Ok(list
            .into_iter()
            .map(|c| {
                let (client_name, client_vip) =
                    clients.get(&c.client_id).cloned().unwrap_or_default();
                ConsultationRow {
                    operator_name: c.operator_id.and_then(|o| operators.get(&o).cloned()),
                    client_name,
                    client_vip,
                    unread: unread.get(&c.id).copied().unwrap_or(0),
                    sla: consultation_due(&c, waiting.get(&c.id).copied(), &thresholds),
                    last_text: last.get(&c.id).map(|l| l.0.clone()),
                    last_from_client: last.get(&c.id).is_some_and(|l| l.1),
                    last_by_me: last.get(&c.id).is_some_and(|l| l.2),
                    last_is_file: last.get(&c.id).is_some_and(|l| l.3),
                    consultation: c,
                }
            })
            .collect())
    }
}
