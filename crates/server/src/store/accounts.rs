//! Operators, clients, session tokens and the audit log.

use careline_protocol::{
    AuditRecord, Client, ClientSource, CreateOperatorRequest, EventData, Operator, Page, Presence, RegisterRequest, Role, UpdateClientRequest,
    UpdateOperatorRequest,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::{clean_tags, like_pattern, optional_text, page_limit, required_text, tags_json, SqlBuf};
use crate::db::{get_bool, get_enum, get_opt_time, get_tags, get_time, get_uuid, Audience, Store};
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};
use careline_protocol::ErrorCode;

pub(crate) const OPERATOR_COLS: &str = "id, login, name, role, department, capacity, disabled, status, last_seen, created_at";
pub(crate) const CLIENT_COLS: &str = "id, name, phone, email, gender, birthday, city, height_cm, weight_kg, \
     source, tags, notes, vip, blocked, created_at";

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

pub(crate) fn client_row(row: &AnyRow) -> AppResult<Client> {
    Ok(Client {
        id: get_uuid(row, "id")?,
        name: row.try_get("name")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        gender: row.try_get("gender")?,
        birthday: row.try_get("birthday")?,
        city: row.try_get("city")?,
        height_cm: row.try_get("height_cm")?,
        weight_kg: row.try_get("weight_kg")?,
        source: get_enum(row, "source")?,
        tags: get_tags(row, "tags")?,
        notes: row.try_get("notes")?,
        vip: get_bool(row, "vip")?,
        blocked: get_bool(row, "blocked")?,
        created_at: get_time(row, "created_at")?,
    })
}

/// Keeps digits and a leading `+`; 5 to 20 digits.
pub fn normalize_phone(phone: &str) -> AppResult<String> {
    let trimmed = phone.trim();
    let plus = trimmed.starts_with('+');
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !trimmed.chars().all(allowed) || !(5..=20).contains(&digits.len()) {
        return Err(AppError::invalid("phone must be 5 to 20 digits"));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

fn valid_login(login: &str) -> AppResult<String> {
    let l = login.trim().to_lowercase();
    if l.is_empty() || l.len() > 64 || !l.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c)) {
        return Err(AppError::invalid("login must be 1 to 64 letters, digits or . _ - @"));
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
#[derive(Default)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (SessionRow, std::time::Instant)>>,
}

impl SessionCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    fn get(&self, hash: &str) -> Option<SessionRow> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash).filter(|(_, at)| at.elapsed() < Self::TTL).map(|(s, _)| s.clone())
    }

    fn put(&self, hash: &str, s: SessionRow) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 50_000 {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
        }
        map.insert(hash.to_owned(), (s, std::time::Instant::now()));
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// A session found by its token hash.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
}

impl Store {
    // -- operators -------------------------------------------------------------------------

