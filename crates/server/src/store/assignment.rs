//! Automatic assignment (docs/assignment.md): under `round_robin` or `least_loaded`, waiting
//! consultations go to `online` operators with spare capacity — the most urgent first, then
//! the oldest — whenever capacity may have freed up or the queue grew: a new consultation, a
//! close, a transfer, a hand-back, an operator coming online or given more capacity, a change
//! of policy, and every presence sweep (so nothing waits if an instance stopped between a
//! commit and its assignment).
//!
//! Exactly one operator gets each consultation: the write is guarded by the consultation's
//! status and holder like every take. Two instances never assign at once: each assignment
//! round first updates the `round_robin_last` settings row, which PostgreSQL locks until the
//! round commits (SQLite has one writer anyway), and a receiver's row is locked before its load
//! is counted, as a take and a transfer do, so a capacity is not overrun by a take racing an
//! assignment.

use careline_protocol::{
    AssignmentPolicy, AuthorKind, Consultation, ConsultationStatus, MessageKind,
};
use sqlx::Row;
use uuid::Uuid;

use super::consultation_rows::{
    consultation_row, emit_consultation, record_step, save_consultation, CONSULTATION_COLS,
};
use super::messages::{insert_message, NewMessage};
use super::settings::desk_settings_in;
use super::Store;
use crate::db::WriteTx;
use crate::error::AppResult;
use crate::time::{from_ms, now_ms};

/// At most this many waiting consultations are looked at in one round.
const ROUND: i64 = 200;

/// An operator who may receive consultations.
#[derive(Debug, Clone)]
struct Receiver {
    id: Uuid,
    name: String,
    capacity: i64,
    active: i64,
}

impl Store {
    /// One assignment round; what it assigned. A failure is logged, not returned: the caller's
    /// own change is already committed, and the next round (at the latest the next presence
    /// sweep) tries again.
    pub async fn assign_waiting(&self) -> Vec<Consultation> {
        match self.assign_round().await {
            Ok(assigned) => assigned,
            Err(e) => {
                tracing::warn!(error = %e, "automatic assignment failed; the next round tries again");
                Vec::new()
            }
        }
    }

    async fn assign_round(&self) -> AppResult<Vec<Consultation>> {
        if self.desk_settings().await?.assignment == AssignmentPolicy::Manual {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        // The lock of assignment rounds (see the module's comment), then the policy under it.
        sqlx::query("UPDATE settings SET value = value WHERE name = 'round_robin_last'")
            .execute(tx.conn())
            .await?;
        let policy = desk_settings_in(&mut tx).await?.assignment;
        if policy == AssignmentPolicy::Manual {
            return Ok(Vec::new());
        }
        let last: Option<Uuid> = {
            let row = sqlx::query("SELECT value FROM settings WHERE name = 'round_robin_last'")
                .fetch_optional(tx.conn())
                .await?;
            row.and_then(|r| r.try_get::<String, _>("value").ok())
                .and_then(|v| serde_json::from_str(&v).ok())
                .flatten()
        };
        let mut receivers = receivers(&mut tx).await?;
        if receivers.iter().all(|r| r.active >= r.capacity) {
            return Ok(Vec::new());
        }
        let queue = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLS} FROM consultations WHERE status = 'new' AND operator_id IS NULL \
             ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, created_at, id LIMIT $1"
        ))
        .bind(ROUND)
        .fetch_all(tx.conn())
        .await?;
        let mut last = last;
        let mut assigned = Vec::new();
        for row in &queue {
            if receivers.iter().all(|r| r.active >= r.capacity) {
                break;
            }
            let c = consultation_row(row)?;
            // Who handed it back does not get it again at once.
            let released_by: Option<String> =
                sqlx::query("SELECT operator_id FROM consultation_steps WHERE consultation_id = $1 AND step = 'released' ORDER BY at DESC LIMIT 1")
                    .bind(c.id.to_string())
                    .fetch_optional(tx.conn())
                    .await?
                    .map(|r| r.try_get("operator_id"))
                    .transpose()?
                    .flatten();
            let released_by = released_by.and_then(|s| s.parse::<Uuid>().ok());
            let Some(i) = choose_locked(&mut tx, policy, &mut receivers, last, released_by).await?
            else {
                continue;
            };
            if let Some(c) = give(&mut tx, c, &receivers[i], policy).await? {
                receivers[i].active += 1;
                last = Some(receivers[i].id);
                assigned.push(c);
            }
        }
        if last.is_some() {
            sqlx::query("UPDATE settings SET value = $1 WHERE name = 'round_robin_last'")
                .bind(serde_json::to_string(&last).unwrap_or_else(|_| "null".into()))
                .execute(tx.conn())
                .await?;
        }
        tx.commit().await?;
        for c in &assigned {
            tracing::info!(consultation = %c.id, operator = ?c.operator_id, policy = policy.as_str(), "assigned automatically");
        }
        Ok(assigned)
    }
}

/// Online, enabled operators (not admins) and their active consultations, in id order.
async fn receivers(tx: &mut WriteTx) -> AppResult<Vec<Receiver>> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, o.capacity, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = o.id AND c.status = 'active') AS active \
         FROM operators o WHERE o.role = 'operator' AND o.status = 'online' AND o.disabled = 0 ORDER BY o.id",
    )
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Receiver {
                id: super::rows::get_uuid(r, "id")?,
                name: r.try_get("name")?,
                capacity: r.try_get("capacity")?,
                active: r.try_get("active")?,
            })
        })
        .collect()
}

