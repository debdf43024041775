//! Times the reports over a clinic's month (the target: a 30-day report over 100,000
//! consultations and 1,000,000 messages in under 300 ms): the store's answer for
//! `GET /api/v1/reports/consultations` (days) and `/operators`, and the whole fetch as the desk
//! makes it (HTTP on a loopback port, the JSON decoded into the protocol's types), each the
//! median of 11, on an embedded SQLite database filled directly (rows as the server writes
//! them).
//!
//!   cargo run --release -p careline-server --example report_bench -- [CONSULTATIONS]   (default 100000)

use std::time::{Duration, Instant};

use careline_protocol::{ReportGroup, ReportQuery};
use careline_server::{AppState, Config};

const MIN: i64 = 60_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::start(Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    })
    .await
    .unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&state.config.effective_database_url())
        .await
        .unwrap();
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&pool)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let operators: Vec<String> = (0..20)
        .map(|i| uuid::Uuid::from_u128(0xA000 + i).to_string())
        .collect();
    for (i, o) in operators.iter().enumerate() {
        sqlx::query("INSERT INTO operators (id, login, name, password_hash, role, capacity, status, disabled, created_at) VALUES ($1, $2, $3, 'x', 'operator', 5, 'offline', 0, $4)")
            .bind(o.as_str())
            .bind(format!("op{i}"))
            .bind(format!("Оператор {i}"))
            .bind(now)
            .execute(&pool)
            .await
            .unwrap();
    }
    let t = Instant::now();
    let mut seq = 0i64;
    for chunk in 0..(n / 1000) {
        let mut tx = pool.begin().await.unwrap();
        for k in 0..1000 {
            let i = chunk * 1000 + k;
            let id = uuid::Uuid::from_u128(0x1_0000_0000 + i as u128).to_string();
            let client = uuid::Uuid::from_u128(0x2_0000_0000 + (i % 10_000) as u128).to_string();
            let created = now - 30 * 24 * 60 * MIN + (i * 30 * 24 * 60 / n) * MIN;
            let (taken, answered, closed) = (
                created + (i % 17) * MIN,
                created + (i % 23 + 1) * MIN,
                created + (i % 97 + 30) * MIN,
            );
            let op = &operators[(i % 20) as usize];
            sqlx::query(
                "INSERT INTO consultations (id, client_id, kind, status, operator_id, priority, tags, price, currency, created_at, taken_at, first_taken_at, first_response_at, closed_at, rating) \
                 VALUES ($1, $2, 'chat', 'closed', $3, 'normal', '[]', 0, 'RUB', $4, $5, $5, $6, $7, $8)",
            )
            .bind(id.as_str())
            .bind(client.as_str())
            .bind(op.as_str())
            .bind(created)
            .bind(taken)
            .bind(if i % 9 == 0 { None } else { Some(answered) })
            .bind(closed)
            .bind(if i % 3 == 0 { Some(1 + i % 5) } else { None })
            .execute(&mut *tx)
            .await
            .unwrap();
            for (at, step) in [(created, "created"), (taken, "taken"), (closed, "closed")] {
                sqlx::query("INSERT INTO consultation_steps (consultation_id, at, step, operator_id) VALUES ($1, $2, $3, $4)")
                    .bind(id.as_str())
                    .bind(at)
                    .bind(step)
                    .bind(op.as_str())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            for m in 0..10 {
                seq += 1;
                sqlx::query(
                    "INSERT INTO messages (id, consultation_id, client_id, author_kind, kind, body, internal, created_at, seq) VALUES ($1, $2, $3, $4, 'text', $5, 0, $6, $7)",
                )
                .bind(uuid::Uuid::from_u128(0x3_0000_0000 + seq as u128).to_string())
                .bind(id.as_str())
                .bind(client.as_str())
                .bind(if m % 2 == 0 { "client" } else { "operator" })
                .bind("Здравствуйте, у меня третий день температура 38, что принять?")
                .bind(created + m * MIN)
                .bind(seq)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    eprintln!(
        "filled {n} consultations, {seq} messages in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let q = ReportQuery {
        from: chrono::DateTime::from_timestamp_millis(now - 30 * 24 * 60 * MIN).unwrap(),
        to: chrono::DateTime::from_timestamp_millis(now + MIN).unwrap(),
        group: Some(ReportGroup::Day),
        tz_offset_minutes: Some(180),
        operator_id: None,
        kind: None,
        priority: None,
        tag: None,
        format: None,
    };
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let mut times = Vec::new();
    let mut arrivals = 0;
    for _ in 0..11 {
        let t = Instant::now();
        arrivals = state
            .store
            .consultation_report(&q)
            .await
            .unwrap()
            .total
            .arrivals;
        times.push(t.elapsed());
    }
    let consultations = median(times);
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        state.store.operator_report(&q).await.unwrap();
        times.push(t.elapsed());
    }
    let operators = median(times);

    // As the desk fetches it: an admin's session, HTTP, the JSON decoded.
    let hash = careline_server::passwords::hash_password("bench-password-1".into())
        .await
        .unwrap();
    let admin = careline_protocol::CreateOperatorRequest {
        login: "bench-admin".into(),
        password: String::new(),
        name: "Bench".into(),
        role: careline_protocol::Role::Admin,
        department: None,
        capacity: None,
    };
    state
        .store
        .create_operator(&admin, hash, None)
        .await
        .unwrap();
    let server =
        careline_server::testing::serve_at(&state, careline_server::testing::free_addr()).await;
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&serde_json::json!({"login": "bench-admin", "password": "bench-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let r: careline_protocol::ConsultationReport = http
            .get(format!("{}/api/v1/reports/consultations", server.url))
            .query(&q)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r.total.arrivals, arrivals);
        times.push(t.elapsed());
    }
    let fetched = median(times);
    server.stop().await;
    println!(
        "{}",
        serde_json::json!({"bench": "reports", "consultations": n, "messages": seq, "arrivals_counted": arrivals,
            "consultation_report_30_days_median_ms": consultations, "operator_report_30_days_median_ms": operators,
            "consultation_report_over_http_median_ms": fetched})
    );
}
