// Shared by the e2e test and the app benchmark: each uses part of it.
#![allow(dead_code)]

//! A small WebDriver client for driving the real app window through `tauri-driver` (which
//! runs Debian's `WebKitWebDriver`): start the app, find, click, type, read, run a script,
//! take a screenshot. Only what the end-to-end test uses.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    /// When the app was asked to start (the WebDriver session request).
    pub launched: Instant,
    http: reqwest::Client,
    base: String,
    session: String,
    tauri_driver: Child,
}

impl Driver {
    /// Starts `tauri-driver` with `env` (the app inherits it) and a session of `app`.
    pub async fn start(app: &Path, env: &[(&str, String)]) -> Driver {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let tauri_driver = cmd.spawn().expect("starting tauri-driver (cargo install tauri-driver --locked; Debian's webkit2gtk-driver)");
        // A command that hangs (the window stopped answering) fails the test instead of hanging it.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let launched = Instant::now();
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "wry", "tauri:options": { "application": app } } } });
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {resp}"))
            .to_owned();
        Driver {
            launched,
            http,
            base: format!("{base}/session/{session}"),
            session,
            tauri_driver,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("WebDriver request")
            .json()
            .await
            .expect("WebDriver JSON");
        v["value"].clone()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn exec(&self, script: &str, args: Value) -> Value {
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                Some(json!({ "script": script, "args": args })),
            )
            .await;
        if v.get("error").is_some() {
            panic!("script failed: {v}\n{script}");
        }
        v
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until `css` matches an element whose text contains `text` (any, if empty).
    pub async fn wait_text(&self, css: &str, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found = self
                .exec(
                    "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText).find(t => t.includes(arguments[1])) ?? null",
                    json!([css, text]),
                )
                .await;
            if let Some(s) = found.as_str() {
                return s.to_owned();
            }
            if Instant::now() > deadline {
                let body = self.exec("return document.body.innerText", json!([])).await;
                panic!(
                    "no {css:?} with {text:?} after {secs} s; the window shows:\n{}",
                    body.as_str().unwrap_or("")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs an asynchronous `script` (it calls `arguments[arguments.length - 1]` with its result).
    pub async fn exec_async(&self, script: &str, args: Value) -> Value {
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({ "script": script, "args": args })),
            )
            .await;
        if v.get("error").is_some() {
            panic!("script failed: {v}\n{script}");
        }
        v
    }

    /// Waits until nothing matches `css` with `text`.
    pub async fn wait_gone(&self, css: &str, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found =
                self.exec("return Array.from(document.querySelectorAll(arguments[0])).some(e => e.innerText.includes(arguments[1]))", json!([css, text])).await;
            if found == Value::Bool(false) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css:?} with {text:?} still there after {secs} s"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks (as a pointer would, through WebDriver) the first element matching `css` whose
    /// text contains `text`.
    pub async fn click(&self, css: &str, text: &str) {
        self.wait_text(css, text, 15).await;
        let marked = self
            .exec(
                "document.querySelectorAll('[data-e2e-target]').forEach(e => e.removeAttribute('data-e2e-target'));\
                 const e = Array.from(document.querySelectorAll(arguments[0])).find(e => e.innerText.includes(arguments[1]));\
                 if (!e) return false; e.scrollIntoView({ block: 'center' }); e.setAttribute('data-e2e-target', '1'); return true",
                json!([css, text]),
            )
            .await;
        assert_eq!(
            marked,
            Value::Bool(true),
            "{css:?} with {text:?} vanished before the click"
        );
        let id = self
            .find_all("[data-e2e-target]")
            .await
            .into_iter()
            .next()
            .expect("the marked element");
        let r = self
            .call(
                reqwest::Method::POST,
                &format!("/element/{id}/click"),
                Some(json!({})),
            )
            .await;
        assert!(
            r.is_null() || r.get("error").is_none(),
            "clicking {css:?}: {r}"
        );
    }

    /// Types into the element matching `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        self.wait_text(css, "", 15).await;
        let id = self
            .find_all(css)
            .await
            .into_iter()
            .next()
            .expect("element to type into");
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Chooses `value` in the `<select>` matching `css`, once it has that option (options may
    /// arrive after the select, from the cache).
    pub async fn choose(&self, css: &str, value: &str) {
        self.wait_text(css, "", 15).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let chosen = self
                .exec(
                    "const s = document.querySelector(arguments[0]); s.value = arguments[1]; if (s.value !== arguments[1]) return false; \
                     s.dispatchEvent(new Event('change', { bubbles: true })); return true",
                    json!([css, value]),
                )
                .await;
            if chosen == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css:?} has no option {value:?} after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    pub async fn key(&self, keys: &str) {
        let actions = json!({ "actions": [{ "type": "key", "id": "kbd", "actions": keys.chars().flat_map(|c| [json!({"type": "keyDown", "value": c.to_string()})]).chain(keys.chars().rev().map(|c| json!({"type": "keyUp", "value": c.to_string()}))).collect::<Vec<_>>() }] });
        self.call(reqwest::Method::POST, "/actions", Some(actions))
            .await;
    }

    /// Saves the window as a PNG: the X screen (`import` from ImageMagick) cut to the window.
    /// WebDriver's own screenshot waits for a composited frame, which never comes with
    /// WebKit's compositing off (the app's default).
    pub async fn screenshot(&self, path: &Path) {
        // Let layout and fonts settle.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let size = self
            .exec(
                "return [window.outerWidth, window.outerHeight, window.screenX, window.screenY]",
                json!([]),
            )
            .await;
        let n = |i: usize| size[i].as_i64().unwrap_or(0);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("screenshot folder");
        let ok = Command::new("import")
            .args([
                "-window",
                "root",
                "-crop",
                &format!("{}x{}+{}+{}", n(0), n(1), n(2), n(3)),
                "+repage",
            ])
            .arg(path)
            .status()
            .expect("ImageMagick's import")
            .success();
        assert!(ok, "taking the screenshot {}", path.display());
    }

    /// Ends the app as a desktop session ending does (SIGTERM to the app's process, found
    /// among tauri-driver's descendants) and waits up to `secs` for it to exit; then stops
    /// tauri-driver. Returns whether it exited.
    pub async fn terminate_app(self, app: &Path, secs: u64) -> bool {
        let Some(pid) = descendants(self.tauri_driver.id())
            .into_iter()
            .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|e| e == app))
        else {
            panic!("the app's process is not among tauri-driver's");
        };
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(secs);
        // A process that exited but was not reaped yet is a zombie ('Z'): it has exited.
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| !r.trim_start().starts_with('Z'))
            })
        };
        while alive() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        !alive()
    }

    /// Ends the session (the app quits) and stops tauri-driver with SIGTERM (SIGKILL would
    /// leave WebKitWebDriver holding its port).
    pub async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
        let _ = &self.session;
        // Drop stops tauri-driver.
    }
}

impl Drop for Driver {
    /// Also when a step fails: a tauri-driver left running keeps the test's output pipe open,
    /// and the test script's `tee` would wait for it until CI's time runs out.
    fn drop(&mut self) {
        if matches!(self.tauri_driver.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.tauri_driver.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.tauri_driver.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.tauri_driver.kill();
            let _ = self.tauri_driver.wait();
        }
    }
}

/// Every process below `pid` (children, their children…).
fn descendants(pid: u32) -> Vec<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .flat_map(|c| std::iter::once(c).chain(descendants(c)))
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
