//! What the store asks before it writes a purchase: may this request be
//! recorded, may this purchase move, may this payment be recorded, does this
//! approval fit under the cap. The store reads the facts (the case's status
//! and entitlement, the vendor, the purchase as stored, the budget row),
//! asks one function here, and writes what it returns; every refusal comes
//! back located on its field.

use super::category::*;
use super::fits_under_cap;
use super::purchases::*;
use super::vendors::*;
use crate::money::{Currency, Money};
use crate::role::Role;
use crate::validation::Invalid;
use crate::workflow::{self, CaseStatus};
use chrono::NaiveDate;
use uuid::Uuid;

/// Whether purchases may be requested for a case in `status`: the person has
/// returned (departed, reintegrating, monitoring) and the case is open.
pub fn takes_purchases(status: CaseStatus) -> bool {
    status.is_after_departure() && status != CaseStatus::Closed
}

/// What the store read for a purchase request.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseRequestFacts<'a> {
    pub case_status: CaseStatus,
    /// The case's entitlement (the cap), `None` when it has none.
    pub entitlement: Option<Money>,
    /// The case's country of return (ISO 3166-1 alpha-2), if recorded.
    pub country_of_return: Option<&'a str>,
    /// The vendor the request names and whether it is active; `None` when
    /// the request names none or no vendor has that id.
    pub vendor: Option<(&'a Vendor, bool)>,
    /// Today, for the rate's date.
    pub today: NaiveDate,
    /// The plan's line for the request's category: its budget and what is
    /// already requested, approved or paid in it; `None` when the case has
    /// no plan yet (then there is no line to stay within).
    pub plan_line: Option<PlanLine>,
}

/// A category's line in the reintegration plan, in the programme's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLine {
    /// The plan's budget for the category (zero when the plan has none).
    pub budget: Money,
    /// Requested, approved, paid or delivered in the category already.
    pub used: Money,
}

/// A purchase request to write, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedPurchaseRequest {
    pub request: PurchaseRequest,
    pub vendor_id: Uuid,
    /// The entitlement the case's budget row holds from now on.
    pub entitlement: Money,
    /// The exchange rate as stored: programme units per local unit, as a fraction.
    pub rate_numerator: i64,
    pub rate_denominator: i64,
    /// Why it goes above its plan line, when it does.
    pub over_plan_reason: Option<String>,
}

/// Whether `amount` goes above `line` once added to what it already holds.
pub fn above_plan_line(line: &PlanLine, amount: Money) -> bool {
    line.used
        .checked_add(amount)
        .map(|total| total.minor > line.budget.minor)
        .unwrap_or(true)
}

