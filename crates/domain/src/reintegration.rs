//! Reintegration in the country of return: arrival, the reintegration plan
//! and its cap, in-kind purchases with four-eyes approval, the ledger of a
//! case, and closure.
//!
//! Assistance is in kind, never cash: the mission officer requests a purchase
//! from a registered vendor in the local currency, with the exchange rate to
//! the programme's currency; finance (another person) approves it and pays
//! the vendor against a receipt; the mission officer confirms delivery with
//! the returnee. The entitlement decided at eligibility caps what is planned
//! and what is spent. These are the rules; the store applies them inside its
//! transactions (see [`fits_under_cap`]).

use crate::money::{convert, Currency, ExchangeRate, Money, MoneyError};
use crate::role::Role;
use crate::validation::{self, clean, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Days after arrival by which the reintegration plan should be ready.
pub const PLAN_DUE_DAYS: i64 = 30;

/// The longest description of a plan component or purchase.
pub const DESCRIPTION_MAX: usize = 2000;

/// A dimension of reintegration (IOM's integrated approach).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Economic,
    Social,
    Psychosocial,
}

impl Dimension {
    /// Every dimension, in the order pages list them (`dimension-<value>`).
    pub const ALL: [Dimension; 3] = [
        Dimension::Economic,
        Dimension::Social,
        Dimension::Psychosocial,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Economic => "economic",
            Dimension::Social => "social",
            Dimension::Psychosocial => "psychosocial",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What a plan component (and a purchase) pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Housing,
    DailyNecessities,
    BusinessStartup,
    Education,
    VocationalTraining,
    JobPlacement,
    MedicalCare,
    PsychosocialSupport,
}

impl Category {
    /// Every category, in the order pages list them (`category-<value>`).
    pub const ALL: [Category; 8] = [
        Category::Housing,
        Category::DailyNecessities,
        Category::BusinessStartup,
        Category::Education,
        Category::VocationalTraining,
        Category::JobPlacement,
        Category::MedicalCare,
        Category::PsychosocialSupport,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Housing => "housing",
            Category::DailyNecessities => "daily_necessities",
            Category::BusinessStartup => "business_startup",
            Category::Education => "education",
            Category::VocationalTraining => "vocational_training",
            Category::JobPlacement => "job_placement",
            Category::MedicalCare => "medical_care",
            Category::PsychosocialSupport => "psychosocial_support",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The dimensions a component of this category may serve, the usual one
    /// first. Economic: income and work; social: access to services
    /// (housing, schooling, health); psychosocial: well-being. Housing,
    /// necessities and education can also be economic (a workshop, stock,
    /// an adult's training), medical care psychosocial (mental health care).
    pub fn dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        match self {
            Category::Housing => &[Social, Economic],
            Category::DailyNecessities => &[Economic, Social],
            Category::BusinessStartup => &[Economic],
            Category::Education => &[Social, Economic],
            Category::VocationalTraining => &[Economic],
            Category::JobPlacement => &[Economic],
            Category::MedicalCare => &[Social, Psychosocial],
            Category::PsychosocialSupport => &[Psychosocial],
        }
    }
}

// ---------------------------------------------------------------- arrival

/// The mission officer's confirmation of arrival.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalInput {
    #[serde(default)]
    pub arrived_on: Option<NaiveDate>,
    /// Where the returnee arrived (town, airport or border crossing).
    #[serde(default)]
    pub place: Option<String>,
}

/// Checks an arrival: a date between the departure (its local date at the
/// airport of departure) and today, and a place.
pub fn validate_arrival(
    i: &ArrivalInput,
    departed_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match i.arrived_on {
        None => inv.add("arrived_on", "required"),
        Some(d) if d > today => inv.add("arrived_on", "in-the-future"),
        Some(d) if d < departed_on => inv.add("arrived_on", "arrival-before-departure"),
        Some(_) => {}
    }
    validation::text(&mut inv, "place", i.place.as_deref(), true, 200);
    inv.into_result()
}

/// The day by which the plan should be ready: arrival + [`PLAN_DUE_DAYS`].
pub fn plan_due(arrival: NaiveDate) -> NaiveDate {
    arrival + chrono::Duration::days(PLAN_DUE_DAYS)
}

/// Whether a plan still missing on `today` is overdue (the day after it was due).
pub fn is_plan_overdue(arrival: NaiveDate, today: NaiveDate) -> bool {
    today > plan_due(arrival)
}

// ------------------------------------------------------------------- plan

/// One component of a reintegration plan, as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanComponentInput {
    #[serde(default)]
    pub dimension: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
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

fn add_money_error(inv: &mut Invalid, field: &str, e: MoneyError) {
    inv.add(field, e.code());
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

// ---------------------------------------------------------------- vendors

/// A local provider, as entered in a country's vendor registry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorInput {
    #[serde(default)]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
    /// What the vendor provides (category identifiers).
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub contact: Option<String>,
}

/// A checked vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub name: String,
    pub country: String,
    pub categories: Vec<Category>,
    pub contact: Option<String>,
}

