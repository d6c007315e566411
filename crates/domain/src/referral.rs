//! A CBSA referral's immigration facts, as typed and as validated, and how
//! they feed the eligibility rules.

use crate::eligibility::{ClaimFacts, ClaimOutcome, Criminality, EvaluationInput};
use crate::validation::{self, clean, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Hours the person has to contact IOM after being referred.
pub const CONTACT_HOURS: i64 = 24;

/// The facts as sent: dates as `YYYY-MM-DD` strings, choices as codes; all optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"residence_region": "GTA", "claim_filed_on": "2011-05-02", "claim_outcome": "rejected",
    "irb_decided_on": "2012-01-17", "designated_country_of_origin": false, "removal_order": true,
    "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false})))]
pub struct ReferralInput {
    pub claim_filed_on: Option<String>,
    /// rejected, withdrawn, abandoned, pending or accepted.
    pub claim_outcome: Option<String>,
    pub irb_decided_on: Option<String>,
    pub designated_country_of_origin: Option<bool>,
    pub federal_court_leave_filed_on: Option<String>,
    pub prra_applied_on: Option<String>,
    pub prra_decided_on: Option<String>,
    pub removal_order: Option<bool>,
    pub compliant_with_conditions: Option<bool>,
    /// none, declared or confirmed.
    pub criminality: Option<String>,
    /// A region code such as GTA.
    pub residence_region: Option<String>,
    pub prior_avrr_assistance: Option<bool>,
}

/// Validated facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReferralFacts {
    pub claim_filed_on: Option<NaiveDate>,
    pub claim_outcome: Option<String>,
    pub irb_decided_on: Option<NaiveDate>,
    pub designated_country_of_origin: Option<bool>,
    pub federal_court_leave_filed_on: Option<NaiveDate>,
    pub prra_applied_on: Option<NaiveDate>,
    pub prra_decided_on: Option<NaiveDate>,
    pub removal_order: Option<bool>,
    pub compliant_with_conditions: Option<bool>,
    pub criminality: Option<String>,
    pub residence_region: Option<String>,
    pub prior_avrr_assistance: Option<bool>,
}

impl ReferralFacts {
    /// The names (as in `programme::REFERRAL_FACTS`) of the facts given.
    pub fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |name: &'static str, set: bool| {
            if set {
                out.push(name);
            }
        };
        add("residence_region", self.residence_region.is_some());
        add("claim_filed_on", self.claim_filed_on.is_some());
        add("claim_outcome", self.claim_outcome.is_some());
        add("irb_decided_on", self.irb_decided_on.is_some());
        add(
            "designated_country_of_origin",
            self.designated_country_of_origin.is_some(),
        );
        add(
            "federal_court_leave_filed_on",
            self.federal_court_leave_filed_on.is_some(),
        );
        add("prra_applied_on", self.prra_applied_on.is_some());
        add("prra_decided_on", self.prra_decided_on.is_some());
        add("removal_order", self.removal_order.is_some());
        add(
            "compliant_with_conditions",
            self.compliant_with_conditions.is_some(),
        );
        add("criminality", self.criminality.is_some());
        add(
            "prior_avrr_assistance",
            self.prior_avrr_assistance.is_some(),
        );
        out
    }

    /// Refuses facts the programme does not record (`recorded`, its
    /// `referral_facts`; empty: it records every one): each such fact is
    /// `<prefix><fact>` `not-recorded-by-programme`.
    pub fn check_recorded(&self, recorded: &[String], prefix: &str) -> Result<(), Invalid> {
        let mut inv = Invalid::default();
        if !recorded.is_empty() {
            for f in self.given() {
                if !recorded.iter().any(|r| r == f) {
                    inv.add(&format!("{prefix}{f}"), "not-recorded-by-programme");
                }
            }
        }
        inv.into_result()
    }
}

/// Claim outcome codes.
pub const OUTCOMES: [&str; 5] = ["rejected", "withdrawn", "abandoned", "pending", "accepted"];
/// Criminality codes.
pub const CRIMINALITY: [&str; 3] = ["none", "declared", "confirmed"];

