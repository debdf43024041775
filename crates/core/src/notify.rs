//! The notification policy: which events deserve a native notification, as pure functions of
//! (event, what the cache knew before it, the operator's state, the settings) — no I/O, so it
//! is tested exhaustively here and the desktop shell only shows what it is handed.
//!
//! Kinds (the product's notification rules): a new consultation in the queue, a new callback request, a new
//! message in one of my consultations while its chat is not in front, a consultation
//! transferred to me, callback reminders (5 minutes before, 10 minutes overdue), a queue item
//! waiting too long, a red flag (a client's message the server found an emergency phrase in).
//! Nothing while `busy` — except red flags: a red-flag consultation waiting in the queue is
//! told to everyone, busy or not and whatever the switches say, and told again every
//! [`RED_FLAG_REPEAT`] until someone takes it. Bursts are coalesced into one notification per
//! kind with a count ("5 new requests").

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use careline_protocol::{
    AuthorKind, Callback, CallbackStatus, Consultation, ConsultationStatus, Event, EventData,
    Prescription, PrescriptionStatus, Presence, RefundStatus, Role,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    NewQueueItem,
    NewCallback,
    NewMessage,
    TransferredToMe,
    CallbackDueSoon,
    CallbackOverdue,
    LongWait,
    RedFlag,
    /// An item went past an SLA threshold (`sla`): told to its operator and to supervisors.
    SlaBreach,
    /// A queued consultation was given to me (by a supervisor, or by automatic assignment).
    AssignedToMe,
    /// The server paused a webhook endpoint that kept failing (told to admins).
    WebhookPaused,
    /// One of my booked visits starts in 5 minutes.
    VisitSoon,
    /// My patient checked in: they are in the waiting room.
    PatientWaiting,
    /// A visit began 10 minutes ago and no call has started (told to its specialist and admins).
    VisitLate,
    /// A prescription was submitted for review (told to pharmacists).
    PrescriptionToReview,
    /// A pharmacist approved one of my prescriptions.
    PrescriptionApproved,
    /// A pharmacist rejected one of my prescriptions (the text has the reason).
    PrescriptionRejected,
    /// A refund was requested (told to admins).
    RefundRequested,
}

/// A red-flag consultation still in the queue is told again this often.
pub const RED_FLAG_REPEAT: Duration = Duration::from_secs(60);

/// Per-kind switches and timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Settings {
    pub enabled: BTreeMap<Kind, bool>,
    pub sound: bool,
    /// A queue item waiting longer than this raises `LongWait`.
    #[cfg_attr(feature = "ts", ts(type = "{ secs: number, nanos: number }"))]
    pub long_wait_after: Duration,
    /// Repeat the long-wait alert every this long until someone takes the item (none: once).
    #[cfg_attr(feature = "ts", ts(type = "{ secs: number, nanos: number } | null"))]
    pub repeat_until_taken: Option<Duration>,
    /// Callback reminder this long before the preferred time.
    #[cfg_attr(feature = "ts", ts(type = "{ secs: number, nanos: number }"))]
    pub remind_before: Duration,
    /// And again when it is this long overdue.
    #[cfg_attr(feature = "ts", ts(type = "{ secs: number, nanos: number }"))]
    pub remind_overdue_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: [
                Kind::NewQueueItem,
                Kind::NewCallback,
                Kind::NewMessage,
                Kind::TransferredToMe,
                Kind::CallbackDueSoon,
                Kind::CallbackOverdue,
                Kind::LongWait,
                Kind::SlaBreach,
                Kind::AssignedToMe,
                Kind::VisitSoon,
                Kind::PatientWaiting,
                Kind::VisitLate,
                Kind::PrescriptionToReview,
                Kind::PrescriptionApproved,
                Kind::PrescriptionRejected,
                Kind::RefundRequested,
            ]
            .into_iter()
            .map(|k| (k, true))
            .collect(),
            sound: true,
            long_wait_after: Duration::from_secs(5 * 60),
            repeat_until_taken: None,
            remind_before: Duration::from_secs(5 * 60),
            remind_overdue_after: Duration::from_secs(10 * 60),
        }
    }
}

impl Settings {
    /// Whether this kind is told; red flags always are.
    pub fn allows(&self, kind: Kind) -> bool {
        kind == Kind::RedFlag || self.enabled.get(&kind).copied().unwrap_or(true)
    }
}

/// What is true of the operator right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub me: Uuid,
    /// What the desk's user does: a pharmacist is told of prescriptions to review, an admin of
    /// refunds to decide.
    pub role: Role,
    pub presence: Presence,
    /// The consultation whose chat is open in a focused window, if any.
    pub in_front: Option<Uuid>,
}

/// What a notification points at; clicking it opens this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Target {
    Consultation(Uuid),
    Callback(Uuid),
    /// A webhook endpoint (the admin's Desk rules screen).
    Webhook(Uuid),
    /// A booked visit (the Visits section).
    Appointment(Uuid),
    /// A prescription (the Prescriptions section).
    Prescription(Uuid),
    /// A refund (the admin's Refunds section).
    Refund(Uuid),
}

/// One thing worth telling, before coalescing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Candidate {
    pub kind: Kind,
    pub target: Target,
    /// A line of text for the body: the message, the subject, the reason.
    pub text: String,
}

/// What the shell shows (it words the title in the interface's language from `kind` and
/// `count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Notification {
    pub kind: Kind,
    pub count: usize,
    /// The item a click opens: the single one, or the first of a burst.
    pub target: Target,
    pub text: String,
    pub sound: bool,
}

/// What the cache knew of the entity before the event, for telling changes apart: just the
/// fields the policy looks at, so a follower can keep it in memory for every entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    Nothing,
    Consultation {
        status: ConsultationStatus,
        operator_id: Option<Uuid>,
        red_flag: bool,
    },
    Callback {
        status: CallbackStatus,
    },
}

impl From<&Consultation> for Before {
    fn from(c: &Consultation) -> Before {
        Before::Consultation {
            status: c.status,
            operator_id: c.operator_id,
            red_flag: c.red_flag.is_some(),
        }
    }
}

