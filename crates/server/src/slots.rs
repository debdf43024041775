//! A specialist's schedule checked and turned into free slots: pure, no I/O.
//!
//! The week and the exceptions are local times in the schedule's IANA time zone (the clinic's
//! hours stay at 09:00 across a daylight-saving change); slots are instants. A day's hours are
//! its exception's when it has one (none: a day off), else its weekday's. Within each range,
//! slots follow each other from its start, each the visit's length, and must end inside it; a
//! slot that overlaps a visit already holding the specialist, or starts before `now`, is not free.

use std::collections::BTreeMap;

use careline_protocol::{
    ApiError, ConsultationKind, ErrorCode, ScheduleException, ScheduleRequest, TimeRange,
    VisitLengths, WorkingHours,
};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

const MINUTE_MS: i64 = 60_000;
/// Visits shorter or longer than this are refused (a typo of 300 for 30).
const VISIT_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;

/// A schedule checked and ready to compute slots from.
#[derive(Debug, Clone)]
pub struct Hours {
    tz: TimeZone,
    /// Minutes since local midnight, per ISO weekday (index 0 = Monday).
    weekly: [Vec<(u32, u32)>; 7],
    exceptions: BTreeMap<Date, Vec<(u32, u32)>>,
    lengths: VisitLengths,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, message)
}

