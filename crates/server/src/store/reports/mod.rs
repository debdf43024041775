//! Reports over the consultations and their history of steps (docs/reports.md). A consultation's figures fall into the bucket of the moment that ends them:
//! an arrival where it was created, a take where it was first taken, a first response where
//! the first answer the client could see was sent, a resolution where it closed.
//!
//! `items` lists the consultations behind a figure (the drill-down, and the CSV of one row per
//! consultation), `callbacks` and `billing` are the other reports, `csv` writes them all as CSV.

pub mod billing;
pub mod callbacks;
pub mod csv;
pub mod items;

use careline_protocol::{
    ConsultationBucket, ConsultationFigures, ConsultationReport, DurationFigure, OperatorFigures,
    OperatorReport, ReportGroup, ReportQuery, StatusTimes,
};
use sqlx::Row;

use super::rows::get_tags;
use super::Store;
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, ms};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The longest period one report covers.
const MAX_DAYS: i64 = 366;

/// Where a moment falls: the buckets of a period in the reader's time zone.
struct Buckets {
    group: ReportGroup,
    offset: i64,
    first: i64,
    count: usize,
}

impl Buckets {
    fn new(group: ReportGroup, offset: i64, from: i64, to: i64) -> Buckets {
        let mut b = Buckets {
            group,
            offset,
            first: 0,
            count: 0,
        };
        b.first = b.start_of(from);
        b.count = (0..).take_while(|i| b.nth_start(*i) < to).count();
        b
    }

    /// The start (UTC ms) of the bucket holding `t`.
    fn start_of(&self, t: i64) -> i64 {
        let local = t + self.offset;
        let start = match self.group {
            ReportGroup::Hour => local - local.rem_euclid(HOUR),
            ReportGroup::Day => local - local.rem_euclid(DAY),
            // 1970-01-01 was a Thursday: three days after a Monday.
            ReportGroup::Week => {
                let day = local.div_euclid(DAY);
                (day - (day + 3).rem_euclid(7)) * DAY
            }
        };
        start - self.offset
    }

    fn nth_start(&self, i: usize) -> i64 {
        let len = match self.group {
            ReportGroup::Hour => HOUR,
            ReportGroup::Day => DAY,
            ReportGroup::Week => 7 * DAY,
        };
        self.first + i as i64 * len
    }

    fn index(&self, t: i64) -> Option<usize> {
        let len = self.nth_start(1) - self.first;
        let i = (self.start_of(t) - self.first).div_euclid(len);
        (0..self.count as i64).contains(&i).then_some(i as usize)
    }
}

/// What one bucket gathers before its figures are worked out.
#[derive(Default)]
struct Gathered {
    arrivals: i64,
    taken: i64,
    closed: i64,
    abandoned: i64,
    take: Vec<i64>,
    first_response: Vec<i64>,
    resolution: Vec<i64>,
    ratings: Vec<i64>,
    sla_queue_wait: i64,
    sla_first_response: i64,
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[i64], p: i64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as i64 + 99) / 100; // ceil(p/100 · n), at least 1
    Some(sorted[(rank.max(1) - 1) as usize])
}

pub(crate) fn duration(mut values: Vec<i64>) -> DurationFigure {
    values.sort_unstable();
    DurationFigure {
        count: values.len() as i64,
        median_ms: percentile(&values, 50),
        p90_ms: percentile(&values, 90),
    }
}

impl Gathered {
    fn figures(self) -> ConsultationFigures {
        let rated = self.ratings.len() as i64;
        ConsultationFigures {
            arrivals: self.arrivals,
            taken: self.taken,
            closed: self.closed,
            abandoned: self.abandoned,
            time_to_take: duration(self.take),
            first_response: duration(self.first_response),
            resolution: duration(self.resolution),
            rated,
            rating_average: (rated > 0)
                .then(|| self.ratings.iter().sum::<i64>() as f64 / rated as f64),
            sla_queue_wait_breaches: self.sla_queue_wait,
            sla_first_response_breaches: self.sla_first_response,
        }
    }
}

/// What a report reads of one consultation.
struct Fact {
    created: i64,
    first_take: Option<i64>,
    first_response: Option<i64>,
    closed: Option<i64>,
    rating: Option<i64>,
    operator: Option<String>,
}

/// What one moment adds to a gathering.
type Add<'a> = dyn Fn(&mut Gathered) + 'a;

