//! SLA: when an item becomes late, by the thresholds an admin set for the whole desk
//! (`DeskSettings::sla`, kept in the cache). Pure functions of an item, its times and the
//! thresholds, so the lists, the notifications and the tests agree on one definition
//! (docs/sla.md):
//! - **queue wait**: a consultation in the queue since `created_at` + threshold;
//! - **first response**: a taken consultation with no answer the client can see, since
//!   `taken_at` + threshold;
//! - **unanswered**: an active consultation whose client wrote after the last answer the
//!   client can see, since that client message + threshold;
//! - **callback asap**: an "as soon as possible" callback request with no attempt yet, since
//!   `created_at` + threshold (a scheduled one is late when its window ends: `due_at`).

use careline_protocol::{Callback, Consultation, ConsultationStatus, SlaThresholds};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    QueueWait,
    FirstResponse,
    Unanswered,
    CallbackAsap,
}

/// The moment an item is late by one threshold (in the past: it is late now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlaDue {
    pub breach: Breach,
    pub at: DateTime<Utc>,
}

impl SlaDue {
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        now >= self.at
    }
}

fn minutes(m: Option<i64>) -> Option<Duration> {
    m.filter(|m| *m > 0).map(Duration::minutes)
}

/// When the consultation is (or was) late, if a threshold applies to it now. `unanswered_since`
/// is the first client message after the last answer the client saw (none: nothing waits).
pub fn consultation_due(
    c: &Consultation,
    unanswered_since: Option<DateTime<Utc>>,
    t: &SlaThresholds,
) -> Option<SlaDue> {
    match c.status {
        ConsultationStatus::New => minutes(t.queue_wait_minutes).map(|d| SlaDue {
            breach: Breach::QueueWait,
            at: c.created_at + d,
        }),
        ConsultationStatus::Active if c.first_response_at.is_none() => {
            let taken = c.taken_at.unwrap_or(c.created_at);
            minutes(t.first_response_minutes).map(|d| SlaDue {
                breach: Breach::FirstResponse,
                at: taken + d,
            })
        }
        ConsultationStatus::Active => {
            let since = unanswered_since?;
            minutes(t.unanswered_minutes).map(|d| SlaDue {
                breach: Breach::Unanswered,
                at: since + d,
            })
        }
        // A booked visit has its own reminders (its start), not the queue's thresholds.
        ConsultationStatus::Closed | ConsultationStatus::Scheduled => None,
    }
}

/// When an "as soon as possible" callback request with no attempt is late.
pub fn callback_due(cb: &Callback, t: &SlaThresholds) -> Option<SlaDue> {
    if cb.status.is_final() || cb.preferred_at.is_some() || !cb.attempts.is_empty() {
        return None;
    }
    minutes(t.callback_asap_minutes).map(|d| SlaDue {
        breach: Breach::CallbackAsap,
        at: cb.created_at + d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use careline_protocol::fixture;
    use uuid::Uuid;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn each_state_has_its_threshold() {
        let t = SlaThresholds {
            queue_wait_minutes: Some(5),
            first_response_minutes: Some(3),
            unanswered_minutes: Some(10),
            callback_asap_minutes: Some(15),
        };
        let queued = fixture::consultation(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            ConsultationStatus::New,
            at(0),
        );
        let due = consultation_due(&queued, None, &t).unwrap();
        assert_eq!((due.breach, due.at), (Breach::QueueWait, at(5)));
        assert!(!due.is_late(at(4)) && due.is_late(at(5)));
        let taken = Consultation {
            status: ConsultationStatus::Active,
            taken_at: Some(at(7)),
            operator_id: Some(Uuid::from_u128(3)),
            ..queued.clone()
        };
        assert_eq!(
            consultation_due(&taken, Some(at(1)), &t).map(|d| (d.breach, d.at)),
            Some((Breach::FirstResponse, at(10)))
        );
        let answered = Consultation {
            first_response_at: Some(at(8)),
            ..taken.clone()
        };
        assert_eq!(
            consultation_due(&answered, None, &t),
            None,
            "nothing waits for an answer"
        );
        assert_eq!(
            consultation_due(&answered, Some(at(20)), &t).map(|d| (d.breach, d.at)),
            Some((Breach::Unanswered, at(30)))
        );
        let closed = Consultation {
            status: ConsultationStatus::Closed,
            ..answered
        };
        assert_eq!(consultation_due(&closed, Some(at(20)), &t), None);
        // A threshold turned off (or nonsense) applies to nothing.
        let off = SlaThresholds {
            queue_wait_minutes: None,
            first_response_minutes: Some(0),
            ..t.clone()
        };
        assert_eq!(consultation_due(&queued, None, &off), None);
        assert_eq!(consultation_due(&taken, None, &off), None);
    }

    #[test]
    fn an_asap_callback_is_late_until_its_first_attempt() {
        let t = SlaThresholds::default();
        let cb = Callback {
            id: Uuid::from_u128(1),
            client_id: None,
            phone: "+79000000000".into(),
            preferred_at: None,
            preferred_until: None,
            reason: None,
            status: careline_protocol::CallbackStatus::New,
            operator_id: None,
            due_at: at(0),
            attempts: Vec::new(),
            created_at: at(0),
            closed_at: None,
        };
        assert_eq!(
            callback_due(&cb, &t).map(|d| (d.breach, d.at)),
            Some((Breach::CallbackAsap, at(15)))
        );
        let scheduled = Callback {
            preferred_at: Some(at(60)),
            ..cb.clone()
        };
        assert_eq!(
            callback_due(&scheduled, &t),
            None,
            "a scheduled one is late by its window"
        );
        let done = Callback {
            status: careline_protocol::CallbackStatus::Done,
            ..cb
        };
        assert_eq!(callback_due(&done, &t), None);
    }
}
