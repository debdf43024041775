//! The callback requests report (docs/reports.md): of the requests created in the period —
//! time to the first attempt, reached on the first try, unanswered attempts, due-time hits,
//! attempts per finished request; and those overdue now.

use std::collections::HashMap;

use careline_protocol::{CallbackFigures, CallbackReport, ReportQuery};
use sqlx::Row;

use super::{checked_period, duration};
use crate::error::AppResult;
use crate::store::Store;
use crate::time::now_ms;

/// A scheduled request without an end to its window is on time this long after its start when
/// no SLA threshold is set.
const DEFAULT_WINDOW_MS: i64 = 15 * 60_000;

impl Store {
    /// `GET /api/v1/reports/callbacks`.
    pub async fn callback_report(&self, q: &ReportQuery) -> AppResult<CallbackReport> {
        let (from, to) = checked_period(q.from, q.to)?;
        let asap_limit = self
            .desk_settings()
            .await?
            .sla
            .callback_asap_minutes
            .filter(|m| *m > 0)
            .map(|m| m * 60_000);
        let requests = sqlx::query("SELECT id, preferred_at, preferred_until, status, created_at FROM callbacks WHERE created_at >= $1 AND created_at < $2")
            .bind(from)
            .bind(to)
            .fetch_all(&self.reader)
            .await?;
        // Each request's attempts, in order.
        let mut attempts: HashMap<String, Vec<(i64, String)>> = HashMap::new();
        let rows = sqlx::query(
            "SELECT a.callback_id, a.at, a.outcome FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id \
             WHERE c.created_at >= $1 AND c.created_at < $2 ORDER BY a.callback_id, a.n",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        for r in &rows {
            attempts
                .entry(r.try_get("callback_id")?)
                .or_default()
                .push((r.try_get("at")?, r.try_get("outcome")?));
        }
        let mut f = CallbackFigures {
            created: requests.len() as i64,
            ..Default::default()
        };
        let mut waits = Vec::new();
        let mut finished_attempts = 0i64;
        for r in &requests {
            let id: String = r.try_get("id")?;
            let created: i64 = r.try_get("created_at")?;
            let preferred: Option<i64> = r.try_get("preferred_at")?;
            let until: Option<i64> = r.try_get("preferred_until")?;
            let status: String = r.try_get("status")?;
            let tries = attempts.get(&id).map(Vec::as_slice).unwrap_or_default();
            if status == "done" || status == "failed" {
                f.finished += 1;
                finished_attempts += tries.len() as i64;
            }
            f.attempts += tries.len() as i64;
            f.no_answer += tries
                .iter()
                .filter(|(_, o)| o == "no_answer" || o == "busy")
                .count() as i64;
            let Some((first, outcome)) = tries.first() else {
                continue;
            };
            f.attempted += 1;
            if outcome == "reached" {
                f.reached_first_try += 1;
            }
            let wanted = preferred.unwrap_or(created).max(created);
            waits.push((first - wanted).max(0));
            let on_time = match preferred {
                None => asap_limit.is_none_or(|l| first - created <= l),
                Some(start) => {
                    let end = until.unwrap_or(start + asap_limit.unwrap_or(DEFAULT_WINDOW_MS));
                    *first >= start && *first <= end
                }
            };
            if on_time {
                f.due_hits += 1;
            }
        }
        f.time_to_first_attempt = duration(waits);
        f.attempts_per_finished =
            (f.finished > 0).then(|| finished_attempts as f64 / f.finished as f64);
        let overdue = sqlx::query("SELECT COUNT(*) AS n FROM callbacks WHERE status IN ('new', 'claimed') AND due_at < $1")
            .bind(now_ms())
            .fetch_one(&self.reader)
            .await?;
        f.overdue_now = overdue.try_get("n")?;
        Ok(CallbackReport {
            from: q.from,
            to: q.to,
            total: f,
        })
    }
}
