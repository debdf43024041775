//! Billing (docs/reports.md): the revenue of the consultations closed in the period after an
//! answer the client could see — a message, or a call that took place (a phone or video visit
//! may have no message at all) — at the price fixed from the tariff when each was created, and
//! what was refunded of them; by tariff, kind and operator (who held it when it closed), per
//! currency.

use std::collections::BTreeMap;

use careline_protocol::{BillingReport, BillingRow, BillingTotal, ReportQuery};
use sqlx::Row;

use super::checked_period;
use crate::error::AppResult;
use crate::store::rows::{get_enum, get_opt_uuid};
use crate::store::Store;

impl Store {
    /// `GET /api/v1/reports/billing`.
    pub async fn billing_report(&self, q: &ReportQuery) -> AppResult<BillingReport> {
        let (from, to) = checked_period(q.from, q.to)?;
        let rows = sqlx::query(
            "SELECT c.tariff_id, t.name AS tariff_name, c.kind, c.operator_id, o.name AS operator_name, c.currency, \
             COUNT(*) AS n, CAST(SUM(c.price) AS BIGINT) AS revenue, \
             CAST(SUM(COALESCE((SELECT SUM(r.amount) FROM refunds r WHERE r.consultation_id = c.id AND r.status = 'approved'), 0)) AS BIGINT) AS refunded \
             FROM consultations c LEFT JOIN tariffs t ON t.id = c.tariff_id LEFT JOIN operators o ON o.id = c.operator_id \
             WHERE c.closed_at >= $1 AND c.closed_at < $2 \
               AND (c.first_response_at IS NOT NULL OR EXISTS (SELECT 1 FROM calls k WHERE k.consultation_id = c.id AND k.end_reason = 'completed')) \
             GROUP BY c.tariff_id, t.name, c.kind, c.operator_id, o.name, c.currency \
             ORDER BY c.currency, revenue DESC, t.name, o.name",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut totals: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for r in &rows {
            let row = BillingRow {
                tariff_id: get_opt_uuid(r, "tariff_id")?,
                tariff_name: r.try_get("tariff_name")?,
                kind: get_enum(r, "kind")?,
                operator_id: get_opt_uuid(r, "operator_id")?,
                operator_name: r.try_get("operator_name")?,
                currency: r.try_get("currency")?,
                consultations: r.try_get("n")?,
                revenue: r.try_get("revenue")?,
                refunded: r.try_get("refunded")?,
            };
            let t = totals.entry(row.currency.clone()).or_default();
            t.0 += row.consultations;
            t.1 += row.revenue;
            t.2 += row.refunded;
            out.push(row);
        }
        let totals = totals
            .into_iter()
            .map(
                |(currency, (consultations, revenue, refunded))| BillingTotal {
                    currency,
                    consultations,
                    revenue,
                    refunded,
                },
            )
            .collect();
        Ok(BillingReport {
            from: q.from,
            to: q.to,
            rows: out,
            totals,
        })
    }
}
