//! The server's visit API: schedules, free slots, appointments.

use careline_protocol::{
    Appointment, AppointmentQuery, BookRequest, ReasonRequest, RescheduleRequest, Schedule,
    ScheduleRequest, Slot, SlotQuery, Specialist,
};
use uuid::Uuid;

use super::Remote;
use crate::CoreResult;

impl Remote {
    pub async fn schedule(&self, operator: Uuid) -> CoreResult<Schedule> {
        self.get(&format!("/api/v1/operators/{operator}/schedule"))
            .await
    }

    pub async fn set_schedule(&self, operator: Uuid, req: &ScheduleRequest) -> CoreResult<Schedule> {
        self.send(
            reqwest::Method::PUT,
            &format!("/api/v1/operators/{operator}/schedule"),
            req,
        )
        .await
    }

    pub async fn specialists(&self) -> CoreResult<Vec<Specialist>> {
        self.get("/api/v1/specialists").await
    }

    pub async fn slots(&self, q: &SlotQuery) -> CoreResult<Vec<Slot>> {
        self.get_with("/api/v1/slots", q).await
    }

    pub async fn appointments(&self, q: &AppointmentQuery) -> CoreResult<Vec<Appointment>> {
        self.get_with("/api/v1/appointments", q).await
    }

    pub async fn book(&self, req: &BookRequest) -> CoreResult<Appointment> {
        self.post("/api/v1/appointments", req).await
    }

    pub async fn reschedule(&self, id: Uuid, req: &RescheduleRequest) -> CoreResult<Appointment> {
        self.post(&format!("/api/v1/appointments/{id}/reschedule"), req)
            .await
    }

    pub async fn cancel_appointment(&self, id: Uuid, req: &ReasonRequest) -> CoreResult<Appointment> {
        self.post(&format!("/api/v1/appointments/{id}/cancel"), req)
            .await
    }

    pub async fn decline_appointment(
        &self,
        id: Uuid,
        req: &ReasonRequest,
    ) -> CoreResult<Appointment> {
        self.post(&format!("/api/v1/appointments/{id}/decline"), req)
            .await
    }
}
