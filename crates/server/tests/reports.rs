//! Reports checked by brute force: several hundred consultations go through real flows (taken,
//! answered, handed back and retaken, transferred, closed without a visible answer, internal
//! and system notes only, rated, left in the queue, a closed one followed by a new one), are
//! spread over two weeks, and every figure of the report is computed again here from the raw
//! history — the client-visible messages, the steps, the rows — and compared, on both engines.

mod common;

use std::collections::HashMap;

use careline_protocol::Role;
use common::{Api, TestServer};
use serde_json::{json, Value};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// What the brute force knows of one consultation after the spreading.
#[derive(Debug, Clone)]
struct Known {
    created: i64,
    first_take: Option<i64>,
    first_visible_answer: Option<i64>,
    closed: Option<i64>,
    rating: Option<i64>,
    operator: Option<String>,
    kind: String,
    tags: Vec<String>,
}

fn ms(v: &Value) -> Option<i64> {
    v.as_str().map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    })
}

fn nearest_rank(mut v: Vec<i64>, p: usize) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let rank = (p * v.len()).div_ceil(100).max(1);
    Some(v[rank - 1])
}

fn duration(v: Vec<i64>) -> Value {
    json!({"count": v.len(), "median_ms": nearest_rank(v.clone(), 50), "p90_ms": nearest_rank(v, 90)})
}

/// The figures of the consultations in `all` for the moments in [from, to).
fn figures(all: &[&Known], from: i64, to: i64) -> Value {
    let inside = |t: Option<i64>| t.filter(|t| *t >= from && *t < to);
    let mut f = json!({});
    f["arrivals"] = json!(all
        .iter()
        .filter(|k| inside(Some(k.created)).is_some())
        .count());
    let taken: Vec<i64> = all
        .iter()
        .filter_map(|k| inside(k.first_take).map(|t| t - k.created))
        .collect();
    f["taken"] = json!(taken.len());
    // The SLA's default thresholds: 5 minutes in the queue, 3 from the take to an answer.
    f["sla_queue_wait_breaches"] = json!(taken.iter().filter(|w| **w > 5 * MIN).count());
    f["sla_first_response_breaches"] = json!(all
        .iter()
        .filter_map(
            |k| inside(k.first_visible_answer).map(|t| t - k.first_take.unwrap_or(k.created))
        )
        .filter(|w| *w > 3 * MIN)
        .count());
    f["time_to_take"] = duration(taken);
    f["first_response"] = duration(
        all.iter()
            .filter_map(|k| inside(k.first_visible_answer).map(|t| t - k.created))
            .collect(),
    );
    let closed: Vec<&&Known> = all.iter().filter(|k| inside(k.closed).is_some()).collect();
    f["closed"] = json!(closed.len());
    f["abandoned"] = json!(closed
        .iter()
        .filter(|k| k.first_visible_answer.is_none())
        .count());
    f["resolution"] = duration(
        closed
            .iter()
            .map(|k| k.closed.unwrap() - k.created)
            .collect(),
    );
    let ratings: Vec<i64> = closed.iter().filter_map(|k| k.rating).collect();
    f["rated"] = json!(ratings.len());
    f["rating_average"] = if ratings.is_empty() {
        Value::Null
    } else {
        json!(ratings.iter().sum::<i64>() as f64 / ratings.len() as f64)
    };
    f
}

fn strip_start(bucket: &Value) -> Value {
    let mut b = bucket.clone();
    b.as_object_mut().unwrap().remove("start");
    b
}

