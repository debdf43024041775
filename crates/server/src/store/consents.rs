//! Consents: the texts admins keep (a new version whenever the words change; every version's
//! words kept), clients' answers (append-only: an answer is never changed, a later one
//! supersedes it), where a client stands with each text, and the check a booking or a call
//! makes before it goes ahead.

use careline_protocol::{
    ClientConsent, Consent, ConsentAction, ConsentAnswer, ConsentChannel, ConsentGiven,
    ConsentPurpose, ConsentRecord, ConsentRequest, ConsentState, ErrorCode, Localized, Role,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::audit::audit_in;
use super::rows::{get_bool, get_enum, get_opt_uuid, get_time, get_uuid};
use super::Store;
use crate::db::WriteTx;
use crate::domain::Actor;
use crate::error::{AppError, AppResult};
use crate::time::now_ms;

/// An answer with the name of who recorded it (`r` the record).
const RECORD_SELECT: &str = "r.id, r.client_id, r.consent_id, r.version, r.action, r.channel, \
     r.recorded_by, o.name AS recorded_by_name, r.note, r.at FROM consent_records r \
     LEFT JOIN operators o ON o.id = r.recorded_by";
const COLS: &str = "id, key, version, required, needed_for, title, body, active, updated_at";
/// At most this many consent texts (a clinic has a handful).
const MAX_CONSENTS: i64 = 50;

fn consent_row(r: &AnyRow) -> AppResult<Consent> {
    Ok(Consent {
        id: get_uuid(r, "id")?,
        key: r.try_get("key")?,
        version: r.try_get("version")?,
        required: get_bool(r, "required")?,
        needed_for: parse(r, "needed_for")?,
        title: parse(r, "title")?,
        text: parse(r, "body")?,
        active: get_bool(r, "active")?,
        updated_at: get_time(r, "updated_at")?,
    })
}

fn parse<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> AppResult<T> {
    let text: String = r.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| AppError::Corrupt(format!("consent {col}: {e}")))
}

fn record_row(r: &AnyRow) -> AppResult<ConsentRecord> {
    Ok(ConsentRecord {
        id: get_uuid(r, "id")?,
        client_id: get_uuid(r, "client_id")?,
        consent_id: get_uuid(r, "consent_id")?,
        version: r.try_get("version")?,
        action: get_enum(r, "action")?,
        channel: get_enum(r, "channel")?,
        recorded_by: get_opt_uuid(r, "recorded_by")?,
        recorded_by_name: r.try_get("recorded_by_name")?,
        note: r.try_get("note")?,
        at: get_time(r, "at")?,
    })
}

fn localized(field: &str, l: &Localized, max: usize) -> AppResult<Localized> {
    Ok(Localized {
        ru: super::required_text(&format!("{field}.ru"), &l.ru, max)?,
        zh: super::required_text(&format!("{field}.zh"), &l.zh, max)?,
        en: super::required_text(&format!("{field}.en"), &l.en, max)?,
    })
}

/// A consent's key: 1 to 40 of `a-z`, `0-9` and `_`.
fn valid_key(key: &str) -> AppResult<String> {
    let key = key.trim();
    if key.is_empty()
        || key.len() > 40
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(AppError::invalid(
            "key: 1 to 40 of a-z, 0-9 and _ (health_data, video_calls)",
        ));
    }
    Ok(key.to_owned())
}

struct Checked {
    key: String,
    title: Localized,
    text: Localized,
    needed_for: Vec<ConsentPurpose>,
}

fn checked(req: &ConsentRequest) -> AppResult<Checked> {
    let mut needed_for = req.needed_for.clone();
    needed_for.sort_by_key(|p| p.as_str());
    needed_for.dedup();
    Ok(Checked {
        key: valid_key(&req.key)?,
        title: localized("title", &req.title, 200)?,
        text: localized("text", &req.text, 20_000)?,
        needed_for,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::failed("consent JSON", e))
}

async fn load(tx: &mut WriteTx, id: Uuid) -> AppResult<Consent> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM consents WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::not_found("consent"))?;
    consent_row(&row)
}

