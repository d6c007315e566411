//! What the case page shows of a returned case's reintegration: arrival,
//! plan, ledger, purchases.

use crate::i18n::Tr;
use crate::AppState;
use homeward_domain::reintegration::{self, Category, Dimension, PurchaseStatus};
use homeward_domain::{Action, CaseStatus, Resource, Role};
use homeward_store::plans::{self, Arrival, Plan};
use homeward_store::purchases::{self, Purchase};
use homeward_store::{Actor, Error};

/// A purchase as the page shows it.
pub struct PurchaseView {
    pub p: Purchase,
    pub local: String,
    pub programme: String,
    /// "1 HUF = 0.0037 CAD".
    pub rate: String,
    /// (target status, button label, reason required) the user may choose.
    pub moves: Vec<(String, String, bool)>,
    /// Finance may record the payment (with its receipt).
    pub can_pay: bool,
}

/// The reintegration section of a case page.
pub struct ReintegrationView {
    pub arrival: Option<Arrival>,
    pub plan: Plan,
    pub plan_total: String,
    /// (component, budget as text).
    pub components: Vec<(homeward_store::plans::Component, String)>,
    pub plan_overdue: bool,
    /// (label, amount) rows of the ledger in the programme's currency.
    pub ledger: Vec<(String, String)>,
    /// (currency, requested, committed, paid) per local currency.
    pub ledger_local: Vec<(String, String, String, String)>,
    pub purchases: Vec<PurchaseView>,
    pub can_confirm_arrival: bool,
    pub can_plan: bool,
    pub can_approve_plan: bool,
    pub can_request: bool,
    pub dimensions: Vec<(String, String)>,
    pub categories: Vec<(String, String)>,
    /// (id, name) of the active vendors of the country of return.
    pub vendors: Vec<(String, String)>,
    pub monitoring: super::monitoring::MonitoringView,
}

fn choices<T: Copy>(
    t: &Tr,
    group: &str,
    all: &[T],
    s: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (s(*v).to_string(), t.choice(group, s(*v))))
        .collect()
}

/// Loads the section; `None` before departure or for roles without need to know.
pub async fn load(
    state: &AppState,
    t: &Tr,
    actor: &Actor,
    scoped: &homeward_store::cases::ScopedCase,
) -> Result<Option<ReintegrationView>, Error> {
    let role = actor.role;
    let case = scoped.summary();
    let Some(status) = CaseStatus::parse(&case.status) else {
        return Ok(None);
    };
    let returned = status.is_after_departure() || status == CaseStatus::Closed;
    if !role.can(Resource::Reintegration, Action::Read) || !returned {
        return Ok(None);
    }
    let store = &state.store;
    let arrival = plans::arrival(store, actor, scoped).await?;
    let plan = plans::plan(store, actor, scoped).await?;
    let ledger = purchases::ledger(store, actor, scoped).await?;
    let open = matches!(status, CaseStatus::Reintegrating | CaseStatus::Monitoring);
    let money = |m: homeward_domain::money::Money| t.money(m.minor, m.currency.code());
    let (ledger_rows, ledger_local, cur) = match &ledger {
        Some(l) => (
            vec![
                (t.t("ledger-entitlement"), money(l.entitlement)),
                (t.t("ledger-budgeted"), money(l.budgeted)),
                (t.t("ledger-requested"), money(l.requested)),
                (t.t("ledger-committed"), money(l.committed)),
                (t.t("ledger-paid"), money(l.paid)),
                (t.t("ledger-remaining"), money(l.remaining)),
            ],
            l.local
                .iter()
                .map(|x| {
                    (
                        x.currency.code().to_string(),
                        money(x.requested),
                        money(x.committed),
                        money(x.paid),
                    )
                })
                .collect(),
            Some(l.entitlement.currency.code().to_string()),
        ),
        None => (Vec::new(), Vec::new(), None),
    };
    let cur = cur.or_else(|| plan.components.first().map(|c| c.currency.clone()));
    let purchases = purchases::list(store, actor, scoped)
        .await?
        .into_iter()
        .map(|p| purchase_view(t, actor, p))
        .collect();
    let today = homeward_store::now().date_naive();
    let can_request = reintegration::may_request_purchase(role) && open && ledger.is_some();
    let vendors = match (&case.country_of_return, can_request) {
        (Some(country), true) => homeward_store::vendors::list(store, actor, Some(country), false)
            .await?
            .into_iter()
            .filter(|v| v.active)
            .map(|v| (v.id.to_string(), v.name))
            .collect(),
        _ => Vec::new(),
    };
    let components = plan
        .components
        .iter()
        .map(|c| (c.clone(), t.money(c.budget_minor, &c.currency)))
        .collect();
    Ok(Some(ReintegrationView {
        plan_overdue: plan.status != "approved"
            && arrival
                .as_ref()
                .is_some_and(|a| reintegration::is_plan_overdue(a.arrived_on, today)),
        plan_total: cur
            .map(|c| t.money(plan.total_minor, &c))
            .unwrap_or_default(),
        components,
        arrival,
        ledger: ledger_rows,
        ledger_local,
        purchases,
        can_confirm_arrival: role == Role::MissionOfficer && status == CaseStatus::Departed,
        can_plan: role == Role::MissionOfficer && open && plan.status != "approved",
        can_approve_plan: reintegration::may_approve_plan(role)
            && plan.status != "approved"
            && !plan.components.is_empty(),
        can_request,
        vendors,
        plan,
        dimensions: choices(t, "dimension", &Dimension::ALL, Dimension::as_str),
        categories: choices(t, "category", &Category::ALL, Category::as_str),
        monitoring: super::monitoring::load(state, t, actor, scoped, status).await?,
    }))
}

fn purchase_view(t: &Tr, actor: &Actor, p: Purchase) -> PurchaseView {
    let from = PurchaseStatus::parse(&p.status);
    let mut moves = Vec::new();
    let mut can_pay = false;
    if let Some(from) = from {
        for to in reintegration::allowed_purchase_targets(from, actor.role) {
            // Four eyes: the requester is never offered the decision.
            if p.requested_by == actor.user_id && actor.role != Role::MissionOfficer {
                continue;
            }
            if to == PurchaseStatus::Paid {
                can_pay = p.requested_by != actor.user_id;
                continue;
            }
            moves.push((
                to.as_str().to_string(),
                t.choice("purchase-action", to.as_str()),
                reintegration::purchase_reason_required(from, to),
            ));
        }
    }
    let rate = if p.local_currency == p.programme_currency {
        String::new()
    } else {
        let r = p.rate_numerator as f64 / p.rate_denominator.max(1) as f64;
        format!(
            "1 {} = {} {}",
            p.local_currency,
            trim_rate(r),
            p.programme_currency
        )
    };
    PurchaseView {
        local: t.money(p.local_minor, &p.local_currency),
        programme: t.money(p.programme_minor, &p.programme_currency),
        rate,
        moves,
        can_pay,
        p,
    }
}

/// A rate for reading: up to eight decimals, no trailing zeros.
fn trim_rate(r: f64) -> String {
    let s = format!("{r:.8}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
