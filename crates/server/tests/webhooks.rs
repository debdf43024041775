//! Webhooks against a real receiver on a loopback port: every event signed in the Standard
//! Webhooks form (checked here by an independent implementation: RustCrypto's HMAC-SHA256),
//! retried after 500s and time-outs, in order per consultation, redirects not followed, targets
//! checked, a failing endpoint paused; and nothing lost when the server is killed with SIGKILL
//! mid-retry — on SQLite and PostgreSQL.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use careline_protocol::Role;
use common::process::start_as;
use common::{Api, Db, TestServer, Ws, PASSWORD};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// What the receiver got: headers of note and the body.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    answered: u16,
}

/// How the receiver answers the n-th request (0-based), whatever it is.
type Script = Arc<dyn Fn(usize, &str) -> Answer + Send + Sync>;

#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Answers 200 after this long (past the server's time limit).
    Slow(u64),
}

#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    async fn start(script: Script) -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let script = Arc::new(Mutex::new(script));
        let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (g, s) = (got.clone(), script.clone());
        let app =
            axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
                let (g, s, arrived) = (g.clone(), s.clone(), arrived.clone());
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    // Counted as it arrives: two requests at once get different answers.
                    let n = arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let answer = (s.lock().unwrap().clone())(n, &body);
                    let got = |answered| Got {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                        body: body.clone(),
                        answered,
                    };
                    let status = match answer {
                        Answer::Status(c) => c,
                        Answer::Slow(ms) => {
                            // Recorded as it arrives: the server gives up before the answer (0).
                            g.lock().unwrap().push(got(0));
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            return axum::response::Response::new(axum::body::Body::from("late"));
                        }
                    };
                    g.lock().unwrap().push(got(status));
                    let mut r = axum::response::Response::new(axum::body::Body::from("ok"));
                    *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                    if status == 302 {
                        r.headers_mut()
                            .insert("location", "http://127.0.0.1:9/elsewhere".parse().unwrap());
                    }
                    r
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/hooks/careline?token=t0k3n",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, got, script }
    }

    fn set(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The accepted (2xx) requests' bodies, by id, in the order they were accepted.
    fn accepted(&self) -> Vec<(String, Value)> {
        self.got()
            .into_iter()
            .filter(|g| (200..300).contains(&g.answered))
            .map(|g| (g.id, serde_json::from_str(&g.body).unwrap()))
            .collect()
    }
}

/// The signature check of the Standard Webhooks scheme, written from its specification.
fn verify(secret: &str, g: &Got) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", g.id, g.timestamp, g.body).as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    g.signature
        .split(' ')
        .any(|s| s == format!("v1,{expected}"))
}