impl From<&Callback> for Before {
    fn from(c: &Callback) -> Before {
        Before::Callback { status: c.status }
    }
}

/// The follower's memory of consultations and callbacks, as `Before` needs them: learned from
/// the cache at start and from every event applied after.
#[derive(Debug, Clone, Default)]
pub struct Known {
    consultations: HashMap<Uuid, Before>,
    callbacks: HashMap<Uuid, Before>,
}

impl Known {
    /// What was known of the event's entity before it.
    pub fn before(&self, data: &EventData) -> Before {
        let found = match data {
            EventData::Consultation(c) => self.consultations.get(&c.id),
            EventData::Callback(c) => self.callbacks.get(&c.id),
            _ => None,
        };
        found.copied().unwrap_or(Before::Nothing)
    }

    pub fn learn(&mut self, data: &EventData) {
        match data {
            EventData::Consultation(c) => {
                self.consultations.insert(c.id, c.into());
            }
            EventData::Callback(c) => {
                self.callbacks.insert(c.id, c.into());
            }
            _ => {}
        }
    }

    /// Whether the consultation is active and assigned to `me`.
    pub fn is_mine(&self, consultation: Uuid, me: Uuid) -> bool {
        matches!(self.consultations.get(&consultation), Some(Before::Consultation { status: ConsultationStatus::Active, operator_id: Some(o), .. }) if *o == me)
    }
}

/// [`Known`] as a running desk keeps it: learned from every event applied, and rebuilt from
/// the cache after a catch-up (whose events went past the policy). The rebuild reads the
/// cache while live events keep being learned, so whatever is learned between the start of a
/// rebuild and its end is learned again on top of what the cache read: a rebuild never
/// forgets a newer state for an older one (which would notify twice for one item).
#[derive(Debug, Default)]
pub struct Memory {
    known: Known,
    generation: u64,
    /// Learned since the rebuild of this generation began.
    since_rebuild: Option<(u64, Vec<EventData>)>,
}

impl Memory {
    pub fn new(known: Known) -> Memory {
        Memory {
            known,
            ..Memory::default()
        }
    }

    pub fn known(&self) -> &Known {
        &self.known
    }

    pub fn learn(&mut self, data: &EventData) {
        if let Some((_, learned)) = &mut self.since_rebuild {
            if matches!(data, EventData::Consultation(_) | EventData::Callback(_)) {
                learned.push(data.clone());
            }
        }
        self.known.learn(data);
    }

    /// A rebuild starts: read the cache after this, then hand the result to [`Memory::rebuilt`].
    pub fn rebuild_begins(&mut self) -> u64 {
        self.generation += 1;
        self.since_rebuild = Some((self.generation, Vec::new()));
        self.generation
    }

    /// What the cache read after `rebuild_begins` returned `generation`. A rebuild overtaken by
    /// a later one changes nothing (the later one will).
    pub fn rebuilt(&mut self, generation: u64, mut read: Known) {
        match self.since_rebuild.take() {
            Some((g, learned)) if g == generation => {
                for data in &learned {
                    read.learn(data);
                }
                self.known = read;
            }
            other => self.since_rebuild = other,
        }
    }
}

/// The reminders already given, so each is said once (or repeated as the settings say), kept
/// only for items that can still be reminded of: it does not grow with the life of the desk.
#[derive(Debug, Default)]
pub struct Given {
    said: Vec<(Kind, Target, DateTime<Utc>)>,
    /// SLA breaches told, by item and threshold, kept while the item stays late.
    breaches: Vec<(Target, crate::sla::Breach, DateTime<Utc>)>,
}

impl Given {
    /// Reminders due at `now`, recorded as given; what concerns items no longer open (taken,
    /// closed, done) is forgotten.
    pub fn due(
        &mut self,
        now: DateTime<Utc>,
        callbacks: &[Callback],
        queue: &[Consultation],
        op: Operator,
        settings: &Settings,
    ) -> Vec<Candidate> {
        let open: std::collections::HashSet<Target> = callbacks
            .iter()
            .filter(|c| !c.status.is_final())
            .map(|c| Target::Callback(c.id))
            .chain(
                queue
                    .iter()
                    .filter(|c| c.status == ConsultationStatus::New)
                    .map(|c| Target::Consultation(c.id)),
            )
            .collect();
        // Visits' notices are kept by `due_visits`.
        self.said
            .retain(|(_, t, _)| matches!(t, Target::Appointment(_)) || open.contains(t));
        let due = reminders(now, callbacks, queue, op, settings, &self.said);
        for c in &due {
            // A repeated reminder replaces the earlier one of its kind and item.
            self.said
                .retain(|(k, t, _)| !(*k == c.kind && *t == c.target));
            self.said.push((c.kind, c.target, now));
        }
        due
    }

    /// SLA breaches to tell at `now`, of the items late now (`late`: what each is, when it went
    /// late, a line of text). Each is told once, and again every `repeat_until_taken` while it
    /// stays late if the operator asked for repeats; an item handled (answered, taken,
    /// attempted) is forgotten, so a new breach of it is told again. Nothing while busy.
    pub fn due_breaches(
        &mut self,
        now: DateTime<Utc>,
        late: &[(Target, crate::sla::SlaDue, String)],
        op: Operator,
        settings: &Settings,
    ) -> Vec<Candidate> {
        self.breaches.retain(|(t, b, _)| {
            late.iter()
                .any(|(lt, d, _)| lt == t && d.breach == *b && d.is_late(now))
        });
        if op.presence == Presence::Busy || !settings.allows(Kind::SlaBreach) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (target, due, text) in late.iter().filter(|(_, d, _)| d.is_late(now)) {
            let told = self
                .breaches
                .iter()
                .position(|(t, b, _)| t == target && *b == due.breach);
            let again = match (told, settings.repeat_until_taken) {
                (None, _) => true,
                (Some(i), Some(every)) => {
                    now >= self.breaches[i].2
                        + chrono::Duration::from_std(every).unwrap_or_default()
                }
                (Some(_), None) => false,
            };
            if again {
                if let Some(i) = told {
                    self.breaches.remove(i);
                }
                self.breaches.push((*target, due.breach, now));
                out.push(Candidate {
                    kind: Kind::SlaBreach,
                    target: *target,
                    text: text.clone(),
                });
            }
        }
        out
    }

