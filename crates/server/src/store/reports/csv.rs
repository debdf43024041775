//! The reports as CSV (RFC 4180 through the `csv` crate): one row per bucket, operator,
//! consultation, group; times in milliseconds or RFC 3339 (UTC), money in minor units.

use careline_protocol::{
    BillingReport, CallbackReport, ConsultationFigures, ConsultationReport, DurationFigure,
    OperatorReport, ReportItem,
};

/// Writes `header` and `rows` as CSV text.
pub(crate) fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail; a row of the wrong length would be our bug.
    w.write_record(header).expect("a CSV header");
    for r in rows {
        w.write_record(r.iter().map(|cell| inert(cell).into_owned()))
            .expect("a CSV row");
    }
    String::from_utf8(w.into_inner().expect("CSV into memory")).expect("CSV of UTF-8 text is UTF-8")
}

/// A cell a spreadsheet will not run: text that starts like a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return — a client's name `=HYPERLINK(…)`, a comment `@SUM(…)`) gets a
/// leading `'`, as OWASP advises; numbers (a negative one too) stay numbers.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn average(v: Option<f64>) -> String {
    v.map(|a| format!("{a:.2}")).unwrap_or_default()
}

fn duration(d: &DurationFigure) -> [String; 3] {
    [d.count.to_string(), opt(d.median_ms), opt(d.p90_ms)]
}

fn figures(f: &ConsultationFigures) -> Vec<String> {
    let mut row = vec![
        f.arrivals.to_string(),
        f.taken.to_string(),
        f.closed.to_string(),
        f.abandoned.to_string(),
    ];
    row.extend(duration(&f.time_to_take));
    row.extend(duration(&f.first_response));
    row.extend(duration(&f.resolution));
    row.extend([
        f.rated.to_string(),
        average(f.rating_average),
        f.sla_queue_wait_breaches.to_string(),
        f.sla_first_response_breaches.to_string(),
    ]);
    row
}

/// One row per bucket, then the total (empty `bucket_start`).
pub fn consultation_report_csv(r: &ConsultationReport) -> String {
    let header = [
        "bucket_start",
        "arrivals",
        "taken",
        "closed",
        "abandoned",
        "time_to_take_count",
        "time_to_take_median_ms",
        "time_to_take_p90_ms",
        "first_response_count",
        "first_response_median_ms",
        "first_response_p90_ms",
        "resolution_count",
        "resolution_median_ms",
        "resolution_p90_ms",
        "rated",
        "rating_average",
        "sla_queue_wait_breaches",
        "sla_first_response_breaches",
    ];
    let rows = r
        .buckets
        .iter()
        .map(|b| (b.start.to_rfc3339(), &b.figures))
        .chain([(String::new(), &r.total)])
        .map(|(start, f)| {
            let mut row = vec![start];
            row.extend(figures(f));
            row
        });
    write(&header, rows)
}

/// One row per operator.
pub fn operator_report_csv(r: &OperatorReport) -> String {
    let header = [
        "operator_id",
        "name",
        "handled",
        "abandoned",
        "first_response_median_ms",
        "resolution_median_ms",
        "rated",
        "rating_average",
        "load",
        "capacity",
        "online_ms",
        "away_ms",
        "busy_ms",
        "offline_ms",
        "calls",
        "calls_completed",
        "calls_unanswered",
        "calls_failed",
        "talk_seconds",
    ];
    let rows = r.operators.iter().map(|o| {
        let f = &o.figures;
        vec![
            o.operator_id.to_string(),
            o.name.clone(),
            f.closed.to_string(),
            f.abandoned.to_string(),
            opt(f.first_response.median_ms),
            opt(f.resolution.median_ms),
            f.rated.to_string(),
            average(f.rating_average),
            o.load.to_string(),
            o.capacity.to_string(),
            o.status_ms.online.to_string(),
            o.status_ms.away.to_string(),
            o.status_ms.busy.to_string(),
            o.status_ms.offline.to_string(),
            o.calls.calls.to_string(),
            o.calls.completed.to_string(),
            o.calls.unanswered.to_string(),
            o.calls.failed.to_string(),
            o.calls.talk_seconds.to_string(),
        ]
    });
    write(&header, rows)
}

