//! The reintegration plan: its components, its total and the cap it must stay within.

use super::category::*;
use crate::money::{Currency, Money, MoneyError};
use crate::role::Role;
use crate::validation::{self, clean, Invalid};
use serde::{Deserialize, Serialize};

/// One component of a reintegration plan, as submitted. Every field is
/// required; a missing or unknown one answers 422 naming the field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"dimension": "social", "category": "housing",
    "description": "Three months' rent for a flat in Miskolc", "budget": "1500.00"})))]
pub struct PlanComponentInput {
    /// `economic`, `social` or `psychosocial` (one the category may serve).
    #[serde(default)]
    pub dimension: Option<String>,
    /// `housing`, `daily_necessities`, `business_startup`, `education`,
    /// `vocational_training`, `job_placement`, `medical_care` or
    /// `psychosocial_support`.
    #[serde(default)]
    pub category: Option<String>,
    /// What the component pays for (up to 2,000 characters).
    #[serde(default)]
    pub description: Option<String>,
    /// In the programme's currency, in major units as typed (`1500.00`).
    #[serde(default)]
    pub budget: Option<String>,
}

/// A checked plan component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanComponent {
    pub dimension: Dimension,
    pub category: Category,
    pub description: String,
    pub budget: Money,
}

/// Checks one component: a known dimension, a known category that serves it,
/// a description of 1 to [`DESCRIPTION_MAX`] characters and a budget above
/// zero in the programme's currency.
pub fn validate_component(
    i: &PlanComponentInput,
    programme: Currency,
) -> Result<PlanComponent, Invalid> {
    let mut inv = Invalid::default();
    let dimension = match clean(i.dimension.as_deref()) {
        None => {
            inv.add("dimension", "required");
            None
        }
        Some(d) => {
            let d = Dimension::parse(&d);
            if d.is_none() {
                inv.add("dimension", "invalid-choice");
            }
            d
        }
    };
    let category = match clean(i.category.as_deref()) {
        None => {
            inv.add("category", "required");
            None
        }
        Some(c) => {
            let c = Category::parse(&c);
            match (c, dimension) {
                (None, _) => inv.add("category", "invalid-choice"),
                (Some(c), Some(d)) if !c.dimensions().contains(&d) => {
                    inv.add("category", "category-not-in-dimension")
                }
                _ => {}
            }
            c
        }
    };
    validation::text(
        &mut inv,
        "description",
        i.description.as_deref(),
        true,
        DESCRIPTION_MAX,
    );
    let budget = match clean(i.budget.as_deref()) {
        None => {
            inv.add("budget", "required");
            None
        }
        Some(b) => match Money::parse(&b, programme).and_then(Money::check_positive) {
            Ok(m) => Some(m),
            Err(e) => {
                add_money_error(&mut inv, "budget", e);
                None
            }
        },
    };
    match (dimension, category, budget, inv.errors.is_empty()) {
        (Some(dimension), Some(category), Some(budget), true) => Ok(PlanComponent {
            dimension,
            category,
            description: clean(i.description.as_deref()).unwrap_or_default(),
            budget,
        }),
        _ => Err(inv),
    }
}

/// The plan's total budget, in `currency` (zero for an empty plan).
pub fn plan_total(components: &[PlanComponent], currency: Currency) -> Result<Money, MoneyError> {
    components
        .iter()
        .try_fold(Money::zero(currency), |sum, c| sum.checked_add(c.budget))
}

/// Refuses a plan whose total exceeds the entitlement (`budget`:
/// `plan-exceeds-entitlement`) or that mixes currencies (`budget`:
/// `currency-mismatch`). A plan at exactly the entitlement is accepted.
pub fn check_plan_within(components: &[PlanComponent], entitlement: Money) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match plan_total(components, entitlement.currency) {
        Err(e) => add_money_error(&mut inv, "budget", e),
        Ok(total) if total.minor > entitlement.minor => {
            inv.add("budget", "plan-exceeds-entitlement")
        }
        Ok(_) => {}
    }
    inv.into_result()
}

/// What a plan needs before a supervisor approves it: at least one component
/// (`components`: `plan-empty`) and a total within the entitlement.
pub fn check_plan_for_approval(
    components: &[PlanComponent],
    entitlement: Money,
) -> Result<(), Invalid> {
    if components.is_empty() {
        let mut inv = Invalid::default();
        inv.add("components", "plan-empty");
        return Err(inv);
    }
    check_plan_within(components, entitlement)
}

/// Who approves a reintegration plan: a supervisor (the mission officer who
/// built it cannot be one, each user having one role).
pub fn may_approve_plan(role: Role) -> bool {
    role == Role::Supervisor
}
