//! The list's shortcuts must not change its answers: case_counts (kept by
//! triggers) agrees with the cases table after inserts, updates and deletes,
//! and the deferred-join page returns the rows the plain query returns.

use homeward_demo::cases as demo;
use homeward_store::cases::{self, CaseFilter};
use homeward_store::{both_databases, on_db, users, Store};
use uuid::Uuid;

type Group = (
    String,
    Option<String>,
    Uuid,
    Option<Uuid>,
    Option<Uuid>,
    i64,
);

async fn groups(store: &Store, sql: &str) -> Vec<Group> {
    let mut v: Vec<Group> = on_db!(&store.db, p => sqlx::query_as(sql).fetch_all(p).await).unwrap();
    v.retain(|g| g.5 != 0);
    v.sort();
    v
}

async fn assert_counts_agree(store: &Store, when: &str) {
    let kept = groups(
        store,
        "SELECT status, country_of_return, programme_id, counsellor_id, created_by, CAST(n AS BIGINT) FROM case_counts",
    )
    .await;
    let real = groups(
        store,
        "SELECT status, country_of_return, programme_id, counsellor_id, created_by, CAST(COUNT(*) AS BIGINT) FROM cases \
         GROUP BY status, country_of_return, programme_id, counsellor_id, created_by",
    )
    .await;
    assert_eq!(kept, real, "case_counts after {when}");
}

async fn exec(store: &Store, sql: &str) {
    on_db!(&store.db, p => sqlx::query(sql).execute(p).await.map(|_| ())).unwrap();
}

const PLAIN: &str = "SELECT c.id FROM cases c JOIN persons p ON p.id = c.principal_person_id \
    WHERE (c.counsellor_id IS NULL OR c.counsellor_id IN (SELECT u.id FROM users u WHERE u.team = 'toronto'))";

async fn plain_page(
    store: &Store,
    filter: &str,
    order: &str,
    per_page: i64,
    page: i64,
) -> (Vec<Uuid>, i64) {
    let q = format!(
        "{PLAIN}{filter} ORDER BY {order} LIMIT {per_page} OFFSET {}",
        (page - 1) * per_page
    );
    let ids = on_db!(&store.db, p => sqlx::query_scalar::<_, Uuid>(&q).fetch_all(p).await).unwrap();
    let c = format!("SELECT COUNT(*) FROM ({PLAIN}{filter}) x");
    let n = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&c).fetch_one(p).await).unwrap();
    (ids, n)
}

async fn list_agrees_with_plain_sql(store: Store) {
    demo::load(&store, 400, 7, &mut |_| {}).await.unwrap();
    assert_counts_agree(&store, "the demo load").await;

    // Moves between groups, including to and from NULL keys, and deletes.
    exec(
        &store,
        "UPDATE cases SET status = 'closed' WHERE status = 'monitoring'",
    )
    .await;
    exec(
        &store,
        "UPDATE cases SET counsellor_id = NULL WHERE status = 'intake'",
    )
    .await;
    exec(
        &store,
        "UPDATE cases SET country_of_return = NULL WHERE country_of_return = 'MX'",
    )
    .await;
    exec(&store, "UPDATE cases SET country_of_return = 'MX' WHERE country_of_return IS NULL AND status = 'closed'").await;
    exec(&store, "UPDATE cases SET version = version + 1, destination_locality = 'X' WHERE status = 'departed'").await;
    exec(&store, "DELETE FROM case_members WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')").await;
    exec(&store, "DELETE FROM case_transitions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')").await;
    exec(&store, "DELETE FROM cases WHERE status = 'withdrawn'").await;
    assert_counts_agree(&store, "updates and deletes").await;

    let sup = users::by_email(&store, "supervisor@homeward.test")
        .await
        .unwrap()
        .unwrap()
        .actor(None);
    #[allow(clippy::type_complexity)]
    let cases_: [(Option<&str>, Option<&str>, &str, &str, bool, i64); 9] = [
        (None, None, "updated_at", "c.updated_at", true, 1),
        (None, None, "updated_at", "c.updated_at", true, 4),
        (Some("closed"), None, "updated_at", "c.updated_at", true, 2),
        (None, Some("HU"), "updated_at", "c.updated_at", false, 1),
        (
            Some("referred"),
            Some("HU"),
            "updated_at",
            "c.updated_at",
            true,
            1,
        ),
        (None, None, "name", "p.display_name", false, 3),
        (
            Some("closed"),
            None,
            "case_number",
            "c.case_number",
            true,
            2,
        ),
        (None, Some("CO"), "status", "c.status", false, 1),
        (None, None, "referred_at", "c.referred_at", true, 5),
    ];
    for (status, country, sort, col, desc, page) in cases_ {
        let f = CaseFilter {
            status: status.map(Into::into),
            country: country.map(Into::into),
            sort: Some(sort.into()),
            desc,
            page,
            per_page: 25,
            ..Default::default()
        };
        let (rows, total) = cases::list(&store, &sup, &f).await.unwrap();
        let mut filter = String::new();
        if let Some(s) = status {
            filter.push_str(&format!(" AND c.status = '{s}'"));
        }
        if let Some(c) = country {
            filter.push_str(&format!(" AND c.country_of_return = '{c}'"));
        }
        let dir = if desc { "DESC" } else { "ASC" };
        let (ids, n) = plain_page(
            &store,
            &filter,
            &format!("{col} {dir}, c.id {dir}"),
            25,
            page,
        )
        .await;
        assert_eq!(total, n, "total for {status:?} {country:?}");
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            ids,
            "page {page} of {status:?} {country:?} by {sort}"
        );
    }

    let counts = cases::counts_by_status(&store, &sup).await.unwrap();
    for (status, n) in counts {
        let (_, m) = plain_page(&store, &format!(" AND c.status = '{status}'"), "c.id", 1, 1).await;
        assert_eq!(n, m, "count of {status}");
    }
}

both_databases!(list_agrees, list_agrees_with_plain_sql);