/// The receiver the policy picks, its row locked and its load counted again under the lock
/// (a take may have landed since the round began).
async fn choose_locked(
    tx: &mut WriteTx,
    policy: AssignmentPolicy,
    receivers: &mut [Receiver],
    last: Option<Uuid>,
    exclude: Option<Uuid>,
) -> AppResult<Option<usize>> {
    loop {
        let Some(i) = choose(policy, receivers, last, exclude) else {
            return Ok(None);
        };
        let r = &mut receivers[i];
        sqlx::query("UPDATE operators SET capacity = capacity WHERE id = $1")
            .bind(r.id.to_string())
            .execute(tx.conn())
            .await?;
        let row = sqlx::query("SELECT COUNT(*) AS active FROM consultations WHERE operator_id = $1 AND status = 'active'")
            .bind(r.id.to_string())
            .fetch_one(tx.conn())
            .await?;
        r.active = row.try_get("active")?;
        if r.active < r.capacity {
            return Ok(Some(i));
        }
    }
}

/// Round robin: the next receiver with room after the last one given a consultation, in id
/// order, wrapping. Least loaded: the fewest active consultations; ties go round robin.
fn choose(
    policy: AssignmentPolicy,
    receivers: &[Receiver],
    last: Option<Uuid>,
    exclude: Option<Uuid>,
) -> Option<usize> {
    let n = receivers.len();
    if n == 0 {
        return None;
    }
    // Where the rotation starts: just after the last receiver (ids are in order).
    let start = last.map_or(0, |l| receivers.iter().position(|r| r.id > l).unwrap_or(0));
    let rotation = (0..n).map(|k| (start + k) % n).filter(|&i| {
        receivers[i].active < receivers[i].capacity && Some(receivers[i].id) != exclude
    });
    match policy {
        AssignmentPolicy::Manual => None,
        AssignmentPolicy::RoundRobin => rotation.into_iter().next(),
        AssignmentPolicy::LeastLoaded => rotation
            .enumerate()
            .min_by_key(|&(k, i)| (receivers[i].active, k))
            .map(|(_, i)| i),
    }
}

/// Gives a waiting consultation to a receiver, as a take recorded in its history and a note in
/// its thread; `None` if someone took it first.
async fn give(
    tx: &mut WriteTx,
    before: Consultation,
    to: &Receiver,
    policy: AssignmentPolicy,
) -> AppResult<Option<Consultation>> {
    let now = now_ms();
    let mut c = before.clone();
    c.status = ConsultationStatus::Active;
    c.operator_id = Some(to.id);
    c.taken_at = Some(from_ms(now));
    if !save_consultation(tx, &c, before.status, before.operator_id).await? {
        return Ok(None);
    }
    record_step(tx, &c, "taken", Some(to.id), now).await?;
    let how = match policy {
        AssignmentPolicy::LeastLoaded => "least loaded",
        _ => "round robin",
    };
    let note = NewMessage {
        consultation: &c,
        author_kind: AuthorKind::System,
        author_id: None,
        kind: MessageKind::System,
        body: format!("Assigned to {} automatically ({how})", to.name),
        attachment: None,
        client_msg_id: None,
        internal: true,
    };
    let c = insert_message(tx, note).await?.1;
    emit_consultation(tx, &c, None, now).await?;
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: u128, capacity: i64, active: i64) -> Receiver {
        Receiver {
            id: Uuid::from_u128(n),
            name: n.to_string(),
            capacity,
            active,
        }
    }

    #[test]
    fn round_robin_goes_on_after_the_last_and_skips_the_full() {
        let rs = [r(1, 2, 0), r(2, 2, 2), r(3, 2, 1)];
        assert_eq!(
            choose(AssignmentPolicy::RoundRobin, &rs, None, None),
            Some(0)
        );
        assert_eq!(
            choose(
                AssignmentPolicy::RoundRobin,
                &rs,
                Some(Uuid::from_u128(1)),
                None
            ),
            Some(2),
            "2 is full"
        );
        assert_eq!(
            choose(
                AssignmentPolicy::RoundRobin,
                &rs,
                Some(Uuid::from_u128(3)),
                None
            ),
            Some(0),
            "wraps"
        );
        // The last one may have gone offline: the next id after it.
        assert_eq!(
            choose(
                AssignmentPolicy::RoundRobin,
                &rs,
                Some(Uuid::from_u128(2)),
                None
            ),
            Some(2)
        );
        assert_eq!(
            choose(
                AssignmentPolicy::RoundRobin,
                &rs,
                None,
                Some(Uuid::from_u128(1))
            ),
            Some(2),
            "who handed it back is skipped"
        );
        assert_eq!(choose(AssignmentPolicy::Manual, &rs, None, None), None);
    }

    #[test]
    fn least_loaded_takes_the_fewest_and_breaks_ties_in_turn() {
        let rs = [r(1, 5, 2), r(2, 5, 1), r(3, 5, 1), r(4, 1, 0)];
        assert_eq!(
            choose(AssignmentPolicy::LeastLoaded, &rs, None, None),
            Some(3)
        );
        let rs = [r(1, 5, 2), r(2, 5, 1), r(3, 5, 1), r(4, 1, 1)];
        assert_eq!(
            choose(AssignmentPolicy::LeastLoaded, &rs, None, None),
            Some(1)
        );
        assert_eq!(
            choose(
                AssignmentPolicy::LeastLoaded,
                &rs,
                Some(Uuid::from_u128(2)),
                None
            ),
            Some(2),
            "a tie goes to the next in turn"
        );
        let full = [r(1, 1, 1)];
        assert_eq!(
            choose(AssignmentPolicy::LeastLoaded, &full, None, None),
            None
        );
    }
}
