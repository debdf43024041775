//! The supervisor's side: red flags raised by the server on client messages, and automatic
//! assignment (round robin, least loaded) — on SQLite and PostgreSQL, and across two
//! instances on PostgreSQL.

mod common;

use careline_protocol::Role;
use common::{Api, Db, TestServer, Ws};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn consultation(api: &Api, id: &str) -> Value {
    api.ok(&format!("/api/v1/consultations/{id}")).await
}

async fn notes(staff: &Api, id: &str) -> Vec<String> {
    let page = staff
        .ok(&format!("/api/v1/consultations/{id}/messages?limit=200"))
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["internal"] == true)
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn online(api: &Api) {
    let (st, b) = api
        .call(
            Method::PUT,
            "/api/v1/me/status",
            Some(json!({"status": "online"})),
        )
        .await;
    assert!(st.is_success(), "{b}");
}

async fn set_policy(admin: &Api, policy: &str) {
    let (st, b) = admin
        .call(
            Method::PUT,
            "/api/v1/settings",
            Some(json!({"assignment": policy, "sla": {
        "queue_wait_minutes": 5, "first_response_minutes": 3, "unanswered_minutes": 10, "callback_asap_minutes": 15}})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
}

async fn capacity(admin: &Api, op: &Api, n: i64) {
    let id = op.user_id().await;
    let (st, b) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/operators/{id}"),
            Some(json!({"capacity": n})),
        )
        .await;
    assert!(st.is_success(), "{b}");
}

both!(
    a_red_flag_raises_the_consultation_in_three_languages,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        // Russian, in a later message of a waiting consultation (the batch path).
        let ivan = s.client("Иван", "+79000000101").await;
        let c1 = ivan
            .open_consultation("Добрый день, хочу записаться на приём")
            .await;
        assert_eq!(consultation(&anna, &c1).await["priority"], "normal");
        ivan.say(&c1, "И ещё: со вчера давящие боли в груди, отдаёт в руку")
            .await;
        let c = consultation(&anna, &c1).await;
        assert_eq!(
            (c["priority"].as_str(), c["red_flag"].as_str()),
            (Some("urgent"), Some("бол* в груд*")),
            "{c}"
        );
        // The desk is given the client's own words, as written, and the note quotes them (not the
        // rule, which reads like a typo to whoever answers).
        assert_eq!(c["red_flag_words"].as_str(), Some("боли в груди"), "{c}");
        assert!(notes(&anna, &c1)
            .await
            .contains(&"Red flag: «боли в груди»".to_owned()));
        // The client does not see the note.
        let theirs = ivan
            .ok(&format!("/api/v1/consultations/{c1}/messages"))
            .await;
        assert!(theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["internal"] == false));
        // The same rule again raises nothing more.
        ivan.say(&c1, "Боль в груди всё сильнее").await;
        assert_eq!(
            notes(&anna, &c1)
                .await
                .iter()
                .filter(|n| n.starts_with("Red flag"))
                .count(),
            1
        );

        // Chinese, in the first message; English with a near miss first.
        let li = s.client("李娜", "+8613800000102").await;
        let c2 = li.open_consultation("医生您好，我胸痛得厉害").await;
        assert_eq!(consultation(&anna, &c2).await["red_flag"], "胸痛");
        assert_eq!(consultation(&anna, &c2).await["red_flag_words"], "胸痛");
        let risk = s.client("王伟", "+8613800000103").await;
        let c3 = risk.open_consultation("这是中风险的手术吗？").await;
        assert_eq!(
            consultation(&anna, &c3).await["priority"],
            "normal",
            "中风险 (medium risk) is not 中风 (stroke)"
        );
        let tom = s.client("Tom", "+447700900104").await;
        let c4 = tom
            .open_consultation("My chest painting class starts Monday, can I get a sick note?")
            .await;
        assert_eq!(consultation(&anna, &c4).await["priority"], "normal");
        tom.say(&c4, "Also I CAN'T BREATHE when I climb stairs")
            .await;
        assert_eq!(consultation(&anna, &c4).await["red_flag"], "can't breathe");
        assert_eq!(
            consultation(&anna, &c4).await["red_flag_words"],
            "CAN'T BREATHE"
        );

        // Many messages at once (one group commit): the red one is raised, the others are not.
        let mut clients = Vec::new();
        for i in 0..12 {
            let cl = s
                .client(&format!("Клиент {i}"), &format!("+7900000{:04}", 200 + i))
                .await;
            let id = cl.open_consultation("Здравствуйте").await;
            clients.push((cl, id));
        }
        let sends = clients.iter().enumerate().map(|(i, (cl, id))| async move {
            let text = if i == 7 {
                "у ребёнка высокая температура, 39.8".to_owned()
            } else {
                format!("Вопрос про анализы {i}")
            };
            cl.say(id, &text).await;
        });
        futures::future::join_all(sends).await;
        for (i, (_, id)) in clients.iter().enumerate() {
            let c = consultation(&anna, id).await;
            assert_eq!(c["priority"] == "urgent", i == 7, "{i}: {c}");
        }
        // Staff messages and notes never raise one.
        let taken = anna
            .must(&format!("/api/v1/consultations/{c3}/take"), json!({}))
            .await;
        assert_eq!(taken["status"], "active");
        anna.say(&c3, "Если появится боль в груди — звоните 103")
            .await;
        assert_eq!(consultation(&anna, &c3).await["priority"], "normal");
        s.stop().await;
    }
);

