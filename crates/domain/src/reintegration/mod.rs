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
//! transactions (see [`fits_under_cap`], [`decide_approval`]).

mod arrival;
mod category;
mod closure;
mod ledger;
mod plan;
mod purchase_decisions;
mod purchases;
mod vendors;

pub use arrival::*;
pub use category::*;
pub use closure::*;
pub use ledger::*;
pub use plan::*;
pub use purchase_decisions::*;
pub use purchases::*;
pub use vendors::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, ExchangeRate, Money, MoneyError};
    use crate::role::Role;
    use crate::validation::Invalid;
    use chrono::NaiveDate;
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
            over_plan_reason: None,
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
        assert_eq!(l.remaining, cad_m(200_000 - 8_600 - 30_100 - 98_000));
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
                    l.remaining.minor + l.requested.minor + l.committed.minor + l.paid.minor,
                    ent.minor
                );
            }
        }
    }
}