/// Decides a purchase request: the case must have returned (`case`:
/// `case-not-returned`) and have an entitlement (`case`: `no-entitlement`),
/// each refused alone; then the request itself
/// ([`validate_purchase_request`], in the entitlement's currency) and its
/// vendor (`vendor`: `required`, `unknown-vendor`, `vendor-inactive`,
/// `vendor-other-country`, `vendor-category`) are reported together, with
/// the reason a purchase above its plan line needs (`over_plan_reason`:
/// `over-plan-line`, `too-long`). A rate too large to store is `rate`:
/// `rate-out-of-range`.
pub fn decide_purchase_request(
    i: &PurchaseRequestInput,
    facts: &PurchaseRequestFacts,
) -> Result<DecidedPurchaseRequest, Invalid> {
    if !takes_purchases(facts.case_status) {
        return Err(Invalid::one("case", "case-not-returned"));
    }
    let Some(entitlement) = facts.entitlement else {
        return Err(Invalid::one("case", "no-entitlement"));
    };
    let mut inv = Invalid::default();
    let request = match validate_purchase_request(i, entitlement.currency, facts.today) {
        Ok(r) => Some(r),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    let vendor_id = match (i.vendor_id, facts.vendor) {
        (None, _) => {
            inv.add("vendor", "required");
            None
        }
        (Some(_), None) => {
            inv.add("vendor", "unknown-vendor");
            None
        }
        (Some(id), Some((vendor, active))) => {
            let category = i
                .category
                .as_deref()
                .and_then(|c| Category::parse(c.trim()));
            // An unknown category is reported on its own field; then only the
            // vendor's state and country are checked here.
            let category = category
                .or_else(|| vendor.categories.first().copied())
                .unwrap_or(Category::Housing);
            let country = facts.country_of_return.unwrap_or("");
            if let Err(e) = check_vendor_for_purchase(vendor, active, country, category) {
                inv.errors.extend(e.errors);
            }
            Some(id)
        }
    };
    let reason = i
        .over_plan_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let over = match (&request, &facts.plan_line) {
        (Some(r), Some(line)) => above_plan_line(line, r.programme),
        _ => false,
    };
    if over && reason.is_none() {
        inv.add("over_plan_reason", "over-plan-line");
    }
    if reason.is_some_and(|r| r.chars().count() > 2000) {
        inv.add("over_plan_reason", "too-long");
    }
    let (Some(request), Some(vendor_id), true) = (request, vendor_id, inv.errors.is_empty()) else {
        return Err(inv);
    };
    let stored = |n: u64| i64::try_from(n).map_err(|_| Invalid::one("rate", "rate-out-of-range"));
    let rate_numerator = stored(request.rate.numerator())?;
    let rate_denominator = stored(request.rate.denominator())?;
    Ok(DecidedPurchaseRequest {
        request,
        vendor_id,
        entitlement,
        rate_numerator,
        rate_denominator,
        over_plan_reason: reason.filter(|_| over).map(str::to_string),
    })
}

/// The status a purchase is asked to move to (`to`: `invalid-choice`).
pub fn purchase_target(to: &str) -> Result<PurchaseStatus, Invalid> {
    PurchaseStatus::parse(to).ok_or_else(|| Invalid::one("to", "invalid-choice"))
}

/// What the store read of a purchase and who is moving it.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseMoveFacts {
    /// The purchase's status as stored.
    pub from: PurchaseStatus,
    /// The role of the person acting.
    pub role: Role,
    /// Whether the person acting requested the purchase.
    pub actor_is_requester: bool,
    /// Whether a receipt is attached.
    pub has_receipt: bool,
}

/// Decides moving a purchase to `to`: the reason, trimmed, is at most
/// [`workflow::MAX_REASON`] characters (`reason`: `too-long`), then the move
/// must be one `facts.role` may make ([`check_purchase_transition`]; `to`:
/// its code, e.g. `four-eyes`). Returns the reason to keep.
pub fn decide_purchase_move(
    facts: &PurchaseMoveFacts,
    to: PurchaseStatus,
    reason: Option<&str>,
) -> Result<Option<String>, Invalid> {
    // The same bound as a case's reasons.
    let reason = workflow::reason_of(reason)?;
    let ctx = PurchaseContext {
        actor_is_requester: facts.actor_is_requester,
        reason,
        has_receipt: facts.has_receipt,
    };
    check_purchase_transition(facts.from, to, facts.role, &ctx)
        .map_err(|e| Invalid::one("to", e.code()))?;
    Ok(reason.map(str::to_string))
}

/// Decides recording the payment of a purchase with `receipt` (its bytes):
/// the move to paid must be one `facts.role` may make, counting the receipt
/// that comes with it (`to`: e.g. `four-eyes`), then the receipt must be a
/// PDF, PNG or JPEG within the size limit (`receipt`: `required`,
/// `file-too-large`, `file-type`). Returns the receipt's content type.
pub fn decide_payment(facts: &PurchaseMoveFacts, receipt: &[u8]) -> Result<&'static str, Invalid> {
    let with_receipt = PurchaseMoveFacts {
        has_receipt: true,
        ..*facts
    };
    decide_purchase_move(&with_receipt, PurchaseStatus::Paid, None)?;
    crate::files::check_upload("receipt", receipt)
}

