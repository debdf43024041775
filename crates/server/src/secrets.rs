//! Secrets the database must keep readable (webhook signing secrets: the server signs with
//! them) are sealed with a key from the configuration, so the database, its backups and a
//! `pg_dump` hold them only as ciphertext. XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`,
//! as the desk's file store), a random 192-bit nonce each, what the secret belongs to as
//! associated data (a sealed value copied onto another row does not open).
//!
//! The key: `secret_key` (64 hex digits), or — when that is empty — `<data_dir>/secret.key`,
//! made (0600) on first start. A check value sealed with the key is kept in `settings`: an
//! instance started with another key refuses to start instead of failing every delivery.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::config::Config;
use crate::error::{AppError, AppResult};

const PREFIX: &str = "sealed:v1:";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl SecretBox {
    /// The configured key, or the data directory's key file (made when missing).
    pub fn load(config: &Config) -> AppResult<SecretBox> {
        let hex_key = if !config.secret_key.trim().is_empty() {
            config.secret_key.trim().to_owned()
        } else {
            let path = config.data_dir.join("secret.key");
            match std::fs::read_to_string(&path) {
                Ok(k) => k.trim().to_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut key = [0u8; 32];
                    rand::thread_rng().fill_bytes(&mut key);
                    let k = hex::encode(key);
                    crate::private::dir(&config.data_dir)?;
                    std::fs::write(&path, &k)?;
                    crate::private::file(&path)?;
                    tracing::info!(path = %path.display(), "made a key for the secrets the database keeps; keep it apart from backups");
                    k
                }
                Err(e) => return Err(e.into()),
            }
        };
        let key = hex::decode(&hex_key)
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| {
                AppError::Other("secret_key must be 64 hexadecimal digits (256 bits)".into())
            })?;
        Ok(SecretBox {
            cipher: XChaCha20Poly1305::new_from_slice(&key).expect("a 256-bit key"),
        })
    }

    /// `plain` sealed for `what` (the row and column it belongs to).
    pub fn seal(&self, what: &str, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: what.as_bytes(),
                },
            )
            .expect("sealing in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
        )
    }

    /// The secret `stored` for `what`; a value stored before sealing existed (no prefix) is
    /// returned as it is.
    pub fn open(&self, what: &str, stored: &str) -> AppResult<String> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let corrupt = || {
            AppError::Corrupt(format!(
                "a sealed secret of {what} does not open with this server's secret_key"
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64)
            .map_err(|_| corrupt())?;
        if bytes.len() < 24 {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: what.as_bytes(),
                },
            )
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(dir: &std::path::Path, key: &str) -> SecretBox {
        SecretBox::load(&Config {
            data_dir: dir.to_path_buf(),
            secret_key: key.into(),
            ..Config::default()
        })
        .unwrap()
    }

    #[test]
    fn sealed_secrets_open_only_for_their_row_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let a = boxed(dir.path(), &"11".repeat(32));
        let s = a.seal("webhook:1", "whsec_abc");
        assert!(!s.contains("whsec_abc") && SecretBox::is_sealed(&s));
        assert_eq!(a.open("webhook:1", &s).unwrap(), "whsec_abc");
        assert!(a.open("webhook:2", &s).is_err(), "another row's");
        assert!(
            boxed(dir.path(), &"22".repeat(32))
                .open("webhook:1", &s)
                .is_err(),
            "another key"
        );
        assert_eq!(
            a.open("webhook:1", "whsec_old").unwrap(),
            "whsec_old",
            "stored before sealing"
        );
        // No key configured: one is made in the data directory, 0600, and used again.
        let made = boxed(dir.path(), "");
        let again = boxed(dir.path(), "");
        assert_eq!(again.open("x", &made.seal("x", "y")).unwrap(), "y");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(dir.path().join("secret.key"))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o600
            );
        }
        assert!(SecretBox::load(&Config {
            data_dir: dir.path().into(),
            secret_key: "short".into(),
            ..Config::default()
        })
        .is_err());
    }
}
