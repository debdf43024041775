//! The server's call API: start, hang up, the one-time link to the call's page.

use careline_protocol::{Call, CallLink, CallMedia, HangupRequest, StartCallRequest};
use uuid::Uuid;

use super::Remote;
use crate::CoreResult;

impl Remote {
    pub async fn start_call(&self, consultation: Uuid, media: CallMedia) -> CoreResult<Call> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/calls"),
            &StartCallRequest { media },
        )
        .await
    }

    pub async fn call_link(&self, call: Uuid) -> CoreResult<CallLink> {
        self.post(&format!("/api/v1/calls/{call}/link"), &serde_json::json!({}))
            .await
    }

    pub async fn hangup_call(&self, call: Uuid) -> CoreResult<Call> {
        self.post(
            &format!("/api/v1/calls/{call}/hangup"),
            &HangupRequest::default(),
        )
        .await
    }
}
