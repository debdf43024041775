//! Clinical records around a consultation: prescriptions a pharmacist reviews, and refunds an
//! admin decides. The check a prescription passes before it is submitted lives here, so the desk
//! (offline too) and the server apply the same rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::UnknownValue;

wire_enum!(
    /// `draft` → `submitted` → `approved` | `rejected` (the prescriber may revise a rejected one
    /// and submit it again); `approved` → `cancelled` (by the prescriber, with a reason).
    PrescriptionStatus {
        Draft = "draft",
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
);

impl PrescriptionStatus {
    /// What the patient may read: an approved prescription, and one cancelled after approval.
    pub fn shown_to_client(self) -> bool {
        matches!(
            self,
            PrescriptionStatus::Approved | PrescriptionStatus::Cancelled
        )
    }
}

/// One medication of a prescription. Every field but `instructions` is required to submit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrescriptionItem {
    /// "Amoxicillin".
    #[serde(default)]
    pub medication: String,
    /// "tablets", "syrup".
    #[serde(default)]
    pub form: String,
    /// "500 mg".
    #[serde(default)]
    pub strength: String,
    /// "1 tablet".
    #[serde(default)]
    pub dose: String,
    /// "by mouth".
    #[serde(default)]
    pub route: String,
    /// "3 times a day".
    #[serde(default)]
    pub frequency: String,
    /// "7 days".
    #[serde(default)]
    pub duration: String,
    /// "21 tablets".
    #[serde(default)]
    pub quantity: String,
    /// "after meals"; optional.
    #[serde(default)]
    pub instructions: Option<String>,
}

/// A prescription written in a consultation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prescription {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub client_id: Uuid,
    /// The doctor who wrote it.
    pub prescriber_id: Uuid,
    pub prescriber_name: String,
    pub status: PrescriptionStatus,
    pub items: Vec<PrescriptionItem>,
    /// A word for the patient and the pharmacist ("take with food"); optional.
    pub note: Option<String>,
    /// How many times it was submitted (a revision after a rejection counts again).
    pub revision: i64,
    /// The pharmacist who approved or rejected it, and when.
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was rejected, or cancelled.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/consultations/{id}/prescriptions` (a new draft) and
/// `PATCH /api/v1/prescriptions/{id}` (a draft or a rejected one revised).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrescriptionRequest {
    /// A new draft's id, chosen by the desk (so a draft written offline is the same record
    /// once the server has it); left out, the server chooses. Ignored by `PATCH`.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub items: Vec<PrescriptionItem>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `GET /api/v1/prescriptions`: staff filter by status, consultation or client; a pharmacist
/// sees submitted and reviewed ones; a client their own approved ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrescriptionQuery {
    pub status: Option<PrescriptionStatus>,
    pub consultation_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
}

wire_enum!(
    /// What is wrong with a prescription that is about to be submitted.
    PrescriptionProblemKind {
        NoItems = "no_items",
        Missing = "missing",
        TooLong = "too_long",
        Duplicate = "duplicate",
        TooMany = "too_many",
    }
);

/// One problem the check found: which item (from 0) and which field, where it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PrescriptionProblem {
    pub kind: PrescriptionProblemKind,
    pub item: Option<u32>,
    pub field: Option<String>,
}

/// At most this many items in one prescription.
pub const MAX_PRESCRIPTION_ITEMS: usize = 30;
/// A field of an item holds at most this many characters (instructions: four times as many).
pub const MAX_ITEM_FIELD: usize = 200;

/// The fields an item must have, by their wire names.
pub const REQUIRED_ITEM_FIELDS: [&str; 8] = [
    "medication",
    "form",
    "strength",
    "dose",
    "route",
    "frequency",
    "duration",
    "quantity",
];

impl PrescriptionItem {
    fn field(&self, name: &str) -> &str {
        match name {
            "medication" => &self.medication,
            "form" => &self.form,
            "strength" => &self.strength,
            "dose" => &self.dose,
            "route" => &self.route,
            "frequency" => &self.frequency,
            "duration" => &self.duration,
            _ => &self.quantity,
        }
    }
}

/// Problems that keep a prescription from being saved even as a draft: too many items, a field
/// too long. A draft may be incomplete.
pub fn check_prescription_draft(items: &[PrescriptionItem]) -> Vec<PrescriptionProblem> {
    let mut out = Vec::new();
    if items.len() > MAX_PRESCRIPTION_ITEMS {
        out.push(PrescriptionProblem {
            kind: PrescriptionProblemKind::TooMany,
            item: None,
            field: None,
        });
    }
    for (i, item) in items.iter().enumerate() {
        let long = REQUIRED_ITEM_FIELDS
            .iter()
            .filter(|f| item.field(f).chars().count() > MAX_ITEM_FIELD)
            .map(|f| f.to_string())
            .chain(
                item.instructions
                    .as_deref()
                    .filter(|t| t.chars().count() > 4 * MAX_ITEM_FIELD)
                    .map(|_| "instructions".to_string()),
            );
        for field in long {
            out.push(PrescriptionProblem {
                kind: PrescriptionProblemKind::TooLong,
                item: Some(i as u32),
                field: Some(field),
            });
        }
    }
    out
}

/// The check before submit: at least one item, every required field filled, no medication
/// twice (compared without case and surrounding spaces), and the draft's limits.
pub fn check_prescription(items: &[PrescriptionItem]) -> Vec<PrescriptionProblem> {
    let mut out = check_prescription_draft(items);
    if items.is_empty() {
        out.push(PrescriptionProblem {
            kind: PrescriptionProblemKind::NoItems,
            item: None,
            field: None,
        });
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        for f in REQUIRED_ITEM_FIELDS {
            if item.field(f).trim().is_empty() {
                out.push(PrescriptionProblem {
                    kind: PrescriptionProblemKind::Missing,
                    item: Some(i as u32),
                    field: Some(f.to_string()),
                });
            }
        }
        let name = item.medication.trim().to_lowercase();
        if !name.is_empty() {
            if seen.contains(&name) {
                out.push(PrescriptionProblem {
                    kind: PrescriptionProblemKind::Duplicate,
                    item: Some(i as u32),
                    field: Some("medication".into()),
                });
            }
            seen.push(name);
        }
    }
    out
}

/// A refund of a consultation: requested by the client or staff, decided by an admin; a
/// declined visit is refunded in full at once, without a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refund {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub client_id: Uuid,
    /// Minor units, at most the consultation's price (less what was refunded before).
    pub amount: i64,
    pub currency: String,
    pub reason: Option<String>,
    pub status: RefundStatus,
    /// Who asked (a client or staff); none for a refund the server made (a declined visit).
    pub requested_by: Option<Uuid>,
    pub requested_by_name: Option<String>,
    /// The admin who decided, when, and what they said (the reason of a rejection).
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

wire_enum!(
    /// `requested` → `approved` | `rejected`.
    RefundStatus { Requested = "requested", Approved = "approved", Rejected = "rejected" }
);

/// `POST /api/v1/consultations/{id}/refunds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefundRequest {
    /// Minor units; more than zero, at most what is left of the price.
    pub amount: i64,
    pub reason: String,
}

