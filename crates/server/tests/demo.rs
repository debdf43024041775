//! `careline-server demo` fills an empty database with a believable clinic, and refuses a
//! database that already has one; token expiry.

mod common;

use careline_protocol::CallbackFilter;
use careline_protocol::ConsultationFilter;
use careline_protocol::Role;
use common::TestServer;
use reqwest::StatusCode;

both!(demo_fills_a_clinic_once, |db| async move {
    let s = TestServer::start(db).await;
    let printed = careline_server::demo::fill(&s.state.store).await.unwrap();
    assert!(printed.contains("anna") && printed.contains(careline_server::demo::DEMO_PASSWORD));
    // Staff can log in with the printed password; clients with their phone.
    let anna = s
        .anon()
        .login("anna", careline_server::demo::DEMO_PASSWORD)
        .await;
    s.anon()
        .login("+79161234501", careline_server::demo::DEMO_PASSWORD)
        .await;
    let ops = anna.ok("/api/v1/operators").await;
    let roles: Vec<&str> = ops["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "admin").count(), 1);
    assert!(roles.len() >= 4);
    // Names and text in the three languages; history across past consultations.
    let clients = anna.ok("/api/v1/clients?limit=100").await;
    let names: String = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        names.contains("Иван") && names.contains("王芳") && names.contains("Emily"),
        "{names}"
    );
    let store = &s.state.store;
    let anna_id = uuid::Uuid::parse_str(&anna.user_id().await).unwrap();
    let count = |status: &str| {
        let f = ConsultationFilter {
            status: Some(status.into()),
            limit: Some(500),
            ..Default::default()
        };
        async move {
            store
                .list_consultations(&f, anna_id, Role::Operator)
                .await
                .unwrap()
                .items
                .len()
        }
    };
    assert!(count("new").await >= 3, "a queue");
    assert!(count("active").await >= 2, "consultations in work");
    assert!(count("closed").await >= 4, "an archive");
    // Callback requests in every state.
    let actor = careline_server::domain::Actor {
        id: anna_id,
        role: Role::Operator,
    };
    let all = store
        .list_callbacks(
            &CallbackFilter {
                limit: Some(500),
                ..Default::default()
            },
            actor,
        )
        .await
        .unwrap()
        .items;
    for status in careline_protocol::CallbackStatus::ALL {
        assert!(
            all.iter().any(|c| c.status == *status),
            "no callback request is {status}"
        );
    }
    assert_eq!(
        anna.ok("/api/v1/tariffs").await.as_array().unwrap().len(),
        3
    );
    // A second run refuses, and changes nothing.
    let before = store.last_seq().await.unwrap();
    assert!(careline_server::demo::fill(store).await.is_err());
    assert_eq!(store.last_seq().await.unwrap(), before);
    s.stop().await;
});

/// The last `days` days up to now, as a report's query string.
fn period(days: i64) -> String {
    let to = chrono::Utc::now();
    let from = to - chrono::Duration::days(days);
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!("from={}&to={}", iso(from), iso(to))
}