    /// Visit notices due at `now` ([`visit_reminders`]), recorded as given; what concerns
    /// visits no longer listed (over, cancelled) is forgotten.
    pub fn due_visits(
        &mut self,
        now: DateTime<Utc>,
        visits: &[(careline_protocol::Appointment, String)],
        op: Operator,
        admin: bool,
        settings: &Settings,
    ) -> Vec<Candidate> {
        self.said.retain(|(_, t, _)| match t {
            Target::Appointment(id) => visits.iter().any(|(a, _)| a.id == *id),
            _ => true,
        });
        let due = visit_reminders(now, visits, op, admin, settings, &self.said);
        for c in &due {
            self.said.push((c.kind, c.target, now));
        }
        due
    }

    /// Records a notification told as the event arrived, so a repeating reminder counts from it.
    pub fn told(&mut self, kind: Kind, target: Target, at: DateTime<Utc>) {
        self.said.retain(|(k, t, _)| !(*k == kind && *t == target));
        self.said.push((kind, target, at));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.said.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.said.is_empty()
    }
}

/// Decides on one event from the stream.
pub fn on_event(
    event: &Event,
    before: Before,
    op: Operator,
    settings: &Settings,
    my_consultation: impl Fn(Uuid) -> bool,
) -> Option<Candidate> {
    if let EventData::Consultation(c) = &event.data {
        let flagged_before = matches!(before, Before::Consultation { red_flag: true, .. });
        if let (Some(phrase), ConsultationStatus::New, false) =
            (&c.red_flag, c.status, flagged_before)
        {
            return Some(red_flag(c, phrase));
        }
    }
    if op.presence == Presence::Busy {
        return None;
    }
    let candidate = match &event.data {
        EventData::Consultation(c) => {
            let prev = match before {
                Before::Consultation {
                    status,
                    operator_id,
                    ..
                } => Some((status, operator_id)),
                _ => None,
            };
            let newly_queued = c.status == ConsultationStatus::New
                && prev.is_none_or(|(s, _)| s != ConsultationStatus::New);
            let to_me = c.status == ConsultationStatus::Active
                && c.operator_id == Some(op.me)
                && prev.is_some_and(|(s, o)| s == ConsultationStatus::Active && o != Some(op.me));
            // From the queue to me: assigned (the desk drops it when it was my own take).
            let assigned = c.status == ConsultationStatus::Active
                && c.operator_id == Some(op.me)
                && prev.is_some_and(|(s, _)| s == ConsultationStatus::New);
            if newly_queued {
                Some(Candidate {
                    kind: Kind::NewQueueItem,
                    target: Target::Consultation(c.id),
                    text: c.subject.clone().unwrap_or_default(),
                })
            } else if to_me {
                Some(Candidate {
                    kind: Kind::TransferredToMe,
                    target: Target::Consultation(c.id),
                    text: c.subject.clone().unwrap_or_default(),
                })
            } else if assigned {
                Some(Candidate {
                    kind: Kind::AssignedToMe,
                    target: Target::Consultation(c.id),
                    text: c.subject.clone().unwrap_or_default(),
                })
            } else {
                None
            }
        }
        EventData::Message(m) => {
            let mine = my_consultation(m.consultation_id);
            let in_front = op.in_front == Some(m.consultation_id);
            (m.author_kind == AuthorKind::Client && mine && !in_front).then(|| Candidate {
                kind: Kind::NewMessage,
                target: Target::Consultation(m.consultation_id),
                text: m.body.clone(),
            })
        }
        EventData::Prescription(p) => prescription_news(p, op),
        EventData::Refund(r) => (r.status == RefundStatus::Requested
            && op.role == Role::Admin
            && r.requested_by != Some(op.me))
        .then(|| Candidate {
            kind: Kind::RefundRequested,
            target: Target::Refund(r.id),
            text: r.reason.clone().unwrap_or_default(),
        }),
        EventData::Callback(cb) => {
            let is_new = cb.status == CallbackStatus::New && matches!(before, Before::Nothing);
            is_new.then(|| Candidate {
                kind: Kind::NewCallback,
                target: Target::Callback(cb.id),
                text: cb.reason.clone().unwrap_or_else(|| cb.phone.clone()),
            })
        }
        _ => None,
    }?;
    settings.allows(candidate.kind).then_some(candidate)
}

/// What a prescription's step tells: a pharmacist, one to review; its doctor, the review (a
/// rejection with its reason). The text names the medications.
fn prescription_news(p: &Prescription, op: Operator) -> Option<Candidate> {
    let names = p
        .items
        .iter()
        .map(|i| i.medication.as_str())
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let kind = match p.status {
        PrescriptionStatus::Submitted if op.role == Role::Pharmacist => Kind::PrescriptionToReview,
        PrescriptionStatus::Approved if p.prescriber_id == op.me => Kind::PrescriptionApproved,
        PrescriptionStatus::Rejected if p.prescriber_id == op.me => Kind::PrescriptionRejected,
        _ => return None,
    };
    let text = match (&p.reason, kind) {
        (Some(why), Kind::PrescriptionRejected) => format!("{names} — {why}"),
        _ => names,
    };
    Some(Candidate {
        kind,
        target: Target::Prescription(p.id),
        text,
    })
}

/// The red-flag alert of a waiting consultation: the client's words it fired on (the rule's
/// phrase from an older server), then what the client wrote first.
fn red_flag(c: &Consultation, phrase: &str) -> Candidate {
    let words = c.red_flag_words.as_deref().unwrap_or(phrase);
    let text = match &c.subject {
        Some(s) if s != words => format!("«{words}» — {s}"),
        _ => format!("«{words}»"),
    };
    Candidate {
        kind: Kind::RedFlag,
        target: Target::Consultation(c.id),
        text,
    }
}

