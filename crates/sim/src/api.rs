//! A small typed client of the Careline API, as a mobile app would use it.

use anyhow::{bail, Context};
use careline_protocol::{
    ApiError, Attachment, Callback, ConsultationKind, CreateCallbackRequest, InitiateConsultationRequest, InitiateConsultationResponse, LoginRequest,
    LoginResponse, Message, MessageKind, ReadPosition, ReadRequest, RegisterRequest, SendMessageRequest,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub user_id: Uuid,
}

async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> anyhow::Result<T> {
    let status = resp.status();
    if status.is_success() {
        return resp.json().await.context("decoding the answer");
    }
    match resp.json::<ApiError>().await {
        Ok(e) => bail!("{status}: {e}"),
        Err(_) => bail!("{status}"),
    }
}

impl Api {
    /// Registers a client, or logs in if the phone is already registered.
    pub async fn client(http: &reqwest::Client, base: &str, name: &str, phone: &str, password: &str) -> anyhow::Result<Api> {
        let req = RegisterRequest { name: name.into(), phone: phone.into(), password: password.into(), email: None, source: None };
        let resp = http.post(format!("{base}/api/v1/clients/register")).json(&req).send().await?;
        let login: LoginResponse =
            if resp.status() == StatusCode::CONFLICT { Self::login_raw(http, base, phone, password).await? } else { decode(resp).await? };
        Ok(Api { base: base.into(), http: http.clone(), token: login.token, user_id: login.user.id })
    }

    pub async fn login(http: &reqwest::Client, base: &str, login: &str, password: &str) -> anyhow::Result<Api> {
        let l = Self::login_raw(http, base, login, password).await?;
        Ok(Api { base: base.into(), http: http.clone(), token: l.token, user_id: l.user.id })
    }

    async fn login_raw(http: &reqwest::Client, base: &str, login: &str, password: &str) -> anyhow::Result<LoginResponse> {
        let req = LoginRequest { login: login.into(), password: password.into() };
        decode(http.post(format!("{base}/api/v1/auth/login")).json(&req).send().await?).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> anyhow::Result<T> {
        decode(self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(body).send().await?).await
    }

    pub async fn initiate(&self, text: &str) -> anyhow::Result<InitiateConsultationResponse> {
        let req = InitiateConsultationRequest { kind: ConsultationKind::Chat, text: Some(text.into()), client_msg_id: Some(Uuid::now_v7()) };
        self.post("/api/v1/consultations", &req).await
    }

    pub async fn send(&self, consultation: Uuid, kind: MessageKind, body: &str, attachment: Option<Uuid>) -> anyhow::Result<Message> {
        let req = SendMessageRequest { client_msg_id: Uuid::now_v7(), kind, body: body.into(), attachment_id: attachment, internal: false };
        self.post(&format!("/api/v1/consultations/{consultation}/messages"), &req).await
    }

    /// The app has the messages of the consultation up to `seq` (the operator sees "delivered").
    pub async fn delivered(&self, consultation: Uuid, seq: i64) -> anyhow::Result<ReadPosition> {
        self.post(&format!("/api/v1/consultations/{consultation}/delivered"), &ReadRequest { seq }).await
    }

    /// The client has read the consultation up to `seq`.
    pub async fn read(&self, consultation: Uuid, seq: i64) -> anyhow::Result<ReadPosition> {
        self.post(&format!("/api/v1/consultations/{consultation}/read"), &ReadRequest { seq }).await
    }

    pub async fn upload(&self, name: &str, media_type: &str, bytes: Vec<u8>) -> anyhow::Result<Attachment> {
        let resp = self
            .http
            .post(format!("{}/api/v1/attachments", self.base))
            .query(&[("name", name)])
            .bearer_auth(&self.token)
            .header("content-type", media_type)
            .body(bytes)
            .send()
            .await?;
        decode(resp).await
    }

    pub async fn request_callback(&self, req: &CreateCallbackRequest) -> anyhow::Result<Callback> {
        self.post("/api/v1/callbacks", req).await
    }

    pub fn ws_url(&self, resume: Option<i64>) -> String {
        let mut url = format!("{}/api/v1/ws?token={}", self.base.replacen("http", "ws", 1), self.token);
        if let Some(r) = resume {
            url.push_str(&format!("&resume={r}"));
        }
        url
    }
}
