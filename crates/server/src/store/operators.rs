//! Staff accounts: operators and admins, their capacity and presence.

use careline_protocol::{
    CreateOperatorRequest, ErrorCode, EventData, Operator, Page, Presence, Role,
    UpdateOperatorRequest,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::paging::{finish_page, parse_id_cursor};
use super::rows::{get_bool, get_enum, get_opt_time, get_time, get_uuid};
use super::{optional_text, page_limit, required_text, SqlBuf, Store};
use crate::db::{Audience, WriteTx};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

pub(crate) const OPERATOR_COLS: &str =
    "id, login, name, role, department, capacity, disabled, status, last_seen, created_at";

pub(crate) fn operator_row(row: &AnyRow) -> AppResult<Operator> {
    Ok(Operator {
        id: get_uuid(row, "id")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        role: get_enum(row, "role")?,
        department: row.try_get("department")?,
        capacity: row.try_get("capacity")?,
        disabled: get_bool(row, "disabled")?,
        status: get_enum(row, "status")?,
        last_seen: get_opt_time(row, "last_seen")?,
        active_count: 0,
        created_at: get_time(row, "created_at")?,
    })
}

/// A login as it is stored and looked up: NFKC (full-width `ａｎｎａ` is `anna`), trimmed,
/// lower-cased.
pub(crate) fn login_key(login: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    login.nfkc().collect::<String>().trim().to_lowercase()
}

/// What a login looks like, in lower and upper case, by Unicode's confusable skeletons (UTS
/// #39): `аре` (Cyrillic) and `ape`, or Greek `ΑΝΝΑ` and `ANNA`, have the same.
fn looks(login: &str) -> [String; 2] {
    [
        unicode_security::skeleton(login).collect(),
        unicode_security::skeleton(&login.to_uppercase()).collect(),
    ]
}

fn valid_login(login: &str) -> AppResult<String> {
    let l = login_key(login);
    if l.is_empty() || l.len() > 64 || !l.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c))
    {
        return Err(AppError::invalid(
            "login must be 1 to 64 letters, digits or . _ - @",
        ));
    }
    // One script per login: "jоhn" with a Cyrillic "о" must not pass for "john".
    let latin = l.chars().any(|c| c.is_ascii_alphabetic());
    let other = l
        .chars()
        .any(|c| c.is_alphabetic() && !c.is_ascii_alphabetic());
    if latin && other {
        return Err(AppError::invalid(
            "login mixes Latin letters with letters of another script",
        ));
    }
    Ok(l)
}

pub fn valid_password(p: &str) -> AppResult<()> {
    if p.chars().count() < 8 || p.len() > 256 {
        return Err(AppError::invalid("password must have 8 to 256 characters"));
    }
    Ok(())
}

fn valid_capacity(c: i64) -> AppResult<i64> {
    if !(0..=100).contains(&c) {
        return Err(AppError::invalid("capacity must be between 0 and 100"));
    }
    Ok(c)
}

