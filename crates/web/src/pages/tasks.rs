//! The task list: roles that read cases, over their own record scope
//! (a counsellor's cases, a supervisor's team).

use crate::auth::PageUser;
use crate::frame::{render, require, store_error, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::{Action, Resource};
use homeward_store::tasks::{self, Task};

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    l: Layout,
    tasks: Vec<Task>,
}

/// GET /tasks.
pub async fn list(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Read) {
        return r;
    }
    let now = chrono::Utc::now();
    let today = now.with_timezone(&auth.actor.local_zone()).date_naive();
    match tasks::list(&state.store, &auth.actor, now, today).await {
        Ok(tasks) => {
            let l = Layout::new(&ctx, ctx.tr().t("nav-tasks"), "/tasks");
            render(StatusCode::OK, TasksPage { l, tasks })
        }
        Err(e) => store_error(&ctx, e),
    }
}
