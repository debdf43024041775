//! Benchmarks of the desktop cache (the product's quality targets): initial sync of N messages into an empty
//! cache (rate, and its ratio to a plain bulk insert of the same rows into SQLite in the same
//! run), catch-up of 10,000 events, search p95 over the whole cache.
//!
//!   cargo run --release -p careline-core --example cache_bench -- [MESSAGES]   (default 1000000)
//!
//! `CIPHERS` lists the caches to measure, one after another in the same run against the same
//! plain bulk insert: `desk` (the desk's choice, the default), `plain` (no encryption),
//! `sha512`, `sha256`, `nohmac` (SQLCipher's per-page HMAC), each optionally `@PAGE_SIZE`
//! (e.g. `CIPHERS=plain,desk,sha512,nohmac,sha256@8192`).

use std::time::Instant;

use careline_core::{Cache, Cipher, Keying, PageHmac};
use careline_protocol::{
    fixture, AuthorKind, Consultation, ConsultationStatus, Event, EventData, Message, MessageKind,
};
use chrono::Utc;
use uuid::Uuid;

const BODIES: &[&str] = &[
    "Здравствуйте, у меня третий день температура 38, что принять?",
    "Давление 150/95 с утра, голова болит, назначенный препарат выпил",
    "Сколько дней принимать антибиотик и можно ли с пробиотиком?",
    "孩子咳嗽一周了,晚上更严重,需要去医院吗?",
    "医生您好,我最近经常头疼,睡眠也不好",
    "体检报告显示血糖偏高,转氨酶也有点高",
    "I have a rash after starting amoxicillin, is it an allergy?",
    "Can I take ibuprofen together with my blood pressure medicine?",
    "My daughter has a fever of 38.5 and a sore throat since yesterday",
];

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(n));
}

fn events(n: usize, clients: usize, first_seq: i64) -> Vec<Event> {
    let now = Utc::now();
    let client_ids: Vec<Uuid> = (0..clients)
        .map(|i| Uuid::from_u128(0x1000_0000 + i as u128))
        .collect();
    let mut out = Vec::with_capacity(n + clients);
    let mut seq = first_seq;
    for (i, c) in client_ids.iter().enumerate() {
        if first_seq == 1 {
            seq += 1;
            out.push(Event {
                seq,
                at: now,
                data: EventData::Consultation(Consultation {
                    price: 50_000,
                    subject: Some(BODIES[i % BODIES.len()].into()),
                    last_message_at: Some(now), // as a server snapshot has it
                    ..fixture::consultation(
                        Uuid::from_u128(0x2000_0000 + i as u128),
                        *c,
                        if i % 3 == 0 {
                            ConsultationStatus::New
                        } else {
                            ConsultationStatus::Closed
                        },
                        now,
                    )
                }),
            });
        }
    }
    for i in 0..n {
        seq += 1;
        let c = i % clients;
        out.push(Event {
            seq,
            at: now,
            data: EventData::Message(Message {
                id: Uuid::now_v7(),
                consultation_id: Uuid::from_u128(0x2000_0000 + c as u128),
                client_id: client_ids[c],
                author_kind: if i % 2 == 0 {
                    AuthorKind::Client
                } else {
                    AuthorKind::Operator
                },
                author_id: Some(client_ids[c]),
                kind: MessageKind::Text,
                body: format!("{} #{i}", BODIES[(i * 7 + c) % BODIES.len()]),
                attachment: None,
                client_msg_id: Some(Uuid::now_v7()),
                internal: false,
                created_at: now,
                seq,
            }),
        });
    }
    out
}

fn keying(name: &str) -> Keying {
    let (hmac, page) = name.split_once('@').unwrap_or((name, "4096"));
    let page_size = page.parse().expect("a page size");
    let hmac = match hmac {
        "plain" => return Keying::PlainForBenchmarks,
        "desk" => return Keying::default(),
        "sha512" => PageHmac::Sha512,
        "sha256" => PageHmac::Sha256,
        "nohmac" => PageHmac::Off,
        other => panic!("unknown cipher {other}"),
    };
    Keying::Keyed(Cipher { hmac, page_size })
}

async fn run(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let clients = (n / 100).max(10);
    let all = events(n, clients, 1);
    let messages = all
        .iter()
        .filter(|e| matches!(e.data, EventData::Message(_)))
        .count();
    let ciphers = std::env::var("CIPHERS").unwrap_or_else(|_| "desk".into());

    for (i, name) in ciphers.split(',').enumerate() {
        // The plain bulk insert right before each cache, so the ratio is of one moment.
        let baseline = plain_bulk_insert(&all, &dir.path().join(format!("plain-{i}.db")));
        measure(
            &all,
            clients,
            messages,
            baseline,
            name,
            &dir.path().join(format!("cache-{i}.db")),
        )
        .await;
    }
    // KEEP=1 leaves the caches for a look with sqlite3.
    if std::env::var_os("KEEP").is_some() {
        eprintln!("kept {}", dir.keep().display());
    }
}

