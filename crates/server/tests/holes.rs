//! The holes an outside attack found (found by the outside security review): each test repeats what the attacker did and
//! asserts the server now refuses it, on both engines where the database is involved.

mod common;

use std::time::{Duration, Instant};

use careline_protocol::Role;
use common::{Api, TestServer, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

/// An anonymous caller whose connections come from `ip` (any 127.0.0.0/8 address is loopback).
fn anon_from(s: &TestServer, ip: &str) -> Api {
    let http = reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    Api {
        base: s.base.clone(),
        http,
        token: None,
    }
}

// 1. An operator made a client record with the admin's id, registered its phone and logged in
//    as the admin.
both!(
    an_operator_cannot_become_the_admin_through_a_client_id,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let admin_id = admin.user_id().await;
        let anna_id = anna.user_id().await;
        for (victim, phone) in [(&admin_id, "+79850000001"), (&anna_id, "+79850000002")] {
            let (st, body) = anna
                .post(
                    "/api/v1/clients",
                    json!({"id": victim, "name": "x", "phone": phone}),
                )
                .await;
            assert_eq!(
                st,
                StatusCode::CONFLICT,
                "a client record with an operator's id: {body}"
            );
            let (st, body) = s
                .anon()
                .post(
                    "/api/v1/clients/register",
                    json!({"name": "x", "phone": phone, "password": PASSWORD}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{body}");
            let me = s.anon().login(phone, PASSWORD).await.ok("/api/v1/me").await;
            assert_eq!(me["user"]["role"], "client", "{me}");
            assert_ne!(
                me["user"]["id"].as_str(),
                Some(victim.as_str()),
                "the new client is not the operator: {me}"
            );
            assert!(me["operator"].is_null(), "{me}");
        }
        let audit = admin.ok("/api/v1/audit?limit=200").await;
        assert!(
            !audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["operator_id"] == admin_id.as_str() && a["action"] != "audit.viewed"),
            "nothing was done in the admin's name: {audit}"
        );
        s.stop().await;
    }
);

// 1. A session knows which kind of account it belongs to: a client's token whose user id is
//    also an operator's (as a forged row would be) never acts as the operator.
both!(
    a_client_session_never_reads_an_operators_row,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let admin_id: uuid::Uuid = admin.user_id().await.parse().unwrap();
        // What the hole made possible: a token of a client whose id is the admin's.
        let (token, hash) = careline_server::passwords::new_token();
        s.state
            .store
            .insert_token(
                &hash,
                admin_id,
                Role::Client,
                careline_server::time::now_ms() + 3_600_000,
            )
            .await
            .unwrap();
        let forged = s.anon().with_token(&token);
        let (st, body) = forged.get("/api/v1/me").await;
        assert!(
            st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN,
            "a client token on an operator's id: {st} {body}"
        );
        let (st, _) = forged.get("/api/v1/audit").await;
        assert!(st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN);
        s.stop().await;
    }
);

