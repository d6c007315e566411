//! `homeward persons import` run as a real process on SQLite and PostgreSQL:
//! the summary, the report file with line numbers, a re-import that creates
//! nothing, a dry run, a mapping file and a file refused as a whole.

mod support;

use support::{homeward, postgres_database, tempdir};

fn import_round_trip(url: &str) {
    let dir = tempdir();
    let mut csv = b"Ref,given_names,Surname,date_of_birth,sex,nationality,comment\n".to_vec();
    csv.extend(b"R1,Ana,Pop,1990-01-02,female,RO,x\n");
    csv.extend(b"R2,Ion,Pop,1990-13-01,male,RO,bad month\n");
    csv.extend(b"R3,\xe9t\xe9,Latin1,,,,not utf-8\n");
    csv.extend(b"R4,Mihai,Ionescu,,,MD,\n");
    std::fs::write(dir.join("list.csv"), &csv).unwrap();
    std::fs::write(
        dir.join("map.csv"),
        "from,to\nRef,external_id\nSurname,family_name\n",
    )
    .unwrap();
    let base = [
        "persons",
        "import",
        "list.csv",
        "--mapping",
        "map.csv",
        "--database-url",
        url,
    ];

    let mut dry: Vec<&str> = base.to_vec();
    dry.push("--dry-run");
    let (ok, out, err) = homeward(&dry, &dir);
    assert!(ok, "{err}");
    assert!(out.contains("4 rows: 2 would be created"), "{out}");
    assert!(out.contains("dry run"), "{out}");

    let (ok, out, err) = homeward(&base, &dir);
    assert!(ok, "{err}");
    assert!(
        out.contains("4 rows: 2 created, 0 updated, 0 unchanged, 2 invalid"),
        "{out}"
    );
    let report = std::fs::read_to_string(dir.join("list.report.csv")).unwrap();
    assert!(
        report.contains("3,R2,date_of_birth,invalid-date"),
        "{report}"
    );
    assert!(report.contains("4,R3,line,not-utf8"), "{report}");

    let (ok, out, err) = homeward(&base, &dir);
    assert!(ok, "{err}");
    assert!(out.contains("2 unchanged"), "{out}");
    assert!(out.contains("0 created"), "{out}");

    std::fs::write(dir.join("noheader.csv"), "Ana,Pop,1990-01-02\n").unwrap();
    let (ok, _, err) = homeward(
        &["persons", "import", "noheader.csv", "--database-url", url],
        &dir,
    );
    assert!(!ok);
    assert!(
        err.contains("refused, nothing imported") && err.contains("header"),
        "{err}"
    );
}

#[test]
fn import_on_sqlite() {
    let dir = tempdir();
    import_round_trip(&format!("sqlite://{}", dir.join("t.db").display()));
}

#[test]
fn import_on_postgresql() {
    import_round_trip(&postgres_database());
}
