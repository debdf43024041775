//! The live board (a supervisor's glance): the queue now, callbacks due and overdue, operators
//! by status with their load, SLA breaches in progress — read from the cache, which the event
//! stream keeps current, so the window redraws it on each change instead of polling a server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{OperatorRow, Views};
use crate::sla::{callback_due, consultation_due};
use crate::CoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Board {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Consultations waiting in the queue, of them urgent, and of them raised by a red flag.
    pub queue: i64,
    pub queue_urgent: i64,
    pub queue_red_flags: i64,
    /// Since when the longest-waiting one waits.
    pub longest_wait_since: Option<DateTime<Utc>>,
    /// Active consultations.
    pub active: i64,
    /// Open callback requests due now, and of them late by more than ten minutes.
    pub callbacks_due: i64,
    pub callbacks_overdue: i64,
    /// Items past an SLA threshold now: waiting, unanswered, callbacks.
    pub sla_queue_wait: i64,
    pub sla_first_response: i64,
    pub sla_unanswered: i64,
    pub sla_callbacks: i64,
    /// The thresholds those counts are measured against (minutes; none = not watched), so
    /// that a zero says what it counts.
    pub sla: careline_protocol::SlaThresholds,
    /// Every operator, online first, with the load.
    pub operators: Vec<OperatorRow>,
}

impl Views<'_> {
    pub async fn board(&self) -> CoreResult<Board> {
        use careline_protocol::{ConsultationStatus, Priority};
        let now = Utc::now();
        let thresholds = self.cache.sla_thresholds().await?;
        let queue = self
            .cache
            .consultations(&[ConsultationStatus::New], true, i64::MAX)
            .await?;
        let active = self
            .cache
            .consultations(&[ConsultationStatus::Active], true, i64::MAX)
            .await?;
        let callbacks = self.cache.open_callbacks(i64::MAX).await?;
        let waiting = self.unanswered_since(&active).await?;
        let late = |due: Option<crate::sla::SlaDue>| due.is_some_and(|d| d.is_late(now));
        let mut board = Board {
            at: now,
            queue: queue.len() as i64,
            queue_urgent: queue
                .iter()
                .filter(|c| c.priority == Priority::Urgent)
                .count() as i64,
            queue_red_flags: queue.iter().filter(|c| c.red_flag.is_some()).count() as i64,
            longest_wait_since: queue.iter().map(|c| c.created_at).min(),
            active: active.len() as i64,
            callbacks_due: callbacks.iter().filter(|c| c.due_at <= now).count() as i64,
            callbacks_overdue: callbacks
                .iter()
                .filter(|c| now - c.due_at > chrono::Duration::minutes(10))
                .count() as i64,
            sla_queue_wait: queue
                .iter()
                .filter(|c| late(consultation_due(c, None, &thresholds)))
                .count() as i64,
            sla_first_response: 0,
            sla_unanswered: 0,
            sla_callbacks: callbacks
                .iter()
                .filter(|c| late(callback_due(c, &thresholds)))
                .count() as i64,
            operators: self.operator_list().await?,
            sla: thresholds.clone(),
        };
        for c in &active {
            let due = consultation_due(c, waiting.get(&c.id).copied(), &thresholds);
            if late(due) {
                match due.map(|d| d.breach) {
                    Some(crate::sla::Breach::FirstResponse) => board.sla_first_response += 1,
                    _ => board.sla_unanswered += 1,
                }
            }
        }
        Ok(board)
    }
}