// 2. Reception's record (with a staff callback reason) was claimed by whoever registered its
//    phone first.
both!(
    a_reception_record_is_claimed_only_with_its_claim_code,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let phone = "+79851112233";
        let record = anna
        .must("/api/v1/clients", json!({"name": "Мария Петрова", "phone": phone, "email": "maria@example.org", "birthday": "1980-02-03", "city": "Тверь"}))
        .await;
        let record_id = record["id"].as_str().unwrap().to_owned();
        // Reception asks for a claim code to hand the patient; only the latest one holds.
        let first = anna
            .must(
                &format!("/api/v1/clients/{record_id}/claim-code"),
                json!({}),
            )
            .await;
        let claim_code = anna
            .must(
                &format!("/api/v1/clients/{record_id}/claim-code"),
                json!({}),
            )
            .await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(first["code"].as_str().unwrap(), claim_code);
        let (st, _) = s
            .anon()
            .post(
                &format!("/api/v1/clients/{record_id}/claim-code"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        anna.must("/api/v1/callbacks", json!({"client_id": record_id, "phone": phone, "reason": "Discuss positive HIV test result"})).await;

        // A stranger who knows only the phone.
        let (st, body) = s
            .anon()
            .post(
                "/api/v1/clients/register",
                json!({"name": "Stranger", "phone": phone, "password": "stranger-pass-1"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        let stranger = s.anon().with_token(body["token"].as_str().unwrap());
        let me = stranger.ok("/api/v1/me").await;
        assert_ne!(
            me["user"]["id"],
            record_id.as_str(),
            "the stranger got a separate account: {me}"
        );
        let text = me.to_string();
        for secret in ["Мария", "maria@", "1980-02-03", "Тверь"] {
            assert!(
                !text.contains(secret),
                "{secret} shown to an unproven claimant: {text}"
            );
        }
        let (st, _) = stranger.get(&format!("/api/v1/clients/{record_id}")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let cbs = stranger.ok("/api/v1/callbacks").await.to_string();
        assert!(!cbs.contains("HIV"), "{cbs}");
        let events = stranger.all_events().await;
        assert!(!serde_json::to_string(&events).unwrap().contains("HIV"));
        // Staff are told of the possible duplicate.
        let stranger_record = anna
            .ok(&format!(
                "/api/v1/clients/{}",
                me["user"]["id"].as_str().unwrap()
            ))
            .await;
        assert!(
            stranger_record["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "possible-duplicate"),
            "the new account is marked for staff: {stranger_record}"
        );

        // A wrong claim code is refused and claims nothing.
        let (st, body) =
        s.anon().post("/api/v1/clients/register", json!({"name": "M", "phone": phone, "password": "patient-pass-1", "claim_code": "WRONG-CODE"})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (st, _) =
        s.anon().post("/api/v1/clients/register", json!({"name": "M", "phone": phone, "password": "patient-pass-1", "claim_code": first["code"]})).await;
        assert_eq!(
            st,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a replaced code is spent"
        );
        // The real patient, with the code reception handed them, typed in lower case with spaces.
        let claim_code = claim_code.to_lowercase().replace('-', " ");
        let (st, body) =
        s.anon().post("/api/v1/clients/register", json!({"name": "M", "phone": phone, "password": "patient-pass-1", "claim_code": claim_code})).await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        let patient = s.anon().login(phone, "patient-pass-1").await;
        let me = patient.ok("/api/v1/me").await;
        assert_eq!(me["user"]["id"], record_id.as_str(), "{me}");
        assert_eq!(me["client"]["city"], "Тверь");
        assert!(patient
            .ok("/api/v1/callbacks")
            .await
            .to_string()
            .contains("HIV"));
        // Both log in with their own passwords; the code is spent.
        assert_eq!(
            s.anon()
                .login(phone, "stranger-pass-1")
                .await
                .ok("/api/v1/me")
                .await["user"]["id"],
            stranger.user_id().await.as_str()
        );
        let (st, _) = s.anon().post("/api/v1/clients/register", json!({"name": "M", "phone": phone, "password": "other-pass-1", "claim_code": claim_code})).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // A claimed record has an account: no new code for it.
        let (st, _) = anna
            .post(
                &format!("/api/v1/clients/{record_id}/claim-code"),
                json!({}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT);
        s.stop().await;
    }
);

// 9. Registration told anyone whether a phone is a patient's ("409 already registered"), and
//    hashed the password before looking.
both!(
    registration_does_not_tell_who_is_a_patient_and_is_limited,
    |db| async move {
        let s = TestServer::start_with(db, |c| {
            c.register_per_address_per_hour = 6;
        })
        .await;
        let phone = "+79859990001";
        let a = anon_from(&s, "127.0.0.2");
        let (st1, b1) = a
            .post(
                "/api/v1/clients/register",
                json!({"name": "Real", "phone": phone, "password": PASSWORD}),
            )
            .await;
        let (st2, b2) = a
            .post(
                "/api/v1/clients/register",
                json!({"name": "Prober", "phone": phone, "password": "prober-pass-1"}),
            )
            .await;
        assert_eq!(st1, StatusCode::CREATED, "{b1}");
        assert_eq!(
            st2,
            StatusCode::CREATED,
            "a known phone is answered as a new one: {b2}"
        );
        assert!(!b2.to_string().contains("Real"), "{b2}");
        // The real patient still logs in to their own account.
        let real = s.anon().login(phone, PASSWORD).await;
        assert_eq!(real.ok("/api/v1/me").await["user"]["name"], "Real");
        // Eight at once for that phone: it ends with three accounts, and each one made logs in.
        let mut racing = Vec::new();
        for i in 0..8 {
            let a = anon_from(&s, "127.0.0.9");
            racing.push(tokio::spawn(async move {
                let password = format!("racing-pass-{i}");
                let (st, _) = a
                    .post(
                        "/api/v1/clients/register",
                        json!({"name": "Racer", "phone": "+79859990001", "password": password}),
                    )
                    .await;
                (st, password)
            }));
        }
        let mut made = Vec::new();
        for r in racing {
            let (st, password) = r.await.unwrap();
            assert!(
                st == StatusCode::CREATED || st == StatusCode::TOO_MANY_REQUESTS,
                "{st}"
            );
            if st == StatusCode::CREATED {
                made.push(password);
            }
        }
        assert_eq!(made.len(), 1, "the phone had two accounts: one more fits");
        for password in made {
            s.anon().login(phone, &password).await;
        }
        // Per address: the seventh registration in the hour is refused before any work.
        for i in 2..6 {
            let (st, b) = a
                .post(
                    "/api/v1/clients/register",
                    json!({"name": "n", "phone": format!("+7985999100{i}"), "password": PASSWORD}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{b}");
        }
        let (st, b) = a
            .post(
                "/api/v1/clients/register",
                json!({"name": "n", "phone": "+79859991009", "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{b}");
        // Another address still registers.
        let (st, b) = anon_from(&s, "127.0.0.3")
            .post(
                "/api/v1/clients/register",
                json!({"name": "n", "phone": "+79859991010", "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        s.stop().await;
    }
);

// 3. After one good login from an address, every guess from it was let through.
both!(
    a_known_device_never_skips_the_accounts_failure_limit,
    |db| async move {
        let s = TestServer::start_with(db, |c| c.login_max_failures = 5).await;
        s.staff("anna", Role::Operator).await;
        let here = anon_from(&s, "127.0.0.4");
        here.login("anna", PASSWORD).await;
        let mut refused = 0;
        for _ in 0..40 {
            let (st, _) = here
                .post(
                    "/api/v1/auth/login",
                    json!({"login": "anna", "password": "guess-guess"}),
                )
                .await;
            if st == StatusCode::TOO_MANY_REQUESTS {
                refused += 1;
            } else {
                assert_eq!(st, StatusCode::UNAUTHORIZED);
            }
        }
        assert!(
            refused >= 20,
            "guesses from a known device are limited too: {refused} of 40 refused"
        );
        let (st, _) = here
            .post(
                "/api/v1/auth/login",
                json!({"login": "anna", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::TOO_MANY_REQUESTS,
            "the right password is not let through after the account's limit"
        );
        s.stop().await;
    }
);

// 4. One anonymous client flooding bogus logins made real logins answer 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_flood_from_one_address_does_not_block_another() {
    let s = TestServer::start(common::Db::Sqlite).await;
    s.staff("anna", Role::Operator).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut flood = Vec::new();
    for w in 0..64 {
        let api = anon_from(&s, "127.0.0.5");
        let stop = stop.clone();
        flood.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = api
                    .post(
                        "/api/v1/auth/login",
                        json!({"login": format!("bot{w}-{n}"), "password": "nothing-1"}),
                    )
                    .await;
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let real = anon_from(&s, "127.0.0.6");
    let mut times = Vec::new();
    for _ in 0..17 {
        let t = Instant::now();
        let (st, b) = real
            .post(
                "/api/v1/auth/login",
                json!({"login": "anna", "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "a real login during the flood: {b}");
        times.push(t.elapsed());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut tried = 0;
    for f in flood {
        tried += f.await.unwrap();
    }
    times.sort();
    println!(
        "17 real logins during a flood of {tried} bogus ones: median {:?}, max {:?}",
        times[8], times[16]
    );
    s.stop().await;
}

// 13. A client's name `=HYPERLINK(…)` and a rating comment `@SUM(…)` opened as live formulas.
both!(csv_exports_write_formulas_as_text, |db| async move {
    let s = TestServer::start(db).await;
    let admin = s.staff("root", Role::Admin).await;
    let client = s
        .client(
            "=HYPERLINK(\"http://evil.example\",\"Открыть\")",
            "+79850001313",
        )
        .await;
    let c = client.open_consultation("вопрос").await;
    admin
        .must(&format!("/api/v1/consultations/{c}/take"), json!({}))
        .await;
    admin
        .must(&format!("/api/v1/consultations/{c}/close"), json!({}))
        .await;
    client
        .must(
            &format!("/api/v1/consultations/{c}/rating"),
            json!({"score": 1, "comment": "@SUM(1+1)*cmd|' /C calc'!A0"}),
        )
        .await;
    let from = (chrono::Utc::now() - chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (chrono::Utc::now() + chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let csv = admin
        .text(&format!(
            "/api/v1/reports/consultations/items?from={from}&to={to}&moment=any&format=csv"
        ))
        .await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut seen = 0;
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '@', '+']),
                "a cell a spreadsheet would run: {cell}"
            );
            if cell.contains("HYPERLINK") || cell.contains("SUM(") {
                assert!(cell.starts_with('\''), "{cell}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 2, "the name and the comment are in the export: {csv}");
    s.stop().await;
});

// 10. `Content-Type: Application/JSON`, or none on a body-less action, skipped the NUL check.
both!(
    nul_characters_are_refused_whatever_the_content_type,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let client = s.client("Клиент", "+79850001010").await;
        let c = client.open_consultation("вопрос").await;
        anna.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
            .await;
        let send = |path: String, ctype: Option<&'static str>, body: &'static str| {
            let anna = anna.clone();
            async move {
                let mut r = anna
                    .http
                    .post(format!("{}{path}", anna.base))
                    .bearer_auth(anna.token.as_deref().unwrap())
                    .body(body);
                if let Some(t) = ctype {
                    r = r.header("content-type", t);
                }
                r.send().await.unwrap().status()
            }
        };
        let tag = format!("/api/v1/consultations/{c}");
        for ctype in [
            Some("Application/JSON"),
            Some("APPLICATION/JSON; charset=utf-8"),
            Some("text/plain"),
            None,
        ] {
            // Refused as bad (NUL) or as not JSON (415): never stored, never a 500.
            let refused = |st: StatusCode| {
                st == StatusCode::BAD_REQUEST || st == StatusCode::UNSUPPORTED_MEDIA_TYPE
            };
            let st = send(format!("{tag}/close"), ctype, r#"{"summary":"a\u0000b"}"#).await;
            assert!(refused(st), "close with {ctype:?}: {st}");
            let st = send(format!("{tag}/release"), ctype, r#"{"note":"\u0000"}"#).await;
            assert!(refused(st), "release with {ctype:?}: {st}");
        }
        let r = anna
            .http
            .patch(format!("{}{tag}", anna.base))
            .bearer_auth(anna.token.as_deref().unwrap())
            .header("content-type", "Application/Json")
            .body(r#"{"tags":["x\u0000y"]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // Nothing changed: still active, no tag.
        let now = anna.ok(&tag).await;
        assert_eq!(now["status"], "active", "{now}");
        assert!(!now.to_string().contains("x\\u0000y"));
        s.stop().await;
    }
);

// 6. Any client's unfinished WebSocket message up to 64 MiB was held in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_websocket_message_past_a_few_kilobytes_closes_the_socket() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let s = TestServer::start(common::Db::Sqlite).await;
    let client = s.client("Клиент", "+79850000606").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(client.ws_request(Some(0)))
        .await
        .unwrap();
    // Live first (the socket works).
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("the socket closed early")
        };
        if t.contains("\"live\"") {
            break;
        }
    }
    let _ = ws
        .send(Message::Text(
            "x".repeat(careline_server::api::MAX_CLIENT_FRAME + 1)
                .into(),
        ))
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(
        ended,
        Ok(true),
        "the server closes a socket that sends more than it may"
    );
    s.stop().await;
}

// 12. The web page's token rode in the WebSocket's URL; Log out left it working.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_never_rides_in_the_url_and_logout_ends_it() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let s = TestServer::start(common::Db::Sqlite).await;
    let client = s.client("Клиент", "+79850001212").await;
    let token = client.token.clone().unwrap();
    let ws_base = s.base.replacen("http://", "ws://", 1);
    // In the URL: refused before the upgrade.
    let refused =
        tokio_tungstenite::connect_async(format!("{ws_base}/api/v1/ws?token={token}")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "a token in the URL is refused"
        ),
        other => panic!("a token in the URL: {other:?}"),
    }
    // In the first frame: live.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{ws_base}/api/v1/ws"))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"token": token, "resume": 0}).to_string().into(),
    ))
    .await
    .unwrap();
    let mut live = false;
    while let Ok(Some(Ok(Message::Text(t)))) =
        tokio::time::timeout(Duration::from_secs(5), ws.next()).await
    {
        if t.contains("\"live\"") {
            live = true;
            break;
        }
    }
    assert!(live, "a first frame with the token opens the stream");
    // A wrong token in the first frame: told, and closed.
    let (mut bad, _) = tokio_tungstenite::connect_async(format!("{ws_base}/api/v1/ws"))
        .await
        .unwrap();
    bad.send(Message::Text(json!({"token": "nope"}).to_string().into()))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), bad.next())
        .await
        .unwrap();
    assert!(
        matches!(first, Some(Ok(Message::Text(ref t))) if t.contains("unauthorized")),
        "{first:?}"
    );
    // Log out (as the page does): the token is dead, and its socket ends at once.
    let t = Instant::now();
    let (st, _) = client.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(client.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(ended.is_ok());
    // 17. A revocation on this instance ends its sockets at once, not at the next 3 s check.
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "the socket ended {:?} after the logout",
        t.elapsed()
    );
    s.stop().await;
}

// 18. A client asked to have someone else's number called; metrics were public.
both!(
    a_client_is_called_back_only_on_its_own_number,
    |db| async move {
        let s = TestServer::start(db).await;
        let client = s.client("Клиент", "+79850001818").await;
        let (st, b) = client
            .post(
                "/api/v1/callbacks",
                json!({"phone": "+79990000000", "reason": "позвоните соседу"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
        let (st, b) = client
            .post("/api/v1/callbacks", json!({"phone": "+7 985 000-18-18"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        assert_eq!(
            client.ok("/api/v1/callbacks").await["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        s.stop().await;
    }
);

// 18. A disabled account was told so only after the right password (a password oracle); an
//     idempotent login replayed its token to a wrong password.
both!(
    a_login_answer_tells_nothing_and_is_never_replayed,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let anna_id = anna.user_id().await;
        admin
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/operators/{anna_id}"),
                Some(json!({"disabled": true})),
            )
            .await;
        let right = s
            .anon()
            .post(
                "/api/v1/auth/login",
                json!({"login": "anna", "password": PASSWORD}),
            )
            .await;
        let wrong = s
            .anon()
            .post(
                "/api/v1/auth/login",
                json!({"login": "anna", "password": "wrong-password"}),
            )
            .await;
        assert_eq!(
            right, wrong,
            "a disabled account answers the right password as a wrong one"
        );
        // The same Idempotency-Key with a wrong password: never the first answer's token.
        let key = uuid::Uuid::new_v4().to_string();
        let login = |password: &'static str| {
            let admin = admin.clone();
            let key = key.clone();
            async move {
                let r = admin
                    .http
                    .post(format!("{}/api/v1/auth/login", admin.base))
                    .bearer_auth(admin.token.as_deref().unwrap())
                    .header("idempotency-key", key)
                    .json(&json!({"login": "root", "password": password}))
                    .send()
                    .await
                    .unwrap();
                r.status()
            }
        };
        assert_eq!(login(PASSWORD).await, StatusCode::OK);
        assert_eq!(
            login("wrong-password").await,
            StatusCode::UNAUTHORIZED,
            "a stored login answer was replayed"
        );
        s.stop().await;
    }
);

// 8. Parallel uploads all passed the quota; refused uploads left files nothing deletes.
both!(
    the_upload_quota_holds_in_parallel_and_refusals_leave_no_file,
    |db| async move {
        let s = TestServer::start_with(db, |c| {
            c.client_upload_quota_bytes = 4 * 1024 * 1024;
            c.attachment_max_bytes = 1024 * 1024;
        })
        .await;
        let client = s.client("Клиент", "+79850000808").await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .upload(
                        &format!("scan{i}.bin"),
                        "application/octet-stream",
                        &vec![i as u8; 1024 * 1024 - 1],
                    )
                    .await
                    .0
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::CREATED => accepted += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("{other}"),
            }
        }
        assert_eq!(
            accepted, 4,
            "4 MiB a day: four uploads of just under 1 MiB, of 16 sent at once"
        );
        // A chunked upload past the size limit, and one past the quota: nothing of them stays.
        let blobs = s.dir.path().join("blobs");
        let count = || walk(&blobs);
        let before = count();
        let chunks = futures::stream::iter(
            (0..8).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![7u8; 256 * 1024]))),
        );
        let r = client
            .http
            .post(format!("{}/api/v1/attachments?name=big.bin", s.base))
            .bearer_auth(client.token.as_deref().unwrap())
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await;
        // Refused, or cut off while still sending (the server answers before reading it all).
        if let Ok(r) = r {
            assert!(
                r.status() == StatusCode::PAYLOAD_TOO_LARGE
                    || r.status() == StatusCode::TOO_MANY_REQUESTS,
                "{}",
                r.status()
            );
        }
        assert_eq!(count(), before, "a refused upload leaves no file");
        s.stop().await;
    }
);

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

// 11. The data directory and backups were 0755/0644 and kept webhook secrets and a login's
//     token in the clear.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_data_directory_and_backups_are_the_servers_alone() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start(common::Db::Sqlite).await;
    let client = s.client("Клиент", "+79850001111").await;
    client
        .must_upload("scan.bin", "application/octet-stream", b"medical scan")
        .await;
    let to = s.dir.path().join("backup-1");
    careline_server::backup::backup(&s.config, &to)
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            out.push(e.path());
            if e.path().is_dir() {
                files(&e.path(), out);
            }
        }
    }
    let mut all = vec![s.config.data_dir.clone(), to.clone()];
    files(&s.config.data_dir.join("blobs"), &mut all);
    files(&to, &mut all);
    all.push(s.config.data_dir.join("careline.db"));
    for p in all {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{} is {:o}", p.display(), mode(&p));
    }
    s.stop().await;
}

// 5. A connection that never sent a byte stayed open for ever (the version sniffing before
//    HTTP/1's header time-out had none); an upload dripping a byte every few seconds too.
both!(
    silent_and_dripping_connections_are_closed,
    |db| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let s = TestServer::start_with(db, |c| c.request_read_timeout_secs = 2).await;
        let client = s.client("Клиент", "+79850000505").await;
        let addr: std::net::SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
        let mut silent = Vec::new();
        for _ in 0..20 {
            silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let t = Instant::now();
        for sock in &mut silent {
            let mut buf = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_secs(6), sock.read(&mut buf)).await;
            assert!(
                matches!(read, Ok(Ok(0)) | Ok(Err(_))),
                "a silent connection is still open after {:?}",
                t.elapsed()
            );
        }
        // An upload that sends a byte a second: well under the minimum rate, ended.
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
        "POST /api/v1/attachments?name=drip.bin HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n",
        client.token.as_deref().unwrap()
    );
        sock.write_all(head.as_bytes()).await.unwrap();
        let t = Instant::now();
        let ended = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                if sock.write_all(b"x").await.is_err() {
                    return;
                }
                let mut buf = [0u8; 512];
                match tokio::time::timeout(Duration::from_secs(1), sock.read(&mut buf)).await {
                    Ok(Ok(_)) | Ok(Err(_)) => return, // an answer (the refusal) or the close
                    Err(_) => continue,
                }
            }
        })
        .await;
        assert!(
            ended.is_ok(),
            "a dripping upload is still going after {:?}",
            t.elapsed()
        );
        s.stop().await;
    }
);

// 5. Under a 1,024-handle limit, 1,100 silent connections kept /healthz from answering for 45 s.
//    The real binary under a small limit: silent connections give way to new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn silent_connections_leave_handles_for_real_requests() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/careline.db", dir.path().display());
    let bin = env!("CARGO_BIN_EXE_careline-server");
    let mut shell = tokio::process::Command::new("bash");
    shell
        .arg("-c")
        .arg(format!("ulimit -n 256 && exec {bin} serve"))
        .env("CARELINE_MAX_CONNECTIONS_PER_ADDRESS", "0");
    let server = common::process::start_as(&mut shell, dir.path(), &url).await;
    let addr: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let mut silent = Vec::new();
    for _ in 0..300 {
        if let Ok(Ok(sock)) =
            tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr)).await
        {
            silent.push(sock);
        }
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        let r = http
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("healthz answers beside 300 silent connections");
        assert_eq!(r.status(), StatusCode::OK);
        worst = worst.max(t.elapsed());
    }
    assert!(
        worst < Duration::from_secs(2),
        "healthz took up to {worst:?}"
    );
    drop(silent);
}

// 16. Names and messages of invisible characters only, U+202E in messages and tags, and staff
//     logins confusable with a colleague's as a whole were accepted.
both!(
    invisible_text_and_confusable_logins_are_refused,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let invisible = [
            "\u{3164}",
            "\u{2800}",
            "\u{115f}",
            "\u{1160}",
            "\u{ffa0}",
            "\u{34f}",
            "\u{e0041}\u{e0042}",
            "\u{3164} \u{2800}",
        ];
        for (i, name) in invisible.iter().enumerate() {
            let (st, b) = s
                .anon()
                .post(
                    "/api/v1/clients/register",
                    json!({"name": name, "phone": format!("+7985000160{i}"), "password": PASSWORD}),
                )
                .await;
            assert_eq!(
                st,
                StatusCode::UNPROCESSABLE_ENTITY,
                "a name of {name:?}: {b}"
            );
        }
        let client = s.client("Клиент", "+79850001616").await;
        let c = client.open_consultation("вопрос").await;
        for body in invisible
            .iter()
            .map(|b| b.to_string())
            .chain(["смотри \u{202e}fdp.exe".to_string()])
        {
            let (st, b) = client
                .post(
                    &format!("/api/v1/consultations/{c}/messages"),
                    json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": body}),
                )
                .await;
            assert_eq!(
                st,
                StatusCode::UNPROCESSABLE_ENTITY,
                "a message of {body:?}: {b}"
            );
        }
        let (st, b) = anna
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/consultations/{c}"),
                Some(json!({"tags": ["vip\u{202e}"]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (st, b) = anna
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/consultations/{c}"),
                Some(json!({"tags": ["\u{3164}"]})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        // Logins that look like a colleague's as a whole.
        admin
            .must(
                "/api/v1/operators",
                json!({"login": "ape", "password": PASSWORD, "name": "Ape", "role": "operator"}),
            )
            .await;
        for look_alike in ["аре", "ａｎｎａ", "ΑΝΝΑ", "Anna"] {
            let (st, b) = admin.post("/api/v1/operators", json!({"login": look_alike, "password": PASSWORD, "name": "X", "role": "admin"})).await;
            assert_eq!(st, StatusCode::CONFLICT, "{look_alike}: {b}");
        }
        // Real names in other scripts still work.
        admin.must("/api/v1/operators", json!({"login": "ольга", "password": PASSWORD, "name": "Ольга", "role": "operator"})).await;
        admin.must("/api/v1/operators", json!({"login": "李医生", "password": PASSWORD, "name": "李医生", "role": "operator"})).await;
        s.anon().login("ольга", PASSWORD).await;
        s.stop().await;
    }
);

// 11. Webhook signing secrets were kept in the clear in the database and every backup.
both!(webhook_secrets_are_sealed_at_rest, |db| async move {
    let s = TestServer::start_with(db, |c| c.webhook_allow_private = true).await;
    let admin = s.staff("root", Role::Admin).await;
    let created = admin
        .must(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hooks", "events": ["consultation.created"]}),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let stored = s.state.store.webhook_secrets_as_stored().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].contains(&secret) && !stored[0].contains("whsec_"),
        "stored as {}",
        stored[0]
    );
    if db == common::Db::Sqlite {
        let to = s.dir.path().join("backup-secrets");
        careline_server::backup::backup(&s.config, &to)
            .await
            .unwrap();
        let mut found = false;
        for e in std::fs::read_dir(&to).unwrap().flatten() {
            if e.path().is_file() {
                found |= std::fs::read(e.path())
                    .unwrap()
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes());
            }
        }
        assert!(!found, "the backup holds the secret in the clear");
    }
    // Another key than the one the secrets were sealed with: the server refuses to start.
    let config = careline_server::Config {
        secret_key: "ab".repeat(32),
        ..s.config.clone()
    };
    let refused = careline_server::AppState::start(config).await;
    assert!(refused.is_err(), "a server with another key started");
    s.stop().await;
});

// 12. A patient's session lived 30 days whether used or not: now short, and renewed while in use.
both!(
    a_patients_session_is_short_and_renewed_while_in_use,
    |db| async move {
        let s = TestServer::start_with(db, |c| c.client_token_ttl_hours = 48).await;
        let (st, b) = s
            .anon()
            .post(
                "/api/v1/clients/register",
                json!({"name": "Пациент", "phone": "+79850001213", "password": PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let expires = |v: &serde_json::Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
                .unwrap()
                .timestamp_millis()
        };
        let now = chrono::Utc::now().timestamp_millis();
        let hour = 3_600_000;
        assert!(
            (expires(&b["expires_at"]) - (now + 48 * hour)).abs() < 60_000,
            "a patient's session: {}",
            b["expires_at"]
        );
        let client = s.anon().with_token(b["token"].as_str().unwrap());
        let staff = s.staff("anna", Role::Operator).await;
        let mine = staff.ok("/api/v1/sessions").await;
        assert!(
            expires(&mine["items"][0]["expires_at"]) > now + 29 * 24 * hour,
            "staff keep theirs: {mine}"
        );
        // Two hours left; the patient uses the page: a full lifetime again.
        let hash = careline_server::passwords::token_hash(client.token.as_deref().unwrap());
        s.state
            .store
            .set_token_expiry(&hash, now + 2 * hour)
            .await
            .unwrap();
        client.ok("/api/v1/me").await;
        let after = client.ok("/api/v1/sessions").await;
        assert!(
            expires(&after["items"][0]["expires_at"]) > now + 47 * hour,
            "renewed: {after}"
        );
        // Past its expiry it is gone, use or not.
        s.state
            .store
            .set_token_expiry(&hash, now - 1)
            .await
            .unwrap();
        assert_eq!(client.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
        s.stop().await;
    }
);

/// A PNG's signature and header chunk for `w` × `h` pixels of 8-bit RGBA (colour type 6), and
/// an empty image-data chunk: all a decoder reads to know what the pixels would cost.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[]);
    chunk(&mut png, b"IEND", &[]);
    png
}

// 7. A 190 KB PNG of 49.99 million pixels (under the pixel limit) cost ~300 MB to thumbnail,
//    and 16 at once took the server to 4.9 GB. Its cost is now read from its header.
both!(
    an_image_that_would_take_too_much_memory_is_refused_from_its_header,
    |db| async move {
        let s = TestServer::start(db).await;
        let client = s.client("Клиент", "+79850000707").await;
        let bomb = png_header(7071, 7070);
        let blobs = s.dir.path().join("blobs");
        let before = walk(&blobs);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let (client, bomb) = (client.clone(), bomb.clone());
            tasks.push(tokio::spawn(async move {
                client
                    .upload(&format!("scan{i}.png"), "image/png", &bomb)
                    .await
            }));
        }
        for task in tasks {
            let (st, b) = task.await.unwrap();
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
            assert!(
                b["message"].as_str().unwrap().contains("MB once decoded"),
                "{b}"
            );
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "16 refusals took {:?}",
            t.elapsed()
        );
        assert_eq!(walk(&blobs), before, "nothing of them is kept");
        // A real photo still gets its thumbnail.
        let img = image::RgbImage::from_pixel(1200, 900, image::Rgb([200, 120, 90]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let a = client.must_upload("throat.png", "image/png", &png).await;
        assert_eq!(a["image"]["thumb_width"], 480, "{a}");
        s.stop().await;
    }
);

// Who may call an endpoint is decided before what they sent is read: an operator posting a
// broken body to an admin's endpoint, or a client to staff's, hears 403, never a 400 about the
// body.
both!(the_role_is_checked_before_the_body, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let ivan = s.client("Иван", "+79000003301").await;
    for (who, method, path) in [
        (&anna, reqwest::Method::POST, "/api/v1/operators"),
        (&anna, reqwest::Method::POST, "/api/v1/red-flags"),
        (&anna, reqwest::Method::PUT, "/api/v1/settings"),
        (&anna, reqwest::Method::POST, "/api/v1/webhooks"),
        (&ivan, reqwest::Method::POST, "/api/v1/clients"),
        (&ivan, reqwest::Method::PUT, "/api/v1/me/status"),
    ] {
        let (st, b) = who.raw(method.clone(), path, "{not json").await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path}: {b}");
    }
    let (st, _) = anna.get("/api/v1/reports/billing?group=weekly").await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "a bad query to an admin's report is refused for the role first"
    );
    s.stop().await;
});
