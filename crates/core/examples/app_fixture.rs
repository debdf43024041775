//! Writes a desk cache of N messages (default 1,000,000) for the app benchmarks, with a
//! session file beside it: operators, ~10,000 clients with names, consultations in the queue,
//! active and archived, and one client ("Большой Тред") whose thread holds 10,000 messages.
//!
//!   cargo run --release -p careline-core --example app_fixture -- DIR [MESSAGES]
//!
//! Then start the app with CARELINE_HOME=DIR/home CARELINE_CACHE=DIR/cache.db (the session
//! points at a server that is not running: the desk opens its cache offline).

use std::path::PathBuf;

use careline_core::session::Session;
use careline_core::Cache;
use careline_protocol::{
    fixture, AuthorKind, Client, Consultation, ConsultationStatus, Event, EventData, Message,
    MessageKind, Operator, Presence, Role,
};
use chrono::{Duration, Utc};
use uuid::Uuid;

const BODIES: &[&str] = &[
    "Здравствуйте, у меня третий день температура 38, что принять?",
    "Давление 150/95 с утра, голова болит, назначенный препарат выпил",
    "孩子咳嗽一周了,晚上更严重,需要去医院吗?",
    "体检报告显示血糖偏高,转氨酶也有点高",
    "I have a rash after starting amoxicillin, is it an allergy?",
    "My daughter has a fever of 38.5 and a sore throat since yesterday",
];
const NAMES: &[&str] = &[
    "Иван Соколов",
    "Мария Иванова",
    "张伟",
    "李娜",
    "Emily Watson",
    "James O'Connor",
    "Ольга Белова",
    "王芳",
];

pub const ME: Uuid = Uuid::from_u128(0xA000_0001);
pub const BIG_CLIENT: Uuid = Uuid::from_u128(0x1000_0000);

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("a folder"));
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // The cache's key goes where the app will look for it: the record in the app's home (set
    // before any thread starts).
    std::env::set_var("CARELINE_HOME", dir.join("home"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(dir, n));
}

async fn run(dir: PathBuf, n: usize) {
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let path = dir.join("cache.db");
    careline_core::unlock::wipe_cache(&path);
    let cache = Cache::open(&path).await.unwrap();
    let now = Utc::now();
    let mut seq = 0i64;
    let mut batch: Vec<Event> = Vec::new();
    push(
        &mut seq,
        &mut batch,
        EventData::Operator(Operator {
            id: ME,
            login: "anna".into(),
            name: "Анна Петрова".into(),
            role: Role::Operator,
            department: Some("Терапия".into()),
            capacity: 5,
            disabled: false,
            status: Presence::Online,
            last_seen: None,
            active_count: 0,
            created_at: now,
        }),
    );
    let big_thread = 10_000usize;
    let clients = ((n - big_thread) / 100).max(10) + 1;
    for i in 0..clients {
        let id = Uuid::from_u128(0x1000_0000 + i as u128);
        let name = if i == 0 {
            "Большой Тред".to_owned()
        } else {
            format!("{} {i}", NAMES[i % NAMES.len()])
        };
        push(
            &mut seq,
            &mut batch,
            EventData::Client(Client {
                vip: i % 50 == 0,
                ..fixture::client(id, &name, &format!("+7916{i:07}"), now)
            }),
        );
        let status = if i == 0 || i % 40 == 1 {
            ConsultationStatus::New
        } else if i % 40 == 2 {
            ConsultationStatus::Active
        } else {
            ConsultationStatus::Closed
        };
        push(
            &mut seq,
            &mut batch,
            EventData::Consultation(Consultation {
                operator_id: (status != ConsultationStatus::New).then_some(ME),
                price: 50_000,
                subject: Some(BODIES[i % BODIES.len()].into()),
                ..fixture::consultation(
                    Uuid::from_u128(0x2000_0000 + i as u128),
                    id,
                    status,
                    now - Duration::minutes((clients - i) as i64),
                )
            }),
        );
    }
    cache.apply(std::mem::take(&mut batch), seq).await.unwrap();
    batch.clear();
    for i in 0..n {
        // The first 10,000 messages all go to the big thread, the rest round the others.
        let c = if i < big_thread {
            0
        } else {
            1 + i % (clients - 1)
        };
        let client_id = Uuid::from_u128(0x1000_0000 + c as u128);
        push(
            &mut seq,
            &mut batch,
            EventData::Message(Message {
                id: Uuid::now_v7(),
                consultation_id: Uuid::from_u128(0x2000_0000 + c as u128),
                client_id,
                author_kind: if i % 2 == 0 {
                    AuthorKind::Client
                } else {
                    AuthorKind::Operator
                },
                author_id: Some(if i % 2 == 0 { client_id } else { ME }),
                kind: MessageKind::Text,
                body: format!("{} #{i}", BODIES[(i * 7 + c) % BODIES.len()]),
                attachment: None,
                client_msg_id: Some(Uuid::now_v7()),
                internal: false,
                created_at: now,
                seq: 0,
            }),
        );
        if let Some(EventData::Message(m)) = batch.last_mut().map(|e| &mut e.data) {
            m.seq = seq;
        }
        if batch.len() == 5000 {
            cache.apply(std::mem::take(&mut batch), seq).await.unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        cache.apply(std::mem::take(&mut batch), seq).await.unwrap();
    }
    cache.index_pending(|_| {}).await.unwrap();
    cache.close().await;
    let session = Session {
        server: "http://127.0.0.1:9".into(),
        login: "anna".into(),
        token: "offline".into(),
        keychain: false,
        user_id: ME,
        user_name: "Анна Петрова".into(),
        role: "operator".into(),
    };
    std::fs::write(
        dir.join("home/session.json"),
        serde_json::to_string_pretty(&session).unwrap(),
    )
    .unwrap();
    println!("{} messages in {}", n, path.display());
}

fn push(seq: &mut i64, batch: &mut Vec<Event>, data: EventData) {
    *seq += 1;
    batch.push(Event {
        seq: *seq,
        at: Utc::now(),
        data,
    });
}
