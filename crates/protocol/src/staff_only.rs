//! Fields staff write about a client that never reach a client: the tags on a consultation
//! ("difficult", "diabetes") and the notes of call attempts. The server passes everything it
//! answers, syncs or streams to a client through [`ForClient`].

use crate::{
    Callback, Consultation, ConsultationItem, EventData, InitiateConsultationResponse, Page,
};

/// A value as a client may see it.
pub trait ForClient {
    fn for_client(self) -> Self;
}

impl ForClient for Consultation {
    fn for_client(mut self) -> Self {
        self.tags.clear();
        self
    }
}

impl ForClient for Callback {
    fn for_client(mut self) -> Self {
        for a in &mut self.attempts {
            a.note = None;
        }
        self
    }
}

impl ForClient for ConsultationItem {
    fn for_client(self) -> Self {
        ConsultationItem {
            consultation: self.consultation.for_client(),
            ..self
        }
    }
}

impl ForClient for InitiateConsultationResponse {
    fn for_client(self) -> Self {
        InitiateConsultationResponse {
            consultation: self.consultation.for_client(),
            ..self
        }
    }
}

impl<T: ForClient> ForClient for Page<T> {
    fn for_client(self) -> Self {
        Page {
            items: self.items.into_iter().map(ForClient::for_client).collect(),
            ..self
        }
    }
}

impl ForClient for EventData {
    fn for_client(self) -> Self {
        match self {
            EventData::Consultation(c) => EventData::Consultation(c.for_client()),
            EventData::Callback(c) => EventData::Callback(c.for_client()),
            other => other,
        }
    }
}

/// Whether events of this kind (`EventData::kind`) carry staff-only fields.
pub fn has_staff_only_fields(kind: &str) -> bool {
    matches!(kind, "consultation" | "callback")
}
