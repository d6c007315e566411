//! Time-based one-time passwords (RFC 6238): HMAC-SHA-1, 6 digits, 30-second
//! steps, as every authenticator app computes them; base32 secrets (RFC 4648,
//! no padding) and the `otpauth://` URI that QR codes carry. Pure: the time
//! and the secret are arguments.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 (RFC 4648) without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 (any case; spaces and padding ignored); `None` on any other character.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in s.chars().filter(|c| !matches!(c, ' ' | '=' | '-')) {
        let c = c.to_ascii_uppercase() as u8;
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The step that the Unix time `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value (RFC 4226) of `secret` at `counter`, as 6 digits.
pub fn hotp(secret: &[u8], counter: u64) -> String {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    format!("{:06}", bin % 10u32.pow(DIGITS))
}

/// The code of the base32 `secret` at `step`; `None` when the secret is not base32.
pub fn code_at_step(secret: &str, step: i64) -> Option<String> {
    let key = base32_decode(secret)?;
    Some(hotp(&key, step.max(0) as u64))
}

/// The code of the base32 `secret` at the Unix time `unix_seconds`.
pub fn code_at(secret: &str, unix_seconds: i64) -> Option<String> {
    code_at_step(secret, step_at(unix_seconds))
}

/// A typed code in its canonical form: 6 ASCII digits once spaces are
/// removed; `None` for anything else (letters, other lengths, long input).
pub fn normalise_code(input: &str) -> Option<String> {
    if input.len() > 32 {
        return None;
    }
    let c: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (c.len() == DIGITS as usize && c.bytes().all(|b| b.is_ascii_digit())).then_some(c)
}

/// The step (at, one before or one after `unix_seconds`) whose code is
/// `code`, if any: a clock off by up to 30 seconds is accepted. Compared in
/// constant time per step.
pub fn matching_step(secret: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code = normalise_code(code)?;
    let now = step_at(unix_seconds);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        let expected = code_at_step(secret, step)?;
        let same = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read from a QR code.
pub fn otpauth_uri(secret: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
        enc(issuer),
        enc(account),
        secret,
        enc(issuer),
        DIGITS,
        STEP_SECONDS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 (the 8-digit values, last six digits).
    #[test]
    fn rfc_6238_vectors() {
        let secret = base32_encode(b"12345678901234567890");
        for (t, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
            (20000000000, "353130"),
        ] {
            assert_eq!(code_at(&secret, t).as_deref(), Some(code), "t = {t}");
        }
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert!(base32_decode("not base32!").is_none());
        for n in 0..25 {
            let v: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(base32_decode(&base32_encode(&v)).unwrap(), v);
        }
    }

    #[test]
    fn one_step_either_side() {
        let secret = base32_encode(b"12345678901234567890");
        let t = 1_111_111_111;
        let now = code_at(&secret, t).unwrap();
        assert_eq!(matching_step(&secret, &now, t), Some(step_at(t)));
        let before = code_at(&secret, t - 30).unwrap();
        assert_eq!(matching_step(&secret, &before, t), Some(step_at(t) - 1));
        let after = code_at(&secret, t + 30).unwrap();
        assert_eq!(matching_step(&secret, &after, t), Some(step_at(t) + 1));
        let old = code_at(&secret, t - 90).unwrap();
        assert_eq!(matching_step(&secret, &old, t), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, &"9".repeat(10_000), t), None);
        assert_eq!(matching_step(&secret, "１２３４５６", t), None);
        assert_eq!(
            matching_step(&secret, &format!(" {} {} ", &now[..3], &now[3..]), t),
            Some(step_at(t))
        );
    }

    #[test]
    fn uri() {
        assert_eq!(
            otpauth_uri("ABC", "Homeward", "a b@iom.int"),
            "otpauth://totp/Homeward:a%20b@iom.int?secret=ABC&issuer=Homeward&algorithm=SHA1&digits=6&period=30"
        );
    }
}
