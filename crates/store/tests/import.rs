//! Bulk import of persons (docs/adr/0030) on SQLite and PostgreSQL: good rows
//! in, bad rows reported with their line numbers, a re-import creates nothing,
//! a dry run writes nothing, bad files (not UTF-8, no header, a huge line, a
//! bad date) lose no good row; the audit trail counts, never copies.

use homeward_domain::import::Mapping;
use homeward_store::import::{self, ImportError, Options, Outcome};
use homeward_store::testing::user;
use homeward_store::{both_databases, on_db, Actor, Error, Store};

const GOOD: &str = "external_id,given_names,family_name,original_script_name,sex,date_of_birth,nationality,phone,uci,passport_number,notes\n\
A1,Ágnes,Horváth,,female,1980-04-02,HU,+36 1 555 0101,1111-2222,HU1234567,ignored\n\
A2,,Petrov,Петров,male,1975-12-31,RU;UA,,,,\n\
A3,Maria,Pop,,,,,,,,\n";

async fn import(store: &Store, actor: Option<&Actor>, data: &[u8], dry_run: bool) -> Outcome {
    try_import(store, actor, data, dry_run)
        .await
        .expect("import runs")
}

async fn try_import(
    store: &Store,
    actor: Option<&Actor>,
    data: &[u8],
    dry_run: bool,
) -> Result<Outcome, ImportError> {
    let opts = Options {
        dry_run,
        batch_size: 2,
    };
    import::run(store, actor, data, &Mapping::default(), &opts, &mut |_| {}).await
}

async fn persons(store: &Store) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM persons").fetch_one(p).await)
        .unwrap()
}

async fn import_audits(store: &Store) -> Vec<String> {
    on_db!(&store.db, p => sqlx::query_scalar::<_, String>(
        "SELECT after_json FROM audit_log WHERE action = 'import' ORDER BY at")
        .fetch_all(p).await)
    .unwrap()
}

async fn good_rows_in_then_reimport_creates_nothing(store: Store) {
    let out = import(&store, None, GOOD.as_bytes(), false).await;
    assert_eq!(out.summary.rows, 3);
    assert_eq!(out.summary.created, 3, "{:?}", out.problems);
    assert_eq!(out.summary.invalid, 0);
    assert_eq!(persons(&store).await, 3);
    let ids = import::ids_by_external_id(&store).await.unwrap();
    assert_eq!(ids.len(), 3);
    // The audit trail counts, never copies a value.
    let audits = import_audits(&store).await;
    assert_eq!(audits.len(), 2, "two batches of two rows at most");
    for a in &audits {
        assert!(!a.contains("Horv") && !a.contains("HU1234567") && !a.contains("A1"));
        assert!(a.contains("created"));
    }
    let again = import(&store, None, GOOD.as_bytes(), false).await;
    assert_eq!(again.summary.created, 0);
    assert_eq!(again.summary.unchanged, 3);
    assert_eq!(persons(&store).await, 3);
    // A changed value updates; an empty cell keeps what is held.
    let changed = "external_id,family_name,phone\nA1,Horváth-Kiss,\n";
    let out = import(&store, None, changed.as_bytes(), false).await;
    assert_eq!((out.summary.updated, out.summary.created), (1, 0));
    let (family, phone): (Option<String>, Option<String>) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT family_name, phone FROM persons WHERE external_id = 'A1'").fetch_one(p).await)
    .unwrap();
    assert_eq!(family.as_deref(), Some("Horváth-Kiss"));
    assert_eq!(phone.as_deref(), Some("+36 1 555 0101"));
}
both_databases!(good_rows_in, good_rows_in_then_reimport_creates_nothing);