/// Checks a vendor: a name, a country code, at least one known category.
pub fn validate_vendor(i: &VendorInput) -> Result<Vendor, Invalid> {
    let mut inv = Invalid::default();
    validation::text(&mut inv, "name", i.name.as_deref(), true, 200);
    let country = clean(i.country.as_deref()).map(|c| c.to_uppercase());
    match country.as_deref() {
        None => inv.add("country", "required"),
        Some(c) if !validation::is_country_code(c) => inv.add("country", "invalid-country"),
        Some(_) => {}
    }
    let mut categories = Vec::new();
    for c in i.categories.iter().map(|c| c.trim()) {
        match Category::parse(c) {
            Some(c) if !categories.contains(&c) => categories.push(c),
            Some(_) => {}
            None => inv.add("categories", "invalid-choice"),
        }
    }
    if i.categories.is_empty() {
        inv.add("categories", "required");
    }
    validation::text(&mut inv, "contact", i.contact.as_deref(), false, 500);
    inv.into_result()?;
    Ok(Vendor {
        name: clean(i.name.as_deref()).unwrap_or_default(),
        country: country.unwrap_or_default(),
        categories,
        contact: clean(i.contact.as_deref()),
    })
}

/// Whether `vendor` may supply a purchase of `category` for a case returning
/// to `country_of_return` (field `vendor`: `vendor-inactive`,
/// `vendor-other-country`, `vendor-category`).
pub fn check_vendor_for_purchase(
    vendor: &Vendor,
    active: bool,
    country_of_return: &str,
    category: Category,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    if !active {
        inv.add("vendor", "vendor-inactive");
    } else if !vendor.country.eq_ignore_ascii_case(country_of_return) {
        inv.add("vendor", "vendor-other-country");
    } else if !vendor.categories.contains(&category) {
        inv.add("vendor", "vendor-category");
    }
    inv.into_result()
}

// -------------------------------------------------------------- purchases

/// A purchase request, as the mission officer submits it. Amounts and rates
/// are text as typed; the domain reads them (see [`crate::money`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequestInput {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The price in local currency, major units (`150000`, `1 234,50`).
    #[serde(default)]
    pub amount: Option<String>,
    /// The local currency (ISO 4217).
    #[serde(default)]
    pub currency: Option<String>,
    /// Programme currency for one unit of local currency (`0.0043`). Not
    /// needed when the local currency is the programme's.
    #[serde(default)]
    pub rate: Option<String>,
    /// Where the rate comes from (central bank, bank quote, IOM rate).
    #[serde(default)]
    pub rate_source: Option<String>,
    /// The day the rate applies to.
    #[serde(default)]
    pub rate_date: Option<NaiveDate>,
    /// The registered vendor IOM pays (in kind, never cash to the returnee);
    /// required, checked with [`check_vendor_for_purchase`].
    #[serde(default)]
    pub vendor_id: Option<uuid::Uuid>,
}

/// A checked purchase request. The store adds who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRequest {
    pub category: Category,
    pub description: String,
    /// The price in local currency.
    pub local: Money,
    /// Local → programme currency (the identity when they are the same).
    pub rate: ExchangeRate,
    pub rate_source: Option<String>,
    pub rate_date: Option<NaiveDate>,
    /// The price in the programme's currency: what counts against the cap.
    pub programme: Money,
}

/// Checks a purchase request and converts its price to the programme's
/// currency. A rate, its source and its date are required unless the local
/// currency is the programme's; a price that converts to nothing is refused
/// (`amount`: `converts-to-zero`).
pub fn validate_purchase_request(
    i: &PurchaseRequestInput,
    programme: Currency,
    today: NaiveDate,
) -> Result<PurchaseRequest, Invalid> {
    let mut inv = Invalid::default();
    let category = match clean(i.category.as_deref()) {
        None => {
            inv.add("category", "required");
            None
        }
        Some(c) => {
            let c = Category::parse(&c);
            if c.is_none() {
                inv.add("category", "invalid-choice");
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
    let currency = match clean(i.currency.as_deref()) {
        None => {
            inv.add("currency", "required");
            None
        }
        Some(c) => match Currency::parse(&c.to_uppercase()) {
            Ok(c) => Some(c),
            Err(e) => {
                add_money_error(&mut inv, "currency", e);
                None
            }
        },
    };
    let local = match (clean(i.amount.as_deref()), currency) {
        (None, _) => {
            inv.add("amount", "required");
            None
        }
        (Some(_), None) => None,
        (Some(a), Some(c)) => match Money::parse(&a, c).and_then(Money::check_positive) {
            Ok(m) => Some(m),
            Err(e) => {
                add_money_error(&mut inv, "amount", e);
                None
            }
        },
    };
    let rate_text = clean(i.rate.as_deref());
    let rate_source = clean(i.rate_source.as_deref());
    let rate = match currency {
        None => None,
        Some(c) if c == programme => {
            // Only 1 makes sense between a currency and itself.
            if let Some(Err(e)) = rate_text.map(|t| ExchangeRate::parse(c, c, &t)) {
                add_money_error(&mut inv, "rate", e);
            }
            Some(ExchangeRate::identity(c))
        }
        Some(c) => {
            if rate_source.is_none() {
                inv.add("rate_source", "required");
            }
            match i.rate_date {
                None => inv.add("rate_date", "required"),
                Some(d) if d > today => inv.add("rate_date", "in-the-future"),
                Some(_) => {}
            }
            match rate_text {
                None => {
                    inv.add("rate", "required");
                    None
                }
                Some(t) => match ExchangeRate::parse(c, programme, &t) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        add_money_error(&mut inv, "rate", e);
                        None
                    }
                },
            }
        }
    };
    validation::text(
        &mut inv,
        "rate_source",
        i.rate_source.as_deref(),
        false,
        500,
    );
    let converted = match (local, &rate) {
        (Some(l), Some(r)) => match convert(l, r) {
            Ok(p) if p.minor == 0 => {
                inv.add("amount", "converts-to-zero");
                None
            }
            Ok(p) => Some(p),
            Err(e) => {
                add_money_error(&mut inv, "amount", e);
                None
            }
        },
        _ => None,
    };
    match (category, local, rate, converted, inv.errors.is_empty()) {
        (Some(category), Some(local), Some(rate), Some(programme), true) => {
            let same = rate.from() == rate.to();
            Ok(PurchaseRequest {
                category,
                description: clean(i.description.as_deref()).unwrap_or_default(),
                local,
                rate,
                rate_source: if same { None } else { rate_source },
                rate_date: if same { None } else { i.rate_date },
                programme,
            })
        }
        _ => Err(inv),
    }
}

/// Who may request a purchase: the mission officer of the country of return.
pub fn may_request_purchase(role: Role) -> bool {
    role == Role::MissionOfficer
}

/// Where a purchase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    Requested,
    Approved,
    Rejected,
    Paid,
    Delivered,
    Cancelled,
}

