//! Callback request queues: open ones by due time, finished ones newest first.

use careline_protocol::Callback;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::{Views, LIST_LIMIT};
use crate::CoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallbackView {
    /// New and claimed ones, by due time.
    Open,
    /// Finished ones, newest first.
    Archive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackRow {
    pub callback: Callback,
    pub client_name: Option<String>,
    pub operator_name: Option<String>,
    /// When an "as soon as possible" request is (or was) late by the desk's SLA.
    pub sla: Option<crate::sla::SlaDue>,
}

impl Views<'_> {
    /// Callbacks of a view; with `text`, those whose phone, client's name or reason hold it
    /// (any case, any script: matched here, over the whole view, not over a first cut).
    pub async fn callback_list(
        &self,
        view: CallbackView,
        text: Option<&str>,
    ) -> CoreResult<Vec<CallbackRow>> {
        let sql = match view {
            CallbackView::Open => {
                "SELECT cb.data, k.name FROM callbacks cb LEFT JOIN clients k ON k.id = json_extract(cb.data, '$.client_id') \
                                   WHERE cb.status IN ('new', 'claimed') ORDER BY cb.due_at, cb.id"
            }
            CallbackView::Archive => {
                "SELECT cb.data, k.name FROM callbacks cb LEFT JOIN clients k ON k.id = json_extract(cb.data, '$.client_id') \
                                      WHERE cb.status NOT IN ('new', 'claimed') ORDER BY cb.due_at DESC, cb.id"
            }
        };
        let needle = text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let mut rows = sqlx::query(sql).fetch(self.cache.pool());
        let mut callbacks = Vec::new();
        while let Some(r) = rows.try_next().await? {
            if let Some(t) = &needle {
                let name: Option<String> = r.get(1);
                let cb: Callback = crate::cache::parse(r.get(0))?;
                if cb.phone.contains(t.as_str())
                    || name.is_some_and(|n| n.to_lowercase().contains(t.as_str()))
                    || cb
                        .reason
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(t.as_str()))
                {
                    callbacks.push(cb);
                }
            } else {
                callbacks.push(crate::cache::parse::<Callback>(r.get(0))?);
            }
            if callbacks.len() as i64 >= LIST_LIMIT {
                break;
            }
        }
        drop(rows);
        self.callback_rows(callbacks).await
    }

    pub(super) async fn callback_rows(
        &self,
        callbacks: Vec<Callback>,
    ) -> CoreResult<Vec<CallbackRow>> {
        let operators = self.operator_names().await?;
        let thresholds = self.cache.sla_thresholds().await?;
        let mut out = Vec::with_capacity(callbacks.len());
        for cb in callbacks {
            let client_name = match cb.client_id {
                Some(id) => self.cache.client(id).await?.map(|c| c.name),
                None => None,
            };
            out.push(CallbackRow {
                operator_name: cb.operator_id.and_then(|o| operators.get(&o).cloned()),
                client_name,
                sla: crate::sla::callback_due(&cb, &thresholds),
                callback: cb,
            });
        }
        Ok(out)
    }

    pub async fn callback(&self, id: Uuid) -> CoreResult<Option<CallbackRow>> {
        let row = sqlx::query("SELECT data FROM callbacks WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(self.cache.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let cb: Callback = crate::cache::parse(row.get(0))?;
        Ok(self.callback_rows(vec![cb]).await?.pop())
    }
}
