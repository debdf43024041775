//! The consultations behind a figure (the drill-down from a bar, a heatmap cell or a row), and
//! one row per consultation with all its times (the CSV export).

use careline_protocol::{ReportItem, ReportItems, ReportItemsQuery, ReportMoment};
use sqlx::Row;

use super::{checked_offset, checked_period, Filters};
use crate::error::{AppError, AppResult};
use crate::store::rows::{get_enum, get_opt_time, get_opt_uuid, get_tags, get_time, get_uuid};
use crate::store::Store;

const DAY: i64 = 86_400_000;
/// A CSV export holds at most this many consultations.
pub const CSV_MAX: i64 = 200_000;

impl Store {
    /// `GET /api/v1/reports/consultations/items`: oldest moment first.
    pub async fn report_items(&self, q: &ReportItemsQuery) -> AppResult<ReportItems> {
        let (from, to) = checked_period(q.from, q.to)?;
        let csv = q.format == Some(careline_protocol::ReportFormat::Csv);
        let limit = match (q.limit, csv) {
            (_, true) => CSV_MAX,
            (None, false) => 200,
            (Some(n), false) if (1..=1000).contains(&n) => n,
            (Some(_), false) => return Err(AppError::invalid("limit must be between 1 and 1000")),
        };
        let offset = checked_offset(q.tz_offset_minutes)?;
        if q.weekday.is_some_and(|d| d > 6) || q.hour.is_some_and(|h| h > 23) {
            return Err(AppError::invalid(
                "weekday is 0 (Monday) to 6, hour 0 to 23",
            ));
        }
        // The moment's column, and where the consultations with it in the period are.
        let (moment, wheres): (&str, Vec<String>) = match q.moment {
            ReportMoment::Arrived => (
                "c.created_at",
                vec!["c.created_at >= $1 AND c.created_at < $2".into()],
            ),
            ReportMoment::Taken => (
                "c.first_taken_at",
                vec!["c.first_taken_at >= $1 AND c.first_taken_at < $2".into()],
            ),
            ReportMoment::Answered => (
                "c.first_response_at",
                vec!["c.first_response_at >= $1 AND c.first_response_at < $2".into()],
            ),
            ReportMoment::Closed => (
                "c.closed_at",
                vec!["c.closed_at >= $1 AND c.closed_at < $2".into()],
            ),
            ReportMoment::Abandoned => (
                "c.closed_at",
                vec![
                    "c.closed_at >= $1 AND c.closed_at < $2 AND c.first_response_at IS NULL".into(),
                ],
            ),
            // Alive in the period (as the reports read them): three disjoint parts.
            ReportMoment::Any => (
                "c.created_at",
                vec![
                    "c.created_at >= $1 AND c.created_at < $2".into(),
                    "c.closed_at >= $1 AND c.created_at < $1".into(),
                    "c.status IN ('new', 'active') AND c.created_at < $1".into(),
                ],
            ),
        };
        let filter = Filters {
            operator_id: q.operator_id,
            kind: q.kind,
            priority: q.priority,
        };
        let filters = filter.sql("c.");
        let select = format!(
            "SELECT c.id, c.client_id, k.name AS client_name, c.kind, c.priority, c.operator_id, o.name AS operator_name, c.created_at, \
             c.first_taken_at, c.first_response_at, c.closed_at, c.rating, c.rating_comment, c.price, c.currency, c.red_flag, c.tags, {moment} AS moment \
             FROM consultations c LEFT JOIN clients k ON k.id = c.client_id LEFT JOIN operators o ON o.id = c.operator_id WHERE "
        );
        let parts: Vec<String> = wheres
            .iter()
            .map(|w| format!("{select}{w}{filters}"))
            .collect();
        let sql = format!(
            "SELECT * FROM ({}) AS x ORDER BY moment, id",
            parts.join(" UNION ALL ")
        );
        let query = filter.bind(sqlx::query(&sql).bind(from).bind(to));
        let tag = q
            .tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let mut items = Vec::new();
        let mut more = false;
        for r in query.fetch_all(&self.reader).await? {
            if let Some(tag) = &tag {
                if !get_tags(&r, "tags")?
                    .iter()
                    .any(|t| t.to_lowercase() == *tag)
                {
                    continue;
                }
            }
            if q.weekday.is_some() || q.hour.is_some() {
                let local = r.try_get::<i64, _>("moment")? + offset;
                // 1970-01-01 was a Thursday (Monday = 0).
                let weekday = (local.div_euclid(DAY) + 3).rem_euclid(7) as u8;
                let hour = (local.rem_euclid(DAY) / 3_600_000) as u8;
                if q.weekday.is_some_and(|d| d != weekday) || q.hour.is_some_and(|h| h != hour) {
                    continue;
                }
            }
            if items.len() as i64 >= limit {
                more = true;
                break;
            }
            let created: i64 = r.try_get("created_at")?;
            let since = |col: &str| -> AppResult<Option<i64>> {
                Ok(r.try_get::<Option<i64>, _>(col)?.map(|t| t - created))
            };
            items.push(ReportItem {
                id: get_uuid(&r, "id")?,
                client_id: get_uuid(&r, "client_id")?,
                client_name: r
                    .try_get::<Option<String>, _>("client_name")?
                    .unwrap_or_default(),
                kind: get_enum(&r, "kind")?,
                priority: get_enum(&r, "priority")?,
                operator_id: get_opt_uuid(&r, "operator_id")?,
                operator_name: r.try_get("operator_name")?,
                created_at: get_time(&r, "created_at")?,
                first_taken_at: get_opt_time(&r, "first_taken_at")?,
                first_response_at: get_opt_time(&r, "first_response_at")?,
                closed_at: get_opt_time(&r, "closed_at")?,
                time_to_take_ms: since("first_taken_at")?,
                first_response_ms: since("first_response_at")?,
                resolution_ms: since("closed_at")?,
                rating: r.try_get("rating")?,
                rating_comment: r.try_get("rating_comment")?,
                price: r.try_get("price")?,
                currency: r.try_get("currency")?,
                red_flag: r.try_get("red_flag")?,
            });
        }
        Ok(ReportItems { items, more })
    }
}
