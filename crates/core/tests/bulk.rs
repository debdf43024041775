//! A first download of many messages into an empty cache, as `sync` applies it: big pages of
//! state items, the position with the last one. The messages are in their threads at once;
//! they become searchable when the background indexer (which `sync::catch_up` starts) has run;
//! live events after that are searchable as they arrive; a download cut half-way
//! leaves a cache that still answers threads quickly and completes when run again.

use careline_core::Cache;
use careline_protocol::{
    fixture, AuthorKind, Consultation, ConsultationStatus, Event, EventData, Message, MessageKind,
};
use chrono::Utc;
use uuid::Uuid;

const CLIENTS: u128 = 20;

fn consultation(i: u128) -> EventData {
    EventData::Consultation(Consultation {
        subject: Some(format!("Обращение {i}")),
        // As the server's snapshot has it: the time of the consultation's last message.
        last_message_at: Some(at()),
        ..fixture::consultation(
            Uuid::from_u128(0x2000 + i),
            Uuid::from_u128(0x1000 + i),
            ConsultationStatus::New,
            Utc::now(),
        )
    })
}

fn at() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_millis(1_790_000_000_000).unwrap()
}

fn message(seq: i64, body: &str) -> Message {
    let c = seq as u128 % CLIENTS;
    Message {
        id: Uuid::now_v7(),
        consultation_id: Uuid::from_u128(0x2000 + c),
        client_id: Uuid::from_u128(0x1000 + c),
        author_kind: if seq % 2 == 0 {
            AuthorKind::Client
        } else {
            AuthorKind::Operator
        },
        author_id: None,
        kind: MessageKind::Text,
        body: body.into(),
        attachment: None,
        client_msg_id: None,
        internal: false,
        created_at: at(),
        seq,
    }
}

fn body(seq: i64) -> String {
    match seq % 3 {
        0 => format!("Давление держится третий день, запись {seq}"),
        1 => format!("孩子咳嗽一周了 {seq}"),
        _ => format!("Feverish since Monday, note {seq}"),
    }
}

/// Pages of 2,000 state items: the consultations, then 6,000 messages (seqs 1..=6000).
fn pages() -> Vec<Vec<EventData>> {
    let mut items: Vec<EventData> = (0..CLIENTS).map(consultation).collect();
    items.extend((1..=6000).map(|seq| EventData::Message(message(seq, &body(seq)))));
    items.chunks(2000).map(|c| c.to_vec()).collect()
}

/// A cache with the whole download of `pages` applied.
async fn downloaded(path: &std::path::Path) -> Cache {
    let cache = Cache::open(path).await.unwrap();
    let pages = pages();
    let count = pages.len();
    for (i, page) in pages.into_iter().enumerate() {
        cache
            .apply_state(page, (i + 1 == count).then_some(6000))
            .await
            .unwrap();
    }
    cache
}