/// `GET /api/v1/refunds`: staff see every refund (filtered), a client its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundQuery {
    pub status: Option<RefundStatus>,
    pub consultation_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(name: &str) -> PrescriptionItem {
        PrescriptionItem {
            medication: name.into(),
            form: "tablets".into(),
            strength: "500 mg".into(),
            dose: "1 tablet".into(),
            route: "by mouth".into(),
            frequency: "3 times a day".into(),
            duration: "7 days".into(),
            quantity: "21".into(),
            instructions: None,
        }
    }

    #[test]
    fn the_check_names_missing_fields_and_a_medication_twice() {
        assert!(check_prescription(&[full("Amoxicillin")]).is_empty());
        let kinds = |items: &[PrescriptionItem]| {
            check_prescription(items)
                .into_iter()
                .map(|p| (p.kind, p.item, p.field))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(&[]),
            vec![(PrescriptionProblemKind::NoItems, None, None)]
        );
        let mut half = full("Ибупрофен");
        half.dose = "  ".into();
        assert_eq!(
            kinds(&[full("Ибупрофен"), half]),
            vec![
                (
                    PrescriptionProblemKind::Missing,
                    Some(1),
                    Some("dose".into())
                ),
                (
                    PrescriptionProblemKind::Duplicate,
                    Some(1),
                    Some("medication".into())
                ),
            ]
        );
        // A draft may be incomplete, but not too long.
        let long = PrescriptionItem {
            medication: "x".repeat(MAX_ITEM_FIELD + 1),
            ..Default::default()
        };
        assert!(check_prescription_draft(&[PrescriptionItem::default()]).is_empty());
        assert_eq!(
            check_prescription_draft(&[long])[0].kind,
            PrescriptionProblemKind::TooLong
        );
    }
}