async fn until<F: std::future::Future<Output = bool>>(
    secs: u64,
    what: &str,
    mut f: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn quick(c: &mut careline_server::Config) {
    c.webhook_allow_private = true;
    c.webhook_backoff_base_ms = 100;
    c.webhook_timeout_secs = 1;
    c.webhook_undelivered_secs = 1;
    c.webhook_pause_after = 1000;
}

// The whole life of a consultation and a callback request reaches the receiver, signed, each
// event once accepted though the receiver failed the first tries (two 500s, then two answers
// too slow), in the order things happened per consultation; an operator's message the client's
// device never confirmed is `message.undelivered`, one it confirmed is not; the log says how
// each delivery went.
both!(
    events_reach_the_receiver_signed_retried_and_in_order,
    |db| async move {
        let rx = Receiver::start(Arc::new(|n, _| match n {
            0 | 1 => Answer::Status(500),
            2 | 3 => Answer::Slow(2500),
            _ => Answer::Status(204),
        }))
        .await;
        let s = TestServer::start_with(db, quick).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let li = s.staff("li", Role::Operator).await;
        let every: Vec<&str> = vec![
            "consultation.created",
            "consultation.taken",
            "consultation.transferred",
            "consultation.closed",
            "rating.received",
            "message.undelivered",
            "callback.created",
            "callback.claimed",
            "callback.done",
        ];
        let made = admin
            .must(
                "/api/v1/webhooks",
                json!({"url": rx.url, "events": every, "description": "SMS gateway"}),
            )
            .await;
        let secret = made["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{made}");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&secret[6..])
                .unwrap()
                .len(),
            32
        );
        let endpoint = made["id"].as_str().unwrap().to_owned();
        let listed = admin.ok("/api/v1/webhooks").await;
        assert!(
            listed.to_string().find(&secret).is_none(),
            "the secret is shown only when created"
        );

        let maria = s.client("Мария", "+79001112233").await;
        let c = maria.open_consultation("Болит горло").await;
        anna.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
            .await;
        // Anna's message is confirmed by the client's device at once: never "undelivered".
        let seen = anna.say(&c, "Я посмотрю, Мария").await;
        maria
            .must(
                &format!("/api/v1/consultations/{c}/delivered"),
                json!({"seq": seen["seq"]}),
            )
            .await;
        let li_id = li.user_id().await;
        anna.must(
            &format!("/api/v1/consultations/{c}/transfer"),
            json!({"operator_id": li_id}),
        )
        .await;
        // Li's never is (the patient's phone is off).
        let reply = li.say(&c, "Полощите горло тёплой водой").await;
        li.must(&format!("/api/v1/consultations/{c}/close"), json!({}))
            .await;
        maria
            .must(
                &format!("/api/v1/consultations/{c}/rating"),
                json!({"score": 5, "comment": "спасибо"}),
            )
            .await;
        let cb = maria
            .must(
                "/api/v1/callbacks",
                json!({"phone": "+79001112233", "reason": "анализы"}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        anna.must(&format!("/api/v1/callbacks/{cb}/claim"), json!({}))
            .await;
        anna.must(
            &format!("/api/v1/callbacks/{cb}/attempts"),
            json!({"outcome": "reached"}),
        )
        .await;

        until(60, "every event accepted", || async {
            rx.accepted().len() >= every.len()
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let accepted = rx.accepted();
        let types: Vec<&str> = accepted
            .iter()
            .map(|(_, b)| b["type"].as_str().unwrap())
            .collect();
        let mut sorted = types.clone();
        sorted.sort();
        let mut want = every.clone();
        want.sort();
        assert_eq!(sorted, want, "each event accepted exactly once: {types:?}");
        // Signed: every request, the retries too; a retry carries the first attempt's id.
        let got = rx.got();
        assert_eq!(
            got.len(),
            every.len() + 4,
            "two 500s and two time-outs came first"
        );
        for g in &got {
            assert!(verify(&secret, g), "a bad signature on {g:?}");
        }
        let ids: Vec<&str> = accepted.iter().map(|(id, _)| id.as_str()).collect();
        assert!(
            got[..4].iter().all(|g| ids.contains(&g.id.as_str())),
            "the failed tries were retried under the same id"
        );
        // In order per consultation (a message's undelivered-ness is found later, by time).
        let steps: Vec<&str> = types
            .iter()
            .copied()
            .filter(|t| t.starts_with("consultation.") || *t == "rating.received")
            .collect();
        assert_eq!(
            steps,
            [
                "consultation.created",
                "consultation.taken",
                "consultation.transferred",
                "consultation.closed",
                "rating.received"
            ]
        );
        let cbs: Vec<&str> = types
            .iter()
            .copied()
            .filter(|t| t.starts_with("callback."))
            .collect();
        assert_eq!(
            cbs,
            ["callback.created", "callback.claimed", "callback.done"]
        );
        // The payloads: who and what, never the message's text.
        let body = |t: &str| {
            accepted
                .iter()
                .find(|(_, b)| b["type"] == t)
                .unwrap()
                .1
                .clone()
        };
        let undelivered = body("message.undelivered");
        assert_eq!(undelivered["data"]["message"]["id"], reply["id"]);
        assert_eq!(undelivered["data"]["client"]["phone"], "+79001112233");
        assert!(
            undelivered.to_string().find("Полощите").is_none(),
            "the text stays on the server"
        );
        assert_eq!(
            body("consultation.transferred")["data"]["consultation"]["operator_id"].as_str(),
            Some(li_id.as_str())
        );
        assert_eq!(body("rating.received")["data"]["consultation"]["rating"], 5);
        assert_eq!(body("callback.done")["data"]["callback"]["status"], "done");
        // The log.
        let log = admin
            .ok(&format!("/api/v1/webhooks/{endpoint}/deliveries?limit=50"))
            .await;
        let items = log["items"].as_array().unwrap();
        assert_eq!(items.len(), every.len());
        assert!(
            items
                .iter()
                .all(|d| d["status"] == "delivered" && d["last_status"] == 204),
            "{log}"
        );
        let attempts: i64 = items.iter().map(|d| d["attempts"].as_i64().unwrap()).sum();
        assert_eq!(
            attempts as usize,
            got.len(),
            "every request the receiver saw is an attempt in the log (the four failed ones too)"
        );
        assert!(
            items.iter().any(|d| d["attempts"].as_i64().unwrap() > 1),
            "{log}"
        );
        let state = admin.ok("/api/v1/webhooks").await;
        assert_eq!(
            (
                state[0]["pending"].as_i64(),
                state[0]["failed"].as_i64(),
                state[0]["enabled"].as_bool()
            ),
            (Some(0), Some(0), Some(true))
        );
        s.stop().await;
    }
);

// Targets are checked: no loopback, private or link-local address without the configuration's
// consent, no other scheme, no credentials in the URL; a name resolving to loopback is refused
// at sending, a redirect is not followed, and an endpoint that keeps failing is paused — admins
// hear of it — and resumed by an admin, when what waited is sent.
both!(
    targets_are_checked_and_a_failing_endpoint_is_paused,
    |db| async move {
        let rx = Receiver::start(Arc::new(|_, _| Answer::Status(302))).await;
        let s = TestServer::start_with(db, |c| {
            quick(c);
            c.webhook_allow_private = false;
            c.webhook_pause_after = 3;
        })
        .await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let events = json!(["consultation.created"]);
        for bad in [
            "http://127.0.0.1:8080/x",
            "http://10.1.2.3/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest",
            "ftp://example.org/x",
            "http://u:p@example.org/x",
            "not a url",
        ] {
            let (st, b) = admin
                .call(
                    Method::POST,
                    "/api/v1/webhooks",
                    Some(json!({"url": bad, "events": events})),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        }
        let (st, _) = admin
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(json!({"url": "https://example.org/x", "events": []})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "no events");
        let (st, _) = anna
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(json!({"url": "https://example.org/x", "events": events})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // A name is checked when resolved: localhost is loopback.
        let port = rx
            .url
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let named = admin
            .must(
                "/api/v1/webhooks",
                json!({"url": format!("http://localhost:{port}/x"), "events": events}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let maria = s.client("Мария", "+79001112233").await;
        maria.open_consultation("Болит горло").await;
        until(20, "the loopback target refused", || async {
            let log = admin
                .ok(&format!("/api/v1/webhooks/{named}/deliveries"))
                .await;
            log["items"][0]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("not a public address"))
        })
        .await;
        assert!(rx.got().is_empty(), "nothing reached the loopback receiver");
        admin
            .call(Method::DELETE, &format!("/api/v1/webhooks/{named}"), None)
            .await;
        s.stop().await;

        // Allowed private targets: a redirect is a failure, not followed; three in a row pause it.
        let s = TestServer::start_with(db, |c| {
            quick(c);
            c.webhook_pause_after = 3;
        })
        .await;
        let admin = s.staff("root", Role::Admin).await;
        let mut ws = Ws::connect(&admin, None).await;
        ws.until_live().await;
        let id = admin
            .must("/api/v1/webhooks", json!({"url": rx.url, "events": events}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ivan = s.client("Иван", "+79001112244").await;
        ivan.open_consultation("Температура").await;
        let told = ws.wait_for(|e| e["kind"] == "webhook_paused").await;
        let paused = told.iter().find(|e| e["kind"] == "webhook_paused").unwrap();
        assert_eq!(paused["data"]["endpoint_id"].as_str(), Some(id.as_str()));
        assert!(
            paused["data"]["target"]
                .as_str()
                .unwrap()
                .ends_with("/hooks/careline"),
            "no query (a token) in what staff see: {paused}"
        );
        let state = admin.ok("/api/v1/webhooks").await;
        assert_eq!(state[0]["enabled"], false);
        assert!(
            state[0]["paused_reason"]
                .as_str()
                .unwrap()
                .contains("HTTP 302"),
            "{state}"
        );
        assert_eq!(state[0]["pending"], 1, "the delivery waits");
        assert_eq!(rx.got().len(), 3);
        let audit = admin.ok("/api/v1/audit?action=webhook.paused").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1);
        // Fixed and resumed: what waited goes out.
        rx.set(Arc::new(|_, _| Answer::Status(200)));
        let (st, b) = admin
            .call(
                Method::PATCH,
                &format!("/api/v1/webhooks/{id}"),
                Some(json!({"enabled": true})),
            )
            .await;
        assert_eq!(
            (st, b["enabled"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{b}"
        );
        until(20, "the waiting delivery accepted", || async {
            rx.accepted().len() == 1
        })
        .await;
        s.stop().await;
    }
);

// At least once across a crash: the server is killed with SIGKILL while the receiver keeps
// failing, restarted on the same database, and every event still arrives — those tried before
// the crash under the same id.
both!(sigkill_mid_retry_loses_no_delivery, |db| async move {
    let rx = Receiver::start(Arc::new(|_, _| Answer::Status(503))).await;
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("careline.db").display()),
        Db::Postgres => common::fresh_pg_database().await,
    };
    let exe = env!("CARGO_BIN_EXE_careline-server");
    let status = tokio::process::Command::new(exe)
        .args([
            "create-operator",
            "--login",
            "root",
            "--password",
            PASSWORD,
            "--name",
            "Root",
            "--role",
            "admin",
        ])
        .env("CARELINE_DATA_DIR", dir.path())
        .env("CARELINE_DATABASE_URL", &db_url)
        .env("CARELINE_SECRET_KEY", common::TEST_SECRET_KEY)
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let serve = || {
        let mut c = tokio::process::Command::new(exe);
        c.arg("serve")
            .env("CARELINE_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("CARELINE_WEBHOOK_BACKOFF_BASE_MS", "200");
        c
    };
    let mut server = start_as(&mut serve(), dir.path(), &db_url).await;
    let anon = Api {
        base: server.base.clone(),
        http: reqwest::Client::new(),
        token: None,
    };
    let admin = anon.login("root", PASSWORD).await;
    let endpoint = admin
        .must(
            "/api/v1/webhooks",
            json!({"url": rx.url, "events": ["consultation.created", "callback.created"]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut clients = Vec::new();
    for i in 0..5 {
        let (_, reg) =
            anon.post("/api/v1/clients/register", json!({"name": format!("Клиент {i}"), "phone": format!("+7900555000{i}"), "password": PASSWORD})).await;
        let client = anon.with_token(reg["token"].as_str().unwrap());
        client.open_consultation(&format!("вопрос {i}")).await;
        client
            .must(
                "/api/v1/callbacks",
                json!({"phone": format!("+7900555000{i}")}),
            )
            .await;
        clients.push(client);
    }
    until(30, "every delivery tried at least once", || async {
        let ids: std::collections::HashSet<String> = rx.got().into_iter().map(|g| g.id).collect();
        ids.len() == 10
    })
    .await;
    let tried: std::collections::HashSet<String> = rx.got().into_iter().map(|g| g.id).collect();
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();

    rx.set(Arc::new(|_, _| Answer::Status(200)));
    let server = start_as(&mut serve(), dir.path(), &db_url).await;
    until(60, "every delivery accepted after the restart", || async {
        rx.accepted().len() >= 10
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let accepted = rx.accepted();
    let ids: std::collections::HashSet<String> =
        accepted.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        ids, tried,
        "the same ten deliveries, under the ids they had before the crash"
    );
    let mut per_type: HashMap<String, usize> = HashMap::new();
    for (_, b) in &accepted {
        *per_type
            .entry(b["type"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_type.get("consultation.created"), Some(&5));
    assert_eq!(per_type.get("callback.created"), Some(&5));
    let anon = Api {
        base: server.base.clone(),
        http: reqwest::Client::new(),
        token: None,
    };
    let admin = anon.login("root", PASSWORD).await;
    let log = admin
        .ok(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "delivered"),
        "{log}"
    );
});

// A consultation left in the queue past the desk's threshold is told once as an SLA breach.
both!(an_sla_breach_is_told_once, |db| async move {
    let rx = Receiver::start(Arc::new(|_, _| Answer::Status(200))).await;
    let s = TestServer::start_with(db, quick).await;
    let admin = s.staff("root", Role::Admin).await;
    let settings = json!({"assignment": "manual", "sla": {"queue_wait_minutes": 1, "first_response_minutes": null, "unanswered_minutes": null, "callback_asap_minutes": null}});
    let (st, _) = admin
        .call(Method::PUT, "/api/v1/settings", Some(settings))
        .await;
    assert_eq!(st, StatusCode::OK);
    admin
        .must(
            "/api/v1/webhooks",
            json!({"url": rx.url, "events": ["consultation.sla_breached"]}),
        )
        .await;
    let maria = s.client("Мария", "+79001112233").await;
    let c = maria.open_consultation("Жду ответа").await;
    // Two minutes in the queue.
    let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
        .await
        .unwrap();
    sqlx::query("UPDATE consultations SET created_at = created_at - 120000 WHERE id = $1")
        .bind(c.as_str())
        .execute(&pool)
        .await
        .unwrap();
    until(20, "the breach told", || async { rx.accepted().len() == 1 }).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let accepted = rx.accepted();
    assert_eq!(accepted.len(), 1, "told once");
    let body = &accepted[0].1;
    assert_eq!(
        (body["type"].as_str(), body["data"]["sla"]["kind"].as_str()),
        (Some("consultation.sla_breached"), Some("queue_wait"))
    );
    assert_eq!(
        body["data"]["consultation"]["id"].as_str(),
        Some(c.as_str())
    );
    s.stop().await;
});
