//! A case's entitlement: what its latest eligible evaluation grants. Read by
//! the reintegration plan and by purchases, which both stay within it.

use crate::{on_db, Result, Store};
use homeward_domain::money::Money;
use uuid::Uuid;

/// The case's entitlement: the amount of its latest eligible evaluation.
pub async fn entitlement(store: &Store, case_id: Uuid) -> Result<Option<Money>> {
    let row: Option<(Option<i64>, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT amount_minor, currency FROM eligibility_evaluations WHERE case_id = $1 AND eligible \
         ORDER BY evaluated_at DESC LIMIT 1")
        .bind(case_id).fetch_optional(p).await)?;
    Ok(match row {
        Some((Some(a), Some(c))) => Money::of(a, &c).ok(),
        _ => None,
    })
}