/// Reminders that are due at `now` and not yet given. `given` holds what was already said, as
/// (kind, target, when); the caller keeps it.
pub fn reminders(
    now: DateTime<Utc>,
    callbacks: &[Callback],
    queue: &[Consultation],
    op: Operator,
    settings: &Settings,
    given: &[(Kind, Target, DateTime<Utc>)],
) -> Vec<Candidate> {
    let said = |kind: Kind, target: Target| {
        given
            .iter()
            .filter(|(k, t, _)| *k == kind && *t == target)
            .map(|(_, _, at)| *at)
            .max()
    };
    let mut out = Vec::new();
    // Red flags first, and whatever the operator's status: until someone takes it.
    let repeat = chrono::Duration::from_std(RED_FLAG_REPEAT).unwrap_or_default();
    for c in queue.iter().filter(|c| c.status == ConsultationStatus::New) {
        if let Some(phrase) = &c.red_flag {
            if said(Kind::RedFlag, Target::Consultation(c.id)).is_none_or(|at| now >= at + repeat) {
                out.push(red_flag(c, phrase));
            }
        }
    }
    if op.presence == Presence::Busy {
        return out;
    }
    for cb in callbacks.iter().filter(|c| !c.status.is_final()) {
        let target = Target::Callback(cb.id);
        let text = cb.reason.clone().unwrap_or_else(|| cb.phone.clone());
        let due = cb.due_at;
        let before = chrono::Duration::from_std(settings.remind_before).unwrap_or_default();
        let overdue = chrono::Duration::from_std(settings.remind_overdue_after).unwrap_or_default();
        // Only scheduled ones are reminded before; "as soon as possible" is already due.
        if cb.preferred_at.is_some()
            && now >= due - before
            && now < due
            && said(Kind::CallbackDueSoon, target).is_none()
            && settings.allows(Kind::CallbackDueSoon)
        {
            out.push(Candidate {
                kind: Kind::CallbackDueSoon,
                target,
                text: text.clone(),
            });
        }
        if now >= due + overdue
            && said(Kind::CallbackOverdue, target).is_none()
            && settings.allows(Kind::CallbackOverdue)
        {
            out.push(Candidate {
                kind: Kind::CallbackOverdue,
                target,
                text,
            });
        }
    }
    let wait = chrono::Duration::from_std(settings.long_wait_after).unwrap_or_default();
    for c in queue.iter().filter(|c| c.status == ConsultationStatus::New) {
        let target = Target::Consultation(c.id);
        if now < c.created_at + wait || !settings.allows(Kind::LongWait) {
            continue;
        }
        let again = match (said(Kind::LongWait, target), settings.repeat_until_taken) {
            (None, _) => true,
            (Some(at), Some(every)) => {
                now >= at + chrono::Duration::from_std(every).unwrap_or_default()
            }
            (Some(_), None) => false,
        };
        if again {
            out.push(Candidate {
                kind: Kind::LongWait,
                target,
                text: c.subject.clone().unwrap_or_default(),
            });
        }
    }
    out
}

/// How long before a visit its specialist is told.
pub const VISIT_SOON: chrono::Duration = chrono::Duration::minutes(5);
/// How long after a visit's start with no call it is late.
pub const VISIT_LATE: chrono::Duration = chrono::Duration::minutes(10);

/// Visit notices due at `now` and not yet given, for the desk of `me` (`admin`: told of every
/// late visit, not only their own): 5 minutes before my visit, my patient in the waiting room,
/// and a visit 10 minutes past its start with no call. `visits` come with the line to show
/// (the patient's name). Each once per visit and kind; nothing while busy but a late visit.
pub fn visit_reminders(
    now: DateTime<Utc>,
    visits: &[(careline_protocol::Appointment, String)],
    op: Operator,
    admin: bool,
    settings: &Settings,
    given: &[(Kind, Target, DateTime<Utc>)],
) -> Vec<Candidate> {
    use careline_protocol::AppointmentStatus as S;
    let said = |kind: Kind, target: Target| given.iter().any(|(k, t, _)| *k == kind && *t == target);
    let mut out = Vec::new();
    for (a, text) in visits {
        let target = Target::Appointment(a.id);
        let mine = a.operator_id == op.me;
        let open = matches!(a.status, S::Booked | S::Waiting);
        let mut tell = |kind: Kind| {
            if !said(kind, target) && settings.allows(kind) {
                out.push(Candidate {
                    kind,
                    target,
                    text: text.clone(),
                });
            }
        };
        if open && (mine || admin) && now >= a.starts_at + VISIT_LATE && now < a.ends_at {
            tell(Kind::VisitLate);
        }
        if !mine || op.presence == Presence::Busy {
            continue;
        }
        if a.status == S::Booked && now >= a.starts_at - VISIT_SOON && now < a.starts_at {
            tell(Kind::VisitSoon);
        }
        if a.status == S::Waiting && now < a.ends_at {
            tell(Kind::PatientWaiting);
        }
    }
    out
}

