//! Server configuration, layered: built-in defaults, then an optional TOML file, then
//! `CARELINE_*` environment variables. `careline-server print-config` shows the result with
//! secrets redacted.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://...`; empty means `sqlite://<data_dir>/careline.db`.
    pub database_url: String,
    /// Database file, attachments and other state.
    pub data_dir: PathBuf,
    /// Largest accepted attachment, in bytes.
    pub attachment_max_bytes: u64,
    /// Largest accepted JSON request body, in bytes.
    pub json_max_bytes: usize,
    /// How long a staff session token lives, in hours.
    pub token_ttl_hours: i64,
    /// How long a patient's session lives without use, in hours: each use (at most once an
    /// hour) renews it for this long again.
    pub client_token_ttl_hours: i64,
    /// An operator with no open connection for this long falls to `offline`.
    pub presence_grace_secs: u64,
    /// Consultation capacity of a new operator.
    pub default_capacity: i64,
    /// Failed attempts before a callback request becomes `failed`.
    pub callback_max_attempts: i64,
    /// Delay before the next try after `no_answer` or `busy`, in minutes.
    pub callback_retry_minutes: i64,
    /// Failed logins allowed per login and address within `login_window_secs`.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Connections in the database pool.
    pub db_max_connections: u32,
    /// SQLite `synchronous` mode: `normal` survives a killed process (WAL), `full` also a
    /// power loss, at the price of an fsync per commit.
    pub sqlite_synchronous: String,
    /// Events kept for catch-up; older ones are pruned and their readers told to re-sync.
    /// 0 keeps everything.
    pub event_retention_days: i64,
    /// Answers to requests sent with an `Idempotency-Key` are replayed to retries for this many
    /// hours, then pruned (a retry after that runs again: the state machine and the message
    /// key still refuse a duplicate).
    pub idempotency_keep_hours: i64,
    /// What one client may upload in 24 hours, in bytes (staff are not limited).
    pub client_upload_quota_bytes: u64,
    /// Uploads no message names are deleted (row and file) after this many hours.
    pub unattached_keep_hours: i64,
    /// Open connections one address may hold; more are closed at once (0: no cap). Clients
    /// behind one carrier NAT share an address: keep it well above a clinic's size.
    pub max_connections_per_address: usize,
    /// Seconds a connection may take to send a request's headers (also an idle keep-alive
    /// connection's next request), and a request's body.
    pub request_read_timeout_secs: u64,
    /// Scheduled backups go into dated folders here; empty turns them off.
    pub backup_dir: String,
    pub backup_every_hours: u64,
    /// Scheduled backups kept; older ones are deleted.
    pub backup_keep: usize,
    /// Webhooks may target loopback, link-local and private addresses (a gateway on the same
    /// host or network). Off by default: an admin's URL must not reach the server's neighbours.
    pub webhook_allow_private: bool,
    /// A delivery is retried for this long, then marked failed.
    pub webhook_retry_secs: u64,
    /// One attempt's time limit (connecting, sending, the answer's headers and up to 64 KiB).
    pub webhook_timeout_secs: u64,
    /// The first retry waits about this long; each next one twice as long (at most an hour),
    /// with random jitter.
    pub webhook_backoff_base_ms: u64,
    /// An operator's message the client's device has not confirmed after this long is a
    /// `message.undelivered` webhook.
    pub webhook_undelivered_secs: u64,
    /// An unclaimed callback request this close to its due time is a `callback.due_soon` webhook.
    pub webhook_due_soon_minutes: i64,
    /// An endpoint whose attempts failed this many times in a row is paused (admins are told).
    pub webhook_pause_after: i64,
    /// Self-registrations one address may make in an hour, and all addresses together
    /// (`429` past either).
    pub register_per_address_per_hour: u32,
    pub register_per_hour: u32,
    /// The key (64 hex digits, 256 bits) that seals the secrets the database keeps (webhook
    /// signing secrets). Empty: `<data_dir>/secret.key`, made (0600) on first start. Several
    /// instances on one database need the same key; keep it apart from backups.
    pub secret_key: String,
    /// `GET /metrics` answers a bearer of this token, or an admin's session; empty: admins only.
    pub metrics_token: String,
    /// The call relay (coturn): `turn:host:3478?transport=udp`, `turns:host:443?transport=tcp`…
    /// Empty: no relay (calls connect directly or not at all).
    pub turn_urls: Vec<String>,
    /// The relay's shared secret (coturn's `static-auth-secret` with `use-auth-secret`): TURN
    /// credentials are made from it per user and expire after `turn_ttl_secs`.
    pub turn_secret: String,
    pub turn_ttl_secs: i64,
    /// Calls always go through the relay (`iceTransportPolicy: "relay"`), so neither party
    /// learns the other's address. Needs `turn_urls`.
    pub turn_only: bool,
    /// STUN servers for finding a public address (`stun:host:3478`); the relay's URLs serve as
    /// STUN too.
    pub stun_urls: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: default_data_dir(),
            attachment_max_bytes: 25 * 1024 * 1024,
            json_max_bytes: 1024 * 1024,
            token_ttl_hours: 24 * 30,
            client_token_ttl_hours: 24 * 7,
            presence_grace_secs: 60,
            default_capacity: 5,
            callback_max_attempts: 3,
            callback_retry_minutes: 15,
            login_max_failures: 10,
            login_window_secs: 300,
            db_max_connections: 16,
            sqlite_synchronous: "normal".into(),
            event_retention_days: 0,
            idempotency_keep_hours: 24,
            client_upload_quota_bytes: 200 * 1024 * 1024,
            unattached_keep_hours: 24,
            max_connections_per_address: 1024,
            request_read_timeout_secs: 20,
            backup_dir: String::new(),
            backup_every_hours: 24,
            backup_keep: 7,
            webhook_allow_private: false,
            webhook_retry_secs: 24 * 3600,
            webhook_timeout_secs: 10,
            webhook_backoff_base_ms: 5_000,
            webhook_undelivered_secs: 300,
            webhook_due_soon_minutes: 15,
            webhook_pause_after: 50,
            register_per_address_per_hour: 20,
            register_per_hour: 1_000,
            secret_key: String::new(),
            metrics_token: String::new(),
            turn_urls: Vec::new(),
            turn_secret: String::new(),
            turn_ttl_secs: 1800,
            turn_only: false,
            stun_urls: Vec::new(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("careline-server")
}

