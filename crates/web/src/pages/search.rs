//! The search box (docs/adr/0031): `GET /search?q=` is the whole page (it
//! works without JavaScript), `GET /search/results?q=` the results alone,
//! fetched by htmx as the user types in the page or in the header's box.
//!
//! Who may: the roles that may read persons (counsellor, supervisor, CBSA
//! officer, mission officer), each within their record scope; every other
//! role gets 403 and no search box. The query is read from the URL only
//! after the role is checked; a query over
//! `homeward_domain::search::MAX_QUERY_CHARS` characters gets 400 and says
//! so next to the field.

use crate::auth::{Auth, Ctx, PageUser};
use crate::frame::{render, require, store_error, Layout};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::search::{Query, Segment, MAX_QUERY_CHARS};
use homeward_domain::{Action, Resource};
use homeward_store::search::{self, Results};
use std::collections::HashMap;

/// Results of each kind shown.
pub const LIMIT: i64 = 20;

pub use homeward_domain::search::may_search;

/// A person found, ready to show.
pub struct PersonView {
    pub name: Vec<Segment>,
    /// Where the name links to: their first case in scope, if any.
    pub href: Option<String>,
    /// The other field that matched: its label and pieces.
    pub matched: Option<(String, Vec<Segment>)>,
    pub date_of_birth: String,
    pub cases: Vec<(String, String)>,
}

/// A case found, ready to show.
pub struct CaseView {
    pub href: String,
    pub number: Vec<Segment>,
    pub principal_name: String,
    pub status: String,
}

/// What the page and the fragment show.
pub struct SearchView {
    pub q: String,
    pub error: Option<String>,
    pub searched: bool,
    pub persons: Vec<PersonView>,
    pub cases: Vec<CaseView>,
    /// How many of each were found, for screen readers.
    pub summary: String,
    /// More people may match: the user should type more.
    pub more: bool,
}

impl SearchView {
    fn new(q: &str) -> SearchView {
        SearchView {
            q: q.to_string(),
            error: None,
            searched: false,
            persons: Vec::new(),
            cases: Vec::new(),
            summary: String::new(),
            more: false,
        }
    }

    fn fill(&mut self, t: &Tr, r: Results) {
        self.searched = true;
        self.more = r.more;
        self.summary = t.ta(
            "search-count",
            &[
                ("persons", r.persons.len().to_string()),
                ("cases", r.cases.len().to_string()),
            ],
        );
        self.persons = r
            .persons
            .into_iter()
            .map(|p| PersonView {
                href: p.cases.first().map(|c| format!("/cases/{}", c.id)),
                matched: p.matched.map(|m| {
                    let key = match m.field {
                        "alias" => "field-aliases".to_string(),
                        f => format!("field-{f}"),
                    };
                    (t.t(&key), m.segments)
                }),
                date_of_birth: match p.date_of_birth {
                    Some(d) if p.date_of_birth_approximate => format!("≈ {d}"),
                    Some(d) => d.to_string(),
                    None => String::new(),
                },
                cases: p
                    .cases
                    .into_iter()
                    .map(|c| (format!("/cases/{}", c.id), c.case_number))
                    .collect(),
                name: p.name_segments,
            })
            .collect();
        self.cases = r
            .cases
            .into_iter()
            .map(|c| CaseView {
                href: format!("/cases/{}", c.id),
                number: c.number_segments,
                principal_name: c.principal_name,
                status: t.status(&c.status),
            })
            .collect();
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    v: SearchView,
}

#[derive(Template)]
#[template(path = "_search_results.html")]
struct ResultsFragment {
    l: Layout,
    v: SearchView,
}

/// Checks the role, then runs the query: the view and its status, or an
/// error page.
async fn run(
    state: &AppState,
    auth: &Auth,
    ctx: &Ctx,
    params: &HashMap<String, String>,
) -> Result<(StatusCode, SearchView), Response> {
    require(auth, ctx, Resource::Person, Action::Read)?;
    let t = ctx.tr();
    let raw = params.get("q").map(String::as_str).unwrap_or("");
    let mut v = SearchView::new(raw);
    let query = match Query::parse(raw) {
        Ok(q) => q,
        Err(_) => {
            v.error = Some(t.ta("search-too-long", &[("max", MAX_QUERY_CHARS.to_string())]));
            return Ok((StatusCode::BAD_REQUEST, v));
        }
    };
    if query.is_empty() {
        return Ok((StatusCode::OK, v));
    }
    match search::search(&state.store, &auth.actor, &query, LIMIT).await {
        Ok(r) => {
            v.fill(&t, r);
            Ok((StatusCode::OK, v))
        }
        Err(e) => Err(store_error(ctx, e)),
    }
}

/// GET /search?q=: the search page (see the module's doc for who may).
pub async fn page(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Response {
    match run(&state, &auth, &ctx, &params).await {
        Ok((status, v)) => {
            let l = Layout::new(&ctx, ctx.tr().t("search-title"), "/search");
            render(status, SearchPage { l, v })
        }
        Err(r) => r,
    }
}

/// GET /search/results?q=: the results alone, for htmx as the user types
/// (see the module's doc for who may).
pub async fn results(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Response {
    match run(&state, &auth, &ctx, &params).await {
        Ok((status, v)) => {
            let l = Layout::new(&ctx, String::new(), "");
            render(status, ResultsFragment { l, v })
        }
        Err(r) => r,
    }
}
