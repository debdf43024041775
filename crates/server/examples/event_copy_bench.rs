//! What the event row's copy of a message costs the embedded engine: 100,000 messages written
//! in batches of 256 as the native writer writes them (prepared statements, one transaction a
//! batch, the server's schema and pragmas), with the `events` row that repeats the message and
//! without it. Prints the median time of a batch over five rounds of each, alternating, and the
//! bytes each table and index takes.
//!   cargo run --release -p careline-server --example event_copy_bench

use std::time::Instant;

use careline_protocol::{AuthorKind, Message, MessageKind};
use careline_server::{AppState, Config};
use rusqlite::params;

const BATCH: usize = 256;
const MESSAGES: usize = 100_000;

fn fill(path: &std::path::Path, with_events: bool) -> Vec<f64> {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    // The server's pragmas, without foreign keys (no client or consultation rows to point at;
    // the check costs both variants the same).
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -32768; PRAGMA secure_delete = ON;").unwrap();
    let consultation = uuid::Uuid::now_v7();
    let clients: Vec<uuid::Uuid> = (0..1000).map(|_| uuid::Uuid::now_v7()).collect();
    let mut seq: i64 = conn
        .query_row("SELECT value FROM counters WHERE name = 'seq'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mut times = Vec::new();
    for b in 0..MESSAGES / BATCH {
        let t = Instant::now();
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (id, consultation_id, client_id, author_kind, author_id, kind, body, client_msg_id, internal, created_at, seq) \
                     VALUES (?1, ?2, ?3, 'client', ?4, 'text', ?5, ?6, 0, ?7, ?8)",
                )
                .unwrap();
            let mut e = tx.prepare_cached("INSERT INTO events (seq, kind, client_id, staff_only, data, at) VALUES (?1, 'message', ?2, 0, ?3, ?4)").unwrap();
            for i in 0..BATCH {
                seq += 1;
                let client = clients[(b * BATCH + i) % clients.len()];
                // The message as the server stores it, and its event's copy, serialized as there.
                let m = Message {
                    id: uuid::Uuid::now_v7(),
                    consultation_id: consultation,
                    client_id: client,
                    author_kind: AuthorKind::Client,
                    author_id: Some(client),
                    kind: MessageKind::Text,
                    body: "Нагрузочный тест 负载测试 load test".into(),
                    attachment: None,
                    client_msg_id: Some(uuid::Uuid::now_v7()),
                    internal: false,
                    created_at: chrono::Utc::now(),
                    seq,
                };
                let (client, ms) = (client.to_string(), m.created_at.timestamp_millis());
                insert
                    .execute(params![
                        m.id.to_string(),
                        consultation.to_string(),
                        client,
                        client,
                        m.body,
                        m.client_msg_id.map(|k| k.to_string()),
                        ms,
                        seq
                    ])
                    .unwrap();
                if with_events {
                    e.execute(params![seq, client, serde_json::to_string(&m).unwrap(), ms])
                        .unwrap();
                }
            }
            tx.execute(
                "UPDATE counters SET value = ?1 WHERE name = 'seq'",
                params![seq],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times
}

fn sizes(path: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut q = conn.prepare("SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE '%messages%' OR name LIKE '%events%' GROUP BY name ORDER BY name").unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut last_sizes = Vec::new();
    for round in 0..5 {
        for with_events in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let state = AppState::start(Config {
                data_dir: dir.path().to_owned(),
                ..Config::default()
            })
            .await
            .unwrap();
            state.store.close().await;
            let path = dir.path().join("careline.db");
            let times = tokio::task::spawn_blocking({
                let path = path.clone();
                move || fill(&path, with_events)
            })
            .await
            .unwrap();
            let m = median(times);
            if with_events {
                with.push(m);
            } else {
                without.push(m);
            }
            if round == 0 {
                last_sizes.push((with_events, sizes(&path)));
            }
        }
    }
    let (w, wo) = (median(with), median(without));
    println!(
        "a batch of {BATCH} messages, median of 5 rounds (each the median of {} batches):",
        MESSAGES / BATCH
    );
    println!(
        "  messages + events rows: {w:.2} ms ({:.1} us a message)",
        w * 1000.0 / BATCH as f64
    );
    println!(
        "  messages rows only:     {wo:.2} ms ({:.1} us a message)",
        wo * 1000.0 / BATCH as f64
    );
    println!(
        "  the event row's share:  {:.0} % of the write",
        (w - wo) / w * 100.0
    );
    for (with_events, s) in last_sizes {
        println!(
            "bytes after {MESSAGES} messages ({}):",
            if with_events {
                "with events"
            } else {
                "messages only"
            }
        );
        for (name, bytes) in s {
            println!("  {name:<24} {:>8.1} MB", bytes as f64 / 1e6);
        }
    }
}
