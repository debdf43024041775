//! Reports over the consultations and their history of steps (README "Reports: what each
//! figure means"). A consultation's figures fall into the bucket of the moment that ends them:
//! an arrival where it was created, a take where it was first taken, a first response where
//! the first answer the client could see was sent, a resolution where it closed.

use careline_protocol::{
    ConsultationBucket, ConsultationFigures, ConsultationReport, DurationFigure, OperatorFigures, OperatorReport, ReportGroup, ReportQuery, StatusTimes,
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
        let mut b = Buckets { group, offset, first: 0, count: 0 };
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
        let start = self.start_of(t);
        (0..self.count).find(|i| self.nth_start(*i) == start)
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
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[i64], p: i64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as i64 + 99) / 100; // ceil(p/100 · n), at least 1
    Some(sorted[(rank.max(1) - 1) as usize])
}

fn duration(mut values: Vec<i64>) -> DurationFigure {
    values.sort_unstable();
    DurationFigure { count: values.len() as i64, median_ms: percentile(&values, 50), p90_ms: percentile(&values, 90) }
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
            rating_average: (rated > 0).then(|| self.ratings.iter().sum::<i64>() as f64 / rated as f64),
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

/// Hands each of one consultation's moments within [from, to) to `apply`, with what the
/// moment adds to a gathering; `apply` adds it to the gatherings the moment falls into.
fn gather(f: &Fact, from: i64, to: i64, apply: &mut dyn FnMut(i64, &Add)) {
    let within = |t: i64| t >= from && t < to;
    if within(f.created) {
        apply(f.created, &|g| g.arrivals += 1);
    }
    if let Some(t) = f.first_take.filter(|t| within(*t)) {
        apply(t, &|g| {
            g.taken += 1;
            g.take.push(t - f.created);
        });
    }
    if let Some(t) = f.first_response.filter(|t| within(*t)) {
        apply(t, &|g| g.first_response.push(t - f.created));
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

fn period(q: &ReportQuery) -> AppResult<(i64, i64)> {
    let (from, to) = (ms(q.from), ms(q.to));
    if to <= from || to - from > MAX_DAYS * DAY {
        return Err(AppError::invalid(format!("the period must end after it starts and last at most {MAX_DAYS} days")));
    }
    Ok((from, to))
}

impl Store {
    /// The consultations with a moment in [from, to) that pass the query's filters.
    async fn facts(&self, q: &ReportQuery, from: i64, to: i64) -> AppResult<Vec<Fact>> {
        let tag = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        // The consultations with a moment in the period, each found through its own index.
        let mut sql = String::from(
            "SELECT c.created_at, c.first_response_at, c.closed_at, c.rating, c.tags, c.operator_id, \
             (SELECT MIN(s.at) FROM consultation_steps s WHERE s.consultation_id = c.id AND s.step = 'taken') AS first_take \
             FROM consultations c JOIN ( \
               SELECT id FROM consultations WHERE created_at >= $1 AND created_at < $2 \
               UNION SELECT id FROM consultations WHERE first_response_at >= $1 AND first_response_at < $2 \
               UNION SELECT id FROM consultations WHERE closed_at >= $1 AND closed_at < $2 \
               UNION SELECT consultation_id FROM consultation_steps WHERE step = 'taken' AND at >= $1 AND at < $2 \
             ) AS moments ON moments.id = c.id WHERE 1 = 1",
        );
        let mut n = 2;
        let mut arg = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&clause.replace('?', &format!("${n}")));
        };
        if q.operator_id.is_some() {
            arg(&mut sql, " AND c.operator_id = ?");
        }
        if q.kind.is_some() {
            arg(&mut sql, " AND c.kind = ?");
        }
        if q.priority.is_some() {
            arg(&mut sql, " AND c.priority = ?");
        }
        let mut query = sqlx::query(&sql).bind(from).bind(to);
        if let Some(o) = q.operator_id {
            query = query.bind(o.to_string());
        }
        if let Some(k) = q.kind {
            query = query.bind(k.as_str());
        }
        if let Some(p) = q.priority {
            query = query.bind(p.as_str());
        }
        let mut out = Vec::new();
        for r in query.fetch_all(&self.reader).await? {
            if let Some(tag) = &tag {
                if !get_tags(&r, "tags")?.iter().any(|t| t.to_lowercase() == *tag) {
                    continue;
                }
            }
            out.push(Fact {
                created: r.try_get("created_at")?,
                first_take: r.try_get("first_take")?,
                first_response: r.try_get("first_response_at")?,
                closed: r.try_get("closed_at")?,
                rating: r.try_get("rating")?,
                operator: r.try_get("operator_id")?,
            });
        }
        Ok(out)
    }

    /// `GET /api/v1/reports/consultations`.
    pub async fn consultation_report(&self, q: &ReportQuery) -> AppResult<ConsultationReport> {
        let (from, to) = period(q)?;
        let offset = q.tz_offset_minutes.unwrap_or(0) as i64;
        if offset.abs() > 14 * 60 {
            return Err(AppError::invalid("tz_offset_minutes must be within ±840"));
        }
        let group = q.group.unwrap_or_default();
        let buckets = Buckets::new(group, offset * 60_000, from, to);
        let mut per: Vec<Gathered> = (0..buckets.count).map(|_| Gathered::default()).collect();
        let mut total = Gathered::default();
        let mut heatmap = vec![vec![0i64; 24]; 7];
        let offset_ms = offset * 60_000;
        for f in self.facts(q, from, to).await? {
            if f.created >= from && f.created < to {
                let local = f.created + offset_ms;
                let day = local.div_euclid(DAY);
                // 1970-01-01 was a Thursday (Monday = 0).
                heatmap[(day + 3).rem_euclid(7) as usize][(local.rem_euclid(DAY) / HOUR) as usize] += 1;
            }
            // Each moment counts in the total and in its bucket.
            gather(&f, from, to, &mut |t, add| {
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
            buckets: per.into_iter().enumerate().map(|(i, g)| ConsultationBucket { start: from_ms(buckets.nth_start(i)), figures: g.figures() }).collect(),
            total: total.figures(),
            heatmap,
        })
    }
}

impl Store {
    /// `GET /api/v1/reports/operators`: each operator's consultation figures (of those they
    /// hold or closed), load now, and time in each status within the period (before an
    /// operator's first recorded change, offline).
    pub async fn operator_report(&self, q: &ReportQuery) -> AppResult<OperatorReport> {
        let (from, to) = period(q)?;
        let end = to.min(crate::time::now_ms()).max(from);
        let mut ops = Vec::new();
        let rows = sqlx::query(
            "SELECT id, name, capacity, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = operators.id AND c.status = 'active') AS load \
             FROM operators ORDER BY name, id",
        )
        .fetch_all(&self.reader)
        .await?;
        for r in &rows {
            let id: String = r.try_get("id")?;
            if q.operator_id.is_some_and(|o| o.to_string() != id) {
                continue;
            }
            ops.push((id, r.try_get::<String, _>("name")?, r.try_get::<i64, _>("capacity")?, r.try_get::<i64, _>("load")?));
        }
        let mut gathered: std::collections::HashMap<String, Gathered> = ops.iter().map(|o| (o.0.clone(), Gathered::default())).collect();
        for f in self.facts(q, from, to).await? {
            if let Some(g) = f.operator.as_ref().and_then(|o| gathered.get_mut(o)) {
                gather(&f, from, to, &mut |_, add| add(g));
            }
        }
        // Time in each status: the status at `from` (the last change before it), then each change.
        let mut times: std::collections::HashMap<String, StatusTimes> = std::collections::HashMap::new();
        let changes = sqlx::query("SELECT operator_id, at, status FROM presence_changes WHERE at < $1 ORDER BY operator_id, at")
            .bind(end)
            .fetch_all(&self.reader)
            .await?;
        let mut current: Option<(String, i64, String)> = None; // operator, since, status
        let close = |times: &mut std::collections::HashMap<String, StatusTimes>, op: &str, since: i64, until: i64, status: &str| {
            let span = until.min(end) - since.max(from);
            if span > 0 {
                let t = times.entry(op.to_owned()).or_default();
                match status {
                    "online" => t.online += span,
                    "away" => t.away += span,
                    "busy" => t.busy += span,
                    _ => t.offline += span,
                }
            }
        };
        for r in &changes {
            let (op, at, status): (String, i64, String) = (r.try_get("operator_id")?, r.try_get("at")?, r.try_get("status")?);
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
        let operators = ops
            .into_iter()
            .map(|(id, name, capacity, load)| {
                let figures = gathered.remove(&id).unwrap_or_default().figures();
                let status_ms = times.remove(&id).unwrap_or_else(|| StatusTimes { offline: end - from, ..Default::default() });
                Ok(OperatorFigures {
                    operator_id: uuid::Uuid::parse_str(&id).map_err(|e| AppError::Corrupt(e.to_string()))?,
                    name,
                    figures,
                    load,
                    capacity,
                    status_ms,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(OperatorReport { from: q.from, to: q.to, operators })
    }
}

/// The report as CSV: one row per bucket, then the total (empty `bucket_start`).
pub fn consultation_report_csv(r: &ConsultationReport) -> String {
    let mut out = String::from(
        "bucket_start,arrivals,taken,closed,abandoned,time_to_take_count,time_to_take_median_ms,time_to_take_p90_ms,\
         first_response_count,first_response_median_ms,first_response_p90_ms,resolution_count,resolution_median_ms,resolution_p90_ms,rated,rating_average\n",
    );
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let row = |out: &mut String, start: String, f: &ConsultationFigures| {
        let d = |d: &DurationFigure| format!("{},{},{}", d.count, opt(d.median_ms), opt(d.p90_ms));
        out.push_str(&format!(
            "{start},{},{},{},{},{},{},{},{},{}\n",
            f.arrivals,
            f.taken,
            f.closed,
            f.abandoned,
            d(&f.time_to_take),
            d(&f.first_response),
            d(&f.resolution),
            f.rated,
            f.rating_average.map(|a| format!("{a:.2}")).unwrap_or_default()
        ));
    };
    for b in &r.buckets {
        row(&mut out, b.start.to_rfc3339(), &b.figures);
    }
    row(&mut out, String::new(), &r.total);
    out
}

/// The operators' report as CSV: one row per operator.
pub fn operator_report_csv(r: &OperatorReport) -> String {
    let mut out = String::from(
        "operator_id,name,handled,abandoned,first_response_median_ms,resolution_median_ms,rated,rating_average,load,capacity,online_ms,away_ms,busy_ms,offline_ms\n",
    );
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for o in &r.operators {
        let f = &o.figures;
        // Names are quoted, quotes doubled (RFC 4180).
        out.push_str(&format!(
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{}\n",
            o.operator_id,
            o.name.replace('"', "\"\""),
            f.closed,
            f.abandoned,
            opt(f.first_response.median_ms),
            opt(f.resolution.median_ms),
            f.rated,
            f.rating_average.map(|a| format!("{a:.2}")).unwrap_or_default(),
            o.load,
            o.capacity,
            o.status_ms.online,
            o.status_ms.away,
            o.status_ms.busy,
            o.status_ms.offline
        ));
    }
    out
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
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), Some(10));
    }

    #[test]
    fn days_and_weeks_start_at_the_readers_midnight() {
        let moscow = 180 * 60_000;
        // 2026-11-30 (a Monday) 22:30 UTC is 01:30 on Tuesday in Moscow.
        let t = ms("2026-11-30T22:30:00Z".parse().unwrap());
        let day = Buckets::new(ReportGroup::Day, moscow, t, t + 1);
        assert_eq!(from_ms(day.start_of(t)).to_rfc3339(), "2026-11-30T21:00:00+00:00");
        let week = Buckets::new(ReportGroup::Week, moscow, t, t + 1);
        assert_eq!(from_ms(week.start_of(t)).to_rfc3339(), "2026-11-29T21:00:00+00:00", "Monday 00:00 in Moscow");
        let utc_week = Buckets::new(ReportGroup::Week, 0, t, t + 1);
        assert_eq!(from_ms(utc_week.start_of(t)).to_rfc3339(), "2026-11-30T00:00:00+00:00");
        // 22:30 to 01:30 touches the hours of 22, 23, 0 and 1 o'clock.
        let hours = Buckets::new(ReportGroup::Hour, moscow, t, t + 3 * HOUR);
        assert_eq!(hours.count, 4);
    }
}
