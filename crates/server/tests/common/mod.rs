//! The test harness: a real server on a loopback port (port 0) over a real database — a
//! SQLite file in a temporary directory, or a fresh database on the PostgreSQL named by
//! `CARELINE_TEST_POSTGRES` (started by `tests/postgres.sh`) — and a small HTTP client.

#![allow(dead_code)]

pub mod matrix;
pub mod process;

use std::time::Duration;

use careline_protocol::{CreateOperatorRequest, Role};
use careline_server::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "test-password-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body on both engines: `both!(name, |db| async move { ... })`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                ($body)($crate::common::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                ($body)($crate::common::Db::Postgres).await
            }
        }
    };
}

/// A fresh, empty PostgreSQL database on the test cluster; its URL.
pub async fn fresh_pg_database() -> String {
    let admin = std::env::var("CARELINE_TEST_POSTGRES").expect(
        "CARELINE_TEST_POSTGRES is not set: start PostgreSQL with `tests/postgres.sh start` and export the URL it prints \
         (the README's test command does this)",
    );
    let name = format!("careline_test_{}", uuid::Uuid::new_v4().simple());
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connecting to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// The defaults, but for the registration limits: tests register many clients from loopback
/// (the limits' own tests set them).
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        listen: "127.0.0.1:0".into(),
        register_per_address_per_hour: 100_000,
        register_per_hour: 100_000,
        // One key for every instance and restore of a test (as a deployment configures it).
        secret_key: TEST_SECRET_KEY.into(),
        ..Config::default()
    }
}