impl ReferralInput {
    /// Checks the facts; `today` bounds the dates. Field names are prefixed with `prefix`.
    pub fn validate(&self, today: NaiveDate, prefix: &str) -> Result<ReferralFacts, Invalid> {
        let mut inv = Invalid::default();
        let mut date = |name: &str, v: &Option<String>| -> Option<NaiveDate> {
            let s = clean(v.as_deref())?;
            match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    inv.add(&format!("{prefix}{name}"), "date-in-future");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    inv.add(&format!("{prefix}{name}"), "invalid-date");
                    None
                }
            }
        };
        let f = ReferralFacts {
            claim_filed_on: date("claim_filed_on", &self.claim_filed_on),
            irb_decided_on: date("irb_decided_on", &self.irb_decided_on),
            federal_court_leave_filed_on: date(
                "federal_court_leave_filed_on",
                &self.federal_court_leave_filed_on,
            ),
            prra_applied_on: date("prra_applied_on", &self.prra_applied_on),
            prra_decided_on: date("prra_decided_on", &self.prra_decided_on),
            claim_outcome: clean(self.claim_outcome.as_deref()),
            criminality: clean(self.criminality.as_deref()),
            residence_region: clean(self.residence_region.as_deref())
                .map(|r| r.to_ascii_uppercase()),
            designated_country_of_origin: self.designated_country_of_origin,
            removal_order: self.removal_order,
            compliant_with_conditions: self.compliant_with_conditions,
            prior_avrr_assistance: self.prior_avrr_assistance,
        };
        if f.claim_outcome
            .as_deref()
            .is_some_and(|o| !OUTCOMES.contains(&o))
        {
            inv.add(&format!("{prefix}claim_outcome"), "invalid-choice");
        }
        if f.criminality
            .as_deref()
            .is_some_and(|o| !CRIMINALITY.contains(&o))
        {
            inv.add(&format!("{prefix}criminality"), "invalid-choice");
        }
        validation::text(
            &mut inv,
            &format!("{prefix}residence_region"),
            self.residence_region.as_deref(),
            false,
            20,
        );
        if let (Some(a), Some(b)) = (f.claim_filed_on, f.irb_decided_on) {
            if b < a {
                inv.add(&format!("{prefix}irb_decided_on"), "date-before-claim");
            }
        }
        if let (Some(a), Some(b)) = (f.prra_applied_on, f.prra_decided_on) {
            if b < a {
                inv.add(
                    &format!("{prefix}prra_decided_on"),
                    "date-before-prra-application",
                );
            }
        }
        if f.prra_decided_on.is_some() && f.prra_applied_on.is_none() {
            inv.add(&format!("{prefix}prra_applied_on"), "required");
        }
        inv.into_result()?;
        Ok(f)
    }
}

impl ReferralFacts {
    /// The raw input that would recreate these facts (to prefill a form).
    pub fn to_input(&self) -> ReferralInput {
        let d = |x: Option<NaiveDate>| x.map(|x| x.to_string());
        ReferralInput {
            claim_filed_on: d(self.claim_filed_on),
            claim_outcome: self.claim_outcome.clone(),
            irb_decided_on: d(self.irb_decided_on),
            designated_country_of_origin: self.designated_country_of_origin,
            federal_court_leave_filed_on: d(self.federal_court_leave_filed_on),
            prra_applied_on: d(self.prra_applied_on),
            prra_decided_on: d(self.prra_decided_on),
            removal_order: self.removal_order,
            compliant_with_conditions: self.compliant_with_conditions,
            criminality: self.criminality.clone(),
            residence_region: self.residence_region.clone(),
            prior_avrr_assistance: self.prior_avrr_assistance,
        }
    }

