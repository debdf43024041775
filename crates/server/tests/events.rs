//! The event stream: sync paging, WebSocket replay and resume, isolation of clients,
//! presence, delivery across instances, callbacks and attachments as events.

mod common;

use std::time::Duration;

use careline_protocol::{Event, Role};
use common::{Db, TestServer, Ws};
use reqwest::StatusCode;
use serde_json::{json, Value};

both!(sync_pages_and_typed_events, |db| async move {
    let s = TestServer::start(db).await;
    let op = s.staff("anna", Role::Operator).await;
    let a = s.client("A", "+10000000001").await;
    let b = s.client("B", "+10000000002").await;
    let ca = a.open_consultation("от A").await;
    let cb = b.open_consultation("от B").await;
    for i in 0..5 {
        a.say(&ca, &format!("a{i}")).await;
    }
    op.must(&format!("/api/v1/consultations/{cb}/take"), json!({}))
        .await;
    op.must(
        &format!("/api/v1/consultations/{cb}/messages"),
        json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "заметка", "internal": true}),
    )
    .await;
    // Staff see everything, in strictly increasing seq, in pages.
    let mut since = 0;
    let mut seqs = Vec::new();
    loop {
        let page = op.ok(&format!("/api/v1/sync?since={since}&limit=4")).await;
        for e in page["events"].as_array().unwrap() {
            // Every event is a valid protocol Event.
            let typed: Event =
                serde_json::from_value(e.clone()).unwrap_or_else(|err| panic!("{err}: {e}"));
            seqs.push(typed.seq);
        }
        since = page["next"].as_i64().unwrap();
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        *seqs.last().unwrap(),
        s.state.store.last_seq().await.unwrap()
    );
    // A client sees only its own thread, never staff-only events.
    let a_events = a.all_events().await;
    assert!(!a_events.is_empty());
    for e in &a_events {
        let text = e.to_string();
        assert!(
            !text.contains("от B") && !text.contains("заметка"),
            "leak: {e}"
        );
        assert!(
            ["consultation", "message", "read", "callback"].contains(&e["kind"].as_str().unwrap()),
            "{e}"
        );
    }
    let b_events = b.all_events().await;
    assert!(!b_events.iter().any(|e| e.to_string().contains("заметка")));
    // A client's `next` moves past others' events so it does not rescan them.
    let page = a.ok("/api/v1/sync?since=0&limit=1000").await;
    assert_eq!(
        page["next"].as_i64().unwrap(),
        s.state.store.last_seq().await.unwrap()
    );
    s.stop().await;
});

both!(websocket_replays_and_resumes, |db| async move {
    let s = TestServer::start(db).await;
    let op = s.staff("anna", Role::Operator).await;
    let client = s.client("Иван", "+79000000001").await;
    let c = client.open_consultation("первое").await;

    // Replay from 0, then live.
    let mut ws = Ws::connect(&op, Some(0)).await;
    let replayed = ws.until_live().await;
    assert!(replayed.iter().any(|e| e["data"]["body"] == "первое"));
    client.say(&c, "живое").await;
    ws.wait_for(|e| e["data"]["body"] == "живое").await;
    let last_seen = s.state.store.last_seq().await.unwrap();
    drop(ws);

    // While disconnected: more traffic. Resume gets exactly the missed events, no doubles.
    for i in 0..20 {
        client.say(&c, &format!("пропущено {i}")).await;
    }
    let mut ws = Ws::connect(&op, None).await;
    use futures::SinkExt;
    ws.stream
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json!({"resume": last_seen}).to_string().into(),
        ))
        .await
        .unwrap();
    let missed = ws.until_live().await;
    let seqs: Vec<i64> = missed.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = ((last_seen + 1)..=s.state.store.last_seq().await.unwrap()).collect();
    assert_eq!(seqs, expected, "resume must give every missed event once");
    let bodies: Vec<&str> = missed
        .iter()
        .filter(|e| e["kind"] == "message")
        .map(|e| e["data"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 20);
    assert_eq!(bodies[0], "пропущено 0");
    // Live continues after the replay, without repeats.
    client.say(&c, "после").await;
    let more = ws.wait_for(|e| e["data"]["body"] == "после").await;
    assert!(more
        .iter()
        .all(|e| e["seq"].as_i64().unwrap() > *expected.last().unwrap()));

    // The client's socket never carries internal notes.
    let mut client_ws = Ws::connect(&client, Some(0)).await;
    let replay = client_ws.until_live().await;
    assert!(replay.iter().all(|e| e["data"]["internal"] != true));
    op.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
        .await;
    op.must(&format!("/api/v1/consultations/{c}/messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "тайна", "internal": true}))
        .await;
    op.say(&c, "ответ врача").await;
    let seen = client_ws
        .wait_for(|e| e["data"]["body"] == "ответ врача")
        .await;
    assert!(
        !seen.iter().any(|e| e.to_string().contains("тайна")),
        "{seen:?}"
    );

    // A gap that is no longer kept: the server says to re-sync.
    s.state.store.prune_events(i64::MAX).await.unwrap();
    let (st, b) = op.get("/api/v1/sync?since=1").await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::GONE, Some("resync_required"))
    );
    let mut stale = Ws::connect(&op, Some(1)).await;
    let f = stale.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(f["control"], "resync_required");
    // Up to date is still fine.
    let head = s.state.store.last_seq().await.unwrap();
    let (st, _) = op.get(&format!("/api/v1/sync?since={head}")).await;
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
});