/// The secrets key of every test server (and of the real binaries tests start).
pub const TEST_SECRET_KEY: &str =
    "5eC7e75eC7e75eC7e75eC7e75eC7e75eC7e75eC7e75eC7e75eC7e75eC7e75eC7";

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(db: Db) -> TestServer {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        if db == Db::Postgres {
            config.database_url = fresh_pg_database().await;
            config.db_max_connections = 20;
        }
        tweak(&mut config);
        Self::start_config(config, dir).await
    }

    /// A fresh configuration of `db`'s engine (a new data dir; on PostgreSQL a new, empty
    /// database) and the folder it lives in, for a server started later with [`Self::start_on`].
    pub async fn fresh_config(db: Db) -> (Config, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        if db == Db::Postgres {
            config.database_url = fresh_pg_database().await;
            config.db_max_connections = 20;
        }
        (config, dir)
    }

    pub async fn start_on(config: Config, dir: tempfile::TempDir) -> TestServer {
        Self::start_config(config, dir).await
    }

    /// A second instance on the same database (PostgreSQL), with its own data dir.
    pub async fn another_instance(&self) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..self.config.clone()
        };
        Self::start_config(config, dir).await
    }

    async fn start_config(config: Config, dir: tempfile::TempDir) -> TestServer {
        let state = AppState::start(config.clone()).await.expect("server state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            careline_server::app::serve(serving, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            base,
            state,
            config,
            shutdown: Some(tx),
            task: Some(task),
            dir,
        }
    }

    pub fn anon(&self) -> Api {
        Api {
            base: self.base.clone(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// An operator (or admin) account created directly in the store, logged in.
    pub async fn staff(&self, login: &str, role: Role) -> Api {
        let hash = careline_server::passwords::hash_password(PASSWORD.into())
            .await
            .unwrap();
        let req = CreateOperatorRequest {
            login: login.into(),
            password: String::new(),
            name: format!("{login} name"),
            role,
            department: None,
            capacity: None,
        };
        self.state
            .store
            .create_operator(&req, hash, None)
            .await
            .unwrap();
        self.anon().login(login, PASSWORD).await
    }

    /// A registered, logged-in client.
    pub async fn client(&self, name: &str, phone: &str) -> Api {
        let (status, body) = self
            .anon()
            .call(
                Method::POST,
                "/api/v1/clients/register",
                Some(json!({"name": name, "phone": phone, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.anon().with_token(body["token"].as_str().unwrap())
    }

    /// Stops, then starts a new server on the same configuration and database (a restart).
    pub async fn restart(mut self) -> TestServer {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        self.state.store.close().await;
        Self::start_config(self.config.clone(), self.dir).await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        self.state.store.close().await;
    }
}

/// A caller of the API, with or without a session.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
}

impl Api {
    pub fn with_token(&self, token: &str) -> Api {
        Api {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    pub async fn login(&self, login: &str, password: &str) -> Api {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {login}: {body}");
        self.with_token(body["token"].as_str().unwrap())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// A request with `body` sent as written (a broken JSON, say) with the JSON media type.
    pub async fn raw(&self, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// GET that must succeed.
    /// Uploads `bytes` as the file `name` (a query value, percent-encoded as needed) of
    /// `media_type`; the status and the answer.
    pub async fn upload(&self, name: &str, media_type: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/attachments?name={name}", self.base))
            .bearer_auth(self.token.as_deref().unwrap())
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }

    /// [`Api::upload`] that must succeed; the attachment.
    pub async fn must_upload(&self, name: &str, media_type: &str, bytes: &[u8]) -> Value {
        let (st, b) = self.upload(name, media_type, bytes).await;
        assert_eq!(st, StatusCode::CREATED, "upload {name}: {b}");
        b
    }

    /// GET that must succeed, its body as text (CSV).
    pub async fn text(&self, path: &str) -> String {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.text().await.unwrap()
    }

    pub async fn ok(&self, path: &str) -> Value {
        let (s, b) = self.get(path).await;
        assert!(s.is_success(), "GET {path}: {s} {b}");
        b
    }

    /// POST that must succeed.
    pub async fn must(&self, path: &str, body: Value) -> Value {
        let (s, b) = self.post(path, body).await;
        assert!(s.is_success(), "POST {path}: {s} {b}");
        b
    }

    pub async fn user_id(&self) -> String {
        self.ok("/api/v1/me").await["user"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Sends a text message with a fresh idempotency key.
    pub async fn say(&self, consultation: &str, text: &str) -> Value {
        self.must(
            &format!("/api/v1/consultations/{consultation}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": text}),
        )
        .await
    }

    /// The client opens (or gets) its consultation; its id.
    pub async fn open_consultation(&self, text: &str) -> String {
        let b = self
            .must(
                "/api/v1/consultations",
                json!({"kind": "chat", "text": text}),
            )
            .await;
        b["consultation"]["id"].as_str().unwrap().to_owned()
    }

    /// Every event the caller can see, via sync.
    pub async fn all_events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut since = 0;
        loop {
            let b = self
                .ok(&format!("/api/v1/sync?since={since}&limit=1000"))
                .await;
            out.extend(b["events"].as_array().unwrap().iter().cloned());
            since = b["next"].as_i64().unwrap();
            if !b["has_more"].as_bool().unwrap() {
                return out;
            }
        }
    }

    /// The WebSocket's opening request, the token in the Authorization header.
    pub fn ws_request(
        &self,
        resume: Option<i64>,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        ws_request(&self.base, self.token.as_deref().unwrap_or(""), resume)
    }
}

/// The opening request of a WebSocket to `base` with `token` in the Authorization header.
pub fn ws_request(
    base: &str,
    token: &str,
    resume: Option<i64>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut url = format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1));
    if let Some(r) = resume {
        url.push_str(&format!("?resume={r}"));
    }
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// A WebSocket reader of events.
pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn connect(api: &Api, resume: Option<i64>) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(api.ws_request(resume))
            .await
            .expect("websocket connect");
        Ws { stream }
    }

    /// The next JSON text frame, or None after `wait` of silence.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        use futures::StreamExt;
        loop {
            match tokio::time::timeout(wait, self.stream.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    return Some(serde_json::from_str(&t).unwrap())
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Frames until the `live` control frame; returns the events before it.
    pub async fn until_live(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let f = self
                .next(Duration::from_secs(10))
                .await
                .expect("live frame");
            if f["control"] == "live" {
                return events;
            }
            events.push(f);
        }
    }

    /// Collects events until one matches, failing after 10 s.
    pub async fn wait_for(&mut self, what: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let f = self
                .next(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("no matching event; saw {seen:?}"));
            let hit = what(&f);
            seen.push(f);
            if hit {
                return seen;
            }
        }
    }
}
