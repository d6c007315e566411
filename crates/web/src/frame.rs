//! The frame every page shares: the layout (language, user, navigation,
//! CSRF token), rendering, translated error pages, the refilled form after a
//! refused change, the role check of a page and the form extractor. Pages,
//! the re-authentication page and the CSRF check use it; it uses no page.

use crate::auth::{Auth, Ctx};
use crate::form::FormState;
use crate::i18n::Tr;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use homeward_domain::{Action, Resource, Role};
use homeward_store::Error as StoreError;
use std::collections::HashMap;

/// A navigation entry.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// A group of the main menu, under its heading.
pub struct NavGroup {
    pub label: String,
    pub items: Vec<NavItem>,
}

/// What the page frame needs: language, user, CSRF token, navigation.
pub struct Layout {
    pub t: Tr,
    pub title: String,
    pub user_name: Option<String>,
    pub user_role: Option<String>,
    pub csrf: String,
    /// The main menu: what the role uses, in groups.
    pub nav: Vec<NavGroup>,
    /// The signed-in person's own pages (two-factor, password, tokens, API).
    pub account: Vec<NavItem>,
    pub other_lang: &'static str,
    pub other_lang_label: String,
    /// Where the language switch comes back to.
    pub here: String,
    /// Whether the header shows the search box (docs/adr/0031).
    pub may_search: bool,
    /// What the last save did, said once after it (`?done=<key>` on the
    /// page it led to, worded by `done-<key>`), announced to screen readers.
    pub done: Option<String>,
}

/// The message of a `done=<key>` in `here`'s query, if it names one.
fn done_message(t: &Tr, here: &str) -> Option<String> {
    let query = here.split_once('?')?.1;
    let key = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("done="))?
        .split('#')
        .next()?;
    let ok = !key.is_empty()
        && key.len() <= 40
        && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    let key = format!("done-{key}");
    (ok && t.has(&key)).then(|| t.t(&key))
}

/// A menu entry: its link, its label's key, and whether the role may open it.
type Entry = (&'static str, &'static str, bool);

