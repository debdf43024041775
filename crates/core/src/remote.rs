//! The server's API as the desktop core uses it.

use careline_protocol::{
    ApiError, Consultation, LoginRequest, LoginResponse, MeResponse, Message, Operator, Presence,
    SendMessageRequest, StatusRequest, SyncResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::{CoreError, CoreResult};

mod clinical;
mod visits;
mod calls;

/// A session with a server.
#[derive(Clone)]
pub struct Remote {
    base: String,
    http: reqwest::Client,
    token: String,
    /// Sent as `Idempotency-Key` with changes: the server answers a retry with the first answer.
    key: Option<String>,
}

/// The answer's body as `T`, or the API's error. A body that cannot be read to its end is the
/// network's fault (`Unreachable`); one that arrived whole but is not what the API says is the
/// server's (`Unexpected`), and says so with its beginning.
async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> CoreResult<T> {
    let status = resp.status();
    let body = resp.bytes().await.map_err(CoreError::Unreachable)?;
    let unexpected = |why: String| CoreError::Unexpected {
        status: status.as_u16(),
        detail: format!("{why}: {}", beginning(&body)),
    };
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| unexpected(e.to_string()));
    }
    match serde_json::from_slice::<ApiError>(&body) {
        Ok(e) => Err(CoreError::Refused(e)),
        // A gateway between us and a server that is down answers 502/503/504 itself: an outage.
        Err(_) if matches!(status.as_u16(), 502..=504) => Err(CoreError::Unavailable {
            status: status.as_u16(),
        }),
        Err(_) => Err(unexpected("not an API error".into())),
    }
}

/// The first 200 characters of a body, for an error's detail.
fn beginning(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The HTTP client of a session. A server that accepts no connection within 5 s, or sends
/// nothing for 30 s in the middle of an answer (a dead peer behind a NAT that kept the socket),
/// fails the request as unreachable instead of holding the loop that waits on it; a slow upload
/// or download that keeps moving is not cut off, as a whole-request timeout would.
fn client() -> CoreResult<reqwest::Client> {
    client_with(std::time::Duration::from_secs(30))
}

fn client_with(read_timeout: std::time::Duration) -> CoreResult<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .read_timeout(read_timeout)
        .build()
        .map_err(CoreError::Unreachable)
}

