//! The audit log of administrative and sensitive actions.

use careline_protocol::{AuditQuery, AuditRecord, Page};
use sqlx::Row;
use uuid::Uuid;

use super::paging::{finish_page, parse_id_cursor};
use super::rows::{get_time, get_uuid};
use super::{page_limit, SqlBuf, Store};
use crate::error::AppResult;
use crate::time::now_ms;

/// An audit CSV holds at most this many records.
const CSV_MAX: i64 = 100_000;

impl Store {
    pub async fn audit(
        &self,
        operator_id: Uuid,
        action: &str,
        target: Option<Uuid>,
        detail: Option<&str>,
        remote: Option<&str>,
    ) -> AppResult<()> {
        let mut tx = self.begin().await?;
        audit_in(
            &mut tx,
            operator_id,
            action,
            target,
            detail,
            remote,
            now_ms(),
        )
        .await?;
        tx.commit().await
    }

    /// Audit records, newest first, filtered; `limit` none with `all`: every one (the CSV).
    pub async fn list_audit(&self, f: &AuditQuery, all: bool) -> AppResult<Page<AuditRecord>> {
        let limit = if all { CSV_MAX } else { page_limit(f.limit)? };
        let cursor = f.cursor.as_deref();
        // Names are joined in, so the log reads "Елена Смирнова viewed Мария Иванова" and not ids:
        // the actor is an operator or (for what a client does) a client; the target is whatever
        // of the named things carries that id (ids are random, so at most one does).
        let mut q = SqlBuf::new(
            "SELECT a.id, a.operator_id, a.action, a.target_id, a.detail, a.remote_addr, a.at, \
             COALESCE(o.name, ac.name) AS actor_name, \
             COALESCE(tc.name, kc.name, tor.name, tt.name, tr.phrase) AS target_name \
             FROM audit a \
             LEFT JOIN operators o ON o.id = a.operator_id \
             LEFT JOIN clients ac ON ac.id = a.operator_id \
             LEFT JOIN clients tc ON tc.id = a.target_id \
             LEFT JOIN consultations k ON k.id = a.target_id LEFT JOIN clients kc ON kc.id = k.client_id \
             LEFT JOIN operators tor ON tor.id = a.target_id \
             LEFT JOIN tariffs tt ON tt.id = a.target_id \
             LEFT JOIN red_flag_rules tr ON tr.id = a.target_id",
        );
        if let Some(t) = f.target_id {
            let p = q.arg(t.to_string());
            q.and(&format!("a.target_id = {p}"));
        }
        if let Some(o) = f.operator_id {
            let p = q.arg(o.to_string());
            q.and(&format!("a.operator_id = {p}"));
        }
        if let Some(a) = f.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            if a.len() > 100 {
                return Err(crate::error::AppError::invalid(
                    "action is at most 100 characters",
                ));
            }
            // A prefix, matched literally (LIKE's wildcards escaped).
            let escaped = a
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = q.arg(format!("{escaped}%"));
            q.and(&format!("a.action LIKE {p} ESCAPE '\\'"));
        }
        if let Some(from) = f.from {
            let p = q.arg(crate::time::ms(from));
            q.and(&format!("a.at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = q.arg(crate::time::ms(to));
            q.and(&format!("a.at < {p}"));
        }
        if let Some(c) = cursor {
            let p = q.arg(parse_id_cursor(c)?);
            q.and(&format!("a.id < {p}"));
        }
        let p = q.arg(limit + 1);
        q.push(&format!(" ORDER BY a.id DESC LIMIT {p}"));
        let rows = q.query().fetch_all(&self.reader).await?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: get_uuid(r, "id")?,
                    operator_id: get_uuid(r, "operator_id")?,
                    action: r.try_get("action")?,
                    target_id: super::rows::get_opt_uuid(r, "target_id")?,
                    detail: r.try_get("detail")?,
                    remote_addr: r.try_get("remote_addr")?,
                    at: get_time(r, "at")?,
                    actor_name: r.try_get("actor_name")?,
                    target_name: r.try_get("target_name")?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(finish_page(&mut items, limit, |a| a.id.to_string()))
    }
}

/// Records an audit entry inside a transaction (administrative changes are audited with them).
pub(crate) async fn audit_in(
    tx: &mut crate::db::WriteTx,
    operator_id: Uuid,
    action: &str,
    target: Option<Uuid>,
    detail: Option<&str>,
    remote: Option<&str>,
    at: i64,
) -> AppResult<()> {
    sqlx::query("INSERT INTO audit (id, operator_id, action, target_id, detail, remote_addr, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(careline_protocol::new_id().to_string())
        .bind(operator_id.to_string())
        .bind(action)
        .bind(target.map(|t| t.to_string()))
        .bind(detail.map(str::to_owned))
        .bind(remote.map(str::to_owned))
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}
