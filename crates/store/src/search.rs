//! The search box (docs/adr/0031): people by any name, identifier or phone
//! number, and cases by number, within the actor's record scope, fast on a
//! million people.
//!
//! Each person's terms (`homeward_domain::search::person_terms`) live in
//! `person_search_terms`, kept by [`index`] in the transaction that writes
//! the person (and by [`backfill`] for people loaded in bulk); case numbers'
//! terms in `case_search_terms`, kept by triggers (migration 0041). A query
//! word is looked up as a range of the primary key, read in term order and
//! stopped at the limit: the cost follows the number of results shown, not
//! the number of people.

use crate::actor::Actor;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Result, Store, Tx};
use chrono::NaiveDate;
use homeward_domain::person::PersonData;
use homeward_domain::search::{
    person_terms, prefix_upper_bound, segments, Query, Searchable, Segment, TERM_SCHEME,
};
use homeward_domain::{Action, Resource, Scope};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Most results of each kind one search returns.
pub const MAX_LIMIT: i64 = 50;
/// Terms of a query word's range checked at most per search (see
/// `person_ids`).
pub const SCAN_CAP: i64 = 1000;
/// How many people [`backfill`] writes terms for per transaction.
const BATCH: i64 = 2000;
/// Bound parameters per multi-row INSERT (both databases allow more).
const MAX_PARAMS: usize = 4000;

/// A case a found person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseRef {
    pub id: Uuid,
    pub case_number: String,
}

/// Another field that the query matched, when the name did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MatchedField {
    /// `original_script_name`, `alias`, `uci`, `cbsa_client_id`,
    /// `passport_number` or `phone`.
    pub field: &'static str,
    /// The field's value cut into matched and unmatched pieces.
    pub segments: Vec<Segment>,
}

/// A person found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PersonHit {
    pub id: Uuid,
    pub display_name: String,
    /// The display name cut into matched (to be marked) and unmatched pieces.
    pub name_segments: Vec<Segment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<MatchedField>,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_approximate: bool,
    /// Their cases within the actor's scope, by number.
    pub cases: Vec<CaseRef>,
}

/// A case found by its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseHit {
    pub id: Uuid,
    pub case_number: String,
    pub number_segments: Vec<Segment>,
    pub principal_name: String,
    pub status: String,
    pub country_of_return: Option<String>,
}

/// What one search found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub persons: Vec<PersonHit>,
    pub cases: Vec<CaseHit>,
    /// More people may match than were checked: the query's word is very
    /// common among people outside the actor's scope; typing more narrows it.
    pub more: bool,
}

/// The columns a hit shows and highlights.
#[derive(Debug, Clone, sqlx::FromRow)]
struct HitRow {
    id: Uuid,
    display_name: String,
    original_script_name: Option<String>,
    aliases: String,
    date_of_birth: Option<NaiveDate>,
    date_of_birth_approximate: bool,
    uci: Option<String>,
    cbsa_client_id: Option<String>,
    passport_number: Option<String>,
    phone: Option<String>,
}

/// The columns terms are made of.
#[derive(Debug, Clone, sqlx::FromRow)]
struct TermsRow {
    id: Uuid,
    given_names: Option<String>,
    family_name: Option<String>,
    original_script_name: Option<String>,
    aliases: String,
    uci: Option<String>,
    cbsa_client_id: Option<String>,
    passport_number: Option<String>,
    phone: Option<String>,
}

