//! The dashboard (home page): any signed-in user. Counts by status come from
//! the user's record scope; "my cases" lists cases assigned to the user; the
//! programme panels (charts drawn on the server, each with its numbers in a
//! table) show what the role may see (`homeward_domain::dashboard::panels`),
//! for a period, programme, country of return and counsellor. Analysts see
//! the panels over the whole programme with counts below five hidden; admins
//! and auditors, who hold no case data, see none.

use crate::auth::PageUser;
use crate::charts::{bar_chart, Bar};
use crate::form::FormState;
use crate::frame::{render, store_error, Layout};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::dashboard::{self as dash, Dashboard, DashboardFilter, FilterInput, Panel};
use homeward_domain::report::Period;
use homeward_domain::{Action, Resource, Role};
use homeward_store::cases::{self, CaseFilter, CaseSummary};
use std::collections::HashMap;

/// One panel of charts: the drawing, and the numbers behind it in a table.
pub struct PanelView {
    /// Stable id (`statuses`, `departures`, …): the table is `dash-<id>`.
    pub id: &'static str,
    pub title: String,
    /// The SVG, escaped where it holds text (`crate::charts`).
    pub svg: String,
    /// A line under the chart (definitions, the pilot's figures).
    pub note: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    /// Countries by name for the filter (ISO codes behind).
    countries: Vec<(String, String)>,
    /// The team's open cases by counsellor (supervisors): (link, name, count).
    workload: Vec<(String, String, i64)>,
    /// The role's queues: (name, link, label, count, late).
    work: Vec<(&'static str, &'static str, String, String, i64)>,
    counts: Vec<(String, String, i64)>,
    total: i64,
    mine: Vec<CaseSummary>,
    can_list: bool,
    can_create: bool,
    sees_counts: bool,
    /// New referrals waiting for contact, overdue first: (waiting, overdue).
    waiting: Vec<(homeward_store::referrals::Waiting, bool)>,
    /// Questions and complaints (open, overdue) for supervisors.
    feedback: Option<(i64, i64)>,
    /// Whether the role has programme panels (and so the filter form).
    has_panels: bool,
    /// The filter form: what was typed, and what is wrong with it.
    f: FormState,
    /// (code, name) of each programme.
    programmes: Vec<(String, String)>,
    /// (id, name) of each counsellor: supervisors filter by counsellor.
    counsellors: Vec<(String, String)>,
    /// What the panels cover, in words.
    subtitle: String,
    /// Shown when the figures are suppressed (analysts).
    suppression_note: Option<String>,
    panels: Vec<PanelView>,
    /// (query, label) quick choices of period.
    quick: Vec<(String, String)>,
}

/// Today in the reader's zone (their office's, or a mission's country's).
fn today(tz: chrono_tz::Tz) -> chrono::NaiveDate {
    homeward_store::now().with_timezone(&tz).date_naive()
}

/// The filter input from a query string (unknown parameters ignored).
pub fn filter_input(q: &HashMap<String, String>) -> FilterInput {
    let g = |k: &str| q.get(k).cloned();
    FilterInput {
        period: g("period"),
        from: g("from"),
        to: g("to"),
        programme: g("programme"),
        country: g("country"),
        counsellor: g("counsellor"),
    }
}

