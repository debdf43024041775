//! Consultations end to end: the state machine, the race, idempotency, threads, internal
//! notes, ratings — on SQLite and on PostgreSQL.

mod common;

use careline_protocol::Role;
use common::TestServer;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn code(b: &Value) -> &str {
    b["code"].as_str().unwrap_or("")
}

both!(lifecycle, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let boris = s.staff("boris", Role::Operator).await;
    let admin = s.staff("root", Role::Admin).await;
    let client = s.client("Иван Соколов", "+7 916 123-45-01").await;

    // Initiate is idempotent on the open consultation.
    let (st, first) = client
        .post(
            "/api/v1/consultations",
            json!({"kind": "chat", "text": "Болит голова"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(first["created"], true);
    assert_eq!(first["consultation"]["status"], "new");
    assert_eq!(first["consultation"]["subject"], "Болит голова");
    let id = first["consultation"]["id"].as_str().unwrap().to_owned();
    let (st, again) = client
        .post("/api/v1/consultations", json!({"kind": "chat"}))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["created"], false);
    assert_eq!(again["consultation"]["id"], id.as_str());

    // In the queue, with one unread message for staff.
    let queue = anna.ok("/api/v1/consultations?status=new&order=asc").await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("in the queue");
    assert_eq!(item["unread"], 1);

    // Refusals before it is taken.
    for action in ["release", "close"] {
        let (st, b) = anna
            .post(&format!("/api/v1/consultations/{id}/{action}"), json!({}))
            .await;
        assert_eq!(
            (st, code(&b)),
            (StatusCode::CONFLICT, "illegal_transition"),
            "{action}"
        );
    }
    let (st, b) = anna
        .post(
            &format!("/api/v1/consultations/{id}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "hi"}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "illegal_transition"));

    // Take; a second take is refused.
    let taken = anna
        .must(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    assert_eq!(taken["status"], "active");
    assert_eq!(taken["operator_id"], anna.user_id().await.as_str());
    let (st, b) = boris
        .post(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "already_taken"));
    // Only the assignee replies; anyone may leave an internal note.
    let (st, b) = boris
        .post(
            &format!("/api/v1/consultations/{id}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "hi"}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "not_assigned"));
    let note = boris
        .must(
            &format!("/api/v1/consultations/{id}/messages"),
            json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "секретная заметка", "internal": true}),
        )
        .await;
    assert_eq!(note["internal"], true);

    let reply = anna.say(&id, "Здравствуйте! Как давно болит?").await;
    assert_eq!(reply["author_kind"], "operator");
    let c = anna.ok(&format!("/api/v1/consultations/{id}")).await;
    assert!(c["first_response_at"].is_string());

    // The client sees the reply, never the note.
    let msgs = client
        .ok(&format!("/api/v1/consultations/{id}/messages"))
        .await;
    let bodies: Vec<&str> = msgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        vec!["Болит голова", "Здравствуйте! Как давно болит?"]
    );
    let staff_view = anna
        .ok(&format!("/api/v1/consultations/{id}/messages"))
        .await;
    assert_eq!(staff_view["items"].as_array().unwrap().len(), 3);
    let client_events = client.all_events().await;
    assert!(
        !serde_json::to_string(&client_events)
            .unwrap()
            .contains("секретная"),
        "an internal note leaked through sync"
    );

    // Delivery receipts: the client's device confirms the reply arrived; the operator's
    // stream learns it; a position never moves back; reading implies delivery.
    let seq = reply["seq"].as_i64().unwrap();
    let d = client
        .must(
            &format!("/api/v1/consultations/{id}/delivered"),
            json!({"seq": seq}),
        )
        .await;
    assert_eq!(
        (d["delivered_seq"].as_i64(), d["seq"].as_i64()),
        (Some(seq), Some(0)),
        "{d}"
    );
    let receipt = |events: Vec<serde_json::Value>| {
        events
            .into_iter()
            .rev()
            .find(|e| e["kind"] == "read" && e["data"]["consultation_id"] == id.as_str())
            .map(|e| e["data"].clone())
    };
    assert_eq!(
        receipt(anna.all_events().await).expect("anna sees the receipt")["delivered_seq"].as_i64(),
        Some(seq)
    );
    let back = client
        .must(
            &format!("/api/v1/consultations/{id}/delivered"),
            json!({"seq": 1}),
        )
        .await;
    assert_eq!(
        back["delivered_seq"].as_i64(),
        Some(seq),
        "a delivery position never moves back"
    );
    let (st, b) = client
        .post(
            &format!("/api/v1/consultations/{id}/delivered"),
            json!({"seq": -1}),
        )
        .await;
    assert_eq!(
        (st, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{b}"
    );

    // Read positions give unread counts.
    let client_list = client.ok("/api/v1/consultations").await;
    assert_eq!(client_list["items"][0]["unread"], 1);
    let r = client
        .must(
            &format!("/api/v1/consultations/{id}/read"),
            json!({"seq": reply["seq"]}),
        )
        .await;
    assert_eq!(
        (r["seq"].as_i64(), r["delivered_seq"].as_i64()),
        (Some(seq), Some(seq))
    );
    let client_list = client.ok("/api/v1/consultations").await;
    assert_eq!(client_list["items"][0]["unread"], 0);

    // Transfer to boris (with a note kept as an internal system message), back to the queue,
    // boris takes it, admin closes it.
    let boris_id = boris.user_id().await;
    let (st, b) = boris
        .post(
            &format!("/api/v1/consultations/{id}/transfer"),
            json!({"operator_id": boris_id}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "not_assigned"));
    let t = anna
        .must(
            &format!("/api/v1/consultations/{id}/transfer"),
            json!({"operator_id": boris_id, "note": "нужен невролог"}),
        )
        .await;
    assert_eq!(t["operator_id"], boris_id.as_str());
    let staff_view = anna
        .ok(&format!("/api/v1/consultations/{id}/messages"))
        .await;
    let last = staff_view["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["kind"].as_str(), last["internal"].as_bool()),
        (Some("system"), Some(true))
    );
    assert!(last["body"].as_str().unwrap().contains("нужен невролог"));
    // Desks learn the new operator from a consultation event, not only from the system note.
    let state_in_events = |events: Vec<serde_json::Value>| {
        events
            .into_iter()
            .rev()
            .find(|e| e["kind"] == "consultation" && e["data"]["id"] == id.as_str())
            .map(|e| e["data"].clone())
            .unwrap()
    };
    assert_eq!(
        state_in_events(boris.all_events().await)["operator_id"],
        boris_id.as_str()
    );
    let (st, b) = anna
        .post(
            &format!("/api/v1/consultations/{id}/transfer"),
            json!({"operator_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}"); // anna is no longer assigned
    let r = boris
        .must(&format!("/api/v1/consultations/{id}/release"), json!({}))
        .await;
    assert_eq!(
        (r["status"].as_str(), r["operator_id"].is_null()),
        (Some("new"), true)
    );
    let handed_back = state_in_events(anna.all_events().await);
    assert_eq!(
        (
            handed_back["status"].as_str(),
            handed_back["operator_id"].is_null()
        ),
        (Some("new"), true)
    );
    boris
        .must(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    let closed = admin
        .must(
            &format!("/api/v1/consultations/{id}/close"),
            json!({"summary": "Головная боль напряжения"}),
        )
        .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["summary"], "Головная боль напряжения");
    let (st, b) = boris
        .post(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "illegal_transition"));

    // Rating: once, 1..5, only by the client.
    let (st, b) = client
        .post(
            &format!("/api/v1/consultations/{id}/rating"),
            json!({"score": 6}),
        )
        .await;
    assert_eq!(
        (st, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (st, _) = anna
        .post(
            &format!("/api/v1/consultations/{id}/rating"),
            json!({"score": 5}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let rated = client
        .must(
            &format!("/api/v1/consultations/{id}/rating"),
            json!({"score": 5, "comment": "Спасибо"}),
        )
        .await;
    assert_eq!(rated["rating"], 5);
    let (st, b) = client
        .post(
            &format!("/api/v1/consultations/{id}/rating"),
            json!({"score": 4}),
        )
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "already_rated"));

    // A message after close starts a new consultation in the same thread.
    let m = client.say(&id, "Снова болит").await;
    let new_id = m["consultation_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    let c2 = client.ok(&format!("/api/v1/consultations/{new_id}")).await;
    assert_eq!(c2["status"], "new");
    assert_eq!(c2["subject"], "Снова болит");
    let old = client.ok(&format!("/api/v1/consultations/{id}")).await;
    assert_eq!(old["status"], "closed");
    let thread = anna
        .ok(&format!(
            "/api/v1/consultations/{new_id}/messages?thread=true"
        ))
        .await;
    let consultations: std::collections::BTreeSet<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["consultation_id"].as_str().unwrap())
        .collect();
    assert_eq!(consultations.len(), 2, "the thread spans both episodes");
    // Archive view.
    let archive = anna.ok("/api/v1/consultations?status=closed").await;
    assert!(archive["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == id.as_str()));
    s.stop().await;
});

both!(take_race_has_one_winner, |db| async move {
    let s = TestServer::start(db).await;
    let mut ops = Vec::new();
    for i in 0..8 {
        ops.push(s.staff(&format!("op{i}"), Role::Operator).await);
    }
    let client = s.client("Race", "+10000000001").await;
    let id = client.open_consultation("who wins?").await;
    let tasks: Vec<_> = ops
        .iter()
        .cloned()
        .map(|op| {
            let id = id.clone();
            tokio::spawn(async move {
                op.post(&format!("/api/v1/consultations/{id}/take"), json!({}))
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    let mut losses = 0;
    for t in tasks {
        let (st, b) = t.await.unwrap();
        match st {
            StatusCode::OK => wins += 1,
            StatusCode::CONFLICT => {
                assert_eq!(code(&b), "already_taken");
                losses += 1
            }
            other => panic!("unexpected {other}: {b}"),
        }
    }
    assert_eq!((wins, losses), (1, 7));
    s.stop().await;
});

both!(messages_are_idempotent, |db| async move {
    let s = TestServer::start(db).await;
    let op = s.staff("anna", Role::Operator).await;
    let client = s.client("Emily", "+447700900001").await;
    let id = client.open_consultation("hello").await;
    let key = uuid::Uuid::now_v7();
    let body = json!({"client_msg_id": key, "kind": "text", "body": "only once"});
    let (st1, a) = client
        .post(
            &format!("/api/v1/consultations/{id}/messages"),
            body.clone(),
        )
        .await;
    let (st2, b) = client
        .post(
            &format!("/api/v1/consultations/{id}/messages"),
            body.clone(),
        )
        .await;
    assert_eq!((st1, st2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["seq"], b["seq"]);
    // Concurrent retries too.
    let key2 = uuid::Uuid::now_v7();
    let body2 = json!({"client_msg_id": key2, "kind": "text", "body": "burst"});
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (c, id, b) = (client.clone(), id.clone(), body2.clone());
            tokio::spawn(async move {
                c.post(&format!("/api/v1/consultations/{id}/messages"), b)
                    .await
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (st, m) = t.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{m}");
        ids.insert(m["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
    let msgs = op.ok(&format!("/api/v1/consultations/{id}/messages")).await;
    let bodies: Vec<&str> = msgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["hello", "only once", "burst"]);
    s.stop().await;
});

both!(lists_filter_and_page, |db| async move {
    let s = TestServer::start(db).await;
    let op = s.staff("anna", Role::Operator).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let c = s
            .client(&format!("Client {i}"), &format!("+1555000000{i}"))
            .await;
        ids.push(c.open_consultation(&format!("question {i}")).await);
    }
    op.must(&format!("/api/v1/consultations/{}/take", ids[2]), json!({}))
        .await;
    let patched = op
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/consultations/{}", ids[3]),
            Some(json!({"priority": "urgent", "tags": ["срочно", " срочно ", "vip"]})),
        )
        .await;
    assert_eq!(patched.0, StatusCode::OK, "{}", patched.1);
    assert_eq!(patched.1["tags"], json!(["срочно", "vip"]));
    // Queue oldest first, paged by 3.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = op
            .ok(&format!(
                "/api/v1/consultations?status=new&order=asc&limit=3{cursor}"
            ))
            .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(seen, expected);
    let urgent = op.ok("/api/v1/consultations?priority=urgent").await;
    assert_eq!(urgent["items"].as_array().unwrap().len(), 1);
    let tagged = op
        .ok("/api/v1/consultations?tag=%D1%81%D1%80%D0%BE%D1%87%D0%BD%D0%BE")
        .await;
    assert_eq!(tagged["items"][0]["id"], ids[3].as_str());
    let mine = op
        .ok(&format!(
            "/api/v1/consultations?status=active&operator_id={}",
            op.user_id().await
        ))
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let unread = op.ok("/api/v1/consultations?unread=true").await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 7);
    let (st, b) = op.get("/api/v1/consultations?status=bogus").await;
    assert_eq!((st, code(&b)), (StatusCode::BAD_REQUEST, "bad_request"));
    let (st, _) = op.get("/api/v1/consultations?limit=100000").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    s.stop().await;
});

both!(capacity_is_enforced, |db| async move {
    let s = TestServer::start_with(db, |c| c.default_capacity = 2).await;
    let op = s.staff("anna", Role::Operator).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = s.client(&format!("C{i}"), &format!("+1666000000{i}")).await;
        ids.push(c.open_consultation("q").await);
    }
    op.must(&format!("/api/v1/consultations/{}/take", ids[0]), json!({}))
        .await;
    op.must(&format!("/api/v1/consultations/{}/take", ids[1]), json!({}))
        .await;
    let (st, b) = op
        .post(&format!("/api/v1/consultations/{}/take", ids[2]), json!({}))
        .await;
    assert_eq!((st, code(&b)), (StatusCode::CONFLICT, "capacity_reached"));
    let ops = op.ok("/api/v1/operators").await;
    assert_eq!(ops["items"][0]["active_count"], 2);
    s.stop().await;
});

both!(idempotency_keys_replay_the_first_answer, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let boris = s.staff("boris", Role::Operator).await;
    let client = s.client("Key", "+10000000001").await;
    let id = client.open_consultation("q").await;
    let take = |api: &common::Api, key: &str| {
        api.http
            .post(format!("{}/api/v1/consultations/{id}/take", api.base))
            .bearer_auth(api.token.clone().unwrap())
            .header("idempotency-key", key.to_owned())
            .send()
    };
    let first = take(&anna, "op-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let before = s.state.store.last_seq().await.unwrap();
    let again = take(&anna, "op-1").await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "a retry gets the first answer, not a conflict"
    );
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        s.state.store.last_seq().await.unwrap(),
        before,
        "and changes nothing"
    );
    // Keys are per user; another user's same key is a new request.
    let other = take(&boris, "op-1").await.unwrap();
    assert_eq!(other.status(), StatusCode::CONFLICT);
    // A key names one request: the same key on another endpoint is another request, done
    // (it replayed the take's answer and skipped the close before).
    let close = anna
        .http
        .post(format!("{}/api/v1/consultations/{id}/close", anna.base))
        .bearer_auth(anna.token.clone().unwrap())
        .header("idempotency-key", "op-1")
        .json(&json!({ "summary": "done" }))
        .send()
        .await
        .unwrap();
    assert_eq!(close.status(), StatusCode::OK);
    assert!(
        close.headers().get("idempotent-replay").is_none(),
        "not a replay"
    );
    assert_eq!(close.json::<Value>().await.unwrap()["status"], "closed");
    s.stop().await;
});

// Remembered answers are kept for `idempotency_keep_hours` and then pruned by the server's
// maintenance (at start and hourly), so the table does not grow for ever.
both!(
    idempotent_answers_are_pruned_after_their_keep_time,
    |db| async move {
        let s = TestServer::start_with(db, |c| {
            c.idempotency_keep_hours = 24;
            if c.database_url.is_empty() {
                c.database_url = format!("sqlite://{}", c.data_dir.join("careline.db").display());
            }
        })
        .await;
        let anna = s.staff("anna", Role::Operator).await;
        let client = s.client("Keys", "+10000000002").await;
        let old = client.open_consultation("old").await;
        let take = |api: &common::Api, id: String, key: &str| {
            api.http
                .post(format!("{}/api/v1/consultations/{id}/take", api.base))
                .bearer_auth(api.token.clone().unwrap())
                .header("idempotency-key", key.to_owned())
                .send()
        };
        assert_eq!(
            take(&anna, old.clone(), "kept-a-day")
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
            .await
            .unwrap();
        let count = || async {
            sqlx::query("SELECT COUNT(*) FROM idempotency")
                .fetch_one(&pool)
                .await
                .map(|r| sqlx::Row::get::<i64, _>(&r, 0))
                .unwrap()
        };
        assert_eq!(count().await, 1);
        // A day and an hour pass (the row is made older), and an instance starts its maintenance.
        sqlx::query("UPDATE idempotency SET created_at = created_at - 90000000")
            .execute(&pool)
            .await
            .unwrap();
        let second = s.another_instance().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while count().await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "answers older than the keep time were not pruned"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        second.stop().await;
        s.stop().await;
    }
);

// A client's app that sends "initiate" twice at once (a double tap, a retry on a slow
// network) gets one consultation from both calls: the loser of the race is answered with the
// open consultation, never 409.
both!(
    initiate_race_answers_the_open_consultation,
    |db| async move {
        let s = TestServer::start(db).await;
        let client = s.client("Double Tap", "+10000000003").await;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .post(
                            "/api/v1/consultations",
                            json!({ "kind": "chat", "text": format!("tap {i}") }),
                        )
                        .await
                })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        let mut created = 0;
        for t in tasks {
            let (st, b) = t.await.unwrap();
            assert!(st.is_success(), "{st}: {b}");
            ids.insert(b["consultation"]["id"].as_str().unwrap().to_owned());
            created += usize::from(b["created"] == true);
        }
        assert_eq!(
            (ids.len(), created),
            (1, 1),
            "one consultation, created once"
        );
        s.stop().await;
    }
);

// VIP and blocked are set by an administrator only (the desk shows those switches to admins
// alone); operators still edit notes and tags.
both!(only_admins_set_vip_and_blocked, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let boss = s.staff("boss", Role::Admin).await;
    let client = s.client("Very Important", "+10000000004").await;
    let id = client.user_id().await;
    let path = format!("/api/v1/clients/{id}");
    for change in [json!({ "vip": true }), json!({ "blocked": true })] {
        let (st, b) = anna
            .call(reqwest::Method::PATCH, &path, Some(change.clone()))
            .await;
        assert_eq!(
            (st, code(&b)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{change}"
        );
    }
    let (st, b) = anna
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "notes": "prefers mornings", "tags": ["diabetes"] })),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        (b["vip"].as_bool(), b["blocked"].as_bool()),
        (Some(false), Some(false)),
        "nothing else changed"
    );
    let (st, b) = boss
        .call(reqwest::Method::PATCH, &path, Some(json!({ "vip": true })))
        .await;
    assert_eq!((st, b["vip"].as_bool()), (StatusCode::OK, Some(true)));
    // Blocked by an admin: the client's app is told so, not "log in again"; unblocking does
    // not bring the old session back.
    let (st, _) = boss
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "blocked": true })),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = client.get("/api/v1/me").await;
    assert_eq!((st, code(&b)), (StatusCode::FORBIDDEN, "account_disabled"));
    let (st, _) = boss
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "blocked": false })),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, b) = client.get("/api/v1/me").await;
    assert_eq!((st, code(&b)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    s.stop().await;
});

