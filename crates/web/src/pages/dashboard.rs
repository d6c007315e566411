//! The dashboard: any signed-in user. Counts by status come from the user's
//! record scope (aggregates only for analysts); "my cases" lists cases
//! assigned to the user.

use super::{render, store_error, Layout};
use crate::auth::PageUser;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::{Action, Resource};
use homeward_store::cases::{self, CaseFilter, CaseSummary};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    counts: Vec<(String, String, i64)>,
    total: i64,
    mine: Vec<CaseSummary>,
    can_list: bool,
    can_create: bool,
    sees_counts: bool,
    /// New referrals waiting for contact, overdue first: (waiting, overdue).
    waiting: Vec<(homeward_store::referrals::Waiting, bool)>,
}

/// GET /.
pub async fn show(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    let t = ctx.tr();
    let role = auth.actor.role;
    let can_list = role.can(Resource::Case, Action::Read);
    let sees_counts = can_list || role.can(Resource::Statistics, Action::Read);
    let mut counts = Vec::new();
    if sees_counts {
        match cases::counts_by_status(&state.store, &auth.actor).await {
            Ok(c) => {
                counts = c
                    .into_iter()
                    .map(|(s, n)| (s.clone(), t.status(&s), n))
                    .collect()
            }
            Err(e) => return store_error(&ctx, e),
        }
    }
    let mut mine = Vec::new();
    if can_list {
        let f = CaseFilter {
            counsellor_id: (role == homeward_domain::Role::Counsellor).then_some(auth.user.id),
            sort: Some("updated_at".into()),
            desc: true,
            per_page: 10,
            page: 1,
            ..Default::default()
        };
        match cases::list(&state.store, &auth.actor, &f).await {
            Ok((rows, _)) => mine = rows,
            Err(e) => return store_error(&ctx, e),
        }
    }
    let mut waiting = Vec::new();
    if can_list {
        match homeward_store::referrals::waiting(&state.store, &auth.actor, 20).await {
            Ok(w) => {
                let now = chrono::Utc::now();
                waiting = w
                    .into_iter()
                    .map(|x| {
                        let late = now > x.contact_due_at;
                        (x, late)
                    })
                    .collect();
            }
            Err(e) => return store_error(&ctx, e),
        }
    }
    let total = counts.iter().map(|(_, _, n)| n).sum();
    let l = Layout::new(&ctx, t.t("nav-dashboard"), "/");
    render(
        StatusCode::OK,
        DashboardPage {
            l,
            counts,
            total,
            mine,
            can_list,
            can_create: role.can(Resource::Case, Action::Create),
            sees_counts,
            waiting,
        },
    )
}
