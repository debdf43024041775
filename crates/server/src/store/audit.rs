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
    pub async fn audit(&self, operator_id: Uuid, action: &str, target: Option<Uuid>, detail: Option<&str>, remote: Option<&str>) -> AppResult<()> {
        let mut tx = self.begin().await?;
        audit_in(&mut tx, operator_id, action, target, detail, remote, now_ms()).await?;
        tx.commit().await
    }

    /// Audit records, newest first, filtered; `limit` none with `all`: every one (the CSV).
    pub async fn list_audit(&self, f: &AuditQuery, all: bool) -> AppResult<Page<AuditRecord>> {
        let limit = if all { CSV_MAX } else { page_limit(f.limit)? };
        let cursor = f.cursor.as_deref();
        let mut q = SqlBuf::new("SELECT id, operator_id, action, target_id, detail, remote_addr, at FROM audit");
        if let Some(t) = f.target_id {
            let p = q.arg(t.to_string());
            q.and(&format!("target_id = {p}"));
        }
        if let Some(o) = f.operator_id {
            let p = q.arg(o.to_string());
            q.and(&format!("operator_id = {p}"));
        }
        if let Some(a) = f.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            if a.len() > 100 {
                return Err(crate::error::AppError::invalid("action is at most 100 characters"));
            }
            // A prefix, matched literally (LIKE's wildcards escaped).
            let escaped = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let p = q.arg(format!("{escaped}%"));
            q.and(&format!("action LIKE {p} ESCAPE '\\'"));
        }
        if let Some(from) = f.from {
            let p = q.arg(crate::time::ms(from));
            q.and(&format!("at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = q.arg(crate::time::ms(to));
            q.and(&format!("at < {p}"));
        }
        if let Some(c) = cursor {
            let p = q.arg(parse_id_cursor(c)?);
            q.and(&format!("id < {p}"));
        }
        let p = q.arg(limit + 1);
        q.push(&format!(" ORDER BY id DESC LIMIT {p}"));
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