impl TermsRow {
    fn terms(&self) -> Vec<String> {
        let aliases: Vec<String> = serde_json::from_str(&self.aliases).unwrap_or_default();
        let names = [
            &self.given_names,
            &self.family_name,
            &self.original_script_name,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(aliases.iter().map(String::as_str))
        .collect();
        let identifiers = [&self.uci, &self.cbsa_client_id, &self.passport_number]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        person_terms(&Searchable {
            names,
            identifiers,
            phone: self.phone.as_deref(),
        })
    }
}

/// `INSERT INTO person_search_terms` for `rows` (term, person) pairs, in the
/// bulk writer's placeholders for each database.
fn insert_text(rows: usize, pg: bool) -> String {
    crate::bulk::insert_text(
        "INSERT INTO person_search_terms (term, person_id) VALUES ",
        2,
        rows,
        pg,
    )
}

/// Replaces the terms of the people in `terms` inside `tx`.
async fn write_terms(tx: &mut Tx, terms: &[(Uuid, Vec<String>)]) -> Result<()> {
    let pg = matches!(tx, Tx::Postgres(_));
    for chunk in terms.chunks(MAX_PARAMS / 2) {
        let marks: Vec<String> = (1..=chunk.len())
            .map(|i| if pg { format!("${i}") } else { "?".to_string() })
            .collect();
        let sql = format!(
            "DELETE FROM person_search_terms WHERE person_id IN ({})",
            marks.join(", ")
        );
        on_tx!(&mut *tx, c => {
            let mut q = sqlx::query(&sql);
            for (id, _) in chunk {
                q = q.bind(*id);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    let pairs: Vec<(&String, Uuid)> = terms
        .iter()
        .flat_map(|(id, ts)| ts.iter().map(move |t| (t, *id)))
        .collect();
    for chunk in pairs.chunks(MAX_PARAMS / 2) {
        let sql = insert_text(chunk.len(), pg);
        on_tx!(&mut *tx, c => {
            let mut q = sqlx::query(&sql);
            for (t, id) in chunk {
                q = q.bind(*t).bind(*id);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Keeps the search terms of person `id` in step with `d` (called by
/// `persons::insert`, `persons::update` and the import in their
/// transaction).
pub async fn index(tx: &mut Tx, id: Uuid, d: &PersonData) -> Result<()> {
    write_terms(tx, &[(id, person_terms(&Searchable::from(d)))]).await
}

/// Writes the terms of everyone who lacks those of the current scheme
/// (people loaded in bulk, created before migration 0041, or indexed by an
/// older scheme), in committed batches; returns how many. Idempotent: a
/// second run finds nobody, and an interrupted run continues where it
/// stopped.
pub async fn backfill(store: &Store) -> Result<u64> {
    let sql = "SELECT id, given_names, family_name, original_script_name, aliases, uci, \
               cbsa_client_id, passport_number, phone FROM persons p WHERE p.id > $1 AND NOT EXISTS \
               (SELECT 1 FROM person_search_terms k WHERE k.term = $2 AND k.person_id = p.id \
                 AND k.person_id > $1) \
               ORDER BY p.id LIMIT $3";
    // `k.person_id > $1` repeats what `= p.id` implies, so that a merge
    // anti-join on PostgreSQL starts at the batch instead of reading every
    // marker written so far (as in `duplicates::backfill`).
    let mut after = Uuid::nil();
    let mut done = 0u64;
    loop {
        let rows: Vec<TermsRow> = on_db!(&store.db, p => sqlx::query_as::<_, TermsRow>(sql)
            .bind(after).bind(TERM_SCHEME).bind(BATCH).fetch_all(p).await)?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.id;
        let terms: Vec<(Uuid, Vec<String>)> = rows.iter().map(|r| (r.id, r.terms())).collect();
        let mut tx = store.begin().await?;
        write_terms(&mut tx, &terms).await?;
        tx.commit().await?;
        done += rows.len() as u64;
    }
}

/// Appends `term >= word AND term < next` for the terms table aliased `alias`.
pub(crate) fn push_prefix(sql: &mut Sql, alias: &str, word: &str) {
    sql.push(&format!(" AND {alias}.term >= "))
        .bind(Param::Text(word.to_string()));
    if let Some(upper) = prefix_upper_bound(word) {
        sql.push(&format!(" AND {alias}.term < "))
            .bind(Param::Text(upper));
    }
}

/// Appends to a query over cases aliased `c` the condition that the case
/// is one the search box would find for `query`: its principal's terms
/// begin with every word (or one begins with the whole query without
/// separators), or (for a query holding a digit) its number does.
/// Used by the case list's free text, so that it reads the term indexes
/// instead of every case. An empty query adds nothing.
pub fn push_case_match(sql: &mut Sql, query: &Query) {
    if query.driver().is_none() {
        return;
    }
    sql.push(" AND c.id IN (SELECT m.id FROM cases m WHERE m.principal_person_id IN (");
    push_people_matching(sql, query, "SELECT");
    sql.push(")");
    if query.may_be_number() {
        sql.push(" UNION SELECT t.case_id FROM case_search_terms t WHERE 1 = 1");
        push_prefix(sql, "t", &query.compact);
    }
    sql.push(")");
}

/// Appends `select` (`SELECT` or `SELECT DISTINCT`) and the ids of the
/// people the case list finds for `query`: a term beginning with every word,
/// or, typed with separators or as several words (`1234-5678`, `ana maria`),
/// one beginning with the whole query run together.
pub(crate) fn push_people_matching(sql: &mut Sql, query: &Query, select: &str) {
    sql.push(select)
        .push(" s.person_id FROM person_search_terms s WHERE 1 = 1");
    push_every_word(sql, "s", query);
    if query.compact_differs() {
        sql.push(" UNION SELECT u.person_id FROM person_search_terms u WHERE 1 = 1");
        push_prefix(sql, "u", &query.compact);
    }
}

/// How many people a case-list query may match (counted on their terms, in
/// and out of scope) before the list stops gathering every match and checks
/// cases one by one in its own order instead ([`push_case_match_each`]).
pub const COMMON_WORD_PEOPLE: i64 = 5_000;

/// Appends, for the terms table aliased `alias`, that its term begins with
/// `query`'s driving word and that the same person has a term beginning with
/// each other word. Nothing for an empty query.
pub(crate) fn push_every_word(sql: &mut Sql, alias: &str, query: &Query) {
    let Some(driver) = query.driver() else {
        return;
    };
    push_prefix(sql, alias, driver);
    for w in query.words.iter().filter(|w| w.as_str() != driver) {
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM person_search_terms o WHERE o.person_id = {alias}.person_id"
        ));
        push_prefix(sql, "o", w);
        sql.push(")");
    }
}

/// Whether `query` (words without digits) matches the terms of more than
/// `store.common_word.people` people ([`COMMON_WORD_PEOPLE`] unless a test
/// changed it): a common family name, or common names together such as
/// "juan carlos". Reads at most that many matches from the driving word's
/// index range.
pub async fn is_common(store: &Store, query: &Query) -> Result<bool> {
    // Words with digits may be case numbers or identifiers: the set form.
    if query.words.is_empty() || query.may_be_number() {
        return Ok(false);
    }
    let mut q = Sql::new("SELECT COUNT(*) FROM (SELECT 1 FROM person_search_terms s WHERE 1 = 1");
    push_every_word(&mut q, "s", query);
    q.push(" LIMIT ")
        .bind(Param::I64(store.common_word.people + 1))
        .push(") x");
    let n: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&q.text), q.params).fetch_one(p).await)?;
    Ok(n > store.common_word.people)
}

/// The same condition as [`push_case_match`], asked of each case in turn
/// (one index probe on its principal's terms) rather than as the set of
/// every match: for a common word, a page sorted by an index then stops
/// after its rows instead of first gathering tens of thousands of matches
/// (a family name shared by 90,000 people at 1,000,000 cases took seconds).
pub fn push_case_match_each(sql: &mut Sql, query: &Query) {
    if query.driver().is_none() {
        return;
    }
    sql.push(" AND (");
    push_person_terms_each(sql, query, "c.principal_person_id");
    if query.may_be_number() {
        sql.push(" OR EXISTS (SELECT 1 FROM case_search_terms t WHERE t.case_id = c.id");
        push_prefix(sql, "t", &query.compact);
        sql.push(")");
    }
    sql.push(")");
}

/// The condition of [`push_people_matching`] asked of one person, the
/// column `person`, in turn: `AND (...)`, nothing for an empty query. For a
/// common word, a list in an index's order then stops after its page.
pub fn push_person_match_each(sql: &mut Sql, query: &Query, person: &str) {
    if query.driver().is_none() {
        return;
    }
    sql.push(" AND (");
    push_person_terms_each(sql, query, person);
    sql.push(")");
}

/// `EXISTS` probes of the terms of the person in column `person`: one
/// beginning with each word, or one beginning with the words run together.
fn push_person_terms_each(sql: &mut Sql, query: &Query, person: &str) {
    let Some(driver) = query.driver() else {
        return;
    };
    sql.push(&format!(
        "EXISTS (SELECT 1 FROM person_search_terms s WHERE s.person_id = {person}"
    ));
    push_prefix(sql, "s", driver);
    sql.push(")");
    for w in query.words.iter().filter(|w| w.as_str() != driver) {
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM person_search_terms o WHERE o.person_id = {person}"
        ));
        push_prefix(sql, "o", w);
        sql.push(")");
    }
    if query.compact_differs() {
        sql.push(&format!(
            " OR EXISTS (SELECT 1 FROM person_search_terms u WHERE u.person_id = {person}"
        ));
        push_prefix(sql, "u", &query.compact);
        sql.push(")");
    }
}

/// The ids of people in scope whose terms begin with every one of `words`
/// (driven by the range of `driver`), in term order, at most `limit`
/// distinct ones; and whether more may exist (the first scan-cap terms of
/// the range were checked and fewer than `limit` people passed).
async fn person_ids(
    store: &Store,
    actor: &Actor,
    driver: &str,
    others: &[&str],
    limit: i64,
) -> Result<(Vec<Uuid>, bool)> {
    let cap = store.search_scan_cap;
    // A mission officer's scope is within the people on cases returning to
    // their country: that country's copy of the terms (migration 0047)
    // holds them and no one else, so a person of the country is never
    // hidden behind other countries' namesakes.
    let country = match actor.scope() {
        Scope::Country(cc) => Some(cc),
        _ => None,
    };
    // The candidates are the first `cap` terms of the range: the cost of
    // the other words' and the scope's checks stays bounded when most
    // candidates fail them.
    let range = |q: &mut Sql| {
        match &country {
            Some(cc) => {
                q.push(" FROM person_country_terms s WHERE s.country = ")
                    .bind(Param::Text(cc.clone()));
            }
            None => {
                q.push(" FROM person_search_terms s WHERE 1 = 1");
            }
        }
        push_prefix(q, "s", driver);
    };
    let mut q = Sql::new("SELECT t.term, t.person_id FROM (SELECT s.term, s.person_id");
    range(&mut q);
    q.push(" ORDER BY s.term, s.person_id LIMIT ")
        .bind(Param::I64(cap))
        .push(") t WHERE 1 = 1");
    for w in others {
        q.push(" AND EXISTS (SELECT 1 FROM person_search_terms o WHERE o.person_id = t.person_id");
        push_prefix(&mut q, "o", w);
        q.push(")");
    }
    // People merged into another record are hidden, as everywhere
    // (docs/adr/0032); then the record scope. The country's terms narrow a
    // mission's candidates, but its part in each case (departure
    // preparation on, with consent) is checked here like any scope.
    q.push(
        " AND EXISTS (SELECT 1 FROM persons p WHERE p.id = t.person_id AND p.merged_into IS NULL",
    );
    actor.push_person_scope(&mut q);
    q.push(")");
    // A person may match through several terms (`maria`, `mariam`): read a
    // few more rows than needed, keep each person once. No ORDER BY outside:
    // it would make SQLite check all candidates before the LIMIT; the
    // candidates come in term order from the subquery, and are sorted again
    // here in any case.
    q.push(" LIMIT ").bind(Param::I64(limit * 4));
    let mut rows: Vec<(String, Uuid)> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, (String, Uuid)>(&q.text), q.params).fetch_all(p).await)?;
    rows.sort();
    let mut out: Vec<Uuid> = Vec::with_capacity(limit as usize);
    for (_, id) in rows {
        if !out.contains(&id) {
            out.push(id);
            if out.len() as i64 == limit {
                break;
            }
        }
    }
    let mut more = false;
    if (out.len() as i64) < limit {
        let mut c = Sql::new("SELECT COUNT(*) FROM (SELECT 1");
        range(&mut c);
        c.push(" LIMIT ").bind(Param::I64(cap + 1)).push(") x");
        let n: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar::<_, i64>(&c.text), c.params).fetch_one(p).await)?;
        more = n > cap;
    }
    Ok((out, more))
}

