//! A small typed client of the Careline API, as a mobile app would use it.

use anyhow::{bail, Context};
use careline_protocol::{
    ApiError, Attachment, Callback, ConsultationKind, CreateCallbackRequest,
    InitiateConsultationRequest, InitiateConsultationResponse, LoginRequest, LoginResponse,
    Message, MessageKind, ReadPosition, ReadRequest, RegisterRequest, SendMessageRequest,
};
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
    /// Registers a client, or logs in if the phone is already registered. A first
    /// registration goes straight to `register`; a phone this program played before logs in
    /// (registering it again would make a separate account: the server does not tell who has
    /// one).
    pub async fn client(
        http: &reqwest::Client,
        base: &str,
        name: &str,
        phone: &str,
        password: &str,
    ) -> anyhow::Result<Api> {
        if let Ok(login) = Self::login_raw(http, base, phone, password).await {
            return Ok(Api {
                base: base.into(),
                http: http.clone(),
                token: login.token,
                user_id: login.user.id,
            });
        }
        let req = RegisterRequest {
            name: name.into(),
            phone: phone.into(),
            password: password.into(),
            email: None,
            source: None,
            claim_code: None,
            consents: Vec::new(),
        };
        let login: LoginResponse = decode(
            http.post(format!("{base}/api/v1/clients/register"))
                .json(&req)
                .send()
                .await?,
        )
        .await?;
        Ok(Api {
            base: base.into(),
            http: http.clone(),
            token: login.token,
            user_id: login.user.id,
        })
    }

    pub async fn login(
        http: &reqwest::Client,
        base: &str,
        login: &str,
        password: &str,
    ) -> anyhow::Result<Api> {
        let l = Self::login_raw(http, base, login, password).await?;
        Ok(Api {
            base: base.into(),
            http: http.clone(),
            token: l.token,
            user_id: l.user.id,
        })
    }

    async fn login_raw(
        http: &reqwest::Client,
        base: &str,
        login: &str,
        password: &str,
    ) -> anyhow::Result<LoginResponse> {
        let req = LoginRequest {
            login: login.into(),
            password: password.into(),
        };
        decode(
            http.post(format!("{base}/api/v1/auth/login"))
                .json(&req)
                .send()
                .await?,
        )
        .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        decode(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await?,
        )
        .await
    }

    pub async fn initiate(&self, text: &str) -> anyhow::Result<InitiateConsultationResponse> {
        let req = InitiateConsultationRequest {
            kind: ConsultationKind::Chat,
            text: Some(text.into()),
            client_msg_id: Some(Uuid::now_v7()),
        };
        self.post("/api/v1/consultations", &req).await
    }

    pub async fn send(
        &self,
        consultation: Uuid,
        kind: MessageKind,
        body: &str,
        attachment: Option<Uuid>,
    ) -> anyhow::Result<Message> {
        let req = SendMessageRequest {
            client_msg_id: Uuid::now_v7(),
            kind,
            body: body.into(),
            attachment_id: attachment,
            internal: false,
        };
        self.post(
            &format!("/api/v1/consultations/{consultation}/messages"),
            &req,
        )
        .await
    }

    /// The app has the messages of the consultation up to `seq` (the operator sees "delivered").
    pub async fn delivered(&self, consultation: Uuid, seq: i64) -> anyhow::Result<ReadPosition> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/delivered"),
            &ReadRequest { seq },
        )
        .await
    }

    /// The client has read the consultation up to `seq`.
    pub async fn read(&self, consultation: Uuid, seq: i64) -> anyhow::Result<ReadPosition> {
        self.post(
            &format!("/api/v1/consultations/{consultation}/read"),
            &ReadRequest { seq },
        )
        .await
    }

    pub async fn upload(
        &self,
        name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<Attachment> {
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

    /// The WebSocket's opening request: resuming after `resume`, the token in the
    /// Authorization header (never in the URL).
    pub fn ws_request(
        &self,
        resume: Option<i64>,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        ws_request(&self.base, &self.token, resume)
    }
}

/// The opening request of a WebSocket to `base` with `token` in the Authorization header.
pub fn ws_request(
    base: &str,
    token: &str,
    resume: Option<i64>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
    if let Some(r) = resume {
        url.push_str(&format!("?resume={r}"));
    }
    let mut request = url.into_client_request().expect("a WebSocket URL");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .expect("a token is header text"),
    );
    request
}