impl Config {
    /// Defaults, then the TOML file (if given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(name: &str, value: String) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            value
                .parse()
                .map_err(|e| anyhow::anyhow!("{name}={value:?}: {e}"))
        }
        if let Some(v) = var("CARELINE_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = var("CARELINE_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("CARELINE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("CARELINE_ATTACHMENT_MAX_BYTES") {
            self.attachment_max_bytes = parse("CARELINE_ATTACHMENT_MAX_BYTES", v)?;
        }
        if let Some(v) = var("CARELINE_PRESENCE_GRACE_SECS") {
            self.presence_grace_secs = parse("CARELINE_PRESENCE_GRACE_SECS", v)?;
        }
        if let Some(v) = var("CARELINE_DB_MAX_CONNECTIONS") {
            self.db_max_connections = parse("CARELINE_DB_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = var("CARELINE_SQLITE_SYNCHRONOUS") {
            self.sqlite_synchronous = v;
        }
        if let Some(v) = var("CARELINE_IDEMPOTENCY_KEEP_HOURS") {
            self.idempotency_keep_hours = parse("CARELINE_IDEMPOTENCY_KEEP_HOURS", v)?;
        }
        if let Some(v) = var("CARELINE_CLIENT_UPLOAD_QUOTA_BYTES") {
            self.client_upload_quota_bytes = parse("CARELINE_CLIENT_UPLOAD_QUOTA_BYTES", v)?;
        }
        if let Some(v) = var("CARELINE_UNATTACHED_KEEP_HOURS") {
            self.unattached_keep_hours = parse("CARELINE_UNATTACHED_KEEP_HOURS", v)?;
        }
        if let Some(v) = var("CARELINE_MAX_CONNECTIONS_PER_ADDRESS") {
            self.max_connections_per_address = parse("CARELINE_MAX_CONNECTIONS_PER_ADDRESS", v)?;
        }
        if let Some(v) = var("CARELINE_BACKUP_DIR") {
            self.backup_dir = v;
        }
        if let Some(v) = var("CARELINE_BACKUP_EVERY_HOURS") {
            self.backup_every_hours = parse("CARELINE_BACKUP_EVERY_HOURS", v)?;
        }
        if let Some(v) = var("CARELINE_BACKUP_KEEP") {
            self.backup_keep = parse("CARELINE_BACKUP_KEEP", v)?;
        }
        if let Some(v) = var("CARELINE_LOGIN_MAX_FAILURES") {
            self.login_max_failures = parse("CARELINE_LOGIN_MAX_FAILURES", v)?;
        }
        if let Some(v) = var("CARELINE_REGISTER_PER_ADDRESS_PER_HOUR") {
            self.register_per_address_per_hour =
                parse("CARELINE_REGISTER_PER_ADDRESS_PER_HOUR", v)?;
        }
        if let Some(v) = var("CARELINE_REGISTER_PER_HOUR") {
            self.register_per_hour = parse("CARELINE_REGISTER_PER_HOUR", v)?;
        }
        if let Some(v) = var("CARELINE_SECRET_KEY") {
            self.secret_key = v;
        }
        if let Some(v) = var("CARELINE_METRICS_TOKEN") {
            self.metrics_token = v;
        }
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .collect()
        };
        if let Some(v) = var("CARELINE_TURN_URLS") {
            self.turn_urls = list(v);
        }
        if let Some(v) = var("CARELINE_STUN_URLS") {
            self.stun_urls = list(v);
        }
        if let Some(v) = var("CARELINE_TURN_SECRET") {
            self.turn_secret = v;
        }
        if let Some(v) = var("CARELINE_TURN_TTL_SECS") {
            self.turn_ttl_secs = parse("CARELINE_TURN_TTL_SECS", v)?;
        }
        if let Some(v) = var("CARELINE_TURN_ONLY") {
            self.turn_only = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(v) = var("CARELINE_WEBHOOK_ALLOW_PRIVATE") {
            self.webhook_allow_private = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(v) = var("CARELINE_WEBHOOK_RETRY_SECS") {
            self.webhook_retry_secs = parse("CARELINE_WEBHOOK_RETRY_SECS", v)?;
        }
        if let Some(v) = var("CARELINE_WEBHOOK_UNDELIVERED_SECS") {
            self.webhook_undelivered_secs = parse("CARELINE_WEBHOOK_UNDELIVERED_SECS", v)?;
        }
        if let Some(v) = var("CARELINE_WEBHOOK_BACKOFF_BASE_MS") {
            self.webhook_backoff_base_ms = parse("CARELINE_WEBHOOK_BACKOFF_BASE_MS", v)?;
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data dir.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("careline.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The configuration as TOML, with the database password redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&self.effective_database_url());
        for secret in [
            &mut shown.secret_key,
            &mut shown.metrics_token,
            &mut shown.turn_secret,
        ] {
            if !secret.is_empty() {
                *secret = "***".into();
            }
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field(
                "secret_key",
                &if self.secret_key.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults() {
        let mut c = Config::default();
        c.apply_env(|n| match n {
            "CARELINE_LISTEN" => Some("0.0.0.0:9000".into()),
            "CARELINE_ATTACHMENT_MAX_BYTES" => Some("1000".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.attachment_max_bytes, 1000);
    }

    #[test]
    fn bad_env_value_is_an_error() {
        let mut c = Config::default();
        let err = c.apply_env(|n| (n == "CARELINE_ATTACHMENT_MAX_BYTES").then(|| "lots".into()));
        assert!(err.is_err());
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        let c = Config {
            database_url: "postgres://u:pw@h/db".into(),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("pw"));
        assert!(!c.to_redacted_toml().contains("pw"));
    }

    #[test]
    fn toml_layer_reads_partial_files() {
        let c: Config =
            toml::from_str("listen = \"127.0.0.1:1\"\ncallback_max_attempts = 5").unwrap();
        assert_eq!(c.callback_max_attempts, 5);
        assert_eq!(c.default_capacity, 5);
        assert!(toml::from_str::<Config>("no_such_key = 1").is_err());
    }
}