/// Coalesces a burst: one notification per kind, counting, pointing at the first item.
pub fn coalesce(burst: &[Candidate], settings: &Settings) -> Vec<Notification> {
    let mut by_kind: BTreeMap<Kind, Notification> = BTreeMap::new();
    for c in burst {
        by_kind
            .entry(c.kind)
            .and_modify(|n| n.count += 1)
            .or_insert_with(|| Notification {
                kind: c.kind,
                count: 1,
                target: c.target,
                text: c.text.clone(),
                sound: settings.sound,
            });
    }
    // Several messages in several chats: the text of one would mislead.
    for n in by_kind.values_mut() {
        if n.count > 1 {
            n.text.clear();
        }
    }
    by_kind.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use careline_protocol::{Message, MessageKind};

    fn me() -> Operator {
        Operator {
            me: Uuid::from_u128(1),
            role: Role::Operator,
            presence: Presence::Online,
            in_front: None,
        }
    }

    fn consultation(status: ConsultationStatus, operator: Option<u128>) -> Consultation {
        Consultation {
            operator_id: operator.map(Uuid::from_u128),
            subject: Some("Болит голова".into()),
            ..careline_protocol::fixture::consultation(
                Uuid::from_u128(100),
                Uuid::from_u128(200),
                status,
                DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            )
        }
    }

    #[test]
    fn a_consultation_given_to_me_from_the_queue_is_told() {
        let s = Settings::default();
        let queued = consultation(ConsultationStatus::New, None);
        let mine = consultation(ConsultationStatus::Active, Some(1));
        let e = event(EventData::Consultation(mine.clone()));
        assert_eq!(
            on_event(&e, Before::from(&queued), me(), &s, |_| true)
                .unwrap()
                .kind,
            Kind::AssignedToMe
        );
        // Someone else's: nothing; already mine: nothing.
        let theirs = consultation(ConsultationStatus::Active, Some(2));
        assert!(on_event(
            &event(EventData::Consultation(theirs)),
            Before::from(&queued),
            me(),
            &s,
            |_| false
        )
        .is_none());
        assert!(on_event(&e, Before::from(&mine), me(), &s, |_| true).is_none());
    }

    #[test]
    fn a_red_flag_is_told_to_everyone_at_once_and_again_until_taken() {
        let s = Settings {
            enabled: Settings::default()
                .enabled
                .into_keys()
                .map(|k| (k, false))
                .collect(),
            ..Settings::default()
        };
        let plain = consultation(ConsultationStatus::New, None);
        let flagged = Consultation {
            red_flag: Some("chest pain".into()),
            priority: careline_protocol::Priority::Urgent,
            ..plain.clone()
        };
        let busy = Operator {
            presence: Presence::Busy,
            ..me()
        };
        // Raised on a waiting consultation: told even to a busy operator with every switch off.
        let raised = event(EventData::Consultation(flagged.clone()));
        let told = on_event(&raised, Before::from(&plain), busy, &s, |_| false)
            .expect("a red flag is told");
        assert_eq!(
            (told.kind, told.text.as_str()),
            (Kind::RedFlag, "«chest pain» — Болит голова")
        );
        // Once per consultation, not for each later update of it.
        assert!(on_event(&raised, Before::from(&flagged), busy, &s, |_| false).is_none());
        // Taken: nothing more.
        let taken = Consultation {
            status: ConsultationStatus::Active,
            operator_id: Some(Uuid::from_u128(9)),
            ..flagged.clone()
        };
        assert!(on_event(
            &event(EventData::Consultation(taken.clone())),
            Before::from(&flagged),
            busy,
            &s,
            |_| false
        )
        .is_none());
        // Repeated every minute while it waits, counted from when it was told.
        let now = Utc::now();
        let mut given = Given::default();
        given.told(Kind::RedFlag, Target::Consultation(flagged.id), now);
        assert!(given
            .due(
                now + chrono::Duration::seconds(15),
                &[],
                std::slice::from_ref(&flagged),
                busy,
                &s
            )
            .is_empty());
        let again = given.due(
            now + chrono::Duration::seconds(61),
            &[],
            std::slice::from_ref(&flagged),
            busy,
            &s,
        );
        assert_eq!(
            again.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![Kind::RedFlag]
        );
        assert!(
            given
                .due(
                    now + chrono::Duration::seconds(200),
                    &[],
                    std::slice::from_ref(&taken),
                    busy,
                    &s
                )
                .is_empty(),
            "taken: quiet"
        );
        // A desk that starts with a red flag already waiting tells it at the first tick.
        assert_eq!(
            Given::default()
                .due(now, &[], std::slice::from_ref(&flagged), me(), &s)
                .len(),
            1
        );
    }

    #[test]
    fn an_sla_breach_is_told_once_or_repeated_and_again_after_it_was_handled() {
        use crate::sla::{Breach, SlaDue};
        let now = Utc::now();
        let target = Target::Consultation(Uuid::from_u128(5));
        let late = |at: DateTime<Utc>| {
            vec![(
                target,
                SlaDue {
                    breach: Breach::Unanswered,
                    at,
                },
                "Болит горло".to_owned(),
            )]
        };
        let s = Settings::default();
        let mut given = Given::default();
        // Not yet late: nothing.
        assert!(given
            .due_breaches(now, &late(now + chrono::Duration::seconds(30)), me(), &s)
            .is_empty());
        let told = given.due_breaches(now, &late(now - chrono::Duration::seconds(1)), me(), &s);
        assert_eq!(
            told.iter()
                .map(|c| (c.kind, c.text.as_str()))
                .collect::<Vec<_>>(),
            vec![(Kind::SlaBreach, "Болит горло")]
        );
        assert!(
            given
                .due_breaches(now + chrono::Duration::minutes(10), &late(now), me(), &s)
                .is_empty(),
            "once, without repeats"
        );
        // Answered (no longer late), then the client writes again and it is late again: told again.
        assert!(given
            .due_breaches(now + chrono::Duration::minutes(11), &[], me(), &s)
            .is_empty());
        assert_eq!(
            given
                .due_breaches(
                    now + chrono::Duration::minutes(30),
                    &late(now + chrono::Duration::minutes(29)),
                    me(),
                    &s
                )
                .len(),
            1
        );
        // With repeats, every interval while it stays late; never while busy.
        let repeating = Settings {
            repeat_until_taken: Some(Duration::from_secs(120)),
            ..Settings::default()
        };
        let mut given = Given::default();
        assert_eq!(
            given.due_breaches(now, &late(now), me(), &repeating).len(),
            1
        );
        assert!(given
            .due_breaches(
                now + chrono::Duration::seconds(60),
                &late(now),
                me(),
                &repeating
            )
            .is_empty());
        assert_eq!(
            given
                .due_breaches(
                    now + chrono::Duration::seconds(121),
                    &late(now),
                    me(),
                    &repeating
                )
                .len(),
            1
        );
        let busy = Operator {
            presence: Presence::Busy,
            ..me()
        };
        assert!(given
            .due_breaches(
                now + chrono::Duration::seconds(400),
                &late(now),
                busy,
                &repeating
            )
            .is_empty());
    }

    fn event(data: EventData) -> Event {
        Event {
            seq: 1,
            at: Utc::now(),
            data,
        }
    }

    fn message(author: AuthorKind) -> Message {
        Message {
            id: Uuid::from_u128(300),
            consultation_id: Uuid::from_u128(100),
            client_id: Uuid::from_u128(200),
            author_kind: author,
            author_id: None,
            kind: MessageKind::Text,
            body: "Температура 39".into(),
            attachment: None,
            client_msg_id: None,
            internal: false,
            created_at: Utc::now(),
            seq: 1,
        }
    }

    fn callback(
        status: CallbackStatus,
        preferred: Option<DateTime<Utc>>,
        due: DateTime<Utc>,
    ) -> Callback {
        Callback {
            id: Uuid::from_u128(400),
            client_id: None,
            phone: "+79000000000".into(),
            preferred_at: preferred,
            preferred_until: None,
            reason: Some("Перезвоните".into()),
            status,
            operator_id: None,
            due_at: due,
            attempts: vec![],
            created_at: due,
            closed_at: None,
        }
    }

    #[test]
    fn queue_and_transfer() {
        let s = Settings::default();
        let new = consultation(ConsultationStatus::New, None);
        let e = event(EventData::Consultation(new.clone()));
        assert_eq!(
            on_event(&e, Before::Nothing, me(), &s, |_| false)
                .unwrap()
                .kind,
            Kind::NewQueueItem
        );
        // Already in the queue (a tag changed): nothing.
        assert!(on_event(&e, Before::from(&new), me(), &s, |_| false).is_none());
        // Handed back to the queue: new again.
        let active_other = consultation(ConsultationStatus::Active, Some(2));
        assert_eq!(
            on_event(&e, Before::from(&active_other), me(), &s, |_| false)
                .unwrap()
                .kind,
            Kind::NewQueueItem
        );
        // Transferred from someone to me.
        let to_me = event(EventData::Consultation(consultation(
            ConsultationStatus::Active,
            Some(1),
        )));
        assert_eq!(
            on_event(&to_me, Before::from(&active_other), me(), &s, |_| true)
                .unwrap()
                .kind,
            Kind::TransferredToMe
        );
        // From the queue to me: assigned. (When I took it myself the desk, which knows its own
        // takes, drops this: tests/desk.rs.)
        assert_eq!(
            on_event(&to_me, Before::from(&new), me(), &s, |_| true)
                .unwrap()
                .kind,
            Kind::AssignedToMe
        );
        // Busy: nothing at all. Disabled kind: nothing.
        let busy = Operator {
            presence: Presence::Busy,
            ..me()
        };
        assert!(on_event(&e, Before::Nothing, busy, &s, |_| false).is_none());
        let mut off = Settings::default();
        off.enabled.insert(Kind::NewQueueItem, false);
        assert!(on_event(&e, Before::Nothing, me(), &off, |_| false).is_none());
    }

    #[test]
    fn messages_only_in_my_chats_not_in_front() {
        let s = Settings::default();
        let e = event(EventData::Message(message(AuthorKind::Client)));
        assert_eq!(
            on_event(&e, Before::Nothing, me(), &s, |_| true)
                .unwrap()
                .text,
            "Температура 39"
        );
        assert!(
            on_event(&e, Before::Nothing, me(), &s, |_| false).is_none(),
            "not my consultation"
        );
        let looking = Operator {
            in_front: Some(Uuid::from_u128(100)),
            ..me()
        };
        assert!(
            on_event(&e, Before::Nothing, looking, &s, |_| true).is_none(),
            "the chat is in front"
        );
        let own = event(EventData::Message(message(AuthorKind::Operator)));
        assert!(on_event(&own, Before::Nothing, me(), &s, |_| true).is_none());
    }

    #[test]
    fn new_callbacks_and_reminders() {
        let s = Settings::default();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let asap = callback(CallbackStatus::New, None, now);
        let e = event(EventData::Callback(asap.clone()));
        assert_eq!(
            on_event(&e, Before::Nothing, me(), &s, |_| false)
                .unwrap()
                .kind,
            Kind::NewCallback
        );
        assert!(
            on_event(&e, Before::from(&asap), me(), &s, |_| false).is_none(),
            "an update, not a new one"
        );

        let at = now + chrono::Duration::minutes(4);
        let scheduled = callback(CallbackStatus::New, Some(at), at);
        let r = reminders(now, std::slice::from_ref(&scheduled), &[], me(), &s, &[]);
        assert_eq!(
            r.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![Kind::CallbackDueSoon]
        );
        let given = vec![(Kind::CallbackDueSoon, Target::Callback(scheduled.id), now)];
        assert!(
            reminders(now, std::slice::from_ref(&scheduled), &[], me(), &s, &given).is_empty(),
            "said once"
        );
        let later = at + chrono::Duration::minutes(10);
        let r = reminders(
            later,
            std::slice::from_ref(&scheduled),
            &[],
            me(),
            &s,
            &given,
        );
        assert_eq!(
            r.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![Kind::CallbackOverdue]
        );
        let done = callback(CallbackStatus::Done, Some(at), at);
        assert!(reminders(later, &[done], &[], me(), &s, &[]).is_empty());
        // "As soon as possible" is not reminded before, only when overdue.
        assert!(reminders(now, std::slice::from_ref(&asap), &[], me(), &s, &[]).is_empty());
        assert_eq!(
            reminders(
                now + chrono::Duration::minutes(11),
                &[asap],
                &[],
                me(),
                &s,
                &[]
            )
            .len(),
            1
        );
    }

    #[test]
    fn long_waits_repeat_only_if_asked() {
        let c = consultation(ConsultationStatus::New, None);
        let t0 = c.created_at;
        let mut s = Settings::default();
        assert!(reminders(
            t0 + chrono::Duration::minutes(4),
            &[],
            std::slice::from_ref(&c),
            me(),
            &s,
            &[]
        )
        .is_empty());
        let at = t0 + chrono::Duration::minutes(6);
        assert_eq!(
            reminders(at, &[], std::slice::from_ref(&c), me(), &s, &[]).len(),
            1
        );
        let given = vec![(Kind::LongWait, Target::Consultation(c.id), at)];
        let much_later = at + chrono::Duration::minutes(30);
        assert!(reminders(much_later, &[], std::slice::from_ref(&c), me(), &s, &given).is_empty());
        s.repeat_until_taken = Some(Duration::from_secs(120));
        assert_eq!(
            reminders(much_later, &[], std::slice::from_ref(&c), me(), &s, &given).len(),
            1
        );
        assert!(reminders(
            at + chrono::Duration::seconds(60),
            &[],
            std::slice::from_ref(&c),
            me(),
            &s,
            &given
        )
        .is_empty());
        let taken = consultation(ConsultationStatus::Active, Some(1));
        assert!(reminders(much_later, &[], &[taken], me(), &s, &given).is_empty());
    }

    #[test]
    fn bursts_are_coalesced() {
        let s = Settings::default();
        let q = |n: u128| Candidate {
            kind: Kind::NewQueueItem,
            target: Target::Consultation(Uuid::from_u128(n)),
            text: format!("q{n}"),
        };
        let burst = vec![
            q(1),
            q(2),
            q(3),
            q(4),
            q(5),
            Candidate {
                kind: Kind::NewCallback,
                target: Target::Callback(Uuid::from_u128(9)),
                text: "cb".into(),
            },
        ];
        let out = coalesce(&burst, &s);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].kind, out[0].count, out[0].target),
            (
                Kind::NewQueueItem,
                5,
                Target::Consultation(Uuid::from_u128(1))
            )
        );
        assert!(out[0].text.is_empty());
        assert_eq!(
            (out[1].kind, out[1].count, out[1].text.as_str()),
            (Kind::NewCallback, 1, "cb")
        );
        assert!(coalesce(&[], &s).is_empty());
    }

    /// The desk rebuilds its memory from the cache after a catch-up while live events keep
    /// coming: a queue item learned during the rebuild, and missing from the (older) read,
    /// must not be announced again by its next update.
    #[test]
    fn a_rebuild_does_not_forget_what_was_learned_meanwhile() {
        let s = Settings::default();
        let mut memory = Memory::new(Known::default());
        let generation = memory.rebuild_begins();
        // The cache is read here (before the item arrived): nothing in it.
        let read = Known::default();
        // Meanwhile the item arrives live: announced once and learned.
        let new = consultation(ConsultationStatus::New, None);
        let arrived = event(EventData::Consultation(new.clone()));
        assert!(on_event(
            &arrived,
            memory.known().before(&arrived.data),
            me(),
            &s,
            |_| false
        )
        .is_some());
        memory.learn(&arrived.data);
        memory.rebuilt(generation, read);
        // Its priority changes: still the same queue item, no second notification.
        let update = event(EventData::Consultation(Consultation {
            priority: careline_protocol::Priority::High,
            ..new
        }));
        assert_eq!(
            on_event(
                &update,
                memory.known().before(&update.data),
                me(),
                &s,
                |_| false
            ),
            None,
            "notified twice for one item"
        );
    }

    #[test]
    fn an_overtaken_rebuild_changes_nothing() {
        let mut memory = Memory::new(Known::default());
        let first = memory.rebuild_begins();
        let second = memory.rebuild_begins();
        let new = consultation(ConsultationStatus::New, None);
        memory.learn(&EventData::Consultation(new.clone()));
        memory.rebuilt(first, Known::default());
        assert_ne!(
            memory.known().before(&EventData::Consultation(new.clone())),
            Before::Nothing
        );
        memory.rebuilt(second, Known::default());
        assert_ne!(
            memory.known().before(&EventData::Consultation(new)),
            Before::Nothing
        );
    }

    /// What was said of items that are gone (taken, done) is forgotten: a desk open for weeks
    /// does not keep a record of every reminder it ever gave.
    #[test]
    fn given_reminders_do_not_grow_with_the_life_of_the_desk() {
        let s = Settings {
            repeat_until_taken: Some(Duration::from_secs(60)),
            ..Settings::default()
        };
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut given = Given::default();
        for i in 0..500u128 {
            let now = start + chrono::Duration::minutes(i as i64);
            let mut waiting = consultation(ConsultationStatus::New, None);
            waiting.id = Uuid::from_u128(10_000 + i);
            waiting.created_at = now - chrono::Duration::minutes(10);
            let mut overdue = callback(
                CallbackStatus::New,
                None,
                now - chrono::Duration::minutes(30),
            );
            overdue.id = Uuid::from_u128(20_000 + i);
            let said = given.due(
                now,
                std::slice::from_ref(&overdue),
                std::slice::from_ref(&waiting),
                me(),
                &s,
            );
            assert_eq!(
                said.len(),
                2,
                "a long wait and an overdue callback, once each"
            );
            // Said again a minute later only for the long wait that repeats.
            let again = given.due(
                now + chrono::Duration::seconds(61),
                std::slice::from_ref(&overdue),
                std::slice::from_ref(&waiting),
                me(),
                &s,
            );
            assert_eq!(
                again.iter().map(|c| c.kind).collect::<Vec<_>>(),
                vec![Kind::LongWait]
            );
        }
        assert!(
            given.len() <= 2,
            "{} reminders remembered for two open items",
            given.len()
        );
        given.due(start, &[], &[], me(), &s);
        assert!(given.is_empty());
    }

    #[test]
    fn a_visit_is_told_before_when_the_patient_waits_and_when_no_call_began() {
        use careline_protocol::{Appointment, AppointmentStatus, ConsultationKind};
        let start: DateTime<Utc> = "2026-12-07T10:00:00Z".parse().unwrap();
        let visit = |operator: Uuid, status| Appointment {
            id: Uuid::now_v7(),
            client_id: Uuid::now_v7(),
            operator_id: operator,
            consultation_id: Uuid::now_v7(),
            kind: ConsultationKind::Video,
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(30),
            reason: None,
            status,
            status_reason: None,
            booked_by: Uuid::now_v7(),
            created_at: start,
            checked_in_at: None,
            updated_at: start,
        };
        let s = Settings::default();
        let op = me();
        let mine = vec![(visit(op.me, AppointmentStatus::Booked), "Анна".to_string())];
        let at = |m: i64| start + chrono::Duration::minutes(m);
        let kinds = |c: Vec<Candidate>| c.into_iter().map(|c| c.kind).collect::<Vec<_>>();
        let mut given = Given::default();
        assert!(given.due_visits(at(-6), &mine, op, false, &s).is_empty(), "too early");
        assert_eq!(kinds(given.due_visits(at(-5), &mine, op, false, &s)), vec![Kind::VisitSoon]);
        assert!(given.due_visits(at(-4), &mine, op, false, &s).is_empty(), "once");
        // The other reminders' sweep does not make it forget.
        given.due(at(-3), &[], &[], op, &s);
        assert!(given.due_visits(at(-2), &mine, op, false, &s).is_empty());
        // The patient checks in: told once.
        let waiting = vec![(Appointment { status: AppointmentStatus::Waiting, ..mine[0].0.clone() }, "Анна".to_string())];
        assert_eq!(kinds(given.due_visits(at(-1), &waiting, op, false, &s)), vec![Kind::PatientWaiting]);
        assert!(given.due_visits(at(0), &waiting, op, false, &s).is_empty());
        // No call 10 minutes after the start: late.
        assert_eq!(kinds(given.due_visits(at(10), &waiting, op, false, &s)), vec![Kind::VisitLate]);
        // A colleague's late visit reaches an admin, not another operator; a busy admin too.
        let theirs = vec![(visit(Uuid::now_v7(), AppointmentStatus::Booked), "Олег".to_string())];
        assert!(visit_reminders(at(12), &theirs, op, false, &s, &[]).is_empty());
        let busy = Operator { presence: Presence::Busy, ..op };
        assert_eq!(kinds(visit_reminders(at(12), &theirs, busy, true, &s, &[])), vec![Kind::VisitLate]);
        // Nothing of a colleague's visit before it, nothing of a cancelled one, nothing at the end.
        assert!(visit_reminders(at(-5), &theirs, op, true, &s, &[]).is_empty());
        let cancelled = vec![(visit(op.me, AppointmentStatus::Cancelled), "x".to_string())];
        assert!(visit_reminders(at(-5), &cancelled, op, false, &s, &[]).is_empty());
        assert!(visit_reminders(at(30), &mine, op, false, &s, &[]).is_empty());
    }

    #[test]
    fn prescriptions_tell_the_pharmacist_and_their_doctor_refunds_the_admins() {
        let s = Settings::default();
        let doctor = me();
        let pharmacist = Operator {
            me: Uuid::from_u128(7),
            role: Role::Pharmacist,
            ..me()
        };
        let admin = Operator {
            me: Uuid::from_u128(9),
            role: Role::Admin,
            ..me()
        };
        let now = Utc::now();
        let p = |status, reason: Option<&str>| Prescription {
            id: Uuid::from_u128(50),
            consultation_id: Uuid::from_u128(51),
            client_id: Uuid::from_u128(52),
            prescriber_id: doctor.me,
            prescriber_name: "Анна".into(),
            status,
            items: vec![careline_protocol::PrescriptionItem {
                medication: "Амоксициллин".into(),
                ..Default::default()
            }],
            note: None,
            revision: 1,
            reviewer_id: None,
            reviewer_name: None,
            reviewed_at: None,
            reason: reason.map(str::to_owned),
            created_at: now,
            updated_at: now,
            submitted_at: Some(now),
        };
        let told = |who: Operator, data: EventData| {
            on_event(&event(data), Before::Nothing, who, &s, |_| false).map(|c| (c.kind, c.text))
        };
        let submitted = EventData::Prescription(p(PrescriptionStatus::Submitted, None));
        assert_eq!(
            told(pharmacist, submitted.clone()),
            Some((Kind::PrescriptionToReview, "Амоксициллин".into()))
        );
        assert_eq!(told(doctor, submitted), None, "my own submission");
        let rejected = EventData::Prescription(p(PrescriptionStatus::Rejected, Some("аллергия")));
        assert_eq!(
            told(doctor, rejected.clone()),
            Some((Kind::PrescriptionRejected, "Амоксициллин — аллергия".into()))
        );
        assert_eq!(told(pharmacist, rejected), None, "my own review");
        let approved = EventData::Prescription(p(PrescriptionStatus::Approved, None));
        assert_eq!(
            told(doctor, approved.clone()).map(|t| t.0),
            Some(Kind::PrescriptionApproved)
        );
        assert_eq!(told(admin, approved), None, "someone else's prescription");
        let refund = |by: Uuid| {
            EventData::Refund(careline_protocol::Refund {
                id: Uuid::from_u128(60),
                consultation_id: Uuid::from_u128(51),
                client_id: Uuid::from_u128(52),
                amount: 100,
                currency: "RUB".into(),
                reason: Some("долго".into()),
                status: RefundStatus::Requested,
                requested_by: Some(by),
                requested_by_name: None,
                decided_by: None,
                decided_at: None,
                decision_note: None,
                created_at: now,
            })
        };
        assert_eq!(
            told(admin, refund(Uuid::from_u128(52))).map(|t| t.0),
            Some(Kind::RefundRequested)
        );
        assert_eq!(told(admin, refund(admin.me)), None, "my own request");
        assert_eq!(told(doctor, refund(Uuid::from_u128(52))), None, "not an admin");
    }
}