/// `$n, $n+1, ...` bound to `ids`.
fn push_ids(sql: &mut Sql, ids: &[Uuid]) {
    sql.bind_list(ids.iter().map(|id| Param::Uuid(*id)));
}

/// The first field other than the name that `query` matched.
fn matched_field(r: &HitRow, query: &Query) -> Option<MatchedField> {
    let aliases: Vec<String> = serde_json::from_str(&r.aliases).unwrap_or_default();
    let fields = [("original_script_name", r.original_script_name.as_ref())]
        .into_iter()
        .chain(aliases.iter().map(|a| ("alias", Some(a))))
        .chain([
            ("uci", r.uci.as_ref()),
            ("cbsa_client_id", r.cbsa_client_id.as_ref()),
            ("passport_number", r.passport_number.as_ref()),
            ("phone", r.phone.as_ref()),
        ]);
    for (field, value) in fields {
        let Some(value) = value else { continue };
        let segs = segments(value, query);
        if segs.iter().any(|s| s.matched) {
            return Some(MatchedField {
                field,
                segments: segs,
            });
        }
    }
    None
}

/// The people in the actor's scope that `query` finds, best first (the
/// matched term in alphabetical order: what the user typed, then longer
/// words), at most `limit` (1 to [`MAX_LIMIT`]).
///
/// Who may: every role that may read persons (counsellor, supervisor,
/// CBSA officer, mission officer); all of them see identifiers and phone
/// numbers, so matching on them reveals nothing new.
pub async fn persons(
    store: &Store,
    actor: &Actor,
    query: &Query,
    limit: i64,
) -> Result<Vec<PersonHit>> {
    Ok(persons_more(store, actor, query, limit).await?.0)
}

