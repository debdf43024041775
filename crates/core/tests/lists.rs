//! Consultation lists over a real archive: 100,000 closed consultations and 3,000 active ones in
//! a real cache file. Every filter finds its matches however old they are, the counts are
//! exact, and paging through a list reaches every consultation once, in order.

use std::collections::HashSet;

use careline_core::views::{ConsultationView, ListCursor, ListFilter, Sort};
use careline_core::Cache;
use careline_protocol::{
    fixture, Consultation, ConsultationKind, ConsultationStatus, EventData, Priority,
};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

const ARCHIVED: u128 = 100_000;
const ACTIVE: u128 = 3_000;
const ME: Uuid = Uuid::from_u128(0xA);

/// The rare ones: the oldest three of the archive (far behind any first page).
fn rare(i: u128) -> bool {
    i >= ARCHIVED - 3
}

struct Archive {
    _dir: tempfile::TempDir,
    cache: Cache,
    start: DateTime<Utc>,
}

/// Archived consultation `i` was opened `i` minutes before `start`; active one `i` likewise,
/// and assigned to me. The two oldest active ones have a client's message I have not read.
async fn archive() -> Archive {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.db")).await.unwrap();
    let start = Utc::now();
    let mut items = Vec::new();
    for k in 0..1000u128 {
        items.push(EventData::Client(fixture::client(
            Uuid::from_u128(0x1000_0000 + k),
            &format!("Клиент {k}"),
            &format!("+7900{k:07}"),
            start,
        )));
    }
    for i in 0..ARCHIVED {
        let at = start - Duration::minutes(i as i64);
        let mut c = fixture::consultation(
            Uuid::from_u128(0x2000_0000 + i),
            Uuid::from_u128(0x1000_0000 + i % 1000),
            ConsultationStatus::Closed,
            at,
        );
        c.subject = Some(format!("Обращение {i}"));
        c.last_message_at = Some(at);
        if rare(i) {
            c = Consultation {
                kind: ConsultationKind::Video,
                priority: Priority::Urgent,
                tags: vec!["Allergy".into(), "Аллергия на пенициллин".into()],
                subject: Some(format!("Редкий случай {i}")),
                ..c
            };
        }
        items.push(EventData::Consultation(c));
    }
    let mut seq = 0;
    for i in 0..ACTIVE {
        let at = start - Duration::minutes(i as i64);
        let mut c = fixture::consultation(
            Uuid::from_u128(0x3000_0000 + i),
            Uuid::from_u128(0x1000_0000 + i % 1000),
            ConsultationStatus::Active,
            at,
        );
        c.operator_id = Some(ME);
        if i >= ACTIVE - 2 {
            seq += 1;
            items.push(EventData::Message(fixture::client_message(
                seq,
                &c,
                "Доктор, вы здесь?",
                at,
            )));
        }
        items.push(EventData::Consultation(c));
    }
    cache.apply_state(items, Some(seq)).await.unwrap();
    cache.index_pending(|_| {}).await.unwrap();
    Archive {
        _dir: dir,
        cache,
        start,
    }
}

fn ids(rows: &[careline_core::views::ConsultationRow]) -> Vec<Uuid> {
    rows.iter().map(|r| r.consultation.id).collect()
}

