//! Made-up records for tests, examples and benchmarks (the `fixture` feature): the one place
//! that fills every field, so that a new field is added here once. Change what a case needs
//! with struct update syntax: `Consultation { priority: Priority::Urgent, ..fixture::consultation(..) }`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    AuthorKind, Client, ClientSource, Consultation, ConsultationKind, ConsultationStatus, Message,
    MessageKind, Priority,
};

/// A chat consultation of `client_id` in `status`, normal priority, no operator, no tags.
pub fn consultation(
    id: Uuid,
    client_id: Uuid,
    status: ConsultationStatus,
    created_at: DateTime<Utc>,
) -> Consultation {
    let closed = status == ConsultationStatus::Closed;
    Consultation {
        id,
        client_id,
        kind: ConsultationKind::Chat,
        status,
        operator_id: None,
        priority: Priority::Normal,
        tags: Vec::new(),
        tariff_id: None,
        price: 0,
        currency: "RUB".into(),
        subject: None,
        created_at,
        taken_at: None,
        first_response_at: None,
        closed_at: closed.then_some(created_at),
        summary: None,
        rating: None,
        rating_comment: None,
        last_message_at: None,
        red_flag: None,
        red_flag_words: None,
        appointment_id: None,
    }
}

/// A client who came through the mobile app, with no personal details beyond a name and phone.
pub fn client(id: Uuid, name: &str, phone: &str, created_at: DateTime<Utc>) -> Client {
    Client {
        id,
        name: name.to_owned(),
        phone: phone.to_owned(),
        email: None,
        gender: None,
        birthday: None,
        city: None,
        height_cm: None,
        weight_kg: None,
        source: ClientSource::App,
        tags: Vec::new(),
        notes: None,
        vip: false,
        blocked: false,
        created_at,
        allergies: None,
        medications: None,
    }
}

/// A text message of the client's thread at `seq`, written by the client.
pub fn client_message(
    seq: i64,
    consultation: &Consultation,
    body: &str,
    created_at: DateTime<Utc>,
) -> Message {
    Message {
        id: Uuid::from_u128(0xF000_0000_0000 + seq as u128),
        consultation_id: consultation.id,
        client_id: consultation.client_id,
        author_kind: AuthorKind::Client,
        author_id: Some(consultation.client_id),
        kind: MessageKind::Text,
        body: body.to_owned(),
        attachment: None,
        client_msg_id: None,
        internal: false,
        created_at,
        seq,
    }
}