both!(every_figure_matches_a_brute_force_count, |db| async move {
    let s = TestServer::start(db).await;
    let boss = s.staff("boss", Role::Admin).await;
    let ops: Vec<Api> = vec![
        s.staff("anna", Role::Operator).await,
        s.staff("boris", Role::Operator).await,
        s.staff("vera", Role::Operator).await,
    ];
    let mut op_ids = Vec::new();
    for o in &ops {
        let id = o.user_id().await;
        boss.call(
            reqwest::Method::PATCH,
            &format!("/api/v1/operators/{id}"),
            Some(json!({"capacity": 50})),
        )
        .await;
        op_ids.push(id);
    }
    let clients: Vec<Api> = {
        let mut v = Vec::new();
        for i in 0..40 {
            v.push(
                s.client(&format!("Пациент {i}"), &format!("+7900555{i:04}"))
                    .await,
            );
        }
        v
    };

    // Real flows, eight kinds of them, in turn; every client has a few consultations in a row
    // (the next opens after the last closed, or waits for it to close).
    let mut ids = Vec::new();
    for round in 0..6 {
        for (ci, client) in clients.iter().enumerate() {
            let i = round * clients.len() + ci;
            let c = client.open_consultation(&format!("жалоба {i}")).await;
            let (a, b) = (&ops[i % 3], &ops[(i + 1) % 3]);
            let path = |what: &str| format!("/api/v1/consultations/{c}/{what}");
            let case = i % 8;
            if case == 0 {
                // Left in the queue (taken and closed in the clean-up below, but in the last round).
                ids.push(c);
                continue;
            }
            a.must(&path("take"), json!({})).await;
            match case {
                0 | 1 => {
                    a.say(&c, "Здравствуйте, расскажите подробнее").await;
                    client.say(&c, "болит третий день").await;
                    a.must(&path("close"), json!({"summary": "ok"})).await;
                    client
                        .must(&path("rating"), json!({"score": 1 + (i % 5)}))
                        .await;
                }
                2 => {
                    // Only an internal note: abandoned.
                    a.must(&path("messages"), json!({"client_msg_id": uuid::Uuid::now_v7(), "kind": "text", "body": "позвонить", "internal": true})).await;
                    a.must(&path("close"), json!({})).await;
                }
                3 => {
                    // Handed back (a system note), retaken by another, answered there.
                    a.must(&path("release"), json!({})).await;
                    b.must(&path("take"), json!({})).await;
                    b.say(&c, "Я посмотрю ваши анализы").await;
                    b.must(&path("close"), json!({})).await;
                }
                4 => {
                    // Transferred (a system note), answered by the receiver, rated.
                    a.must(
                        &path("transfer"),
                        json!({"operator_id": op_ids[(i + 1) % 3]}),
                    )
                    .await;
                    b.say(&c, "Добрый день").await;
                    b.must(&path("close"), json!({})).await;
                    client.must(&path("rating"), json!({"score": 5})).await;
                }
                5 => {
                    // Answered, still open: closed in the next round's clean-up.
                    a.say(&c, "Минуту").await;
                }
                6 => {
                    // Closed without a word.
                    a.must(&path("close"), json!({})).await;
                }
                _ => {
                    client.say(&c, "ещё вопрос").await;
                    a.say(&c, "Отвечаю").await;
                    a.must(&path("close"), json!({})).await;
                }
            }
            ids.push(c);
        }
        // Close what waits, so each client can open the next (those in the last round stay).
        if round < 5 {
            for (ci, _) in clients.iter().enumerate() {
                let i = round * clients.len() + ci;
                let c = &ids[i];
                let a = &ops[i % 3];
                match i % 8 {
                    0 => {
                        a.must(&format!("/api/v1/consultations/{c}/take"), json!({}))
                            .await;
                        a.must(&format!("/api/v1/consultations/{c}/close"), json!({}))
                            .await;
                    }
                    5 => {
                        a.must(&format!("/api/v1/consultations/{c}/close"), json!({}))
                            .await;
                    }
                    _ => {}
                }
            }
        }
    }
    assert_eq!(ids.len(), 240);

    // Spread over two weeks: each consultation moves back by its own amount, and its creation
    // further back by its own wait, so the durations vary.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    for (i, c) in ids.iter().enumerate() {
        let back = (i as i64 * 83 * MIN) % (14 * DAY) + DAY;
        let wait = (i as i64 * 7919) % (3 * HOUR);
        for sql in [
            "UPDATE consultations SET created_at = created_at - $1, taken_at = taken_at - $1, first_taken_at = first_taken_at - $1, first_response_at = first_response_at - $1, closed_at = closed_at - $1, last_message_at = last_message_at - $1 WHERE id = $2",
            "UPDATE consultation_steps SET at = at - $1 WHERE consultation_id = $2",
            "UPDATE messages SET created_at = created_at - $1 WHERE consultation_id = $2",
        ] {
            sqlx::query(sql).bind(back).bind(c.as_str()).execute(&pool).await.unwrap();
        }
        sqlx::query("UPDATE consultations SET created_at = created_at - $1 WHERE id = $2")
            .bind(wait)
            .bind(c.as_str())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE consultation_steps SET at = at - $1 WHERE consultation_id = $2 AND step = 'created'")
            .bind(wait)
            .bind(c.as_str())
            .execute(&pool)
            .await
            .unwrap();
    }
    // Tags on some.
    for c in ids.iter().step_by(5) {
        boss.call(
            reqwest::Method::PATCH,
            &format!("/api/v1/consultations/{c}"),
            Some(json!({"tags": ["Аллергия"]})),
        )
        .await;
    }

    // The brute force: from the rows, the steps and the messages the client can see.
    let mut known: HashMap<String, Known> = HashMap::new();
    let steps = sqlx::query("SELECT consultation_id, at, step FROM consultation_steps")
        .fetch_all(&pool)
        .await
        .unwrap();
    use sqlx::Row;
    let mut first_take: HashMap<String, i64> = HashMap::new();
    for r in &steps {
        let (c, at, step): (String, i64, String) = (r.get(0), r.get(1), r.get(2));
        if step == "taken" {
            let e = first_take.entry(c).or_insert(at);
            *e = (*e).min(at);
        }
    }
    for (i, c) in ids.iter().enumerate() {
        let row = boss.ok(&format!("/api/v1/consultations/{c}")).await;
        let client = &clients[i % clients.len()];
        let thread = client
            .ok(&format!("/api/v1/consultations/{c}/messages?limit=500"))
            .await;
        let answer = thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["author_kind"] == "operator")
            .filter_map(|m| ms(&m["created_at"]))
            .min();
        known.insert(
            c.clone(),
            Known {
                created: ms(&row["created_at"]).unwrap(),
                first_take: first_take.get(c).copied(),
                first_visible_answer: answer,
                closed: ms(&row["closed_at"]),
                rating: row["rating"].as_i64(),
                operator: row["operator_id"].as_str().map(str::to_owned),
                kind: row["kind"].as_str().unwrap().to_owned(),
                tags: row["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_lowercase())
                    .collect(),
            },
        );
    }
    let all: Vec<&Known> = known.values().collect();
    assert!(
        all.iter()
            .filter(|k| k.closed.is_some() && k.first_visible_answer.is_none())
            .count()
            >= 40,
        "abandoned ones exist"
    );
    assert!(
        all.iter().any(|k| k.first_take.is_none()),
        "some never taken"
    );

    // Day buckets in Moscow time over 16 days; the total; filters; hours and weeks.
    let from = now - 16 * DAY;
    let to = now + HOUR;
    let iso = |t: i64| {
        chrono::DateTime::from_timestamp_millis(t)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let url = |extra: &str| {
        format!(
            "/api/v1/reports/consultations?from={}&to={}{extra}",
            iso(from).replace('+', "%2B"),
            iso(to).replace('+', "%2B")
        )
    };
    let report = boss.ok(&url("&group=day&tz_offset_minutes=180")).await;
    assert_eq!(report["total"], figures(&all, from, to), "the total");
    let buckets = report["buckets"].as_array().unwrap();
    assert!(buckets.len() >= 16);
    for b in buckets {
        let start = ms(&b["start"]).unwrap();
        let local = start + 180 * MIN;
        assert_eq!(local.rem_euclid(DAY), 0, "days start at Moscow's midnight");
        assert_eq!(
            strip_start(b),
            figures(&all, start.max(from), (start + DAY).min(to)),
            "the day of {}",
            b["start"]
        );
    }
    let arrivals: i64 = buckets
        .iter()
        .map(|b| b["arrivals"].as_i64().unwrap())
        .sum();
    assert_eq!(arrivals, 240);
    // The heatmap: each arrival at its Moscow weekday and hour.
    let mut heat = vec![vec![0i64; 24]; 7];
    for k in all.iter().filter(|k| k.created >= from && k.created < to) {
        let local = chrono::DateTime::from_timestamp_millis(k.created + 180 * MIN)
            .unwrap()
            .naive_utc();
        use chrono::{Datelike, Timelike};
        heat[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
    }
    assert_eq!(report["heatmap"], json!(heat));

    // Drill-down: the consultations behind each figure are the ones the brute force counts.
    let items = |extra: &str| {
        url(&format!("&limit=1000{extra}")).replace("consultations?", "consultations/items?")
    };
    for (moment, keep) in [
        (
            "arrived",
            Box::new(|k: &Known| k.created >= from && k.created < to)
                as Box<dyn Fn(&Known) -> bool>,
        ),
        (
            "taken",
            Box::new(|k: &Known| k.first_take.is_some_and(|t| t >= from && t < to)),
        ),
        (
            "answered",
            Box::new(|k: &Known| k.first_visible_answer.is_some_and(|t| t >= from && t < to)),
        ),
        (
            "closed",
            Box::new(|k: &Known| k.closed.is_some_and(|t| t >= from && t < to)),
        ),
        (
            "abandoned",
            Box::new(|k: &Known| {
                k.closed.is_some_and(|t| t >= from && t < to) && k.first_visible_answer.is_none()
            }),
        ),
    ] {
        let got = boss.ok(&items(&format!("&moment={moment}"))).await;
        let mut got: Vec<String> = got["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = known
            .iter()
            .filter(|(_, k)| keep(k))
            .map(|(id, _)| id.clone())
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "the consultations behind {moment}");
    }
    // A heatmap cell's consultations; and each item's times are its own.
    let (wd, hr) = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .max_by_key(|(d, h)| heat[*d][*h])
        .unwrap();
    let cell = boss
        .ok(&items(&format!(
            "&moment=arrived&tz_offset_minutes=180&weekday={wd}&hour={hr}"
        )))
        .await;
    assert_eq!(
        cell["items"].as_array().unwrap().len() as i64,
        heat[wd][hr],
        "the cell of weekday {wd}, {hr} o'clock"
    );
    for i in cell["items"].as_array().unwrap() {
        let k = &known[i["id"].as_str().unwrap()];
        assert_eq!(ms(&i["created_at"]), Some(k.created));
        assert_eq!(
            i["time_to_take_ms"].as_i64(),
            k.first_take.map(|t| t - k.created)
        );
        assert_eq!(i["resolution_ms"].as_i64(), k.closed.map(|t| t - k.created));
    }
    // The limit cuts and says so; the CSV of every consultation alive in the period.
    let cut = boss
        .ok(&items("&moment=arrived").replace("limit=1000", "limit=10"))
        .await;
    assert_eq!(
        (
            cut["items"].as_array().unwrap().len(),
            cut["more"].as_bool()
        ),
        (10, Some(true))
    );
    let csv = boss.text(&items("&moment=any&format=csv")).await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "consultation_id");
    let ids_in_csv: std::collections::HashSet<String> =
        reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(
        ids_in_csv.len(),
        240,
        "one row per consultation alive in the period"
    );
    let (st, _) = ops[0].get(&items("&moment=arrived")).await;
    assert_eq!(
        st,
        reqwest::StatusCode::FORBIDDEN,
        "an operator sees only their own"
    );
    let (st, _) = boss.get(&items("&moment=arrived&weekday=7")).await;
    assert_eq!(st, reqwest::StatusCode::UNPROCESSABLE_ENTITY);

    for (extra, keep) in [
        (
            format!("&operator_id={}", op_ids[1]),
            Box::new(|k: &Known| k.operator.as_deref() == Some(op_ids[1].as_str()))
                as Box<dyn Fn(&Known) -> bool>,
        ),
        (
            "&tag=%D0%B0%D0%BB%D0%BB%D0%B5%D1%80%D0%B3%D0%B8%D1%8F".to_owned(),
            Box::new(|k: &Known| k.tags.iter().any(|t| t == "аллергия")),
        ),
        (
            "&kind=chat".to_owned(),
            Box::new(|k: &Known| k.kind == "chat"),
        ),
        (
            "&kind=video".to_owned(),
            Box::new(|k: &Known| k.kind == "video"),
        ),
    ] {
        let r = boss.ok(&url(&extra)).await;
        let subset: Vec<&Known> = all.iter().copied().filter(|k| keep(k)).collect();
        assert_eq!(
            r["total"],
            figures(&subset, from, to),
            "filtered by {extra}"
        );
    }
    // The operators' table: each row is the brute force of that operator's consultations.
    let table = boss
        .ok(&url("").replace("consultations?", "operators?"))
        .await;
    for row in table["operators"].as_array().unwrap() {
        let id = row["operator_id"].as_str().unwrap();
        let theirs: Vec<&Known> = all
            .iter()
            .copied()
            .filter(|k| k.operator.as_deref() == Some(id))
            .collect();
        let want = figures(&theirs, from, to);
        let got: serde_json::Map<String, Value> = row
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| want.get(k.as_str()).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(Value::Object(got), want, "the row of {}", row["name"]);
        let open = all
            .iter()
            .filter(|k| {
                k.operator.as_deref() == Some(id) && k.closed.is_none() && k.first_take.is_some()
            })
            .count();
        assert_eq!(row["load"], json!(open), "the load of {}", row["name"]);
    }
    assert_eq!(
        table["operators"].as_array().unwrap().len(),
        4,
        "three operators and the admin"
    );

    for (group, len) in [("hour", HOUR), ("week", 7 * DAY)] {
        let r = boss.ok(&url(&format!("&group={group}"))).await;
        for b in r["buckets"].as_array().unwrap() {
            let start = ms(&b["start"]).unwrap();
            assert_eq!(
                strip_start(b),
                figures(&all, start.max(from), (start + len).min(to)),
                "{group} of {}",
                b["start"]
            );
        }
    }

    // CSV: a row per day and the total, the same numbers.
    let csv = reqwest::Client::new()
        .get(format!(
            "{}{}",
            s.base,
            url("&format=csv&tz_offset_minutes=180")
        ))
        .bearer_auth(boss.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), buckets.len() + 2);
    assert!(lines[0].starts_with("bucket_start,arrivals,taken,closed,abandoned,"));
    let last: Vec<&str> = lines.last().unwrap().split(',').collect();
    assert_eq!(last[0], "");
    assert_eq!(last[1], "240");
    assert_eq!(last[3], report["total"]["closed"].to_string());

    // Refused: not an admin, a period the wrong way round or over a year, a time zone off the globe.
    let (st, _) = ops[0].get(&url("")).await;
    assert_eq!(st, 403, "an operator sees only their own figures");
    let own = ops[1]
        .ok(&url(&format!("&operator_id={}", op_ids[1])))
        .await;
    let theirs: Vec<&Known> = all
        .iter()
        .copied()
        .filter(|k| k.operator.as_deref() == Some(op_ids[1].as_str()))
        .collect();
    assert_eq!(own["total"], figures(&theirs, from, to));
    let (st, _) = ops[1]
        .get(&url(&format!("&operator_id={}", op_ids[2])))
        .await;
    assert_eq!(st, 403, "not a colleague's");
    let (st, _) = clients[0]
        .get(&url(&format!("&operator_id={}", op_ids[2])))
        .await;
    assert_eq!(st, 403);
    for bad in [
        format!(
            "/api/v1/reports/consultations?from={}&to={}",
            iso(to).replace('+', "%2B"),
            iso(from).replace('+', "%2B")
        ),
        format!(
            "/api/v1/reports/consultations?from={}&to={}",
            iso(now - 400 * DAY).replace('+', "%2B"),
            iso(now).replace('+', "%2B")
        ),
        url("&tz_offset_minutes=9999"),
    ] {
        let (st, b) = boss.get(&bad).await;
        assert_eq!(st, 422, "{bad}: {b}");
    }
    let (st, b) = boss
        .get("/api/v1/reports/consultations?from=yesterday&to=today")
        .await;
    assert_eq!(st, 400);
    assert!(
        !b.to_string().contains("Failed to deserialize") && b.to_string().contains("RFC 3339"),
        "in the API's own words: {b}"
    );
    // Without a period: the last seven days up to now.
    let week = boss.ok("/api/v1/reports/consultations").await;
    let (f, t) = (ms(&week["from"]).unwrap(), ms(&week["to"]).unwrap());
    assert!(
        (t - now).abs() < 60_000 && t - f == 7 * DAY,
        "{} – {}",
        week["from"],
        week["to"]
    );
    let (st, b) = boss.get("/api/v1/reports/consultations?group=weekly").await;
    assert_eq!(st, 400);
    assert!(
        b["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("a query parameter is not valid"),
        "{b}"
    );
    pool.close().await;
    s.stop().await;
});