fn rare_ids() -> HashSet<Uuid> {
    (ARCHIVED - 3..ARCHIVED)
        .map(|i| Uuid::from_u128(0x2000_0000 + i))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_finds_its_matches_anywhere_in_the_archive() {
    let a = archive().await;
    let archive = |filter: ListFilter| {
        let cache = &a.cache;
        async move {
            cache
                .views(ME)
                .list(ConsultationView::Archive, &filter)
                .await
                .unwrap()
        }
    };
    let found: HashSet<Uuid> = ids(&archive(ListFilter {
        kind: Some(ConsultationKind::Video),
        ..Default::default()
    })
    .await)
    .into_iter()
    .collect();
    assert_eq!(
        found,
        rare_ids(),
        "the video consultations, the oldest of the archive"
    );
    let found: HashSet<Uuid> = ids(&archive(ListFilter {
        priority: Some(Priority::Urgent),
        ..Default::default()
    })
    .await)
    .into_iter()
    .collect();
    assert_eq!(found, rare_ids(), "the urgent ones");
    let found: HashSet<Uuid> = ids(&archive(ListFilter {
        tag: Some("ALLERGY".into()),
        ..Default::default()
    })
    .await)
    .into_iter()
    .collect();
    assert_eq!(found, rare_ids(), "the tag, in any case");
    let found: HashSet<Uuid> = ids(&archive(ListFilter {
        tag: Some("аллергия НА пенициллин".into()),
        ..Default::default()
    })
    .await)
    .into_iter()
    .collect();
    assert_eq!(found, rare_ids(), "a Russian tag, in any case, whole");
    assert!(
        archive(ListFilter {
            tag: Some("аллергия".into()),
            ..Default::default()
        })
        .await
        .is_empty(),
        "a tag is matched whole, not by a word of it"
    );
    let found: HashSet<Uuid> = ids(&archive(ListFilter {
        text: Some("редкий".into()),
        ..Default::default()
    })
    .await)
    .into_iter()
    .collect();
    assert_eq!(found, rare_ids(), "the words of the subject");
    // Priority first: the urgent ones lead the whole archive.
    let by_priority = archive(ListFilter {
        sort: Sort::Priority,
        ..Default::default()
    })
    .await;
    assert_eq!(by_priority.len() as u128, ARCHIVED);
    assert_eq!(
        ids(&by_priority[..3]).into_iter().collect::<HashSet<_>>(),
        rare_ids()
    );
    // Unread only: my two oldest active consultations, behind 2,998 newer ones.
    let unread = a
        .cache
        .views(ME)
        .list(
            ConsultationView::Mine,
            &ListFilter {
                unread_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let expected: HashSet<Uuid> = (ACTIVE - 2..ACTIVE)
        .map(|i| Uuid::from_u128(0x3000_0000 + i))
        .collect();
    assert_eq!(ids(&unread).into_iter().collect::<HashSet<_>>(), expected);
    assert!(
        unread.iter().all(|r| r.unread == 1),
        "each shows its one unread message"
    );
    let counts = a.cache.views(ME).counts().await.unwrap();
    assert_eq!(
        (counts.mine, counts.unread),
        (ACTIVE as i64, 2),
        "the badges count the whole of my list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_reach_every_consultation_once_in_order_with_exact_counts() {
    let a = archive().await;
    for sort in [
        Sort::Natural,
        Sort::Priority,
        Sort::LastMessage,
        Sort::Oldest,
    ] {
        let filter = ListFilter {
            sort,
            ..Default::default()
        };
        let mut seen = HashSet::new();
        let mut order: Vec<Consultation> = Vec::new();
        let mut after: Option<ListCursor> = None;
        let mut pages = 0;
        loop {
            let page = a
                .cache
                .views(ME)
                .list_page(ConsultationView::Archive, &filter, after, 1000)
                .await
                .unwrap();
            assert_eq!(
                page.total as u128, ARCHIVED,
                "the exact count with every page"
            );
            pages += 1;
            for r in page.rows {
                assert!(
                    seen.insert(r.consultation.id),
                    "{sort:?}: {} listed twice",
                    r.consultation.id
                );
                order.push(r.consultation);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(
            seen.len() as u128,
            ARCHIVED,
            "{sort:?}: every consultation reached"
        );
        assert_eq!(pages, 100, "{sort:?}: pages of 1,000");
        for w in order.windows(2) {
            let ok = match sort {
                Sort::Natural => w[0].created_at >= w[1].created_at,
                Sort::Oldest => w[0].created_at <= w[1].created_at,
                Sort::LastMessage => w[0].last_message_at >= w[1].last_message_at,
                // Urgent first, then by waiting time (the longest waiting first).
                _ => {
                    (w[0].priority != Priority::Urgent, w[0].created_at)
                        <= (w[1].priority != Priority::Urgent, w[1].created_at)
                }
            };
            assert!(ok, "{sort:?}: {} before {}", w[0].id, w[1].id);
        }
    }
    // A filtered page counts the matches, not the archive.
    let filter = ListFilter {
        kind: Some(ConsultationKind::Video),
        ..Default::default()
    };
    let page = a
        .cache
        .views(ME)
        .list_page(ConsultationView::Archive, &filter, None, 2)
        .await
        .unwrap();
    assert_eq!((page.rows.len(), page.total), (2, 3));
    let rest = a
        .cache
        .views(ME)
        .list_page(ConsultationView::Archive, &filter, page.next, 2)
        .await
        .unwrap();
    assert_eq!((rest.rows.len(), rest.next), (1, None));
    // Dates: the last day of the archive.
    let filter = ListFilter {
        from: Some(a.start - Duration::hours(24)),
        ..Default::default()
    };
    let page = a
        .cache
        .views(ME)
        .list_page(ConsultationView::Archive, &filter, None, 10)
        .await
        .unwrap();
    assert_eq!(page.total, 24 * 60 + 1);
}

/// A row shows the last message the client and staff exchanged (not the first, not a note, not
/// the server's own), and who wrote it; a file reads as its name.
#[tokio::test]
async fn a_row_shows_the_last_exchanged_message() {
    use careline_protocol::{AuthorKind, MessageKind};
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.db")).await.unwrap();
    let at = Utc::now();
    let client = fixture::client(Uuid::from_u128(0x10), "Мария", "+79000000010", at);
    let mut c = fixture::consultation(
        Uuid::from_u128(0x20),
        client.id,
        ConsultationStatus::Active,
        at,
    );
    c.operator_id = Some(ME);
    c.subject = Some("Первый вопрос".into());
    let first = fixture::client_message(1, &c, "Первый вопрос", at);
    let answer = careline_protocol::Message {
        author_kind: AuthorKind::Operator,
        author_id: Some(ME),
        body: "Ответ врача".into(),
        ..fixture::client_message(2, &c, "", at)
    };
    let note = careline_protocol::Message {
        internal: true,
        ..answer.clone()
    };
    let note = careline_protocol::Message {
        id: Uuid::from_u128(0xF3),
        seq: 3,
        body: "Заметка для коллег".into(),
        ..note
    };
    let system = careline_protocol::Message {
        id: Uuid::from_u128(0xF4),
        seq: 4,
        author_kind: AuthorKind::System,
        author_id: None,
        kind: MessageKind::System,
        body: "Assigned to Анна".into(),
        ..answer.clone()
    };
    let items = vec![
        EventData::Client(client.clone()),
        EventData::Consultation(c.clone()),
        EventData::Message(first),
        EventData::Message(answer),
        EventData::Message(note),
        EventData::Message(system),
    ];
    cache.apply_state(items, Some(4)).await.unwrap();
    let row = cache
        .views(ME)
        .consultation_row(c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            row.last_text.as_deref(),
            row.last_from_client,
            row.last_by_me
        ),
        (Some("Ответ врача"), false, true)
    );
    // A colleague sees the same line, not as their own.
    let theirs = cache
        .views(Uuid::from_u128(0xB))
        .consultation_row(c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (theirs.last_text.as_deref(), theirs.last_by_me),
        (Some("Ответ врача"), false)
    );
    // The client writes again.
    let again = fixture::client_message(5, &c, "Спасибо, а если не поможет?", at);
    cache
        .apply_state(vec![EventData::Message(again)], Some(5))
        .await
        .unwrap();
    let row = cache
        .views(ME)
        .consultation_row(c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.last_text.as_deref(), row.last_from_client),
        (Some("Спасибо, а если не поможет?"), true)
    );
}

/// A consultation with no message yet (a booked visit's) has no "last message" time, however
/// often its state arrives: the list showed "1 Jan 1970" once it came twice.
#[tokio::test]
async fn a_consultation_without_messages_has_no_last_message_time() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.db")).await.unwrap();
    let at = Utc::now();
    let client = fixture::client(Uuid::from_u128(0x11), "Ольга", "+79000000011", at);
    let mut c = fixture::consultation(
        Uuid::from_u128(0x21),
        client.id,
        ConsultationStatus::Scheduled,
        at,
    );
    c.operator_id = Some(ME);
    c.last_message_at = None;
    cache
        .apply_state(
            vec![
                EventData::Client(client),
                EventData::Consultation(c.clone()),
            ],
            Some(1),
        )
        .await
        .unwrap();
    cache
        .apply_state(vec![EventData::Consultation(c.clone())], Some(2))
        .await
        .unwrap();
    let row = cache
        .views(ME)
        .consultation_row(c.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.consultation.last_message_at, None);
}
