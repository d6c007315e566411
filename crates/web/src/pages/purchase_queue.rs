//! Finance's queues (issue 23): `GET /purchases` lists the purchases
//! awaiting a decision, `?status=approved` those awaiting payment, oldest
//! first, each linking to its case's purchase where it is decided or paid.
//! Who may: the roles that read reintegration money (finance, supervisors,
//! the mission for its country), over their scope; everyone else 403.

use crate::auth::PageUser;
use crate::frame::{error_page, render, store_error, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::{Action, Resource};
use homeward_store::purchases::{self, Queued};
use std::collections::HashMap;

/// One row: the purchase and its amount written out.
struct Row {
    q: Queued,
    amount: String,
}

#[derive(Template)]
#[template(path = "purchase_queue.html")]
struct QueuePage {
    l: Layout,
    rows: Vec<Row>,
    /// `requested` or `approved`.
    status: String,
}

/// GET /purchases?status=requested|approved.
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !auth.actor.role.can(Resource::Reintegration, Action::Read) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let status = match q.get("status").map(String::as_str) {
        None | Some("") | Some("requested") => "requested",
        Some("approved") => "approved",
        Some(_) => return error_page(&ctx, StatusCode::NOT_FOUND, "not-found"),
    };
    match purchases::queue(&state.store, &auth.actor, status, 500).await {
        Ok(queued) => {
            let t = ctx.tr();
            let rows = queued
                .into_iter()
                .map(|q| Row {
                    amount: t.money(q.purchase.programme_minor, &q.purchase.programme_currency),
                    q,
                })
                .collect();
            let l = Layout::new(&ctx, t.t("purchase-queue-title"), "/purchases");
            render(
                StatusCode::OK,
                QueuePage {
                    l,
                    rows,
                    status: status.to_string(),
                },
            )
        }
        Err(e) => store_error(&ctx, e),
    }
}
