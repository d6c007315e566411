//! A case's money: entitlement, budgeted, requested, committed, paid and what remains.

use super::plan::*;
use super::purchases::*;
use crate::money::{Currency, Money, MoneyError};
use serde::Serialize;

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
    /// entitlement − requested − committed − paid: what is left once every
    /// request waiting for finance is counted.
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
        remaining: entitlement
            .checked_sub(requested)?
            .checked_sub(committed)?
            .checked_sub(paid)?,
        local,
    })
}

impl Ledger {
    /// Committed + paid: what [`fits_under_cap`] takes as `already`.
    pub fn spent(&self) -> Result<Money, MoneyError> {
        self.committed.checked_add(self.paid)
    }
}
