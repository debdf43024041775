//! Booked visits: specialists' schedules, their free slots, and appointments with their state.
//!
//! A booking locks its specialist's schedule row (`UPDATE … SET updated_at = updated_at`, held by
//! PostgreSQL until the commit; SQLite has one writer anyway), then checks in the same
//! transaction that the start is one of the schedule's slots and that no visit holding the
//! specialist overlaps it; the unique index of held slots (`appointments_one_per_slot`) is the
//! last guard. So a slot is booked at most once however many instances book it at once.

use careline_protocol::{
    Appointment, AppointmentQuery, AppointmentStatus, BookRequest, ConsultationKind,
    ConsultationStatus, ErrorCode, EventData, Role, Schedule, ScheduleRequest, Slot, SlotQuery,
    Specialist, VisitLengths, WebhookEventType,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::consultation_rows::{
    create_visit_consultation, emit_consultation, load_consultation, record_step, save_consultation,
};
use super::rows::{get_bool, get_enum, get_opt_time, get_time, get_uuid};
use super::settings::desk_settings_in;
use super::{optional_text, SqlBuf, Store};
use crate::db::{Audience, WriteTx};
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::slots::Hours;
use crate::time::{from_ms, ms, now_ms};
use crate::webhooks::events::appointment_change;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// How far ahead a visit may be booked.
const BOOK_AHEAD_DAYS: i64 = 366;
/// The longest range of one slot query.
const SLOT_RANGE_DAYS: i64 = 62;
/// The longest range of one agenda query.
const AGENDA_RANGE_DAYS: i64 = 92;
/// A visit is told of this long before its start.
const REMIND_BEFORE_MS: i64 = 5 * 60 * 1000;
/// A visit with no call this long after its start is late.
const LATE_AFTER_MS: i64 = 10 * 60 * 1000;
/// A patient checks in from this long before the start.
pub const CHECK_IN_EARLY_MS: i64 = 15 * 60 * 1000;

const SCHEDULE_COLS: &str =
    "operator_id, time_zone, specialties, languages, weekly, exceptions, visit_minutes, bookable, updated_at";
const APPOINTMENT_COLS: &str =
    "id, client_id, operator_id, consultation_id, kind, starts_at, ends_at, reason, status, \
     status_reason, booked_by, created_at, checked_in_at, updated_at";
const HOLDING: &str = "status IN ('booked', 'waiting', 'in_call')";

/// The schedule's columns of the table aliased `alias`.
fn schedule_cols_of(alias: &str) -> String {
    SCHEDULE_COLS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_col<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> AppResult<T> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| AppError::failed(format!("the stored {col}"), e))
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn schedule_row(row: &AnyRow) -> AppResult<Schedule> {
    Ok(Schedule {
        operator_id: get_uuid(row, "operator_id")?,
        time_zone: row.try_get("time_zone")?,
        specialties: json_col(row, "specialties")?,
        languages: json_col(row, "languages")?,
        weekly: json_col(row, "weekly")?,
        exceptions: json_col(row, "exceptions")?,
        visit_minutes: json_col(row, "visit_minutes")?,
        bookable: get_bool(row, "bookable")?,
        updated_at: Some(get_time(row, "updated_at")?),
    })
}

fn hours_of(s: &Schedule) -> AppResult<Hours> {
    Ok(Hours::new(
        &s.time_zone,
        &s.weekly,
        &s.exceptions,
        s.visit_minutes.clone(),
    )?)
}

fn appointment_row(row: &AnyRow) -> AppResult<Appointment> {
    Ok(Appointment {
        id: get_uuid(row, "id")?,
        client_id: get_uuid(row, "client_id")?,
        operator_id: get_uuid(row, "operator_id")?,
        consultation_id: get_uuid(row, "consultation_id")?,
        kind: get_enum(row, "kind")?,
        starts_at: get_time(row, "starts_at")?,
        ends_at: get_time(row, "ends_at")?,
        reason: row.try_get("reason")?,
        status: get_enum(row, "status")?,
        status_reason: row.try_get("status_reason")?,
        booked_by: get_uuid(row, "booked_by")?,
        created_at: get_time(row, "created_at")?,
        checked_in_at: get_opt_time(row, "checked_in_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

/// Words a clinic chooses (specialties, languages): trimmed, non-empty, short, no duplicates.
fn clean_words(field: &str, words: &[String], max_items: usize) -> AppResult<Vec<String>> {
    if words.len() > max_items {
        return Err(AppError::invalid(format!("at most {max_items} {field}")));
    }
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let w = super::required_text(field, w, 64)?;
        if !out.contains(&w) {
            out.push(w);
        }
    }
    Ok(out)
}

fn bookable_kind(kind: ConsultationKind) -> AppResult<()> {
    match kind {
        ConsultationKind::Phone | ConsultationKind::Video => Ok(()),
        ConsultationKind::Chat => Err(AppError::invalid(
            "a chat is not booked: visits are phone or video",
        )),
    }
}

impl Store {
    // -- schedules ----------------------------------------------------------------------

    /// A specialist's schedule; one never set is empty (no hours, not bookable).
    pub async fn schedule(&self, operator_id: Uuid) -> AppResult<Schedule> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM operator_schedules WHERE operator_id = $1"
        ))
        .bind(operator_id.to_string())
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(r) => schedule_row(&r),
            None => {
                self.get_operator(operator_id).await?;
                Ok(Schedule {
                    operator_id,
                    time_zone: "UTC".into(),
                    specialties: Vec::new(),
                    languages: Vec::new(),
                    weekly: Vec::new(),
                    exceptions: Vec::new(),
                    visit_minutes: VisitLengths::default(),
                    bookable: false,
                    updated_at: None,
                })
            }
        }
    }

    /// Replaces a specialist's schedule (checked whole first; audited). Visits already booked
    /// stay where they are even if the new hours no longer cover them.
    pub async fn set_schedule(
        &self,
        operator_id: Uuid,
        req: &ScheduleRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Schedule> {
        Hours::check(req)?;
        let crowded = (1..=7u8).any(|d| req.weekly.iter().filter(|h| h.weekday == d).count() > 12);
        if crowded || req.exceptions.len() > 1000 {
            return Err(AppError::invalid(
                "at most 12 ranges a weekday and 1000 exceptions",
            ));
        }
        let specialties = clean_words("specialties", &req.specialties, 20)?;
        let languages = clean_words("languages", &req.languages, 20)?;
        let mut exceptions = req.exceptions.clone();
        for e in &mut exceptions {
            e.note = optional_text("an exception's note", e.note.as_deref(), 200)?;
        }
        let now = now_ms();
        let s = Schedule {
            operator_id,
            time_zone: req.time_zone.trim().to_owned(),
            specialties,
            languages,
            weekly: req.weekly.clone(),
            exceptions,
            visit_minutes: req.visit_minutes.clone().unwrap_or_default(),
            bookable: req.bookable,
            updated_at: Some(from_ms(now)),
        };
        let mut tx = self.begin().await?;
        if sqlx::query("SELECT id FROM operators WHERE id = $1 AND role <> 'pharmacist'")
            .bind(operator_id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .is_none()
        {
            return Err(AppError::not_found("operator"));
        }
        sqlx::query(&format!(
            "INSERT INTO operator_schedules ({SCHEDULE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (operator_id) DO UPDATE SET time_zone = excluded.time_zone, specialties = excluded.specialties, \
             languages = excluded.languages, weekly = excluded.weekly, exceptions = excluded.exceptions, \
             visit_minutes = excluded.visit_minutes, bookable = excluded.bookable, updated_at = excluded.updated_at"
        ))
        .bind(operator_id.to_string())
        .bind(&s.time_zone)
        .bind(to_json(&s.specialties))
        .bind(to_json(&s.languages))
        .bind(to_json(&s.weekly))
        .bind(to_json(&s.exceptions))
        .bind(to_json(&s.visit_minutes))
        .bind(i64::from(s.bookable))
        .bind(now)
        .execute(tx.conn())
        .await?;
        audit_in(
            &mut tx,
            by.id,
            "schedule.update",
            Some(operator_id),
            None,
            remote,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// The specialists patients may book, with what they consult in.
    pub async fn specialists(&self) -> AppResult<Vec<Specialist>> {
        let rows = sqlx::query(
            "SELECT s.operator_id, o.name, s.specialties, s.languages, s.visit_minutes \
             FROM operator_schedules s JOIN operators o ON o.id = s.operator_id \
             WHERE s.bookable = 1 AND o.disabled = 0 ORDER BY o.name, s.operator_id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Specialist {
                    operator_id: get_uuid(r, "operator_id")?,
                    name: r.try_get("name")?,
                    specialties: json_col(r, "specialties")?,
                    languages: json_col(r, "languages")?,
                    visit_minutes: json_col(r, "visit_minutes")?,
                })
            })
            .collect()
    }

    // -- slots --------------------------------------------------------------------------

    /// Free slots of bookable specialists (staff also see unpublished schedules when they name
    /// the specialist), ordered by start then specialist.
    pub async fn free_slots(&self, q: &SlotQuery, viewer: Actor) -> AppResult<Vec<Slot>> {
        bookable_kind(q.kind)?;
        let now = now_ms();
        let from = q.from.map(ms).unwrap_or(now);
        let to = q.to.map(ms).unwrap_or(from + 7 * DAY_MS);
        if to <= from {
            return Err(AppError::invalid("`to` is before `from`"));
        }
        if to - from > SLOT_RANGE_DAYS * DAY_MS {
            return Err(AppError::invalid(format!(
                "at most {SLOT_RANGE_DAYS} days of slots at once"
            )));
        }
        let mut sql = SqlBuf::new(&format!(
            "SELECT {} FROM operator_schedules s JOIN operators o ON o.id = s.operator_id",
            schedule_cols_of("s")
        ));
        sql.and("o.disabled = 0");
        match q.operator_id {
            Some(o) => {
                let p = sql.arg(o.to_string());
                sql.and(&format!("s.operator_id = {p}"));
                if !viewer.role.is_staff() {
                    sql.and("s.bookable = 1");
                }
            }
            None => sql.and("s.bookable = 1"),
        }
        let schedules = sql
            .query()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(schedule_row)
            .collect::<AppResult<Vec<_>>>()?;
        let wanted = |s: &Schedule| {
            q.specialty
                .as_deref()
                .is_none_or(|w| s.specialties.iter().any(|x| x == w.trim()))
                && q.language
                    .as_deref()
                    .is_none_or(|w| s.languages.iter().any(|x| x == w.trim()))
        };
        let mut out = Vec::new();
        for s in schedules.iter().filter(|s| wanted(s)) {
            let hours = hours_of(s)?;
            let taken = self.taken(s.operator_id, from, to).await?;
            out.extend(
                hours
                    .free(q.kind, from, to, &taken, now)
                    .into_iter()
                    .map(|(a, b)| Slot {
                        operator_id: s.operator_id,
                        kind: q.kind,
                        starts_at: from_ms(a),
                        ends_at: from_ms(b),
                    }),
            );
        }
        out.sort_by_key(|s| (s.starts_at, s.operator_id));
        Ok(out)
    }

    /// The times a specialist is held by visits overlapping `[from, to)`.
    async fn taken(&self, operator: Uuid, from: i64, to: i64) -> AppResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(&format!(
            "SELECT starts_at, ends_at FROM appointments WHERE operator_id = $1 AND {HOLDING} \
             AND starts_at < $2 AND ends_at > $3 ORDER BY starts_at"
        ))
        .bind(operator.to_string())
        .bind(to)
        .bind(from)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("starts_at")?, r.try_get("ends_at")?)))
            .collect()
    }

    // -- appointments -------------------------------------------------------------------

    /// Books a visit: a client for itself, staff for a client. The start must be a free slot of
    /// the specialist's schedule; the visit's consultation is created in the client's thread,
    /// `scheduled`, assigned to the specialist, priced by the tariff of its kind.
    pub async fn book(
        &self,
        req: &BookRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Appointment> {
        bookable_kind(req.kind)?;
        let client_id = match (by.role, req.client_id) {
            (Role::Client, None) => by.id,
            (Role::Client, Some(c)) if c == by.id => by.id,
            (Role::Client, Some(_)) => {
                return Err(AppError::forbidden("a client books visits for itself"))
            }
            (_, Some(c)) => c,
            (_, None) => return Err(AppError::invalid("client_id: whom is the visit for?")),
        };
        let reason = optional_text("reason", req.reason.as_deref(), 1000)?;
        let start = ms(req.starts_at);
        let now = now_ms();
        bookable_start(start, now)?;
        let mut tx = self.begin().await?;
        // The specialist's lock (see the module's comment), then everything under it.
        let locked = sqlx::query(
            "UPDATE operator_schedules SET updated_at = updated_at WHERE operator_id = $1",
        )
        .bind(req.operator_id.to_string())
        .execute(tx.conn())
        .await?;
        if locked.rows_affected() == 0 {
            return Err(AppError::not_found("a schedule of this specialist"));
        }
        let row = sqlx::query(&format!(
            "SELECT {} FROM operator_schedules s JOIN operators o ON o.id = s.operator_id \
             WHERE s.operator_id = $1 AND o.disabled = 0",
            schedule_cols_of("s")
        ))
        .bind(req.operator_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("a schedule of this specialist"))?;
        let schedule = schedule_row(&row)?;
        if !schedule.bookable && !by.role.is_staff() {
            return Err(AppError::not_found("a schedule of this specialist"));
        }
        let end = hours_of(&schedule)?
            .slot_at(req.kind, start)
            .ok_or_else(not_a_slot)?;
        if overlapping(&mut tx, "operator_id", req.operator_id, start, end, None).await? {
            return Err(slot_taken());
        }
        if overlapping(&mut tx, "client_id", client_id, start, end, None).await? {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "the client already has a visit at this time",
            ));
        }
        super::consents::require_for(
            &mut tx,
            client_id,
            careline_protocol::ConsentPurpose::Booking,
        )
        .await?;
        let id = careline_protocol::new_id();
        let c = create_visit_consultation(
            &mut tx,
            client_id,
            req.kind,
            reason.clone(),
            req.operator_id,
            id,
        )
        .await?;
        let a = Appointment {
            id,
            client_id,
            operator_id: req.operator_id,
            consultation_id: c.id,
            kind: req.kind,
            starts_at: from_ms(start),
            ends_at: from_ms(end),
            reason,
            status: AppointmentStatus::Booked,
            status_reason: None,
            booked_by: by.id,
            created_at: from_ms(now),
            checked_in_at: None,
            updated_at: from_ms(now),
        };
        sqlx::query(&format!(
            "INSERT INTO appointments ({APPOINTMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'booked', NULL, $9, $10, NULL, $11)"
        ))
        .bind(a.id.to_string())
        .bind(client_id.to_string())
        .bind(a.operator_id.to_string())
        .bind(c.id.to_string())
        .bind(a.kind.as_str())
        .bind(start)
        .bind(end)
        .bind(a.reason.clone())
        .bind(by.id.to_string())
        .bind(now)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(taken_on_conflict)?;
        emit_consultation(&mut tx, &c, None, now).await?;
        emit_appointment(&mut tx, &a, now).await?;
        appointment_change(&mut tx, &a, WebhookEventType::AppointmentBooked, None, now).await?;
        audit_staff(&mut tx, by, "appointment.book", a.id, None, remote, now).await?;
        tx.commit().await?;
        Ok(a)
    }

    pub async fn get_appointment(&self, id: Uuid) -> AppResult<Appointment> {
        appointment_by_id(&self.reader, id).await
    }

    /// Visits starting in `[from, to)` ordered by start: a client's own, or (staff) anyone's,
    /// one specialist's or one client's.
    pub async fn list_appointments(
        &self,
        q: &AppointmentQuery,
        viewer: Actor,
    ) -> AppResult<Vec<Appointment>> {
        let from = q.from.map(ms).unwrap_or_else(|| now_ms() / DAY_MS * DAY_MS);
        let to = q.to.map(ms).unwrap_or(from + 7 * DAY_MS);
        if to <= from {
            return Err(AppError::invalid("`to` is before `from`"));
        }
        if to - from > AGENDA_RANGE_DAYS * DAY_MS {
            return Err(AppError::invalid(format!(
                "at most {AGENDA_RANGE_DAYS} days of visits at once"
            )));
        }
        let mut sql = SqlBuf::new(&format!("SELECT {APPOINTMENT_COLS} FROM appointments"));
        let (p1, p2) = (sql.arg(from), sql.arg(to));
        sql.and(&format!("starts_at >= {p1} AND starts_at < {p2}"));
        if viewer.role == Role::Client {
            let p = sql.arg(viewer.id.to_string());
            sql.and(&format!("client_id = {p}"));
        } else if let Some(c) = q.client_id {
            let p = sql.arg(c.to_string());
            sql.and(&format!("client_id = {p}"));
        }
        if let Some(o) = q.operator_id {
            let p = sql.arg(o.to_string());
            sql.and(&format!("operator_id = {p}"));
        }
        if let Some(s) = &q.status {
            let mut ps = Vec::new();
            for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
                let st: AppointmentStatus =
                    word.parse().map_err(|e: careline_protocol::UnknownValue| {
                        AppError::bad_request(e.to_string())
                    })?;
                ps.push(sql.arg(st.as_str()));
            }
            if !ps.is_empty() {
                sql.and(&format!("status IN ({})", ps.join(", ")));
            }
        }
        sql.push(" ORDER BY starts_at, id LIMIT 5000");
        sql.query()
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(appointment_row)
            .collect()
    }

    /// Cancels a visit that has not begun: the client (until the cancellation window closes),
    /// its specialist, or other staff; the slot is free again and the consultation closed.
    pub async fn cancel_appointment(
        &self,
        id: Uuid,
        by: Actor,
        reason: Option<&str>,
    ) -> AppResult<Appointment> {
        let reason = optional_text("reason", reason, 1000)?;
        self.end_appointment(id, by, reason, AppointmentStatus::Cancelled)
            .await
    }

    /// The specialist (or an admin) refuses a visit with a reason: the patient is told (the
    /// event), the slot is free again, and the consultation is refunded in full.
    pub async fn decline_appointment(
        &self,
        id: Uuid,
        by: Actor,
        reason: &str,
    ) -> AppResult<Appointment> {
        let reason = super::required_text("reason", reason, 1000)?;
        self.end_appointment(id, by, Some(reason), AppointmentStatus::Declined)
            .await
    }

    async fn end_appointment(
        &self,
        id: Uuid,
        by: Actor,
        reason: Option<String>,
        to: AppointmentStatus,
    ) -> AppResult<Appointment> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut a = load_appointment(&mut tx, id).await?;
        match (to, by.role) {
            (_, Role::Client) if a.client_id != by.id => {
                return Err(AppError::not_found("appointment"))
            }
            (AppointmentStatus::Declined, Role::Client) => {
                return Err(AppError::forbidden("the specialist declines a visit"))
            }
            (AppointmentStatus::Declined, Role::Operator) if a.operator_id != by.id => {
                return Err(AppError::refuse(
                    ErrorCode::NotAssigned,
                    "only the visit's specialist or an admin declines it",
                ))
            }
            (AppointmentStatus::Cancelled, Role::Client) => {
                within_window(&mut tx, &a, now, "cancelled").await?
            }
            _ => {}
        }
        if !matches!(
            a.status,
            AppointmentStatus::Booked | AppointmentStatus::Waiting
        ) {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                format!("cannot {} a visit that is {}", verb(to), a.status),
            ));
        }
        let done = sqlx::query(
            "UPDATE appointments SET status = $1, status_reason = $2, updated_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(reason.clone())
        .bind(now)
        .bind(id.to_string())
        .bind(a.status.as_str())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "the visit changed meanwhile; look again",
            ));
        }
        (a.status, a.status_reason, a.updated_at) = (to, reason.clone(), from_ms(now));
        let summary = format!("{}: {}", to, reason.as_deref().unwrap_or("—"));
        let c = close_visit_consultation(&mut tx, &a, summary, now).await?;
        if to == AppointmentStatus::Declined && c.price > 0 {
            super::refunds::refund_in_full(&mut tx, &c, reason.as_deref(), now).await?;
        }
        emit_appointment(&mut tx, &a, now).await?;
        let event = match to {
            AppointmentStatus::Declined => WebhookEventType::AppointmentDeclined,
            _ => WebhookEventType::AppointmentCancelled,
        };
        appointment_change(&mut tx, &a, event, None, now).await?;
        let action = format!("appointment.{}", verb(to));
        audit_staff(&mut tx, by, &action, a.id, reason.as_deref(), None, now).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Moves a visit that has not begun to another free slot of the same specialist: the
    /// client within the cancellation window, or staff.
    pub async fn reschedule_appointment(
        &self,
        id: Uuid,
        by: Actor,
        starts_at: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<Appointment> {
        let now = now_ms();
        let start = ms(starts_at);
        bookable_start(start, now)?;
        let mut tx = self.begin().await?;
        let current = load_appointment(&mut tx, id).await?;
        if by.role == Role::Client && current.client_id != by.id {
            return Err(AppError::not_found("appointment"));
        }
        sqlx::query("UPDATE operator_schedules SET updated_at = updated_at WHERE operator_id = $1")
            .bind(current.operator_id.to_string())
            .execute(tx.conn())
            .await?;
        // Read again under the lock: a concurrent change of this visit is seen.
        let mut a = load_appointment(&mut tx, id).await?;
        if a.status != AppointmentStatus::Booked {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                format!("cannot move a visit that is {}", a.status),
            ));
        }
        if by.role == Role::Client {
            within_window(&mut tx, &a, now, "moved").await?;
        }
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLS} FROM operator_schedules WHERE operator_id = $1"
        ))
        .bind(a.operator_id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("a schedule of this specialist"))?;
        let end = hours_of(&schedule_row(&row)?)?
            .slot_at(a.kind, start)
            .ok_or_else(not_a_slot)?;
        if overlapping(&mut tx, "operator_id", a.operator_id, start, end, Some(id)).await? {
            return Err(slot_taken());
        }
        sqlx::query(
            "UPDATE appointments SET starts_at = $1, ends_at = $2, updated_at = $3, reminded_at = NULL, \
             late_told_at = NULL WHERE id = $4",
        )
        .bind(start)
        .bind(end)
        .bind(now)
        .bind(id.to_string())
        .execute(tx.conn())
        .await
        .map_err(taken_on_conflict)?;
        (a.starts_at, a.ends_at, a.updated_at) = (from_ms(start), from_ms(end), from_ms(now));
        emit_appointment(&mut tx, &a, now).await?;
        appointment_change(
            &mut tx,
            &a,
            WebhookEventType::AppointmentRescheduled,
            None,
            now,
        )
        .await?;
        audit_staff(&mut tx, by, "appointment.reschedule", a.id, None, None, now).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// The patient is in the waiting room: from 15 minutes before the start until its end.
    /// Checking in again is harmless.
    pub async fn check_in(&self, id: Uuid, by: Actor) -> AppResult<Appointment> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut a = load_appointment(&mut tx, id).await?;
        if a.client_id != by.id {
            return Err(AppError::not_found("appointment"));
        }
        match a.status {
            AppointmentStatus::Waiting | AppointmentStatus::InCall => return Ok(a),
            AppointmentStatus::Booked => {}
            other => {
                return Err(AppError::refuse(
                    ErrorCode::IllegalTransition,
                    format!("this visit is {other}"),
                ))
            }
        }
        if now < ms(a.starts_at) - CHECK_IN_EARLY_MS {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "the waiting room opens 15 minutes before the visit",
            ));
        }
        if now >= ms(a.ends_at) {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "this visit's time is over",
            ));
        }
        sqlx::query(
            "UPDATE appointments SET status = 'waiting', checked_in_at = $1, updated_at = $1 WHERE id = $2 AND status = 'booked'",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
        (a.status, a.checked_in_at, a.updated_at) =
            (AppointmentStatus::Waiting, Some(from_ms(now)), from_ms(now));
        emit_appointment(&mut tx, &a, now).await?;
        appointment_change(
            &mut tx,
            &a,
            WebhookEventType::AppointmentCheckedIn,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Tells of visits as their times come, as of `now` (the server's clock; tests pass their
    /// own): 5 minutes before the start `appointment.reminder`; 10 minutes after it with no call
    /// begun `appointment.missed_start`; at its end with no call the visit is `missed` (its
    /// consultation closed). Each happens once: a guarded update claims it, so several
    /// instances sweeping at once, or a sweep after a restart, never tell twice and never skip.
    pub async fn sweep_visits(&self, now: i64) -> AppResult<VisitSweep> {
        let mut done = VisitSweep::default();
        let due = |sql: &str| {
            format!(
                "SELECT {APPOINTMENT_COLS} FROM appointments WHERE status IN ('booked', 'waiting') AND {sql} \
                 ORDER BY starts_at LIMIT 500"
            )
        };
        // Reminders: from 5 minutes before the start, while it is not 10 minutes late.
        let sql = due("reminded_at IS NULL AND starts_at <= $1 AND starts_at > $2");
        let window = (now + REMIND_BEFORE_MS, now - LATE_AFTER_MS);
        let event = WebhookEventType::AppointmentReminder;
        done.reminded = self
            .tell_once(&sql, window, "reminded_at", event, now)
            .await?;
        // No call 10 minutes after the start.
        let sql = due("late_told_at IS NULL AND starts_at <= $1 AND ends_at > $2");
        let window = (now - LATE_AFTER_MS, now);
        let event = WebhookEventType::AppointmentMissedStart;
        done.late = self
            .tell_once(&sql, window, "late_told_at", event, now)
            .await?;
        // Over without a call: missed.
        let rows = sqlx::query(&due("ends_at <= $1"))
            .bind(now)
            .fetch_all(&self.reader)
            .await?;
        for row in &rows {
            let mut a = appointment_row(row)?;
            let mut tx = self.begin().await?;
            let moved = sqlx::query(
                "UPDATE appointments SET status = 'missed', updated_at = $1 WHERE id = $2 AND status = $3",
            )
            .bind(now)
            .bind(a.id.to_string())
            .bind(a.status.as_str())
            .execute(tx.conn())
            .await?;
            if moved.rows_affected() == 1 {
                (a.status, a.updated_at) = (AppointmentStatus::Missed, from_ms(now));
                close_visit_consultation(&mut tx, &a, "missed: no call".into(), now).await?;
                emit_appointment(&mut tx, &a, now).await?;
                appointment_change(&mut tx, &a, WebhookEventType::AppointmentMissed, None, now)
                    .await?;
                done.missed += 1;
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Claims `mark` on each visit `sql` finds (bound to `window`) and writes `event` for the
    /// ones this call claimed; how many.
    async fn tell_once(
        &self,
        sql: &str,
        window: (i64, i64),
        mark: &str,
        event: WebhookEventType,
        now: i64,
    ) -> AppResult<usize> {
        let rows = sqlx::query(sql)
            .bind(window.0)
            .bind(window.1)
            .fetch_all(&self.reader)
            .await?;
        let mut told = 0;
        for row in &rows {
            let a = appointment_row(row)?;
            let mut tx = self.begin().await?;
            if claim(&mut tx, mark, a.id, now).await? {
                let key = format!("{mark}:{}:{}", a.id, ms(a.starts_at));
                appointment_change(&mut tx, &a, event, Some(&key), now).await?;
                told += 1;
            }
            tx.commit().await?;
        }
        Ok(told)
    }
}

/// Closes a visit's consultation (cancelled, declined, missed) unless it is closed already.
async fn close_visit_consultation(
    tx: &mut WriteTx,
    a: &Appointment,
    summary: String,
    now: i64,
) -> AppResult<careline_protocol::Consultation> {
    let mut c = load_consultation(tx, a.consultation_id).await?;
    if c.status != ConsultationStatus::Closed {
        let (was, was_operator) = (c.status, c.operator_id);
        c.status = ConsultationStatus::Closed;
        c.closed_at = Some(from_ms(now));
        c.summary = Some(summary);
        if !save_consultation(tx, &c, was, was_operator).await? {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "the visit's consultation changed meanwhile; look again",
            ));
        }
        record_step(tx, &c, "closed", c.operator_id, now).await?;
        emit_consultation(tx, &c, None, now).await?;
    }
    Ok(c)
}

/// Sets a visit's once-only mark (`reminded_at`, `late_told_at`) if nobody has: whether this
/// caller did.
async fn claim(tx: &mut WriteTx, mark: &str, id: Uuid, now: i64) -> AppResult<bool> {
    let done = sqlx::query(&format!(
        "UPDATE appointments SET {mark} = $1 WHERE id = $2 AND {mark} IS NULL"
    ))
    .bind(now)
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a sweep of visits told.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct VisitSweep {
    pub reminded: usize,
    pub late: usize,
    pub missed: usize,
}

/// Runs [`Store::sweep_visits`] every 10 seconds, on every instance.
pub async fn sweep_forever(store: Store) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tick.tick().await;
        if let Err(e) = store.sweep_visits(now_ms()).await {
            tracing::warn!(error = %e, "visit reminders: the sweep failed; the next one tries again");
        }
        if let Err(e) = store.sweep_calls(now_ms()).await {
            tracing::warn!(error = %e, "calls: the sweep failed; the next one tries again");
        }
        if store.shared() {
            if let Err(e) = store.sweep_signals().await {
                tracing::warn!(error = %e, "call signals: the sweep failed");
            }
        }
    }
}

fn verb(to: AppointmentStatus) -> &'static str {
    match to {
        AppointmentStatus::Declined => "decline",
        _ => "cancel",
    }
}

pub(crate) async fn load_appointment(tx: &mut WriteTx, id: Uuid) -> AppResult<Appointment> {
    appointment_by_id(tx.conn(), id).await
}

/// A visit by id, read through a pool or inside a transaction.
async fn appointment_by_id<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: Uuid,
) -> AppResult<Appointment> {
    let row = sqlx::query(&format!(
        "SELECT {APPOINTMENT_COLS} FROM appointments WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(on)
    .await?
    .ok_or_else(|| AppError::not_found("appointment"))?;
    appointment_row(&row)
}

/// Whether a visit holding `who` (`operator_id` or `client_id`), other than `except`,
/// overlaps `[start, end)`.
async fn overlapping(
    tx: &mut WriteTx,
    who: &str,
    id: Uuid,
    start: i64,
    end: i64,
    except: Option<Uuid>,
) -> AppResult<bool> {
    let row = sqlx::query(&format!(
        "SELECT id FROM appointments WHERE {who} = $1 AND {HOLDING} AND starts_at < $2 AND ends_at > $3 \
         AND id <> $4 LIMIT 1"
    ))
    .bind(id.to_string())
    .bind(end)
    .bind(start)
    .bind(except.map(|e| e.to_string()).unwrap_or_default())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some())
}

fn slot_taken() -> AppError {
    AppError::refuse(
        ErrorCode::AlreadyTaken,
        "this time was just booked; choose another",
    )
}

/// The held-slot index refused a write: another booking of this start committed first.
fn taken_on_conflict(e: sqlx::Error) -> AppError {
    match AppError::from(e) {
        e if e.is_unique_violation() => slot_taken(),
        e => e,
    }
}

fn not_a_slot() -> AppError {
    AppError::invalid("this time is not one of the specialist's slots for this kind of visit")
}

/// A start a visit may be booked or moved to: not past, at most a year ahead.
fn bookable_start(start: i64, now: i64) -> AppResult<()> {
    if start < now {
        return Err(AppError::invalid("this time has passed"));
    }
    if start > now + BOOK_AHEAD_DAYS * DAY_MS {
        return Err(AppError::invalid("visits are booked at most a year ahead"));
    }
    Ok(())
}

/// A patient changes a visit only before the cancellation window closes.
async fn within_window(tx: &mut WriteTx, a: &Appointment, now: i64, what: &str) -> AppResult<()> {
    let window = desk_settings_in(tx).await?.visits.cancel_before_minutes;
    if now > ms(a.starts_at) - i64::from(window) * 60_000 {
        return Err(AppError::refuse(
            ErrorCode::IllegalTransition,
            format!(
                "a visit is {what} at least {window} minutes before it starts; call the clinic"
            ),
        ));
    }
    Ok(())
}

/// Staff's changes of visits are audited (a patient's own are in the events).
async fn audit_staff(
    tx: &mut WriteTx,
    by: Actor,
    action: &str,
    id: Uuid,
    detail: Option<&str>,
    remote: Option<&str>,
    now: i64,
) -> AppResult<()> {
    if by.role.is_staff() {
        audit_in(tx, by.id, action, Some(id), detail, remote, now).await?;
    }
    Ok(())
}

pub(crate) async fn emit_appointment(tx: &mut WriteTx, a: &Appointment, at: i64) -> AppResult<()> {
    tx.emit(
        &EventData::Appointment(a.clone()),
        Audience::Client(a.client_id),
        at,
    )
    .await
    .map(|_| ())
}
