//! Restricted data at rest: counselling notes, health and vulnerability
//! details and attachment files are sealed with XChaCha20-Poly1305 under a
//! data key that never sits in the database (ADR 0028). Each sealed value
//! names its key, so old keys keep reading while `homeward keys rotate`
//! moves everything to the newest one. The associated data binds a value to
//! its table, column and row: a ciphertext copied onto another record does
//! not open.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;
use zeroize::Zeroizing;

/// Prefix of a sealed text value: `hwenc:<key id>:<base64url(nonce ‖ ciphertext)>`.
pub const TEXT_PREFIX: &str = "hwenc:";
/// First bytes of a sealed file, followed by the key id, a NUL, the nonce and the ciphertext.
pub const FILE_MAGIC: &[u8; 7] = b"HWENC1\0";
const NONCE_LEN: usize = 24;

/// What went wrong with keys or sealed values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The key text could not be read (the line and why).
    #[error("data key: {0}")]
    BadKey(String),
    /// No data key is configured, so restricted data can be neither sealed nor read.
    #[error("no data key is configured (HOMEWARD_DATA_KEY or HOMEWARD_DATA_KEY_FILE)")]
    NoKey,
    /// A value names a key this process does not hold.
    #[error("data key {0:?} is not in the key file")]
    UnknownKey(String),
    /// A value failed authentication: changed, moved to another record, or truncated.
    #[error("a sealed value does not open (altered, moved or truncated)")]
    Tampered,
}