/// The SLA thresholds the reports count breaches of, in milliseconds.
#[derive(Clone, Copy, Default)]
struct Limits {
    queue_wait: Option<i64>,
    first_response: Option<i64>,
}

impl From<&careline_protocol::SlaThresholds> for Limits {
    fn from(t: &careline_protocol::SlaThresholds) -> Limits {
        let ms = |m: Option<i64>| m.filter(|m| *m > 0).map(|m| m * 60_000);
        Limits {
            queue_wait: ms(t.queue_wait_minutes),
            first_response: ms(t.first_response_minutes),
        }
    }
}

/// Hands each of one consultation's moments within [from, to) to `apply`, with what the
/// moment adds to a gathering; `apply` adds it to the gatherings the moment falls into.
fn gather(f: &Fact, from: i64, to: i64, limits: Limits, apply: &mut dyn FnMut(i64, &Add)) {
    let within = |t: i64| t >= from && t < to;
    if within(f.created) {
        apply(f.created, &|g| g.arrivals += 1);
    }
    if let Some(t) = f.first_take.filter(|t| within(*t)) {
        apply(t, &|g| {
            g.taken += 1;
            g.take.push(t - f.created);
            if limits.queue_wait.is_some_and(|l| t - f.created > l) {
                g.sla_queue_wait += 1;
            }
        });
    }
    if let Some(t) = f.first_response.filter(|t| within(*t)) {
        apply(t, &|g| {
            g.first_response.push(t - f.created);
            // The SLA's first response counts from the take (sla.rs in the desk).
            let taken = f.first_take.unwrap_or(f.created);
            if limits.first_response.is_some_and(|l| t - taken > l) {
                g.sla_first_response += 1;
            }
        });
    }
    if let Some(t) = f.closed.filter(|t| within(*t)) {
        apply(t, &|g| {
            g.closed += 1;
            g.resolution.push(t - f.created);
            if f.first_response.is_none() {
                g.abandoned += 1;
            }
            if let Some(r) = f.rating {
                g.ratings.push(r);
            }
        });
    }
}

/// The reader's offset from UTC in milliseconds, refused off the globe (±14 h).
pub(crate) fn checked_offset(minutes: Option<i32>) -> AppResult<i64> {
    let minutes = minutes.unwrap_or(0) as i64;
    if minutes.abs() > 14 * 60 {
        return Err(AppError::invalid("tz_offset_minutes must be within ±840"));
    }
    Ok(minutes * 60_000)
}