#[allow(clippy::too_many_arguments)]
async fn insert_record(
    tx: &mut WriteTx,
    client: Uuid,
    consent: &Consent,
    action: ConsentAction,
    channel: ConsentChannel,
    by: Option<Uuid>,
    note: Option<&str>,
    at: i64,
) -> AppResult<Uuid> {
    let id = careline_protocol::new_id();
    sqlx::query(
        "INSERT INTO consent_records (id, client_id, consent_id, version, action, channel, recorded_by, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(client.to_string())
    .bind(consent.id.to_string())
    .bind(consent.version)
    .bind(action.as_str())
    .bind(channel.as_str())
    .bind(by.map(|b| b.to_string()))
    .bind(note.map(str::to_owned))
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// The consents given on a registration form, checked against the texts as they stand: every
/// active required one at its current version, nothing unknown or outdated.
pub(crate) async fn check_given<'e>(
    on: impl sqlx::Executor<'e, Database = sqlx::Any>,
    given: &[ConsentGiven],
) -> AppResult<Vec<Consent>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM consents WHERE active = 1"))
        .fetch_all(on)
        .await?;
    let active = rows
        .iter()
        .map(consent_row)
        .collect::<AppResult<Vec<_>>>()?;
    for g in given {
        match active.iter().find(|c| c.id == g.id) {
            None => {
                return Err(AppError::invalid(
                    "a consent given is not one the clinic asks for",
                ))
            }
            Some(c) if c.version != g.version => {
                return Err(AppError::refuse(
                    ErrorCode::ConsentRequired,
                    format!("the text of \"{}\" changed: read it again", c.title.en),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(missing) = active
        .iter()
        .find(|c| c.required && !given.iter().any(|g| g.id == c.id))
    {
        return Err(AppError::refuse(
            ErrorCode::ConsentRequired,
            format!("accept \"{}\" to register", missing.title.en),
        ));
    }
    Ok(active
        .into_iter()
        .filter(|c| given.iter().any(|g| g.id == c.id))
        .collect())
}

/// Records the consents of a registration (in its transaction).
pub(crate) async fn record_given(
    tx: &mut WriteTx,
    client: Uuid,
    given: &[ConsentGiven],
    at: i64,
) -> AppResult<()> {
    for c in check_given(tx.conn(), given).await? {
        insert_record(
            tx,
            client,
            &c,
            ConsentAction::Accept,
            ConsentChannel::Web,
            None,
            None,
            at,
        )
        .await?;
    }
    Ok(())
}

/// Refuses what needs a consent the client has not given (at its current version).
pub(crate) async fn require_for(
    tx: &mut WriteTx,
    client: Uuid,
    purpose: ConsentPurpose,
) -> AppResult<()> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM consents WHERE active = 1"))
        .fetch_all(tx.conn())
        .await?;
    for c in rows.iter().map(consent_row) {
        let c = c?;
        if !c.needed_for.contains(&purpose) {
            continue;
        }
        let last = sqlx::query(
            "SELECT action, version FROM consent_records WHERE client_id = $1 AND consent_id = $2 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(client.to_string())
        .bind(c.id.to_string())
        .fetch_optional(tx.conn())
        .await?;
        let given = match last {
            Some(r) => {
                r.try_get::<String, _>("action")? == ConsentAction::Accept.as_str()
                    && r.try_get::<i64, _>("version")? == c.version
            }
            None => false,
        };
        if !given {
            return Err(AppError::refuse(
                ErrorCode::ConsentRequired,
                format!(
                    "the patient has not accepted \"{}\" (version {})",
                    c.title.en, c.version
                ),
            ));
        }
    }
    Ok(())
}

impl Store {
    /// The texts: active ones for anyone (the registration form asks them without a session);
    /// every one for admins (`all`).
    pub async fn consents(&self, all: bool) -> AppResult<Vec<Consent>> {
        let filter = if all { "" } else { " WHERE active = 1" };
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM consents{filter} ORDER BY key LIMIT {MAX_CONSENTS}"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(consent_row).collect()
    }

    pub async fn create_consent(
        &self,
        req: &ConsentRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Consent> {
        let c = checked(req)?;
        let now = now_ms();
        let id = careline_protocol::new_id();
        let mut tx = self.begin().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM consents")
            .fetch_one(tx.conn())
            .await?
            .try_get("n")?;
        if count >= MAX_CONSENTS {
            return Err(AppError::invalid(format!(
                "at most {MAX_CONSENTS} consent texts"
            )));
        }
        if sqlx::query("SELECT 1 AS x FROM consents WHERE key = $1")
            .bind(&c.key)
            .fetch_optional(tx.conn())
            .await?
            .is_some()
        {
            return Err(AppError::refuse(
                ErrorCode::AlreadyExists,
                format!("a consent with the key {} exists", c.key),
            ));
        }
        sqlx::query(&format!(
            "INSERT INTO consents ({COLS}) VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(id.to_string())
        .bind(&c.key)
        .bind(i64::from(req.required))
        .bind(to_json(&c.needed_for)?)
        .bind(to_json(&c.title)?)
        .bind(to_json(&c.text)?)
        .bind(i64::from(req.active))
        .bind(now)
        .execute(tx.conn())
        .await?;
        self.keep_version(&mut tx, id, 1, &c, by, now).await?;
        audit_in(
            &mut tx,
            by.id,
            "consent.create",
            Some(id),
            Some(&c.key),
            remote,
            now,
        )
        .await?;
        let out = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// An edit: new words make a new version (clients are asked again); the switches change the
    /// current one. The key stays.
    pub async fn update_consent(
        &self,
        id: Uuid,
        req: &ConsentRequest,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<Consent> {
        let c = checked(req)?;
        let now = now_ms();
        let mut tx = self.begin().await?;
        let before = load(&mut tx, id).await?;
        let reworded = before.title != c.title || before.text != c.text;
        let version = before.version + i64::from(reworded);
        let done = sqlx::query(
            "UPDATE consents SET version = $1, required = $2, needed_for = $3, title = $4, body = $5, active = $6, updated_at = $7 \
             WHERE id = $8 AND version = $9",
        )
        .bind(version)
        .bind(i64::from(req.required))
        .bind(to_json(&c.needed_for)?)
        .bind(to_json(&c.title)?)
        .bind(to_json(&c.text)?)
        .bind(i64::from(req.active))
        .bind(now)
        .bind(id.to_string())
        .bind(before.version)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "the consent changed meanwhile; look again",
            ));
        }
        if reworded {
            self.keep_version(&mut tx, id, version, &c, by, now).await?;
        }
        let detail = format!("{} v{version}", before.key);
        audit_in(
            &mut tx,
            by.id,
            "consent.update",
            Some(id),
            Some(&detail),
            remote,
            now,
        )
        .await?;
        let out = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn keep_version(
        &self,
        tx: &mut WriteTx,
        id: Uuid,
        version: i64,
        c: &Checked,
        by: Actor,
        now: i64,
    ) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO consent_versions (consent_id, version, title, body, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(version)
        .bind(to_json(&c.title)?)
        .bind(to_json(&c.text)?)
        .bind(now)
        .bind(by.id.to_string())
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// A client accepts or withdraws (from the page), or staff record what a client said by
    /// phone. An acceptance names the version read, which must be the current one.
    pub async fn answer_consent(
        &self,
        id: Uuid,
        action: ConsentAction,
        ans: &ConsentAnswer,
        by: Actor,
        remote: Option<&str>,
    ) -> AppResult<ConsentRecord> {
        let (client, channel) = match by.role {
            Role::Client => match ans.client_id {
                Some(c) if c != by.id => return Err(AppError::not_found("client")),
                _ => (by.id, ConsentChannel::Web),
            },
            Role::Operator | Role::Admin => (
                ans.client_id
                    .ok_or_else(|| AppError::invalid("client_id: whose answer is recorded"))?,
                ConsentChannel::Phone,
            ),
            Role::Pharmacist => return Err(AppError::forbidden("consents are the client's")),
        };
        let note = match ans.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if by.role.is_staff() => Some(super::required_text("note", n, 500)?),
            _ => None,
        };
        let now = now_ms();
        let mut tx = self.begin().await?;
        if sqlx::query("SELECT 1 AS x FROM clients WHERE id = $1")
            .bind(client.to_string())
            .fetch_optional(tx.conn())
            .await?
            .is_none()
        {
            return Err(AppError::not_found("client"));
        }
        let c = load(&mut tx, id).await?;
        if action == ConsentAction::Accept && !c.active {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                "this consent is no longer asked for",
            ));
        }
        if ans.version != c.version {
            return Err(AppError::refuse(
                ErrorCode::IllegalTransition,
                format!(
                    "the text changed (version {} now): read it again",
                    c.version
                ),
            ));
        }
        let staff = by.role.is_staff().then_some(by.id);
        let record = insert_record(
            &mut tx,
            client,
            &c,
            action,
            channel,
            staff,
            note.as_deref(),
            now,
        )
        .await?;
        if let Some(s) = staff {
            let detail = format!("{} v{} {}", c.key, c.version, action.as_str());
            audit_in(
                &mut tx,
                s,
                "consent.record",
                Some(client),
                Some(&detail),
                remote,
                now,
            )
            .await?;
        }
        let row = sqlx::query(&format!("SELECT {RECORD_SELECT} WHERE r.id = $1"))
            .bind(record.to_string())
            .fetch_one(tx.conn())
            .await?;
        let out = record_row(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    async fn consent_history(&self, client: Uuid) -> AppResult<Vec<ConsentRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_SELECT} WHERE r.client_id = $1 ORDER BY r.at DESC, r.id DESC LIMIT 1000"
        ))
        .bind(client.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(record_row).collect()
    }

    /// Where a client stands with each text (active ones, and any they answered), with every
    /// answer, newest first.
    pub async fn client_consents(&self, client: Uuid) -> AppResult<Vec<ClientConsent>> {
        let history = self.consent_history(client).await?;
        let mut out = Vec::new();
        for c in self.consents(true).await? {
            let mine: Vec<ConsentRecord> = history
                .iter()
                .filter(|r| r.consent_id == c.id)
                .cloned()
                .collect();
            if !c.active && mine.is_empty() {
                continue;
            }
            let state = match mine.first() {
                None => ConsentState::Never,
                Some(r) if r.action == ConsentAction::Withdraw => ConsentState::Withdrawn,
                Some(r) if r.version == c.version => ConsentState::Accepted,
                Some(_) => ConsentState::Outdated,
            };
            out.push(ClientConsent {
                consent: c,
                state,
                history: mine,
            });
        }
        Ok(out)
    }
}