/// A 256-bit data key with its id.
struct Key {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

/// The data keys this process holds: the newest seals, every one opens.
#[derive(Default)]
pub struct Keyring {
    /// In file order; the last one is current.
    keys: Vec<Key>,
    by_id: HashMap<String, usize>,
}

impl fmt::Debug for Keyring {
    // Never print key material, only ids. Ids hold no LIKE wildcard, so
    // rotation can select values by their prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("ids", &self.ids()).finish()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl Keyring {
    /// Reads key text: one key per line, `<id> <base64 of 32 bytes>`, blank
    /// lines and `#` comments ignored; the last key seals new values.
    pub fn parse(text: &str) -> Result<Keyring, CryptoError> {
        let mut ring = Keyring::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, b64) = line.split_once(char::is_whitespace).ok_or_else(|| {
                CryptoError::BadKey(format!("line {}: expected `<id> <base64 key>`", n + 1))
            })?;
            if !valid_id(id) {
                return Err(CryptoError::BadKey(format!(
                    "line {}: a key id is 1-32 letters, digits or '-'",
                    n + 1
                )));
            }
            let raw = Zeroizing::new(STANDARD.decode(b64.trim()).map_err(|_| {
                CryptoError::BadKey(format!("line {}: the key is not base64", n + 1))
            })?);
            let bytes: [u8; 32] = raw
                .as_slice()
                .try_into()
                .map_err(|_| CryptoError::BadKey(format!("line {}: a key is 32 bytes", n + 1)))?;
            if ring.by_id.contains_key(id) {
                return Err(CryptoError::BadKey(format!(
                    "line {}: key id {id:?} appears twice",
                    n + 1
                )));
            }
            ring.by_id.insert(id.to_string(), ring.keys.len());
            ring.keys.push(Key {
                id: id.to_string(),
                bytes: Zeroizing::new(bytes),
            });
        }
        if ring.keys.is_empty() {
            return Err(CryptoError::BadKey("no key in the key text".into()));
        }
        Ok(ring)
    }

    /// A new key line, `<id> <base64>`; the id says the day it was made.
    pub fn new_key_line() -> String {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let id = format!(
            "k{}-{}",
            chrono::Utc::now().format("%Y%m%d"),
            hex::encode(&key[..3])
        );
        format!("{id} {}", STANDARD.encode(key))
    }

    /// A keyring of one random key (tests and throw-away databases).
    pub fn random() -> Keyring {
        Keyring::parse(&Keyring::new_key_line()).unwrap_or_default()
    }

    /// The key ids, oldest first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// The id of the key that seals new values.
    pub fn current_id(&self) -> Option<&str> {
        self.keys.last().map(|k| k.id.as_str())
    }

    fn current(&self) -> Result<&Key, CryptoError> {
        self.keys.last().ok_or(CryptoError::NoKey)
    }

    fn key(&self, id: &str) -> Result<&Key, CryptoError> {
        if self.keys.is_empty() {
            return Err(CryptoError::NoKey);
        }
        self.by_id
            .get(id)
            .map(|&i| &self.keys[i])
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))
    }

    fn seal_raw(&self, aad: &str, plain: &[u8]) -> Result<(&Key, Vec<u8>), CryptoError> {
        let key = self.current()?;
        let cipher = XChaCha20Poly1305::new(key.bytes.as_ref().into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok((key, out))
    }

    fn open_raw(&self, key: &Key, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Tampered);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(key.bytes.as_ref().into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)
    }

    /// Seals a text value bound to `aad` (see [`aad`]).
    pub fn seal(&self, aad: &str, plain: &str) -> Result<String, CryptoError> {
        let (key, sealed) = self.seal_raw(aad, plain.as_bytes())?;
        Ok(format!(
            "{TEXT_PREFIX}{}:{}",
            key.id,
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Seals an optional value; `None` stays `None`.
    pub fn seal_opt(&self, aad: &str, plain: Option<&str>) -> Result<Option<String>, CryptoError> {
        plain.map(|p| self.seal(aad, p)).transpose()
    }

    /// Opens a stored text value. A value without the prefix was written
    /// before encryption and is returned as it is (rotation seals it).
    pub fn open(&self, aad: &str, stored: &str) -> Result<String, CryptoError> {
        let Some(rest) = stored.strip_prefix(TEXT_PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, b64) = rest.split_once(':').ok_or(CryptoError::Tampered)?;
        let key = self.key(id)?;
        let sealed = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(self.open_raw(key, aad, &sealed)?).map_err(|_| CryptoError::Tampered)
    }

    /// Opens an optional stored value.
    pub fn open_opt(&self, aad: &str, stored: Option<&str>) -> Result<Option<String>, CryptoError> {
        stored.map(|s| self.open(aad, s)).transpose()
    }

    /// Seals file bytes bound to `aad`.
    pub fn seal_file(&self, aad: &str, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (key, sealed) = self.seal_raw(aad, plain)?;
        let mut out = Vec::with_capacity(FILE_MAGIC.len() + key.id.len() + 1 + sealed.len());
        out.extend_from_slice(FILE_MAGIC);
        out.extend_from_slice(key.id.as_bytes());
        out.push(0);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens file bytes; a file without the header predates encryption and
    /// is returned as it is.
    pub fn open_file(&self, aad: &str, stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let Some(rest) = stored.strip_prefix(FILE_MAGIC.as_slice()) else {
            return Ok(stored.to_vec());
        };
        let end = rest
            .iter()
            .take(33)
            .position(|&b| b == 0)
            .ok_or(CryptoError::Tampered)?;
        let id = std::str::from_utf8(&rest[..end]).map_err(|_| CryptoError::Tampered)?;
        self.open_raw(self.key(id)?, aad, &rest[end + 1..])
    }

    /// A keyed hash of a value for equality search on a sealed column: equal
    /// values match without the database learning them. Keyed by the
    /// current key, so rotation recomputes it.
    pub fn index_hash(&self, purpose: &str, value: &str) -> Result<String, CryptoError> {
        let key = self.current()?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.bytes.as_ref())
            .map_err(|_| CryptoError::NoKey)?;
        mac.update(b"homeward-index\0");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether a stored text value is sealed under the current key.
    pub fn is_current(&self, stored: &str) -> bool {
        key_id_of(stored).is_some() && key_id_of(stored) == self.current_id()
    }

    /// Whether stored file bytes are sealed under the current key.
    pub fn file_is_current(&self, stored: &[u8]) -> bool {
        file_key_id_of(stored).is_some() && file_key_id_of(stored) == self.current_id()
    }
}

/// The key id a stored text value names, if it is sealed.
pub fn key_id_of(stored: &str) -> Option<&str> {
    stored.strip_prefix(TEXT_PREFIX)?.split(':').next()
}

/// The key id stored file bytes name, if they are sealed.
pub fn file_key_id_of(stored: &[u8]) -> Option<&str> {
    let rest = stored.strip_prefix(FILE_MAGIC.as_slice())?;
    let end = rest.iter().take(33).position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// The associated data of a sealed column value: table, column and row.
pub fn aad(table: &str, column: &str, row: uuid::Uuid) -> String {
    format!("{table}.{column}:{row}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn sealed_text_opens_only_on_its_own_record() {
        let ring = Keyring::random();
        let row = Uuid::new_v4();
        let a = aad("counselling_sessions", "notes", row);
        let sealed = ring.seal(&a, "Fears reprisals from family").unwrap();
        assert!(sealed.starts_with("hwenc:k"));
        assert!(!sealed.contains("reprisals"));
        assert_eq!(
            ring.open(&a, &sealed).unwrap(),
            "Fears reprisals from family"
        );
        let other = aad("counselling_sessions", "notes", Uuid::new_v4());
        assert_eq!(ring.open(&other, &sealed), Err(CryptoError::Tampered));
        let column = aad("vulnerabilities", "details", row);
        assert_eq!(ring.open(&column, &sealed), Err(CryptoError::Tampered));
        // One changed character anywhere in the ciphertext.
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        assert_eq!(ring.open(&a, &changed), Err(CryptoError::Tampered));
        // Two seals of the same text differ (random nonces).
        assert_ne!(ring.seal(&a, "x").unwrap(), ring.seal(&a, "x").unwrap());
    }

    #[test]
    fn old_keys_open_and_the_newest_seals() {
        let first = Keyring::new_key_line().replacen('k', "a", 1);
        let second = Keyring::new_key_line().replacen('k', "b", 1);
        let old = Keyring::parse(&first).unwrap();
        let both = Keyring::parse(&format!("# keys\n{first}\n\n{second}\n")).unwrap();
        let a = aad("t", "c", Uuid::nil());
        let sealed_old = old.seal(&a, "hello").unwrap();
        assert_eq!(both.open(&a, &sealed_old).unwrap(), "hello");
        assert!(!both.is_current(&sealed_old));
        let sealed_new = both.seal(&a, "hello").unwrap();
        assert!(both.is_current(&sealed_new));
        assert_eq!(
            old.open(&a, &sealed_new),
            Err(CryptoError::UnknownKey(both.current_id().unwrap().into()))
        );
        // Text written before encryption reads as it is.
        assert_eq!(both.open(&a, "plain").unwrap(), "plain");
        assert!(!both.is_current("plain"));
    }

    #[test]
    fn files_round_trip_and_refuse_changes() {
        let ring = Keyring::random();
        let plain = b"%PDF-1.4 medical certificate".to_vec();
        let sealed = ring.seal_file("attachments:1", &plain).unwrap();
        assert!(sealed.starts_with(FILE_MAGIC));
        assert!(!sealed.windows(7).any(|w| w == b"medical"));
        assert!(ring.file_is_current(&sealed));
        assert_eq!(ring.open_file("attachments:1", &sealed).unwrap(), plain);
        assert_eq!(
            ring.open_file("attachments:2", &sealed),
            Err(CryptoError::Tampered)
        );
        let mut cut = sealed.clone();
        cut.truncate(sealed.len() - 1);
        assert_eq!(
            ring.open_file("attachments:1", &cut),
            Err(CryptoError::Tampered)
        );
        assert_eq!(ring.open_file("x", &plain).unwrap(), plain);
    }

    #[test]
    fn bad_key_text_is_refused_with_the_line() {
        for (text, want) in [
            ("", "no key"),
            ("k1", "line 1"),
            ("k1 not-base64!", "base64"),
            ("k1 AAAA", "32 bytes"),
            ("bad/id AAAA", "key id"),
        ] {
            let e = Keyring::parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        let line = Keyring::new_key_line();
        let twice = Keyring::parse(&format!("{line}\n{line}")).unwrap_err();
        assert!(twice.to_string().contains("twice"));
        assert!(!format!("{:?}", Keyring::parse(&line).unwrap())
            .contains(line.split(' ').nth(1).unwrap()));
    }

    #[test]
    fn no_key_means_no_sealing() {
        let ring = Keyring::default();
        assert_eq!(ring.seal("a", "b"), Err(CryptoError::NoKey));
        assert_eq!(ring.open("a", "hwenc:k1:AAAA"), Err(CryptoError::NoKey));
        assert_eq!(ring.open("a", "plain").unwrap(), "plain");
    }

    #[test]
    fn index_hashes_match_equal_values_only() {
        let ring = Keyring::random();
        let a = ring
            .index_hash("vulnerabilities.kind", "trafficking")
            .unwrap();
        assert_eq!(
            a,
            ring.index_hash("vulnerabilities.kind", "trafficking")
                .unwrap()
        );
        assert_ne!(
            a,
            ring.index_hash("vulnerabilities.kind", "medical_condition")
                .unwrap()
        );
        assert_ne!(
            a,
            Keyring::random()
                .index_hash("vulnerabilities.kind", "trafficking")
                .unwrap()
        );
        assert!(!a.contains("trafficking"));
    }
}
