//! Clients: registration, their record, search, and what staff may change of it.

use careline_protocol::ClientFilter;
use careline_protocol::{
    Client, ClientSource, CreateClientRequest, ErrorCode, EventData, Page, RegisterRequest, Role,
    UpdateClientRequest,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::paging::{finish_page, parse_id_cursor};
use super::rows::{get_bool, get_enum, get_tags, get_time, get_uuid};
use super::{
    clean_tags, like_pattern, optional_text, page_limit, required_text, tags_json, SqlBuf, Store,
};
use crate::db::Audience;
use crate::error::{AppError, AppResult};
use crate::time::{from_ms, now_ms};

pub(crate) const CLIENT_COLS: &str =
    "id, name, phone, email, gender, birthday, city, height_cm, weight_kg, \
     source, tags, notes, vip, blocked, created_at, allergies, medications";

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
        allergies: row.try_get("allergies")?,
        medications: row.try_get("medications")?,
    })
}

/// Accounts with a password one phone may have (the patient's own and duplicates registered
/// without proof); past it a registration is refused as too many.
pub const ACCOUNTS_PER_PHONE: i64 = 3;

/// The tag a registration gets when its phone is already the clinic's.
pub const POSSIBLE_DUPLICATE: &str = "possible-duplicate";

/// The record reception made for `phone` that `code` claims (no account yet).
async fn unclaimed_record<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    phone: &str,
    code: &str,
) -> AppResult<Client> {
    let row = sqlx::query(&format!("SELECT {CLIENT_COLS} FROM clients WHERE phone = $1 AND claim_hash = $2 AND password_hash IS NULL"))
        .bind(phone)
        .bind(claim_hash(code))
        .fetch_optional(e)
        .await?
        .ok_or_else(wrong_claim_code)?;
    client_row(&row)
}

/// Refuses a registration when `phone` has [`ACCOUNTS_PER_PHONE`] accounts already.
async fn room_for_an_account<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    phone: &str,
) -> AppResult<()> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM clients WHERE phone = $1 AND password_hash IS NOT NULL",
    )
    .bind(phone)
    .fetch_one(e)
    .await?;
    if row.try_get::<i64, _>("n")? >= ACCOUNTS_PER_PHONE {
        return Err(AppError::refuse(
            ErrorCode::RateLimited,
            "too many registrations; try again later",
        ));
    }
    Ok(())
}

fn wrong_claim_code() -> AppError {
    AppError::invalid(
        "the claim code is wrong, spent or for another phone number; ask reception for a new one",
    )
}

/// Claim codes are stored as the SHA-256 of their normal form (upper case, no spaces or dashes).
fn claim_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    crate::passwords::token_hash(&format!("claim:{normal}"))
}

/// Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L), as `ABCD-EFGH`: about
/// 40 bits, guessed only through the registration limits.
fn new_claim_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let mut code: String = (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    code.insert(4, '-');
    code
}

/// Keeps digits and a leading `+`; 5 to 20 digits.
pub fn normalize_phone(phone: &str) -> AppResult<String> {
    careline_protocol::normalize_phone(phone)
        .ok_or_else(|| AppError::invalid("phone must be 5 to 20 digits"))
}

impl Store {
    /// What a registration would do, checked before its password is hashed (a refusal costs
    /// no Argon2): the fields are valid, a claim code names an unclaimed record of this phone,
    /// and the phone has fewer than [`ACCOUNTS_PER_PHONE`] accounts.
    pub async fn check_registration(&self, req: &RegisterRequest) -> AppResult<()> {
        required_text("name", &req.name, 200)?;
        let phone = normalize_phone(&req.phone)?;
        valid_email(req.email.as_deref())?;
        if req.consents.len() > 50 {
            return Err(AppError::invalid("too many consents"));
        }
        super::consents::check_given(&self.reader, &req.consents).await?;
        match &req.claim_code {
            Some(code) => unclaimed_record(&self.reader, &phone, code)
                .await
                .map(|_| ()),
            None => room_for_an_account(&self.reader, &phone).await,
        }
    }

