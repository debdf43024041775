//! Reports over the consultations and their history of steps (README "Reports: what each
//! figure means"). A consultation's figures fall into the bucket of the moment that ends them:
//! an arrival where it was created, a take where it was first taken, a first response where
//! the first answer the client could see was sent, a resolution where it closed.

use careline_protocol::{ConsultationBucket, ConsultationFigures, ConsultationReport, DurationFigure, ReportGroup, ReportQuery};
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

impl Store {
    /// `GET /api/v1/reports/consultations`.
    pub async fn consultation_report(&self, q: &ReportQuery) -> AppResult<ConsultationReport> {
        let (from, to) = (ms(q.from), ms(q.to));
        if to <= from || to - from > MAX_DAYS * DAY {
            return Err(AppError::invalid(format!("the period must end after it starts and last at most {MAX_DAYS} days")));
        }
        let offset = q.tz_offset_minutes.unwrap_or(0) as i64;
        if offset.abs() > 14 * 60 {
            return Err(AppError::invalid("tz_offset_minutes must be within ±840"));
        }
        let group = q.group.unwrap_or_default();
        let buckets = Buckets::new(group, offset * 60_000, from, to);
        let tag = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);

        let mut sql = String::from(
            "SELECT c.created_at, c.first_response_at, c.closed_at, c.rating, c.tags, \
             (SELECT MIN(s.at) FROM consultation_steps s WHERE s.consultation_id = c.id AND s.step = 'taken') AS first_take \
             FROM consultations c WHERE ((c.created_at >= $1 AND c.created_at < $2) OR (c.first_response_at >= $1 AND c.first_response_at < $2) \
             OR (c.closed_at >= $1 AND c.closed_at < $2) \
             OR c.id IN (SELECT t.consultation_id FROM consultation_steps t WHERE t.step = 'taken' AND t.at >= $1 AND t.at < $2))",
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
        let rows = query.fetch_all(&self.reader).await?;

        let mut per: Vec<Gathered> = (0..buckets.count).map(|_| Gathered::default()).collect();
        let mut total = Gathered::default();
        let within = |t: i64| t >= from && t < to;
        for r in &rows {
            if let Some(tag) = &tag {
                if !get_tags(r, "tags")?.iter().any(|t| t.to_lowercase() == *tag) {
                    continue;
                }
            }
            let created: i64 = r.try_get("created_at")?;
            let first_take: Option<i64> = r.try_get("first_take")?;
            let first_response: Option<i64> = r.try_get("first_response_at")?;
            let closed: Option<i64> = r.try_get("closed_at")?;
            let rating: Option<i64> = r.try_get("rating")?;
            let mut add = |t: i64, f: &dyn Fn(&mut Gathered)| {
                f(&mut total);
                if let Some(i) = buckets.index(t) {
                    f(&mut per[i]);
                }
            };
            if within(created) {
                add(created, &|g| g.arrivals += 1);
            }
            if let Some(t) = first_take.filter(|t| within(*t)) {
                add(t, &|g| {
                    g.taken += 1;
                    g.take.push(t - created);
                });
            }
            if let Some(t) = first_response.filter(|t| within(*t)) {
                add(t, &|g| g.first_response.push(t - created));
            }
            if let Some(t) = closed.filter(|t| within(*t)) {
                add(t, &|g| {
                    g.closed += 1;
                    g.resolution.push(t - created);
                    if first_response.is_none() {
                        g.abandoned += 1;
                    }
                    if let Some(r) = rating {
                        g.ratings.push(r);
                    }
                });
            }
        }
        Ok(ConsultationReport {
            from: q.from,
            to: q.to,
            group,
            buckets: per.into_iter().enumerate().map(|(i, g)| ConsultationBucket { start: from_ms(buckets.nth_start(i)), figures: g.figures() }).collect(),
            total: total.figures(),
        })
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