impl PurchaseStatus {
    /// Every status (`purchase-status-<value>`).
    pub const ALL: [PurchaseStatus; 6] = [
        PurchaseStatus::Requested,
        PurchaseStatus::Approved,
        PurchaseStatus::Rejected,
        PurchaseStatus::Paid,
        PurchaseStatus::Delivered,
        PurchaseStatus::Cancelled,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Requested => "requested",
            PurchaseStatus::Approved => "approved",
            PurchaseStatus::Rejected => "rejected",
            PurchaseStatus::Paid => "paid",
            PurchaseStatus::Delivered => "delivered",
            PurchaseStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<PurchaseStatus> {
        PurchaseStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether no transition leaves this status.
    pub fn is_terminal(self) -> bool {
        !PURCHASE_EDGES.iter().any(|e| e.from == self)
    }
}

/// Why a purchase transition was refused. `code()` is the message key suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    /// No edge from the current status to the target.
    #[error("a purchase cannot go from {from:?} to {to:?}")]
    NotAllowed {
        from: PurchaseStatus,
        to: PurchaseStatus,
    },
    /// The edge exists but this role may not take it.
    #[error("this role may not make that change")]
    Forbidden,
    /// The person who requested the purchase may not approve, reject or pay it.
    #[error("the requester may not approve, reject or pay their own request")]
    FourEyes,
    #[error("a reason is required")]
    ReasonRequired,
    /// A payment is recorded with its proof (receipt or invoice).
    #[error("a receipt is required")]
    ReceiptRequired,
}

impl PurchaseError {
    /// The stable, kebab-case error code.
    pub fn code(self) -> &'static str {
        match self {
            PurchaseError::NotAllowed { .. } => "purchase-transition-not-allowed",
            PurchaseError::Forbidden => "purchase-transition-forbidden",
            PurchaseError::FourEyes => "four-eyes",
            PurchaseError::ReasonRequired => "reason-required",
            PurchaseError::ReceiptRequired => "receipt-required",
        }
    }
}

/// Facts about a purchase change that its guards look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct PurchaseContext<'a> {
    /// Whether the person acting is the one who requested the purchase.
    pub actor_is_requester: bool,
    pub reason: Option<&'a str>,
    /// Whether proof of payment (a receipt) is attached.
    pub has_receipt: bool,
}

struct PurchaseEdge {
    from: PurchaseStatus,
    to: PurchaseStatus,
    role: Role,
    four_eyes: bool,
    reason_required: bool,
    receipt_required: bool,
}

const fn edge(from: PurchaseStatus, to: PurchaseStatus, role: Role) -> PurchaseEdge {
    PurchaseEdge {
        from,
        to,
        role,
        four_eyes: false,
        reason_required: false,
        receipt_required: false,
    }
}

const PURCHASE_EDGES: &[PurchaseEdge] = {
    use PurchaseStatus::*;
    &[
        PurchaseEdge {
            four_eyes: true,
            ..edge(Requested, Approved, Role::Finance)
        },
        PurchaseEdge {
            four_eyes: true,
            reason_required: true,
            ..edge(Requested, Rejected, Role::Finance)
        },
        PurchaseEdge {
            reason_required: true,
            ..edge(Requested, Cancelled, Role::MissionOfficer)
        },
        // An approved purchase that will not go ahead (the vendor failed,
        // the returnee left): finance releases the commitment.
        PurchaseEdge {
            reason_required: true,
            ..edge(Approved, Cancelled, Role::Finance)
        },
        PurchaseEdge {
            four_eyes: true,
            receipt_required: true,
            ..edge(Approved, Paid, Role::Finance)
        },
        edge(Paid, Delivered, Role::MissionOfficer),
    ]
};

/// Decides whether `role` may move a purchase from `from` to `to`. Finance
/// approves, rejects and pays, never on a request of their own (four eyes);
/// the mission officer cancels a pending request and confirms delivery with
/// the returnee. Rejecting and cancelling need a reason, paying a receipt.
/// A purchase is created `Requested` by [`may_request_purchase`] roles.
pub fn check_purchase_transition(
    from: PurchaseStatus,
    to: PurchaseStatus,
    role: Role,
    ctx: &PurchaseContext,
) -> Result<(), PurchaseError> {
    let e = PURCHASE_EDGES
        .iter()
        .find(|e| e.from == from && e.to == to)
        .ok_or(PurchaseError::NotAllowed { from, to })?;
    if e.role != role {
        return Err(PurchaseError::Forbidden);
    }
    if e.four_eyes && ctx.actor_is_requester {
        return Err(PurchaseError::FourEyes);
    }
    if e.reason_required && ctx.reason.map(str::trim).unwrap_or("").is_empty() {
        return Err(PurchaseError::ReasonRequired);
    }
    if e.receipt_required && !ctx.has_receipt {
        return Err(PurchaseError::ReceiptRequired);
    }
    Ok(())
}

