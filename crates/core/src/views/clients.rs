//! Clients by name or search, and one client's profile with their whole history.

use careline_protocol::{Callback, Client, Message};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::callbacks::CallbackRow;
use super::lists::ConsultationRow;
use super::{Views, LIST_LIMIT};
use crate::CoreResult;

/// A client with everything the desk knows of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientProfile {
    pub client: Client,
    pub consultations: Vec<ConsultationRow>,
    pub callbacks: Vec<CallbackRow>,
    /// Files and images of the thread, newest first.
    pub files: Vec<Message>,
}

impl Views<'_> {
    /// Clients by name (or matching `query` by name, phone, email or tag), VIPs first.
    pub async fn client_list(&self, query: Option<&str>) -> CoreResult<Vec<Client>> {
        let rows = match query.map(str::trim).filter(|q| !q.is_empty()).and_then(crate::search::match_expression) {
            Some(expr) => {
                sqlx::query("SELECT c.data FROM client_fts f JOIN clients c ON c.rowid = f.rowid WHERE client_fts MATCH ? ORDER BY bm25(client_fts) LIMIT ?")
                    .bind(expr)
                    .bind(LIST_LIMIT)
                    .fetch_all(self.cache.pool())
                    .await?
            }
            None => sqlx::query("SELECT data FROM clients ORDER BY name COLLATE NOCASE LIMIT ?").bind(LIST_LIMIT).fetch_all(self.cache.pool()).await?,
        };
        rows.iter().map(|r| crate::cache::parse(r.get(0))).collect()
    }

    pub async fn client_profile(&self, id: Uuid) -> CoreResult<Option<ClientProfile>> {
        let Some(client) = self.cache.client(id).await? else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT data, last_message_at FROM consultations WHERE client_id = ? ORDER BY created_at DESC")
            .bind(id.to_string())
            .fetch_all(self.cache.pool())
            .await?;
        let consultations = rows
            .iter()
            .map(crate::cache::consultation_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        let consultations = self.rows(consultations).await?;
        let rows = sqlx::query("SELECT data FROM callbacks WHERE json_extract(data, '$.client_id') = ? ORDER BY due_at DESC")
            .bind(id.to_string())
            .fetch_all(self.cache.pool())
            .await?;
        let callbacks = rows
            .iter()
            .map(|r| crate::cache::parse::<Callback>(r.get(0)))
            .collect::<CoreResult<Vec<_>>>()?;
        let callbacks = self.callback_rows(callbacks).await?;
        let rows = sqlx::query("SELECT data FROM messages WHERE client_id = ? AND json_extract(data, '$.attachment') IS NOT NULL ORDER BY seq DESC LIMIT 200")
            .bind(id.to_string())
            .fetch_all(self.cache.pool())
            .await?;
        let files = rows
            .iter()
            .map(|r| crate::cache::parse::<Message>(r.get(0)))
            .collect::<CoreResult<Vec<_>>>()?;
        Ok(Some(ClientProfile {
            client,
            consultations,
            callbacks,
            files,
        }))
    }
}
