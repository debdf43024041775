//! Calls over the real API and WebSocket: a call rings, is answered and ends with its note in
//! the thread; the one-time link and the session scoped to one call; signalling relayed to the
//! other party only (on SQLite, on PostgreSQL and between two instances), refused from anyone
//! else; calls nobody answers end by themselves; a visit's call moves the visit; the ICE
//! servers' TURN credentials.

mod common;

use std::time::Duration;

use careline_protocol::Role;
use common::{Api, Db, TestServer, Ws};
use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// A patient with an open consultation that `doctor` took: `(patient, consultation id)`.
async fn taken(s: &TestServer, doctor: &Api, phone: &str) -> (Api, String) {
    let patient = s.client("Мария Иванова", phone).await;
    let id = patient.open_consultation("Болит голова").await;
    doctor
        .must(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    (patient, id)
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.stream
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// The next frame that is not an event or a control frame (a signal or an error), if one comes
/// within `wait`.
async fn next_signal(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let until = tokio::time::Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        let f = ws.next(left).await?;
        if f.get("seq").is_none() && f.get("control").is_none() {
            return Some(f);
        }
    }
}

/// The call page's session for `call`, through a one-time link made by `doctor`.
async fn call_page(s: &TestServer, doctor: &Api, call: &str) -> Api {
    let link = doctor
        .must(&format!("/api/v1/calls/{call}/link"), json!({}))
        .await;
    let url = link["url"].as_str().unwrap();
    let code = url
        .strip_prefix("/call/#")
        .expect("a link to the call page");
    let grant = s
        .anon()
        .must("/api/v1/calls/redeem", json!({"code": code}))
        .await;
    assert_eq!(grant["call"]["id"], call);
    assert_eq!(grant["client_name"], "Мария Иванова");
    // Used once.
    let (status, body) = s
        .anon()
        .post("/api/v1/calls/redeem", json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    s.anon().with_token(grant["token"].as_str().unwrap())
}

both!(
    a_call_rings_connects_and_ends_with_a_note_in_the_thread,
    |db| async move {
        let s = TestServer::start(db).await;
        let doctor = s.staff("doc", Role::Operator).await;
        let other = s.staff("other", Role::Operator).await;
        let (patient, id) = taken(&s, &doctor, "+79001110001").await;
        let mut patient_ws = Ws::connect(&patient, None).await;
        patient_ws.until_live().await;

        // Only the consultation's operator calls; one call at a time.
        let (status, body) = other
            .post(
                &format!("/api/v1/consultations/{id}/calls"),
                json!({"media": "video"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "not_assigned");
        let (status, body) = patient
            .post(
                &format!("/api/v1/consultations/{id}/calls"),
                json!({"media": "video"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let call = doctor
            .must(
                &format!("/api/v1/consultations/{id}/calls"),
                json!({"media": "video"}),
            )
            .await;
        assert_eq!(call["state"], "ringing");
        let call_id = call["id"].as_str().unwrap().to_owned();
        let (status, body) = doctor
            .post(
                &format!("/api/v1/consultations/{id}/calls"),
                json!({"media": "audio"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "already_exists");

        // The patient's page rings: the call's event reaches it.
        patient_ws
            .wait_for(|e| e["kind"] == "call" && e["data"]["state"] == "ringing")
            .await;

        // The operator's call page: a session that may do this call and nothing else.
        let page = call_page(&s, &doctor, &call_id).await;
        assert_eq!(
            page.ok(&format!("/api/v1/calls/{call_id}")).await["id"],
            call_id
        );
        page.ok("/api/v1/calls/ice-servers").await;
        for path in [
            "/api/v1/consultations?limit=5",
            "/api/v1/me",
            "/api/v1/clients?limit=5",
            "/api/v1/sync?since=0",
        ] {
            let (status, body) = page.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
        let (status, _) = page
            .post(&format!("/api/v1/calls/{call_id}/link"), json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let mut page_ws = Ws::connect(&page, Some(0)).await;
        // No replay of the desk's events: straight to live.
        assert!(page_ws.until_live().await.is_empty());

        // Another client and the doctor's own desk socket are not the call page: refused.
        let stranger = s.client("Чужой", "+79001110009").await;
        let mut stranger_ws = Ws::connect(&stranger, None).await;
        stranger_ws.until_live().await;
        send(
            &mut stranger_ws,
            json!({"type": "call.offer", "call_id": call_id, "sdp": "v=0 stranger"}),
        )
        .await;
        let e = next_signal(&mut stranger_ws, Duration::from_secs(5))
            .await
            .expect("an error frame");
        assert_eq!(e["code"], "forbidden", "{e}");
        let mut desk_ws = Ws::connect(&doctor, None).await;
        desk_ws.until_live().await;
        send(
            &mut desk_ws,
            json!({"type": "call.ice", "call_id": call_id, "candidate": {"candidate": "x"}}),
        )
        .await;
        assert_eq!(
            next_signal(&mut desk_ws, Duration::from_secs(5))
                .await
                .expect("an error frame")["code"],
            "forbidden"
        );
        send(
            &mut stranger_ws,
            json!({"type": "call.nonsense", "call_id": call_id}),
        )
        .await;
        assert_eq!(
            next_signal(&mut stranger_ws, Duration::from_secs(5))
                .await
                .unwrap()["code"],
            "bad_request"
        );

        // The patient answers; the page offers, the patient answers, candidates both ways.
        let answered = patient
            .must(&format!("/api/v1/calls/{call_id}/answer"), json!({}))
            .await;
        assert_eq!(answered["state"], "active");
        page_ws
            .wait_for(|e| e["kind"] == "call" && e["data"]["state"] == "active")
            .await;
        send(
            &mut page_ws,
            json!({"type": "call.offer", "call_id": call_id, "sdp": "v=0 offer"}),
        )
        .await;
        let offer = next_signal(&mut patient_ws, Duration::from_secs(5))
            .await
            .expect("the offer reaches the patient");
        assert_eq!(offer["type"], "call.offer");
        assert_eq!(offer["sdp"], "v=0 offer");
        assert_eq!(offer["from"], doctor.user_id().await);
        send(
            &mut patient_ws,
            json!({"type": "call.answer", "call_id": call_id, "sdp": "v=0 answer"}),
        )
        .await;
        send(
            &mut patient_ws,
            json!({"type": "call.ice", "call_id": call_id, "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}}),
        )
        .await;
        let answer = next_signal(&mut page_ws, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(answer["type"], "call.answer");
        assert_eq!(answer["from"], patient.user_id().await);
        let ice = next_signal(&mut page_ws, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(ice["candidate"]["sdpMid"], "0");
        // Nothing of it reached the stranger or the desk's own socket.
        assert!(next_signal(&mut stranger_ws, Duration::from_millis(300))
            .await
            .is_none());
        assert!(next_signal(&mut desk_ws, Duration::from_millis(300))
            .await
            .is_none());

        tokio::time::sleep(Duration::from_millis(1100)).await;
        let ended = patient
            .must(&format!("/api/v1/calls/{call_id}/hangup"), json!({}))
            .await;
        assert_eq!(ended["state"], "ended");
        assert_eq!(ended["end"], "completed");
        assert!(ended["duration_seconds"].as_i64().unwrap() >= 1, "{ended}");
        // Hanging up again changes nothing; signalling an ended call is refused.
        let again = page
            .must(&format!("/api/v1/calls/{call_id}/hangup"), json!({}))
            .await;
        assert_eq!(again, ended);
        send(
            &mut patient_ws,
            json!({"type": "call.ice", "call_id": call_id, "candidate": {}}),
        )
        .await;
        assert_eq!(
            next_signal(&mut patient_ws, Duration::from_secs(5))
                .await
                .unwrap()["code"],
            "illegal_transition"
        );

        // The thread has the call's note, which the patient sees too.
        let thread = patient
            .ok(&format!("/api/v1/consultations/{id}/messages?limit=50"))
            .await;
        let note = thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["kind"] == "system")
            .expect("a note of the call");
        let body = note["body"].as_str().unwrap();
        assert!(
            body.starts_with("Video call by doc name: completed ("),
            "{body}"
        );
        // The record: listed on the consultation.
        let calls = doctor
            .ok(&format!("/api/v1/consultations/{id}/calls"))
            .await;
        assert_eq!(calls.as_array().unwrap().len(), 1);
        let (status, _) = stranger
            .get(&format!("/api/v1/consultations/{id}/calls"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = stranger.get(&format!("/api/v1/calls/{call_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A link to an ended call is refused.
        let (status, _) = doctor
            .post(&format!("/api/v1/calls/{call_id}/link"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        s.stop().await;
    }
);

both!(calls_nobody_ends_end_by_themselves, |db| async move {
    let s = TestServer::start(db).await;
    let doctor = s.staff("doc", Role::Operator).await;
    let (patient, id) = taken(&s, &doctor, "+79001110002").await;
    let call = doctor
        .must(
            &format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "audio"}),
        )
        .await;
    let call_id = call["id"].as_str().unwrap();
    // Not yet: it rings for a minute.
    assert_eq!(
        s.state
            .store
            .sweep_calls(chrono::Utc::now().timestamp_millis() + 30_000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.state
            .store
            .sweep_calls(chrono::Utc::now().timestamp_millis() + 61_000)
            .await
            .unwrap(),
        1
    );
    let c = patient.ok(&format!("/api/v1/calls/{call_id}")).await;
    assert_eq!(c["end"], "no_answer");
    // A new call may ring now; the patient declines it.
    let second = doctor
        .must(
            &format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "audio"}),
        )
        .await;
    let declined = patient
        .must(
            &format!("/api/v1/calls/{}/decline", second["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(declined["end"], "declined");
    let thread = patient
        .ok(&format!("/api/v1/consultations/{id}/messages?limit=50"))
        .await;
    let notes: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "system")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"Audio call by doc name: no answer"),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"Audio call by doc name: declined"),
        "{notes:?}"
    );
    // Erasing the patient takes their calls (and a link still waiting) with them.
    let third = doctor
        .must(
            &format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "audio"}),
        )
        .await;
    doctor
        .must(
            &format!("/api/v1/calls/{}/link", third["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    let admin = s.staff("boss", Role::Admin).await;
    let (status, body) = admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/clients/{}", patient.user_id().await),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, _) = doctor.get(&format!("/api/v1/calls/{call_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.stop().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signalling_reaches_a_party_on_the_other_instance() {
    let a = TestServer::start(Db::Postgres).await;
    let b = a.another_instance().await;
    let doctor = a.staff("doc", Role::Operator).await;
    let (patient, id) = taken(&a, &doctor, "+79001110003").await;
    let call = doctor
        .must(
            &format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "video"}),
        )
        .await;
    let call_id = call["id"].as_str().unwrap().to_owned();
    // The patient on instance B, the call page on instance A.
    let patient_b = Api {
        base: b.base.clone(),
        ..patient.clone()
    };
    let mut patient_ws = Ws::connect(&patient_b, None).await;
    patient_ws.until_live().await;
    let page = call_page(&a, &doctor, &call_id).await;
    let mut page_ws = Ws::connect(&page, None).await;
    page_ws.until_live().await;
    patient_b
        .must(&format!("/api/v1/calls/{call_id}/answer"), json!({}))
        .await;
    // The call's state reaches the page on the other instance.
    page_ws
        .wait_for(|e| e["kind"] == "call" && e["data"]["state"] == "active")
        .await;
    let started = std::time::Instant::now();
    send(
        &mut page_ws,
        json!({"type": "call.offer", "call_id": call_id, "sdp": "v=0 across"}),
    )
    .await;
    let offer = next_signal(&mut patient_ws, Duration::from_secs(5))
        .await
        .expect("the offer crosses instances");
    assert_eq!(offer["sdp"], "v=0 across");
    send(
        &mut patient_ws,
        json!({"type": "call.answer", "call_id": call_id, "sdp": "v=0 back"}),
    )
    .await;
    let answer = next_signal(&mut page_ws, Duration::from_secs(5))
        .await
        .expect("the answer crosses back");
    assert_eq!(answer["sdp"], "v=0 back");
    assert_eq!(answer["from"], patient.user_id().await);
    eprintln!("offer and answer across instances: {:?}", started.elapsed());
    b.stop().await;
    a.stop().await;
}

both!(a_visits_call_moves_the_visit, |db| async move {
    let s = TestServer::start(db).await;
    let doctor = s.staff("doc", Role::Operator).await;
    let doctor_id = doctor.user_id().await;
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "from": "00:00", "to": "24:00"}))
        .collect();
    let (status, body) = doctor
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/operators/{doctor_id}/schedule"),
            Some(json!({"time_zone": "UTC", "weekly": weekly, "visit_minutes": {"phone": 15, "video": 30}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let patient = s.client("Мария Иванова", "+79001110005").await;
    let day = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let start = day.and_hms_opt(10, 0, 0).unwrap().and_utc();
    let visit = patient
        .must(
            "/api/v1/appointments",
            json!({"operator_id": doctor_id, "kind": "video", "starts_at": start}),
        )
        .await;
    let consultation = visit["consultation_id"].as_str().unwrap();
    let call = doctor
        .must(
            &format!("/api/v1/consultations/{consultation}/calls"),
            json!({"media": "video"}),
        )
        .await;
    assert_eq!(call["appointment_id"], visit["id"]);
    // The visit's consultation opened with its call.
    let c = doctor
        .ok(&format!("/api/v1/consultations/{consultation}"))
        .await;
    assert_eq!(c["status"], "active");
    let call_id = call["id"].as_str().unwrap();
    patient
        .must(&format!("/api/v1/calls/{call_id}/answer"), json!({}))
        .await;
    let visit_path = format!("/api/v1/appointments/{}", visit["id"].as_str().unwrap());
    assert_eq!(patient.ok(&visit_path).await["status"], "in_call");
    doctor
        .must(&format!("/api/v1/calls/{call_id}/hangup"), json!({}))
        .await;
    assert_eq!(patient.ok(&visit_path).await["status"], "done");

    // The reports: the doctor's calls by how they ended; the visit billed at its tariff though
    // not one message was written (the call was the consultation), and its refund counted.
    let (patient2, id2) = taken(&s, &doctor, "+79001110006").await;
    let unanswered = doctor
        .must(
            &format!("/api/v1/consultations/{id2}/calls"),
            json!({"media": "audio"}),
        )
        .await;
    patient2
        .must(
            &format!(
                "/api/v1/calls/{}/decline",
                unanswered["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    doctor
        .must(
            &format!("/api/v1/consultations/{consultation}/close"),
            json!({}),
        )
        .await;
    let admin = s.staff("boss", Role::Admin).await;
    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let period = format!(
        "from={}&to={}",
        from.replace('+', "%2B"),
        to.replace('+', "%2B")
    );
    let ops = admin
        .ok(&format!(
            "/api/v1/reports/operators?{period}&operator_id={doctor_id}"
        ))
        .await;
    let calls = &ops["operators"][0]["calls"];
    assert_eq!(calls["calls"], 2, "{ops}");
    assert_eq!(calls["completed"], 1, "{ops}");
    assert_eq!(calls["unanswered"], 1, "{ops}");
    assert_eq!(calls["failed"], 0, "{ops}");
    let billing = admin.ok(&format!("/api/v1/reports/billing?{period}")).await;
    let rows = billing["rows"].as_array().unwrap();
    let video = rows
        .iter()
        .find(|r| r["kind"] == "video")
        .unwrap_or_else(|| panic!("the video visit is billed: {billing}"));
    assert_eq!(video["consultations"], 1, "{billing}");
    assert_eq!(video["revenue"], c["price"], "{billing}");
    s.stop().await;
});

#[tokio::test]
async fn ice_servers_carry_turn_credentials_of_the_shared_secret() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.turn_urls = vec!["turn:127.0.0.1:3478?transport=udp".into()];
        c.turn_secret = "north-wind".into();
        c.stun_urls = vec!["stun:127.0.0.1:3478".into()];
        c.turn_ttl_secs = 600;
        c.turn_only = true;
    })
    .await;
    let patient = s.client("Мария Иванова", "+79001110004").await;
    let me = patient.user_id().await;
    let ice = patient.ok("/api/v1/calls/ice-servers").await;
    assert_eq!(ice["ice_transport_policy"], "relay");
    let servers = ice["ice_servers"].as_array().unwrap();
    assert_eq!(servers[0]["urls"][0], "stun:127.0.0.1:3478");
    assert!(servers[0].get("username").is_none());
    let turn = &servers[1];
    let user = turn["username"].as_str().unwrap();
    let (expiry, who) = user.split_once(':').unwrap();
    assert_eq!(who, me);
    let expiry: i64 = expiry.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 590..=now + 610).contains(&expiry),
        "{expiry} vs {now}"
    );
    // The password is base64(HMAC-SHA1(secret, user name)), checked independently.
    let expected = {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b'north-wind', b'{user}', hashlib.sha1).digest()).decode())"
            ))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(turn["credential"], expected);
    let (status, _) = s.anon().get("/api/v1/calls/ice-servers").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

// Who may do what with a call: every call endpoint × no session, the call's patient, another
// patient, the call's operator, another operator, an admin.
both!(who_may_touch_a_call, |db| async move {
    let s = TestServer::start(db).await;
    let doctor = s.staff("doc", Role::Operator).await;
    let colleague = s.staff("colleague", Role::Operator).await;
    let admin = s.staff("boss", Role::Admin).await;
    let (patient, id) = taken(&s, &doctor, "+79001110007").await;
    let stranger = s.client("Чужой", "+79001110008").await;
    let call = doctor
        .must(
            &format!("/api/v1/consultations/{id}/calls"),
            json!({"media": "audio"}),
        )
        .await;
    let call = call["id"].as_str().unwrap().to_owned();
    // (method, path, [patient, stranger, doctor, colleague, admin]): the status each gets.
    use reqwest::Method;
    let rows: Vec<(Method, String, [u16; 5])> = vec![
        (
            Method::GET,
            format!("/api/v1/calls/{call}"),
            [200, 404, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/consultations/{id}/calls"),
            [200, 404, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/calls/ice-servers".into(),
            [200, 200, 200, 200, 200],
        ),
        (
            Method::POST,
            format!("/api/v1/consultations/{id}/calls"),
            [403, 403, 409, 409, 409],
        ),
        (
            Method::POST,
            format!("/api/v1/calls/{call}/link"),
            [403, 403, 200, 404, 404],
        ),
        (
            Method::POST,
            format!("/api/v1/calls/{call}/answer"),
            [200, 404, 404, 404, 404],
        ),
        (
            Method::POST,
            format!("/api/v1/calls/{call}/decline"),
            [409, 404, 404, 404, 404],
        ),
        (
            Method::POST,
            format!("/api/v1/calls/{call}/hangup"),
            [200, 404, 200, 404, 404],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, wants) in rows {
        let body = (method == Method::POST).then(|| json!({"media": "video"}));
        let (st, _) = s.anon().call(method.clone(), &path, body.clone()).await;
        if st != StatusCode::UNAUTHORIZED {
            failures.push(format!("{method} {path} without a session: {st}"));
        }
        // The stranger and the colleagues first: the patient's answer and the doctor's hang-up
        // change the call.
        for (who, api, want) in [
            ("stranger", &stranger, wants[1]),
            ("colleague", &colleague, wants[3]),
            ("admin", &admin, wants[4]),
            ("patient", &patient, wants[0]),
            ("doctor", &doctor, wants[2]),
        ] {
            let (st, b) = api.call(method.clone(), &path, body.clone()).await;
            if st.as_u16() != want {
                failures.push(format!(
                    "{method} {path} as {who}: wanted {want}, got {st} {b}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.stop().await;
});

// Bad input to the call endpoints gets a clear 4xx and changes nothing: an unknown media, a
// NUL, the wrong Content-Type, a body past the limit, ids of another kind of thing, another
// client's call; and a thousand guessed link codes at once are all refused.
both!(bad_input_to_calls_changes_nothing, |db| async move {
    let s = TestServer::start(db).await;
    let doctor = s.staff("doc", Role::Operator).await;
    let (patient, id) = taken(&s, &doctor, "+79001110010").await;
    let path = format!("/api/v1/consultations/{id}/calls");
    for body in [
        r#"{"media": "hologram"}"#.to_owned(),
        "{\"media\": \"vid\u{0}eo\"}".to_owned(),
        "{\"media\": \"video\"".to_owned(),
        format!(
            r#"{{"media": "video", "pad": "{}"}}"#,
            "x".repeat(2 * 1024 * 1024)
        ),
    ] {
        let (st, b) = doctor.raw(reqwest::Method::POST, &path, &body).await;
        assert!(st.is_client_error(), "{st} {b}");
    }
    // A client of its own: the 2 MB body above may have left the pooled connection closing
    // (the server stops reading a body that is too large), and a request on it fails to send.
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.base))
        .bearer_auth(doctor.token.as_deref().unwrap())
        .header("content-type", "text/plain")
        .body(r#"{"media": "video"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing rang.
    let calls = doctor
        .ok(&format!("/api/v1/consultations/{id}/calls"))
        .await;
    assert_eq!(calls, json!([]));
    // Ids of another kind: a client's and an operator's id where a consultation's or a call's
    // goes.
    let client_id = patient.user_id().await;
    let doctor_id = doctor.user_id().await;
    for p in [
        format!("/api/v1/consultations/{client_id}/calls"),
        format!("/api/v1/calls/{doctor_id}/hangup"),
        format!("/api/v1/calls/{id}/link"),
    ] {
        let (st, b) = doctor.post(&p, json!({"media": "video"})).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{p}: {b}");
    }
    let (st, _) = doctor
        .post("/api/v1/calls/not-a-uuid/answer", json!({}))
        .await;
    assert!(st.is_client_error());
    // Another client's call: not found, and untouched.
    let call = doctor.must(&path, json!({"media": "video"})).await;
    let call_id = call["id"].as_str().unwrap();
    let other = s.client("Другой", "+79001110011").await;
    for verb in ["answer", "decline", "hangup"] {
        let (st, _) = other
            .post(&format!("/api/v1/calls/{call_id}/{verb}"), json!({}))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        doctor.ok(&format!("/api/v1/calls/{call_id}")).await["state"],
        "ringing"
    );
    // A code with a NUL, an empty one, one too long: 400; guessed ones: 401, all thousand.
    for code in ["a\u{0}b", "", &"c".repeat(101)] {
        let (st, b) = s
            .anon()
            .post("/api/v1/calls/redeem", json!({ "code": code }))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    }
    let started = std::time::Instant::now();
    let guesses: Vec<_> = (0..1000)
        .map(|i| {
            let anon = s.anon();
            tokio::spawn(async move {
                anon.post(
                    "/api/v1/calls/redeem",
                    json!({"code": format!("guess-{i}")}),
                )
                .await
                .0
            })
        })
        .collect();
    for g in guesses {
        assert_eq!(g.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    eprintln!("1,000 guessed call codes at once: {:?}", started.elapsed());
    s.stop().await;
});