    pub async fn create_operator(&self, req: &CreateOperatorRequest, password_hash: String, actor: Option<Uuid>) -> AppResult<Operator> {
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
            return Err(AppError::refuse(ErrorCode::AlreadyExists, "this login is taken"));
        }
        tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now).await?;
        if let Some(actor) = actor {
            audit_in(&mut tx, actor, "operator.created", Some(op.id), Some(&op.login), None, now).await?;
        }
        tx.commit().await?;
        Ok(op)
    }

    pub async fn update_operator(&self, id: Uuid, req: &UpdateOperatorRequest, password_hash: Option<String>, actor: Uuid) -> AppResult<Operator> {
        let name = req.name.as_deref().map(|n| required_text("name", n, 200)).transpose()?;
        let department = req.department.as_deref().map(|d| optional_text("department", Some(d), 200)).transpose()?;
        let capacity = req.capacity.map(valid_capacity).transpose()?;
        if req.role == Some(Role::Client) {
            return Err(AppError::invalid("an operator's role is operator or admin"));
        }
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!("SELECT {OPERATOR_COLS} FROM operators WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("operator"))?;
        let mut op = operator_row(&row)?;
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
        if let Some(hash) = password_hash {
            sqlx::query("UPDATE operators SET password_hash = $1 WHERE id = $2").bind(hash).bind(id.to_string()).execute(tx.conn()).await?;
        }
        if op.disabled || req.password.is_some() {
            // A disabled account or a changed password ends every session of it.
            sqlx::query("DELETE FROM tokens WHERE user_id = $1").bind(id.to_string()).execute(tx.conn()).await?;
        }
        tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now).await?;
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
        audit_in(&mut tx, actor, "operator.updated", Some(id), Some(&changed.join(",")), None, now).await?;
        tx.commit().await?;
        // Roles, names and the disabled flag are read with the session: forget what was cached.
        self.sessions.clear();
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
        let row = sqlx::query(&format!("SELECT {OPERATOR_COLS}, password_hash FROM operators WHERE login = $1"))
            .bind(login.trim().to_lowercase())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((operator_row(&r)?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn list_operators(&self, cursor: Option<&str>, limit: Option<i64>) -> AppResult<Page<Operator>> {
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
        let row = sqlx::query(&format!("SELECT {OPERATOR_COLS} FROM operators WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("operator"))?;
        let mut op = operator_row(&row)?;
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
            tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now).await?;
        }
        tx.commit().await?;
        Ok(op)
    }

    /// Marks operators as seen now (they hold a live connection); no event.
    pub async fn touch_operators(&self, ids: &[Uuid]) -> AppResult<()> {
        let now = now_ms();
        for id in ids {
            sqlx::query("UPDATE operators SET last_seen = $1 WHERE id = $2").bind(now).bind(id.to_string()).execute(&self.writer).await?;
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
                let op = Operator { status: Presence::Offline, ..op };
                tx.emit(&EventData::Operator(op.clone()), Audience::Staff(None), now).await?;
                changed.push(op);
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    // -- clients ---------------------------------------------------------------------------

    pub async fn register_client(&self, req: &RegisterRequest, password_hash: String) -> AppResult<Client> {
        let now = now_ms();
        let client = Client {
            id: careline_protocol::new_id(),
            name: required_text("name", &req.name, 200)?,
            phone: normalize_phone(&req.phone)?,
            email: valid_email(req.email.as_deref())?,
            gender: None,
            birthday: None,
            city: None,
            height_cm: None,
            weight_kg: None,
            source: req.source.unwrap_or(ClientSource::App),
            tags: Vec::new(),
            notes: None,
            vip: false,
            blocked: false,
            created_at: from_ms(now),
        };
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO clients (id, name, phone, email, source, tags, vip, blocked, password_hash, search, created_at) \
             VALUES ($1, $2, $3, $4, $5, '[]', 0, 0, $6, $8, $7) ON CONFLICT (phone) DO NOTHING",
        )
        .bind(client.id.to_string())
        .bind(&client.name)
        .bind(&client.phone)
        .bind(client.email.clone())
        .bind(client.source.as_str())
        .bind(password_hash)
        .bind(now)
        .bind(client_search_text(&client))
        .execute(tx.conn())
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AppError::refuse(ErrorCode::AlreadyExists, "this phone number is already registered"));
        }
        tx.emit(&EventData::Client(client.clone()), Audience::Staff(Some(client.id)), now).await?;
        tx.commit().await?;
        Ok(client)
    }

    /// The client with this phone and their password hash.
    pub async fn client_credentials(&self, phone: &str) -> AppResult<Option<(Client, Option<String>)>> {
        let Ok(phone) = normalize_phone(phone) else {
            return Ok(None);
        };
        let row = sqlx::query(&format!("SELECT {CLIENT_COLS}, password_hash FROM clients WHERE phone = $1")).bind(phone).fetch_optional(&self.reader).await?;
        row.map(|r| Ok((client_row(&r)?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn get_client(&self, id: Uuid) -> AppResult<Client> {
        let row = sqlx::query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .ok_or_else(|| AppError::not_found("client"))?;
        client_row(&row)
    }

    /// Clients, newest first; `q` matches name, phone, email or a tag (case-insensitive).
    pub async fn list_clients(&self, filter: &ClientFilter) -> AppResult<Page<Client>> {
        let limit = page_limit(filter.limit)?;
        let mut q = SqlBuf::new(&format!("SELECT {CLIENT_COLS} FROM clients"));
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p = q.arg(like_pattern(text));
            q.and(&format!("search LIKE {p} ESCAPE '\\'"));
        }
        if let Some(tag) = &filter.tag {
            let p = q.arg(format!("%{}%", serde_json::to_string(tag).unwrap_or_default().replace(['%', '_'], "")));
            q.and(&format!("tags LIKE {p}"));
        }
        if let Some(v) = filter.vip {
            let p = q.arg(v as i64);
            q.and(&format!("vip = {p}"));
        }
        if let Some(v) = filter.blocked {
            let p = q.arg(v as i64);
            q.and(&format!("blocked = {p}"));
        }
        if let Some(c) = &filter.cursor {
            let p = q.arg(parse_id_cursor(c)?);
            q.and(&format!("id < {p}"));
        }
        let p = q.arg(limit + 1);
        q.push(&format!(" ORDER BY id DESC LIMIT {p}"));
        let rows = q.query().fetch_all(&self.reader).await?;
        let mut items = rows.iter().map(client_row).collect::<AppResult<Vec<_>>>()?;
        Ok(finish_page(&mut items, limit, |c| c.id.to_string()))
    }

    /// Changes a client's profile as `role`: staff change tags and notes, admins also VIP and
    /// blocked (blocking closes the client's access: an administrative act, audited), a client
    /// its own personal data.
    pub async fn update_client(&self, id: Uuid, req: &UpdateClientRequest, actor: Uuid, role: Role) -> AppResult<Client> {
        if !role.is_staff() && (req.tags.is_some() || req.notes.is_some() || req.vip.is_some() || req.blocked.is_some()) {
            return Err(AppError::forbidden("tags, notes, VIP and blocked are set by staff"));
        }
        if role != Role::Admin && (req.vip.is_some() || req.blocked.is_some()) {
            return Err(AppError::forbidden("VIP and blocked are set by an administrator"));
        }
        let staff = role.is_staff();
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("client"))?;
        let mut c = client_row(&row)?;
        if let Some(v) = &req.name {
            c.name = required_text("name", v, 200)?;
        }
        if req.email.is_some() {
            c.email = valid_email(req.email.as_deref())?;
        }
        if let Some(v) = &req.gender {
            c.gender = optional_text("gender", Some(v), 32)?;
        }
        if let Some(v) = &req.birthday {
            c.birthday = match optional_text("birthday", Some(v), 10)? {
                Some(b) => {
                    chrono::NaiveDate::parse_from_str(&b, "%Y-%m-%d").map_err(|_| AppError::invalid("birthday must be YYYY-MM-DD"))?;
                    Some(b)
                }
                None => None,
            };
        }
        if let Some(v) = &req.city {
            c.city = optional_text("city", Some(v), 200)?;
        }
        if let Some(v) = req.height_cm {
            if !(20.0..=300.0).contains(&v) {
                return Err(AppError::invalid("height_cm must be between 20 and 300"));
            }
            c.height_cm = Some(v);
        }
        if let Some(v) = req.weight_kg {
            if !(1.0..=500.0).contains(&v) {
                return Err(AppError::invalid("weight_kg must be between 1 and 500"));
            }
            c.weight_kg = Some(v);
        }
        if let Some(v) = &req.tags {
            c.tags = clean_tags(v)?;
        }
        if let Some(v) = &req.notes {
            c.notes = optional_text("notes", Some(v), 20_000)?;
        }
        if let Some(v) = req.vip {
            c.vip = v;
        }
        if let Some(v) = req.blocked {
            c.blocked = v;
        }
        sqlx::query(
            "UPDATE clients SET name = $1, email = $2, gender = $3, birthday = $4, city = $5, height_cm = $6, \
             weight_kg = $7, tags = $8, notes = $9, vip = $10, blocked = $11, search = $13 WHERE id = $12",
        )
        .bind(&c.name)
        .bind(c.email.clone())
        .bind(c.gender.clone())
        .bind(c.birthday.clone())
        .bind(c.city.clone())
        .bind(c.height_cm)
        .bind(c.weight_kg)
        .bind(tags_json(&c.tags))
        .bind(c.notes.clone())
        .bind(c.vip as i64)
        .bind(c.blocked as i64)
        .bind(id.to_string())
        .bind(client_search_text(&c))
        .execute(tx.conn())
        .await?;
        if c.blocked {
            sqlx::query("DELETE FROM tokens WHERE user_id = $1").bind(id.to_string()).execute(tx.conn()).await?;
        }
        tx.emit(&EventData::Client(c.clone()), Audience::Staff(Some(c.id)), now).await?;
        if staff {
            audit_in(&mut tx, actor, "client.updated", Some(id), None, None, now).await?;
        }
        tx.commit().await?;
        if c.blocked {
            self.sessions.clear();
        }
        Ok(c)
    }

    // -- tokens ----------------------------------------------------------------------------

    pub async fn insert_token(&self, hash: &str, user_id: Uuid, role: Role, expires_ms: i64) -> AppResult<()> {
        let now = now_ms();
        sqlx::query("INSERT INTO tokens (hash, user_id, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash)
            .bind(user_id.to_string())
            .bind(role.as_str())
            .bind(now)
            .bind(expires_ms)
            .execute(&self.writer)
            .await?;
        // Expired tokens of this user are of no use to anyone.
        sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND expires_at < $2").bind(user_id.to_string()).bind(now).execute(&self.writer).await?;
        Ok(())
    }

    /// The live session behind a token hash, from the cache when it was looked up in the last
    /// few seconds (logout, disabling, blocking and password changes clear the cache at once).
    pub async fn session(&self, hash: &str) -> AppResult<Option<SessionRow>> {
        if let Some(s) = self.sessions.get(hash) {
            return Ok(Some(s));
        }
        let found = self.session_uncached(hash).await?;
        if let Some(s) = &found {
            self.sessions.put(hash, s.clone());
        }
        Ok(found)
    }

    /// The live session behind a token hash: not expired, account not disabled or blocked.
    async fn session_uncached(&self, hash: &str) -> AppResult<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT t.user_id, t.role, COALESCE(o.name, c.name) AS name, \
                    COALESCE(o.disabled, c.blocked, 1) AS off, o.role AS op_role \
             FROM tokens t \
             LEFT JOIN operators o ON o.id = t.user_id \
             LEFT JOIN clients c ON c.id = t.user_id \
             WHERE t.hash = $1 AND t.expires_at > $2",
        )
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if get_bool(&row, "off")? {
            return Ok(None);
        }
        // An operator's role is read live, so a promotion or demotion takes effect at once.
        let role: Role = match row.try_get::<Option<String>, _>("op_role")? {
            Some(r) => r.parse().map_err(|e: careline_protocol::UnknownValue| AppError::Corrupt(e.to_string()))?,
            None => get_enum(&row, "role")?,
        };
        Ok(Some(SessionRow { user_id: get_uuid(&row, "user_id")?, role, name: row.try_get("name")? }))
    }

    pub async fn delete_token(&self, hash: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM tokens WHERE hash = $1").bind(hash).execute(&self.writer).await?;
        self.sessions.clear();
        Ok(())
    }

    // -- audit -----------------------------------------------------------------------------

    pub async fn audit(&self, operator_id: Uuid, action: &str, target: Option<Uuid>, detail: Option<&str>, remote: Option<&str>) -> AppResult<()> {
        sqlx::query("INSERT INTO audit (id, operator_id, action, target_id, detail, remote_addr, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(careline_protocol::new_id().to_string())
            .bind(operator_id.to_string())
            .bind(action)
            .bind(target.map(|t| t.to_string()))
            .bind(detail.map(str::to_owned))
            .bind(remote.map(str::to_owned))
            .bind(now_ms())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Audit records, newest first.
    pub async fn list_audit(&self, target: Option<Uuid>, cursor: Option<&str>, limit: Option<i64>) -> AppResult<Page<AuditRecord>> {
        let limit = page_limit(limit)?;
        let mut q = SqlBuf::new("SELECT id, operator_id, action, target_id, detail, remote_addr, at FROM audit");
        if let Some(t) = target {
            let p = q.arg(t.to_string());
            q.and(&format!("target_id = {p}"));
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
                    target_id: crate::db::get_opt_uuid(r, "target_id")?,
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

/// What client search matches against, lower-cased in Rust (every script, not only ASCII).
pub(crate) fn client_search_text(c: &Client) -> String {
    let mut s = format!("{} {} {}", c.name, c.phone, c.email.as_deref().unwrap_or(""));
    for t in &c.tags {
        s.push(' ');
        s.push_str(t);
    }
    s.to_lowercase()
}

fn valid_email(email: Option<&str>) -> AppResult<Option<String>> {
    match optional_text("email", email, 254)? {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => Err(AppError::invalid("email is not valid")),
        other => Ok(other),
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct ClientFilter {
    /// Text in name, phone, email or tags.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub vip: Option<bool>,
    pub blocked: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A cursor that is an id.
pub(crate) fn parse_id_cursor(c: &str) -> AppResult<String> {
    Uuid::parse_str(c).map(|u| u.to_string()).map_err(|_| AppError::bad_request("cursor is not valid"))
}

/// Trims the extra row fetched to learn whether there is a next page.
pub(crate) fn finish_page<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(key) } else { None };
    Page { items: std::mem::take(items), next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        assert_eq!(normalize_phone("+7 (912) 345-67-89").unwrap(), "+79123456789");
        assert_eq!(normalize_phone("13800138000").unwrap(), "13800138000");
        assert!(normalize_phone("call me").is_err());
        assert!(normalize_phone("123").is_err());
        assert!(normalize_phone("+7 912 345 67 89 ext 5").is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_a"), "%50\\%\\_a%");
        assert_eq!(like_pattern("Иван"), "%иван%");
    }
}