/// A report's period in milliseconds, refused when backwards or longer than a year.
pub(crate) fn checked_period(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> AppResult<(i64, i64)> {
    let (from, to) = (ms(from), ms(to));
    if to <= from || to - from > MAX_DAYS * DAY {
        return Err(AppError::invalid(format!(
            "the period must end after it starts and last at most {MAX_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// The filters every consultation report shares, as SQL after the period's `$1` and `$2`.
pub(crate) struct Filters {
    pub operator_id: Option<uuid::Uuid>,
    pub kind: Option<careline_protocol::ConsultationKind>,
    pub priority: Option<careline_protocol::Priority>,
}

impl Filters {
    /// ` AND <table.>operator_id = $3 …` for the filters given.
    pub(crate) fn sql(&self, table: &str) -> String {
        let mut out = String::new();
        let mut n = 2;
        for (given, col) in [
            (self.operator_id.is_some(), "operator_id"),
            (self.kind.is_some(), "kind"),
            (self.priority.is_some(), "priority"),
        ] {
            if given {
                n += 1;
                out.push_str(&format!(" AND {table}{col} = ${n}"));
            }
        }
        out
    }

    /// Binds the values of [`Filters::sql`], in its order.
    pub(crate) fn bind<'q>(
        &self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        if let Some(o) = self.operator_id {
            query = query.bind(o.to_string());
        }
        if let Some(k) = self.kind {
            query = query.bind(k.as_str());
        }
        if let Some(p) = self.priority {
            query = query.bind(p.as_str());
        }
        query
    }
}

/// One consultation's line of the compact read: six fields, empty when null.
fn fact_of_line(line: &str) -> AppResult<Fact> {
    let bad = || AppError::Corrupt(format!("a report line: {line:?}"));
    let mut f = line.split(',');
    let mut num = || -> AppResult<Option<i64>> {
        match f.next().ok_or_else(bad)? {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| bad()),
        }
    };
    let created = num()?.ok_or_else(bad)?;
    let (first_take, first_response, closed, rating) = (num()?, num()?, num()?, num()?);
    let operator = match f.next().ok_or_else(bad)? {
        "" => None,
        o => Some(o.to_owned()),
    };
    Ok(Fact {
        created,
        first_take,
        first_response,
        closed,
        rating,
        operator,
    })
}

impl Store {
    /// The consultations with a moment in [from, to) that pass the query's filters.
    /// `with_operator`: read who holds each (the operators' report); the consultation report
    /// does not need it, and 100,000 strings fewer is a tenth of its time.
    async fn facts(
        &self,
        q: &ReportQuery,
        from: i64,
        to: i64,
        with_operator: bool,
    ) -> AppResult<Vec<Fact>> {
        let tag = q
            .tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        // Every moment of a consultation lies between its creation and its closing, so those
        // with a moment in the period are the ones alive in it: created in it, or created
        // before it and closed in or after it, or still open. Three disjoint parts, each read
        // through an index (the time columns', the open ones' status), one row each.
        let filter = Filters {
            operator_id: q.operator_id,
            kind: q.kind,
            priority: q.priority,
        };
        let filters = filter.sql("");
        let parts = |cols: &str| {
            format!(
                "SELECT {cols} FROM consultations WHERE created_at >= $1 AND created_at < $2{filters} \
                 UNION ALL SELECT {cols} FROM consultations WHERE closed_at >= $1 AND created_at < $1{filters} \
                 UNION ALL SELECT {cols} FROM consultations WHERE status IN ('new', 'active') AND created_at < $1{filters}"
            )
        };
        // Without a tag to look into, the rows come as text, a day's consultations in one
        // string ("created,first take,first response,closed,rating,operator;…"): the `Any`
        // driver spends ~3 µs on every value it hands over, so 100,000 rows of seven columns
        // cost 300 ms, and their text 40 ms.
        let sql = if tag.is_none() {
            let text = |col: &str| format!("COALESCE(CAST({col} AS TEXT), '')");
            let line = [
                text("created_at"),
                text("first_taken_at"),
                text("first_response_at"),
                text("closed_at"),
                text("rating"),
                if with_operator {
                    text("operator_id")
                } else {
                    "''".into()
                },
            ]
            .join(" || ',' || ");
            let concat = self.backend.text_agg();
            format!(
                "SELECT {concat}(line, ';') AS block FROM ({}) AS x GROUP BY day",
                parts(&format!("{line} AS line, created_at / {DAY} AS day"))
            )
        } else {
            parts("created_at, first_taken_at, first_response_at, closed_at, rating, tags, operator_id")
        };
        let query = filter.bind(sqlx::query(&sql).bind(from).bind(to));
        let mut out = Vec::new();
        let rows = query.fetch_all(&self.reader).await?;
        if tag.is_none() {
            for r in &rows {
                let block: String = r.try_get("block")?;
                for line in block.split(';') {
                    out.push(fact_of_line(line)?);
                }
            }
            return Ok(out);
        }
        for r in rows {
            if let Some(tag) = &tag {
                if !get_tags(&r, "tags")?
                    .iter()
                    .any(|t| t.to_lowercase() == *tag)
                {
                    continue;
                }
            }
            out.push(Fact {
                created: r.try_get("created_at")?,
                first_take: r.try_get("first_taken_at")?,
                first_response: r.try_get("first_response_at")?,
                closed: r.try_get("closed_at")?,
                rating: r.try_get("rating")?,
                operator: if with_operator {
                    r.try_get("operator_id")?
                } else {
                    None
                },
            });
        }
        Ok(out)
    }

    /// `GET /api/v1/reports/consultations`.
    pub async fn consultation_report(&self, q: &ReportQuery) -> AppResult<ConsultationReport> {
        let (from, to) = checked_period(q.from, q.to)?;
        let offset_ms = checked_offset(q.tz_offset_minutes)?;
        let group = q.group.unwrap_or_default();
        let buckets = Buckets::new(group, offset_ms, from, to);
        let mut per: Vec<Gathered> = (0..buckets.count).map(|_| Gathered::default()).collect();
        let mut total = Gathered::default();
        let mut heatmap = vec![vec![0i64; 24]; 7];
        let limits = Limits::from(&self.desk_settings().await?.sla);
        for f in self.facts(q, from, to, false).await? {
            if f.created >= from && f.created < to {
                let local = f.created + offset_ms;
                let day = local.div_euclid(DAY);
                // 1970-01-01 was a Thursday (Monday = 0).
                heatmap[(day + 3).rem_euclid(7) as usize]
                    [(local.rem_euclid(DAY) / HOUR) as usize] += 1;
            }
            // Each moment counts in the total and in its bucket.
            gather(&f, from, to, limits, &mut |t, add| {
                add(&mut total);
                if let Some(i) = buckets.index(t) {
                    add(&mut per[i]);
                }
            });
        }
        Ok(ConsultationReport {
            from: q.from,
            to: q.to,
            group,
            buckets: per
                .into_iter()
                .enumerate()
                .map(|(i, g)| ConsultationBucket {
                    start: from_ms(buckets.nth_start(i)),
                    figures: g.figures(),
                })
                .collect(),
            total: total.figures(),
            heatmap,
        })
    }
}

impl Store {
    /// `GET /api/v1/reports/operators`: each operator's consultation figures (of those they
    /// hold or closed), load now, and time in each status within the period (before an
    /// operator's first recorded change, offline).
    /// The calls that rang in `[from, to)`, per operator (by id), by how they ended.
    async fn call_figures(
        &self,
        from: i64,
        to: i64,
    ) -> AppResult<std::collections::HashMap<String, careline_protocol::CallFigures>> {
        let rows = sqlx::query(
            "SELECT operator_id, state, end_reason, COUNT(*) AS n, CAST(COALESCE(SUM(duration_seconds), 0) AS BIGINT) AS talk \
             FROM calls WHERE rang_at >= $1 AND rang_at < $2 GROUP BY operator_id, state, end_reason",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        let mut out: std::collections::HashMap<String, careline_protocol::CallFigures> =
            std::collections::HashMap::new();
        for r in &rows {
            let f = out.entry(r.try_get("operator_id")?).or_default();
            let n: i64 = r.try_get("n")?;
            f.calls += n;
            f.talk_seconds += r.try_get::<i64, _>("talk")?;
            match (
                r.try_get::<String, _>("state")?.as_str(),
                r.try_get::<Option<String>, _>("end_reason")?.as_deref(),
            ) {
                ("ended", Some("completed")) => f.completed += n,
                ("ended", Some("failed")) => f.failed += n,
                ("ended", _) => f.unanswered += n,
                _ => f.live += n,
            }
        }
        Ok(out)
    }

    pub async fn operator_report(&self, q: &ReportQuery) -> AppResult<OperatorReport> {
        let (from, to) = checked_period(q.from, q.to)?;
        let end = to.min(crate::time::now_ms()).max(from);
        let mut ops = Vec::new();
        let rows = sqlx::query(
            "SELECT id, name, capacity, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = operators.id AND c.status = 'active') AS load \
             FROM operators WHERE role <> 'pharmacist' ORDER BY name, id",
        )
        .fetch_all(&self.reader)
        .await?;
        for r in &rows {
            let id: String = r.try_get("id")?;
            if q.operator_id.is_some_and(|o| o.to_string() != id) {
                continue;
            }
            ops.push((
                id,
                r.try_get::<String, _>("name")?,
                r.try_get::<i64, _>("capacity")?,
                r.try_get::<i64, _>("load")?,
            ));
        }
        let mut gathered: std::collections::HashMap<String, Gathered> = ops
            .iter()
            .map(|o| (o.0.clone(), Gathered::default()))
            .collect();
        let limits = Limits::from(&self.desk_settings().await?.sla);
        for f in self.facts(q, from, to, true).await? {
            if let Some(g) = f.operator.as_ref().and_then(|o| gathered.get_mut(o)) {
                gather(&f, from, to, limits, &mut |_, add| add(g));
            }
        }
        // Time in each status: the status at `from` (the last change before it), then each change;
        // in all, and split at the buckets' bounds.
        let buckets = Buckets::new(
            q.group.unwrap_or_default(),
            checked_offset(q.tz_offset_minutes)?,
            from,
            to,
        );
        let mut times: std::collections::HashMap<String, StatusTimes> =
            std::collections::HashMap::new();
        let mut by_bucket: std::collections::HashMap<String, Vec<StatusTimes>> =
            std::collections::HashMap::new();
        let changes = sqlx::query("SELECT operator_id, at, status FROM presence_changes WHERE at < $1 ORDER BY operator_id, at")
            .bind(end)
            .fetch_all(&self.reader)
            .await?;
        let mut current: Option<(String, i64, String)> = None; // operator, since, status
        let add = |t: &mut StatusTimes, status: &str, span: i64| match status {
            "online" => t.online += span,
            "away" => t.away += span,
            "busy" => t.busy += span,
            _ => t.offline += span,
        };
        let mut close = |times: &mut std::collections::HashMap<String, StatusTimes>,
                         op: &str,
                         since: i64,
                         until: i64,
                         status: &str| {
            let (a, b) = (since.max(from), until.min(end));
            if b <= a {
                return;
            }
            add(times.entry(op.to_owned()).or_default(), status, b - a);
            let per = by_bucket
                .entry(op.to_owned())
                .or_insert_with(|| vec![StatusTimes::default(); buckets.count]);
            let mut t = a;
            while t < b {
                let Some(i) = buckets.index(t) else { break };
                let next = if i + 1 < buckets.count {
                    buckets.nth_start(i + 1)
                } else {
                    b
                };
                let until = next.min(b);
                add(&mut per[i], status, until - t);
                t = until;
            }
        };
        for r in &changes {
            let (op, at, status): (String, i64, String) = (
                r.try_get("operator_id")?,
                r.try_get("at")?,
                r.try_get("status")?,
            );
            match current.take() {
                Some((cur, since, st)) if cur == op => close(&mut times, &cur, since, at, &st),
                Some((cur, since, st)) => close(&mut times, &cur, since, end, &st),
                None => {}
            }
            if !times.contains_key(&op) && at > from {
                // Before its first change in reach: offline.
                close(&mut times, &op, from, at, "offline");
            }
            times.entry(op.clone()).or_default();
            current = Some((op, at, status));
        }
        if let Some((cur, since, st)) = current {
            close(&mut times, &cur, since, end, &st);
        }
        let mut calls = self.call_figures(from, to).await?;
        let operators = ops
            .into_iter()
            .map(|(id, name, capacity, load)| {
                let figures = gathered.remove(&id).unwrap_or_default().figures();
                let status_ms = times.remove(&id).unwrap_or_else(|| StatusTimes {
                    offline: end - from,
                    ..Default::default()
                });
                let status_by_bucket = by_bucket.remove(&id).unwrap_or_else(|| {
                    // Never a change in reach: offline in each bucket up to now.
                    (0..buckets.count)
                        .map(|i| {
                            let (a, b) = (
                                buckets.nth_start(i).max(from),
                                buckets.nth_start(i + 1).min(end),
                            );
                            StatusTimes {
                                offline: (b - a).max(0),
                                ..Default::default()
                            }
                        })
                        .collect()
                });
                Ok(OperatorFigures {
                    operator_id: uuid::Uuid::parse_str(&id)
                        .map_err(|e| AppError::Corrupt(e.to_string()))?,
                    name,
                    figures,
                    load,
                    capacity,
                    status_ms,
                    status_by_bucket,
                    calls: calls.remove(&id).unwrap_or_default(),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(OperatorReport {
            from: q.from,
            to: q.to,
            buckets: (0..buckets.count)
                .map(|i| from_ms(buckets.nth_start(i)))
                .collect(),
            operators,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
        assert_eq!(
            percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90),
            Some(10)
        );
    }

    #[test]
    fn days_and_weeks_start_at_the_readers_midnight() {
        let moscow = 180 * 60_000;
        // 2026-11-30 (a Monday) 22:30 UTC is 01:30 on Tuesday in Moscow.
        let t = ms("2026-11-30T22:30:00Z".parse().unwrap());
        let day = Buckets::new(ReportGroup::Day, moscow, t, t + 1);
        assert_eq!(
            from_ms(day.start_of(t)).to_rfc3339(),
            "2026-11-30T21:00:00+00:00"
        );
        let week = Buckets::new(ReportGroup::Week, moscow, t, t + 1);
        assert_eq!(
            from_ms(week.start_of(t)).to_rfc3339(),
            "2026-11-29T21:00:00+00:00",
            "Monday 00:00 in Moscow"
        );
        let utc_week = Buckets::new(ReportGroup::Week, 0, t, t + 1);
        assert_eq!(
            from_ms(utc_week.start_of(t)).to_rfc3339(),
            "2026-11-30T00:00:00+00:00"
        );
        // 22:30 to 01:30 touches the hours of 22, 23, 0 and 1 o'clock.
        let hours = Buckets::new(ReportGroup::Hour, moscow, t, t + 3 * HOUR);
        assert_eq!(hours.count, 4);
    }
}
