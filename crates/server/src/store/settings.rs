//! The desk's settings (assignment policy, SLA thresholds): one JSON row, set by an admin.

use careline_protocol::{DeskSettings, EventData};
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::Store;
use crate::db::{Audience, WriteTx};
use crate::error::{AppError, AppResult};
use crate::time::now_ms;

impl Store {
    /// The settings, or the defaults if an admin never set them.
    pub async fn desk_settings(&self) -> AppResult<DeskSettings> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = 'desk'")
            .fetch_optional(&self.reader)
            .await?;
        parse(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
    }

    /// Saves the settings (audited); a policy that assigns starts with the queue as it is.
    pub async fn set_desk_settings(
        &self,
        s: &DeskSettings,
        admin: Uuid,
        remote: Option<&str>,
    ) -> AppResult<DeskSettings> {
        let sla = &s.sla;
        for (name, v) in [
            ("queue_wait_minutes", sla.queue_wait_minutes),
            ("first_response_minutes", sla.first_response_minutes),
            ("unanswered_minutes", sla.unanswered_minutes),
            ("callback_asap_minutes", sla.callback_asap_minutes),
        ] {
            if let Some(m) = v {
                if !(1..=1440).contains(&m) {
                    return Err(AppError::invalid(format!(
                        "sla.{name} is between 1 and 1440 minutes, or null to turn it off"
                    )));
                }
            }
        }
        if s.visits.cancel_before_minutes > 7 * 1440 {
            return Err(AppError::invalid(
                "visits.cancel_before_minutes is at most a week (10080 minutes)",
            ));
        }
        let json = serde_json::to_string(s)
            .map_err(|e| AppError::failed("serializing the desk settings", e))?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO settings (name, value) VALUES ('desk', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(&json)
            .execute(tx.conn())
            .await?;
        audit_in(
            &mut tx,
            admin,
            "settings.update",
            None,
            Some(&json),
            remote,
            now,
        )
        .await?;
        tx.emit(&EventData::Settings(s.clone()), Audience::Staff(None), now)
            .await?;
        tx.commit().await?;
        self.assign_waiting().await;
        Ok(s.clone())
    }
}

/// The settings inside a write transaction.
pub(crate) async fn desk_settings_in(tx: &mut WriteTx) -> AppResult<DeskSettings> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'desk'")
        .fetch_optional(tx.conn())
        .await?;
    parse(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
}

fn parse(value: Option<String>) -> AppResult<DeskSettings> {
    match value {
        None => Ok(DeskSettings::default()),
        Some(v) => {
            serde_json::from_str(&v).map_err(|e| AppError::failed("the stored desk settings", e))
        }
    }
}