both!(presence_falls_offline_after_grace, |db| async move {
    let s = TestServer::start_with(db, |c| c.presence_grace_secs = 1).await;
    let anna = s.staff("anna", Role::Operator).await;
    let boris = s.staff("boris", Role::Operator).await;
    let anna_id = anna.user_id().await;
    let boris_id = boris.user_id().await;
    let mut watcher = Ws::connect(&boris, None).await;
    watcher.until_live().await;
    let r = anna
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/status",
            Some(json!({"status": "busy"})),
        )
        .await;
    assert_eq!(r.0, StatusCode::OK);
    boris
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/status",
            Some(json!({"status": "online"})),
        )
        .await;
    // Another operator's status change arrives live.
    watcher
        .wait_for(|e| {
            e["kind"] == "operator"
                && e["data"]["id"] == anna_id.as_str()
                && e["data"]["status"] == "busy"
        })
        .await;
    // anna has no connection: she falls offline; boris holds one and stays.
    watcher
        .wait_for(|e| {
            e["kind"] == "operator"
                && e["data"]["id"] == anna_id.as_str()
                && e["data"]["status"] == "offline"
        })
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ops = boris.ok("/api/v1/operators").await;
    let status_of = |id: &str| {
        ops["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(&anna_id), "offline");
    assert_eq!(status_of(&boris_id), "online");
    drop(watcher);
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let ops = anna.ok("/api/v1/operators").await;
    let boris_now = ops["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == boris_id.as_str())
        .unwrap()["status"]
        .clone();
    assert_eq!(
        boris_now, "offline",
        "the last connection is gone: offline after the grace period"
    );
    s.stop().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_cross_instances_on_postgres() {
    let a = TestServer::start(Db::Postgres).await;
    let b = a.another_instance().await;
    let op_on_b = b.staff("anna", Role::Operator).await;
    let client_on_a = a.client("Ли На", "+8613800138003").await;
    let mut ws = Ws::connect(&op_on_b, None).await;
    ws.until_live().await;
    let c = client_on_a.open_consultation("你好,我想咨询").await;
    let seen = ws
        .wait_for(|e| e["kind"] == "message" && e["data"]["body"] == "你好,我想咨询")
        .await;
    assert!(seen
        .iter()
        .any(|e| e["kind"] == "consultation" && e["data"]["id"] == c.as_str()));
    // And the other way round, many times, in order and without gaps.
    let before = a.state.store.last_seq().await.unwrap();
    for i in 0..30 {
        client_on_a.say(&c, &format!("消息 {i}")).await;
    }
    let got = ws.wait_for(|e| e["data"]["body"] == "消息 29").await;
    let seqs: Vec<i64> = got
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .filter(|s| *s > before)
        .collect();
    assert_eq!(seqs, ((before + 1)..=(before + 30)).collect::<Vec<_>>());
    b.stop().await;
    a.stop().await;
}

both!(callbacks_work_the_queue, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let boris = s.staff("boris", Role::Operator).await;
    let client = s.client("Ольга", "+79000000002").await;
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let scheduled = client.must("/api/v1/callbacks", json!({"phone": "+7 900 000-00-02", "preferred_at": later, "reason": "Результаты анализов"})).await;
    let asap = client
        .must(
            "/api/v1/callbacks",
            json!({"phone": "+79000000002", "reason": "Срочно"}),
        )
        .await;
    assert_eq!(asap["status"], "new");
    assert_eq!(scheduled["phone"], "+79000000002");
    // Ordered by due time: asap first.
    let q = anna.ok("/api/v1/callbacks?status=new").await;
    let ids: Vec<&str> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            asap["id"].as_str().unwrap(),
            scheduled["id"].as_str().unwrap()
        ]
    );
    let id = asap["id"].as_str().unwrap();
    let claimed = anna
        .must(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
        .await;
    assert_eq!(
        (claimed["status"].as_str(), claimed["operator_id"].as_str()),
        (Some("claimed"), Some(anna.user_id().await.as_str()))
    );
    let (st, b) = boris
        .post(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_taken"))
    );
    let (st, b) = boris
        .post(
            &format!("/api/v1/callbacks/{id}/attempts"),
            json!({"outcome": "reached"}),
        )
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_assigned"))
    );
    // no_answer: back in the queue, due in 15 minutes.
    let r = anna
        .must(
            &format!("/api/v1/callbacks/{id}/attempts"),
            json!({"outcome": "no_answer", "note": "не берёт"}),
        )
        .await;
    assert_eq!(r["status"], "new");
    assert!(r["operator_id"].is_null());
    let due = chrono::DateTime::parse_from_rfc3339(r["due_at"].as_str().unwrap()).unwrap();
    let delay = due.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!(
        (14 * 60..=15 * 60).contains(&delay),
        "retry due in {delay}s"
    );
    assert_eq!(r["attempts"][0]["note"], "не берёт");
    // Two more failed tries: failed.
    boris
        .must(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
        .await;
    boris
        .must(
            &format!("/api/v1/callbacks/{id}/attempts"),
            json!({"outcome": "busy"}),
        )
        .await;
    boris
        .must(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
        .await;
    let f = boris
        .must(
            &format!("/api/v1/callbacks/{id}/attempts"),
            json!({"outcome": "no_answer"}),
        )
        .await;
    assert_eq!(f["status"], "failed");
    assert_eq!(f["attempts"].as_array().unwrap().len(), 3);
    assert!(f["closed_at"].is_string());
    let (st, b) = boris
        .post(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition"))
    );
    // Reached: done. Release: back to new.
    let sid = scheduled["id"].as_str().unwrap();
    anna.must(&format!("/api/v1/callbacks/{sid}/claim"), json!({}))
        .await;
    let rel = anna
        .must(&format!("/api/v1/callbacks/{sid}/release"), json!({}))
        .await;
    assert_eq!(rel["status"], "new");
    anna.must(&format!("/api/v1/callbacks/{sid}/claim"), json!({}))
        .await;
    let key = uuid::Uuid::now_v7();
    let done = anna
        .must(
            &format!("/api/v1/callbacks/{sid}/attempts"),
            json!({"outcome": "reached", "note": "Всё объяснила", "key": key}),
        )
        .await;
    assert_eq!(done["status"], "done");
    // The same attempt again (its answer was lost): recorded once.
    let again = anna
        .must(
            &format!("/api/v1/callbacks/{sid}/attempts"),
            json!({"outcome": "reached", "note": "Всё объяснила", "key": key}),
        )
        .await;
    assert_eq!(again["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(again["status"], "done");
    // The client follows its requests through the stream and the list.
    let mine = client.ok("/api/v1/callbacks").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let ev = client.all_events().await;
    assert!(ev
        .iter()
        .any(|e| e["kind"] == "callback" && e["data"]["status"] == "done"));
    let archive = anna
        .ok("/api/v1/callbacks?status=done,failed&q=%D0%B0%D0%BD%D0%B0%D0%BB%D0%B8%D0%B7")
        .await;
    assert_eq!(
        archive["items"].as_array().unwrap().len(),
        1,
        "search by reason"
    );
    s.stop().await;
});

both!(attachments_are_private_and_safe, |db| async move {
    let s = TestServer::start(db).await;
    let op = s.staff("anna", Role::Operator).await;
    let owner = s.client("Owner", "+10000000001").await;
    let other = s.client("Other", "+10000000002").await;
    let c = owner.open_consultation("вот снимок").await;
    let http = reqwest::Client::new();
    let upload = |api: &common::Api, name: &str, ctype: &str, body: Vec<u8>| {
        http.post(format!("{}/api/v1/attachments?name={}", s.base, name))
            .bearer_auth(api.token.clone().unwrap())
            .header("content-type", ctype.to_owned())
            .body(body)
            .send()
    };
    let png = b"\x89PNG\r\n\x1a\n-not-really-a-png".to_vec();
    let resp = upload(
        &owner,
        "..%2F..%2Fetc%2F%D1%81%D0%BD%D0%B8%D0%BC%D0%BE%D0%BA.png",
        "image/png",
        png.clone(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let a: Value = resp.json().await.unwrap();
    assert_eq!(a["file_name"], "снимок.png");
    assert_eq!(a["size"], png.len());
    assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
    let again: Value = upload(&owner, "copy.png", "image/png", png.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["sha256"], a["sha256"], "content addressed");
    let id = a["id"].as_str().unwrap();
    // Before it is in a message: only the uploader and staff.
    let get = |api: &common::Api| {
        http.get(format!("{}/api/v1/attachments/{id}", s.base))
            .bearer_auth(api.token.clone().unwrap())
            .send()
    };
    assert_eq!(get(&other).await.unwrap().status(), StatusCode::NOT_FOUND);
    let resp = get(&owner).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("inline; filename=\"") && cd.contains("filename*=UTF-8''%D1%81"),
        "{cd}"
    );
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png);
    // Another client cannot send someone else's upload.
    let c2 = other.open_consultation("hi").await;
    let (st, b) = other
        .post(
            &format!("/api/v1/consultations/{c2}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "attachment_id": id}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let m = owner
        .must(
            &format!("/api/v1/consultations/{c}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "attachment_id": id}),
        )
        .await;
    assert_eq!(m["attachment"]["file_name"], "снимок.png");
    // Staff download; an operator's file in an internal note stays hidden from the client.
    assert_eq!(get(&op).await.unwrap().status(), StatusCode::OK);
    op.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
        .await;
    let doc: Value = upload(
        &op,
        "заключение.pdf",
        "application/octet-stream",
        b"%PDF-1.4 internal".to_vec(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        doc["media_type"], "application/pdf",
        "guessed from the name"
    );
    let doc_id = doc["id"].as_str().unwrap();
    op.must(
        &format!("/api/v1/consultations/{c}/messages"),
        json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "file", "attachment_id": doc_id, "internal": true}),
    )
    .await;
    let r = http
        .get(format!("{}/api/v1/attachments/{doc_id}", s.base))
        .bearer_auth(owner.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .get(format!("{}/api/v1/attachments/{doc_id}", s.base))
        .bearer_auth(op.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    s.stop().await;
});

#[test]
fn openapi_lists_every_path_of_the_contract() {
    let doc = careline_server::api::openapi();
    let json = serde_json::to_value(&doc).unwrap();
    let paths = json["paths"].as_object().unwrap();
    let contract = [
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/me"),
        ("post", "/api/v1/clients/register"),
        ("get", "/api/v1/clients"),
        ("get", "/api/v1/clients/{id}"),
        ("patch", "/api/v1/clients/{id}"),
        ("get", "/api/v1/operators"),
        ("post", "/api/v1/operators"),
        ("patch", "/api/v1/operators/{id}"),
        ("put", "/api/v1/me/status"),
        ("post", "/api/v1/consultations"),
        ("get", "/api/v1/consultations"),
        ("get", "/api/v1/consultations/{id}"),
        ("post", "/api/v1/consultations/{id}/take"),
        ("post", "/api/v1/consultations/{id}/transfer"),
        ("post", "/api/v1/consultations/{id}/release"),
        ("post", "/api/v1/consultations/{id}/close"),
        ("post", "/api/v1/consultations/{id}/rating"),
        ("get", "/api/v1/consultations/{id}/messages"),
        ("post", "/api/v1/consultations/{id}/messages"),
        ("post", "/api/v1/consultations/{id}/read"),
        ("post", "/api/v1/consultations/{id}/delivered"),
        ("post", "/api/v1/attachments"),
        ("get", "/api/v1/attachments/{id}"),
        ("post", "/api/v1/callbacks"),
        ("get", "/api/v1/callbacks"),
        ("post", "/api/v1/callbacks/{id}/claim"),
        ("post", "/api/v1/callbacks/{id}/release"),
        ("post", "/api/v1/callbacks/{id}/attempts"),
        ("post", "/api/v1/callbacks/{id}/cancel"),
        ("get", "/api/v1/sync"),
        ("get", "/api/v1/snapshot"),
        ("get", "/api/v1/ws"),
        ("get", "/healthz"),
        ("get", "/metrics"),
    ];
    for (method, path) in contract {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert!(json["components"]["schemas"]["LoginResponse"].is_object());
    assert!(
        json["components"]["schemas"]["Event"].is_object()
            || json["components"]["schemas"]["EventData"].is_object()
    );
    // Every reference resolves (a tool reading the document stops at the first that does not).
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&json, &mut all);
    let missing: Vec<&String> = all
        .iter()
        .filter(|r| {
            r.strip_prefix("#/components/schemas/")
                .is_none_or(|name| !json["components"]["schemas"][name].is_object())
        })
        .collect();
    assert!(missing.is_empty(), "references to nothing: {missing:?}");
}

both!(snapshot_pages_the_state_a_viewer_may_see, |db| async move {
    let s = TestServer::start(db).await;
    careline_server::demo::fill(&s.state.store).await.unwrap();
    let anna = s
        .anon()
        .login("anna", careline_server::demo::DEMO_PASSWORD)
        .await;
    let ivan = s
        .anon()
        .login("+79161234501", careline_server::demo::DEMO_PASSWORD)
        .await;
    let ivan_id = ivan.user_id().await;
    let all = |api: common::Api| async move {
        let mut items: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut heads = Vec::new();
        loop {
            let path = match &cursor {
                // An odd page size, so pages end inside every part (the demo has thousands of items).
                Some(c) => format!("/api/v1/snapshot?limit=97&cursor={c}"),
                None => "/api/v1/snapshot?limit=97".to_owned(),
            };
            let page = api.ok(&path).await;
            heads.push(page["head"].as_i64().unwrap());
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return (items, heads),
            }
        }
    };
    let (staff_items, heads) = all(anna.clone()).await;
    let head = s.state.store.last_seq().await.unwrap();
    assert!(heads.iter().all(|h| *h == head));
    let count = |items: &[Value], kind: &str| items.iter().filter(|i| i["kind"] == kind).count();
    // Five of the staff and the pharmacist; the prescription waiting for her.
    assert_eq!(count(&staff_items, "operator"), 6);
    assert_eq!(count(&staff_items, "prescription"), 1);
    // Every client of the demo: its own nine and the hundred of its history.
    let clients = s
        .state
        .store
        .list_clients(&careline_protocol::ClientFilter {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(count(&staff_items, "client"), clients);
    assert!(clients > 100, "{clients}");
    assert!(count(&staff_items, "message") > 20);
    // Every item once: paging across parts neither skips nor repeats.
    let ids: Vec<String> = staff_items
        .iter()
        .map(|i| {
            format!(
                "{}:{}:{}",
                i["kind"], i["data"]["id"], i["data"]["reader_id"]
            )
        })
        .collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<std::collections::BTreeSet<_>>().len()
    );
    // A client: only its own, never internal notes, no staff entities.
    let (mine, _) = all(ivan).await;
    assert!(!mine.is_empty());
    for i in &mine {
        assert!(
            ["consultation", "message", "callback", "read"].contains(&i["kind"].as_str().unwrap()),
            "{i}"
        );
        assert_eq!(i["data"]["client_id"], ivan_id.as_str(), "{i}");
        assert_ne!(i["data"]["internal"], true, "{i}");
    }
    // A pharmacist: the prescriptions under review, nothing else of the clinic.
    let pia = s
        .anon()
        .login("pia", careline_server::demo::DEMO_PASSWORD)
        .await;
    let (theirs, _) = all(pia).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["kind"], "prescription");
    assert_eq!(theirs[0]["data"]["status"], "submitted");
    let (st, _) = anna.get("/api/v1/snapshot?cursor=99~x").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    s.stop().await;
});

/// Waits for the server to close a socket; the close code, or panics after `secs`.
async fn closed_within(ws: &mut common::Ws, secs: u64) -> u16 {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, ws.stream.next()).await {
            Err(_) => panic!("the socket was still open after {secs} s"),
            Ok(Some(Ok(Message::Close(frame)))) => {
                return frame.map_or(1005, |f| u16::from(f.code))
            }
            Ok(None) | Ok(Some(Err(_))) => return 1006,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

// Revocation reaches open sockets: a blocked client, a disabled operator and a logged-out token
// lose their live stream within seconds (a disabled operator kept receiving every event).
both!(revoked_sessions_lose_their_websockets, |db| async move {
    let s = TestServer::start(db).await;
    let admin = s.staff("boss", Role::Admin).await;
    let anna = s.staff("anna", Role::Operator).await;
    let john = s.staff("john", Role::Operator).await;
    let client = s.client("Blocked Soon", "+10000000077").await;
    let mut client_ws = common::Ws::connect(&client, None).await;
    client_ws.until_live().await;
    let mut anna_ws = common::Ws::connect(&anna, None).await;
    anna_ws.until_live().await;
    let mut john_ws = common::Ws::connect(&john, None).await;
    john_ws.until_live().await;

    let client_id = client.user_id().await;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/clients/{client_id}"),
            Some(json!({ "blocked": true })),
        )
        .await;
    assert_eq!(
        closed_within(&mut client_ws, 10).await,
        4403,
        "blocked: told so"
    );
    let anna_id = anna.user_id().await;
    admin
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/operators/{anna_id}"),
            Some(json!({ "disabled": true })),
        )
        .await;
    assert_eq!(
        closed_within(&mut anna_ws, 10).await,
        4403,
        "disabled: told so"
    );
    john.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(closed_within(&mut john_ws, 10).await, 4401, "logged out");
    s.stop().await;
});

// What staff write about a client stays with staff: the notes of call attempts and the tags on
// a consultation ("difficult") reach no client — not in answers, the sync, the snapshot or the
// live stream — while staff see them everywhere.
both!(staff_only_fields_never_reach_a_client, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let client = s.client("Лев", "+79000000055").await;
    let mut live = Ws::connect(&client, None).await;
    live.until_live().await;
    let id = client.open_consultation("вопрос").await;
    anna.must(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    anna.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/consultations/{id}"),
        Some(json!({ "tags": ["трудный-клиент"] })),
    )
    .await;
    let cb = client
        .must(
            "/api/v1/callbacks",
            json!({"phone": "+79000000055", "reason": "перезвоните"}),
        )
        .await;
    let cb = cb["id"].as_str().unwrap().to_owned();
    anna.must(&format!("/api/v1/callbacks/{cb}/claim"), json!({}))
        .await;
    anna.must(
        &format!("/api/v1/callbacks/{cb}/attempts"),
        json!({"outcome": "no_answer", "note": "грубит-не-брать"}),
    )
    .await;
    // Staff see both.
    let staff_view = format!(
        "{}{}",
        anna.ok(&format!("/api/v1/consultations/{id}")).await,
        anna.ok(&format!("/api/v1/callbacks/{cb}")).await
    );
    assert!(
        staff_view.contains("трудный-клиент") && staff_view.contains("грубит-не-брать"),
        "{staff_view}"
    );
    // The client sees neither, anywhere.
    let mut seen = vec![
        client
            .ok(&format!("/api/v1/consultations/{id}"))
            .await
            .to_string(),
        client.ok("/api/v1/consultations").await.to_string(),
        client
            .ok(&format!("/api/v1/callbacks/{cb}"))
            .await
            .to_string(),
        client.ok("/api/v1/callbacks").await.to_string(),
        client.ok("/api/v1/sync?since=0").await.to_string(),
        client.ok("/api/v1/snapshot").await.to_string(),
    ];
    while let Some(frame) = live.next(Duration::from_millis(800)).await {
        seen.push(frame.to_string());
    }
    for text in &seen {
        assert!(
            !text.contains("трудный-клиент") && !text.contains("грубит-не-брать"),
            "a client saw a staff-only field: {text}"
        );
    }
    assert!(
        seen.iter().any(|t| t.contains("no_answer")),
        "the attempt itself is the client's to see"
    );
    s.stop().await;
});

// Uploads are bounded: a client may upload so much a day (staff are not limited), and uploads
// no message names are deleted — their rows and their files — after their keep time, while an
// attached file stays.
both!(
    uploads_are_bounded_and_unattached_ones_cleaned_up,
    |db| async move {
        let s = common::TestServer::start_with(db, |c| c.client_upload_quota_bytes = 10_000).await;
        let client = s.client("Загрузчик", "+79000000066").await;
        let anna = s.staff("anna", Role::Operator).await;
        let (st, kept) = client
            .upload("scan.bin", "application/octet-stream", &[1; 6_000])
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let (st, b) = client
            .upload("scan.bin", "application/octet-stream", &[2; 6_000])
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
            "over the day's quota: {b}"
        );
        let (st, _) = anna
            .upload("scan.bin", "application/octet-stream", &[3; 20_000])
            .await;
        assert_eq!(st, StatusCode::CREATED, "staff are not limited");
        // One upload is sent in a message; another never is.
        let c = client.open_consultation("анализы").await;
        client
        .must(&format!("/api/v1/consultations/{c}/messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "file", "attachment_id": kept["id"]}))
        .await;
        let (st, lonely) = anna
            .upload("scan.bin", "application/octet-stream", &[4; 500])
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let blob = |sha: &str| s.config.data_dir.join("blobs").join(&sha[..2]).join(sha);
        let lonely_file = blob(lonely["sha256"].as_str().unwrap());
        assert!(lonely_file.exists());
        // Two days pass for the rows and the files; an instance starts its maintenance.
        let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
            .await
            .unwrap();
        sqlx::query("UPDATE attachments SET created_at = created_at - 172800000")
            .execute(&pool)
            .await
            .unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(172_800);
        for f in [&lonely_file, &blob(kept["sha256"].as_str().unwrap())] {
            std::fs::File::options()
                .append(true)
                .open(f)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        careline_server::maintenance::once(&s.state.store, &s.state.blobs, &s.config).await;
        assert!(
            !lonely_file.exists(),
            "the unattached upload's file is gone"
        );
        let (st, _) = anna
            .get(&format!(
                "/api/v1/attachments/{}",
                lonely["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "its row went too");
        let r = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/attachments/{}",
                s.base,
                kept["id"].as_str().unwrap()
            ))
            .bearer_auth(client.token.clone().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "the attached file stays");
        assert_eq!(r.bytes().await.unwrap().len(), 6_000);
        s.stop().await;
    }
);

/// The document describes the API as it behaves, so generated clients and fuzzers work: every
/// query parameter is declared in the query (40 were declared as path parameters), every path
/// parameter appears in its path, and every operation that takes a token lists the 401 it
/// answers without one, every one with input the 400 for a malformed one.
#[test]
fn openapi_declares_parameters_and_statuses_as_the_server_answers() {
    let json = serde_json::to_value(careline_server::api::openapi()).unwrap();
    let mut wrong = Vec::new();
    for (path, ops) in json["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let (name, place) = (p["name"].as_str().unwrap(), p["in"].as_str().unwrap());
                let in_path = path.contains(&format!("{{{name}}}"));
                if (place == "path") != in_path {
                    wrong.push(format!("{method} {path}: {name} declared in {place}"));
                }
            }
            let secured = op
                .get("security")
                .is_none_or(|s| s.as_array().is_some_and(|a| !a.is_empty()));
            let statuses = op["responses"].as_object().unwrap();
            if secured && !statuses.contains_key("401") {
                wrong.push(format!("{method} {path}: no 401"));
            }
            let has_input = op.get("requestBody").is_some()
                || op["parameters"].as_array().is_some_and(|a| !a.is_empty());
            if has_input && !statuses.contains_key("400") {
                wrong.push(format!("{method} {path}: no 400"));
            }
            // What schemathesis found undocumented (tests/fuzz/api.sh): a role's or an
            // account's refusal, an unknown id, a body of the wrong type or against a rule.
            if secured && !statuses.contains_key("403") {
                wrong.push(format!("{method} {path}: no 403"));
            }
            if path.contains('{') && !statuses.contains_key("404") {
                wrong.push(format!("{method} {path}: no 404"));
            }
            for status in ["413", "415", "422"] {
                if op.get("requestBody").is_some() && !statuses.contains_key(status) {
                    wrong.push(format!("{method} {path}: no {status}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

// The right to erasure: an admin erases a client, and nothing of them is left — not in any
// table or the event log (the database's own files are searched), not in the file store — while
// desks learn it from an `erased` event. Only an admin may; the erasure is audited.
both!(an_erased_client_leaves_nothing_behind, |db| async move {
    let s = common::TestServer::start(db).await;
    let admin = s.staff("root", Role::Admin).await;
    let anna = s.staff("anna", Role::Operator).await;
    let client = s.client("Эрик Стираемый", "+79005550123").await;
    let id = client.user_id().await;
    let c = client.open_consultation("мой-диагноз-XYZ").await;
    let up = client
        .must_upload("scan.png", "image/png", b"\x89PNG erase-me-please")
        .await;
    client
        .must(&format!("/api/v1/consultations/{c}/messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "attachment_id": up["id"]}))
        .await;
    anna.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
        .await;
    anna.say(&c, "ответ-врача-XYZ").await;
    let cb = client
        .must(
            "/api/v1/callbacks",
            json!({"phone": "+79005550123", "reason": "перезвоните-XYZ"}),
        )
        .await;
    anna.must(
        &format!("/api/v1/callbacks/{}/claim", cb["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let sha = up["sha256"].as_str().unwrap().to_owned();
    let blob = s.config.data_dir.join("blobs").join(&sha[..2]).join(&sha);
    assert!(blob.exists());

    let (st, _) = anna
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/clients/{id}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "operators may not erase");
    let (st, b) = admin
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/clients/{id}"),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, _) = anna.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!blob.exists(), "the client's file is deleted");
    let events = anna.ok("/api/v1/sync?since=0&limit=5000").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "erased" && e["data"]["client_id"] == id.as_str()),
        "desks are told"
    );
    let audit = admin.ok("/api/v1/audit").await;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "client.erased"));

    // Search the database itself for anything of theirs.
    let secrets = [
        "Эрик Стираемый",
        "+79005550123",
        "мой-диагноз-XYZ",
        "ответ-врача-XYZ",
        "перезвоните-XYZ",
    ];
    let haystack: Vec<u8> = match db {
        common::Db::Sqlite => {
            let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
                .await
                .unwrap();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let mut all = std::fs::read(s.config.data_dir.join("careline.db")).unwrap();
            all.extend(
                std::fs::read(s.config.data_dir.join("careline.db-wal")).unwrap_or_default(),
            );
            all
        }
        common::Db::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", &s.config.database_url])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    };
    for secret in secrets {
        let found = haystack
            .windows(secret.len())
            .any(|w| w == secret.as_bytes());
        assert!(!found, "{secret:?} is still in the database");
    }
    s.stop().await;
});

// Reception corrects a client's phone (their login) and source; the change is audited by field,
// never by value; a phone another client has is refused and changes nothing; a client may not
// change their own.
both!(staff_change_a_clients_phone_and_source, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let admin = s.staff("root", Role::Admin).await;
    let ivan = s.client("Иван", "+7 900 000-11-01").await;
    s.client("Пётр", "+79000001102").await;
    let id = ivan.user_id().await;
    let path = format!("/api/v1/clients/{id}");
    let (st, b) = anna
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"phone": "+7 (900) 000-11-99", "source": "phone"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (b["phone"].as_str(), b["source"].as_str()),
        (Some("+79000001199"), Some("phone"))
    );
    // The new phone logs in; the old one does not.
    let (st, _) = s
        .anon()
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(json!({"login": "+79000001199", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .anon()
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(json!({"login": "+79000001101", "password": common::PASSWORD})),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Another client's phone: refused, nothing changed.
    let (st, b) = anna
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"phone": "+7 900 000-11-02", "city": "Тверь"})),
        )
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists")),
        "{b}"
    );
    let now = admin.ok(&path).await;
    assert_eq!(
        (now["phone"].as_str(), now["city"].as_str()),
        (Some("+79000001199"), None)
    );
    // Not a phone number: refused.
    let (st, _) = anna
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"phone": "call me"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // The client may not.
    let (st, _) = ivan
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"phone": "+79000001177"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Audited: which fields, by whom; the numbers themselves are not in the log.
    let audit = admin
        .ok(&format!(
            "/api/v1/audit?target_id={id}&action=client.updated"
        ))
        .await;
    let details: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["detail"].as_str().unwrap_or(""))
        .collect();
    assert!(details.contains(&"phone,source"), "{details:?}");
    assert!(
        audit.to_string().find("9000001199").is_none(),
        "no phone number in the audit log"
    );
    // By name: who did it and to whom, so the log reads without looking ids up.
    let first = &audit["items"][0];
    assert_eq!(
        (first["actor_name"].as_str(), first["target_name"].as_str()),
        (Some("anna name"), Some("Иван")),
        "{first}"
    );
    let csv = admin
        .text(&format!(
            "/api/v1/audit?target_id={id}&action=client.updated&format=csv"
        ))
        .await;
    assert!(
        csv.starts_with(
            "at,operator_id,action,target_id,detail,remote_addr,operator_name,target_name"
        ),
        "{csv}"
    );
    assert!(csv.contains("anna name,Иван"), "{csv}");
    s.stop().await;
});

// Reception records a walk-in: the record is created once (a duplicate phone is refused naming
// the client, nothing created), a callback request is made for them with the desk's own id,
// every desk hears of both, the creation is audited, a client may not create one, and the
// patient's first registration with that phone claims the record (their data and history stay).
both!(
    reception_creates_a_client_and_a_callback_for_them,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let admin = s.staff("root", Role::Admin).await;
        let mut ws = Ws::connect(&admin, None).await;
        ws.until_live().await;
        let id = uuid::Uuid::now_v7().to_string();
        let (st, c) = anna
        .call(
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({"id": id, "name": "Зинаида Петровна", "phone": "8 (912) 345-67-89", "city": "Тула", "notes": "звонила в регистратуру"})),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        assert_eq!(
            (c["id"].as_str(), c["phone"].as_str(), c["source"].as_str()),
            (Some(id.as_str()), Some("89123456789"), Some("phone"))
        );
        ws.wait_for(|e| e["kind"] == "client" && e["data"]["id"] == id.as_str())
            .await;
        // The same phone written differently: refused, naming who has it; nothing new.
        let (st, b) = anna
            .call(
                reqwest::Method::POST,
                "/api/v1/clients",
                Some(json!({"name": "Зина", "phone": "8-912-345-67-89"})),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists")),
            "{b}"
        );
        assert!(
            b["message"].as_str().unwrap().contains("Зинаида Петровна")
                && b["message"].as_str().unwrap().contains(&id),
            "{b}"
        );
        let found = anna.ok("/api/v1/clients?q=912345").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
        // Bad input: clear errors, nothing created.
        for bad in [
            json!({"name": "", "phone": "+79120000001"}),
            json!({"name": "X", "phone": "позвоните"}),
            json!({"name": "X", "phone": "+79120000001", "birthday": "1.2.1950"}),
        ] {
            let (st, b) = anna
                .call(reqwest::Method::POST, "/api/v1/clients", Some(bad))
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        }
        assert_eq!(
            anna.ok("/api/v1/clients?q=79120000001").await["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        // A callback request for them, with the desk's id; the same id again is refused.
        let cb_id = uuid::Uuid::now_v7().to_string();
        let body = json!({"id": cb_id, "phone": "89123456789", "client_id": id, "reason": "Результаты анализов"});
        let (st, cb) = anna
            .call(
                reqwest::Method::POST,
                "/api/v1/callbacks",
                Some(body.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{cb}");
        assert_eq!(
            (cb["id"].as_str(), cb["client_id"].as_str()),
            (Some(cb_id.as_str()), Some(id.as_str()))
        );
        let (st, b) = anna
            .call(reqwest::Method::POST, "/api/v1/callbacks", Some(body))
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_exists")),
            "{b}"
        );
        // Audited by whom; a client may not create clients.
        let audit = admin
            .ok(&format!(
                "/api/v1/audit?target_id={id}&action=client.created"
            ))
            .await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
        let other = s.client("Пётр", "+79000001102").await;
        let (st, _) = other
            .call(
                reqwest::Method::POST,
                "/api/v1/clients",
                Some(json!({"name": "Y", "phone": "+79120000002"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // No password yet: cannot log in. The patient registers with that phone and the claim code
        // reception hands them, and gets the record.
        let (st, _) = s
            .anon()
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                Some(json!({"login": "89123456789", "password": common::PASSWORD})),
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        let code = anna
            .must(&format!("/api/v1/clients/{id}/claim-code"), json!({}))
            .await["code"]
            .clone();
        let claim = json!({"name": "Зина", "phone": "8 912 345 67 89", "password": common::PASSWORD, "claim_code": code});
        let (st, b) = s
            .anon()
            .call(
                reqwest::Method::POST,
                "/api/v1/clients/register",
                Some(claim.clone()),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let zina = s.anon().with_token(b["token"].as_str().unwrap());
        assert_eq!(zina.user_id().await, id);
        let mine = zina.ok("/api/v1/callbacks").await;
        assert_eq!(
            mine["items"][0]["id"].as_str(),
            Some(cb_id.as_str()),
            "{mine}"
        );
        // Claimed once: the code is spent.
        let (st, _) = s
            .anon()
            .call(
                reqwest::Method::POST,
                "/api/v1/clients/register",
                Some(claim),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        s.stop().await;
    }
);

/// A JPEG of `w` × `h` with an EXIF orientation (6: the camera was turned a quarter clockwise).
fn jpeg_with_orientation(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut plain),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

// An uploaded photo gets a thumbnail, upright by its EXIF orientation and no larger than 480
// px, served to whoever may see the photo; a decompression bomb is refused with the numbers
// and nothing is kept; an "image" that does not decode is kept as a plain file.
both!(
    images_get_upright_thumbnails_and_bombs_are_refused,
    |db| async move {
        let s = TestServer::start(db).await;
        let maria = s.client("Мария", "+79001110001").await;
        let other = s.client("Пётр", "+79001110002").await;
        let anna = s.staff("anna", Role::Operator).await;
        let photo = jpeg_with_orientation(1600, 1200, 6);
        let a = maria.must_upload("rash.jpg", "image/jpeg", &photo).await;
        assert_eq!(
            (a["image"]["width"].as_u64(), a["image"]["height"].as_u64()),
            (Some(1200), Some(1600)),
            "upright: {a}"
        );
        assert_eq!(
            (
                a["image"]["thumb_width"].as_u64(),
                a["image"]["thumb_height"].as_u64()
            ),
            (Some(360), Some(480)),
            "{a}"
        );
        let c = maria.open_consultation("Сыпь на руке, фото").await;
        let m = maria
        .must(&format!("/api/v1/consultations/{c}/messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "image", "attachment_id": a["id"]}))
        .await;
        assert_eq!(
            m["attachment"]["image"], a["image"],
            "the message carries the thumbnail"
        );
        let thumb_path = format!(
            "/api/v1/attachments/{}/thumbnail",
            a["id"].as_str().unwrap()
        );
        for who in [&maria, &anna] {
            let r = who
                .http
                .get(format!("{}{thumb_path}", s.base))
                .bearer_auth(who.token.as_deref().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            let bytes = r.bytes().await.unwrap();
            let t = image::load_from_memory(&bytes).unwrap();
            assert_eq!((t.width(), t.height()), (360, 480));
            assert_eq!(
                bytes.len() as u64,
                a["image"]["thumb_size"].as_u64().unwrap()
            );
        }
        let (st, _) = other.get(&thumb_path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "not someone else's");

        // A bomb: a PNG whose header claims 100000 × 100000 pixels.
        let mut bomb = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::new(1, 1))
            .write_to(
                &mut std::io::Cursor::new(&mut bomb),
                image::ImageFormat::Png,
            )
            .unwrap();
        bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0]);
        let crc = {
            let mut crc = 0xffff_ffffu32;
            for &b in &bomb[12..29] {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xedb8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        };
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let (st, b) = maria.upload("bomb.png", "image/png", &bomb).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(
            b["message"].as_str().unwrap().contains("100000 × 100000"),
            "{b}"
        );
        // Not an image after all: a file without a thumbnail.
        let (st, b) = maria
            .upload("scan.png", "image/png", b"\x89PNG not really")
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        assert!(b.get("image").is_none(), "{b}");
        let (st, e) = maria
            .get(&format!(
                "/api/v1/attachments/{}/thumbnail",
                b["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(
            (st, e["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")),
            "not an image: no thumbnail, but not 'not found'"
        );
        s.stop().await;
    }
);

// Allergies and long-term medication: kept on the record, written by staff or the client
// themselves, checked (a novel is refused and changes nothing), audited by field only.
both!(
    a_clients_allergies_and_medication_are_kept,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let admin = s.staff("root", Role::Admin).await;
        let ivan = s.client("Иван", "+79000002201").await;
        let id = ivan.user_id().await;
        let path = format!("/api/v1/clients/{id}");
        let (st, b) = anna.call(reqwest::Method::PATCH, &path, Some(json!({"allergies": "Пенициллин (крапивница)", "medications": "Лозартан 50 мг"}))).await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(
            (b["allergies"].as_str(), b["medications"].as_str()),
            (Some("Пенициллин (крапивница)"), Some("Лозартан 50 мг"))
        );
        // The client adds to their own; an empty value clears.
        let (st, b) = ivan
            .call(
                reqwest::Method::PATCH,
                &path,
                Some(json!({"allergies": "Пенициллин, орехи", "medications": ""})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        assert_eq!(
            (b["allergies"].as_str(), b["medications"].as_str()),
            (Some("Пенициллин, орехи"), None)
        );
        // Too long: refused, nothing changed.
        let (st, _) = anna
            .call(
                reqwest::Method::PATCH,
                &path,
                Some(json!({"allergies": "я".repeat(2001)})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let now = admin.ok(&path).await;
        assert_eq!(now["allergies"].as_str(), Some("Пенициллин, орехи"));
        // Desks hear of it; the audit names the fields, never the words.
        let events = anna.ok("/api/v1/sync?since=0&limit=5000").await;
        assert!(
            events.to_string().contains("Пенициллин, орехи"),
            "desks get the record"
        );
        let audit = admin
            .ok(&format!(
                "/api/v1/audit?target_id={id}&action=client.updated"
            ))
            .await;
        assert!(
            audit.to_string().contains("allergies,medications")
                && !audit.to_string().contains("Пенициллин"),
            "{audit}"
        );
        s.stop().await;
    }
);
