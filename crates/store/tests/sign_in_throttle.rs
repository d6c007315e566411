//! Sign-in throttling on SQLite and PostgreSQL, with time passed in: an
//! account's growing delay, its cap, its reset after a success and after a
//! quiet spell,
//! unknown emails throttled like known ones, the per-address limit, and the
//! password never checked while throttled.

use chrono::{DateTime, Duration, TimeZone, Utc};
use homeward_store::sign_in::{self, Outcome, ACCOUNT_LIMIT, ADDRESS_LIMIT};
use homeward_store::{both_databases, on_db, testing, Store};

const PW: &str = "a long test password";
const ADDR: Option<&str> = Some("192.0.2.7");

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 1, 9, 0, 0).unwrap()
}

fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

async fn attempt(store: &Store, email: &str, pw: &str, at: DateTime<Utc>) -> Outcome {
    sign_in::sign_in(store, email, pw, ADDR, at).await.unwrap()
}

fn is_refused(o: &Outcome) -> bool {
    matches!(o, Outcome::Refused)
}

fn until(o: &Outcome) -> DateTime<Utc> {
    match o {
        Outcome::Throttled { until } => *until,
        other => panic!("not throttled: {other:?}"),
    }
}

async fn throttle_audits(store: &Store) -> i64 {
    let (n,): (i64,) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_throttled'")
        .fetch_one(p).await)
    .unwrap();
    n
}

async fn account_delay_grows_and_resets(store: Store) {
    let u = testing::user(&store, "c@iom.int", "counsellor", None).await;
    let email = u.email.clone();
    let t = t0();
    for i in 0..ACCOUNT_LIMIT {
        let o = attempt(&store, &email, "wrong password!!", t + Duration::seconds(i)).await;
        assert!(is_refused(&o), "failure {i}: {o:?}");
    }
    // Throttled: even the right password is refused, without being checked.
    let last = t + Duration::seconds(ACCOUNT_LIMIT - 1);
    let o = attempt(&store, &email, PW, t + Duration::seconds(10)).await;
    assert_eq!(until(&o), last + mins(1));
    // Email in another case and with spaces is the same account.
    let o = attempt(
        &store,
        &format!("  {}", email.to_uppercase()),
        PW,
        t + Duration::seconds(20),
    )
    .await;
    assert_eq!(until(&o), last + mins(1));
    assert_eq!(throttle_audits(&store).await, 1);

    // After the delay, one more wrong password doubles it.
    let t1 = last + mins(1);
    assert!(is_refused(
        &attempt(&store, &email, "wrong password!!", t1).await
    ));
    let o = attempt(&store, &email, PW, t1 + Duration::seconds(1)).await;
    assert_eq!(until(&o), t1 + mins(2));
    let t2 = t1 + mins(2);
    assert!(is_refused(
        &attempt(&store, &email, "wrong password!!", t2).await
    ));
    assert_eq!(until(&attempt(&store, &email, PW, t2).await), t2 + mins(4));

    // After it, the right password signs in and clears the failures.
    let t3 = t2 + mins(4);
    let o = attempt(&store, &email, PW, t3).await;
    assert!(
        matches!(o, Outcome::SignedIn(ref s) if s.id == u.user_id),
        "{o:?}"
    );
    assert!(is_refused(
        &attempt(&store, &email, "wrong password!!", t3 + mins(1)).await
    ));
    assert!(matches!(
        attempt(&store, &email, PW, t3 + mins(2)).await,
        Outcome::SignedIn(_)
    ));

    // The delay is capped at 15 minutes, however many failures follow.
    let mut at = t3 + mins(10);
    let mut longest = Duration::zero();
    let mut last_failure = at;
    for _ in 0..20 {
        match attempt(&store, &email, "wrong password!!", at).await {
            Outcome::Refused => {
                last_failure = at;
                at += Duration::seconds(1);
            }
            Outcome::Throttled { until } => {
                longest = longest.max(until - last_failure);
                at = until;
            }
            Outcome::SignedIn(_) => panic!("wrong password accepted"),
        }
    }
    assert_eq!(longest, mins(15));
    assert!(is_refused(
        &attempt(&store, &email, "wrong password!!", at).await
    ));
    assert_eq!(until(&attempt(&store, &email, PW, at).await), at + mins(15));
    // A quiet half hour forgets it all.
    let later = at + mins(31);
    assert!(matches!(
        attempt(&store, &email, PW, later).await,
        Outcome::SignedIn(_)
    ));
}
both_databases!(account_delay, account_delay_grows_and_resets);

async fn unknown_emails_are_throttled_alike(store: Store) {
    let t = t0();
    let email = "nobody-here@iom.int";
    for i in 0..ACCOUNT_LIMIT {
        assert!(is_refused(
            &attempt(&store, email, "whatever it is", t + Duration::seconds(i)).await
        ));
    }
    let o = attempt(&store, email, "whatever it is", t + Duration::seconds(10)).await;
    assert_eq!(
        until(&o),
        t + Duration::seconds(ACCOUNT_LIMIT - 1) + mins(1)
    );
    // Only that account: another from the same address still signs in.
    let u = testing::user(&store, "s@iom.int", "supervisor", None).await;
    assert!(matches!(
        attempt(&store, &u.email, PW, t + Duration::seconds(11)).await,
        Outcome::SignedIn(_)
    ));
    // Forgotten after a quiet spell.
    let o = attempt(&store, email, "whatever it is", t + mins(31)).await;
    assert!(is_refused(&o));
}
both_databases!(unknown_emails, unknown_emails_are_throttled_alike);

async fn address_limit(store: Store) {
    let u = testing::user(&store, "c@iom.int", "counsellor", None).await;
    let t = t0();
    // Many accounts, a few failures each, from one address.
    for i in 0..ADDRESS_LIMIT {
        let email = format!("guess{}@iom.int", i % 10);
        let o = attempt(&store, &email, "not the password", t + Duration::seconds(i)).await;
        assert!(
            matches!(o, Outcome::Refused | Outcome::Throttled { .. }),
            "{o:?}"
        );
    }
    // Every account, even a right password, is refused from that address ...
    let o = attempt(&store, &u.email, PW, t + mins(1)).await;
    assert_eq!(until(&o), t + mins(15));
    // ... but not from another address,
    let o = sign_in::sign_in(&store, &u.email, PW, Some("198.51.100.1"), t + mins(1))
        .await
        .unwrap();
    assert!(matches!(o, Outcome::SignedIn(_)), "{o:?}");
    // and not from this one once the first failures leave the window.
    let o = attempt(&store, &u.email, PW, t + mins(15) + Duration::seconds(1)).await;
    assert!(matches!(o, Outcome::SignedIn(_)), "{o:?}");
}
both_databases!(address, address_limit);
