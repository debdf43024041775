//! The domain queries, written once for every engine (see `db`), on [`Store`]: the pools, the
//! engine, the group-commit writer of messages and the session cache. Each submodule owns the
//! tables of one part of the domain; every write goes through a `WriteTx` and emits the event
//! that tells everyone what changed.

pub mod assignment;
pub mod audit;
pub(crate) mod batch;
mod batch_native;
mod batch_writer;
pub mod callbacks;
pub mod calls;
pub mod clients;
pub mod consents;
pub(crate) mod consultation_rows;
pub mod consultations;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod messages;
pub mod operators;
pub mod paging;
pub mod prescriptions;
pub mod quick_replies;
pub mod red_flags;
pub mod refunds;
pub mod reports;
pub(crate) mod rows;
pub mod session_cache;
pub mod sessions;
pub mod settings;
pub mod signals;
pub mod snapshot;
pub mod tariffs;
pub mod visits;
pub mod webhooks;

use std::sync::Arc;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool};

use crate::config::Config;
use crate::db::{Backend, Commits, Engine, WriteTx};
use crate::error::{AppError, AppResult};

/// The storage: pools plus the engine.
#[derive(Clone)]
pub struct Store {
    /// Writes. One connection on SQLite (a single writer avoids lock upgrades).
    pub(crate) writer: AnyPool,
    /// Reads.
    pub(crate) reader: AnyPool,
    backend: Arc<dyn Backend>,
    /// Told about every commit that emitted events (with the events), and about other
    /// instances' commits (without).
    pub(crate) committed: Arc<Commits>,
    pub(crate) settings: Arc<StoreSettings>,
    /// The group-commit writer of messages.
    pub(crate) batcher: batch::Batcher,
    /// The embedded engine's native writer (None on PostgreSQL).
    pub(crate) native: Option<crate::db::sqlite_writer::NativeWriter>,
    pub(crate) sessions: Arc<session_cache::SessionCache>,
    /// The red-flag rules, compiled.
    pub(crate) red_flags: Arc<red_flags::RuleCache>,
    /// Seals the secrets the database keeps.
    pub(crate) secrets: Arc<crate::secrets::SecretBox>,
}

/// Domain settings the store needs.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub default_capacity: i64,
    pub callback_max_attempts: i64,
    pub callback_retry_minutes: i64,
}

impl From<&Config> for StoreSettings {
    fn from(c: &Config) -> Self {
        Self {
            default_capacity: c.default_capacity,
            callback_max_attempts: c.callback_max_attempts,
            callback_retry_minutes: c.callback_retry_minutes,
        }
    }
}

impl Store {
    /// Opens the database named by the configuration, running migrations.
    pub async fn open(config: &Config) -> AppResult<Store> {
        let Engine {
            writer,
            reader,
            backend,
            native,
        } = crate::db::open(config).await?;
        let settings = Arc::new(StoreSettings::from(config));
        let committed = Arc::new(Commits::default());
        let (batcher, queue) = batch::Batcher::new();
        let secrets = Arc::new(crate::secrets::SecretBox::load(config)?);
        let store = Store {
            writer,
            reader,
            backend,
            committed,
            settings,
            batcher,
            native,
            sessions: Arc::default(),
            red_flags: Arc::default(),
            secrets,
        };
        store.seal_secrets().await?;
        store.start_batch_writer(queue);
        store
            .backend
            .watch_remote_commits(store.committed.clone())
            .await?;
        Ok(store)
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Starts a writing transaction.
    pub async fn begin(&self) -> AppResult<WriteTx> {
        WriteTx::begin(&self.writer, self.backend.clone(), self.committed.clone()).await
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}

/// SQL assembled piece by piece with numbered placeholders, for lists with optional filters.
#[derive(Debug, Default)]
pub(crate) struct SqlBuf {
    pub sql: String,
    args: Vec<Arg>,
    has_where: bool,
}

impl SqlBuf {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            args: Vec::new(),
            has_where: false,
        }
    }

    /// Adds a value and returns its placeholder.
    pub fn arg(&mut self, a: impl Into<Arg>) -> String {
        self.args.push(a.into());
        format!("${}", self.args.len())
    }

    /// Appends `WHERE cond` or `AND cond`.
    pub fn and(&mut self, cond: &str) {
        self.sql
            .push_str(if self.has_where { " AND " } else { " WHERE " });
        self.sql.push_str(cond);
        self.has_where = true;
    }

    pub fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

/// Page size: default 50, at most 500.
pub(crate) fn page_limit(limit: Option<i64>) -> AppResult<i64> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(n) => Err(AppError::bad_request(format!(
            "limit must be between 1 and 500, not {n}"
        ))),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (with `ESCAPE '\'`).
pub(crate) fn like_pattern(q: &str) -> String {
    let mut s = String::with_capacity(q.len() + 2);
    s.push('%');
    for c in q.chars().flat_map(char::to_lowercase) {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

pub(crate) fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Tags are trimmed, non-empty, at most 64 characters, at most 32 of them, no duplicates.
pub(crate) fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    // Bounded before anything else is done with them (60,000 tags took seconds to deduplicate).
    if tags.len() > MAX_TAGS {
        return Err(AppError::invalid(format!("at most {MAX_TAGS} tags")));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if shows_nothing(t) || t.chars().count() > 64 {
            return Err(AppError::invalid(
                "a tag must have 1 to 64 characters, one of them visible",
            ));
        }
        no_bidi_override("a tag", t)?;
        if seen.insert(t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

const MAX_TAGS: usize = 32;

/// A required text field: trimmed, non-empty, at most `max` characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if shows_nothing(v) {
        return Err(AppError::invalid(format!(
            "{field} must have a visible character"
        )));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    no_bidi_override(field, v)?;
    Ok(v.to_owned())
}

/// Characters that draw nothing: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties:
/// soft hyphen, combining grapheme joiner, Hangul fillers U+115F, U+1160, U+3164 and U+FFA0,
/// zero-width characters, variation selectors, tag characters, …) and the blank Braille
/// pattern U+2800, which is a symbol but shows nothing either.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    ) || is_bidi_control(c)
}

/// Text that shows nothing: empty, blanks and invisible characters only.
pub(crate) fn shows_nothing(v: &str) -> bool {
    v.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// Bidirectional embeddings, overrides and isolates: they reorder what follows them on screen
/// (`evil\u{202e}txt.exe` shows as `evilexe.txt`).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

pub(crate) fn no_bidi_override(field: &str, v: &str) -> AppResult<()> {
    if v.chars().any(is_bidi_control) {
        return Err(AppError::invalid(format!(
            "{field} holds a control character that reorders text"
        )));
    }
    Ok(())
}

/// An optional text field: trimmed; empty becomes none.
pub(crate) fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(AppError::invalid(format!(
            "{field} is longer than {max} characters"
        ))),
        Some(v) => {
            no_bidi_override(field, v)?;
            Ok(Some(v.to_owned()))
        }
    }
}