/// The main menu of `role`, grouped (work, programme, administration), and
/// the account links kept apart; `current` is marked. Each entry is shown
/// only to a role that may open it (the same checks its handler makes).
fn menu(t: &Tr, role: Role, current: &str) -> (Vec<NavGroup>, Vec<NavItem>) {
    use homeward_domain as d;
    let r = role;
    let manage = r.can(Resource::Programme, Action::Manage);
    let groups: [(&str, Vec<Entry>); 3] = [
        (
            "nav-group-work",
            vec![
                ("/", "nav-dashboard", true),
                (
                    "/purchases",
                    "nav-purchases",
                    r.can(Resource::Reintegration, Action::Read),
                ),
                ("/cases", "nav-cases", r.can(Resource::Case, Action::Read)),
                ("/tasks", "nav-tasks", r.can(Resource::Case, Action::Read)),
                ("/inbox", "nav-inbox", true),
                ("/feedback", "nav-feedback", d::feedback::may_answer(r)),
                ("/duplicates", "nav-duplicates", d::merge::may_review(r)),
                (
                    "/manifests",
                    "nav-manifests",
                    r.can(Resource::Travel, Action::Read),
                ),
                (
                    "/cases/new",
                    "nav-new-case",
                    r.can(Resource::Case, Action::Create),
                ),
                ("/eligibility", "nav-eligibility", true),
                (
                    "/cases/break-glass",
                    "nav-break-glass",
                    d::break_glass::may_break_glass(r),
                ),
            ],
        ),
        (
            "nav-group-programme",
            vec![
                ("/reports/donor", "nav-reports", d::report::may_read(r)),
                (
                    "/vendors",
                    "nav-vendors",
                    matches!(r, Role::MissionOfficer | Role::Finance | Role::Supervisor),
                ),
                ("/persons/import", "nav-import", d::import::may_import(r)),
                (
                    "/exports/deidentified/new",
                    "nav-deidentified",
                    d::deidentify::may_export(r),
                ),
                (
                    "/downloads",
                    "nav-downloads",
                    homeward_exports::may_export(r) || d::deidentify::may_export(r),
                ),
            ],
        ),
        (
            "nav-group-admin",
            vec![
                (
                    "/admin/users",
                    "nav-users",
                    r.can(Resource::User, Action::Manage),
                ),
                ("/admin/programmes", "nav-programmes", manage),
                ("/admin/jobs", "nav-jobs", manage),
                ("/admin/retention", "nav-retention", manage),
                ("/admin/persons", "nav-subject-access", manage),
                ("/audit", "nav-audit", r.can(Resource::Audit, Action::Read)),
                (
                    "/audit/break-glass",
                    "nav-break-glass-log",
                    r.can(Resource::Audit, Action::Read),
                ),
            ],
        ),
    ];
    let item = |(href, key, _): Entry| NavItem {
        href,
        label: t.t(key),
        current: href == current,
    };
    let nav = groups
        .into_iter()
        .map(|(label, items)| NavGroup {
            label: t.t(label),
            items: items
                .into_iter()
                .filter(|(_, _, ok)| *ok)
                .map(item)
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect();
    let account = [
        ("/account/two-factor", "nav-two-factor", true),
        ("/account/password", "nav-password", true),
        ("/account/tokens", "nav-tokens", true),
        ("/api/docs/", "nav-api", true),
    ]
    .into_iter()
    .map(item)
    .collect();
    (nav, account)
}

impl Layout {
    /// Whether the main menu offers `href` to this user.
    pub fn offers(&self, href: &str) -> bool {
        self.nav
            .iter()
            .flat_map(|g| &g.items)
            .any(|i| i.href == href)
    }

    /// The frame for a page titled by the translation `title_key`, with `current` highlighted.
    pub fn new(ctx: &Ctx, title: String, current: &str) -> Layout {
        let t = ctx.tr();
        let (nav, account) = match &ctx.auth {
            Some(a) => menu(&t, a.actor.role, current),
            None => (Vec::new(), Vec::new()),
        };
        let other = match ctx.lang {
            crate::i18n::Lang::En => crate::i18n::Lang::Fr,
            crate::i18n::Lang::Fr => crate::i18n::Lang::En,
        };
        Layout {
            t,
            title,
            user_name: ctx.auth.as_ref().map(|a| a.user.name.clone()),
            user_role: ctx.auth.as_ref().map(|a| t.role(&a.user.role)),
            csrf: ctx
                .auth
                .as_ref()
                .and_then(|a| a.session.as_ref())
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            nav,
            account,
            other_lang: other.code(),
            other_lang_label: Tr::new(other).t("language-name"),
            done: done_message(&t, &ctx.here),
            here: ctx.here.clone(),
            may_search: ctx
                .auth
                .as_ref()
                .is_some_and(|a| homeward_domain::search::may_search(a.actor.role)),
        }
    }
}

/// Renders a template into a response.
pub fn render<T: Template>(status: StatusCode, page: T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: String,
    message: String,
}

/// A translated error page.
pub fn error_page(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let t = ctx.tr();
    let l = Layout::new(ctx, t.t(&format!("page-error-{key}")), "");
    render(
        status,
        ErrorPage {
            heading: t.t(&format!("page-error-{key}")),
            message: t.t(&format!("page-error-{key}-text")),
            l,
        },
    )
}

/// Maps a store error that a page cannot handle itself to an error page.
pub fn store_error(ctx: &Ctx, e: StoreError) -> Response {
    match e {
        StoreError::NotFound => error_page(ctx, StatusCode::NOT_FOUND, "not-found"),
        StoreError::Forbidden => error_page(ctx, StatusCode::FORBIDDEN, "forbidden"),
        StoreError::Conflict => error_page(ctx, StatusCode::CONFLICT, "conflict"),
        other => {
            tracing::error!(error = %other, "page failed");
            error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// The form to show again after a refused change: what the user typed, the
/// messages by their fields and the status to answer with. `None` when the
/// error is not about the input (not found, forbidden, database down).
pub fn refilled(
    t: &Tr,
    values: HashMap<String, String>,
    e: &StoreError,
    prefix: &str,
) -> Option<(FormState, StatusCode)> {
    let mut f = FormState::with(values);
    let status = match e {
        StoreError::Invalid(inv) => {
            f.add_invalid(t, inv, prefix);
            f.general = Some(t.t("form-has-errors"));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Duplicate(field) => {
            f.errors.insert(field.to_string(), t.error("duplicate"));
            f.general = Some(t.t("form-has-errors"));
            StatusCode::CONFLICT
        }
        StoreError::Conflict => {
            f.general = Some(t.error("conflict"));
            StatusCode::CONFLICT
        }
        StoreError::Transition(homeward_domain::TransitionError::Blocked(bs)) => {
            f.general = Some(t.t("not-ready"));
            for (i, b) in bs.iter().enumerate() {
                let msg = t.error(&format!("blocker-{}", b.code));
                let line = if b.traveller.is_empty() {
                    msg
                } else {
                    format!("{}: {msg}", b.traveller)
                };
                f.errors.insert(format!("blocker-{i:02}"), line);
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Transition(te) => {
            let api = crate::error::transition_error(te);
            match &api.invalid {
                Some(inv) => {
                    f.add_invalid(t, inv, prefix);
                    f.general = Some(t.t("form-has-errors"));
                }
                None => f.general = Some(t.error(api.code)),
            }
            api.status
        }
        _ => return None,
    };
    Some((f, status))
}

/// Refuses a page to a role that may not use it.
pub fn require(auth: &Auth, ctx: &Ctx, resource: Resource, action: Action) -> Result<(), Response> {
    if auth.actor.role.can(resource, action) {
        Ok(())
    } else {
        Err(error_page(ctx, StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// A urlencoded form as a map (last value wins). Never fails on unknown or
/// missing fields; a body that is not a form gets a 400 page.
pub struct PageForm(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req.extensions().get::<Ctx>().cloned();
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(PageForm(pairs.into_iter().collect())),
            Err(rej) => {
                let status = rej.status();
                Err(match ctx {
                    Some(c) => error_page(&c, status, "bad-request"),
                    None => (status, "bad request").into_response(),
                })
            }
        }
    }
}
