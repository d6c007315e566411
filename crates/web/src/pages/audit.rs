//! The audit trail: auditor only, read-only, filterable by user, action,
//! record, case and period.

use super::{render, require, store_error, Layout};
use crate::auth::PageUser;
use crate::form::FormState;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use homeward_domain::{Action, Resource};
use homeward_store::audit::{self, AuditFilter, AuditRow};
use std::collections::HashMap;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    rows: Vec<AuditRow>,
    total: i64,
    f: FormState,
    page: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
}

/// Parses the filter query shared by the page and the API.
pub fn filter_from_query(q: &HashMap<String, String>, per_page: i64) -> AuditFilter {
    let nonempty = |k: &str| {
        q.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let day = |k: &str| nonempty(k).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let page = q
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    AuditFilter {
        actor_email: nonempty("user"),
        action: nonempty("action"),
        entity: nonempty("entity"),
        entity_id: nonempty("entity_id"),
        case_id: nonempty("case_id").and_then(|c| uuid::Uuid::parse_str(&c).ok()),
        from: day("from")
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        to: day("to")
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        limit: per_page,
        offset: (page - 1) * per_page,
    }
}

/// GET /audit.
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Audit, Action::Read) {
        return r;
    }
    let filter = filter_from_query(&q, PER_PAGE);
    let page = filter.offset / PER_PAGE + 1;
    match audit::list(&state.store, &auth.actor, &filter).await {
        Ok((rows, total)) => {
            let link = |p: i64| {
                let mut pairs: Vec<(String, String)> = q
                    .iter()
                    .filter(|(k, _)| k.as_str() != "page")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                pairs.sort();
                pairs.push(("page".into(), p.to_string()));
                format!(
                    "/audit?{}",
                    serde_urlencoded::to_string(pairs).unwrap_or_default()
                )
            };
            let l = Layout::new(&ctx, ctx.tr().t("nav-audit"), "/audit");
            render(
                StatusCode::OK,
                AuditPage {
                    l,
                    rows,
                    total,
                    f: FormState::with(q.clone()),
                    page,
                    prev_link: (page > 1).then(|| link(page - 1)),
                    next_link: (page * PER_PAGE < total).then(|| link(page + 1)),
                },
            )
        }
        Err(e) => store_error(&ctx, e),
    }
}