/// [`persons`], and whether more people may match than were checked (the
/// query's word is too common in the data outside the actor's scope: typing
/// more narrows it).
pub async fn persons_more(
    store: &Store,
    actor: &Actor,
    query: &Query,
    limit: i64,
) -> Result<(Vec<PersonHit>, bool)> {
    actor.require(Resource::Person, Action::Read)?;
    let limit = limit.clamp(1, MAX_LIMIT);
    if query.is_empty() || actor.scope() == Scope::Nothing {
        return Ok((Vec::new(), false));
    }
    let mut ids: Vec<Uuid> = Vec::new();
    let mut more = false;
    if let Some(driver) = query.driver() {
        let others: Vec<&str> = query
            .words
            .iter()
            .map(String::as_str)
            .filter(|w| *w != driver)
            .collect();
        (ids, more) = person_ids(store, actor, driver, &others, limit).await?;
    }
    if query.compact_differs() && (ids.len() as i64) < limit {
        let (extra, more_compact) = person_ids(store, actor, &query.compact, &[], limit).await?;
        more |= more_compact;
        for id in extra {
            if !ids.contains(&id) && (ids.len() as i64) < limit {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Ok((Vec::new(), more));
    }
    let mut q = Sql::new(
        "SELECT id, display_name, original_script_name, aliases, date_of_birth, date_of_birth_approximate, \
         uci, cbsa_client_id, passport_number, phone FROM persons WHERE id IN (",
    );
    push_ids(&mut q, &ids);
    q.push(")");
    let rows: Vec<HitRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, HitRow>(&q.text), q.params).fetch_all(p).await)?;
    let mut c = Sql::new(
        "SELECT m.person_id, c.id, c.case_number FROM case_members m JOIN cases c ON c.id = m.case_id \
         WHERE m.person_id IN (",
    );
    push_ids(&mut c, &ids);
    c.push(")");
    actor.push_case_scope(&mut c);
    c.push(" ORDER BY c.case_number");
    let case_rows: Vec<(Uuid, Uuid, String)> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, (Uuid, Uuid, String)>(&c.text), c.params).fetch_all(p).await)?;
    let mut cases: HashMap<Uuid, Vec<CaseRef>> = HashMap::new();
    for (person, id, case_number) in case_rows {
        cases
            .entry(person)
            .or_default()
            .push(CaseRef { id, case_number });
    }
    let mut by_id: HashMap<Uuid, HitRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    let hits = ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|r| {
            let name_segments = segments(&r.display_name, query);
            let matched = if name_segments.iter().any(|s| s.matched) {
                None
            } else {
                matched_field(&r, query)
            };
            PersonHit {
                id: r.id,
                name_segments,
                matched,
                date_of_birth: r.date_of_birth,
                date_of_birth_approximate: r.date_of_birth_approximate,
                cases: cases.remove(&r.id).unwrap_or_default(),
                display_name: r.display_name,
            }
        })
        .collect();
    Ok((hits, more))
}

