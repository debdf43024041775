//! The demo clinic's visits: working hours for two doctors, and a few visits booked in the
//! coming days, so the agenda and the booking page have something to show.

use careline_protocol::{
    BookRequest, Client, ConsultationKind, Operator, ScheduleRequest, SlotQuery, WorkingHours,
};
use chrono::Utc;

use crate::domain::Actor;
use crate::error::AppResult;
use crate::store::Store;

fn hours(days: std::ops::RangeInclusive<u8>, from: &str, to: &str) -> Vec<WorkingHours> {
    days.map(|weekday| WorkingHours {
        weekday,
        from: from.into(),
        to: to.into(),
    })
    .collect()
}

/// Anna (a therapist, Russian and English) on weekdays 09:00–18:00 Moscow time, Li (a
/// paediatrician, Chinese, Russian and English) Monday to Saturday 10:00–19:00; then three
/// visits in the first free slots of the coming days, booked by reception.
pub(super) async fn write(
    store: &Store,
    admin: Actor,
    anna: &Operator,
    li: &Operator,
    clients: &[Client],
) -> AppResult<usize> {
    for (who, specialty, languages, week) in [
        (
            anna,
            "терапевт",
            vec!["ru", "en"],
            hours(1..=5, "09:00", "18:00"),
        ),
        (
            li,
            "педиатр",
            vec!["zh", "ru", "en"],
            hours(1..=6, "10:00", "19:00"),
        ),
    ] {
        let req = ScheduleRequest {
            time_zone: "Europe/Moscow".into(),
            specialties: vec![specialty.into()],
            languages: languages.into_iter().map(String::from).collect(),
            weekly: week,
            exceptions: Vec::new(),
            visit_minutes: None,
            bookable: true,
        };
        store.set_schedule(who.id, &req, admin, None).await?;
    }
    let mut booked = 0;
    for (who, kind, nth, client, reason) in [
        (
            anna,
            ConsultationKind::Video,
            3,
            0,
            "Контроль давления после смены дозировки",
        ),
        (anna, ConsultationKind::Phone, 9, 2, "Результаты анализов"),
        (
            li,
            ConsultationKind::Video,
            4,
            1,
            "孩子咳嗽一周，想请医生看看",
        ),
    ] {
        let q = SlotQuery {
            kind,
            specialty: None,
            operator_id: Some(who.id),
            language: None,
            from: Some(Utc::now() + chrono::Duration::hours(2)),
            to: Some(Utc::now() + chrono::Duration::days(7)),
        };
        let slots = store.free_slots(&q, admin).await?;
        let Some(slot) = slots.get(nth).or(slots.first()) else {
            continue;
        };
        let req = BookRequest {
            operator_id: who.id,
            kind,
            starts_at: slot.starts_at,
            client_id: Some(clients[client].id),
            reason: Some(reason.into()),
        };
        store.book(&req, admin, None).await?;
        booked += 1;
    }
    Ok(booked)
}
