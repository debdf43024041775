//! Booked visits from the desk: the agenda (read from the server when it answers and kept in the
//! cache, so it is there offline), booking a caller into a free slot, moving, cancelling and
//! declining visits, and specialists' schedules. Every change is online only: a slot is only
//! free if the server says so at that moment.

use careline_protocol::{
    Appointment, AppointmentQuery, BookRequest, EventData, ReasonRequest, RescheduleRequest,
    Schedule, ScheduleRequest, Slot, SlotQuery, Specialist,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::Desk;
use crate::CoreResult;

/// A visit as the agenda shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgendaRow {
    pub appointment: Appointment,
    pub client_name: Option<String>,
    pub client_phone: Option<String>,
    pub specialist_name: Option<String>,
}

/// Booked visits, borrowed from the desk ([`Desk::visits`]).
pub struct Visits<'a> {
    pub(super) desk: &'a Desk,
}

impl Visits<'_> {
    /// Visits starting in `[from, to)`, by start time; one specialist's, or everyone's. Asked of
    /// the server first (what it answers is kept); offline, what the cache has.
    pub async fn agenda(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        operator: Option<Uuid>,
    ) -> CoreResult<Vec<AgendaRow>> {
        let q = AppointmentQuery {
            from: Some(from),
            to: Some(to),
            operator_id: operator,
            ..AppointmentQuery::default()
        };
        match self.desk.remote.appointments(&q).await {
            Ok(fetched) => self.keep(fetched).await?,
            // No server: the agenda as the cache has it.
            Err(crate::CoreError::Unreachable(_) | crate::CoreError::Unavailable { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut sql = String::from(
            "SELECT a.data, c.data FROM appointments a LEFT JOIN clients c ON c.id = a.client_id \
             WHERE a.starts_at >= ? AND a.starts_at < ?",
        );
        if operator.is_some() {
            sql.push_str(" AND a.operator_id = ?");
        }
        sql.push_str(" ORDER BY a.starts_at, a.id");
        let mut query = sqlx::query(&sql)
            .bind(from.timestamp_millis())
            .bind(to.timestamp_millis());
        if let Some(o) = operator {
            query = query.bind(o.to_string());
        }
        let rows = query.fetch_all(self.desk.cache.pool()).await?;
        let visits = rows
            .iter()
            .map(|r| {
                let client = r
                    .get::<Option<String>, _>(1)
                    .map(|t| crate::cache::parse::<careline_protocol::Client>(&t))
                    .transpose()?;
                Ok((crate::cache::parse::<Appointment>(r.get(0))?, client))
            })
            .collect::<CoreResult<Vec<_>>>()?;
        self.rows(visits).await
    }

    /// The agenda's rows: each visit with its patient (as the cache has them) and specialist.
    async fn rows(
        &self,
        visits: Vec<(Appointment, Option<careline_protocol::Client>)>,
    ) -> CoreResult<Vec<AgendaRow>> {
        let operators = self.desk.cache.operators().await?;
        Ok(visits
            .into_iter()
            .map(|(a, client)| AgendaRow {
                client_name: client.as_ref().map(|c| c.name.clone()),
                client_phone: client.map(|c| c.phone),
                specialist_name: operators
                    .iter()
                    .find(|o| o.id == a.operator_id)
                    .map(|o| o.name.clone()),
                appointment: a,
            })
            .collect())
    }

    /// Kept in the cache as the server answered (a newer change heard meanwhile stays).
    async fn keep(&self, visits: Vec<Appointment>) -> CoreResult<()> {
        if visits.is_empty() {
            return Ok(());
        }
        self.desk
            .cache
            .apply_state(
                visits.into_iter().map(EventData::Appointment).collect(),
                None,
            )
            .await
            .map(|_| ())
    }

    async fn kept(&self, a: Appointment) -> CoreResult<AgendaRow> {
        self.keep(vec![a.clone()]).await?;
        let client = self.desk.cache.client(a.client_id).await?;
        Ok(self.rows(vec![(a, client)]).await?.remove(0))
    }

    /// The specialists patients may book.
    pub async fn specialists(&self) -> CoreResult<Vec<Specialist>> {
        self.desk.remote.specialists().await
    }

    /// Free slots as the server computes them now.
    pub async fn slots(&self, q: &SlotQuery) -> CoreResult<Vec<Slot>> {
        self.desk.remote.slots(q).await
    }

    /// Books a caller (`req.client_id`) into a free slot.
    pub async fn book(&self, req: &BookRequest) -> CoreResult<AgendaRow> {
        let a = self.desk.remote.book(req).await?;
        self.kept(a).await
    }

    pub async fn reschedule(&self, id: Uuid, starts_at: DateTime<Utc>) -> CoreResult<AgendaRow> {
        let a = self
            .desk
            .remote
            .reschedule(id, &RescheduleRequest { starts_at })
            .await?;
        self.kept(a).await
    }

    pub async fn cancel(&self, id: Uuid, reason: Option<String>) -> CoreResult<AgendaRow> {
        let a = self
            .desk
            .remote
            .cancel_appointment(id, &ReasonRequest { reason })
            .await?;
        self.kept(a).await
    }

    /// The specialist refuses the visit (the patient is told and refunded).
    pub async fn decline(&self, id: Uuid, reason: String) -> CoreResult<AgendaRow> {
        let a = self
            .desk
            .remote
            .decline_appointment(
                id,
                &ReasonRequest {
                    reason: Some(reason),
                },
            )
            .await?;
        self.kept(a).await
    }

    pub async fn schedule(&self, operator: Uuid) -> CoreResult<Schedule> {
        self.desk.remote.schedule(operator).await
    }

    pub async fn set_schedule(
        &self,
        operator: Uuid,
        req: &ScheduleRequest,
    ) -> CoreResult<Schedule> {
        self.desk.remote.set_schedule(operator, req).await
    }
}

impl Desk {
    /// Visits that may still be told of at `now` (booked or in the waiting room, starting from an
    /// hour ago to 10 minutes ahead), with the patient's name, from the cache.
    pub(super) async fn visits_near(
        &self,
        now: DateTime<Utc>,
    ) -> CoreResult<Vec<(Appointment, String)>> {
        let rows = sqlx::query(
            "SELECT a.data, c.data FROM appointments a LEFT JOIN clients c ON c.id = a.client_id \
             WHERE a.status IN ('booked', 'waiting') AND a.starts_at >= ? AND a.starts_at < ? ORDER BY a.starts_at",
        )
        .bind((now - chrono::Duration::hours(1)).timestamp_millis())
        .bind((now + chrono::Duration::minutes(10)).timestamp_millis())
        .fetch_all(self.cache.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let a: Appointment = crate::cache::parse(r.get(0))?;
            let name = match r.get::<Option<String>, _>(1) {
                Some(text) => crate::cache::parse::<careline_protocol::Client>(&text)?.name,
                None => String::new(),
            };
            out.push((a, name));
        }
        Ok(out)
    }
}