    /// Registers a client. With a claim code, the record reception made for this phone becomes
    /// theirs (the proof of the phone); otherwise a new account, whatever the phone: a phone the
    /// clinic already knows is not told to the caller, and the new account is tagged
    /// `possible-duplicate` for staff (audited with the records it may duplicate).
    pub async fn register_client(
        &self,
        req: &RegisterRequest,
        password_hash: String,
    ) -> AppResult<Client> {
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
            allergies: None,
            medications: None,
        };
        let mut tx = self.begin().await?;
        if let Some(code) = &req.claim_code {
            let claimed = unclaimed_record(tx.conn(), &client.phone, code).await?;
            let done = sqlx::query("UPDATE clients SET password_hash = $1, claim_hash = NULL WHERE id = $2 AND password_hash IS NULL")
                .bind(&password_hash)
                .bind(claimed.id.to_string())
                .execute(tx.conn())
                .await?;
            if done.rows_affected() == 0 {
                return Err(wrong_claim_code());
            }
            audit_in(
                &mut tx,
                claimed.id,
                "client.claimed",
                Some(claimed.id),
                None,
                None,
                now,
            )
            .await?;
            super::consents::record_given(&mut tx, claimed.id, &req.consents, now).await?;
            tx.commit().await?;
            return Ok(claimed);
        }
        // Counted again in the transaction (the check before hashing was a reader's), under the
        // locks of the phone's rows (PostgreSQL; SQLite has one writer): a phone past its
        // accounts would have its newest one never found by a login.
        sqlx::query("UPDATE clients SET phone = phone WHERE phone = $1")
            .bind(&client.phone)
            .execute(tx.conn())
            .await?;
        room_for_an_account(tx.conn(), &client.phone).await?;
        let known = sqlx::query("SELECT id FROM clients WHERE phone = $1 ORDER BY id")
            .bind(&client.phone)
            .fetch_all(tx.conn())
            .await?;
        let known = known
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut client = client;
        if !known.is_empty() {
            client.tags.push(POSSIBLE_DUPLICATE.to_owned());
        }
        sqlx::query(
            "INSERT INTO clients (id, name, phone, email, source, tags, vip, blocked, password_hash, search, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $9, $8)",
        )
        .bind(client.id.to_string())
        .bind(&client.name)
        .bind(&client.phone)
        .bind(client.email.clone())
        .bind(client.source.as_str())
        .bind(tags_json(&client.tags))
        .bind(&password_hash)
        .bind(now)
        .bind(client_search_text(&client))
        .execute(tx.conn())
        .await?;
        if !known.is_empty() {
            audit_in(
                &mut tx,
                client.id,
                "client.possible_duplicate",
                Some(client.id),
                Some(&known.join(",")),
                None,
                now,
            )
            .await?;
        }
        super::consents::record_given(&mut tx, client.id, &req.consents, now).await?;
        tx.emit(
            &EventData::Client(client.clone()),
            Audience::Staff(Some(client.id)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(client)
    }

    /// A new claim code for a record reception made (staff): replaces any earlier one; refused
    /// for an account that already has a password. Audited.
    pub async fn new_claim_code(
        &self,
        id: Uuid,
        actor: Uuid,
    ) -> AppResult<careline_protocol::ClaimCode> {
        let code = new_claim_code();
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT password_hash FROM clients WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("client"))?;
        if row.try_get::<Option<String>, _>("password_hash")?.is_some() {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "this client has an account already and logs in with it",
            ));
        }
        sqlx::query("UPDATE clients SET claim_hash = $1 WHERE id = $2")
            .bind(claim_hash(&code))
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        audit_in(
            &mut tx,
            actor,
            "client.claim_code",
            Some(id),
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(careline_protocol::ClaimCode {
            client_id: id,
            code,
        })
    }

    /// Reception records a client (a walk-in or a phone call): no password, so the first
    /// registration with the phone claims the record. A phone another client has is refused
    /// with `already_exists` naming that client, and nothing is created.
    pub async fn create_client(&self, req: &CreateClientRequest, actor: Uuid) -> AppResult<Client> {
        let now = now_ms();
        let mut c = Client {
            id: req.id.unwrap_or_else(careline_protocol::new_id),
            name: required_text("name", &req.name, 200)?,
            phone: normalize_phone(&req.phone)?,
            email: None,
            gender: None,
            birthday: None,
            city: None,
            height_cm: None,
            weight_kg: None,
            source: req.source.unwrap_or(ClientSource::Phone),
            tags: Vec::new(),
            notes: None,
            vip: false,
            blocked: false,
            created_at: from_ms(now),
            allergies: None,
            medications: None,
        };
        let details = UpdateClientRequest {
            email: req.email.clone(),
            gender: req.gender.clone(),
            birthday: req.birthday.clone(),
            city: req.city.clone(),
            tags: Some(req.tags.clone()),
            notes: req.notes.clone(),
            ..Default::default()
        };
        personal_data(&mut c, &details)?;
        let mut tx = self.begin().await?;
        // The desk may name the record (offline creation), but an id is one account's only:
        // never an operator's (a session of that id would otherwise be the operator's).
        if req.id.is_some() {
            let taken = sqlx::query("SELECT 1 AS x FROM operators WHERE id = $1")
                .bind(c.id.to_string())
                .fetch_optional(tx.conn())
                .await?;
            if taken.is_some() {
                return Err(AppError::refuse(
                    ErrorCode::AlreadyExists,
                    "this id is already in use",
                ));
            }
        }
        if let Some(row) = sqlx::query("SELECT id, name FROM clients WHERE phone = $1")
            .bind(&c.phone)
            .fetch_optional(tx.conn())
            .await?
        {
            let (id, name): (String, String) = (row.try_get("id")?, row.try_get("name")?);
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                format!("this phone number belongs to the client {name} (id {id})"),
            ));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO clients ({CLIENT_COLS}, search) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9, $10, 0, 0, $11, NULL, NULL, $12) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(c.id.to_string())
        .bind(&c.name)
        .bind(&c.phone)
        .bind(c.email.clone())
        .bind(c.gender.clone())
        .bind(c.birthday.clone())
        .bind(c.city.clone())
        .bind(c.source.as_str())
        .bind(tags_json(&c.tags))
        .bind(c.notes.clone())
        .bind(now)
        .bind(client_search_text(&c))
        .execute(tx.conn())
        .await?;
        if inserted.rows_affected() == 0 {
            // The phone was checked above: the id (or, in a race, the phone) is taken.
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                "a client with this id or phone number already exists",
            ));
        }
        tx.emit(
            &EventData::Client(c.clone()),
            Audience::Staff(Some(c.id)),
            now,
        )
        .await?;
        audit_in(
            &mut tx,
            actor,
            "client.created",
            Some(c.id),
            Some(c.source.as_str()),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The accounts that log in with this phone (those with a password; at most
    /// [`ACCOUNTS_PER_PHONE`]), oldest first, with their password hashes.
    pub async fn client_credentials(&self, phone: &str) -> AppResult<Vec<(Client, String)>> {
        let Ok(phone) = normalize_phone(phone) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(&format!(
            "SELECT {CLIENT_COLS}, password_hash FROM clients WHERE phone = $1 AND password_hash IS NOT NULL ORDER BY created_at, id LIMIT {ACCOUNTS_PER_PHONE}"
        ))
        .bind(phone)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| Ok((client_row(r)?, r.try_get("password_hash")?)))
            .collect()
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
            let p = q.arg(format!(
                "%{}%",
                serde_json::to_string(tag)
                    .unwrap_or_default()
                    .replace(['%', '_'], "")
            ));
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
    pub async fn update_client(
        &self,
        id: Uuid,
        req: &UpdateClientRequest,
        actor: Uuid,
        role: Role,
    ) -> AppResult<Client> {
        if !role.is_staff()
            && (req.tags.is_some()
                || req.notes.is_some()
                || req.vip.is_some()
                || req.blocked.is_some())
        {
            return Err(AppError::forbidden(
                "tags, notes, VIP and blocked are set by staff",
            ));
        }
        if !role.is_staff() && (req.phone.is_some() || req.source.is_some()) {
            // The phone is the client's login: reception changes it, after checking who calls.
            return Err(AppError::forbidden(
                "the phone number and the source are changed by staff",
            ));
        }
        let phone = req.phone.as_deref().map(normalize_phone).transpose()?;
        if role != Role::Admin && (req.vip.is_some() || req.blocked.is_some()) {
            return Err(AppError::forbidden(
                "VIP and blocked are set by an administrator",
            ));
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
        let was_blocked = c.blocked;
        personal_data(&mut c, req)?;
        if let Some(v) = req.vip {
            c.vip = v;
        }
        if let Some(v) = req.blocked {
            c.blocked = v;
        }
        let before = (c.phone.clone(), c.source);
        if let Some(p) = phone {
            if p != c.phone {
                let taken = sqlx::query("SELECT id FROM clients WHERE phone = $1 AND id <> $2")
                    .bind(&p)
                    .bind(id.to_string())
                    .fetch_optional(tx.conn())
                    .await?;
                if taken.is_some() {
                    return Err(AppError::refuse(
                        ErrorCode::AlreadyExists,
                        "another client has this phone number",
                    ));
                }
            }
            c.phone = p;
        }
        if let Some(s) = req.source {
            c.source = s;
        }
        if (c.phone.clone(), c.source) != before {
            sqlx::query("UPDATE clients SET phone = $1, source = $2 WHERE id = $3")
                .bind(&c.phone)
                .bind(c.source.as_str())
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        sqlx::query(
            "UPDATE clients SET name = $1, email = $2, gender = $3, birthday = $4, city = $5, height_cm = $6, \
             weight_kg = $7, tags = $8, notes = $9, vip = $10, blocked = $11, search = $13, allergies = $14, medications = $15 WHERE id = $12",
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
        .bind(c.allergies.clone())
        .bind(c.medications.clone())
        .execute(tx.conn())
        .await?;
        // While blocked, the client's sessions are refused as such (`account_disabled`); unblocking
        // ends them, so an old token never comes back to life.
        if was_blocked && !c.blocked {
            sqlx::query("DELETE FROM tokens WHERE user_id = $1")
                .bind(id.to_string())
                .execute(tx.conn())
                .await?;
        }
        tx.emit(
            &EventData::Client(c.clone()),
            Audience::Staff(Some(c.id)),
            now,
        )
        .await?;
        if staff {
            // Which fields changed, never their values (the log is read more widely than records).
            let changed = [
                ("name", req.name.is_some()),
                ("email", req.email.is_some()),
                ("gender", req.gender.is_some()),
                ("birthday", req.birthday.is_some()),
                ("city", req.city.is_some()),
                ("height_cm", req.height_cm.is_some()),
                ("weight_kg", req.weight_kg.is_some()),
                ("tags", req.tags.is_some()),
                ("notes", req.notes.is_some()),
                ("vip", req.vip.is_some()),
                ("blocked", req.blocked.is_some()),
                ("phone", before.0 != c.phone),
                ("source", before.1 != c.source),
                ("allergies", req.allergies.is_some()),
                ("medications", req.medications.is_some()),
            ]
            .iter()
            .filter(|(_, given)| *given)
            .map(|(f, _)| *f)
            .collect::<Vec<_>>()
            .join(",");
            audit_in(
                &mut tx,
                actor,
                "client.updated",
                Some(id),
                Some(&changed),
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        if c.blocked != was_blocked {
            self.sessions.revoked();
        }
        Ok(c)
    }
}

/// Applies the personal data, tags and notes a request gives, each checked.
fn personal_data(c: &mut Client, req: &UpdateClientRequest) -> AppResult<()> {
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
                chrono::NaiveDate::parse_from_str(&b, "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("birthday must be YYYY-MM-DD"))?;
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
    if let Some(v) = &req.allergies {
        c.allergies = optional_text("allergies", Some(v), 2_000)?;
    }
    if let Some(v) = &req.medications {
        c.medications = optional_text("medications", Some(v), 2_000)?;
    }
    Ok(())
}

/// What client search matches against, lower-cased in Rust (every script, not only ASCII).
pub(crate) fn client_search_text(c: &Client) -> String {
    search_text(&c.name, &c.phone, c.email.as_deref(), &c.tags)
}

/// What a client's search column holds: name, phone, e-mail and tags, lower-cased.
pub(crate) fn search_text(name: &str, phone: &str, email: Option<&str>, tags: &[String]) -> String {
    let mut s = format!("{name} {phone} {}", email.unwrap_or(""));
    for t in tags {
        s.push(' ');
        s.push_str(t);
    }
    s.to_lowercase()
}

fn valid_email(email: Option<&str>) -> AppResult<Option<String>> {
    match optional_text("email", email, 254)? {
        Some(e) if !e.contains('@') || e.contains(char::is_whitespace) => {
            Err(AppError::invalid("email is not valid"))
        }
        other => Ok(other),
    }
}

impl Store {
    /// Erases a client (the right to erasure): their record, consultations, messages, read
    /// positions, callback requests (also those for their phone), sessions, uploads and every
    /// event about them, in one transaction; desks learn it from an `erased` event and forget
    /// their copy. Audited by id only. Returns the content hashes no remaining upload names
    /// (their files are to be deleted).
    pub async fn erase_client(&self, id: Uuid, actor: Uuid) -> AppResult<Vec<String>> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT phone FROM clients WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::not_found("client"))?;
        let phone: String = row.try_get("phone")?;
        let cid = id.to_string();
        // A phone shared with another client (reception's record and a self-registered
        // account) stays theirs: what names only the phone is erased with its last holder.
        let shared =
            sqlx::query("SELECT 1 AS x FROM clients WHERE phone = $1 AND id <> $2 LIMIT 1")
                .bind(&phone)
                .bind(&cid)
                .fetch_optional(tx.conn())
                .await?
                .is_some();
        let uploads = sqlx::query(
            "SELECT a.id, a.sha256, a.image FROM attachments a WHERE a.uploader_id = $1 \
             OR a.id IN (SELECT m.attachment_id FROM messages m WHERE m.client_id = $1 AND m.attachment_id IS NOT NULL)",
        )
        .bind(&cid)
        .fetch_all(tx.conn())
        .await?;
        let upload_ids = uploads
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut files = Vec::new();
        for r in &uploads {
            files.push(r.try_get::<String, _>("sha256")?);
            if let Some(i) = super::files::image_info(r, "image")? {
                files.push(i.thumb_sha256);
            }
        }
        // Webhook deliveries name the client (id, name, phone): those waiting and the log go too.
        let pattern = format!("%{cid}%");
        let by_phone = if shared {
            pattern.clone()
        } else {
            format!("%\"{phone}\"%")
        };
        sqlx::query("DELETE FROM webhook_deliveries WHERE payload LIKE $1 OR payload LIKE $2")
            .bind(&pattern)
            .bind(&by_phone)
            .execute(tx.conn())
            .await?;
        for sql in [
            "DELETE FROM messages WHERE client_id = $1",
            "DELETE FROM reads WHERE reader_id = $1 OR consultation_id IN (SELECT id FROM consultations WHERE client_id = $1)",
            "DELETE FROM consultation_steps WHERE consultation_id IN (SELECT id FROM consultations WHERE client_id = $1)",
            // Visits and their refunds name the client's consultations: they go first.
            "DELETE FROM call_links WHERE call_id IN (SELECT id FROM calls WHERE client_id = $1)",
            "DELETE FROM calls WHERE client_id = $1",
            "DELETE FROM appointments WHERE client_id = $1",
            "DELETE FROM prescriptions WHERE client_id = $1",
            "DELETE FROM consent_records WHERE client_id = $1",
            "DELETE FROM refunds WHERE consultation_id IN (SELECT id FROM consultations WHERE client_id = $1)",
            "DELETE FROM consultations WHERE client_id = $1",
            "DELETE FROM callback_attempts WHERE callback_id IN (SELECT id FROM callbacks WHERE client_id = $1)",
            "DELETE FROM callbacks WHERE client_id = $1",
            "DELETE FROM tokens WHERE user_id = $1",
            "DELETE FROM idempotency WHERE user_id = $1",
            "DELETE FROM events WHERE client_id = $1",
        ] {
            sqlx::query(sql).bind(&cid).execute(tx.conn()).await?;
        }
        for upload in &upload_ids {
            // Still named by another client's message (forwarded content)? Then it stays.
            let named = sqlx::query("SELECT 1 AS x FROM messages WHERE attachment_id = $1 LIMIT 1")
                .bind(upload)
                .fetch_optional(tx.conn())
                .await?
                .is_some();
            if !named {
                sqlx::query("DELETE FROM attachments WHERE id = $1")
                    .bind(upload)
                    .execute(tx.conn())
                    .await?;
            }
        }
        if !shared {
            sqlx::query("DELETE FROM callback_attempts WHERE callback_id IN (SELECT id FROM callbacks WHERE phone = $1)")
                .bind(&phone)
                .execute(tx.conn())
                .await?;
            sqlx::query("DELETE FROM callbacks WHERE phone = $1")
                .bind(&phone)
                .execute(tx.conn())
                .await?;
        }
        sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(&cid)
            .execute(tx.conn())
            .await?;
        tx.emit(
            &EventData::Erased(careline_protocol::Erasure { client_id: id }),
            Audience::Staff(None),
            now,
        )
        .await?;
        audit_in(&mut tx, actor, "client.erased", Some(id), None, None, now).await?;
        let orphans = super::files::unnamed_contents(&mut tx, files).await?;
        tx.commit().await?;
        self.sessions.revoked();
        Ok(orphans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        assert_eq!(
            normalize_phone("+7 (912) 345-67-89").unwrap(),
            "+79123456789"
        );
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
