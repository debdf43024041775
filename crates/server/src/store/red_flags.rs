//! Red-flag rules (admin-edited), compiled and kept for a moment; raising a consultation when one
//! fires on a client's message is `messages::raise_red_flag`. The matching itself is `crate::red_flags`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use careline_protocol::{RedFlagRule, RedFlagRuleRequest};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::rows::{get_bool, get_enum, get_time, get_uuid};
use super::Store;
use crate::error::{AppError, AppResult};
use crate::red_flags::{check_phrase, Matcher};
use crate::time::now_ms;

/// How long an instance uses the rules it read before reading them again: a change made
/// through another instance applies within this time (through this one, at once).
const RULES_FRESH_FOR: Duration = Duration::from_secs(2);

/// The compiled enabled rules, with when they were read.
#[derive(Default)]
pub(crate) struct RuleCache(std::sync::Mutex<Option<(Instant, Arc<Matcher>)>>);

impl RuleCache {
    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

const RULE_COLS: &str = "id, phrase, unless, language, enabled, created_at";

fn rule_row(row: &AnyRow) -> AppResult<RedFlagRule> {
    let unless: String = row.try_get("unless")?;
    Ok(RedFlagRule {
        id: get_uuid(row, "id")?,
        phrase: row.try_get("phrase")?,
        unless: serde_json::from_str(&unless)
            .map_err(|e| AppError::failed("a red-flag rule's unless", e))?,
        language: get_enum(row, "language")?,
        enabled: get_bool(row, "enabled")?,
        created_at: get_time(row, "created_at")?,
    })
}

/// Trims and checks a rule before it is saved.
fn clean(req: &RedFlagRuleRequest) -> AppResult<RedFlagRuleRequest> {
    let phrase = req.phrase.trim().to_owned();
    check_phrase(&phrase).map_err(AppError::invalid)?;
    if req.unless.len() > 20 {
        return Err(AppError::invalid("a rule has at most 20 unless phrases"));
    }
    let mut unless = Vec::new();
    for u in &req.unless {
        let u = u.trim();
        check_phrase(u).map_err(|e| AppError::invalid(format!("unless: {e}")))?;
        unless.push(u.to_owned());
    }
    Ok(RedFlagRuleRequest {
        phrase,
        unless,
        language: req.language,
        enabled: req.enabled,
    })
}

impl Store {
    /// Every rule, in the order they are tried (oldest first).
    pub async fn list_red_flags(&self) -> AppResult<Vec<RedFlagRule>> {
        let rows = sqlx::query(&format!(
            "SELECT {RULE_COLS} FROM red_flag_rules ORDER BY created_at, id"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rule_row).collect()
    }

    pub async fn create_red_flag(
        &self,
        req: &RedFlagRuleRequest,
        admin: Uuid,
        remote: Option<&str>,
    ) -> AppResult<RedFlagRule> {
        let req = clean(req)?;
        let now = now_ms();
        let rule = RedFlagRule {
            id: careline_protocol::new_id(),
            phrase: req.phrase,
            unless: req.unless,
            language: req.language,
            enabled: req.enabled,
            created_at: crate::time::from_ms(now),
        };
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO red_flag_rules (id, phrase, unless, language, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(rule.id.to_string())
            .bind(&rule.phrase)
            .bind(serde_json::to_string(&rule.unless).unwrap_or_else(|_| "[]".into()))
            .bind(rule.language.as_str())
            .bind(rule.enabled as i64)
            .bind(now)
            .execute(tx.conn())
            .await?;
        audit_in(
            &mut tx,
            admin,
            "red_flag.create",
            Some(rule.id),
            Some(&rule.phrase),
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        self.red_flags.forget();
        Ok(rule)
    }

    pub async fn update_red_flag(
        &self,
        id: Uuid,
        req: &RedFlagRuleRequest,
        admin: Uuid,
        remote: Option<&str>,
    ) -> AppResult<RedFlagRule> {
        let req = clean(req)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE red_flag_rules SET phrase = $1, unless = $2, language = $3, enabled = $4 WHERE id = $5")
            .bind(&req.phrase)
            .bind(serde_json::to_string(&req.unless).unwrap_or_else(|_| "[]".into()))
            .bind(req.language.as_str())
            .bind(req.enabled as i64)
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found("red-flag rule"));
        }
        audit_in(
            &mut tx,
            admin,
            "red_flag.update",
            Some(id),
            Some(&req.phrase),
            remote,
            now,
        )
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {RULE_COLS} FROM red_flag_rules WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_one(tx.conn())
        .await?;
        let rule = rule_row(&row)?;
        tx.commit().await?;
        self.red_flags.forget();
        Ok(rule)
    }

    pub async fn delete_red_flag(
        &self,
        id: Uuid,
        admin: Uuid,
        remote: Option<&str>,
    ) -> AppResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT phrase FROM red_flag_rules WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("red-flag rule"))?;
        let phrase: String = row.try_get("phrase")?;
        sqlx::query("DELETE FROM red_flag_rules WHERE id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        audit_in(
            &mut tx,
            admin,
            "red_flag.delete",
            Some(id),
            Some(&phrase),
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        self.red_flags.forget();
        Ok(())
    }

    /// The enabled rules, compiled; read again after [`RULES_FRESH_FOR`] or a change here.
    pub(crate) async fn red_flag_matcher(&self) -> AppResult<Arc<Matcher>> {
        if let Some((at, m)) = &*self.red_flags.0.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < RULES_FRESH_FOR {
                return Ok(m.clone());
            }
        }
        let rules = self.list_red_flags().await?;
        let enabled: Vec<&RedFlagRule> = rules.iter().filter(|r| r.enabled).collect();
        let matcher = Arc::new(
            Matcher::new(
                enabled
                    .iter()
                    .map(|r| (r.phrase.as_str(), r.unless.as_slice())),
            )
            .map_err(AppError::Other)?,
        );
        *self.red_flags.0.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), matcher.clone()));
        Ok(matcher)
    }

    /// Which enabled rule fires on `text` (nothing is changed).
    pub async fn test_red_flags(&self, text: &str) -> AppResult<Option<String>> {
        Ok(self
            .red_flag_matcher()
            .await?
            .first_match(text)
            .map(str::to_owned))
    }
}