impl Remote {
    /// Logs in; clients of the desktop are operators and admins, but any role may use it.
    pub async fn login(
        server: &str,
        login: &str,
        password: &str,
    ) -> CoreResult<(Remote, LoginResponse)> {
        let base = server.trim_end_matches('/').to_owned();
        let http = client()?;
        let req = LoginRequest {
            login: login.into(),
            password: password.into(),
        };
        let resp = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&req)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        let l: LoginResponse = decode(resp).await?;
        Ok((
            Remote {
                base,
                http,
                token: l.token.clone(),
                key: None,
            },
            l,
        ))
    }

    /// A session from a stored token.
    pub fn with_token(server: &str, token: &str) -> Remote {
        Remote {
            base: server.trim_end_matches('/').to_owned(),
            // Building fails only when the system's TLS roots cannot be loaded; a client without
            // the timeouts is then still better than no desk.
            http: client().unwrap_or_default(),
            token: token.into(),
            key: None,
        }
    }

    /// The same session, sending `key` as the Idempotency-Key of its changes.
    pub fn keyed(&self, key: &str) -> Remote {
        Remote {
            key: Some(key.to_owned()),
            ..self.clone()
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> CoreResult<T> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        decode(resp).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> CoreResult<T> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(k) = &self.key {
            req = req.header("idempotency-key", k);
        }
        decode(req.send().await.map_err(CoreError::Unreachable)?).await
    }

    pub async fn send_message(
        &self,
        consultation: Uuid,
        req: &SendMessageRequest,
    ) -> CoreResult<Message> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/consultations/{consultation}/messages"),
            req,
        )
        .await
    }

    pub async fn set_status(&self, status: Presence) -> CoreResult<Operator> {
        self.send(
            reqwest::Method::PUT,
            "/api/v1/me/status",
            &StatusRequest { status },
        )
        .await
    }

    pub async fn take(&self, consultation: Uuid) -> CoreResult<Consultation> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/take"),
            &serde_json::Map::new(),
        )
        .await
    }

    pub async fn release(
        &self,
        consultation: Uuid,
        req: &careline_protocol::ReleaseRequest,
    ) -> CoreResult<Consultation> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/release"),
            req,
        )
        .await
    }

    pub async fn close(
        &self,
        consultation: Uuid,
        req: &careline_protocol::CloseRequest,
    ) -> CoreResult<Consultation> {
        self.post(&format!("/api/v1/consultations/{consultation}/close"), req)
            .await
    }

    pub async fn transfer(
        &self,
        consultation: Uuid,
        req: &careline_protocol::TransferRequest,
    ) -> CoreResult<Consultation> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/transfer"),
            req,
        )
        .await
    }

    pub async fn assign(
        &self,
        consultation: Uuid,
        req: &careline_protocol::AssignRequest,
    ) -> CoreResult<Consultation> {
        self.post(&format!("/api/v1/consultations/{consultation}/assign"), req)
            .await
    }

    pub async fn update_consultation(
        &self,
        consultation: Uuid,
        req: &careline_protocol::UpdateConsultationRequest,
    ) -> CoreResult<Consultation> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/api/v1/consultations/{consultation}"),
            req,
        )
        .await
    }

    pub async fn mark_read(
        &self,
        consultation: Uuid,
        req: &careline_protocol::ReadRequest,
    ) -> CoreResult<()> {
        let _: serde_json::Value = self
            .send(
                reqwest::Method::POST,
                &format!("/api/v1/consultations/{consultation}/read"),
                req,
            )
            .await?;
        Ok(())
    }

    /// Ends the session on the server (the token stops working everywhere).
    pub async fn logout(&self) -> CoreResult<()> {
        let resp = self
            .http
            .post(format!("{}/api/v1/auth/logout", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        if resp.status().is_success() {
            return Ok(());
        }
        decode::<serde_json::Value>(resp).await.map(|_| ())
    }

    /// A client's profile; the server audits the read (medical data).
    pub async fn client(&self, id: Uuid) -> CoreResult<careline_protocol::Client> {
        self.get(&format!("/api/v1/clients/{id}")).await
    }

    /// The consultations report (an admin's, or an operator's own figures).
    pub async fn consultation_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<careline_protocol::ConsultationReport> {
        self.get_with("/api/v1/reports/consultations", q).await
    }

    /// The operators' report (a row per operator; an operator, their own row).
    pub async fn operator_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<careline_protocol::OperatorReport> {
        self.get_with("/api/v1/reports/operators", q).await
    }

    /// A GET with query parameters, decoded.
    async fn get_with<Q: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        q: &Q,
    ) -> CoreResult<T> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .query(q)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        decode(resp).await
    }

    /// A GET with query parameters answered with CSV text (`format=csv` added).
    pub async fn csv<Q: Serialize + ?Sized>(&self, path: &str, q: &Q) -> CoreResult<String> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .query(q)
            .query(&[("format", "csv")])
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        if resp.status().is_success() {
            return resp.text().await.map_err(CoreError::Unreachable);
        }
        decode::<serde_json::Value>(resp)
            .await
            .map(|_| String::new())
    }

    pub async fn report_items(
        &self,
        q: &careline_protocol::ReportItemsQuery,
    ) -> CoreResult<careline_protocol::ReportItems> {
        self.get_with("/api/v1/reports/consultations/items", q)
            .await
    }

    pub async fn callback_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<careline_protocol::CallbackReport> {
        self.get_with("/api/v1/reports/callbacks", q).await
    }

    pub async fn billing_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<careline_protocol::BillingReport> {
        self.get_with("/api/v1/reports/billing", q).await
    }

    pub async fn audit(
        &self,
        q: &careline_protocol::AuditQuery,
    ) -> CoreResult<careline_protocol::Page<careline_protocol::AuditRecord>> {
        self.get_with("/api/v1/audit", q).await
    }

    pub async fn create_tariff(
        &self,
        req: &careline_protocol::CreateTariffRequest,
    ) -> CoreResult<careline_protocol::Tariff> {
        self.post("/api/v1/tariffs", req).await
    }

    /// The sessions (logins on devices) of `user` (an admin's question), or mine.
    pub async fn sessions(
        &self,
        user: Option<Uuid>,
    ) -> CoreResult<Vec<careline_protocol::SessionInfo>> {
        let path = match user {
            Some(u) => format!("/api/v1/sessions?user_id={u}"),
            None => "/api/v1/sessions".to_owned(),
        };
        Ok(self
            .get::<careline_protocol::Page<careline_protocol::SessionInfo>>(&path)
            .await?
            .items)
    }

    /// Ends a session (mine, or for an admin anyone's); its live connections close.
    pub async fn revoke_session(&self, id: &str) -> CoreResult<()> {
        let id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let resp = self
            .http
            .delete(format!("{}/api/v1/sessions/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        if resp.status().is_success() {
            return Ok(());
        }
        decode::<serde_json::Value>(resp).await.map(|_| ())
    }

    /// Erases a client (admin): everything of them leaves the server and every desk.
    pub async fn erase_client(&self, id: Uuid) -> CoreResult<()> {
        self.delete(&format!("/api/v1/clients/{id}")).await
    }

    /// A DELETE answered with no body.
    async fn delete(&self, path: &str) -> CoreResult<()> {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        if resp.status().is_success() {
            return Ok(());
        }
        decode::<serde_json::Value>(resp).await.map(|_| ())
    }

    pub async fn red_flags(&self) -> CoreResult<Vec<careline_protocol::RedFlagRule>> {
        self.get("/api/v1/red-flags").await
    }

    /// A new rule (`id` none) or a rule's new state.
    pub async fn save_red_flag(
        &self,
        id: Option<Uuid>,
        req: &careline_protocol::RedFlagRuleRequest,
    ) -> CoreResult<careline_protocol::RedFlagRule> {
        match id {
            Some(id) => {
                self.send(
                    reqwest::Method::PUT,
                    &format!("/api/v1/red-flags/{id}"),
                    req,
                )
                .await
            }
            None => self.post("/api/v1/red-flags", req).await,
        }
    }

    pub async fn quick_replies(&self) -> CoreResult<Vec<careline_protocol::QuickReply>> {
        self.get("/api/v1/quick-replies").await
    }

    pub async fn save_quick_reply(
        &self,
        id: Option<Uuid>,
        req: &careline_protocol::QuickReplyRequest,
    ) -> CoreResult<careline_protocol::QuickReply> {
        match id {
            Some(id) => {
                self.send(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/quick-replies/{id}"),
                    req,
                )
                .await
            }
            None => self.post("/api/v1/quick-replies", req).await,
        }
    }

    pub async fn delete_quick_reply(&self, id: Uuid) -> CoreResult<()> {
        self.delete(&format!("/api/v1/quick-replies/{id}")).await
    }

    pub async fn webhooks(&self) -> CoreResult<Vec<careline_protocol::WebhookEndpoint>> {
        self.get("/api/v1/webhooks").await
    }

    pub async fn create_webhook(
        &self,
        req: &careline_protocol::CreateWebhookRequest,
    ) -> CoreResult<careline_protocol::WebhookCreated> {
        self.post("/api/v1/webhooks", req).await
    }

    pub async fn update_webhook(
        &self,
        id: Uuid,
        req: &careline_protocol::UpdateWebhookRequest,
    ) -> CoreResult<careline_protocol::WebhookEndpoint> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            req,
        )
        .await
    }

    pub async fn delete_webhook(&self, id: Uuid) -> CoreResult<()> {
        self.delete(&format!("/api/v1/webhooks/{id}")).await
    }

    pub async fn webhook_deliveries(
        &self,
        id: Uuid,
        q: &careline_protocol::DeliveryQuery,
    ) -> CoreResult<careline_protocol::Page<careline_protocol::WebhookDelivery>> {
        self.get_with(&format!("/api/v1/webhooks/{id}/deliveries"), q)
            .await
    }

    pub async fn delete_red_flag(&self, id: Uuid) -> CoreResult<()> {
        self.delete(&format!("/api/v1/red-flags/{id}")).await
    }

    pub async fn test_red_flags(
        &self,
        text: &str,
    ) -> CoreResult<careline_protocol::RedFlagTestResponse> {
        self.post(
            "/api/v1/red-flags/test",
            &careline_protocol::RedFlagTestRequest {
                text: text.to_owned(),
            },
        )
        .await
    }

    pub async fn desk_settings(&self) -> CoreResult<careline_protocol::DeskSettings> {
        self.get("/api/v1/settings").await
    }

    pub async fn set_desk_settings(
        &self,
        s: &careline_protocol::DeskSettings,
    ) -> CoreResult<careline_protocol::DeskSettings> {
        self.send(reqwest::Method::PUT, "/api/v1/settings", s).await
    }

    pub async fn update_client(
        &self,
        id: Uuid,
        req: &careline_protocol::UpdateClientRequest,
    ) -> CoreResult<careline_protocol::Client> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            req,
        )
        .await
    }

    pub async fn create_client(
        &self,
        req: &careline_protocol::CreateClientRequest,
    ) -> CoreResult<careline_protocol::Client> {
        self.post("/api/v1/clients", req).await
    }

    pub async fn claim_code(&self, id: Uuid) -> CoreResult<careline_protocol::ClaimCode> {
        self.post(
            &format!("/api/v1/clients/{id}/claim-code"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn create_callback(
        &self,
        req: &careline_protocol::CreateCallbackRequest,
    ) -> CoreResult<careline_protocol::Callback> {
        self.post("/api/v1/callbacks", req).await
    }

    pub async fn create_operator(
        &self,
        req: &careline_protocol::CreateOperatorRequest,
    ) -> CoreResult<Operator> {
        self.send(reqwest::Method::POST, "/api/v1/operators", req)
            .await
    }

    pub async fn update_operator(
        &self,
        id: Uuid,
        req: &careline_protocol::UpdateOperatorRequest,
    ) -> CoreResult<Operator> {
        self.send(
            reqwest::Method::PATCH,
            &format!("/api/v1/operators/{id}"),
            req,
        )
        .await
    }

    /// `claim`, `release`, `attempts` or `cancel`.
    pub async fn claim_callback(&self, callback: Uuid) -> CoreResult<careline_protocol::Callback> {
        self.post(
            &format!("/api/v1/callbacks/{callback}/claim"),
            &serde_json::Map::new(),
        )
        .await
    }

    pub async fn release_callback(
        &self,
        callback: Uuid,
    ) -> CoreResult<careline_protocol::Callback> {
        self.post(
            &format!("/api/v1/callbacks/{callback}/release"),
            &serde_json::Map::new(),
        )
        .await
    }

    pub async fn cancel_callback(&self, callback: Uuid) -> CoreResult<careline_protocol::Callback> {
        self.post(
            &format!("/api/v1/callbacks/{callback}/cancel"),
            &serde_json::Map::new(),
        )
        .await
    }

    pub async fn callback_attempt(
        &self,
        callback: Uuid,
        req: &careline_protocol::AttemptRequest,
    ) -> CoreResult<careline_protocol::Callback> {
        self.post(&format!("/api/v1/callbacks/{callback}/attempts"), req)
            .await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> CoreResult<T> {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn callback(&self, id: Uuid) -> CoreResult<careline_protocol::Callback> {
        self.get(&format!("/api/v1/callbacks/{id}")).await
    }

    pub async fn consultation(&self, id: Uuid) -> CoreResult<Consultation> {
        self.get(&format!("/api/v1/consultations/{id}")).await
    }

    /// An attachment's bytes.
    pub async fn download(&self, id: Uuid) -> CoreResult<Vec<u8>> {
        self.bytes_of(&format!("/api/v1/attachments/{id}")).await
    }

    /// An image attachment's thumbnail.
    pub async fn download_thumbnail(&self, id: Uuid) -> CoreResult<Vec<u8>> {
        self.bytes_of(&format!("/api/v1/attachments/{id}/thumbnail"))
            .await
    }

    async fn bytes_of(&self, path: &str) -> CoreResult<Vec<u8>> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        if !resp.status().is_success() {
            return decode::<()>(resp).await.map(|_| Vec::new());
        }
        Ok(resp.bytes().await.map_err(CoreError::Unreachable)?.to_vec())
    }

    /// Uploads a file; its id goes into a message.
    pub async fn upload(
        &self,
        name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> CoreResult<careline_protocol::Attachment> {
        let resp = self
            .http
            .post(format!("{}/api/v1/attachments", self.base))
            .query(&[("name", name)])
            .bearer_auth(&self.token)
            .header("content-type", media_type)
            .body(bytes)
            .send()
            .await
            .map_err(CoreError::Unreachable)?;
        decode(resp).await
    }

    pub async fn me(&self) -> CoreResult<MeResponse> {
        self.get("/api/v1/me").await
    }

    /// One page of the current state (see the server's `/api/v1/snapshot`).
    pub async fn snapshot_page(
        &self,
        cursor: Option<&str>,
        limit: i64,
    ) -> CoreResult<careline_protocol::SnapshotPage> {
        let mut path = format!("/api/v1/snapshot?limit={limit}");
        if let Some(c) = cursor {
            path.push_str("&cursor=");
            path.push_str(&c.replace('~', "%7E").replace(':', "%3A"));
        }
        self.get(&path).await
    }

    /// One page of events after `since`.
    pub async fn sync_page(&self, since: i64, limit: i64) -> CoreResult<SyncResponse> {
        self.get(&format!("/api/v1/sync?since={since}&limit={limit}"))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that takes the connection and then says nothing fails the request as
    /// unreachable instead of holding the caller for ever.
    #[tokio::test]
    async fn a_server_that_answers_nothing_is_unreachable() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(socket);
        });
        let remote = Remote {
            http: client_with(std::time::Duration::from_millis(300)).unwrap(),
            ..Remote::with_token(&format!("http://{addr}"), "token")
        };
        let started = std::time::Instant::now();
        let answer = remote.get::<serde_json::Value>("/api/v1/me").await;
        assert!(
            matches!(answer, Err(CoreError::Unreachable(_))),
            "{answer:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        held.abort();
    }
}
