//! The TypeScript declarations of every type the UI and Rust exchange, generated from the Rust
//! types (ts-rs) into `ui/src/gen/types.ts`. A test fails when that file is stale; run
//! `CARELINE_BLESS=1 cargo test -p careline-desktop --lib types` to rewrite it.

/// The generated file, whole.
#[cfg(test)]
pub fn typescript() -> String {
    use careline_core::desk;
    use careline_protocol as p;
    use ts_rs::TS;

    let decls = [
        p::Role::decl(),
        p::Presence::decl(),
        p::ConsultationKind::decl(),
        p::ConsultationStatus::decl(),
        p::Priority::decl(),
        p::AuthorKind::decl(),
        p::MessageKind::decl(),
        p::ClientSource::decl(),
        p::CallbackStatus::decl(),
        p::AttemptOutcome::decl(),
        p::Operator::decl(),
        p::SessionInfo::decl(),
        p::Client::decl(),
        p::ClaimCode::decl(),
        p::Consultation::decl(),
        p::Attachment::decl(),
        p::ImageInfo::decl(),
        p::Message::decl(),
        p::SendMessageRequest::decl(),
        p::Callback::decl(),
        p::UpdateClientRequest::decl(),
        p::CreateClientRequest::decl(),
        p::CreateCallbackRequest::decl(),
        p::QuickReply::decl(),
        p::QuickReplyRequest::decl(),
        p::WebhookEventType::decl(),
        p::WebhookEndpoint::decl(),
        p::WebhookCreated::decl(),
        p::CreateWebhookRequest::decl(),
        p::UpdateWebhookRequest::decl(),
        p::DeliveryStatus::decl(),
        p::WebhookDelivery::decl(),
        p::CreateOperatorRequest::decl(),
        p::UpdateOperatorRequest::decl(),
        p::CallbackAttempt::decl(),
        desk::Kind::decl(),
        desk::Target::decl(),
        desk::Notification::decl(),
        desk::Settings::decl(),
        desk::Op::decl(),
        desk::Entry::decl(),
        desk::Breach::decl(),
        desk::SlaDue::decl(),
        desk::ConsultationView::decl(),
        desk::Sort::decl(),
        desk::ListFilter::decl(),
        desk::ConsultationRow::decl(),
        desk::ListCursor::decl(),
        desk::ListPage::decl(),
        desk::SendState::decl(),
        desk::MessageRow::decl(),
        desk::PendingMessage::decl(),
        desk::ThreadPage::decl(),
        desk::Counts::decl(),
        desk::CallbackView::decl(),
        desk::CallbackRow::decl(),
        desk::OperatorRow::decl(),
        desk::ClientProfile::decl(),
        desk::Segment::decl(),
        desk::SearchHit::decl(),
        desk::DeskEvent::decl(),
        careline_core::Opened::decl(),
        desk::Me::decl(),
        desk::ReportView::decl(),
        desk::OperatorReportView::decl(),
        p::StatusTimes::decl(),
        p::CallFigures::decl(),
        p::OperatorFigures::decl(),
        p::OperatorReport::decl(),
        p::ReportGroup::decl(),
        p::ReportFormat::decl(),
        p::ReportQuery::decl(),
        p::DurationFigure::decl(),
        p::ConsultationFigures::decl(),
        p::ConsultationBucket::decl(),
        p::ConsultationReport::decl(),
        p::RuleLanguage::decl(),
        p::AssignmentPolicy::decl(),
        p::RedFlagRule::decl(),
        p::RedFlagRuleRequest::decl(),
        p::SlaThresholds::decl(),
        p::DeskSettings::decl(),
        p::VisitSettings::decl(),
        p::AppointmentStatus::decl(),
        p::Appointment::decl(),
        p::WorkingHours::decl(),
        p::TimeRange::decl(),
        p::ScheduleException::decl(),
        p::VisitLengths::decl(),
        p::Schedule::decl(),
        p::ScheduleRequest::decl(),
        p::Slot::decl(),
        p::Specialist::decl(),
        p::BookRequest::decl(),
        desk::AgendaRow::decl(),
        p::CallMedia::decl(),
        p::CallState::decl(),
        p::CallEnd::decl(),
        p::Call::decl(),
        p::PrescriptionStatus::decl(),
        p::PrescriptionItem::decl(),
        p::Prescription::decl(),
        p::PrescriptionRequest::decl(),
        p::PrescriptionProblemKind::decl(),
        p::PrescriptionProblem::decl(),
        p::RefundStatus::decl(),
        p::Refund::decl(),
        p::RefundRequest::decl(),
        desk::PrescriptionStep::decl(),
        p::ConsentPurpose::decl(),
        p::ConsentChannel::decl(),
        p::ConsentAction::decl(),
        p::ConsentState::decl(),
        p::Localized::decl(),
        p::Consent::decl(),
        p::ConsentRequest::decl(),
        p::ConsentRecord::decl(),
        p::ClientConsent::decl(),
        p::ReportMoment::decl(),
        p::ReportItemsQuery::decl(),
        p::ReportItem::decl(),
        p::ReportItems::decl(),
        p::CallbackFigures::decl(),
        p::CallbackReport::decl(),
        p::BillingRow::decl(),
        p::BillingTotal::decl(),
        p::BillingReport::decl(),
        p::AuditRecord::decl(),
        p::AuditQuery::decl(),
        p::Tariff::decl(),
        p::CreateTariffRequest::decl(),
        desk::CallbackReportView::decl(),
        desk::BillingReportView::decl(),
        desk::AuditPage::decl(),
        desk::Export::decl(),
        desk::Board::decl(),
        p::ErrorCode::decl(),
        careline_core::LocalCode::decl(),
        careline_core::UiCode::decl(),
        careline_core::UiError::decl(),
        crate::commands::Boot::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/types.rs (ts-rs). Do not edit.\n// Regenerate: CARELINE_BLESS=1 cargo test -p careline-desktop --lib types\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    // ts-rs declares i64 as `bigint`, but JSON numbers arrive as JS numbers (seqs, sizes and
    // counts stay far below 2^53).
    let mut out = out.replace("bigint", "number");
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// `file` (under the project) holds `want`; with CARELINE_BLESS set, it is written first.
    fn current(file: &str, want: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if std::env::var_os("CARELINE_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run CARELINE_BLESS=1 cargo test -p careline-desktop --lib types",
            path.display()
        );
    }

    #[test]
    fn types_ts_is_current() {
        current("ui/src/gen/types.ts", &super::typescript());
    }

    /// The window's command wrappers, generated from the commands (`bridge.rs`).
    #[test]
    fn types_of_the_commands_are_current() {
        let source = include_str!("commands.rs");
        let commands = crate::bridge::commands(source).unwrap();
        let ts = crate::bridge::typescript(&commands, &super::typescript()).unwrap();
        current("ui/src/gen/commands.ts", &ts);
    }
}
