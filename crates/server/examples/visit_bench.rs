//! Times booked visits (the target: a month of a specialist's free slots in under 20 ms):
//! the free slots of one specialist over 30 days (weekdays 09:00–18:00, video visits of 30
//! minutes, 200 visits already booked in the month), as the store answers `GET /api/v1/slots`,
//! the median of 21; and booking throughput: 1,000 bookings of distinct slots of 10
//! specialists, 16 at a time, through the store (each one the whole transaction: the lock, the
//! checks, the visit's consultation, the events).
//!
//!   cargo run --release -p careline-server --example visit_bench              (SQLite)
//!   CARELINE_BENCH_DATABASE_URL=postgres://… cargo run --release -p careline-server --example visit_bench

use std::sync::Arc;
use std::time::{Duration, Instant};

use careline_protocol::{
    BookRequest, ConsultationKind, RegisterRequest, Role, ScheduleRequest, SlotQuery, WorkingHours,
};
use careline_server::domain::Actor;
use careline_server::{AppState, Config};
use chrono::Utc;

fn weekdays() -> ScheduleRequest {
    ScheduleRequest {
        time_zone: "Europe/Moscow".into(),
        specialties: vec!["therapist".into()],
        languages: vec!["ru".into()],
        weekly: (1..=5)
            .map(|d| WorkingHours {
                weekday: d,
                from: "09:00".into(),
                to: "18:00".into(),
            })
            .collect(),
        exceptions: Vec::new(),
        visit_minutes: None,
        bookable: true,
    }
}

/// A member of staff made in the store (the bench logs nobody in).
async fn staff(
    store: &careline_server::store::Store,
    login: &str,
    name: &str,
    role: Role,
) -> uuid::Uuid {
    let req = careline_protocol::CreateOperatorRequest {
        login: login.into(),
        password: String::new(),
        name: name.into(),
        role,
        department: None,
        capacity: None,
    };
    store
        .create_operator(&req, "x".into(), None)
        .await
        .unwrap()
        .id
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    if let Ok(url) = std::env::var("CARELINE_BENCH_DATABASE_URL") {
        config.database_url = url;
    }
    let state = AppState::start(config).await.unwrap();
    let store = &state.store;
    let admin = staff(store, "bench-admin", "Admin", Role::Admin).await;
    let admin = Actor {
        id: admin,
        role: Role::Admin,
    };
    let mut doctors = Vec::new();
    for i in 0..10 {
        let d = staff(
            store,
            &format!("dr{i}"),
            &format!("Доктор {i}"),
            Role::Operator,
        )
        .await;
        store
            .set_schedule(d, &weekdays(), admin, None)
            .await
            .unwrap();
        doctors.push(d);
    }
    let mut clients = Vec::new();
    for i in 0..1200 {
        let c = store
            .register_client(
                &RegisterRequest {
                    name: format!("Пациент {i}"),
                    phone: format!("+7900{:07}", i),
                    password: "unused-password".into(),
                    email: None,
                    source: None,
                    claim_code: None,
                    consents: Vec::new(),
                },
                "x".into(),
            )
            .await
            .unwrap();
        clients.push(c.id);
    }
    let month = |operator| SlotQuery {
        kind: ConsultationKind::Video,
        specialty: None,
        operator_id: Some(operator),
        language: None,
        from: Some(Utc::now()),
        to: Some(Utc::now() + chrono::Duration::days(30)),
    };
    let all = store.free_slots(&month(doctors[0]), admin).await.unwrap();
    // 200 visits of the first specialist spread over the month.
    let step = (all.len() / 200).max(1);
    for (k, slot) in all.iter().step_by(step).take(200).enumerate() {
        store
            .book(
                &BookRequest {
                    operator_id: doctors[0],
                    kind: ConsultationKind::Video,
                    starts_at: slot.starts_at,
                    client_id: Some(clients[k]),
                    reason: None,
                },
                admin,
                None,
            )
            .await
            .unwrap();
    }
    let mut times = Vec::new();
    let mut free = 0;
    for _ in 0..21 {
        let t = Instant::now();
        free = store
            .free_slots(&month(doctors[0]), admin)
            .await
            .unwrap()
            .len();
        times.push(t.elapsed());
    }
    println!(
        "a month of one specialist's free video slots ({free} free of {}, 200 booked): median {:.2} ms (min {:.2}, max {:.2})",
        all.len(),
        median(times.clone()).as_secs_f64() * 1000.0,
        times.iter().min().unwrap().as_secs_f64() * 1000.0,
        times.iter().max().unwrap().as_secs_f64() * 1000.0
    );

    // Booking throughput: 1,000 distinct slots of the other nine specialists, 16 at a time.
    let mut wanted = Vec::new();
    for d in &doctors[1..] {
        let slots = store.free_slots(&month(*d), admin).await.unwrap();
        wanted.extend(slots.into_iter().take(112).map(|s| (*d, s.starts_at)));
    }
    wanted.truncate(1000);
    let n = wanted.len();
    let jobs = Arc::new(tokio::sync::Mutex::new(
        wanted
            .into_iter()
            .zip(clients[200..].to_vec())
            .collect::<Vec<_>>()
            .into_iter(),
    ));
    let t = Instant::now();
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let jobs = jobs.clone();
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    let next = jobs.lock().await.next();
                    let Some(((operator_id, starts_at), client)) = next else {
                        break;
                    };
                    state
                        .store
                        .book(
                            &BookRequest {
                                operator_id,
                                kind: ConsultationKind::Video,
                                starts_at,
                                client_id: Some(client),
                                reason: Some("a bench visit".into()),
                            },
                            admin,
                            None,
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let took = t.elapsed();
    println!(
        "booking: {n} visits, 16 at a time, in {:.2} s: {:.0} bookings/s ({})",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        state.store.backend_name()
    );
}
