//! Colleagues with their status and load.

use std::collections::HashMap;

use careline_protocol::Operator;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::{uuid_of, Views};
use crate::CoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorRow {
    pub operator: Operator,
    /// Active consultations assigned to them, as the cache knows.
    pub load: i64,
}

fn presence_rank(p: careline_protocol::Presence) -> u8 {
    use careline_protocol::Presence::*;
    match p {
        Online => 0,
        Busy => 1,
        Away => 2,
        Offline => 3,
    }
}

impl Views<'_> {
    /// Operators with their load, online ones first, then by name.
    pub async fn operator_list(&self) -> CoreResult<Vec<OperatorRow>> {
        let loads: HashMap<Uuid, i64> =
            sqlx::query("SELECT operator_id, COUNT(*) FROM consultations WHERE status = 'active' AND operator_id IS NOT NULL GROUP BY operator_id")
                .fetch_all(self.cache.pool())
                .await?
                .iter()
                .map(|r| Ok((uuid_of(r.get(0))?, r.get::<i64, _>(1))))
                .collect::<CoreResult<_>>()?;
        let mut out: Vec<OperatorRow> = self
            .cache
            .operators()
            .await?
            .into_iter()
            .map(|o| OperatorRow {
                load: loads.get(&o.id).copied().unwrap_or(0),
                operator: o,
            })
            .collect();
        out.sort_by(|a, b| {
            presence_rank(a.operator.status)
                .cmp(&presence_rank(b.operator.status))
                .then_with(|| {
                    a.operator
                        .name
                        .to_lowercase()
                        .cmp(&b.operator.name.to_lowercase())
                })
        });
        Ok(out)
    }
}