/// The baseline: the same message rows, bulk-inserted into a plain SQLite table with the same
/// settings, the plainest fast way: one native connection, a prepared statement, 5,000-row
/// transactions, each row serialized as the cache stores it.
fn plain_bulk_insert(all: &[Event], path: &std::path::Path) -> f64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8192; \
             CREATE TABLE messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, consultation_id TEXT NOT NULL, client_id TEXT NOT NULL, data TEXT NOT NULL)",
        )
        .unwrap();
    let mut conn = conn;
    let t = Instant::now();
    for chunk in all.chunks(5000) {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx.prepare_cached("INSERT INTO messages (seq, id, consultation_id, client_id, data) VALUES (?, ?, ?, ?, ?)").unwrap();
            for e in chunk {
                if let EventData::Message(m) = &e.data {
                    insert
                        .execute(rusqlite::params![
                            m.seq,
                            m.id.to_string(),
                            m.consultation_id.to_string(),
                            m.client_id.to_string(),
                            serde_json::to_string(m).unwrap()
                        ])
                        .unwrap();
                }
            }
        }
        tx.commit().unwrap();
    }
    t.elapsed().as_secs_f64()
}

async fn measure(
    all: &[Event],
    clients: usize,
    messages: usize,
    baseline: f64,
    cipher: &str,
    path: &std::path::Path,
) {
    let cache = Cache::open_with(path, keying(cipher)).await.unwrap();
    // Pages of 5,000 state items as a first sync downloads them (handed over owned, as sync
    // does; the position with the last page), then the full-text index of what the download
    // left unindexed: the sync is done when both are.
    let page = std::env::var("PAGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let pages: Vec<Vec<EventData>> = all
        .chunks(page)
        .map(|c| c.iter().map(|e| e.data.clone()).collect())
        .collect();
    let last = all.last().unwrap().seq;
    let count = pages.len();
    let t = Instant::now();
    for (i, page) in pages.into_iter().enumerate() {
        cache
            .apply_state(page, (i + 1 == count).then_some(last))
            .await
            .unwrap();
    }
    let stored = t.elapsed().as_secs_f64();
    cache.index_pending(|_| {}).await.unwrap();
    let initial = t.elapsed().as_secs_f64();

    let more: Vec<Vec<Event>> = events(10_000, clients, last)
        .chunks(5000)
        .map(|c| c.to_vec())
        .collect();
    let t = Instant::now();
    for page in more {
        let next = page.last().unwrap().seq;
        cache.apply(page, next).await.unwrap();
    }
    cache.index_pending(|_| {}).await.unwrap();
    let catch_up = t.elapsed().as_secs_f64();

    let queries = [
        "температура",
        "давлен",
        "антибиотик",
        "咳嗽",
        "头疼",
        "血糖",
        "rash",
        "ibuprofen",
        "fever",
        "сколько дней",
        "转氨酶",
        "allergy",
        "血",
    ];
    let mut times = Vec::new();
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    let mut found = 0;
    for round in 0..20 {
        for (qi, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let hits = cache.search(q, 50).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            per_query[qi].push(t.elapsed().as_secs_f64() * 1000.0);
            if round == 0 && !hits.is_empty() {
                found += 1;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let medians: serde_json::Map<String, serde_json::Value> = queries
        .iter()
        .zip(per_query.iter_mut())
        .map(|(q, t)| {
            t.sort_by(f64::total_cmp);
            (
                q.to_string(),
                serde_json::json!((t[t.len() / 2] * 10.0).round() / 10.0),
            )
        })
        .collect();
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let out = serde_json::json!({
        "bench": "cache",
        "cipher": cipher,
        "messages": messages,
        "initial_sync_seconds": initial,
        "messages_stored_seconds": stored,
        "full_text_index_seconds": initial - stored,
        "initial_sync_messages_per_second": messages as f64 / initial,
        "plain_bulk_insert_seconds": baseline,
        "initial_sync_over_plain_insert": initial / baseline,
        "catch_up_10000_events_seconds": catch_up,
        "search_p50_ms": p(0.5),
        "search_p95_ms": p(0.95),
        "queries_with_hits": format!("{found}/{}", queries.len()),
        "search_median_ms_by_query": medians,
    });
    println!("{out}");
    cache.close().await;
}
