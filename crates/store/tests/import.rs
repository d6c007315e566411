//! Bulk import of persons (docs/adr/0030) on SQLite and PostgreSQL: good rows
//! in, bad rows reported with their line numbers, a re-import creates nothing,
//! a dry run writes nothing, bad files (not UTF-8, no header, a huge line, a
//! bad date) lose no good row; the audit trail counts, never copies.

use homeward_domain::import::Mapping;
use homeward_store::import::{self, ImportError, Options, Outcome};
use homeward_store::testing::user;
use homeward_store::{both_databases, merges, on_db, Actor, Error, Store};

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
        (b"\xe9,family_name\n", "UTF-8"),
        // UTF-16 (what "Unicode text" saves): named as such, not line by line.
        (b"\xff\xfef\x00a\x00m\x00\n\x00", "UTF-16"),
        (b"\xfe\xff\x00f\x00a\n", "UTF-16"),
        (b"family_name,Family Name\nA,B\n", "twice"),
    ] {
        match try_import(&store, None, data, false).await {
            Err(ImportError::Refused(m)) => assert!(m.to_string().contains(expect), "{m}"),
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
    let list = homeward_store::persons::search(&store, &sup, Some("Petrov"), 10, 0)
        .await
        .unwrap()
        .items;
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

/// The shapes of files spreadsheets write: a UTF-8 byte order mark, CRLF
/// line ends, quoted cells with line breaks and commas, a header and
/// nothing else, blank lines; and a Latin-1 file, whose accented rows are
/// reported line by line while its plain ones are imported.
async fn file_shapes(store: Store) {
    let bom = b"\xef\xbb\xbfexternal_id,family_name,notes,given_names\r\nS1,\"Nagy, Jr\",\"two\r\nlines\",Anna\r\nS2,Kiss,,B\xc3\xa9la\r\n\r\n";
    let out = import(&store, None, bom, false).await;
    assert_eq!(
        (out.summary.rows, out.summary.created, out.summary.invalid),
        (2, 2, 0),
        "{:?}",
        out.problems
    );
    let (family, given): (String, String) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT family_name, given_names FROM persons WHERE external_id = 'S1'").fetch_one(p).await)
    .unwrap();
    assert_eq!(family, "Nagy, Jr");
    assert_eq!(given, "Anna");
    let given2: String = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT given_names FROM persons WHERE external_id = 'S2'").fetch_one(p).await)
    .unwrap();
    assert_eq!(given2, "Béla", "nothing silently changed");

    // Only a header: nothing to do, nothing refused.
    let out = import(&store, None, b"external_id,family_name\r\n", false).await;
    assert_eq!(out.summary, import::Summary::default());
    assert!(out.problems.is_empty());

    // Latin-1: the header is plain ASCII, two rows carry accents.
    let latin1 =
        b"external_id,family_name,given_names\nL1,Horv\xe1th,\xc1gnes\nL2,Pop,Ion\nL3,M\xfcller,Hans\n";
    let out = import(&store, None, latin1, false).await;
    assert_eq!(out.summary.created, 1, "the plain row is kept");
    assert_eq!(out.summary.invalid, 2);
    let bad: Vec<(u64, Option<&str>, &str)> = out
        .problems
        .iter()
        .map(|p| (p.line, p.external_id.as_deref(), p.code.as_str()))
        .collect();
    assert_eq!(
        bad,
        vec![(2, Some("L1"), "not-utf8"), (4, Some("L3"), "not-utf8")]
    );
    assert_eq!(persons(&store).await, 3);
}
both_databases!(shapes, file_shapes);

/// A list repeating an external id: the first row counts, later ones are
/// reported; re-importing the file is still a no-op.
async fn repeated_ids_in_one_file(store: Store) {
    let data = b"external_id,family_name\nR1,First\nR2,Other\nR1,Second\nR1,Third\n";
    let out = import(&store, None, data, false).await;
    assert_eq!((out.summary.created, out.summary.invalid), (2, 2));
    let lines: Vec<u64> = out.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![4, 5]);
    let name: String = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT family_name FROM persons WHERE external_id = 'R1'").fetch_one(p).await)
    .unwrap();
    assert_eq!(name, "First");
    let again = import(&store, None, data, false).await;
    assert_eq!((again.summary.created, again.summary.unchanged), (0, 2));
}
both_databases!(repeated_ids, repeated_ids_in_one_file);

/// A row naming a record that was merged into another: unchanged if it
/// says what the hidden record holds, otherwise reported (the kept record
/// is changed by a person, not by the file), and the hidden record is left
/// as it was.
async fn merged_record_in_a_reimport(store: Store) {
    // The supervisor's own imports are in their scope, so they may merge.
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    import(&store, Some(&sup), GOOD.as_bytes(), false).await;
    let ids = import::ids_by_external_id(&store).await.unwrap();
    let version = |id: uuid::Uuid| {
        let store = store.clone();
        async move {
            on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT version FROM persons WHERE id = $1").bind(id).fetch_one(p).await).unwrap()
        }
    };
    let (kept, merged) = (ids["A1"], ids["A3"]);
    merges::merge(
        &store,
        &sup,
        &merges::MergeInput {
            kept,
            kept_version: version(kept).await,
            merged,
            merged_version: version(merged).await,
        },
    )
    .await
    .expect("merge");
    let again = import(&store, Some(&sup), GOOD.as_bytes(), false).await;
    assert_eq!(again.summary.unchanged, 3, "{:?}", again.problems);
    let changed = "external_id,given_names,family_name\nA3,Mária,Pop\nA2,,Petrova\n";
    let out = import(&store, Some(&sup), changed.as_bytes(), false).await;
    assert_eq!((out.summary.updated, out.summary.invalid), (1, 1));
    let p = &out.problems[0];
    assert_eq!(
        (p.line, p.code.as_str(), p.field.as_str()),
        (2, "merged", "external_id")
    );
    let given: Option<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT given_names FROM persons WHERE external_id = 'A3'").fetch_one(p).await)
    .unwrap();
    assert_eq!(
        given.as_deref(),
        Some("Maria"),
        "the hidden record is unchanged"
    );
}
both_databases!(merged_record, merged_record_in_a_reimport);

mod jobs {
    //! Imports as background jobs (docs/adr/0033): the upload is sealed on
    //! disk, the job imports it in its owner's scope with progress, keeps
    //! the report (sealed) for its owner only, and deletes both in time.

    use super::*;
    use homeward_store::import::jobs::{self, PersonImport, Upload, UploadError};

    async fn start(store: &Store, actor: &Actor, data: &[u8], dry_run: bool) -> PersonImport {
        let mut up = Upload::begin(store, actor, 100 * 1024 * 1024)
            .await
            .unwrap();
        // In pieces, as a request body arrives.
        for piece in data.chunks(7_000) {
            up.write(piece).await.unwrap();
        }
        up.finish(actor, "", dry_run).await.unwrap()
    }

    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(files_under(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    async fn job_imports_with_progress_and_report(store: Store) {
        let sup = user(&store, "s@example.org", "supervisor", None).await;
        // Over a megabyte: several sealed frames.
        let mut data = b"external_id,family_name,date_of_birth,notes\n".to_vec();
        for i in 0..30_000 {
            let dob = if i % 1000 == 7 {
                "1990-02-30"
            } else {
                "1990-01-02"
            };
            data.extend(format!("J{i:05},Family{i},{dob},ignored by the import\n").as_bytes());
        }
        assert!(data.len() > 1024 * 1024);
        let i = start(&store, &sup, &data, false).await;
        assert_eq!(i.status, "queued");
        assert_eq!(i.bytes_total, data.len() as i64);
        // Sealed on disk: no name, no external id in the clear.
        let on_disk = files_under(&store.data_dir);
        assert_eq!(on_disk.len(), 1, "{on_disk:?}");
        let raw = std::fs::read(&on_disk[0]).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"J00001" || w == b"Family"));

        let done = jobs::execute(&store, i.id, None).await.unwrap();
        assert_eq!(done.status, "done", "{:?}", done.error);
        assert_eq!(done.total_rows, Some(30_000));
        assert_eq!(done.rows_done, 30_000);
        assert_eq!((done.created, done.invalid), (29_970, 30));
        assert_eq!(done.problems, 30);
        assert!(done.has_report);
        assert_eq!(persons(&store).await, 29_970);
        // The upload is gone; the report is sealed.
        let on_disk = files_under(&store.data_dir);
        assert_eq!(on_disk.len(), 1, "only the report: {on_disk:?}");
        assert!(on_disk[0].starts_with(store.data_dir.join("import-reports")));
        let raw = std::fs::read(&on_disk[0]).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"J00007"));
        let report = jobs::open_report(&store, &sup, i.id).await.unwrap();
        let report = String::from_utf8(report).unwrap();
        assert!(
            report.contains("9,J00007,date_of_birth,invalid-date"),
            "{report}"
        );
        assert_eq!(report.lines().count(), 31);

        // Only its owner sees it; other roles are refused.
        let other = user(&store, "s2@example.org", "supervisor", None).await;
        assert!(matches!(
            jobs::get(&store, &other, i.id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            jobs::open_report(&store, &other, i.id).await,
            Err(Error::NotFound)
        ));
        let counsellor = user(&store, "c@example.org", "counsellor", None).await;
        assert!(matches!(
            jobs::get(&store, &counsellor, i.id).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            Upload::begin(&store, &counsellor, 1000).await,
            Err(Error::Forbidden)
        ));
        assert_eq!(
            jobs::list_own(&store, &other).await.unwrap().len(),
            0,
            "no one else's imports"
        );
        assert_eq!(jobs::list_own(&store, &sup).await.unwrap().len(), 1);

        // Again, as a dry run: nothing new, nothing written.
        let again = start(&store, &sup, &data, true).await;
        let again = jobs::execute(&store, again.id, None).await.unwrap();
        assert_eq!((again.created, again.unchanged), (0, 29_970));
        assert_eq!(persons(&store).await, 29_970);

        // Thirty days on, the reports are deleted; the rows stay.
        on_db!(&store.db, p => sqlx::query("UPDATE person_imports SET expires_at = $1")
            .bind(homeward_store::now() - chrono::TimeDelta::days(1)).execute(p).await.map(|r| r.rows_affected()))
        .unwrap();
        let removed = jobs::purge_expired(&store, homeward_store::now())
            .await
            .unwrap();
        assert_eq!(removed, 2);
        assert!(files_under(&store.data_dir).is_empty());
        let gone = jobs::get(&store, &sup, i.id).await.unwrap();
        assert!(!gone.has_report);
        assert_eq!(gone.created, 29_970);
        assert!(matches!(
            jobs::open_report(&store, &sup, i.id).await,
            Err(Error::NotFound)
        ));
    }
    both_databases!(job_runs, job_imports_with_progress_and_report);

    async fn bad_files_end_clearly(store: Store) {
        let sup = user(&store, "s@example.org", "supervisor", None).await;
        for (data, code) in [
            (&b""[..], "empty"),
            (b"\xff\xfef\x00\n\x00", "utf16"),
            (b"Ana,Pop,1990-01-01\n", "no-name-column"),
        ] {
            let i = start(&store, &sup, data, false).await;
            let i = jobs::execute(&store, i.id, None).await.unwrap();
            assert_eq!(i.status, "refused");
            assert_eq!(i.error_code.as_deref(), Some(code));
            assert!(!i.has_report);
            assert!(jobs::refusal(&i).is_some());
        }
        assert_eq!(persons(&store).await, 0);
        assert!(files_under(&store.data_dir.join("import-uploads")).is_empty());

        // A 50 MB line among good rows: reported, the others imported.
        let mut data = b"external_id,family_name\nG1,Good\nG2,".to_vec();
        data.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
        data.extend(b"\nG3,Good\n");
        let i = start(&store, &sup, &data, false).await;
        let i = jobs::execute(&store, i.id, None).await.unwrap();
        assert_eq!((i.status.as_str(), i.created, i.invalid), ("done", 2, 1));
        let report =
            String::from_utf8(jobs::open_report(&store, &sup, i.id).await.unwrap()).unwrap();
        assert!(report.contains("3,,line,record-too-large"), "{report}");

        // Over the limit: refused while reading, nothing left behind.
        let mut up = Upload::begin(&store, &sup, 10).await.unwrap();
        assert!(matches!(
            up.write(b"family_name\nA\n").await,
            Err(UploadError::TooLarge)
        ));
        up.abort().await;
        assert!(files_under(&store.data_dir.join("import-uploads")).is_empty());
    }
    both_databases!(bad_files_in_jobs, bad_files_end_clearly);

    async fn altered_upload_fails(store: Store) {
        let sup = user(&store, "s@example.org", "supervisor", None).await;
        let i = start(&store, &sup, b"family_name\nA\nB\n", false).await;
        let path = files_under(&store.data_dir).pop().unwrap();
        let mut raw = std::fs::read(&path).unwrap();
        let n = raw.len();
        raw[n - 20] ^= 1;
        std::fs::write(&path, raw).unwrap();
        let i = jobs::execute(&store, i.id, None).await.unwrap();
        assert_eq!(i.status, "failed");
        assert_eq!(persons(&store).await, 0);
    }
    both_databases!(altered_upload, altered_upload_fails);
}