// A manager's first look at the demo's reports shows a clinic at work: six weeks of arrivals
// spread over the clinic's day and week, waits and resolutions with real spreads, clients who
// left, transfers, ratings with comments, callbacks with attempts, the staff's shifts.
both!(the_demo_has_six_weeks_of_history, |db| async move {
    let s = TestServer::start(db).await;
    let printed = careline_server::demo::fill(&s.state.store).await.unwrap();
    assert!(printed.contains("42 days of history"), "{printed}");
    let admin = s
        .anon()
        .login("admin", careline_server::demo::DEMO_PASSWORD)
        .await;
    let r = admin
        .ok(&format!(
            "/api/v1/reports/consultations?{}&group=day",
            period(43)
        ))
        .await;
    let total = &r["total"];
    let arrivals = total["arrivals"].as_i64().unwrap();
    assert!(
        (700..=1500).contains(&arrivals),
        "about thirty a day: {arrivals}"
    );
    // The heatmap: weekdays by hours, busy in clinic hours, empty at night, Monday above Sunday.
    let heat: Vec<Vec<i64>> = serde_json::from_value(r["heatmap"].clone()).unwrap();
    let cells = heat.iter().flatten().filter(|n| **n > 0).count();
    assert!(
        cells >= 70,
        "arrivals fill the clinic's hours: {cells} cells"
    );
    let by_day: Vec<i64> = heat.iter().map(|d| d.iter().sum()).collect();
    assert!(
        by_day[0] > 2 * by_day[6],
        "Mondays are busier than Sundays: {by_day:?}"
    );
    // Every day of the six weeks has arrivals (the buckets are days).
    let empty_days = r["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["figures"]["arrivals"] == 0)
        .count();
    assert!(empty_days <= 2, "{empty_days} days without arrivals");
    // Times with spreads: a median wait of minutes, a long tail, never zero.
    for (figure, lo, hi) in [
        ("time_to_take", 30_000, 10 * 60_000),
        ("first_response", 60_000, 15 * 60_000),
        ("resolution", 5 * 60_000, 60 * 60_000),
    ] {
        let median = total[figure]["median_ms"].as_i64().unwrap();
        let p90 = total[figure]["p90_ms"].as_i64().unwrap();
        assert!((lo..=hi).contains(&median), "{figure}: median {median} ms");
        assert!(
            p90 > 2 * median,
            "{figure}: the 90th percentile {p90} ms is well above the median {median} ms"
        );
    }
    let abandoned = total["abandoned"].as_i64().unwrap();
    assert!(
        abandoned > 0 && abandoned < arrivals / 10,
        "some clients leave: {abandoned}"
    );
    let average = total["rating_average"].as_f64().unwrap();
    assert!(
        total["rated"].as_i64().unwrap() > arrivals / 3 && (3.8..4.8).contains(&average),
        "ratings: {total}"
    );
    // What clients said: comments in their words, not only stars.
    let items = admin
        .ok(&format!(
            "/api/v1/reports/consultations/items?{}&moment=closed&limit=1000",
            period(43)
        ))
        .await;
    let comments: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["rating_comment"].as_str())
        .collect();
    assert!(
        comments.len() > 50 && comments.iter().any(|c| c.contains("ждал")),
        "{} comments",
        comments.len()
    );
    // Transfers and the staff's shifts.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
        .await
        .unwrap();
    let transfers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM consultation_steps WHERE step = 'transferred'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert!(transfers > 10, "{transfers} transfers");
    let ops = admin
        .ok(&format!("/api/v1/reports/operators?{}", period(43)))
        .await;
    for o in ops["operators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] != "Елена Смирнова")
    {
        let online = o["status_ms"]["online"].as_i64().unwrap();
        assert!(
            online > 100 * 3_600_000,
            "{} was online for {online} ms in six weeks",
            o["name"]
        );
        assert!(o["closed"].as_i64().unwrap() > 50, "{}: {o}", o["name"]);
    }
    // Callbacks with attempts: reached at once, after retries, never.
    let cb = admin
        .ok(&format!("/api/v1/reports/callbacks?{}", period(43)))
        .await;
    let t = &cb["total"];
    assert!(
        t["created"].as_i64().unwrap() > 100
            && t["attempts"].as_i64().unwrap() > t["attempted"].as_i64().unwrap(),
        "{t}"
    );
    assert!(
        t["no_answer"].as_i64().unwrap() > 10 && t["reached_first_try"].as_i64().unwrap() > 50,
        "{t}"
    );
    // Last seen: everyone of the staff has a time, from their last shift.
    let staff = admin.ok("/api/v1/operators").await;
    for o in staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["login"] != "admin" && o["role"] != "pharmacist")
    {
        assert!(o["last_seen"].is_string(), "{o}");
    }
    s.stop().await;
});

// The same demo every time: the history comes from a fixed seed. Compared over the history's
// own days (up to today's midnight, the same for both runs), not today's live threads, whose
// minutes are the clock's.
#[tokio::test]
async fn the_demos_history_is_the_same_every_time() {
    let midnight = chrono::Local::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc);
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let history = format!(
        "from={}&to={}",
        iso(midnight - chrono::Duration::days(43)),
        iso(midnight)
    );
    let mut seen = Vec::new();
    for _ in 0..2 {
        let s = TestServer::start(common::Db::Sqlite).await;
        careline_server::demo::fill(&s.state.store).await.unwrap();
        let admin = s
            .anon()
            .login("admin", careline_server::demo::DEMO_PASSWORD)
            .await;
        let r = admin
            .ok(&format!("/api/v1/reports/consultations?{history}"))
            .await;
        let t = &r["total"];
        seen.push((
            t["arrivals"].clone(),
            t["abandoned"].clone(),
            t["rated"].clone(),
            t["time_to_take"]["median_ms"].clone(),
            r["heatmap"].clone(),
        ));
        s.stop().await;
    }
    assert!(
        seen[0].0.as_i64().unwrap_or(0) > 500,
        "the history is there: {:?}",
        seen[0].0
    );
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let s = TestServer::start_with(common::Db::Sqlite, |c| c.token_ttl_hours = 0).await;
    let op = s.staff("anna", Role::Operator).await;
    let (st, b) = op.get("/api/v1/me").await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    s.stop().await;
}

// The pharmacist of the demo has a prescription to review, and sees nothing else of the desk.
both!(
    the_demo_pharmacist_has_a_prescription_to_review,
    |db| async move {
        let s = TestServer::start(db).await;
        careline_server::demo::fill(&s.state.store).await.unwrap();
        let pia = s
            .anon()
            .login("pia", careline_server::demo::DEMO_PASSWORD)
            .await;
        let queue = pia.ok("/api/v1/prescriptions?status=submitted").await;
        assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
        assert_eq!(queue[0]["prescriber_name"], "Анна Петрова");
        let c = queue[0]["consultation_id"].as_str().unwrap();
        assert_eq!(
            pia.get(&format!("/api/v1/consultations/{c}")).await.0,
            reqwest::StatusCode::OK
        );
        assert_eq!(
            pia.get("/api/v1/clients").await.0,
            reqwest::StatusCode::FORBIDDEN
        );
        s.stop().await;
    }
);