both!(
    admins_edit_the_rules_and_bad_ones_change_nothing,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let before = admin
            .ok("/api/v1/red-flags")
            .await
            .as_array()
            .unwrap()
            .len();
        assert!(
            before >= 40,
            "the default rules in three languages: {before}"
        );
        for lang in ["ru", "zh", "en"] {
            assert!(admin
                .ok("/api/v1/red-flags")
                .await
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["language"] == lang));
        }
        // Operators may not read or change them.
        assert_eq!(anna.get("/api/v1/red-flags").await.0, StatusCode::FORBIDDEN);
        let (st, _) = anna
            .post(
                "/api/v1/red-flags",
                json!({"phrase": "anaphyla*", "language": "en"}),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        // Bad phrases are refused with a reason; nothing is stored.
        for bad in ["*", "  ", "an* shock", "pain *chest"] {
            let (st, b) = admin
                .post(
                    "/api/v1/red-flags",
                    json!({"phrase": bad, "language": "en"}),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
            assert!(!b["message"].as_str().unwrap_or("").is_empty());
        }
        assert_eq!(
            admin
                .ok("/api/v1/red-flags")
                .await
                .as_array()
                .unwrap()
                .len(),
            before
        );
        // A new rule applies at once; disabled, it does not; deleted, it is gone.
        let (st, rule) = admin
            .post(
                "/api/v1/red-flags",
                json!({"phrase": "анафилакт* шок*", "language": "ru"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{rule}");
        let id = rule["id"].as_str().unwrap().to_owned();
        let tried = admin
            .must(
                "/api/v1/red-flags/test",
                json!({"text": "Кажется, анафилактический шок у мужа"}),
            )
            .await;
        assert_eq!(tried["fired"], "анафилакт* шок*");
        let (st, _) = admin
            .call(
                Method::PUT,
                &format!("/api/v1/red-flags/{id}"),
                Some(json!({"phrase": "анафилакт* шок*", "language": "ru", "enabled": false})),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        let client = s.client("Ольга", "+79000000301").await;
        let c = client
            .open_consultation("Кажется, анафилактический шок у мужа")
            .await;
        assert_eq!(
            consultation(&anna, &c).await["priority"],
            "normal",
            "a disabled rule does not fire"
        );
        let (st, _) = admin
            .call(Method::DELETE, &format!("/api/v1/red-flags/{id}"), None)
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, _) = admin
            .call(Method::DELETE, &format!("/api/v1/red-flags/{id}"), None)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let audit = admin.ok("/api/v1/audit?limit=50").await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        for a in ["red_flag.create", "red_flag.update", "red_flag.delete"] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        s.stop().await;
    }
);

both!(
    round_robin_and_least_loaded_fill_free_capacity_at_once,
    |db| async move {
        let s = TestServer::start(db).await;
        let admin = s.staff("root", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let boris = s.staff("boris", Role::Operator).await;
        let carol = s.staff("carol", Role::Operator).await;
        capacity(&admin, &anna, 2).await;
        capacity(&admin, &boris, 1).await;
        online(&anna).await;
        online(&boris).await;
        let (st, _) = carol
            .call(
                Method::PUT,
                "/api/v1/me/status",
                Some(json!({"status": "busy"})),
            )
            .await;
        assert!(st.is_success());
        let (anna_id, boris_id) = (anna.user_id().await, boris.user_id().await);

        // Manual (the default): nothing is assigned.
        let mut clients = Vec::new();
        for i in 0..6 {
            clients.push(
                s.client(&format!("Клиент {i}"), &format!("+7900000{:04}", 400 + i))
                    .await,
            );
        }
        let c0 = clients[0].open_consultation("Вопрос 0").await;
        assert_eq!(consultation(&admin, &c0).await["status"], "new");

        // Round robin: the queue is assigned as soon as the policy is set.
        set_policy(&admin, "round_robin").await;
        let c = consultation(&admin, &c0).await;
        assert_eq!(c["status"], "active");
        let first = c["operator_id"].as_str().unwrap().to_owned();
        let c1 = clients[1].open_consultation("Вопрос 1").await;
        let second = consultation(&admin, &c1).await["operator_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(first, second, "in turn");
        // Now boris (capacity 1) is full: the next goes to anna, and the one after waits.
        let c2 = clients[2].open_consultation("Вопрос 2").await;
        assert_eq!(
            consultation(&admin, &c2).await["operator_id"],
            anna_id.as_str()
        );
        let c3 = clients[3].open_consultation("Вопрос 3").await;
        assert_eq!(
            consultation(&admin, &c3).await["status"],
            "new",
            "everyone online is full; carol is busy"
        );
        // A red-flag consultation arrives later but goes first when capacity frees up.
        let c4 = clients[4]
            .open_consultation("Трудно дышать, задыхаюсь")
            .await;
        assert_eq!(consultation(&admin, &c4).await["priority"], "urgent");
        let boris_one = if first == boris_id { &c0 } else { &c1 };
        boris
            .must(
                &format!("/api/v1/consultations/{boris_one}/close"),
                json!({}),
            )
            .await;
        let c = consultation(&admin, &c4).await;
        assert_eq!(
            (c["status"].as_str(), c["operator_id"].as_str()),
            (Some("active"), Some(boris_id.as_str())),
            "the urgent one first"
        );
        assert!(notes(&admin, &c4)
            .await
            .iter()
            .any(|n| n.starts_with("Assigned to boris name automatically")));
        assert_eq!(consultation(&admin, &c3).await["status"], "new");
        // A hand-back does not go back to who handed it back: anna releases c2, and her free place
        // goes to the older c3; c2 waits for someone else.
        anna.must(&format!("/api/v1/consultations/{c2}/release"), json!({}))
            .await;
        assert_eq!(
            consultation(&admin, &c3).await["operator_id"],
            anna_id.as_str()
        );
        assert_eq!(
            consultation(&admin, &c2).await["status"],
            "new",
            "not back to anna, who handed it back"
        );

        // Least loaded: carol comes online with nothing and gets the waiting one.
        set_policy(&admin, "least_loaded").await;
        online(&carol).await;
        assert_eq!(
            consultation(&admin, &c2).await["operator_id"],
            carol.user_id().await.as_str()
        );
        // Away and busy receive nothing; more capacity for an online operator fills at once.
        let c5 = clients[5].open_consultation("Вопрос 5").await;
        let carol_gets = consultation(&admin, &c5).await;
        assert_eq!(
            carol_gets["operator_id"],
            carol.user_id().await.as_str(),
            "carol has 1, anna 2, boris 1 of 1: {carol_gets}"
        );
        s.stop().await;
    }
);

// Two instances on one PostgreSQL: clients arrive through both at once, operators close
// through both at once; every consultation has one take, and no capacity is overrun.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_assign_each_consultation_exactly_once() {
    let a = TestServer::start(Db::Postgres).await;
    let b = a.another_instance().await;
    let admin = a.staff("root", Role::Admin).await;
    let mut ops = Vec::new();
    for i in 0..5 {
        let op = if i % 2 == 0 {
            a.staff(&format!("op{i}"), Role::Operator).await
        } else {
            b.staff(&format!("op{i}"), Role::Operator).await
        };
        capacity(&admin, &op, 2).await;
        online(&op).await;
        ops.push(op);
    }
    set_policy(&admin, "least_loaded").await;
    let mut clients = Vec::new();
    for i in 0..30 {
        let server = if i % 2 == 0 { &a } else { &b };
        clients.push(
            server
                .client(&format!("Клиент {i}"), &format!("+7900000{:04}", 500 + i))
                .await,
        );
    }
    let opened = futures::future::join_all(
        clients
            .iter()
            .enumerate()
            .map(|(i, c)| async move { c.open_consultation(&format!("Вопрос {i}")).await }),
    )
    .await;
    let check = |expect_active: usize| {
        let admin = &admin;
        let opened = &opened;
        async move {
            let mut per_op = std::collections::HashMap::<String, usize>::new();
            let mut active = 0;
            for id in opened {
                let c = consultation(admin, id).await;
                let assigned = notes(admin, id)
                    .await
                    .iter()
                    .filter(|n| n.starts_with("Assigned to"))
                    .count();
                if c["status"] == "active" {
                    active += 1;
                    *per_op
                        .entry(c["operator_id"].as_str().unwrap().to_owned())
                        .or_default() += 1;
                    assert_eq!(assigned, 1, "one assignment of {id}");
                } else if c["status"] == "new" {
                    assert_eq!(
                        assigned, 0,
                        "a waiting consultation was never assigned: {id}"
                    );
                }
            }
            assert!(
                per_op.values().all(|&n| n <= 2),
                "no capacity overrun: {per_op:?}"
            );
            assert_eq!(active, expect_active);
            per_op
        }
    };
    check(10).await;
    // Everyone closes one at once, through both instances: five more are assigned.
    let mine = futures::future::join_all(ops.iter().map(|op| async move {
        let id = op.user_id().await;
        let page = op
            .ok(&format!(
                "/api/v1/consultations?status=active&operator_id={id}"
            ))
            .await;
        (op, page["items"][0]["id"].as_str().unwrap().to_owned())
    }))
    .await;
    futures::future::join_all(mine.iter().map(|(op, id)| async move {
        op.must(&format!("/api/v1/consultations/{id}/close"), json!({}))
            .await
    }))
    .await;
    let per_op = check(10).await;
    assert_eq!(per_op.len(), 5);
    b.stop().await;
    a.stop().await;
}

// Quick replies: the team's come with the server (three languages) and are edited by admins;
// an operator's own are seen and edited by that operator alone, and the event telling desks of
// a change carries no text; bad shortcuts and unknown placeholders are refused.
both!(
    quick_replies_of_the_team_and_of_each_operator,
    |db| async move {
        let s = TestServer::start(db).await;
        let anna = s.staff("anna", Role::Operator).await;
        let li = s.staff("li", Role::Operator).await;
        let admin = s.staff("root", Role::Admin).await;
        let team: Vec<Value> =
            serde_json::from_value(anna.ok("/api/v1/quick-replies").await).unwrap();
        assert_eq!(team.len(), 15, "five team replies in each of ru, zh, en");
        assert!(team
            .iter()
            .any(|r| r["shortcut"] == "体温" && r["language"] == "zh" && r["owner_id"].is_null()));
        let mut ws = Ws::connect(&li, None).await;
        ws.until_live().await;

        let mine = anna
        .must("/api/v1/quick-replies", json!({"shortcut": "анализы", "text": "{client_name}, результаты придут завтра.", "language": "ru", "personal": true}))
        .await;
        let anna_id = anna.user_id().await;
        assert_eq!(mine["owner_id"].as_str(), Some(anna_id.as_str()));
        let seen: Vec<Value> =
            serde_json::from_value(anna.ok("/api/v1/quick-replies").await).unwrap();
        assert_eq!(seen.len(), 16);
        let theirs: Vec<Value> =
            serde_json::from_value(li.ok("/api/v1/quick-replies").await).unwrap();
        assert_eq!(theirs.len(), 15, "a colleague's own replies are not listed");
        let told = ws.wait_for(|e| e["kind"] == "quick_replies").await;
        let event = told
            .iter()
            .rev()
            .find(|e| e["kind"] == "quick_replies")
            .unwrap();
        assert_eq!(
            event["data"],
            json!({"owner_id": anna_id}),
            "only whose replies changed, never their text"
        );

        // The team's: admins only.
        let (st, _) = anna
            .call(
                Method::POST,
                "/api/v1/quick-replies",
                Some(json!({"shortcut": "x", "text": "y"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let shared = admin.must("/api/v1/quick-replies", json!({"shortcut": "запись", "text": "Записать вас к {operator_name}?", "language": null})).await;
        let path = format!("/api/v1/quick-replies/{}", shared["id"].as_str().unwrap());
        let (st, _) = anna
            .call(
                Method::PATCH,
                &path,
                Some(json!({"shortcut": "запись", "text": "изменено"})),
            )
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, b) = admin.call(Method::PATCH, &path, Some(json!({"shortcut": "запись", "text": "Записать вас на приём?", "language": "ru"}))).await;
        assert_eq!(
            (st, b["text"].as_str(), b["language"].as_str()),
            (StatusCode::OK, Some("Записать вас на приём?"), Some("ru")),
            "{b}"
        );
        // Someone else's own reply does not exist for them.
        let anna_path = format!("/api/v1/quick-replies/{}", mine["id"].as_str().unwrap());
        let (st, _) = li.call(Method::DELETE, &anna_path, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = admin
            .call(
                Method::PATCH,
                &anna_path,
                Some(json!({"shortcut": "a", "text": "b"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // Bad input: refused, nothing changed.
        for bad in [
            json!({"shortcut": "два слова", "text": "x", "personal": true}),
            json!({"shortcut": "ok", "text": "Hello {patient}", "personal": true}),
            json!({"shortcut": "ok", "text": "  ", "personal": true}),
        ] {
            let (st, b) = anna
                .call(Method::POST, "/api/v1/quick-replies", Some(bad))
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        }
        let (st, _) = anna.call(Method::DELETE, &anna_path, None).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let seen: Vec<Value> =
            serde_json::from_value(anna.ok("/api/v1/quick-replies").await).unwrap();
        assert_eq!(
            seen.len(),
            16,
            "15 + the admin's, without anna's deleted one"
        );
        s.stop().await;
    }
);