/// The statuses `role` could move a purchase to from `from` (the UI offers
/// only these; four-eyes, reason and receipt are checked on submit).
pub fn allowed_purchase_targets(from: PurchaseStatus, role: Role) -> Vec<PurchaseStatus> {
    PURCHASE_EDGES
        .iter()
        .filter(|e| e.from == from && e.role == role)
        .map(|e| e.to)
        .collect()
}

/// Whether a transition needs a reason (so the UI can ask for one).
pub fn purchase_reason_required(from: PurchaseStatus, to: PurchaseStatus) -> bool {
    PURCHASE_EDGES
        .iter()
        .any(|e| e.from == from && e.to == to && e.reason_required)
}

// ----------------------------------------------------------------- ledger

/// Whether a new commitment of `new_amount` keeps the case within its
/// entitlement, given what is `already` committed or paid. The store calls it
/// inside the transaction that approves a purchase, with `already` =
/// committed + paid of the case's other purchases (e.g. from [`ledger`]).
/// False for mixed currencies, a non-positive new amount, or overflow.
pub fn fits_under_cap(entitlement: Money, already: Money, new_amount: Money) -> bool {
    entitlement.currency == already.currency
        && already.currency == new_amount.currency
        && new_amount.minor > 0
        && already.minor >= 0
        && already
            .minor
            .checked_add(new_amount.minor)
            .is_some_and(|total| total <= entitlement.minor)
}

/// One purchase as the ledger sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseLine {
    pub status: PurchaseStatus,
    /// The price in local currency.
    pub local: Money,
    /// The price in the programme's currency.
    pub programme: Money,
}

/// Totals in one local currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LocalTotals {
    pub currency: Currency,
    pub requested: Money,
    pub committed: Money,
    pub paid: Money,
}

/// A case's reintegration money. All amounts in the programme's currency
/// except `local`, which sums the same purchases per local currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// The cap from the eligibility decision.
    pub entitlement: Money,
    /// The plan's total.
    pub budgeted: Money,
    /// Requested, awaiting finance (not counted against the cap yet).
    pub requested: Money,
    /// Approved, not yet paid.
    pub committed: Money,
    /// Paid (including delivered).
    pub paid: Money,
    /// entitlement − committed − paid.
    pub remaining: Money,
    /// Per local currency, sorted by code.
    pub local: Vec<LocalTotals>,
}

/// Computes the ledger of a case. Rejected and cancelled purchases count for
/// nothing. Refuses purchases or a plan in another currency than the
/// entitlement's.
pub fn ledger(
    entitlement: Money,
    plan: &[PlanComponent],
    purchases: &[PurchaseLine],
) -> Result<Ledger, MoneyError> {
    let cur = entitlement.currency;
    let zero = Money::zero(cur);
    let (mut requested, mut committed, mut paid) = (zero, zero, zero);
    let mut local: Vec<LocalTotals> = Vec::new();
    for p in purchases {
        if p.programme.currency != cur {
            return Err(MoneyError::CurrencyMismatch);
        }
        let lc = p.local.currency;
        let idx = match local.iter().position(|t| t.currency == lc) {
            Some(i) => i,
            None => {
                let z = Money::zero(lc);
                local.push(LocalTotals {
                    currency: lc,
                    requested: z,
                    committed: z,
                    paid: z,
                });
                local.len() - 1
            }
        };
        let t = &mut local[idx];
        match p.status {
            PurchaseStatus::Requested => {
                requested = requested.checked_add(p.programme)?;
                t.requested = t.requested.checked_add(p.local)?;
            }
            PurchaseStatus::Approved => {
                committed = committed.checked_add(p.programme)?;
                t.committed = t.committed.checked_add(p.local)?;
            }
            PurchaseStatus::Paid | PurchaseStatus::Delivered => {
                paid = paid.checked_add(p.programme)?;
                t.paid = t.paid.checked_add(p.local)?;
            }
            PurchaseStatus::Rejected | PurchaseStatus::Cancelled => {}
        }
    }
    local.sort_by_key(|t| t.currency);
    Ok(Ledger {
        entitlement,
        budgeted: plan_total(plan, cur)?,
        requested,
        committed,
        paid,
        remaining: entitlement.checked_sub(committed)?.checked_sub(paid)?,
        local,
    })
}

impl Ledger {
    /// Committed + paid: what [`fits_under_cap`] takes as `already`.
    pub fn spent(&self) -> Result<Money, MoneyError> {
        self.committed.checked_add(self.paid)
    }
}

// ---------------------------------------------------------------- closure

/// Why a reintegration case is closed (IOM Reintegration Handbook), as
/// `closure-<value>` keys.
pub const CLOSURE_REASONS: [&str; 7] = [
    "support_period_ended",
    "no_longer_meets_criteria",
    "opted_out",
    "left_the_area",
    "died",
    "re_migrated",
    "lost_contact",
];

/// The abrupt exits among [`CLOSURE_REASONS`]: the returnee left the
/// programme without it ending (re-migration, lost contact). Reports count
/// them apart from completed support.
pub const ABRUPT_CLOSURE_REASONS: [&str; 2] = ["re_migrated", "lost_contact"];

/// Whether `reason` is an abrupt exit.
pub fn is_abrupt(reason: &str) -> bool {
    ABRUPT_CLOSURE_REASONS.contains(&reason)
}

/// Checks a closure: a reason of [`CLOSURE_REASONS`] and an optional note.
pub fn validate_closure(reason: Option<&str>, note: Option<&str>) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match clean(reason) {
        None => inv.add("reason", "required"),
        Some(r) if !CLOSURE_REASONS.contains(&r.as_str()) => inv.add("reason", "invalid-choice"),
        Some(_) => {}
    }
    validation::text(&mut inv, "note", note, false, DESCRIPTION_MAX);
    inv.into_result()
}

