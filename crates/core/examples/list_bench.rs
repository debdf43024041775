//! Times consultation list pages on an archive of 100,000 closed consultations (and 3,000
//! active ones of mine): the first page of each sort, a page deep in the archive, filtered
//! pages, and the badge counts — each the median of 21 reads in one run.
//!
//!   cargo run --release -p careline-core --example list_bench
//!
//! `CIPHERS=plain,desk` (the default: both, one after the other) measures a plaintext cache
//! beside the desk's encrypted one.

use std::time::{Duration, Instant};

use careline_core::views::{ConsultationView, ListCursor, ListFilter, Sort};
use careline_core::{Cache, Keying};
use careline_protocol::{fixture, ConsultationKind, ConsultationStatus, EventData, Priority};
use chrono::Utc;
use uuid::Uuid;

const ME: Uuid = Uuid::from_u128(0xA);
const RUNS: usize = 21;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    for name in std::env::var("CIPHERS")
        .unwrap_or_else(|_| "plain,desk".into())
        .split(',')
    {
        let keying = match name {
            "plain" => Keying::PlainForBenchmarks,
            "desk" => Keying::default(),
            other => panic!("unknown cipher {other} (plain or desk)"),
        };
        println!("— {name} cache");
        bench(keying).await;
    }
}

async fn bench(keying: Keying) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open_with(&dir.path().join("cache.db"), keying)
        .await
        .unwrap();
    let now = Utc::now();
    let mut items = Vec::new();
    for k in 0..1000u128 {
        items.push(EventData::Client(fixture::client(
            Uuid::from_u128(0x1000_0000 + k),
            &format!("Клиент {k}"),
            "+79000000000",
            now,
        )));
    }
    for i in 0..100_000u128 {
        let at = now - chrono::Duration::minutes(i as i64);
        let mut c = fixture::consultation(
            Uuid::from_u128(0x2000_0000 + i),
            Uuid::from_u128(0x1000_0000 + i % 1000),
            ConsultationStatus::Closed,
            at,
        );
        c.subject = Some(format!("Обращение {i}"));
        c.last_message_at = Some(at);
        if i % 997 == 0 {
            c.kind = ConsultationKind::Video;
            c.priority = Priority::Urgent;
            c.tags = vec!["аллергия".into()];
        }
        items.push(EventData::Consultation(c));
    }
    for i in 0..3000u128 {
        let mut c = fixture::consultation(
            Uuid::from_u128(0x3000_0000 + i),
            Uuid::from_u128(0x1000_0000 + i % 1000),
            ConsultationStatus::Active,
            now,
        );
        c.operator_id = Some(ME);
        items.push(EventData::Consultation(c));
    }
    cache.apply_state(items, Some(0)).await.unwrap();
    cache.index_pending(|_| {}).await.unwrap();
    let views = cache.views(ME);
    let deep = {
        let mut after: Option<ListCursor> = None;
        for _ in 0..50 {
            after = views
                .list_page(
                    ConsultationView::Archive,
                    &ListFilter::default(),
                    after,
                    1000,
                )
                .await
                .unwrap()
                .next;
        }
        after
    };
    let cases: Vec<(&str, ConsultationView, ListFilter, Option<ListCursor>)> = vec![
        (
            "archive, newest first, first 200",
            ConsultationView::Archive,
            ListFilter::default(),
            None,
        ),
        (
            "archive, by priority, first 200",
            ConsultationView::Archive,
            ListFilter {
                sort: Sort::Priority,
                ..Default::default()
            },
            None,
        ),
        (
            "archive, by last message, first 200",
            ConsultationView::Archive,
            ListFilter {
                sort: Sort::LastMessage,
                ..Default::default()
            },
            None,
        ),
        (
            "archive, 200 after row 50,000",
            ConsultationView::Archive,
            ListFilter::default(),
            deep,
        ),
        (
            "archive, kind = video (101 of 100,000)",
            ConsultationView::Archive,
            ListFilter {
                kind: Some(ConsultationKind::Video),
                ..Default::default()
            },
            None,
        ),
        (
            "archive, tag (101)",
            ConsultationView::Archive,
            ListFilter {
                tag: Some("Аллергия".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "archive, text \"обращение 4242\"",
            ConsultationView::Archive,
            ListFilter {
                text: Some("обращение 4242".into()),
                ..Default::default()
            },
            None,
        ),
        (
            "mine (3,000), unread only",
            ConsultationView::Mine,
            ListFilter {
                unread_only: true,
                ..Default::default()
            },
            None,
        ),
    ];
    for (name, view, filter, after) in cases {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            total = views
                .list_page(view, &filter, after, 200)
                .await
                .unwrap()
                .total;
            times.push(t.elapsed());
        }
        println!(
            "{name:<42} median {:>7.2} ms  (total {total})",
            median(&mut times)
        );
    }
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        views.counts().await.unwrap();
        times.push(t.elapsed());
    }
    println!(
        "{:<42} median {:>7.2} ms",
        "badge counts",
        median(&mut times)
    );
    cache.close().await;
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}
