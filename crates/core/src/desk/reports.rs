//! Reports for the window: fetched from the server and kept in the cache (encrypted like the
//! rest) so the last one shows offline; the drill-down, the audit log and CSV exports (online
//! only); the live board (from the cache).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Desk;
use crate::{CoreError, CoreResult};

/// A report as the window shows it: fresh from the server, or the last one fetched (offline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportView {
    pub report: careline_protocol::ConsultationReport,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    /// The server could not be reached: this is the last report fetched (for any period).
    pub offline: bool,
}

/// The operators' report as the window shows it (fresh, or the last one fetched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperatorReportView {
    pub report: careline_protocol::OperatorReport,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    pub offline: bool,
}

/// The callback requests report as the window shows it (fresh, or the last one fetched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackReportView {
    pub report: careline_protocol::CallbackReport,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    pub offline: bool,
}

/// The billing report as the window shows it (fresh, or the last one fetched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingReportView {
    pub report: careline_protocol::BillingReport,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
    pub offline: bool,
}

/// A page of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditPage {
    pub items: Vec<careline_protocol::AuditRecord>,
    pub next_cursor: Option<String>,
}

/// What to export as CSV, with its query.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "what", content = "query", rename_all = "snake_case")]
pub enum Export {
    Consultations(careline_protocol::ReportQuery),
    Operators(careline_protocol::ReportQuery),
    Items(careline_protocol::ReportItemsQuery),
    Callbacks(careline_protocol::ReportQuery),
    Billing(careline_protocol::ReportQuery),
    Audit(careline_protocol::AuditQuery),
}

/// The reports, the audit log and the board, borrowed from the desk ([`Desk::reports`]).
pub struct Reports<'a> {
    pub(super) desk: &'a Desk,
}

impl Reports<'_> {
    /// The consultations report from the server; offline, the last one fetched (kept in the
    /// cache, encrypted like the rest).
    pub async fn consultation_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<ReportView> {
        let (report, fetched_at, offline) = self
            .desk
            .kept(
                "report.consultations",
                self.desk.remote.consultation_report(q).await,
            )
            .await?;
        Ok(ReportView {
            report,
            fetched_at,
            offline,
        })
    }

    /// The operators' report from the server; offline, the last one fetched.
    pub async fn operator_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<OperatorReportView> {
        let (report, fetched_at, offline) = self
            .desk
            .kept(
                "report.operators",
                self.desk.remote.operator_report(q).await,
            )
            .await?;
        Ok(OperatorReportView {
            report,
            fetched_at,
            offline,
        })
    }

    pub async fn callback_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<CallbackReportView> {
        let (report, fetched_at, offline) = self
            .desk
            .kept(
                "report.callbacks",
                self.desk.remote.callback_report(q).await,
            )
            .await?;
        Ok(CallbackReportView {
            report,
            fetched_at,
            offline,
        })
    }

    pub async fn billing_report(
        &self,
        q: &careline_protocol::ReportQuery,
    ) -> CoreResult<BillingReportView> {
        let (report, fetched_at, offline) = self
            .desk
            .kept("report.billing", self.desk.remote.billing_report(q).await)
            .await?;
        Ok(BillingReportView {
            report,
            fetched_at,
            offline,
        })
    }

    /// The consultations behind a figure (online only: the cache does not hold the history's
    /// times for every consultation of a month).
    pub async fn report_items(
        &self,
        q: &careline_protocol::ReportItemsQuery,
    ) -> CoreResult<careline_protocol::ReportItems> {
        self.desk.remote.report_items(q).await
    }

    /// A page of the audit log (an admin's; online only).
    pub async fn audit(&self, q: &careline_protocol::AuditQuery) -> CoreResult<AuditPage> {
        let page = self.desk.remote.audit(q).await?;
        Ok(AuditPage {
            items: page.items,
            next_cursor: page.next_cursor,
        })
    }

    /// Fetches a report (or the audit log) as CSV and saves it in the user's downloads folder
    /// (the home folder if there is none; `CARELINE_EXPORT_DIR` if set) under a name of its
    /// own; where it went.
    pub async fn export_csv(&self, export: &Export) -> CoreResult<PathBuf> {
        let (name, text) = match export {
            Export::Consultations(q) => (
                "consultations-report",
                self.desk
                    .remote
                    .csv("/api/v1/reports/consultations", &without_format(q))
                    .await?,
            ),
            Export::Operators(q) => (
                "operators-report",
                self.desk
                    .remote
                    .csv("/api/v1/reports/operators", &without_format(q))
                    .await?,
            ),
            Export::Items(q) => {
                let q = careline_protocol::ReportItemsQuery {
                    format: None,
                    limit: None,
                    ..q.clone()
                };
                (
                    "consultations",
                    self.desk
                        .remote
                        .csv("/api/v1/reports/consultations/items", &q)
                        .await?,
                )
            }
            Export::Callbacks(q) => (
                "callbacks-report",
                self.desk
                    .remote
                    .csv("/api/v1/reports/callbacks", &without_format(q))
                    .await?,
            ),
            Export::Billing(q) => (
                "billing-report",
                self.desk
                    .remote
                    .csv("/api/v1/reports/billing", &without_format(q))
                    .await?,
            ),
            Export::Audit(q) => {
                let q = careline_protocol::AuditQuery {
                    format: None,
                    cursor: None,
                    limit: None,
                    ..q.clone()
                };
                ("audit", self.desk.remote.csv("/api/v1/audit", &q).await?)
            }
        };
        let dir = crate::files::save_dir();
        tokio::fs::create_dir_all(&dir).await?;
        let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
        let path = dir.join(format!(
            "careline-{name}-{stamp}-{}.csv",
            &Uuid::now_v7().simple().to_string()[24..]
        ));
        // A byte-order mark, so that spreadsheet programs read the Cyrillic and Chinese as UTF-8.
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend_from_slice(text.as_bytes());
        tokio::fs::write(&path, bytes).await?;
        Ok(path)
    }

    /// The live board, from the cache.
    pub async fn board(&self) -> CoreResult<crate::views::Board> {
        self.desk.views().board().await
    }
}

impl Desk {
    /// What the server answered, kept in the cache under `key` with the time; when the server
    /// cannot be reached, the last answer kept (and `true`: it is old).
    pub(super) async fn kept<T: Serialize + serde::de::DeserializeOwned>(
        &self,
        key: &str,
        fetched: CoreResult<T>,
    ) -> CoreResult<(T, chrono::DateTime<chrono::Utc>, bool)> {
        match fetched {
            Ok(value) => {
                let at = chrono::Utc::now();
                self.cache
                    .set_meta(
                        key,
                        &serde_json::json!({ "at": at, "value": value }).to_string(),
                    )
                    .await?;
                Ok((value, at, false))
            }
            Err(e @ (CoreError::Unreachable(_) | CoreError::Unavailable { .. })) => {
                match self.cache.meta(key).await? {
                    Some(text) => {
                        #[derive(serde::Deserialize)]
                        struct Kept<T> {
                            at: chrono::DateTime<chrono::Utc>,
                            value: T,
                        }
                        let kept: Kept<T> = crate::cache::parse(&text)?;
                        Ok((kept.value, kept.at, true))
                    }
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

fn without_format(q: &careline_protocol::ReportQuery) -> careline_protocol::ReportQuery {
    careline_protocol::ReportQuery {
        format: None,
        ..q.clone()
    }
}