async fn thread_uses_its_index(cache: &Cache) -> bool {
    let plan = cache.query_plan("SELECT data FROM messages WHERE client_id = 'x' AND seq < 10 ORDER BY seq DESC LIMIT 100").await.unwrap();
    plan.iter().any(|step| step.contains("messages_thread"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_first_download_is_browsable_then_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let cache = downloaded(&dir.path().join("cache.db")).await;
    assert_eq!(cache.last_seq().await.unwrap(), 6000);
    // Threads are complete and read through their index.
    let thread = cache
        .thread(Uuid::from_u128(0x1000 + 7), None, 1000)
        .await
        .unwrap();
    assert_eq!(thread.len(), 300);
    assert!(thread.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(
        thread_uses_its_index(&cache).await,
        "the thread index is built again at the end of the download"
    );
    let consultation = cache
        .consultation(Uuid::from_u128(0x2000 + 7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consultation.last_message_at, Some(at()));

    // Searchable once the background indexer has run: every message, in three scripts,
    // prefixes too.
    assert_eq!(cache.unindexed().await.unwrap(), 6000);
    cache.index_in_background();
    cache.index_in_background();
    let t = std::time::Instant::now();
    while cache.unindexed().await.unwrap() > 0 {
        assert!(
            t.elapsed().as_secs() < 30,
            "the background indexer did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let hits = cache.search("давлен", 5000).await.unwrap();
    assert_eq!(
        hits.iter().filter(|h| h.kind == "message").count(),
        2000,
        "a Russian prefix finds every message that has the word"
    );
    assert!(
        hits[0].snippet.marked("[", "]").contains("[Давлен]ие"),
        "{:?}",
        hits[0]
    );
    assert_eq!(cache.search("咳嗽", 5000).await.unwrap().len(), 2000);
    assert_eq!(
        cache.search("咳", 5000).await.unwrap().len(),
        2000,
        "one character inside a run"
    );
    assert_eq!(
        cache.search("了", 5000).await.unwrap().len(),
        2000,
        "one character ending a run"
    );
    assert_eq!(
        cache.search("嗽一周", 5000).await.unwrap().len(),
        2000,
        "three characters"
    );
    let fever = cache.search("FEVER", 50).await.unwrap();
    assert_eq!(fever.len(), 50);
    assert!(fever.windows(2).all(|w| w[0].id != w[1].id));
    assert!(
        cache
            .search("обращ", 50)
            .await
            .unwrap()
            .iter()
            .any(|h| h.kind == "consultation"),
        "consultation subjects are words too"
    );
    assert!(cache.search("жираф", 50).await.unwrap().is_empty());
    assert_eq!(
        cache.index_pending(|_| {}).await.unwrap(),
        0,
        "nothing is indexed twice"
    );

    // A live event after that is searchable at once.
    let mut live = message(6001, "Новая жалоба: головокружение");
    live.created_at = at() + chrono::Duration::minutes(5);
    cache
        .apply(
            vec![Event {
                seq: 6001,
                at: Utc::now(),
                data: EventData::Message(live.clone()),
            }],
            6001,
        )
        .await
        .unwrap();
    let hits = cache.search("головокруж", 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![live.id]);
    let moved = cache
        .consultation(live.consultation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.last_message_at,
        Some(live.created_at),
        "a message event moves its consultation's last time"
    );
    cache.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_half_way_completes_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let cache = Cache::open(&path).await.unwrap();
    let mut pages = pages();
    let first = pages.remove(0);
    cache.apply_state(first, None).await.unwrap();
    cache.close().await;
    drop(cache);

    // Reopened: no position yet, but the thread index is back.
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.last_seq().await.unwrap(), 0);
    assert!(thread_uses_its_index(&cache).await);
    // The download starts over and completes; what was applied before is not doubled.
    let all = self::pages();
    let count = all.len();
    for (i, page) in all.into_iter().enumerate() {
        cache
            .apply_state(page, (i + 1 == count).then_some(6000))
            .await
            .unwrap();
    }
    assert_eq!(cache.index_pending(|_| {}).await.unwrap(), 6000);
    assert_eq!(
        cache
            .thread(Uuid::from_u128(0x1000 + 3), None, 1000)
            .await
            .unwrap()
            .len(),
        300
    );
    assert_eq!(cache.search("咳嗽", 5000).await.unwrap().len(), 2000);
    cache.close().await;
}

/// A chat pane pages a thread both ways: back from the newest, forward again from any message;
/// the page that reaches the newest message says so.
#[tokio::test]
async fn a_thread_pages_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let cache = downloaded(&dir.path().join("cache.db")).await;
    // Client 7's thread: seqs 7, 27, 47, … 5987 (300 messages).
    let client = Uuid::from_u128(0x1000 + 7);
    let seqs = |p: &careline_core::views::ThreadPage| {
        p.messages.iter().map(|m| m.message.seq).collect::<Vec<_>>()
    };
    let newest = cache
        .views(Uuid::nil())
        .thread_page(client, None, 100)
        .await
        .unwrap();
    assert_eq!(
        (
            seqs(&newest)[0],
            *seqs(&newest).last().unwrap(),
            newest.has_more
        ),
        (4007, 5987, true)
    );
    let older = cache
        .views(Uuid::nil())
        .thread_page(client, Some(4007), 100)
        .await
        .unwrap();
    assert_eq!(
        (
            seqs(&older)[0],
            *seqs(&older).last().unwrap(),
            older.has_more
        ),
        (2007, 3987, true)
    );
    let first = cache
        .views(Uuid::nil())
        .thread_page(client, Some(2007), 100)
        .await
        .unwrap();
    assert_eq!(
        (seqs(&first).len(), seqs(&first)[0], first.has_more),
        (100, 7, false)
    );
    // Forward from the first message: newer ones follow, in order, until the newest.
    let after = cache
        .views(Uuid::nil())
        .thread_page_after(client, 7, 150)
        .await
        .unwrap();
    assert_eq!(
        (
            seqs(&after)[0],
            *seqs(&after).last().unwrap(),
            after.has_more
        ),
        (27, 3007, true)
    );
    let end = cache
        .views(Uuid::nil())
        .thread_page_after(client, 3007, 150)
        .await
        .unwrap();
    assert_eq!(
        (seqs(&end).len(), *seqs(&end).last().unwrap(), end.has_more),
        (149, 5987, false)
    );
    assert!(cache
        .views(Uuid::nil())
        .thread_page_after(client, 5987, 10)
        .await
        .unwrap()
        .messages
        .is_empty());
    // Operator messages of the thread carry a send state, the client's none.
    assert!(end
        .messages
        .iter()
        .all(|m| m.state.is_some() == (m.message.author_kind == AuthorKind::Operator)));
}