async fn bad_rows_reported_with_line_numbers(store: Store) {
    let mut data = b"external_id,family_name,date_of_birth,sex,nationality\n".to_vec();
    data.extend(b"B1,Ok,1990-01-01,,\n"); // line 2
    data.extend(b"B2,Bad date,1990-02-30,,\n"); // line 3
    data.extend(b"B3,\xff\xfeLatin1,1990-01-01,,\n"); // line 4: not UTF-8
    data.extend(b"B4,\"two\nlines\",,,\n"); // lines 5-6
    data.extend(b"B5,"); // line 7: 50 MB
    data.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    data.extend(b",,,\n");
    data.extend(b"B6,,,,\n"); // line 8: no name
    data.extend(b"B1,Again,,,\n"); // line 9: repeated id
    data.extend(b"B7,Sexless,,F,Hungary\n"); // line 10
    data.extend(b"\n");
    data.extend(b",No id,,,\n"); // line 12
    let out = import(&store, None, &data, false).await;
    let s = &out.summary;
    assert_eq!(s.rows, 9);
    assert_eq!(
        s.created, 3,
        "B1, B4, the row without id: {:?}",
        out.problems
    );
    assert_eq!(s.invalid, 6);
    let lines: Vec<(u64, &str, &str)> = out
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str(), p.code.as_str()))
        .collect();
    assert!(
        lines.contains(&(3, "date_of_birth", "invalid-date")),
        "{lines:?}"
    );
    assert!(lines.contains(&(4, "line", "not-utf8")));
    assert!(lines.contains(&(7, "line", "record-too-large")));
    assert!(lines.contains(&(8, "family_name", "name-required")));
    assert!(lines.contains(&(9, "external_id", "repeated-external-id")));
    assert!(lines.contains(&(10, "sex", "invalid-choice")));
    assert!(lines.contains(&(10, "nationality", "invalid-country")));
    let b4 = out.problems.iter().find(|p| p.line == 4).unwrap();
    assert_eq!(b4.external_id.as_deref(), Some("B3"));
    assert_eq!(persons(&store).await, 3);
    let mut report = Vec::new();
    import::write_report(&out.problems, &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(report.starts_with("line,external_id,field,code,problem\n"));
    assert!(report.contains("3,B2,date_of_birth,invalid-date,"));
}
both_databases!(bad_rows, bad_rows_reported_with_line_numbers);

async fn dry_run_writes_nothing(store: Store) {
    let out = import(&store, None, GOOD.as_bytes(), true).await;
    assert!(out.dry_run);
    assert_eq!(out.summary.created, 3);
    assert_eq!(persons(&store).await, 0);
    assert!(import_audits(&store).await.is_empty());
}
both_databases!(dry_run, dry_run_writes_nothing);

async fn bad_files_are_refused_whole(store: Store) {
    for (data, expect) in [
        (&b""[..], "empty"),
        (b"Ana,Pop,1990-01-01\nIon,Pop,1991-01-01\n", "header"),
        (b"external_id,phone\nA,1\n", "given_names"),
        (b"\xff\xfe,family_name\n", "UTF-8"),
    ] {
        match try_import(&store, None, data, false).await {
            Err(ImportError::Refused(m)) => assert!(m.contains(expect), "{m}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(persons(&store).await, 0);
}
both_databases!(bad_files, bad_files_are_refused_whole);

async fn only_supervisors_import(store: Store) {
    let counsellor = user(&store, "c@example.org", "counsellor", None).await;
    let admin = user(&store, "a@example.org", "admin", None).await;
    for a in [&counsellor, &admin] {
        assert!(matches!(
            try_import(&store, Some(a), GOOD.as_bytes(), false).await,
            Err(ImportError::Store(Error::Forbidden))
        ));
    }
    let sup = user(&store, "s@example.org", "supervisor", None).await;
    let out = import(&store, Some(&sup), GOOD.as_bytes(), false).await;
    assert_eq!(out.summary.created, 3);
    let (list, _) = homeward_store::persons::search(&store, &sup, Some("Petrov"), 10, 0)
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "the supervisor sees whom they imported");
    // A mapping renames columns.
    let m = Mapping::parse("Surname,family_name\nRef,external_id\n").unwrap();
    let out = import::run(
        &store,
        Some(&sup),
        &b"Ref,Surname\nM1,Nagy\n"[..],
        &m,
        &Options::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(out.summary.created, 1);
}
both_databases!(roles_and_mapping, only_supervisors_import);