/// One row per consultation, with all its times.
pub fn items_csv(items: &[ReportItem]) -> String {
    let header = [
        "consultation_id",
        "client_id",
        "client_name",
        "kind",
        "priority",
        "operator_id",
        "operator_name",
        "created_at",
        "first_taken_at",
        "first_response_at",
        "closed_at",
        "time_to_take_ms",
        "first_response_ms",
        "resolution_ms",
        "rating",
        "rating_comment",
        "price",
        "currency",
        "red_flag",
    ];
    let time =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    let rows = items.iter().map(|i| {
        vec![
            i.id.to_string(),
            i.client_id.to_string(),
            i.client_name.clone(),
            i.kind.as_str().to_owned(),
            i.priority.as_str().to_owned(),
            i.operator_id.map(|o| o.to_string()).unwrap_or_default(),
            i.operator_name.clone().unwrap_or_default(),
            i.created_at.to_rfc3339(),
            time(i.first_taken_at),
            time(i.first_response_at),
            time(i.closed_at),
            opt(i.time_to_take_ms),
            opt(i.first_response_ms),
            opt(i.resolution_ms),
            opt(i.rating),
            i.rating_comment.clone().unwrap_or_default(),
            i.price.to_string(),
            i.currency.clone(),
            i.red_flag.clone().unwrap_or_default(),
        ]
    });
    write(&header, rows)
}

/// One row: the period's callback figures.
pub fn callback_report_csv(r: &CallbackReport) -> String {
    let f = &r.total;
    let header = [
        "from",
        "to",
        "created",
        "attempted",
        "time_to_first_attempt_count",
        "time_to_first_attempt_median_ms",
        "time_to_first_attempt_p90_ms",
        "reached_first_try",
        "attempts",
        "no_answer",
        "due_hits",
        "finished",
        "attempts_per_finished",
        "overdue_now",
    ];
    let mut row = vec![
        r.from.to_rfc3339(),
        r.to.to_rfc3339(),
        f.created.to_string(),
        f.attempted.to_string(),
    ];
    row.extend(duration(&f.time_to_first_attempt));
    row.extend([
        f.reached_first_try.to_string(),
        f.attempts.to_string(),
        f.no_answer.to_string(),
        f.due_hits.to_string(),
        f.finished.to_string(),
        average(f.attempts_per_finished),
        f.overdue_now.to_string(),
    ]);
    write(&header, [row])
}

/// One row per (tariff, kind, operator, currency).
pub fn billing_report_csv(r: &BillingReport) -> String {
    let header = [
        "tariff_id",
        "tariff_name",
        "kind",
        "operator_id",
        "operator_name",
        "currency",
        "consultations",
        "revenue_minor_units",
        "refunded_minor_units",
    ];
    let rows = r.rows.iter().map(|b| {
        vec![
            b.tariff_id.map(|t| t.to_string()).unwrap_or_default(),
            b.tariff_name.clone().unwrap_or_default(),
            b.kind.as_str().to_owned(),
            b.operator_id.map(|o| o.to_string()).unwrap_or_default(),
            b.operator_name.clone().unwrap_or_default(),
            b.currency.clone(),
            b.consultations.to_string(),
            b.revenue.to_string(),
            b.refunded.to_string(),
        ]
    });
    write(&header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        let text = write(
            &["name", "comment", "n"],
            [
                vec![
                    "=HYPERLINK(\"http://x\",\"y\")".to_string(),
                    "@SUM(A1:A9)".to_string(),
                    "-42".to_string(),
                ],
                vec!["+7 912".to_string(), "\tx".to_string(), "Анна".to_string()],
            ],
        );
        let mut lines = text.lines().skip(1);
        assert_eq!(
            lines.next().unwrap(),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'@SUM(A1:A9),-42"
        );
        assert_eq!(lines.next().unwrap(), "'+7 912,'\tx,Анна");
    }
}