/// Checks a reopening: a free-text reason is required (it goes to the audit
/// trail), whatever the closure reason was (a death recorded in error too).
pub fn validate_reopen(reason: Option<&str>) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    validation::text(&mut inv, "reason", reason, true, DESCRIPTION_MAX);
    inv.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use PurchaseStatus::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cad() -> Currency {
        Currency::parse("CAD").unwrap()
    }

    fn huf() -> Currency {
        Currency::parse("HUF").unwrap()
    }

    fn cad_m(minor: i64) -> Money {
        Money::new(minor, cad())
    }

    fn component(cat: &str, dim: &str, budget: &str) -> PlanComponent {
        validate_component(
            &PlanComponentInput {
                dimension: Some(dim.into()),
                category: Some(cat.into()),
                description: Some("Six months' rent, paid to the landlord".into()),
                budget: Some(budget.into()),
            },
            cad(),
        )
        .unwrap()
    }

    #[test]
    fn choices_round_trip() {
        for x in Dimension::ALL {
            assert_eq!(Dimension::parse(x.as_str()), Some(x));
        }
        for x in Category::ALL {
            assert_eq!(Category::parse(x.as_str()), Some(x));
            assert!(!x.dimensions().is_empty());
        }
        for x in PurchaseStatus::ALL {
            assert_eq!(PurchaseStatus::parse(x.as_str()), Some(x));
        }
        assert_eq!(Category::parse("cash"), None);
        assert_eq!(
            serde_json::to_string(&Category::BusinessStartup).unwrap(),
            "\"business_startup\""
        );
    }

    #[test]
    fn arrival_is_checked() {
        let ok = ArrivalInput {
            arrived_on: Some(d("2012-09-02")),
            place: Some("Budapest Liszt Ferenc airport".into()),
        };
        assert!(validate_arrival(&ok, d("2012-09-01"), d("2012-09-03")).is_ok());
        let e = validate_arrival(&ok, d("2012-09-03"), d("2012-09-05")).unwrap_err();
        assert_eq!(e.for_field("arrived_on"), Some("arrival-before-departure"));
        let e = validate_arrival(&ok, d("2012-09-01"), d("2012-09-01")).unwrap_err();
        assert_eq!(e.for_field("arrived_on"), Some("in-the-future"));
        let e = validate_arrival(&ArrivalInput::default(), d("2012-09-01"), d("2012-09-03"))
            .unwrap_err();
        assert_eq!(e.for_field("arrived_on"), Some("required"));
        assert_eq!(e.for_field("place"), Some("required"));
    }

    #[test]
    fn the_plan_is_due_thirty_days_after_arrival() {
        assert_eq!(plan_due(d("2012-09-02")), d("2012-10-02"));
        assert_eq!(plan_due(d("2012-02-15")), d("2012-03-16"));
        assert!(!is_plan_overdue(d("2012-09-02"), d("2012-10-02")));
        assert!(is_plan_overdue(d("2012-09-02"), d("2012-10-03")));
    }

    #[test]
    fn components_are_checked() {
        let c = component("housing", "social", "750");
        assert_eq!(c.budget, cad_m(75_000));
        assert_eq!(c.category, Category::Housing);
        let bad = |i: PlanComponentInput| validate_component(&i, cad()).unwrap_err();
        let e = bad(PlanComponentInput::default());
        assert_eq!(e.for_field("dimension"), Some("required"));
        assert_eq!(e.for_field("category"), Some("required"));
        assert_eq!(e.for_field("description"), Some("required"));
        assert_eq!(e.for_field("budget"), Some("required"));
        let e = bad(PlanComponentInput {
            dimension: Some("spiritual".into()),
            category: Some("cash".into()),
            description: Some("x".repeat(2001)),
            budget: Some("-5".into()),
        });
        assert_eq!(e.for_field("dimension"), Some("invalid-choice"));
        assert_eq!(e.for_field("category"), Some("invalid-choice"));
        assert_eq!(e.for_field("description"), Some("too-long"));
        assert_eq!(e.for_field("budget"), Some("negative-amount"));
        let e = bad(PlanComponentInput {
            dimension: Some("psychosocial".into()),
            category: Some("business_startup".into()),
            description: Some("A market stall".into()),
            budget: Some("0".into()),
        });
        assert_eq!(e.for_field("category"), Some("category-not-in-dimension"));
        assert_eq!(e.for_field("budget"), Some("zero-amount"));
        let e = bad(PlanComponentInput {
            budget: Some("12,345".into()),
            ..PlanComponentInput::default()
        });
        assert_eq!(e.for_field("budget"), Some("too-many-decimals"));
    }

    #[test]
    fn the_plan_may_reach_but_not_exceed_the_entitlement() {
        let ent = cad_m(200_000);
        let plan = vec![
            component("housing", "social", "760"),
            component("daily_necessities", "economic", "700"),
            component("business_startup", "economic", "540"),
        ];
        assert_eq!(plan_total(&plan, cad()).unwrap(), cad_m(200_000));
        assert!(check_plan_within(&plan, ent).is_ok());
        assert!(check_plan_for_approval(&plan, ent).is_ok());
        let mut over = plan.clone();
        over.push(component("education", "social", "0.01"));
        let e = check_plan_within(&over, ent).unwrap_err();
        assert_eq!(e.for_field("budget"), Some("plan-exceeds-entitlement"));
        let e = check_plan_for_approval(&[], ent).unwrap_err();
        assert_eq!(e.for_field("components"), Some("plan-empty"));
        assert!(check_plan_within(&[], ent).is_ok());
    }

    #[test]
    fn a_plan_in_another_currency_is_refused() {
        let plan = vec![component("housing", "social", "500")];
        let e = check_plan_within(&plan, Money::new(200_000, Currency::parse("USD").unwrap()))
            .unwrap_err();
        assert_eq!(e.for_field("budget"), Some("currency-mismatch"));
    }

    #[test]
    fn only_a_supervisor_approves_a_plan() {
        for r in Role::ALL {
            assert_eq!(may_approve_plan(r), r == Role::Supervisor);
        }
    }

    #[test]
    fn vendors_are_checked() {
        let v = validate_vendor(&VendorInput {
            name: Some(" Kovács Bútor Kft. ".into()),
            country: Some("hu".into()),
            categories: vec!["housing".into(), "daily_necessities".into()],
            contact: None,
        })
        .unwrap();
        assert_eq!(v.country, "HU");
        assert_eq!(v.name, "Kovács Bútor Kft.");
        assert!(check_vendor_for_purchase(&v, true, "HU", Category::Housing).is_ok());
        let code = |r: Result<(), Invalid>| r.unwrap_err().for_field("vendor").map(String::from);
        assert_eq!(
            code(check_vendor_for_purchase(&v, true, "CO", Category::Housing)).as_deref(),
            Some("vendor-other-country")
        );
        assert_eq!(
            code(check_vendor_for_purchase(
                &v,
                true,
                "HU",
                Category::Education
            ))
            .as_deref(),
            Some("vendor-category")
        );
        assert_eq!(
            code(check_vendor_for_purchase(
                &v,
                false,
                "HU",
                Category::Housing
            ))
            .as_deref(),
            Some("vendor-inactive")
        );
        let e = validate_vendor(&VendorInput {
            name: None,
            country: Some("HUN".into()),
            categories: vec!["cash".into()],
            contact: None,
        })
        .unwrap_err();
        assert_eq!(e.for_field("name"), Some("required"));
        assert_eq!(e.for_field("country"), Some("invalid-country"));
        assert_eq!(e.for_field("categories"), Some("invalid-choice"));
    }

    fn request(amount: &str, currency: &str, rate: Option<&str>) -> PurchaseRequestInput {
        PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("Rent, September to November".into()),
            amount: Some(amount.into()),
            currency: Some(currency.into()),
            rate: rate.map(Into::into),
            rate_source: Some("Magyar Nemzeti Bank, official rate".into()),
            rate_date: Some(d("2012-09-03")),
            vendor_id: None,
        }
    }

    #[test]
    fn a_purchase_in_local_currency_is_converted() {
        let p = validate_purchase_request(
            &request("150 000", "HUF", Some("0,0043")),
            cad(),
            d("2012-09-04"),
        )
        .unwrap();
        assert_eq!(p.local, Money::new(15_000_000, huf()));
        assert_eq!(p.programme, cad_m(64_500));
        assert_eq!(p.rate.from(), huf());
        assert_eq!(p.rate_date, Some(d("2012-09-03")));
    }

    #[test]
    fn a_purchase_in_programme_currency_needs_no_rate() {
        let mut i = request("120", "cad", None);
        i.rate_source = None;
        i.rate_date = None;
        let p = validate_purchase_request(&i, cad(), d("2012-09-04")).unwrap();
        assert_eq!(p.programme, cad_m(12_000));
        assert_eq!(p.rate, ExchangeRate::identity(cad()));
        i.rate = Some("1.0".into());
        assert!(validate_purchase_request(&i, cad(), d("2012-09-04")).is_ok());
        i.rate = Some("1.5".into());
        let e = validate_purchase_request(&i, cad(), d("2012-09-04")).unwrap_err();
        assert_eq!(e.for_field("rate"), Some("same-currency"));
    }

    #[test]
    fn bad_purchase_requests_are_refused() {
        let today = d("2012-09-04");
        let code = |i: PurchaseRequestInput, f: &str| {
            validate_purchase_request(&i, cad(), today)
                .unwrap_err()
                .for_field(f)
                .map(String::from)
        };
        assert_eq!(
            code(request("-5", "HUF", Some("0.0043")), "amount").as_deref(),
            Some("negative-amount")
        );
        assert_eq!(
            code(request("0", "HUF", Some("0.0043")), "amount").as_deref(),
            Some("zero-amount")
        );
        assert_eq!(
            code(request("5", "XYZ", Some("0.0043")), "currency").as_deref(),
            Some("unknown-currency")
        );
        assert_eq!(
            code(request("5", "HUF", Some("0")), "rate").as_deref(),
            Some("rate-zero")
        );
        assert_eq!(
            code(request("5", "HUF", Some("-0.0043")), "rate").as_deref(),
            Some("rate-negative")
        );
        assert_eq!(
            code(request("5", "HUF", Some("cheap")), "rate").as_deref(),
            Some("not-a-rate")
        );
        assert_eq!(
            code(request("5", "HUF", Some("2000000000")), "rate").as_deref(),
            Some("rate-out-of-range")
        );
        assert_eq!(
            code(request("5", "HUF", None), "rate").as_deref(),
            Some("required")
        );
        // 0.01 HUF at 0.0043 is 0.000043 CAD: nothing to pay.
        assert_eq!(
            code(request("0.01", "HUF", Some("0.0043")), "amount").as_deref(),
            Some("converts-to-zero")
        );
        let mut i = request("5", "HUF", Some("0.0043"));
        i.rate_source = Some("  ".into());
        i.rate_date = Some(d("2012-09-05"));
        let e = validate_purchase_request(&i, cad(), today).unwrap_err();
        assert_eq!(e.for_field("rate_source"), Some("required"));
        assert_eq!(e.for_field("rate_date"), Some("in-the-future"));
    }

    fn ctx(requester: bool, reason: Option<&str>, receipt: bool) -> PurchaseContext<'_> {
        PurchaseContext {
            actor_is_requester: requester,
            reason,
            has_receipt: receipt,
        }
    }

    #[test]
    fn the_purchase_happy_path() {
        let f = Role::Finance;
        let mo = Role::MissionOfficer;
        assert!(may_request_purchase(mo));
        assert!(!may_request_purchase(f));
        check_purchase_transition(Requested, Approved, f, &ctx(false, None, false)).unwrap();
        check_purchase_transition(Approved, Paid, f, &ctx(false, None, true)).unwrap();
        check_purchase_transition(Paid, Delivered, mo, &ctx(true, None, false)).unwrap();
        assert!(Delivered.is_terminal());
        assert!(Rejected.is_terminal());
        assert!(Cancelled.is_terminal());
    }

    #[test]
    fn four_eyes() {
        // Finance approving (or rejecting, or paying) their own request.
        assert_eq!(
            check_purchase_transition(Requested, Approved, Role::Finance, &ctx(true, None, true)),
            Err(PurchaseError::FourEyes)
        );
        assert_eq!(
            check_purchase_transition(
                Requested,
                Rejected,
                Role::Finance,
                &ctx(true, Some("no"), false)
            ),
            Err(PurchaseError::FourEyes)
        );
        assert_eq!(
            check_purchase_transition(Approved, Paid, Role::Finance, &ctx(true, None, true)),
            Err(PurchaseError::FourEyes)
        );
        assert_eq!(PurchaseError::FourEyes.code(), "four-eyes");
        // Nobody but finance approves, whoever they are.
        for r in Role::ALL.into_iter().filter(|r| *r != Role::Finance) {
            assert_eq!(
                check_purchase_transition(Requested, Approved, r, &ctx(false, None, true)),
                Err(PurchaseError::Forbidden),
                "{r:?}"
            );
        }
    }

    #[test]
    fn payment_follows_approval_and_needs_a_receipt() {
        assert_eq!(
            check_purchase_transition(Requested, Paid, Role::Finance, &ctx(false, None, true)),
            Err(PurchaseError::NotAllowed {
                from: Requested,
                to: Paid
            })
        );
        assert_eq!(
            check_purchase_transition(Approved, Paid, Role::Finance, &ctx(false, None, false)),
            Err(PurchaseError::ReceiptRequired)
        );
        assert_eq!(
            check_purchase_transition(
                Approved,
                Delivered,
                Role::MissionOfficer,
                &ctx(false, None, true)
            )
            .map_err(PurchaseError::code),
            Err("purchase-transition-not-allowed")
        );
    }

    #[test]
    fn rejecting_and_cancelling_need_a_reason() {
        assert_eq!(
            check_purchase_transition(
                Requested,
                Rejected,
                Role::Finance,
                &ctx(false, Some(" "), false)
            ),
            Err(PurchaseError::ReasonRequired)
        );
        assert_eq!(
            check_purchase_transition(
                Requested,
                Cancelled,
                Role::MissionOfficer,
                &ctx(true, None, false)
            ),
            Err(PurchaseError::ReasonRequired)
        );
        check_purchase_transition(
            Requested,
            Cancelled,
            Role::MissionOfficer,
            &ctx(true, Some("vendor closed"), false),
        )
        .unwrap();
        assert!(purchase_reason_required(Approved, Cancelled));
        assert!(!purchase_reason_required(Requested, Approved));
        // The mission officer cannot cancel once finance has committed.
        assert_eq!(
            check_purchase_transition(
                Approved,
                Cancelled,
                Role::MissionOfficer,
                &ctx(true, Some("x"), false)
            ),
            Err(PurchaseError::Forbidden)
        );
    }

    #[test]
    fn allowed_targets_agree_with_check() {
        for s in PurchaseStatus::ALL {
            for r in Role::ALL {
                for t in allowed_purchase_targets(s, r) {
                    assert!(
                        check_purchase_transition(s, t, r, &ctx(false, Some("r"), true)).is_ok(),
                        "{s:?}->{t:?} by {r:?}"
                    );
                }
            }
        }
        assert_eq!(
            allowed_purchase_targets(Requested, Role::Finance),
            vec![Approved, Rejected]
        );
    }

    #[test]
    fn the_ledger_of_a_case() {
        // CAD 2,000 entitlement; a plan of CAD 1,900; five purchases in HUF
        // and one in CAD.
        let ent = cad_m(200_000);
        let plan = vec![
            component("housing", "social", "1000"),
            component("daily_necessities", "economic", "900"),
        ];
        let line = |status, local_minor, cur: Currency, cad_minor| PurchaseLine {
            status,
            local: Money::new(local_minor, cur),
            programme: cad_m(cad_minor),
        };
        let purchases = vec![
            line(Delivered, 15_000_000, huf(), 64_500), // rent: 150,000 HUF = 645 CAD
            line(Paid, 5_000_000, huf(), 21_500),       // furniture: 50,000 HUF = 215 CAD
            line(Approved, 7_000_000, huf(), 30_100),   // food: 70,000 HUF = 301 CAD
            line(Requested, 2_000_000, huf(), 8_600),   // clothes: 20,000 HUF = 86 CAD
            line(Rejected, 9_000_000, huf(), 38_700),
            line(Cancelled, 1_000_000, huf(), 4_300),
            line(Paid, 12_000, cad(), 12_000), // bus pass bought in CAD: 120 CAD
        ];
        let l = ledger(ent, &plan, &purchases).unwrap();
        assert_eq!(l.budgeted, cad_m(190_000));
        assert_eq!(l.requested, cad_m(8_600));
        assert_eq!(l.committed, cad_m(30_100));
        assert_eq!(l.paid, cad_m(64_500 + 21_500 + 12_000));
        assert_eq!(l.remaining, cad_m(200_000 - 30_100 - 98_000));
        assert_eq!(l.spent().unwrap(), cad_m(128_100));
        assert_eq!(l.local.len(), 2);
        assert_eq!(l.local[0].currency, cad());
        assert_eq!(l.local[0].paid, cad_m(12_000));
        let h = &l.local[1];
        assert_eq!(h.currency, huf());
        assert_eq!(h.requested, Money::new(2_000_000, huf()));
        assert_eq!(h.committed, Money::new(7_000_000, huf()));
        assert_eq!(h.paid, Money::new(20_000_000, huf()));
        // The requested 86 CAD still fits; 720 CAD would not.
        assert!(fits_under_cap(ent, l.spent().unwrap(), cad_m(8_600)));
        assert!(fits_under_cap(ent, l.spent().unwrap(), cad_m(71_900)));
        assert!(!fits_under_cap(ent, l.spent().unwrap(), cad_m(71_901)));
    }

    #[test]
    fn the_ledger_refuses_another_programme_currency() {
        let p = PurchaseLine {
            status: Approved,
            local: Money::new(100, huf()),
            programme: Money::new(100, Currency::parse("USD").unwrap()),
        };
        assert_eq!(
            ledger(cad_m(1000), &[], &[p]),
            Err(MoneyError::CurrencyMismatch)
        );
    }

    #[test]
    fn fits_under_cap_edges() {
        let ent = cad_m(100_000);
        assert!(fits_under_cap(ent, cad_m(0), cad_m(100_000)));
        assert!(!fits_under_cap(ent, cad_m(0), cad_m(100_001)));
        assert!(!fits_under_cap(ent, cad_m(0), cad_m(0)));
        assert!(!fits_under_cap(ent, cad_m(0), cad_m(-5)));
        assert!(!fits_under_cap(ent, cad_m(-5), cad_m(5)));
        assert!(!fits_under_cap(ent, cad_m(i64::MAX), cad_m(1)));
        assert!(!fits_under_cap(ent, cad_m(0), Money::new(5, huf())));
    }

    #[test]
    fn closure_and_reopening() {
        assert!(validate_closure(Some("support_period_ended"), None).is_ok());
        assert!(validate_closure(Some("lost_contact"), Some("no answer since May")).is_ok());
        assert_eq!(
            validate_closure(None, None)
                .unwrap_err()
                .for_field("reason"),
            Some("required")
        );
        assert_eq!(
            validate_closure(Some("deported"), None)
                .unwrap_err()
                .for_field("reason"),
            Some("invalid-choice")
        );
        assert!(is_abrupt("re_migrated") && is_abrupt("lost_contact"));
        assert!(!is_abrupt("died") && !is_abrupt("support_period_ended"));
        assert!(ABRUPT_CLOSURE_REASONS
            .iter()
            .all(|r| CLOSURE_REASONS.contains(r)));
        assert!(validate_reopen(Some("recorded on the wrong case")).is_ok());
        assert_eq!(
            validate_reopen(Some("  ")).unwrap_err().for_field("reason"),
            Some("required")
        );
    }

    #[derive(Debug, Clone)]
    enum Step {
        Request(i64),
        Pay(usize),
        Deliver(usize),
        Cancel(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (1i64..150_000).prop_map(Step::Request),
            (0usize..20).prop_map(Step::Pay),
            (0usize..20).prop_map(Step::Deliver),
            (0usize..20).prop_map(Step::Cancel),
        ]
    }

    proptest! {
        /// A store that approves only what `fits_under_cap` allows never
        /// drives the remaining amount below zero.
        #[test]
        fn remaining_never_negative_when_the_cap_is_respected(
            ent in 0i64..500_000,
            steps in proptest::collection::vec(step(), 0..40),
        ) {
            let ent = cad_m(ent);
            let mut lines: Vec<PurchaseLine> = Vec::new();
            for s in steps {
                match s {
                    Step::Request(amount) => {
                        let l = ledger(ent, &[], &lines).unwrap();
                        let status = if fits_under_cap(ent, l.spent().unwrap(), cad_m(amount)) {
                            Approved
                        } else {
                            Rejected
                        };
                        lines.push(PurchaseLine {
                            status,
                            local: Money::new(amount * 230, huf()),
                            programme: cad_m(amount),
                        });
                    }
                    Step::Pay(i) => {
                        if let Some(l) = lines.get_mut(i).filter(|l| l.status == Approved) {
                            l.status = Paid;
                        }
                    }
                    Step::Deliver(i) => {
                        if let Some(l) = lines.get_mut(i).filter(|l| l.status == Paid) {
                            l.status = Delivered;
                        }
                    }
                    Step::Cancel(i) => {
                        if let Some(l) = lines.get_mut(i).filter(|l| l.status == Approved) {
                            l.status = Cancelled;
                        }
                    }
                }
                let l = ledger(ent, &[], &lines).unwrap();
                prop_assert!(l.remaining.minor >= 0);
                prop_assert_eq!(
                    l.remaining.minor + l.committed.minor + l.paid.minor,
                    ent.minor
                );
            }
        }
    }
}
