//! In-kind purchases: the request, its four-eyes approval and payment, as a state machine.

use super::category::*;
use crate::money::{convert, Currency, ExchangeRate, Money};
use crate::role::Role;
use crate::validation::{self, clean, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A purchase request, as the mission officer submits it. Amounts and rates
/// are text as typed; the domain reads them (see [`crate::money`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"vendor_id": "7d3f7c1e-2b4a-4c5e-9f1a-0b6e2d8c4a10", "category": "housing",
    "description": "First month's rent, flat 3, Széchenyi utca 12, Miskolc",
    "amount": "150000", "currency": "HUF", "rate": "0.0037",
    "rate_source": "Magyar Nemzeti Bank", "rate_date": "2027-03-20"})))]
pub struct PurchaseRequestInput {
    /// A category identifier (see the plan's components). Required.
    #[serde(default)]
    pub category: Option<String>,
    /// What is bought (up to 2,000 characters). Required.
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
    /// The registered vendor IOM pays (in kind, never cash to the returnee):
    /// required, active, in the case's country of return and offering the
    /// category.
    #[serde(default)]
    pub vendor_id: Option<uuid::Uuid>,
    /// Why the purchase goes above its category's line in the plan; needed
    /// only then (up to 2,000 characters), and shown to the approver.
    #[serde(default)]
    pub over_plan_reason: Option<String>,
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