/// Sessions looked up recently, so a busy client does not cost a query per request. Entries
/// live a few seconds: another instance's logout reaches this one within that time.
impl Store {
    pub async fn create_operator(
        &self,
        req: &CreateOperatorRequest,
        password_hash: String,
        actor: Option<Uuid>,
    ) -> AppResult<Operator> {
        if req.role == Role::Client {
            return Err(AppError::invalid("an operator's role is operator or admin"));
        }
        let now = now_ms();
        let op = Operator {
            id: careline_protocol::new_id(),
            login: valid_login(&req.login)?,
            name: required_text("name", &req.name, 200)?,
            role: req.role,
            department: optional_text("department", req.department.as_deref(), 200)?,
            capacity: valid_capacity(req.capacity.unwrap_or(self.settings.default_capacity))?,
            disabled: false,
            status: Presence::Offline,
            last_seen: None,
            active_count: 0,
            created_at: from_ms(now),
        };
        let mut tx = self.begin().await?;
        // A login that looks like a colleague's as a whole is refused: on a shared desk or in
        // the audit log the two could not be told apart.
        let new_looks = looks(&op.login);
        for row in sqlx::query("SELECT login FROM operators")
            .fetch_all(tx.conn())
            .await?
        {
            let other: String = row.try_get("login")?;
            if other != op.login && looks(&other).iter().zip(&new_looks).any(|(a, b)| a == b) {
                return Err(AppError::refuse(
                    ErrorCode::AlreadyExists,
                    format!("this login looks like the login {other} of a colleague"),
                ));
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO operators (id, login, name, role, department, capacity, disabled, status, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 'offline', $7, $8) ON CONFLICT (login) DO NOTHING",
        )
        .bind(op.id.to_string())
        .bind(&op.login)
        .bind(&op.name)
        .bind(op.role.as_str())
        .bind(op.department.clone())
        .bind(op.capacity)
        .bind(password_hash)
        .bind(now)
        .execute(tx.conn())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "this login is taken",
            ));
        }
        tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now)
            .await?;
        if let Some(actor) = actor {
            audit_in(
                &mut tx,
                actor,
                "operator.created",
                Some(op.id),
                Some(&op.login),
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(op)
    }

    pub async fn update_operator(
        &self,
        id: Uuid,
        req: &UpdateOperatorRequest,
        password_hash: Option<String>,
        actor: Uuid,
    ) -> AppResult<Operator> {
        let name = req
            .name
            .as_deref()
            .map(|n| required_text("name", n, 200))
            .transpose()?;
        let department = req
            .department
            .as_deref()
            .map(|d| optional_text("department", Some(d), 200))
            .transpose()?;
        let capacity = req.capacity.map(valid_capacity).transpose()?;
        if req.role == Some(Role::Client) {
            return Err(AppError::invalid("an operator's role is operator or admin"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut op = load_operator(&mut tx, id).await?;
        if let Some(n) = name {
            op.name = n;
        }
        if let Some(d) = department {
            op.department = d;
        }
        if let Some(c) = capacity {
            op.capacity = c;
        }
        if let Some(r) = req.role {
            op.role = r;
        }
        let was_disabled = op.disabled;
        let status_before = op.status;
        if let Some(d) = req.disabled {
            if d && id == actor {
                return Err(AppError::invalid("you cannot disable yourself"));
            }
            op.disabled = d;
            if d {
                op.status = Presence::Offline;
            }
        }
        sqlx::query("UPDATE operators SET name = $1, department = $2, capacity = $3, role = $4, disabled = $5, status = $6 WHERE id = $7")
            .bind(&op.name)
            .bind(op.department.clone())
            .bind(op.capacity)
            .bind(op.role.as_str())
            .bind(op.disabled as i64)
            .bind(op.status.as_str())
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        if op.status != status_before {
            record_presence(&mut tx, id, op.status, now).await?;
        }
        if let Some(hash) = password_hash {
            sqlx::query("UPDATE operators SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        // A disabled account's sessions are refused as such (`account_disabled`: the desk can say
        // why) while it stays disabled; enabling it again, or a changed password, ends them all,
        // so an old token never comes back to life.
        if (was_disabled && !op.disabled) || req.password.is_some() {
            sqlx::query("DELETE FROM tokens WHERE user_id = $1")
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now)
            .await?;
        let mut changed: Vec<&str> = Vec::new();
        for (set, field) in [
            (req.name.is_some(), "name"),
            (req.role.is_some(), "role"),
            (req.department.is_some(), "department"),
            (req.capacity.is_some(), "capacity"),
            (req.disabled.is_some(), "disabled"),
            (req.password.is_some(), "password"),
        ] {
            if set {
                changed.push(field);
            }
        }
        audit_in(
            &mut tx,
            actor,
            "operator.updated",
            Some(id),
            Some(&changed.join(",")),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        // Roles, names and the disabled flag are read with the session: forget what was cached.
        self.sessions.revoked();
        if req.capacity.is_some() || req.role.is_some() {
            self.assign_waiting().await;
        }
        Ok(op)
    }

    pub async fn get_operator(&self, id: Uuid) -> AppResult<Operator> {
        let row = sqlx::query(&format!(
            "SELECT {OPERATOR_COLS}, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = operators.id AND c.status = 'active') AS active_count \
             FROM operators WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| AppError::not_found("operator"))?;
        let mut op = operator_row(&row)?;
        op.active_count = row.try_get("active_count")?;
        Ok(op)
    }

    /// The operator with this login and their password hash.
    pub async fn operator_credentials(&self, login: &str) -> AppResult<Option<(Operator, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {OPERATOR_COLS}, password_hash FROM operators WHERE login = $1"
        ))
        .bind(login_key(login))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| Ok((operator_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn list_operators(
        &self,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> AppResult<Page<Operator>> {
        let limit = page_limit(limit)?;
        let mut q = SqlBuf::new(&format!(
            "SELECT {OPERATOR_COLS}, (SELECT COUNT(*) FROM consultations c WHERE c.operator_id = operators.id AND c.status = 'active') AS active_count FROM operators"
        ));
        if let Some(c) = cursor {
            let c = parse_id_cursor(c)?;
            let p = q.arg(c);
            q.and(&format!("id > {p}"));
        }
        let p = q.arg(limit + 1);
        q.push(&format!(" ORDER BY id LIMIT {p}"));
        let rows = q.query().fetch_all(&self.reader).await?;
        let mut items = rows
            .iter()
            .map(|r| {
                let mut op = operator_row(r)?;
                op.active_count = r.try_get("active_count")?;
                Ok(op)
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(finish_page(&mut items, limit, |o| o.id.to_string()))
    }

    /// Sets an operator's presence; emits an event only when it changed.
    pub async fn set_presence(&self, id: Uuid, status: Presence) -> AppResult<Operator> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let mut op = load_operator(&mut tx, id).await?;
        let changed = op.status != status;
        op.status = status;
        op.last_seen = Some(from_ms(now));
        sqlx::query("UPDATE operators SET status = $1, last_seen = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now)
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        if changed {
            record_presence(&mut tx, id, status, now).await?;
            tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now)
                .await?;
        }
        tx.commit().await?;
        if changed && status == Presence::Online {
            self.assign_waiting().await;
        }
        Ok(op)
    }

    /// Marks operators as seen now (they hold a live connection); no event.
    pub async fn touch_operators(&self, ids: &[Uuid]) -> AppResult<()> {
        let now = now_ms();
        for id in ids {
            sqlx::query("UPDATE operators SET last_seen = $1 WHERE id = $2")
                .bind(now)
                .bind(id.to_string())
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// Operators not seen since `cutoff_ms` and not offline fall to offline.
    pub async fn sweep_presence(&self, cutoff_ms: i64, keep: &[Uuid]) -> AppResult<Vec<Operator>> {
        let rows = sqlx::query(&format!("SELECT {OPERATOR_COLS} FROM operators WHERE status <> 'offline' AND (last_seen IS NULL OR last_seen < $1)"))
            .bind(cutoff_ms)
            .fetch_all(&self.reader)
            .await?;
        let mut changed = Vec::new();
        for r in rows {
            let op = operator_row(&r)?;
            if keep.contains(&op.id) {
                continue;
            }
            let now = now_ms();
            let mut tx = self.begin().await?;
            // Guarded: the operator may have come back since the read.
            let done = sqlx::query("UPDATE operators SET status = 'offline' WHERE id = $1 AND status <> 'offline' AND (last_seen IS NULL OR last_seen < $2)")
                .bind(op.id.to_string())
                .bind(cutoff_ms)
                .execute(tx.conn())
                .await?;
            if done.rows_affected() == 1 {
                record_presence(&mut tx, op.id, Presence::Offline, now).await?;
                let op = Operator {
                    status: Presence::Offline,
                    ..op
                };
                tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now)
                    .await?;
                changed.push(op);
            }
            tx.commit().await?;
        }
        Ok(changed)
    }
}

/// Records a change of an operator's status (for the reports' time in each status).
async fn record_presence(
    tx: &mut WriteTx,
    operator: Uuid,
    status: Presence,
    at: i64,
) -> AppResult<()> {
    sqlx::query("INSERT INTO presence_changes (operator_id, at, status) VALUES ($1, $2, $3)")
        .bind(operator.to_string())
        .bind(at)
        .bind(status.as_str())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Reads an operator inside a write transaction.
async fn load_operator(tx: &mut WriteTx, id: Uuid) -> AppResult<Operator> {
    let row = sqlx::query(&format!(
        "SELECT {OPERATOR_COLS} FROM operators WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::not_found("operator"))?;
    operator_row(&row)
}
