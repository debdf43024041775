//! The server's clinical API: prescriptions and refunds.

use careline_protocol::{
    Prescription, PrescriptionQuery, PrescriptionRequest, ReasonRequest, Refund, RefundQuery,
    RefundRequest,
};
use uuid::Uuid;

use super::Remote;
use crate::CoreResult;

impl Remote {
    pub async fn create_prescription(
        &self,
        consultation: Uuid,
        req: &PrescriptionRequest,
    ) -> CoreResult<Prescription> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/prescriptions"),
            req,
        )
        .await
    }

    pub async fn update_prescription(
        &self,
        id: Uuid,
        req: &PrescriptionRequest,
    ) -> CoreResult<Prescription> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/api/v1/prescriptions/{id}"),
            req,
        )
        .await
    }

    /// `submit`, `approve`, `reject` or `cancel` (the last two with a reason).
    pub async fn prescription_step(
        &self,
        id: Uuid,
        step: &str,
        reason: Option<String>,
    ) -> CoreResult<Prescription> {
        self.post(
            &format!("/api/v1/prescriptions/{id}/{step}"),
            &ReasonRequest { reason },
        )
        .await
    }

    pub async fn prescriptions(&self, q: &PrescriptionQuery) -> CoreResult<Vec<Prescription>> {
        self.get_with("/api/v1/prescriptions", q).await
    }

    /// A consultation's messages as its client sees them (what a pharmacist reads behind a
    /// prescription: the desk keeps no chats for them), oldest first, the last `limit`.
    pub async fn consultation_messages(
        &self,
        consultation: Uuid,
        limit: i64,
    ) -> CoreResult<Vec<careline_protocol::Message>> {
        let page: careline_protocol::Page<careline_protocol::Message> = self
            .get_with(
                &format!("/api/v1/consultations/{consultation}/messages"),
                &careline_protocol::MessageQuery {
                    before_seq: Some(i64::MAX),
                    limit: Some(limit),
                    ..Default::default()
                },
            )
            .await?;
        Ok(page.items)
    }

    /// Every consent text (an admin's token also gets the inactive ones).
    pub async fn consents(&self) -> CoreResult<Vec<careline_protocol::Consent>> {
        self.get("/api/v1/consents").await
    }

    /// A new text (`id` none) or an edit.
    pub async fn save_consent(
        &self,
        id: Option<Uuid>,
        req: &careline_protocol::ConsentRequest,
    ) -> CoreResult<careline_protocol::Consent> {
        match id {
            None => self.post("/api/v1/consents", req).await,
            Some(id) => {
                self.send(reqwest::Method::PUT, &format!("/api/v1/consents/{id}"), req)
                    .await
            }
        }
    }

    pub async fn client_consents(
        &self,
        client: Uuid,
    ) -> CoreResult<Vec<careline_protocol::ClientConsent>> {
        self.get(&format!("/api/v1/clients/{client}/consents")).await
    }

    /// `accept` or `withdraw`, as recorded by staff for an answer given by phone.
    pub async fn answer_consent(
        &self,
        consent: Uuid,
        action: &str,
        answer: &careline_protocol::ConsentAnswer,
    ) -> CoreResult<careline_protocol::ConsentRecord> {
        self.post(&format!("/api/v1/consents/{consent}/{action}"), answer)
            .await
    }

    pub async fn request_refund(
        &self,
        consultation: Uuid,
        req: &RefundRequest,
    ) -> CoreResult<Refund> {
        self.post(&format!("/api/v1/consultations/{consultation}/refunds"), req)
            .await
    }

    pub async fn refunds(&self, q: &RefundQuery) -> CoreResult<Vec<Refund>> {
        self.get_with("/api/v1/refunds", q).await
    }

    /// `approve` or `reject` (with a reason).
    pub async fn decide_refund(
        &self,
        id: Uuid,
        step: &str,
        reason: Option<String>,
    ) -> CoreResult<Refund> {
        self.post(
            &format!("/api/v1/refunds/{id}/{step}"),
            &ReasonRequest { reason },
        )
        .await
    }
}