// Time in each status: an operator's changes, moved to known moments, summed per status within
// the period (offline before the first change, the last one running to the period's end).
both!(
    time_in_each_status_is_summed_from_the_changes,
    |db| async move {
        let s = TestServer::start(db).await;
        let boss = s.staff("boss", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let anna_id = anna.user_id().await;
        for status in ["online", "away", "online", "busy", "offline", "online"] {
            anna.call(
                reqwest::Method::PUT,
                "/api/v1/me/status",
                Some(json!({"status": status})),
            )
            .await;
        }
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&s.config.effective_database_url())
            .await
            .unwrap();
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT at, status FROM presence_changes WHERE operator_id = $1 ORDER BY at",
        )
        .bind(anna_id.as_str())
        .fetch_all(&pool)
        .await
        .unwrap();
        let statuses: Vec<String> = rows.iter().map(|r| r.get::<String, _>(1)).collect();
        assert_eq!(
            statuses,
            ["online", "away", "online", "busy", "offline", "online"],
            "every change is kept, in order"
        );
        // Move them to t0 + 0, 30, 40, 100, 160, 200 minutes; the period is [t0 - 60 min, t0 + 300 min).
        let t0 = chrono::Utc::now().timestamp_millis() - 10 * HOUR;
        let minutes = [0, 30, 40, 100, 160, 200];
        // (Written again rather than updated: changes made within one millisecond share their time.)
        sqlx::query("DELETE FROM presence_changes WHERE operator_id = $1")
            .bind(anna_id.as_str())
            .execute(&pool)
            .await
            .unwrap();
        for (status, m) in statuses.iter().zip(minutes) {
            sqlx::query(
                "INSERT INTO presence_changes (operator_id, at, status) VALUES ($1, $2, $3)",
            )
            .bind(anna_id.as_str())
            .bind(t0 + m * MIN)
            .bind(status.as_str())
            .execute(&pool)
            .await
            .unwrap();
        }
        let iso = |t: i64| {
            chrono::DateTime::from_timestamp_millis(t)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let (from, to) = (t0 - 60 * MIN, t0 + 300 * MIN);
        let r = boss
            .ok(&format!(
                "/api/v1/reports/operators?from={}&to={}&operator_id={anna_id}",
                iso(from),
                iso(to)
            ))
            .await;
        let row = &r["operators"][0];
        assert_eq!(row["name"], "anna name");
        // offline 60 (before the first change) + 40 (160–200); online 30 + 60 + 100 (200–300); away
        // 10; busy 60: 360 minutes in all, the whole period.
        assert_eq!(
            row["status_ms"],
            json!({"online": 190 * MIN, "away": 10 * MIN, "busy": 60 * MIN, "offline": 100 * MIN})
        );
        // Split by hour of the reader's day: each stretch of a status cut at the hours' bounds.
        let r = boss.ok(&format!("/api/v1/reports/operators?from={}&to={}&operator_id={anna_id}&group=hour&tz_offset_minutes=180", iso(from), iso(to))).await;
        let starts: Vec<i64> = r["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| ms(b).unwrap())
            .collect();
        let stretches = [
            (from, t0, "offline"),
            (t0, t0 + 30 * MIN, "online"),
            (t0 + 30 * MIN, t0 + 40 * MIN, "away"),
            (t0 + 40 * MIN, t0 + 100 * MIN, "online"),
            (t0 + 100 * MIN, t0 + 160 * MIN, "busy"),
            (t0 + 160 * MIN, t0 + 200 * MIN, "offline"),
            (t0 + 200 * MIN, to, "online"),
        ];
        let want: Vec<Value> = starts
            .iter()
            .enumerate()
            .map(|(i, start)| {
                let (a, b) = (
                    (*start).max(from),
                    starts.get(i + 1).copied().unwrap_or(to).min(to),
                );
                let mut v = json!({"online": 0, "away": 0, "busy": 0, "offline": 0});
                for (x, y, status) in stretches {
                    let overlap = (y.min(b) - x.max(a)).max(0);
                    v[status] = json!(v[status].as_i64().unwrap() + overlap);
                }
                v
            })
            .collect();
        assert_eq!(
            r["operators"][0]["status_by_bucket"],
            json!(want),
            "each hour's time in each status"
        );
        assert!(
            starts.iter().all(|s| (s + 180 * MIN).rem_euclid(HOUR) == 0),
            "hours of the reader's day"
        );
        // A period that begins mid-way takes the status in force at its start.
        let r = boss
            .ok(&format!(
                "/api/v1/reports/operators?from={}&to={}&operator_id={anna_id}",
                iso(t0 + 35 * MIN),
                iso(t0 + 45 * MIN)
            ))
            .await;
        assert_eq!(
            r["operators"][0]["status_ms"],
            json!({"online": 5 * MIN, "away": 5 * MIN, "busy": 0, "offline": 0})
        );
        // CSV: a row per operator.
        let csv = boss
            .text(&format!(
                "/api/v1/reports/operators?from={}&to={}&format=csv",
                iso(from),
                iso(to)
            ))
            .await;
        assert!(csv.starts_with("operator_id,name,handled,"));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let anna = reader
            .records()
            .map(|r| r.unwrap())
            .find(|r| r[0] == *anna_id)
            .expect("anna's row");
        assert_eq!(&anna[col("name")], "anna name");
        let times: Vec<i64> = ["online_ms", "away_ms", "busy_ms", "offline_ms"]
            .iter()
            .map(|c| anna[col(c)].parse().unwrap())
            .collect();
        assert_eq!(
            times,
            vec![190 * MIN, 10 * MIN, 60 * MIN, 100 * MIN],
            "{csv}"
        );
        pool.close().await;
        s.stop().await;
    }
);

// Callback requests and billing, each figure worked out by hand from what the test did.
both!(
    callback_and_billing_reports_count_what_happened,
    |db| async move {
        let s = TestServer::start(db).await;
        let boss = s.staff("boss", Role::Admin).await;
        let anna = s.staff("anna", Role::Operator).await;
        let boris = s.staff("boris", Role::Operator).await;
        let chat = boss
            .must(
                "/api/v1/tariffs",
                json!({"name": "Чат с врачом", "kind": "chat", "price": 50_000, "currency": "RUB"}),
            )
            .await;
        boss.must(
            "/api/v1/tariffs",
            json!({"name": "Видео", "kind": "video", "price": 150_000, "currency": "RUB"}),
        )
        .await;
        let path = |c: &str, what: &str| format!("/api/v1/consultations/{c}/{what}");

        // Billed: answered and closed (a chat by anna, a video by boris). Not billed: closed without
        // an answer; answered but still open.
        let c1 = s.client("Клиент 1", "+79001110001").await;
        let id1 = c1.open_consultation("вопрос 1").await;
        anna.must(&path(&id1, "take"), json!({})).await;
        anna.say(&id1, "ответ").await;
        anna.must(&path(&id1, "close"), json!({})).await;
        let c2 = s.client("Клиент 2", "+79001110002").await;
        let id2 = c2.open_consultation("вопрос 2").await;
        anna.must(&path(&id2, "take"), json!({})).await;
        anna.must(&path(&id2, "close"), json!({})).await;
        let c3 = s.client("Клиент 3", "+79001110003").await;
        let id3 = c3
            .must(
                "/api/v1/consultations",
                json!({"kind": "video", "text": "видеосвязь"}),
            )
            .await["consultation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        boris.must(&path(&id3, "take"), json!({})).await;
        boris.say(&id3, "подключаюсь").await;
        boris.must(&path(&id3, "close"), json!({})).await;
        let c4 = s.client("Клиент 4", "+79001110004").await;
        let id4 = c4.open_consultation("вопрос 4").await;
        anna.must(&path(&id4, "take"), json!({})).await;
        anna.say(&id4, "минуту").await;

        // Callbacks: reached at once; reached on the third try; scheduled later; waiting (overdue).
        let cb = |c: &Api, body: Value| {
            let c = c.clone();
            async move {
                c.must("/api/v1/callbacks", body).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let cb1 = cb(&c1, json!({"phone": "+79001110001"})).await;
        let cb2 = cb(&c2, json!({"phone": "+79001110002"})).await;
        let later = chrono::Utc::now() + chrono::Duration::hours(3);
        cb(&c3, json!({"phone": "+79001110003", "preferred_at": later})).await;
        cb(&c4, json!({"phone": "+79001110004"})).await;
        let attempt = |who: &Api, id: &str, outcome: &str| {
            let (who, id, outcome) = (who.clone(), id.to_owned(), outcome.to_owned());
            async move {
                who.must(&format!("/api/v1/callbacks/{id}/claim"), json!({}))
                    .await;
                who.must(
                    &format!("/api/v1/callbacks/{id}/attempts"),
                    json!({"outcome": outcome}),
                )
                .await
            }
        };
        attempt(&anna, &cb1, "reached").await;
        attempt(&anna, &cb2, "no_answer").await;
        attempt(&boris, &cb2, "busy").await;
        let done = attempt(&boris, &cb2, "reached").await;
        assert_eq!(done["status"], "done");

        let from = chrono::Utc::now() - chrono::Duration::hours(1);
        let to = chrono::Utc::now() + chrono::Duration::hours(1);
        let q = format!(
            "from={}&to={}",
            from.to_rfc3339().replace('+', "%2B"),
            to.to_rfc3339().replace('+', "%2B")
        );
        let r = boss.ok(&format!("/api/v1/reports/callbacks?{q}")).await;
        let f = &r["total"];
        assert_eq!(
            [
                &f["created"],
                &f["attempted"],
                &f["reached_first_try"],
                &f["attempts"],
                &f["no_answer"],
                &f["due_hits"],
                &f["finished"],
                &f["overdue_now"]
            ],
            [
                &json!(4),
                &json!(2),
                &json!(1),
                &json!(4),
                &json!(2),
                &json!(2),
                &json!(2),
                &json!(1)
            ],
            "{r}"
        );
        assert_eq!(f["attempts_per_finished"], json!(2.0));
        assert_eq!(f["time_to_first_attempt"]["count"], 2);

        let b = boss.ok(&format!("/api/v1/reports/billing?{q}")).await;
        let rows: Vec<(String, String, i64, i64)> = b["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["tariff_name"].as_str().unwrap_or("").to_owned(),
                    r["operator_name"].as_str().unwrap_or("").to_owned(),
                    r["consultations"].as_i64().unwrap(),
                    r["revenue"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Видео".to_owned(), "boris name".to_owned(), 1, 150_000),
                ("Чат с врачом".to_owned(), "anna name".to_owned(), 1, 50_000)
            ]
        );
        assert_eq!(
            b["totals"],
            json!([{"currency": "RUB", "consultations": 2, "revenue": 200_000, "refunded": 0}])
        );
        assert_eq!(b["rows"][1]["tariff_id"], chat["id"]);
        let csv = boss
            .text(&format!("/api/v1/reports/billing?{q}&format=csv"))
            .await;
        assert_eq!(csv.lines().count(), 3, "{csv}");
        // Admins only; each reading and export is in the audit log, with every consultation action.
        assert_eq!(
            anna.get(&format!("/api/v1/reports/billing?{q}")).await.0,
            reqwest::StatusCode::FORBIDDEN
        );
        assert_eq!(
            anna.get(&format!("/api/v1/reports/callbacks?{q}")).await.0,
            reqwest::StatusCode::FORBIDDEN
        );
        let audit = boss.ok("/api/v1/audit?limit=200").await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        for a in [
            "report.opened",
            "report.exported",
            "consultation.take",
            "consultation.close",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
        let closes = boss
            .ok(&format!(
                "/api/v1/audit?action=consultation.close&operator_id={}",
                boris.user_id().await
            ))
            .await;
        assert_eq!(
            closes["items"].as_array().unwrap().len(),
            1,
            "boris closed one"
        );
        assert_eq!(closes["items"][0]["target_id"], id3.as_str());
        let audit_csv = boss
            .text("/api/v1/audit?action=consultation.&format=csv")
            .await;
        assert!(
            audit_csv.starts_with(
                "at,operator_id,action,target_id,detail,remote_addr,operator_name,target_name\n"
            ),
            "the six columns, then the names"
        );
        assert_eq!(
            audit_csv.lines().count() - 1,
            actions
                .iter()
                .filter(|a| a.starts_with("consultation."))
                .count(),
            "{audit_csv}"
        );
        s.stop().await;
    }
);
