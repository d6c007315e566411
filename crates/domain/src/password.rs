//! Password rules: what a new password must satisfy before it is hashed.
//! Pure: the list of common passwords is compiled into the binary.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Shortest password accepted, in characters.
pub const MIN_LEN: usize = 12;
/// Longest password accepted, in characters (hashing cost stays bounded).
pub const MAX_LEN: usize = 128;
/// The email's local part counts as "in the password" only from this length,
/// so that `a@iom.int` does not forbid every password with an `a` in it.
const MIN_LOCAL_PART: usize = 4;

/// Common passwords, one a line, lower case (`crates/domain/data/common-passwords.txt`).
const COMMON: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// True when `password` (any case) is in the shipped list of common passwords.
pub fn is_common(password: &str) -> bool {
    common().contains(password.trim().to_lowercase().as_str())
}

/// Checks the rules for `password` of the user with `email`; the error is a
/// field error code (`error-<code>` in the locales).
pub fn check(password: &str, email: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err("password-too-short");
    }
    if n > MAX_LEN {
        return Err("password-too-long");
    }
    let pw = password.to_lowercase();
    let email = email.trim().to_lowercase();
    if !email.is_empty() {
        if pw.trim() == email {
            return Err("password-is-email");
        }
        let local = email.split('@').next().unwrap_or_default();
        if pw.contains(&email) || (local.chars().count() >= MIN_LOCAL_PART && pw.contains(local)) {
            return Err("password-contains-email");
        }
    }
    if is_common(&pw) {
        return Err("password-common");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length() {
        assert_eq!(check("short", "a@b.c"), Err("password-too-short"));
        assert_eq!(check("elevenchars", "a@b.c"), Err("password-too-short"));
        assert_eq!(check(&"x".repeat(129), "a@b.c"), Err("password-too-long"));
        assert!(check(&"xy".repeat(64), "a@b.c").is_ok());
        // Characters, not bytes: twelve accented letters are enough.
        assert!(check("éèêëàâäîïôöü", "a@b.c").is_ok());
    }

    #[test]
    fn password_not_the_email() {
        assert_eq!(
            check("A@IOM.int.xyz", "a@iom.int.xyz"),
            Err("password-is-email")
        );
        assert_eq!(
            check("my counsellor@iom.int!", "counsellor@iom.int"),
            Err("password-contains-email")
        );
        assert_eq!(
            check("Counsellor-2024-pass", "counsellor@iom.int"),
            Err("password-contains-email")
        );
        // A very short local part is not searched for.
        assert!(check("a long enough pass", "a@b.c").is_ok());
    }

    #[test]
    fn password_not_common() {
        for p in [
            "password1234",
            "Password1234",
            "QWERTY123456",
            "123456789012",
            "iloveyou2020",
            "qwertyuiop123",
            "1q2w3e4r5t6y",
            "correcthorsebatterystaple",
        ] {
            assert_eq!(check(p, "x@iom.int"), Err("password-common"), "{p}");
        }
        assert!(is_common("123456"));
        assert!(common().len() > 2000);
    }

    #[test]
    fn password_rules_accept_the_passwords_in_use() {
        for p in [
            "homeward-demo-2012",
            "a long test password",
            "a long enough password",
            "correct horse battery",
        ] {
            assert_eq!(check(p, "counsellor@iom.int"), Ok(()), "{p}");
        }
    }
}
