//! `homeward duplicates`, run as a real process on SQLite and PostgreSQL:
//! people loaded without matching keys (as a bulk load would) are keyed on
//! the way, and with `--json` every line is one pair in the documented form.

mod support;

use support::{homeward, postgres_database, tempdir};

/// Inserts people straight into the table (no matching keys); returns their ids.
async fn load(url: &str) -> Vec<uuid::Uuid> {
    let store = homeward_store::Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let people = [
        ("Ágnes", "Horváth", Some("1980-05-17"), Some("CBSA-1")),
        ("Agnes", "Horvath", Some("1980-05-17"), Some("CBSA-2")),
        ("Dmitry", "Kuznetsov", Some("1985-03-04"), None),
        ("Kuznetsov", "Dmitry", Some("1985-04-03"), None),
        ("Bence", "Horváth", Some("2015-01-01"), None),
        ("Agnes", "Horvath", None, None),
    ];
    let mut ids = Vec::new();
    for (given, family, dob, external) in people {
        let id = uuid::Uuid::new_v4();
        let dob = dob.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
        let now = chrono::Utc::now();
        homeward_store::on_db!(&store.db, p => sqlx::query(
            "INSERT INTO persons (id, given_names, family_name, display_name, search_text, sex, date_of_birth, \
             nationalities, external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, '', 'unknown', $5, '[\"HU\"]', $6, $7, $7)")
            .bind(id).bind(given).bind(family).bind(format!("{family}, {given}")).bind(dob).bind(external).bind(now)
            .execute(p).await.map(|_| ()))
        .unwrap();
        ids.push(id);
    }
    store.close().await;
    ids
}

fn check(url: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids = rt.block_on(load(url));
    let dir = tempdir();
    let (ok, out, err) = homeward(&["duplicates", "--json", "--database-url", url], &dir);
    assert!(ok, "{err}");
    assert!(err.contains("keys of 6 persons"), "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let pair = |a: uuid::Uuid, b: uuid::Uuid| {
        lines.iter().find(|l| {
            let (x, y) = (l["a"].as_str().unwrap(), l["b"].as_str().unwrap());
            (x, y) == (&a.to_string(), &b.to_string()) || (x, y) == (&b.to_string(), &a.to_string())
        })
    };
    for l in &lines {
        let o = l.as_object().unwrap();
        let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["a", "a_external_id", "b", "b_external_id", "level", "score"]
        );
        let s = l["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s));
        assert!(["likely", "possible"].contains(&l["level"].as_str().unwrap()));
    }
    let agnes = pair(ids[0], ids[1]).expect("Horváth, Ágnes twice");
    assert_eq!(agnes["level"], "likely");
    let mut ext = [
        agnes["a_external_id"].as_str(),
        agnes["b_external_id"].as_str(),
    ];
    ext.sort();
    assert_eq!(ext, [Some("CBSA-1"), Some("CBSA-2")]);
    assert_eq!(
        pair(ids[2], ids[3]).expect("swapped names")["level"],
        "likely"
    );
    assert_eq!(pair(ids[0], ids[5]).expect("no date")["level"], "possible");
    assert!(pair(ids[0], ids[4]).is_none(), "mother and son");
    assert!(pair(ids[5], ids[4]).is_none(), "mother and son");

    // Keys are kept: a second run computes none; --min-score filters; a table without --json.
    let (ok, out, err) = homeward(
        &["duplicates", "--min-score", "0.9", "--database-url", url],
        &dir,
    );
    assert!(ok, "{err}");
    assert!(!err.contains("keys of"), "{err}");
    assert!(out.contains("likely") && !out.contains("possible"), "{out}");
    let (ok, _, err) = homeward(
        &["duplicates", "--min-score", "2", "--database-url", url],
        &dir,
    );
    assert!(!ok && err.contains("between 0 and 1"), "{err}");

    // The run refreshed the stored candidates of the review queue; pairs
    // decided "not duplicates" and merged people are left out (ADR 0032).
    let stored = rt.block_on(count(url, "SELECT COUNT(*) FROM duplicate_candidates"));
    assert_eq!(stored as usize, lines.len());
    let (a, b) = homeward_store::duplicates::ordered(ids[0], ids[1]);
    rt.block_on(exec(
        url,
        "INSERT INTO person_not_duplicates (a, b, decided_at) VALUES ($1, $2, '2026-01-01T00:00:00Z')",
        &[a, b],
    ));
    rt.block_on(exec(
        url,
        "UPDATE persons SET merged_into = $1 WHERE id = $2",
        &[ids[2], ids[3]],
    ));
    let (ok, out, err) = homeward(&["duplicates", "--json", "--database-url", url], &dir);
    assert!(ok, "{err}");
    assert!(!out.contains(&ids[3].to_string()), "merged: {out}");
    assert!(
        !out.lines()
            .any(|l| l.contains(&a.to_string()) && l.contains(&b.to_string())),
        "not duplicates: {out}"
    );
    let stored = rt.block_on(count(url, "SELECT COUNT(*) FROM duplicate_candidates"));
    assert_eq!(stored as usize, out.lines().count());
}

async fn count(url: &str, sql: &str) -> i64 {
    let store = homeward_store::Store::connect(url).await.unwrap();
    let n =
        homeward_store::on_db!(&store.db, p => sqlx::query_scalar(sql).fetch_one(p).await).unwrap();
    store.close().await;
    n
}

async fn exec(url: &str, sql: &str, binds: &[uuid::Uuid]) {
    let store = homeward_store::Store::connect(url).await.unwrap();
    homeward_store::on_db!(&store.db, p => {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(p).await.map(|_| ())
    })
    .unwrap();
    store.close().await;
}

#[test]
fn duplicates_json_lines_on_sqlite() {
    let dir = tempdir();
    check(&format!("sqlite://{}", dir.join("d.db").display()));
}

#[test]
fn duplicates_json_lines_on_postgresql() {
    check(&postgres_database());
}
