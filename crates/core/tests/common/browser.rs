//! A headless Chromium (Debian's `chromium`, through its `chromedriver`) driving the patients'
//! web page, for the tests of the page.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

/// A browser session through chromedriver.
pub struct Browser {
    pub http: reqwest::Client,
    pub url: String,
    _driver: tokio::process::Child,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    pub async fn start(lang: &str, width: u32, height: u32) -> Browser {
        Self::start_with(lang, width, height, &[]).await
    }

    /// A browser with a fake camera and microphone (a test pattern and a beep), allowed
    /// without asking, and sound that plays without a tap: one side of a call.
    pub async fn with_fake_media(lang: &str, width: u32, height: u32) -> Browser {
        Self::start_with(
            lang,
            width,
            height,
            &[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        .await
    }

    pub async fn start_with(lang: &str, width: u32, height: u32, extra: &[&str]) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // In a process group of its own, with the browser it starts: a test that fails (and
        // never quits) takes the whole group down when the Browser drops, instead of leaving
        // a Chromium with a fake camera running.
        let driver = tokio::process::Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; the README's set-up installs it)");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ]
        .iter()
        .chain(extra)
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--lang={lang}"));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": args,
            "prefs": {"intl.accept_languages": lang}
        }}}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {r}"))
            .to_owned();
        Browser {
            http,
            url: format!("{base}/session/{id}"),
            _driver: driver,
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if !body.is_null() {
            req = req.json(&body);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        r["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn exec(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// The first element matching `css` whose text has `text`, within 15 s.
    pub async fn find(&self, css: &str, text: &str) -> String {
        for _ in 0..150 {
            let found = self
                .call(
                    reqwest::Method::POST,
                    "/elements",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            for e in found.as_array().cloned().unwrap_or_default() {
                let id = e[ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("not an element: {found}"))
                    .to_owned();
                let t = self
                    .call(
                        reqwest::Method::GET,
                        &format!("/element/{id}/text"),
                        json!(null),
                    )
                    .await;
                if text.is_empty() || t.as_str().is_some_and(|t| t.contains(text)) {
                    return id;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.exec("return document.body.innerText").await;
        panic!(
            "no {css:?} with {text:?}; the page shows:\n{}",
            page.as_str().unwrap_or("")
        );
    }

    pub async fn click(&self, css: &str, text: &str) {
        let id = self.find(css, text).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let id = self.find(css, "").await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn dark(&self, on: bool) {
        let value = if on { "dark" } else { "light" };
        let cdp = self.url.clone() + "/goog/cdp/execute";
        self.http
            .post(cdp)
            .json(&json!({"cmd": "Emulation.setEmulatedMedia", "params": {"features": [{"name": "prefers-color-scheme", "value": value}]}}))
            .send()
            .await
            .unwrap();
    }

    pub async fn shoot(&self, name: &str) {
        let png = self
            .call(reqwest::Method::GET, "/screenshot", json!(null))
            .await;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{name}.png")),
            base64::engine::general_purpose::STANDARD
                .decode(png.as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self._driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// A demo member of staff logged in over the API: `(token, user id)`.
pub async fn demo_login(http: &reqwest::Client, base: &str, who: &str) -> (String, String) {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": who, "password": careline_server::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        r["token"].as_str().unwrap().to_owned(),
        r["user"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A call of the server's API with a bearer token; its JSON answer, which must be a success.
pub async fn api(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> Value {
    let mut req = http.request(method, url).bearer_auth(token);
    if !body.is_null() {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {v}");
    v
}

pub async fn until<F: std::future::Future<Output = bool>>(what: &str, mut f: impl FnMut() -> F) {
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}