    /// The eligibility question these facts ask, on an application date.
    /// An unknown claim outcome is treated as pending: not (yet) a failed claim.
    pub fn evaluation_input(
        &self,
        programme: &str,
        application_date: NaiveDate,
    ) -> EvaluationInput {
        let outcome = match self.claim_outcome.as_deref() {
            Some("rejected") => ClaimOutcome::Rejected,
            Some("withdrawn") => ClaimOutcome::Withdrawn,
            Some("abandoned") => ClaimOutcome::Abandoned,
            Some("accepted") => ClaimOutcome::Accepted,
            _ => ClaimOutcome::Pending,
        };
        let criminality = match self.criminality.as_deref() {
            Some("none") => Some(Criminality::None),
            Some("declared") => Some(Criminality::Declared),
            Some("confirmed") => Some(Criminality::Confirmed),
            _ => None,
        };
        EvaluationInput {
            programme: programme.to_string(),
            rule_version: None,
            application_date,
            residence_region: self.residence_region.clone(),
            claim: ClaimFacts {
                filed_on: self.claim_filed_on,
                outcome,
                decided_on: self.irb_decided_on,
                designated_country_of_origin: self.designated_country_of_origin,
            },
            federal_court_leave_filed_on: self.federal_court_leave_filed_on,
            prra_applied_on: self.prra_applied_on,
            prra_decided_on: self.prra_decided_on,
            criminality,
            compliant_with_conditions: self.compliant_with_conditions,
            prior_avrr_assistance: self.prior_avrr_assistance,
        }
    }
}

#[cfg(test)]
mod recorded_tests {
    use super::*;

    #[test]
    fn facts_a_programme_does_not_record_are_refused_by_name() {
        let f = ReferralFacts {
            residence_region: Some("Brussels".into()),
            prra_applied_on: NaiveDate::from_ymd_opt(2026, 1, 5),
            ..Default::default()
        };
        assert!(
            f.check_recorded(&[], "").is_ok(),
            "every fact when none is named"
        );
        let only = vec!["residence_region".to_string(), "claim_outcome".to_string()];
        let inv = f.check_recorded(&only, "referral.").unwrap_err();
        assert_eq!(
            inv.for_field("referral.prra_applied_on"),
            Some("not-recorded-by-programme")
        );
        assert_eq!(inv.for_field("referral.residence_region"), None);
        assert_eq!(f.given().len(), 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::{builtin_rule_sets, evaluate};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2012, 9, 1).unwrap()
    }

    #[test]
    fn valid_facts_feed_the_rules() {
        let i = ReferralInput {
            claim_filed_on: Some("2012-03-01".into()),
            claim_outcome: Some("rejected".into()),
            irb_decided_on: Some("2012-06-01".into()),
            designated_country_of_origin: Some(false),
            compliant_with_conditions: Some(true),
            criminality: Some("none".into()),
            residence_region: Some("gta".into()),
            prior_avrr_assistance: Some(false),
            ..Default::default()
        };
        let f = i.validate(today(), "").unwrap();
        assert_eq!(f.residence_region.as_deref(), Some("GTA"));
        let e = evaluate(
            &builtin_rule_sets(),
            &f.evaluation_input("gta-2012", today()),
        )
        .unwrap();
        assert!(e.eligible);
        assert_eq!(e.entitlement.unwrap().amount_minor, 200_000);
        assert_eq!(f.to_input().validate(today(), "").unwrap(), f);
    }

    #[test]
    fn bad_facts_are_all_reported_with_the_prefix() {
        let i = ReferralInput {
            claim_filed_on: Some("2012-05-01".into()),
            irb_decided_on: Some("2012-04-01".into()),
            claim_outcome: Some("lost".into()),
            criminality: Some("maybe".into()),
            prra_decided_on: Some("2012-13-01".into()),
            federal_court_leave_filed_on: Some("2013-01-01".into()),
            ..Default::default()
        };
        let e = i.validate(today(), "referral.").unwrap_err();
        for (f, c) in [
            ("referral.irb_decided_on", "date-before-claim"),
            ("referral.claim_outcome", "invalid-choice"),
            ("referral.criminality", "invalid-choice"),
            ("referral.prra_decided_on", "invalid-date"),
            ("referral.federal_court_leave_filed_on", "date-in-future"),
        ] {
            assert_eq!(e.for_field(f), Some(c), "{f}");
        }
    }

    #[test]
    fn missing_facts_make_the_evaluation_undetermined() {
        let f = ReferralInput::default().validate(today(), "").unwrap();
        let e = evaluate(
            &builtin_rule_sets(),
            &f.evaluation_input("gta-2012", today()),
        )
        .unwrap();
        assert!(!e.eligible);
        assert!(e.entitlement.is_none());
    }
}
