//! What an admin sets for the whole desk, from the window: red-flag rules, the desk's settings
//! (assignment policy, SLA thresholds), tariffs, webhook endpoints. Online only: a rule or a price must not wait
//! in an outbox while clients are served by the old one.

use uuid::Uuid;

use super::Desk;
use crate::CoreResult;

/// What an admin sets and manages, borrowed from the desk ([`Desk::supervision`]); reading
/// the desk's settings and tariffs is everyone's.
pub struct Supervision<'a> {
    pub(super) desk: &'a Desk,
}

impl Supervision<'_> {
    /// The red-flag rules (an admin's screen; online only, like every change of them).
    pub async fn red_flags(&self) -> CoreResult<Vec<careline_protocol::RedFlagRule>> {
        self.desk.remote.red_flags().await
    }

    pub async fn save_red_flag(
        &self,
        id: Option<Uuid>,
        req: &careline_protocol::RedFlagRuleRequest,
    ) -> CoreResult<careline_protocol::RedFlagRule> {
        self.desk.remote.save_red_flag(id, req).await
    }

    pub async fn delete_red_flag(&self, id: Uuid) -> CoreResult<()> {
        self.desk.remote.delete_red_flag(id).await
    }

    /// Which rule fires on a text (nothing changes).
    pub async fn test_red_flags(&self, text: &str) -> CoreResult<Option<String>> {
        Ok(self.desk.remote.test_red_flags(text).await?.fired)
    }

    /// The desk's settings (assignment policy, SLA thresholds); offline, the last ones fetched.
    /// An answer older than a change heard as an event meanwhile does not overwrite it.
    pub async fn desk_settings(&self) -> CoreResult<careline_protocol::DeskSettings> {
        let asked = chrono::Utc::now();
        match self.desk.remote.desk_settings().await {
            Ok(s) => self.desk.cache.keep_fetched_settings(&s, asked).await,
            Err(e) => Ok(self.desk.kept("desk_settings", Err(e)).await?.0),
        }
    }

    /// An admin sets them (online only).
    pub async fn set_desk_settings(
        &self,
        s: &careline_protocol::DeskSettings,
    ) -> CoreResult<careline_protocol::DeskSettings> {
        // Refused offline (not answered with the settings kept before, as if saved). Kept as a
        // fetch is: not over a change heard as an event while the request was under way.
        let asked = chrono::Utc::now();
        let saved = self.desk.remote.set_desk_settings(s).await?;
        self.desk.cache.keep_fetched_settings(&saved, asked).await
    }

    /// Tariffs as the cache has them (synced), the active ones first.
    pub async fn tariffs(&self) -> CoreResult<Vec<careline_protocol::Tariff>> {
        let mut all = self.desk.cache.tariffs().await?;
        all.sort_by(|a, b| {
            b.active
                .cmp(&a.active)
                .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(all)
    }

    /// A new tariff; it replaces the active one of its kind for consultations created from now.
    pub async fn create_tariff(
        &self,
        req: &careline_protocol::CreateTariffRequest,
    ) -> CoreResult<careline_protocol::Tariff> {
        self.desk.remote.create_tariff(req).await
    }

    /// Webhook endpoints with their state (online only).
    pub async fn webhooks(&self) -> CoreResult<Vec<careline_protocol::WebhookEndpoint>> {
        self.desk.remote.webhooks().await
    }

    /// Registers an endpoint; the answer has its signing secret, shown once.
    pub async fn create_webhook(
        &self,
        req: &careline_protocol::CreateWebhookRequest,
    ) -> CoreResult<careline_protocol::WebhookCreated> {
        self.desk.remote.create_webhook(req).await
    }

    pub async fn update_webhook(
        &self,
        id: Uuid,
        req: &careline_protocol::UpdateWebhookRequest,
    ) -> CoreResult<careline_protocol::WebhookEndpoint> {
        self.desk.remote.update_webhook(id, req).await
    }

    pub async fn delete_webhook(&self, id: Uuid) -> CoreResult<()> {
        self.desk.remote.delete_webhook(id).await
    }

    /// The newest deliveries to an endpoint (the delivery log).
    pub async fn webhook_deliveries(
        &self,
        id: Uuid,
        status: Option<careline_protocol::DeliveryStatus>,
    ) -> CoreResult<Vec<careline_protocol::WebhookDelivery>> {
        let q = careline_protocol::DeliveryQuery {
            status,
            limit: Some(100),
            cursor: None,
        };
        Ok(self.desk.remote.webhook_deliveries(id, &q).await?.items)
    }

    /// Supervisors manage operators directly on the server (passwords are not queued on disk).
    pub async fn create_operator(
        &self,
        req: &careline_protocol::CreateOperatorRequest,
    ) -> CoreResult<careline_protocol::Operator> {
        self.desk.remote.create_operator(req).await
    }

    /// Erases a client (an admin's act, online only: it cannot wait in an outbox).
    pub async fn erase_client(&self, id: Uuid) -> CoreResult<()> {
        self.desk.remote.erase_client(id).await
    }

    /// Sessions of an operator (an admin's question) or mine, from the server (online only).
    pub async fn sessions(
        &self,
        user: Option<Uuid>,
    ) -> CoreResult<Vec<careline_protocol::SessionInfo>> {
        self.desk.remote.sessions(user).await
    }

    /// Ends a session on the server (online only: a session must end when the admin says so).
    pub async fn revoke_session(&self, id: &str) -> CoreResult<()> {
        self.desk.remote.revoke_session(id).await
    }

    pub async fn update_operator(
        &self,
        id: Uuid,
        req: &careline_protocol::UpdateOperatorRequest,
    ) -> CoreResult<careline_protocol::Operator> {
        self.desk.remote.update_operator(id, req).await
    }
}
