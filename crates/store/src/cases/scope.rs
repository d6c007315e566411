//! Which cases an actor may read, checked once: [`check`] reads a case's
//! summary within the actor's record scope and gives a [`ScopedCase`], which
//! the readers of a case's sections (consents, attachments, travel, ...)
//! take instead of checking the scope again. They also accept a bare id
//! ([`CaseRef::Id`]), for callers that read one section only; the check and
//! the read are then one query ([`section`]).
//!
//! This module depends on nothing else of the case's: the section modules
//! use it, and `cases` uses them, with no circle.

use crate::actor::Actor;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use uuid::Uuid;

/// A row of the case list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: Uuid,
    pub case_number: String,
    pub programme_code: String,
    pub status: String,
    pub principal_person_id: Uuid,
    pub principal_name: String,
    pub country_of_return: Option<String>,
    pub destination_locality: Option<String>,
    pub counsellor_id: Option<Uuid>,
    pub counsellor_name: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The names come from scalar subqueries rather than joins: same rows (every
/// key is a foreign key, the counsellor optional), and PostgreSQL plans the
/// statement in a third of the time, which is most of a case page's query cost.
pub(crate) const SUMMARY_SELECT: &str = "SELECT c.id, c.case_number, \
    (SELECT g.code FROM programmes g WHERE g.id = c.programme_id) AS programme_code, c.status, c.principal_person_id, \
    c.principal_name, \
    c.country_of_return, c.destination_locality, c.counsellor_id, \
    (SELECT u.name FROM users u WHERE u.id = c.counsellor_id) AS counsellor_name, \
    c.referred_at, c.updated_at, c.version FROM cases c";

/// A case `actor` may read, as read when it was checked. Only [`check`]
/// makes one, so holding it means the role and record scope were checked
/// for that user; readers refuse it for another user.
#[derive(Debug, Clone)]
pub struct ScopedCase {
    user_id: Uuid,
    summary: CaseSummary,
}

impl ScopedCase {
    /// The case's id.
    pub fn id(&self) -> Uuid {
        self.summary.id
    }

    /// The case's summary as checked.
    pub fn summary(&self) -> &CaseSummary {
        &self.summary
    }

    /// The summary, giving up the check.
    pub fn into_summary(self) -> CaseSummary {
        self.summary
    }
}

/// A case given to a reader: an id to check, or a case already checked.
#[derive(Debug, Clone, Copy)]
pub enum CaseRef<'a> {
    Id(Uuid),
    Scoped(&'a ScopedCase),
}

impl CaseRef<'_> {
    /// The case's id.
    pub fn id(&self) -> Uuid {
        match self {
            CaseRef::Id(id) => *id,
            CaseRef::Scoped(c) => c.id(),
        }
    }

    /// The case as checked for `actor`: `Scoped` only when checked for the
    /// same user (else not found, as out of scope).
    fn checked_for(&self, actor: &Actor) -> Result<Option<&ScopedCase>> {
        match self {
            CaseRef::Id(_) => Ok(None),
            CaseRef::Scoped(c) if c.user_id == actor.user_id => Ok(Some(c)),
            CaseRef::Scoped(_) => Err(Error::NotFound),
        }
    }
}

impl From<Uuid> for CaseRef<'static> {
    fn from(id: Uuid) -> Self {
        CaseRef::Id(id)
    }
}

impl<'a> From<&'a ScopedCase> for CaseRef<'a> {
    fn from(c: &'a ScopedCase) -> Self {
        CaseRef::Scoped(c)
    }
}

/// Checks that `actor`'s role reads cases and that case `id` is in their
/// record scope (not found otherwise, whatever the reason).
pub async fn check(store: &Store, actor: &Actor, id: Uuid) -> Result<ScopedCase> {
    actor.require(Resource::Case, Action::Read)?;
    let mut q = Sql::new(SUMMARY_SELECT);
    q.push(" WHERE c.id = ").bind(Param::Uuid(id));
    actor.push_case_scope(&mut q);
    let summary = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, CaseSummary>(&q.text), q.params).fetch_optional(p).await)?
        .ok_or(Error::NotFound)?;
    Ok(ScopedCase {
        user_id: actor.user_id,
        summary,
    })
}

/// The summary of `case` for `actor`: checked now for an id, as checked
/// for a [`ScopedCase`] (the role is asked again either way).
pub async fn summary(store: &Store, actor: &Actor, case: CaseRef<'_>) -> Result<CaseSummary> {
    actor.require(Resource::Case, Action::Read)?;
    match case.checked_for(actor)? {
        Some(c) => Ok(c.summary.clone()),
        None => Ok(check(store, actor, case.id()).await?.summary),
    }
}

/// One section of a case (its consents, documents, letters, ...) together
/// with the record-scope check of [`check`], in one query instead of two:
/// `joins` LEFT JOINs the section's tables to the case `c`, `columns` are
/// read from them, and `present` is NULL exactly when the case has no row of
/// the section. Not found when the case is out of scope (or the role reads
/// no cases), like [`check`]. `tail` is the ORDER BY (and LIMIT). For a
/// [`ScopedCase`] the scope is not asked again.
pub(crate) async fn section<T>(
    store: &Store,
    actor: &Actor,
    case: CaseRef<'_>,
    present: &str,
    columns: &str,
    joins: &str,
    tail: &str,
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    use sqlx::{Row, ValueRef};
    actor.require(Resource::Case, Action::Read)?;
    let mut q = Sql::new(&format!(
        "SELECT {present} AS section_present, {columns} FROM cases c {joins} WHERE c.id = "
    ));
    q.bind(Param::Uuid(case.id()));
    if case.checked_for(actor)?.is_none() {
        actor.push_case_scope(&mut q);
    }
    q.push(" ").push(tail);
    let out = on_db!(&store.db, p => {
        let rows = bind_params!(sqlx::query(&q.text), q.params).fetch_all(p).await?;
        if rows.is_empty() {
            return Err(Error::NotFound);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if !r.try_get_raw(0)?.is_null() {
                out.push(T::from_row(r)?);
            }
        }
        out
    });
    Ok(out)
}