/// The cases in the actor's scope whose number begins with the query
/// (without separators: `tor2012000123`), or whose year and sequence or
/// sequence alone does (`2012-000123`, `000123`, `123`); only for queries
/// holding a digit. At most `limit` (1 to [`MAX_LIMIT`]).
pub async fn cases(
    store: &Store,
    actor: &Actor,
    query: &Query,
    limit: i64,
) -> Result<Vec<CaseHit>> {
    actor.require(Resource::Case, Action::Read)?;
    let limit = limit.clamp(1, MAX_LIMIT);
    if !query.may_be_number() || actor.scope() == Scope::Nothing {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT c.id, c.case_number, c.principal_name, c.status, c.country_of_return \
         FROM case_search_terms t JOIN cases c ON c.id = t.case_id WHERE 1 = 1",
    );
    push_prefix(&mut q, "t", &query.compact);
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY t.term, t.case_id LIMIT ")
        .bind(Param::I64(limit * 4));
    let rows: Vec<(Uuid, String, String, String, Option<String>)> =
        on_db!(&store.db, p => bind_params!(sqlx::query_as(&q.text), q.params).fetch_all(p).await)?;
    let mut out: Vec<CaseHit> = Vec::new();
    for (id, case_number, principal_name, status, country_of_return) in rows {
        if out.iter().any(|c| c.id == id) {
            continue;
        }
        out.push(CaseHit {
            id,
            number_segments: segments(&case_number, query),
            case_number,
            principal_name,
            status,
            country_of_return,
        });
        if out.len() as i64 == limit {
            break;
        }
    }
    Ok(out)
}

/// People and cases for the search box: see [`persons`] and [`cases`].
/// Who may: the roles that may read persons.
pub async fn search(store: &Store, actor: &Actor, query: &Query, limit: i64) -> Result<Results> {
    actor.require(Resource::Person, Action::Read)?;
    let (persons, more) = persons_more(store, actor, query, limit).await?;
    Ok(Results {
        persons,
        cases: cases(store, actor, query, limit).await?,
        more,
    })
}
