//! Password hashing with argon2id.

use crate::HashCost;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::cell::Cell;
use std::sync::OnceLock;

thread_local! {
    /// Argon2 runs (hashes and verifications) on this thread: what makes a
    /// sign-in slow, so what must not differ between known and unknown emails.
    static RUNS: Cell<u64> = const { Cell::new(0) };
}

/// How many argon2 hashes and verifications this thread has run (tests and
/// benchmarks compare sign-in paths with it).
pub fn argon2_runs_on_this_thread() -> u64 {
    RUNS.with(Cell::get)
}

fn count_run() {
    RUNS.with(|r| r.set(r.get() + 1));
}

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
    count_run();
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        // Hashing only fails on invalid parameters, which are constants here.
        .unwrap_or_default()
}

/// Checks a password against a stored PHC string (parameters come from the string).
pub fn verify(password: &str, phc: &str) -> bool {
    count_run();
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so unknown and known
/// emails take the same time: one verification each. Computed once per cost
/// (hashing it on every sign-in made unknown emails twice as slow).
pub fn dummy_hash(cost: HashCost) -> &'static str {
    static STANDARD: OnceLock<String> = OnceLock::new();
    static CHEAP: OnceLock<String> = OnceLock::new();
    let cell = match cost {
        HashCost::Standard => &STANDARD,
        HashCost::Cheap => &CHEAP,
    };
    cell.get_or_init(|| hash(cost, "homeward-dummy-password-for-timing"))
}

/// Checks `password` against a user's stored hash, or against the dummy hash
/// when there is no such user (`stored` is `None`, which never matches):
/// exactly one argon2 verification either way, so the time a sign-in takes
/// does not tell whether the email has an account.
pub fn check(cost: HashCost, password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(phc) => verify(password, phc),
        None => {
            let _ = verify(password, dummy_hash(cost));
            false
        }
    }
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
    fn known_and_unknown_users_cost_one_verification_each() {
        let h = hash(HashCost::Cheap, "correct horse battery");
        // The dummy hash is made on first use, once per process.
        let _ = dummy_hash(HashCost::Cheap);
        for stored in [None, Some(h.as_str()), None] {
            let before = argon2_runs_on_this_thread();
            let ok = check(HashCost::Cheap, "correct horse battery", stored);
            assert_eq!(ok, stored.is_some());
            assert_eq!(argon2_runs_on_this_thread() - before, 1, "{stored:?}");
        }
        assert!(!check(
            HashCost::Cheap,
            "homeward-dummy-password-for-timing",
            None
        ));
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
