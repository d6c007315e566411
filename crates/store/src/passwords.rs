//! Password hashing with argon2id.

use crate::HashCost;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password we accept.
pub const MIN_LEN: usize = homeward_domain::password::MIN_LEN;

fn hasher(cost: HashCost) -> Argon2<'static> {
    let params = match cost {
        // OWASP: argon2id, 19 MiB, 2 iterations, 1 lane.
        HashCost::Standard => Params::new(19 * 1024, 2, 1, None),
        HashCost::Cheap => Params::new(8, 1, 1, None),
    };
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.unwrap_or_default(),
    )
}

/// Hashes a password into a PHC string.
pub fn hash(cost: HashCost, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        // Hashing only fails on invalid parameters, which are constants here.
        .unwrap_or_default()
}

/// Checks a password against a stored PHC string (parameters come from the string).
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so unknown and known
/// emails take the same time.
pub fn dummy_hash(cost: HashCost) -> String {
    hash(cost, "homeward-dummy-password-for-timing")
}

/// Checks the password rules (`homeward_domain::password`); returns the error code.
pub fn check_rules(password: &str, email: &str) -> Result<(), &'static str> {
    homeward_domain::password::check(password, email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash(HashCost::Cheap, "correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn password_rules() {
        assert_eq!(check_rules("short", "a@b.c"), Err("password-too-short"));
        assert_eq!(
            check_rules("a@iom.int.xyz", "a@iom.int.xyz"),
            Err("password-is-email")
        );
        assert!(check_rules("a long enough pass", "a@b.c").is_ok());
        assert_eq!(check_rules("password1234", "a@b.c"), Err("password-common"));
    }
}
