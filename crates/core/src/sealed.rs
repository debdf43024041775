//! Attachment files sealed with their cache's key: XChaCha20-Poly1305 per file (a random
//! 192-bit nonce each, so no nonce is ever reused under one key), the content's SHA-256 as the
//! associated data (a file moved to another content's name does not open), and a keyed name
//! (HMAC-SHA256 of the SHA-256), so the store does not tell which known document it holds.
//! Layout of a sealed file: `CLF1` · nonce (24 bytes) · ciphertext and tag.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keys::CacheKey;

const MAGIC: &[u8; 4] = b"CLF1";
const NONCE: usize = 24;

/// The sealing keys of one store.
pub(crate) struct Sealer {
    aead: XChaCha20Poly1305,
    names: Zeroizing<[u8; 32]>,
}

impl Sealer {
    pub(crate) fn new(key: &CacheKey) -> Sealer {
        let aead = XChaCha20Poly1305::new(key.derive("careline files v1").as_ref().into());
        Sealer {
            aead,
            names: key.derive("careline file names v1"),
        }
    }

    /// The file name of a content in the store.
    pub(crate) fn name(&self, sha256: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.names.as_ref())
            .expect("HMAC takes any key length");
        mac.update(sha256.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub(crate) fn seal(&self, sha256: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: sha256.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any length");
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The content of a sealed file, verified twice: the AEAD's tag and the content's SHA-256.
    /// None for a file that is not a sealed copy of this content under this key.
    pub(crate) fn open(&self, sha256: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let body = sealed.strip_prefix(MAGIC.as_slice())?;
        if body.len() < NONCE {
            return None;
        }
        let (nonce, ciphertext) = body.split_at(NONCE);
        let plain = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: sha256.as_bytes(),
                },
            )
            .ok()?;
        (hex::encode(Sha256::digest(&plain)) == sha256).then_some(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_file_opens_with_its_key_and_name_only() {
        let plain = b"x-ray of the left wrist".to_vec();
        let sha = hex::encode(Sha256::digest(&plain));
        let (key, other) = (CacheKey::random(), CacheKey::random());
        let sealer = Sealer::new(&key);
        let sealed = sealer.seal(&sha, &plain);
        assert!(
            !sealed.windows(5).any(|w| w == b"x-ray"),
            "the text is not in the file"
        );
        assert_eq!(
            sealer.open(&sha, &sealed).as_deref(),
            Some(plain.as_slice())
        );
        assert_ne!(sealer.seal(&sha, &plain), sealed, "a fresh nonce each time");
        assert_eq!(
            Sealer::new(&other).open(&sha, &sealed),
            None,
            "another cache's key"
        );
        let other_sha = hex::encode(Sha256::digest(b"another content"));
        assert_eq!(
            sealer.open(&other_sha, &sealed),
            None,
            "moved to another content's name"
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(sealer.open(&sha, &flipped), None, "tampered");
        assert_eq!(sealer.open(&sha, &plain), None, "a plaintext file");
        assert_ne!(sealer.name(&sha), sha);
        assert_ne!(
            sealer.name(&sha),
            Sealer::new(&other).name(&sha),
            "names are keyed"
        );
    }
}