/// Decides whether approving a purchase of `amount_minor` fits under the
/// case's budget row, read inside the approval's lock: its entitlement
/// (minor units and currency code, `None` when the case has no budget row:
/// `case`: `no-entitlement`) with `spent_minor` already approved, paid or
/// delivered. An unreadable currency is `currency`: its code; too much is
/// `amount`: `purchase-exceeds-entitlement`.
pub fn decide_approval(
    budget: Option<(i64, &str)>,
    spent_minor: i64,
    amount_minor: i64,
) -> Result<(), Invalid> {
    let (cap_minor, code) = budget.ok_or_else(|| Invalid::one("case", "no-entitlement"))?;
    let currency = Currency::parse(code).map_err(|e| Invalid::one("currency", e.code()))?;
    let fits = fits_under_cap(
        Money::new(cap_minor, currency),
        Money::new(spent_minor, currency),
        Money::new(amount_minor, currency),
    );
    if fits {
        Ok(())
    } else {
        Err(Invalid::one("amount", "purchase-exceeds-entitlement"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cad(minor: i64) -> Money {
        Money::new(minor, Currency::parse("CAD").unwrap())
    }

    fn hungarian() -> Vendor {
        Vendor {
            name: "Debreceni Lakás Kft.".into(),
            country: "HU".into(),
            categories: vec![Category::Housing, Category::DailyNecessities],
            contact: None,
        }
    }

    fn input(vendor_id: Option<Uuid>) -> PurchaseRequestInput {
        PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("Three months' rent, Debrecen".into()),
            amount: Some("100".into()),
            currency: Some("CAD".into()),
            vendor_id,
            ..Default::default()
        }
    }

    fn facts(vendor: Option<(&Vendor, bool)>) -> PurchaseRequestFacts<'_> {
        PurchaseRequestFacts {
            case_status: CaseStatus::Reintegrating,
            entitlement: Some(cad(200_000)),
            country_of_return: Some("HU"),
            vendor,
            today: d("2027-03-21"),
            plan_line: None,
        }
    }

    #[test]
    fn above_its_plan_line_a_purchase_needs_a_reason_kept_for_the_approver() {
        let v = hungarian();
        let id = Uuid::new_v4();
        let line = PlanLine {
            budget: cad(120_000),
            used: cad(115_000),
        };
        let f = PurchaseRequestFacts {
            plan_line: Some(line),
            ..facts(Some((&v, true)))
        };
        // CAD 100 on top of CAD 1,150 against CAD 1,200: above.
        let e = decide_purchase_request(&input(Some(id)), &f).unwrap_err();
        assert_eq!(codes(&e), vec![("over_plan_reason", "over-plan-line")]);
        let with = PurchaseRequestInput {
            over_plan_reason: Some("  The landlord asks for a deposit.  ".into()),
            ..input(Some(id))
        };
        let r = decide_purchase_request(&with, &f).unwrap();
        assert_eq!(
            r.over_plan_reason.as_deref(),
            Some("The landlord asks for a deposit.")
        );
        // Within the line, a reason typed anyway is not kept as a warning.
        let within = PurchaseRequestFacts {
            plan_line: Some(PlanLine {
                budget: cad(120_000),
                used: cad(0),
            }),
            ..facts(Some((&v, true)))
        };
        assert_eq!(
            decide_purchase_request(&with, &within)
                .unwrap()
                .over_plan_reason,
            None
        );
        // Exactly up to the line is within it.
        assert!(!above_plan_line(
            &PlanLine {
                budget: cad(100),
                used: cad(0)
            },
            cad(100)
        ));
    }

    fn codes(e: &Invalid) -> Vec<(&str, &str)> {
        e.errors
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect()
    }

    #[test]
    fn only_a_returned_open_case_takes_purchases() {
        for s in CaseStatus::ALL {
            let returned = matches!(
                s,
                CaseStatus::Departed | CaseStatus::Reintegrating | CaseStatus::Monitoring
            );
            assert_eq!(takes_purchases(s), returned, "{s:?}");
        }
    }

    #[test]
    fn a_good_request_is_decided_with_its_vendor_and_rate() {
        let v = hungarian();
        let id = Uuid::new_v4();
        let r = decide_purchase_request(&input(Some(id)), &facts(Some((&v, true)))).unwrap();
        assert_eq!(r.vendor_id, id);
        assert_eq!(r.entitlement, cad(200_000));
        assert_eq!(r.request.programme, cad(10_000));
        assert_eq!((r.rate_numerator, r.rate_denominator), (1, 1));
        assert_eq!(r.request.category, Category::Housing);
    }

    #[test]
    fn a_case_not_returned_or_without_entitlement_is_refused_alone() {
        let v = hungarian();
        let bad = PurchaseRequestInput {
            vendor_id: None,
            amount: Some("-5".into()),
            ..input(None)
        };
        for status in [CaseStatus::Eligible, CaseStatus::Closed] {
            let f = PurchaseRequestFacts {
                case_status: status,
                ..facts(Some((&v, true)))
            };
            let e = decide_purchase_request(&bad, &f).unwrap_err();
            assert_eq!(codes(&e), [("case", "case-not-returned")]);
        }
        let f = PurchaseRequestFacts {
            entitlement: None,
            ..facts(Some((&v, true)))
        };
        let e = decide_purchase_request(&bad, &f).unwrap_err();
        assert_eq!(codes(&e), [("case", "no-entitlement")]);
    }

    #[test]
    fn each_vendor_problem_is_on_the_vendor_field() {
        let v = hungarian();
        let id = Some(Uuid::new_v4());
        let mexican = Vendor {
            country: "MX".into(),
            ..hungarian()
        };
        let education = PurchaseRequestInput {
            category: Some("education".into()),
            ..input(id)
        };
        for (i, vendor, code) in [
            (input(None), Some((&v, true)), "required"),
            (input(id), None, "unknown-vendor"),
            (input(id), Some((&v, false)), "vendor-inactive"),
            (input(id), Some((&mexican, true)), "vendor-other-country"),
            (education, Some((&v, true)), "vendor-category"),
        ] {
            let e = decide_purchase_request(&i, &facts(vendor)).unwrap_err();
            assert_eq!(codes(&e), [("vendor", code)], "{i:?}");
        }
    }

    #[test]
    fn request_and_vendor_problems_come_together_request_first() {
        let bad = PurchaseRequestInput {
            amount: Some("-5".into()),
            ..input(None)
        };
        let e = decide_purchase_request(&bad, &facts(None)).unwrap_err();
        assert_eq!(
            codes(&e),
            [("amount", "negative-amount"), ("vendor", "required")]
        );
        // An unknown category is its own error; the vendor is then checked
        // against the first category it offers.
        let v = hungarian();
        let cash = PurchaseRequestInput {
            category: Some("cash".into()),
            ..input(Some(Uuid::new_v4()))
        };
        let e = decide_purchase_request(&cash, &facts(Some((&v, true)))).unwrap_err();
        assert_eq!(codes(&e), [("category", "invalid-choice")]);
    }

    #[test]
    fn the_request_is_read_in_the_entitlements_currency() {
        let v = hungarian();
        let huf = PurchaseRequestInput {
            amount: Some("150000".into()),
            currency: Some("HUF".into()),
            ..input(Some(Uuid::new_v4()))
        };
        let e = decide_purchase_request(&huf, &facts(Some((&v, true)))).unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("rate_source", "required"),
                ("rate_date", "required"),
                ("rate", "required")
            ]
        );
        let priced = PurchaseRequestInput {
            rate: Some("0.0038".into()),
            rate_source: Some("Magyar Nemzeti Bank".into()),
            rate_date: Some(d("2027-03-20")),
            ..huf
        };
        let r = decide_purchase_request(&priced, &facts(Some((&v, true)))).unwrap();
        assert_eq!(r.request.programme, cad(57_000));
        assert_eq!((r.rate_numerator, r.rate_denominator), (19, 5000));
    }

    fn moving(from: PurchaseStatus, role: Role) -> PurchaseMoveFacts {
        PurchaseMoveFacts {
            from,
            role,
            actor_is_requester: false,
            has_receipt: false,
        }
    }

    #[test]
    fn targets_are_read() {
        assert_eq!(purchase_target("approved"), Ok(PurchaseStatus::Approved));
        let e = purchase_target("bought").unwrap_err();
        assert_eq!(codes(&e), [("to", "invalid-choice")]);
    }

    #[test]
    fn a_move_keeps_its_trimmed_reason() {
        use PurchaseStatus::*;
        let f = moving(Requested, Role::Finance);
        assert_eq!(decide_purchase_move(&f, Approved, None), Ok(None));
        assert_eq!(
            decide_purchase_move(&f, Rejected, Some("  no quote  ")),
            Ok(Some("no quote".into()))
        );
        let long = "é".repeat(workflow::MAX_REASON);
        assert_eq!(
            decide_purchase_move(&f, Rejected, Some(&long)),
            Ok(Some(long.clone()))
        );
    }

    #[test]
    fn each_refused_move_is_on_its_field() {
        use PurchaseStatus::*;
        let finance = moving(Requested, Role::Finance);
        let own = PurchaseMoveFacts {
            actor_is_requester: true,
            ..finance
        };
        let too_long = "x".repeat(workflow::MAX_REASON + 1);
        for (f, to, reason, field, code) in [
            (
                finance,
                Rejected,
                Some(too_long.as_str()),
                "reason",
                "too-long",
            ),
            // The length comes first, even on a move that is not allowed.
            (
                finance,
                Delivered,
                Some(too_long.as_str()),
                "reason",
                "too-long",
            ),
            (
                finance,
                Delivered,
                None,
                "to",
                "purchase-transition-not-allowed",
            ),
            (
                moving(Requested, Role::MissionOfficer),
                Approved,
                None,
                "to",
                "purchase-transition-forbidden",
            ),
            (own, Approved, None, "to", "four-eyes"),
            (finance, Rejected, Some("   "), "to", "reason-required"),
            (
                moving(Approved, Role::Finance),
                Paid,
                None,
                "to",
                "receipt-required",
            ),
        ] {
            let e = decide_purchase_move(&f, to, reason).unwrap_err();
            assert_eq!(codes(&e), [(field, code)], "{to:?} {reason:?}");
        }
    }

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

    #[test]
    fn a_payment_comes_with_its_receipt() {
        use PurchaseStatus::*;
        let f = moving(Approved, Role::Finance);
        assert_eq!(decide_payment(&f, PDF), Ok("application/pdf"));
        for (bytes, code) in [(&b""[..], "required"), (&b"plain text"[..], "file-type")] {
            let e = decide_payment(&f, bytes).unwrap_err();
            assert_eq!(codes(&e), [("receipt", code)]);
        }
        // Who pays is decided before the receipt is looked at.
        let own = PurchaseMoveFacts {
            actor_is_requester: true,
            ..f
        };
        let e = decide_payment(&own, b"").unwrap_err();
        assert_eq!(codes(&e), [("to", "four-eyes")]);
        let e = decide_payment(&moving(Requested, Role::Finance), PDF).unwrap_err();
        assert_eq!(codes(&e), [("to", "purchase-transition-not-allowed")]);
        let e = decide_payment(&moving(Approved, Role::MissionOfficer), PDF).unwrap_err();
        assert_eq!(codes(&e), [("to", "purchase-transition-forbidden")]);
    }

    #[test]
    fn an_approval_must_fit_under_the_budget() {
        assert_eq!(
            decide_approval(Some((200_000, "CAD")), 150_000, 50_000),
            Ok(())
        );
        for (budget, spent, amount, field, code) in [
            (
                Some((200_000, "CAD")),
                150_000,
                50_001,
                "amount",
                "purchase-exceeds-entitlement",
            ),
            (None, 0, 1, "case", "no-entitlement"),
            (Some((200_000, "cad")), 0, 1, "currency", "invalid-currency"),
            (Some((200_000, "XXY")), 0, 1, "currency", "unknown-currency"),
        ] {
            let e = decide_approval(budget, spent, amount).unwrap_err();
            assert_eq!(codes(&e), [(field, code)], "{budget:?}");
        }
    }
}