/// `"HH:MM"` as minutes since midnight; `"24:00"` (only as an end) is 1440.
fn minutes(text: &str, end: bool) -> Result<u32, ApiError> {
    let bad = || invalid(format!("'{text}' is not a time of day as HH:MM"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    match (h, m) {
        (24, 0) if end => Ok(1440),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

/// Ranges as minutes, each non-empty, sorted, none overlapping another.
fn ranges<'a>(
    what: &str,
    items: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(u32, u32)>, ApiError> {
    let mut out = Vec::new();
    for (from, to) in items {
        let (a, b) = (minutes(from, false)?, minutes(to, true)?);
        if a >= b {
            return Err(invalid(format!(
                "{what}: {from}–{to} ends before it starts"
            )));
        }
        out.push((a, b));
    }
    out.sort_unstable();
    if let Some(w) = out.windows(2).find(|w| w[1].0 < w[0].1) {
        return Err(invalid(format!(
            "{what}: {} overlaps {}",
            show(w[0]),
            show(w[1])
        )));
    }
    Ok(out)
}

fn show((a, b): (u32, u32)) -> String {
    format!("{:02}:{:02}–{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl Hours {
    /// Checks a schedule as an admin or a specialist sent it: a known time zone, times of day as
    /// HH:MM, ranges that end after they start and do not overlap, real dates, one exception per
    /// date, visit lengths of 5 to 240 minutes.
    pub fn check(req: &ScheduleRequest) -> Result<Hours, ApiError> {
        Hours::new(
            &req.time_zone,
            &req.weekly,
            &req.exceptions,
            req.visit_minutes.clone().unwrap_or_default(),
        )
    }

    pub fn new(
        time_zone: &str,
        weekly: &[WorkingHours],
        exceptions: &[ScheduleException],
        lengths: VisitLengths,
    ) -> Result<Hours, ApiError> {
        let tz = TimeZone::get(time_zone.trim()).map_err(|_| {
            invalid(format!(
                "'{time_zone}' is not a known time zone (as Europe/Moscow)"
            ))
        })?;
        let mut week: [Vec<(u32, u32)>; 7] = Default::default();
        for day in 1..=7u8 {
            let name = WEEKDAYS[usize::from(day - 1)];
            week[usize::from(day - 1)] = ranges(
                name,
                weekly
                    .iter()
                    .filter(|h| h.weekday == day)
                    .map(|h| (h.from.as_str(), h.to.as_str())),
            )?;
        }
        if let Some(h) = weekly.iter().find(|h| !(1..=7).contains(&h.weekday)) {
            return Err(invalid(format!(
                "weekday {} is not 1 (Monday) to 7 (Sunday)",
                h.weekday
            )));
        }
        let mut days = BTreeMap::new();
        for e in exceptions {
            let date: Date = e
                .date
                .trim()
                .parse()
                .map_err(|_| invalid(format!("'{}' is not a date as YYYY-MM-DD", e.date)))?;
            let hours = ranges(
                &e.date,
                e.hours
                    .iter()
                    .map(|TimeRange { from, to }| (from.as_str(), to.as_str())),
            )?;
            if days.insert(date, hours).is_some() {
                return Err(invalid(format!("{} has two exceptions", e.date)));
            }
        }
        for (kind, m) in [("phone", lengths.phone), ("video", lengths.video)] {
            if !VISIT_MINUTES.contains(&m) {
                return Err(invalid(format!(
                    "a {kind} visit of {m} minutes: visits last 5 to 240 minutes"
                )));
            }
        }
        Ok(Hours {
            tz,
            weekly: week,
            exceptions: days,
            lengths,
        })
    }

    /// The working ranges of a local date, in minutes since its midnight.
    fn day(&self, date: Date) -> &[(u32, u32)] {
        match self.exceptions.get(&date) {
            Some(h) => h,
            None => {
                let i = date.weekday().to_monday_one_offset() - 1;
                &self.weekly[usize::try_from(i).unwrap_or(0)]
            }
        }
    }

    /// The instant of a local date's minute (a time that a daylight-saving change skips is read
    /// as the one just after it).
    fn instant(&self, date: Date, minute: u32) -> Option<i64> {
        let midnight: DateTime = date.at(0, 0, 0, 0);
        let local = midnight
            .checked_add(jiff::Span::new().minutes(i64::from(minute)))
            .ok()?;
        self.tz.to_timestamp(local).ok().map(|t| t.as_millisecond())
    }

    fn local_date(&self, ms: i64) -> Option<Date> {
        Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned(self.tz.clone()).date())
    }

    /// Every slot of `kind` (start, end in ms) that starts in `[from, to)`, free or not.
    pub fn slots(&self, kind: ConsultationKind, from: i64, to: i64) -> Vec<(i64, i64)> {
        let Some(len) = self.lengths.of(kind) else {
            return Vec::new();
        };
        let (Some(first), Some(last)) = (self.local_date(from), self.local_date(to)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut date = first.yesterday().unwrap_or(first);
        while date <= last {
            for &(a, b) in self.day(date) {
                let mut m = a;
                while m + len <= b {
                    if let Some(start) = self.instant(date, m) {
                        if start >= from && start < to {
                            out.push((start, start + i64::from(len) * MINUTE_MS));
                        }
                    }
                    m += len;
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The free slots in `[from, to)`: not before `now`, overlapping none of `taken` (start, end).
    pub fn free(
        &self,
        kind: ConsultationKind,
        from: i64,
        to: i64,
        taken: &[(i64, i64)],
        now: i64,
    ) -> Vec<(i64, i64)> {
        let mut taken = taken.to_vec();
        taken.sort_unstable();
        self.slots(kind, from.max(now), to)
            .into_iter()
            .filter(|&(s, e)| !overlaps(&taken, s, e))
            .collect()
    }

    /// The end of the slot of `kind` that starts at `start`, if the schedule has one there.
    pub fn slot_at(&self, kind: ConsultationKind, start: i64) -> Option<i64> {
        self.slots(kind, start, start + 1)
            .into_iter()
            .find(|&(s, _)| s == start)
            .map(|(_, e)| e)
    }
}

/// Whether `[s, e)` overlaps one of `taken` (sorted by start).
pub fn overlaps(taken: &[(i64, i64)], s: i64, e: i64) -> bool {
    // Every interval starting before `e` may overlap; the ones starting at or after cannot.
    let n = taken.partition_point(|&(ts, _)| ts < e);
    taken[..n].iter().any(|&(_, te)| te > s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wh(weekday: u8, from: &str, to: &str) -> WorkingHours {
        WorkingHours {
            weekday,
            from: from.into(),
            to: to.into(),
        }
    }

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn hours(tz: &str, weekly: &[WorkingHours], exceptions: &[ScheduleException]) -> Hours {
        Hours::new(tz, weekly, exceptions, VisitLengths::default()).unwrap()
    }

    #[test]
    fn a_morning_in_moscow_gives_video_slots_every_half_hour_in_utc() {
        // Monday 7 December 2026, 09:00–11:00 Moscow (UTC+3).
        let h = hours("Europe/Moscow", &[wh(1, "09:00", "11:00")], &[]);
        let slots = h.slots(
            ConsultationKind::Video,
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
        );
        let starts: Vec<i64> = slots.iter().map(|s| s.0).collect();
        assert_eq!(
            starts,
            vec![
                at("2026-12-07T06:00:00Z"),
                at("2026-12-07T06:30:00Z"),
                at("2026-12-07T07:00:00Z"),
                at("2026-12-07T07:30:00Z"),
            ]
        );
        assert!(slots.iter().all(|(s, e)| e - s == 30 * MINUTE_MS));
        // Phone visits are 15 minutes: twice as many.
        assert_eq!(
            h.slots(
                ConsultationKind::Phone,
                at("2026-12-07T00:00:00Z"),
                at("2026-12-08T00:00:00Z")
            )
            .len(),
            8
        );
        assert!(h
            .slots(
                ConsultationKind::Chat,
                at("2026-12-07T00:00:00Z"),
                at("2026-12-08T00:00:00Z")
            )
            .is_empty());
    }

    #[test]
    fn a_slot_that_would_run_past_the_end_of_the_hours_is_not_offered() {
        let h = hours("UTC", &[wh(1, "09:00", "10:10")], &[]);
        let slots = h.slots(
            ConsultationKind::Video,
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
        );
        assert_eq!(slots.len(), 2, "09:00 and 09:30; 10:00 would end at 10:30");
    }

    #[test]
    fn an_exception_replaces_the_day_and_none_is_a_day_off() {
        let weekly = [wh(1, "09:00", "10:00"), wh(2, "09:00", "10:00")];
        let exceptions = [
            ScheduleException {
                date: "2026-12-07".into(),
                hours: vec![],
                note: Some("day off".into()),
            },
            ScheduleException {
                date: "2026-12-08".into(),
                hours: vec![TimeRange {
                    from: "14:00".into(),
                    to: "15:00".into(),
                }],
                note: None,
            },
        ];
        let h = hours("UTC", &weekly, &exceptions);
        let slots = h.slots(
            ConsultationKind::Video,
            at("2026-12-07T00:00:00Z"),
            at("2026-12-09T00:00:00Z"),
        );
        assert_eq!(
            slots.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![at("2026-12-08T14:00:00Z"), at("2026-12-08T14:30:00Z")]
        );
    }

    #[test]
    fn hours_stay_local_across_a_daylight_saving_change() {
        // Berlin goes from UTC+1 to UTC+2 on Sunday 28 March 2027; Monday before and after.
        let h = hours("Europe/Berlin", &[wh(1, "09:00", "09:30")], &[]);
        let before = h.slots(
            ConsultationKind::Video,
            at("2027-03-22T00:00:00Z"),
            at("2027-03-23T00:00:00Z"),
        );
        let after = h.slots(
            ConsultationKind::Video,
            at("2027-03-29T00:00:00Z"),
            at("2027-03-30T00:00:00Z"),
        );
        assert_eq!(before[0].0, at("2027-03-22T08:00:00Z"));
        assert_eq!(after[0].0, at("2027-03-29T07:00:00Z"));
    }

    #[test]
    fn hours_until_midnight_and_a_day_crossing_utc_are_whole() {
        // Tokyo 22:00–24:00 on Monday is 13:00–15:00 UTC the same day.
        let h = hours("Asia/Tokyo", &[wh(1, "22:00", "24:00")], &[]);
        let slots = h.slots(
            ConsultationKind::Video,
            at("2026-12-07T00:00:00Z"),
            at("2026-12-08T00:00:00Z"),
        );
        assert_eq!(slots.len(), 4);
        assert_eq!(slots[0].0, at("2026-12-07T13:00:00Z"));
    }

    #[test]
    fn booked_visits_and_the_past_are_not_free() {
        let h = hours("UTC", &[wh(1, "09:00", "11:00")], &[]);
        let (from, to) = (at("2026-12-07T00:00:00Z"), at("2026-12-08T00:00:00Z"));
        // A 15-minute phone visit at 09:40 blocks the 09:30 video slot; now is 09:10.
        let taken = [(at("2026-12-07T09:40:00Z"), at("2026-12-07T09:55:00Z"))];
        let free = h.free(
            ConsultationKind::Video,
            from,
            to,
            &taken,
            at("2026-12-07T09:10:00Z"),
        );
        assert_eq!(
            free.iter().map(|s| s.0).collect::<Vec<_>>(),
            vec![at("2026-12-07T10:00:00Z"), at("2026-12-07T10:30:00Z")]
        );
        assert_eq!(
            h.slot_at(ConsultationKind::Video, at("2026-12-07T10:00:00Z")),
            Some(at("2026-12-07T10:30:00Z"))
        );
        assert_eq!(
            h.slot_at(ConsultationKind::Video, at("2026-12-07T10:10:00Z")),
            None
        );
    }

    #[test]
    fn bad_schedules_are_refused_with_what_is_wrong() {
        let bad = |tz: &str, weekly: &[WorkingHours], ex: &[ScheduleException], l: VisitLengths| {
            Hours::new(tz, weekly, ex, l).unwrap_err().message
        };
        let ok = VisitLengths::default();
        assert!(bad("Mars/Olympus", &[], &[], ok.clone()).contains("time zone"));
        assert!(bad("UTC", &[wh(1, "9:00", "10:00")], &[], ok.clone()).contains("HH:MM"));
        assert!(bad("UTC", &[wh(1, "10:00", "09:00")], &[], ok.clone()).contains("ends before"));
        assert!(bad("UTC", &[wh(8, "09:00", "10:00")], &[], ok.clone()).contains("weekday 8"));
        assert!(bad(
            "UTC",
            &[wh(3, "09:00", "12:00"), wh(3, "11:00", "13:00")],
            &[],
            ok.clone()
        )
        .contains("Wednesday: 09:00–12:00 overlaps 11:00–13:00"));
        let day = |d: &str| ScheduleException {
            date: d.into(),
            hours: vec![],
            note: None,
        };
        assert!(bad("UTC", &[], &[day("2026-02-30")], ok.clone()).contains("not a date"));
        assert!(bad(
            "UTC",
            &[],
            &[day("2026-12-31"), day("2026-12-31")],
            ok.clone()
        )
        .contains("two exceptions"));
        assert!(bad(
            "UTC",
            &[],
            &[],
            VisitLengths {
                phone: 15,
                video: 300
            }
        )
        .contains("300 minutes"));
        assert!(bad("UTC", &[wh(1, "09:00", "24:01")], &[], ok).contains("HH:MM"));
    }

    #[test]
    fn overlap_is_exclusive_at_the_ends() {
        let taken = [(10, 20), (30, 40)];
        assert!(!overlaps(&taken, 0, 10));
        assert!(!overlaps(&taken, 20, 30));
        assert!(overlaps(&taken, 19, 21));
        assert!(overlaps(&taken, 0, 100));
        assert!(!overlaps(&taken, 40, 50));
    }
}