/// GET /?period=&from=&to=&programme=&country=&counsellor=.
pub async fn show(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let t = ctx.tr();
    let role = auth.actor.role;
    let can_list = role.can(Resource::Case, Action::Read);
    // Analysts read the status counts in the (suppressed) panel instead.
    let sees_counts = can_list;
    let mut counts = Vec::new();
    let mut by_status = None;
    if sees_counts {
        match cases::counts_by_status(&state.store, &auth.actor).await {
            Ok(c) => {
                counts = c
                    .iter()
                    .map(|(s, n)| (s.clone(), t.status(s), *n))
                    .collect();
                by_status = Some(c);
            }
            Err(e) => return store_error(&ctx, e),
        }
    }
    let mut mine = Vec::new();
    if can_list {
        let f = CaseFilter {
            counsellor_id: (role == Role::Counsellor).then_some(auth.user.id),
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
    if homeward_domain::home::contacts_referrals(role) {
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
    let day = today(auth.actor.local_zone());
    let workload = match role == Role::Supervisor {
        false => Vec::new(),
        true => match homeward_store::home::workload(&state.store, &auth.actor).await {
            Ok(rows) => rows
                .into_iter()
                .map(|r| match (r.counsellor, r.name) {
                    (Some(id), name) => (
                        format!("/cases?counsellor={id}"),
                        name.unwrap_or_default(),
                        r.open,
                    ),
                    (None, _) => (
                        "/cases?unassigned=1".into(),
                        t.t("workload-unassigned"),
                        r.open,
                    ),
                })
                .collect(),
            Err(e) => return store_error(&ctx, e),
        },
    };
    let work = match homeward_store::home::counts(
        &state.store,
        &auth.actor,
        homeward_store::now(),
        day,
        by_status.as_deref(),
    )
    .await
    {
        Ok(qs) => qs
            .into_iter()
            .map(|q| {
                let n = match q.count >= homeward_store::home::MOST {
                    true => format!("{}+", homeward_store::home::MOST),
                    false => q.count.to_string(),
                };
                let label = t.t(&format!("queue-{}", q.queue.name()));
                (q.queue.name(), q.queue.href(), label, n, q.late)
            })
            .collect(),
        Err(e) => return store_error(&ctx, e),
    };
    let feedback = match homeward_store::feedback::open_counts(&state.store, &auth.actor, day).await
    {
        Ok(f) => f,
        Err(e) => return store_error(&ctx, e),
    };

    // The programme panels.
    let has_panels = dash::may_read(role);
    let mut status = StatusCode::OK;
    let mut f = FormState::with(q.clone());
    let mut panels = Vec::new();
    let mut subtitle = String::new();
    let mut programmes = Vec::new();
    let mut counsellors = Vec::new();
    if has_panels {
        match homeward_store::programmes::list(&state.store).await {
            Ok(ps) => {
                programmes = ps
                    .into_iter()
                    .filter(|p| auth.actor.in_programme(p.id))
                    .map(|p| (p.code, p.name))
                    .collect()
            }
            Err(e) => return store_error(&ctx, e),
        }
        if role == Role::Supervisor {
            match homeward_store::users::counsellors(&state.store, &auth.actor).await {
                Ok(us) => {
                    counsellors = us.into_iter().map(|u| (u.id.to_string(), u.name)).collect()
                }
                Err(e) => return store_error(&ctx, e),
            }
        }
        let loaded = match DashboardFilter::from_input(&filter_input(&q), today(t.tz)) {
            Ok(filter) => homeward_store::dashboard::load(&state.store, &auth.actor, &filter).await,
            Err(inv) => Err(homeward_store::Error::Invalid(inv)),
        };
        match loaded {
            Ok(d) => {
                // The form shows the period as a key, so a default month is visible.
                f.values
                    .insert("period".into(), d.filter.period.key.clone());
                f.values.remove("from");
                f.values.remove("to");
                subtitle = subtitle_of(&t, &d.filter.period);
                panels = views(
                    &t,
                    &d,
                    homeward_store::surveys::questionnaire(&state.store).weights_verified,
                );
            }
            Err(homeward_store::Error::Invalid(inv)) => {
                f.add_invalid(&t, &inv, "");
                f.general = Some(t.t("dash-filter-invalid"));
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Err(e) => return store_error(&ctx, e),
        }
    }
    let l = Layout::new(&ctx, t.t("nav-dashboard"), "/");
    render(
        status,
        DashboardPage {
            suppression_note: dash::suppressed(role).then(|| {
                t.ta(
                    "dash-suppressed-note",
                    &[("n", dash::SUPPRESS_BELOW.to_string())],
                )
            }),
            quick: quick_links(&t),
            countries: super::fields::country_options(&t, f.v("country")),
            l,
            work,
            workload,
            counts,
            total,
            mine,
            can_list,
            can_create: role.can(Resource::Case, Action::Create),
            sees_counts,
            waiting,
            feedback,
            has_panels,
            f,
            programmes,
            counsellors,
            subtitle,
            panels,
        },
    )
}

fn subtitle_of(t: &Tr, p: &Period) -> String {
    t.ta(
        "dash-subtitle",
        &[("from", p.from.to_string()), ("to", p.to.to_string())],
    )
}

fn quick_links(t: &Tr) -> Vec<(String, String)> {
    let d = today(t.tz);
    let (y, m) = (chrono::Datelike::year(&d), chrono::Datelike::month(&d));
    let mut out = Vec::new();
    if let Some(p) = Period::month(y, m) {
        out.push((p.previous().key, t.t("report-last-month")));
        out.push((p.key, t.t("report-this-month")));
    }
    if let Some(p) = Period::quarter(y, (m - 1) / 3 + 1) {
        out.push((p.previous().key, t.t("report-last-quarter")));
        out.push((p.key, t.t("report-this-quarter")));
    }
    out
}

/// A count as shown: "<5" when suppressed.
fn count(t: &Tr, n: Option<i64>) -> String {
    match n {
        Some(n) => n.to_string(),
        None => t.ta(
            "dash-suppressed",
            &[("n", dash::SUPPRESS_BELOW.to_string())],
        ),
    }
}

/// A decimal in the reader's language; "—" when there is nothing.
fn dec(t: &Tr, x: Option<f64>, d: usize) -> String {
    match x {
        None => "—".into(),
        Some(x) => {
            let s = format!("{x:.d$}");
            if t.code() == "fr" {
                s.replace('.', ",")
            } else {
                s
            }
        }
    }
}

fn country(t: &Tr, key: &str) -> String {
    match key {
        "other" => t.t("dash-other-countries"),
        "unknown" => t.t("report-country-unknown"),
        c => c.to_string(),
    }
}

/// Each panel of the dashboard as a chart and a table.
/// The panels of `d`; `rss_verified`: whether the RSS weights were checked
/// (when not, the RSS panel says its averages are not for reporting).
pub fn views(t: &Tr, d: &Dashboard, rss_verified: bool) -> Vec<PanelView> {
    let hidden = count(t, None);
    let empty = t.t("dash-empty");
    let mut out = Vec::new();
    for p in &d.panels {
        let id = p.as_str();
        let title = t.t(&format!("dash-panel-{id}"));
        let chart_id = format!("chart-{id}");
        let v = match p {
            Panel::Statuses | Panel::Overdue | Panel::Countries => {
                let lines = match p {
                    Panel::Statuses => &d.statuses,
                    Panel::Overdue => &d.overdue,
                    _ => &d.countries,
                };
                let Some(lines) = lines else { continue };
                let (col, value_col) = match p {
                    Panel::Statuses => ("dash-col-status", "report-col-cases"),
                    Panel::Overdue => ("dash-col-task", "dash-col-tasks"),
                    _ => ("report-col-country", "report-col-departures"),
                };
                let label = |k: &str| match p {
                    Panel::Statuses => t.status(k),
                    Panel::Overdue => t.t(&format!("task-{k}")),
                    _ => country(t, k),
                };
                let bars: Vec<Bar> = lines
                    .iter()
                    .map(|l| Bar::count(label(&l.key), l.n, &hidden))
                    .collect();
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, None, &empty),
                    note: Some(t.t(&format!("dash-note-{id}"))),
                    header: vec![t.t(col), t.t(value_col)],
                    rows: bars
                        .iter()
                        .map(|b| vec![b.label.clone(), b.shown.clone()])
                        .collect(),
                    title,
                }
            }
            Panel::Departures => {
                let Some(dep) = &d.departures else { continue };
                let mut bars = vec![Bar::count(
                    t.t("report-col-departures"),
                    dep.departures,
                    &hidden,
                )];
                if let Some(target) = dep.target {
                    bars.push(Bar::count(t.t("dash-target"), Some(target), &hidden));
                }
                let mut rows = vec![vec![t.t("report-col-departures"), count(t, dep.departures)]];
                rows.push(vec![
                    t.t("dash-target"),
                    dep.target
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| t.t("dash-no-target")),
                ]);
                rows.push(vec![
                    t.t("dash-percent-of-target"),
                    dep.percent_of_target
                        .map(|x| format!("{} %", dec(t, Some(x), 1)))
                        .unwrap_or_else(|| "—".into()),
                ]);
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, None, &empty),
                    note: Some(t.t("dash-note-departures")),
                    header: vec![t.t("dash-col-figure"), t.t("dash-col-value")],
                    rows,
                    title,
                }
            }
            Panel::Days => {
                let Some(days) = &d.days else { continue };
                let figures = [
                    ("dash-days-referral-average", days.referral_average),
                    ("dash-days-referral-median", days.referral_median),
                    ("dash-days-registration-average", days.registration_average),
                    ("dash-days-registration-median", days.registration_median),
                ];
                let bars: Vec<Bar> = figures
                    .iter()
                    .map(|(k, x)| Bar {
                        label: t.t(k),
                        value: *x,
                        shown: dec(t, *x, 1),
                    })
                    .collect();
                let rows = vec![
                    vec![
                        t.t("dash-days-from-referral"),
                        count(t, days.departures),
                        dec(t, days.referral_average, 1),
                        dec(t, days.referral_median, 1),
                    ],
                    vec![
                        t.t("dash-days-from-registration"),
                        count(t, days.registered),
                        dec(t, days.registration_average, 1),
                        dec(t, days.registration_median, 1),
                    ],
                ];
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, None, &empty),
                    note: Some(t.t("dash-note-days")),
                    header: vec![
                        t.t("dash-col-measure"),
                        t.t("report-col-departures"),
                        t.t("report-col-days-average"),
                        t.t("report-col-days-median"),
                    ],
                    rows,
                    title,
                }
            }
            Panel::Tiers => {
                let Some(tiers) = &d.tiers else { continue };
                let bars: Vec<Bar> = tiers
                    .iter()
                    .map(|l| Bar::count(t.t(&format!("dash-tier-{}", l.tier)), l.cases, &hidden))
                    .collect();
                let rows = tiers
                    .iter()
                    .zip(&bars)
                    .map(|(l, b)| {
                        vec![
                            b.label.clone(),
                            b.shown.clone(),
                            match (l.amount_minor, &l.currency) {
                                (Some(m), Some(c)) => t.money(m, c),
                                (None, _) => hidden.clone(),
                                (Some(m), None) => m.to_string(),
                            },
                        ]
                    })
                    .collect();
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, None, &empty),
                    note: Some(t.t("dash-note-tiers")),
                    header: vec![
                        t.t("dash-col-tier"),
                        t.t("report-col-cases"),
                        t.t("dash-col-entitlements"),
                    ],
                    rows,
                    title,
                }
            }
            Panel::Spending => {
                let Some(spend) = &d.spending else { continue };
                let several = spend
                    .iter()
                    .any(|s| spend.first().is_some_and(|f| f.currency != s.currency));
                let label = |s: &dash::SpendLine| {
                    let c = t.t(&format!("category-{}", s.category));
                    if several {
                        format!("{c} ({})", s.currency)
                    } else {
                        c
                    }
                };
                let bars: Vec<Bar> = spend
                    .iter()
                    .map(|s| Bar {
                        label: label(s),
                        value: s.percent,
                        shown: match s.percent {
                            Some(p) => format!("{} %", dec(t, Some(p), 1)),
                            None => hidden.clone(),
                        },
                    })
                    .collect();
                let rows = spend
                    .iter()
                    .zip(&bars)
                    .map(|(s, b)| {
                        vec![
                            b.label.clone(),
                            s.amount_minor
                                .map(|m| t.money(m, &s.currency))
                                .unwrap_or_else(|| hidden.clone()),
                            b.shown.clone(),
                        ]
                    })
                    .collect();
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, Some(100.0), &empty),
                    note: Some(t.t("dash-note-spending")),
                    header: vec![
                        t.t("dash-col-category"),
                        t.t("dash-col-amount"),
                        t.t("dash-col-share"),
                    ],
                    rows,
                    title,
                }
            }
            Panel::Rss => {
                let Some(r) = &d.rss else { continue };
                let dims = [
                    ("dimension-economic", r.economic),
                    ("dimension-social", r.social),
                    ("dimension-psychosocial", r.psychosocial),
                    ("report-col-composite", r.composite),
                ];
                let bars: Vec<Bar> = dims
                    .iter()
                    .map(|(k, x)| Bar {
                        label: t.t(k),
                        value: *x,
                        shown: dec(t, *x, 2),
                    })
                    .collect();
                let rows = bars
                    .iter()
                    .map(|b| vec![b.label.clone(), b.shown.clone()])
                    .collect();
                PanelView {
                    id,
                    svg: bar_chart(&chart_id, &title, &bars, Some(1.0), &empty),
                    note: Some({
                        let note = t.ta("dash-note-rss", &[("surveys", count(t, r.surveys))]);
                        match rss_verified {
                            true => note,
                            false => format!("{note} {}", t.t("rss-weights-unverified")),
                        }
                    }),
                    header: vec![t.t("dash-col-dimension"), t.t("dash-col-average")],
                    rows,
                    title,
                }
            }
        };
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Every `dash-` key this module and its template use, in both languages.
    #[test]
    fn every_dashboard_string_is_translated() {
        let src = [
            include_str!("dashboard.rs"),
            include_str!("../../templates/dashboard.html"),
        ];
        let mut keys = Vec::new();
        for s in src {
            for part in s.split('"').skip(1).step_by(2) {
                if part.starts_with("dash-")
                    && part.len() > 5
                    && part.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    keys.push(part.to_string());
                }
            }
        }
        for p in Panel::ALL {
            keys.push(format!("dash-panel-{}", p.as_str()));
        }
        for p in ["statuses", "overdue", "countries"] {
            keys.push(format!("dash-note-{p}"));
        }
        for tier in dash::TIERS {
            keys.push(format!("dash-tier-{tier}"));
        }
        for code in ["invalid-programme", "invalid-counsellor"] {
            keys.push(format!("error-{code}"));
        }
        keys.sort();
        keys.dedup();
        // Element ids and the table id prefix in the template are not messages.
        let ids = [
            "dash-filter",
            "dash-filter-error",
            "dash-subtitle-p",
            "dash-panels",
            "dash-h",
            "dash-period-hint",
            "dash-grid",
        ];
        for (lang, ftl) in [
            ("en", include_str!("../../locales/en/main.ftl")),
            ("fr", include_str!("../../locales/fr/main.ftl")),
        ] {
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| !ids.contains(&k.as_str()))
                .filter(|k| !ftl.contains(&format!("\n{k} =")))
                .collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
        assert_eq!(count(&Tr::new(Lang::En), None), "<5");
        assert_eq!(dec(&Tr::new(Lang::Fr), Some(32.5), 1), "32,5");
    }
}