// A consultation's tags are bounded before anything else is done with them: 60,000 tags were
// deduplicated pairwise first (14 s of one core, two requests froze the server) and refused only
// then. The refusal comes at once.
both!(too_many_tags_are_refused_at_once, |db| async move {
    let s = TestServer::start(db).await;
    let anna = s.staff("anna", Role::Operator).await;
    let client = s.client("Tags", "+10000000009").await;
    let id = client.open_consultation("q").await;
    anna.must(&format!("/api/v1/consultations/{id}/take"), json!({}))
        .await;
    let tags: Vec<String> = (0..60_000).map(|i| format!("tag{i}")).collect();
    let started = std::time::Instant::now();
    let (st, b) = anna
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/consultations/{id}"),
            Some(json!({ "tags": tags })),
        )
        .await;
    assert_eq!(
        (st, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{b}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "refused after {:?}",
        started.elapsed()
    );
    s.stop().await;
});

// An admin assigns a queued consultation to a chosen operator; the receiver's capacity holds
// for assignments and transfers alike unless an admin goes past it; only admins do either.
both!(
    an_admin_assigns_within_capacity_unless_overriding,
    |db| async move {
        let s = TestServer::start(db).await;
        let boss = s.staff("boss", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let boris = s.staff("boris", Role::Operator).await;
        let (anna_id, boris_id) = (anna.user_id().await, boris.user_id().await);
        boss.call(
            reqwest::Method::PATCH,
            &format!("/api/v1/operators/{anna_id}"),
            Some(json!({"capacity": 1})),
        )
        .await;
        let c1 = s.client("Первый", "+79005550001").await;
        let c2 = s.client("Второй", "+79005550002").await;
        let (id1, id2) = (
            c1.open_consultation("первый вопрос").await,
            c2.open_consultation("второй вопрос").await,
        );

        let (st, b) = boris
            .post(
                &format!("/api/v1/consultations/{id1}/assign"),
                json!({"operator_id": anna_id}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "operators do not assign"
        );
        let c = boss
            .must(
                &format!("/api/v1/consultations/{id1}/assign"),
                json!({"operator_id": anna_id, "note": "срочно"}),
            )
            .await;
        assert_eq!(
            (c["status"].as_str(), c["operator_id"].as_str()),
            (Some("active"), Some(anna_id.as_str()))
        );
        assert!(c["taken_at"].is_string(), "an assignment is the take");
        let (st, b) = boss
            .post(
                &format!("/api/v1/consultations/{id1}/assign"),
                json!({"operator_id": boris_id}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_taken"))
        );
        // The thread says so to staff, not to the client.
        let staff_view = anna
            .ok(&format!("/api/v1/consultations/{id1}/messages"))
            .await;
        assert!(staff_view["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"]
                .as_str()
                .unwrap()
                .starts_with("Assigned to anna name: срочно")
                && m["internal"] == true));
        let client_view = c1
            .ok(&format!("/api/v1/consultations/{id1}/messages"))
            .await;
        assert!(client_view["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m["body"].as_str().unwrap().contains("Assigned")));

        // Anna is full (1 of 1): an assignment to her is refused, unless the admin overrides it.
        let (st, b) = boss
            .post(
                &format!("/api/v1/consultations/{id2}/assign"),
                json!({"operator_id": anna_id}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("capacity_reached")),
            "{b}"
        );
        boss.must(
            &format!("/api/v1/consultations/{id2}/assign"),
            json!({"operator_id": boris_id}),
        )
        .await;
        // A transfer to a full operator: refused for boris, his to ask; an admin may go past it.
        let (st, b) = boris
            .post(
                &format!("/api/v1/consultations/{id2}/transfer"),
                json!({"operator_id": anna_id}),
            )
            .await;
        assert_eq!(
            (st, b["code"].as_str()),
            (StatusCode::CONFLICT, Some("capacity_reached")),
            "{b}"
        );
        let (st, _) = boris
            .post(
                &format!("/api/v1/consultations/{id2}/transfer"),
                json!({"operator_id": anna_id, "over_capacity": true}),
            )
            .await;
        assert_eq!(
            st,
            StatusCode::FORBIDDEN,
            "only an admin goes past a capacity"
        );
        let t = boss
            .must(
                &format!("/api/v1/consultations/{id2}/transfer"),
                json!({"operator_id": anna_id, "over_capacity": true}),
            )
            .await;
        assert_eq!(t["operator_id"].as_str(), Some(anna_id.as_str()));

        // The reports count the assignment as the take.
        let from = (chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let to = (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let r = boss
            .ok(&format!(
                "/api/v1/reports/consultations?from={from}&to={to}"
            ))
            .await;
        assert_eq!(r["total"]["taken"], 2);
        s.stop().await;
    }
);
