//! Eligibility and entitlement: a programme's rule set (data with effective
//! dates and a version) applied to the facts of a claim. Every rule answers
//! pass, fail or unknown with an explanation a counsellor can read out; the
//! explanation is a message key and arguments, translated at the edge.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How the refugee claim ended (or stands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOutcome {
    Rejected,
    Withdrawn,
    Abandoned,
    Pending,
    Accepted,
}

/// Criminality as CBSA knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Criminality {
    None,
    Declared,
    Confirmed,
}

/// The refugee claim.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimFacts {
    #[serde(default)]
    pub filed_on: Option<NaiveDate>,
    pub outcome: ClaimOutcome,
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    #[serde(default)]
    pub designated_country_of_origin: Option<bool>,
}

/// The facts an evaluation looks at. A `null` fact makes the rules that need
/// it answer "unknown".
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"programme": "gta-2012", "application_date": "2012-09-01", "residence_region": "GTA",
    "claim": {"filed_on": "2012-03-01", "outcome": "rejected", "decided_on": "2012-06-01", "designated_country_of_origin": false},
    "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false})))]
pub struct EvaluationInput {
    /// The programme's code; the GTA pilot (`gta-2012`) when left out.
    #[serde(default = "default_programme")]
    pub programme: String,
    /// The version of the programme's rules to apply (a what-if); by default
    /// the one in force on the application date.
    #[serde(default)]
    pub rule_version: Option<u32>,
    pub application_date: NaiveDate,
    #[serde(default)]
    pub residence_region: Option<String>,
    pub claim: ClaimFacts,
    #[serde(default)]
    pub federal_court_leave_filed_on: Option<NaiveDate>,
    #[serde(default)]
    pub prra_applied_on: Option<NaiveDate>,
    #[serde(default)]
    pub prra_decided_on: Option<NaiveDate>,
    #[serde(default)]
    pub criminality: Option<Criminality>,
    #[serde(default)]
    pub compliant_with_conditions: Option<bool>,
    #[serde(default)]
    pub prior_avrr_assistance: Option<bool>,
}

fn default_programme() -> String {
    "gta-2012".to_string()
}

/// Amounts by the stage at which the person applies to AVRR, in minor units.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tiers {
    pub before_federal_court_leave: i64,
    pub before_prra_application: i64,
    pub prra_pending: i64,
    pub after_prra_decision: i64,
}

/// A transitional rule: applications up to a date get a fixed amount.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transitional {
    pub applications_up_to: NaiveDate,
    pub amount_minor: i64,
}

/// One version of a programme's rules, valid between two dates: the rule
/// document of docs/rules.md. `programme` and `version` may be left out of
/// an upload (they are filled in).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(examples(json!({"programme": "be-2027", "version": 2, "effective_from": "2027-01-01", "currency": "EUR",
    "residence_regions": ["Brussels", "Flanders", "Wallonia"], "eligible_claim_outcomes": ["rejected", "withdrawn"],
    "excluded_criminality": ["confirmed"], "requires_compliance": true, "prior_assistance_excludes": true,
    "tiered_claims_before": "2027-06-01",
    "tiers": {"before_federal_court_leave": 150000, "before_prra_application": 100000, "prra_pending": 75000, "after_prra_decision": 50000},
    "later_claims_tiers": {"before_federal_court_leave": 120000, "before_prra_application": 90000, "prra_pending": 60000, "after_prra_decision": 40000}})))]
pub struct RuleSet {
    /// Filled in from the programme when an upload leaves it out.
    #[serde(default)]
    pub programme: String,
    /// Assigned (the next number) when an upload leaves it out.
    #[serde(default)]
    pub version: u32,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub currency: String,
    pub residence_regions: Vec<String>,
    pub eligible_claim_outcomes: Vec<ClaimOutcome>,
    pub excluded_criminality: Vec<Criminality>,
    pub requires_compliance: bool,
    pub prior_assistance_excludes: bool,
    pub dco_amount_minor: Option<i64>,
    /// Claims made before this date get `tiers`; later ones `later_claims_tiers`.
    pub tiered_claims_before: NaiveDate,
    pub tiers: Tiers,
    pub later_claims_tiers: Tiers,
    pub transitional: Option<Transitional>,
    /// What in this rule set is assumed rather than taken from the public record.
    #[serde(default)]
    pub assumed: Vec<String>,
}

impl RuleSet {
    /// `programme@version`, as stored with a decision.
    pub fn id(&self) -> String {
        format!("{}@{}", self.programme, self.version)
    }

    fn covers(&self, d: NaiveDate) -> bool {
        d >= self.effective_from && self.effective_to.is_none_or(|to| d <= to)
    }
}

/// The rule sets Homeward ships with.
pub fn builtin_rule_sets() -> Vec<RuleSet> {
    // The file is part of the source; a parse failure is caught by the tests.
    serde_json::from_str::<RuleSet>(include_str!("../rules/gta-2012.json"))
        .into_iter()
        .collect()
}

/// A copy of a rule set that stays open from the day after it ended, for
/// demo and training databases only: the real GTA pilot closed on 31 March
/// 2015, and people learning Homeward still need to walk a case through.
pub fn training_copy(rs: &RuleSet) -> RuleSet {
    let mut t = rs.clone();
    t.version = rs.version + 1000;
    t.effective_from = rs
        .effective_to
        .and_then(|d| d.succ_opt())
        .unwrap_or(rs.effective_from);
    t.effective_to = None;
    t.assumed.push(
        "training copy: not the real programme's rules; for demo and training databases only"
            .into(),
    );
    t
}

/// The version of `programme`'s rules in force on `date`.
pub fn rule_set_for<'a>(
    sets: &'a [RuleSet],
    programme: &str,
    date: NaiveDate,
) -> Option<&'a RuleSet> {
    sets.iter()
        .filter(|s| s.programme == programme && s.covers(date))
        .max_by_key(|s| s.version)
}

/// A rule's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
}

/// A message to translate: key and named arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub key: String,
    pub args: Vec<(String, String)>,
}

fn msg(key: &str, args: &[(&str, String)]) -> Message {
    Message {
        key: key.to_string(),
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    pub id: &'static str,
    pub outcome: Outcome,
    pub explanation: Message,
}

/// The entitlement of an eligible person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub amount_minor: i64,
    pub currency: String,
    /// Which tier produced it (`dco`, `transitional`, `before-federal-court-leave`, ...).
    pub tier: &'static str,
    pub explanation: Message,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub eligible: bool,
    /// False when some rule could not be decided for lack of facts (and none failed).
    pub determined: bool,
    pub entitlement: Option<Entitlement>,
    pub rule_set: String,
    pub rules: Vec<RuleResult>,
}

/// Why no evaluation could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("unknown programme")]
    UnknownProgramme,
    #[error("the programme has no such version of its rules")]
    UnknownVersion,
}

fn d(x: NaiveDate) -> String {
    x.format("%Y-%m-%d").to_string()
}

/// Applies the rule set in force on the application date.
pub fn evaluate(sets: &[RuleSet], input: &EvaluationInput) -> Result<Evaluation, EvaluationError> {
    let versions: Vec<&RuleSet> = sets
        .iter()
        .filter(|s| s.programme == input.programme)
        .collect();
    let (Some(first), Some(last)) = (
        versions.iter().min_by_key(|s| s.effective_from),
        versions.iter().max_by_key(|s| s.version),
    ) else {
        return Err(EvaluationError::UnknownProgramme);
    };
    if let Some(v) = input.rule_version {
        let rs = versions
            .iter()
            .find(|s| s.version == v)
            .ok_or(EvaluationError::UnknownVersion)?;
        return Ok(decide(rs, input));
    }
    let Some(rs) = rule_set_for(sets, &input.programme, input.application_date) else {
        // Outside the programme's dates: a question with a clear answer (not
        // eligible, and why), judged otherwise by the nearest version.
        let nearest = if input.application_date < first.effective_from {
            first
        } else {
            last
        };
        let opens = first.effective_from;
        let closes = versions
            .iter()
            .map(|s| s.effective_to)
            .try_fold(opens, |acc, to| to.map(|t| acc.max(t)));
        let period = match closes {
            Some(c) => msg(
                "rule-programme-period-fail",
                &[("from", d(opens)), ("to", d(c))],
            ),
            None => msg("rule-programme-period-fail-open", &[("from", d(opens))]),
        };
        let mut rules = vec![RuleResult {
            id: "programme-period",
            outcome: Outcome::Fail,
            explanation: period,
        }];
        rules.extend(rules_of(nearest, input));
        return Ok(Evaluation {
            eligible: false,
            determined: true,
            entitlement: None,
            rule_set: nearest.id(),
            rules,
        });
    };
    Ok(decide(rs, input))
}

/// The answer of one version of the rules.
fn decide(rs: &RuleSet, input: &EvaluationInput) -> Evaluation {
    let rules = rules_of(rs, input);
    let failed = rules.iter().any(|r| r.outcome == Outcome::Fail);
    let unknown = rules.iter().any(|r| r.outcome == Outcome::Unknown);
    let eligible = !failed && !unknown;
    Evaluation {
        eligible,
        determined: failed || !unknown,
        entitlement: eligible.then(|| entitlement(rs, input)),
        rule_set: rs.id(),
        rules,
    }
}

fn rules_of(rs: &RuleSet, input: &EvaluationInput) -> Vec<RuleResult> {
    vec![
        residence(rs, input),
        failed_claim(rs, input),
        compliance(rs, input),
        criminality(rs, input),
        prior_assistance(rs, input),
    ]
}

fn residence(rs: &RuleSet, i: &EvaluationInput) -> RuleResult {
    let regions = rs.residence_regions.join(", ");
    let (outcome, explanation) = match i.residence_region.as_deref().map(str::trim) {
        None | Some("") => (
            Outcome::Unknown,
            msg("rule-residence-unknown", &[("regions", regions)]),
        ),
        Some(r)
            if rs
                .residence_regions
                .iter()
                .any(|x| x.eq_ignore_ascii_case(r)) =>
        {
            (
                Outcome::Pass,
                msg("rule-residence-pass", &[("region", r.to_string())]),
            )
        }
        Some(r) => (
            Outcome::Fail,
            msg(
                "rule-residence-fail",
                &[("region", r.to_string()), ("regions", regions)],
            ),
        ),
    };
    RuleResult {
        id: "residence",
        outcome,
        explanation,
    }
}

fn failed_claim(rs: &RuleSet, i: &EvaluationInput) -> RuleResult {
    let c = &i.claim;
    let (outcome, explanation) = if !rs.eligible_claim_outcomes.contains(&c.outcome) {
        let key = match c.outcome {
            ClaimOutcome::Withdrawn | ClaimOutcome::Abandoned => "rule-failed-claim-withdrawn",
            ClaimOutcome::Pending => "rule-failed-claim-pending",
            ClaimOutcome::Accepted => "rule-failed-claim-accepted",
            ClaimOutcome::Rejected => "rule-failed-claim-not-eligible",
        };
        (Outcome::Fail, msg(key, &[]))
    } else {
        match c.decided_on {
            None => (
                Outcome::Unknown,
                msg("rule-failed-claim-no-decision-date", &[]),
            ),
            Some(dd) if dd > i.application_date => (
                Outcome::Fail,
                msg("rule-failed-claim-decided-later", &[("date", d(dd))]),
            ),
            Some(dd) => (
                Outcome::Pass,
                msg("rule-failed-claim-pass", &[("date", d(dd))]),
            ),
        }
    };
    RuleResult {
        id: "failed-claim",
        outcome,
        explanation,
    }
}

fn compliance(rs: &RuleSet, i: &EvaluationInput) -> RuleResult {
    let (outcome, explanation) = match (rs.requires_compliance, i.compliant_with_conditions) {
        (false, _) => (Outcome::Pass, msg("rule-compliance-not-required", &[])),
        (true, Some(true)) => (Outcome::Pass, msg("rule-compliance-pass", &[])),
        (true, Some(false)) => (Outcome::Fail, msg("rule-compliance-fail", &[])),
        (true, None) => (Outcome::Unknown, msg("rule-compliance-unknown", &[])),
    };
    RuleResult {
        id: "compliance",
        outcome,
        explanation,
    }
}

fn criminality(rs: &RuleSet, i: &EvaluationInput) -> RuleResult {
    let (outcome, explanation) = match i.criminality {
        None => (Outcome::Unknown, msg("rule-criminality-unknown", &[])),
        Some(c) if rs.excluded_criminality.contains(&c) => {
            (Outcome::Fail, msg("rule-criminality-fail", &[]))
        }
        Some(_) => (Outcome::Pass, msg("rule-criminality-pass", &[])),
    };
    RuleResult {
        id: "no-criminality",
        outcome,
        explanation,
    }
}

fn prior_assistance(rs: &RuleSet, i: &EvaluationInput) -> RuleResult {
    let (outcome, explanation) = match (rs.prior_assistance_excludes, i.prior_avrr_assistance) {
        (false, _) => (Outcome::Pass, msg("rule-prior-assistance-allowed", &[])),
        (true, Some(false)) => (Outcome::Pass, msg("rule-prior-assistance-pass", &[])),
        (true, Some(true)) => (Outcome::Fail, msg("rule-prior-assistance-fail", &[])),
        (true, None) => (Outcome::Unknown, msg("rule-prior-assistance-unknown", &[])),
    };
    RuleResult {
        id: "prior-assistance",
        outcome,
        explanation,
    }
}

/// The amount, by DCO status, the transitional rule and the stage reached on the application date.
fn entitlement(rs: &RuleSet, i: &EvaluationInput) -> Entitlement {
    let e = |amount: i64, tier: &'static str, key: &str, args: &[(&str, String)]| Entitlement {
        amount_minor: amount,
        currency: rs.currency.clone(),
        tier,
        explanation: msg(key, args),
    };
    if let (Some(amount), Some(true)) = (rs.dco_amount_minor, i.claim.designated_country_of_origin)
    {
        return e(amount, "dco", "entitlement-dco", &[]);
    }
    if let Some(t) = &rs.transitional {
        if i.application_date <= t.applications_up_to {
            return e(
                t.amount_minor,
                "transitional",
                "entitlement-transitional",
                &[("date", d(t.applications_up_to))],
            );
        }
    }
    let tiers = match i.claim.filed_on {
        Some(f) if f >= rs.tiered_claims_before => &rs.later_claims_tiers,
        _ => &rs.tiers,
    };
    let on = |x: Option<NaiveDate>| x.is_some_and(|x| x <= i.application_date);
    if on(i.prra_decided_on) {
        e(
            tiers.after_prra_decision,
            "after-prra-decision",
            "entitlement-after-prra-decision",
            &[],
        )
    } else if on(i.prra_applied_on) {
        e(
            tiers.prra_pending,
            "prra-pending",
            "entitlement-prra-pending",
            &[],
        )
    } else if on(i.federal_court_leave_filed_on) {
        e(
            tiers.before_prra_application,
            "before-prra-application",
            "entitlement-before-prra-application",
            &[],
        )
    } else {
        e(
            tiers.before_federal_court_leave,
            "before-federal-court-leave",
            "entitlement-before-federal-court-leave",
            &[],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The example from the API contract: eligible, CAD 2,000.
    fn base() -> EvaluationInput {
        EvaluationInput {
            programme: "gta-2012".into(),
            rule_version: None,
            application_date: date("2012-09-01"),
            residence_region: Some("GTA".into()),
            claim: ClaimFacts {
                filed_on: Some(date("2012-03-01")),
                outcome: ClaimOutcome::Rejected,
                decided_on: Some(date("2012-06-01")),
                designated_country_of_origin: Some(false),
            },
            federal_court_leave_filed_on: None,
            prra_applied_on: None,
            prra_decided_on: None,
            criminality: Some(Criminality::None),
            compliant_with_conditions: Some(true),
            prior_avrr_assistance: Some(false),
        }
    }

    fn eval(i: &EvaluationInput) -> Evaluation {
        evaluate(&builtin_rule_sets(), i).unwrap()
    }

    fn rule(e: &Evaluation, id: &str) -> Outcome {
        e.rules.iter().find(|r| r.id == id).unwrap().outcome
    }

    fn amount(i: &EvaluationInput) -> (i64, &'static str) {
        let e = eval(i);
        let ent = e.entitlement.unwrap();
        (ent.amount_minor, ent.tier)
    }

    #[test]
    fn the_shipped_rule_set_parses_and_says_what_is_assumed() {
        let sets = builtin_rule_sets();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].id(), "gta-2012@1");
        assert_eq!(sets[0].assumed.len(), 3);
    }

    #[test]
    fn the_contract_example_is_eligible_for_2000() {
        let e = eval(&base());
        assert!(e.eligible && e.determined);
        assert_eq!(e.rule_set, "gta-2012@1");
        let ent = e.entitlement.unwrap();
        assert_eq!((ent.amount_minor, ent.currency.as_str()), (200_000, "CAD"));
        assert!(e.rules.iter().all(|r| r.outcome == Outcome::Pass));
    }

    #[test]
    fn only_failed_claims_are_eligible() {
        for (o, key) in [
            (ClaimOutcome::Withdrawn, "rule-failed-claim-withdrawn"),
            (ClaimOutcome::Abandoned, "rule-failed-claim-withdrawn"),
            (ClaimOutcome::Pending, "rule-failed-claim-pending"),
            (ClaimOutcome::Accepted, "rule-failed-claim-accepted"),
        ] {
            let mut i = base();
            i.claim.outcome = o;
            let e = eval(&i);
            assert!(!e.eligible && e.entitlement.is_none(), "{o:?}");
            let r = e.rules.iter().find(|r| r.id == "failed-claim").unwrap();
            assert_eq!(
                (r.outcome, r.explanation.key.as_str()),
                (Outcome::Fail, key)
            );
        }
        let mut i = base();
        i.claim.decided_on = Some(date("2012-10-01"));
        assert_eq!(
            rule(&eval(&i), "failed-claim"),
            Outcome::Fail,
            "a decision after the application is not a failed claim yet"
        );
        i.claim.decided_on = None;
        let e = eval(&i);
        assert_eq!(rule(&e, "failed-claim"), Outcome::Unknown);
        assert!(!e.eligible && !e.determined && e.entitlement.is_none());
    }

    #[test]
    fn residence_must_be_in_the_gta() {
        let mut i = base();
        i.residence_region = Some("gta".into());
        assert_eq!(rule(&eval(&i), "residence"), Outcome::Pass);
        i.residence_region = Some("MTL".into());
        assert_eq!(rule(&eval(&i), "residence"), Outcome::Fail);
        i.residence_region = None;
        assert_eq!(rule(&eval(&i), "residence"), Outcome::Unknown);
    }

    #[test]
    fn non_compliance_and_criminality_exclude() {
        let mut i = base();
        i.compliant_with_conditions = Some(false);
        assert_eq!(rule(&eval(&i), "compliance"), Outcome::Fail);
        assert!(!eval(&i).eligible);
        for c in [Criminality::Declared, Criminality::Confirmed] {
            let mut i = base();
            i.criminality = Some(c);
            assert_eq!(rule(&eval(&i), "no-criminality"), Outcome::Fail);
        }
        let mut i = base();
        i.criminality = None;
        assert_eq!(rule(&eval(&i), "no-criminality"), Outcome::Unknown);
    }

    #[test]
    fn prior_assistance_excludes_as_configured() {
        let mut i = base();
        i.prior_avrr_assistance = Some(true);
        assert_eq!(rule(&eval(&i), "prior-assistance"), Outcome::Fail);
        let mut sets = builtin_rule_sets();
        sets[0].prior_assistance_excludes = false;
        assert!(
            evaluate(&sets, &i).unwrap().eligible,
            "configuration, not code"
        );
    }

    #[test]
    fn tiers_follow_the_stage_at_application() {
        let mut i = base();
        assert_eq!(amount(&i), (200_000, "before-federal-court-leave"));
        // Leave filed after the application does not count yet.
        i.federal_court_leave_filed_on = Some(date("2012-09-02"));
        assert_eq!(amount(&i), (200_000, "before-federal-court-leave"));
        i.federal_court_leave_filed_on = Some(date("2012-08-01"));
        assert_eq!(amount(&i), (150_000, "before-prra-application"));
        i.prra_applied_on = Some(date("2012-08-15"));
        assert_eq!(amount(&i), (100_000, "prra-pending"));
        i.prra_decided_on = Some(date("2012-08-30"));
        assert_eq!(amount(&i), (100_000, "after-prra-decision"));
    }

    #[test]
    fn the_transitional_rule_pays_2000_up_to_13_july_2012() {
        let mut i = base();
        i.application_date = date("2012-07-13");
        i.claim.decided_on = Some(date("2012-05-01"));
        i.federal_court_leave_filed_on = Some(date("2012-06-01"));
        assert_eq!(amount(&i), (200_000, "transitional"));
        i.application_date = date("2012-07-14");
        assert_eq!(amount(&i), (150_000, "before-prra-application"));
    }

    #[test]
    fn dco_claimants_get_500() {
        let mut i = base();
        i.claim.filed_on = Some(date("2013-01-10"));
        i.claim.decided_on = Some(date("2013-02-20"));
        i.application_date = date("2013-03-01");
        i.claim.designated_country_of_origin = Some(true);
        assert_eq!(amount(&i), (50_000, "dco"));
    }

    #[test]
    fn later_claims_use_the_configured_table() {
        let mut sets = builtin_rule_sets();
        sets[0].later_claims_tiers.before_federal_court_leave = 123_400;
        let mut i = base();
        i.claim.filed_on = Some(date("2012-12-15"));
        i.claim.decided_on = Some(date("2013-02-01"));
        i.application_date = date("2013-03-01");
        assert_eq!(
            evaluate(&sets, &i)
                .unwrap()
                .entitlement
                .unwrap()
                .amount_minor,
            123_400
        );
        i.claim.filed_on = Some(date("2012-12-14"));
        assert_eq!(
            evaluate(&sets, &i)
                .unwrap()
                .entitlement
                .unwrap()
                .amount_minor,
            200_000
        );
    }

    #[test]
    fn a_training_copy_opens_after_the_programme_closed() {
        let mut sets = builtin_rule_sets();
        let t = training_copy(&sets[0]);
        assert_eq!(t.id(), "gta-2012@1001");
        sets.push(t);
        let mut i = base();
        i.application_date = date("2026-11-28");
        assert_eq!(evaluate(&sets, &i).unwrap().rule_set, "gta-2012@1001");
        assert_eq!(
            evaluate(&sets, &base()).unwrap().rule_set,
            "gta-2012@1",
            "history keeps its own rules"
        );
    }

    #[test]
    fn dates_outside_the_programme_are_answered_not_eligible() {
        let mut i = base();
        i.application_date = date("2015-04-01");
        let e = evaluate(&builtin_rule_sets(), &i).unwrap();
        assert!(!e.eligible && e.determined && e.entitlement.is_none());
        assert_eq!(e.rules[0].id, "programme-period");
        assert_eq!(e.rules[0].outcome, Outcome::Fail);
        assert_eq!(e.rules[0].explanation.key, "rule-programme-period-fail");
        assert_eq!(
            e.rules[0].explanation.args,
            vec![
                ("from".to_string(), "2012-06-29".to_string()),
                ("to".to_string(), "2015-03-31".to_string())
            ]
        );
        // The other rules are still answered, by the nearest version.
        assert_eq!(e.rules.len(), 6);
        assert_eq!(e.rule_set, "gta-2012@1");
        i.application_date = date("2012-06-28");
        let e = evaluate(&builtin_rule_sets(), &i).unwrap();
        assert_eq!(e.rules[0].id, "programme-period");
        assert!(!e.eligible);
        // A programme still running names only its opening day.
        let mut open = builtin_rule_sets();
        open[0].effective_to = None;
        i.application_date = date("2011-01-01");
        let e = evaluate(&open, &i).unwrap();
        assert_eq!(
            e.rules[0].explanation.key,
            "rule-programme-period-fail-open"
        );
        // Inside the dates there is no period rule: the pilot's answers are unchanged.
        assert!(eval(&base())
            .rules
            .iter()
            .all(|r| r.id != "programme-period"));
        i.programme = "nope".into();
        assert_eq!(
            evaluate(&builtin_rule_sets(), &i),
            Err(EvaluationError::UnknownProgramme)
        );
    }

    #[test]
    fn a_what_if_names_the_version() {
        let mut sets = builtin_rule_sets();
        let mut v2 = sets[0].clone();
        v2.version = 2;
        v2.effective_from = date("2014-01-01");
        v2.tiers.before_federal_court_leave = 300000;
        sets.push(v2);
        let mut i = base();
        i.application_date = date("2013-01-10");
        let by_date = evaluate(&sets, &i).unwrap();
        assert_eq!(by_date.rule_set, "gta-2012@1");
        i.rule_version = Some(2);
        let e = evaluate(&sets, &i).unwrap();
        assert_eq!(e.rule_set, "gta-2012@2");
        assert_eq!(e.entitlement.unwrap().amount_minor, 300000);
        i.rule_version = Some(9);
        assert_eq!(evaluate(&sets, &i), Err(EvaluationError::UnknownVersion));
    }

    #[test]
    fn the_programme_defaults_to_the_pilot() {
        let i: EvaluationInput = serde_json::from_str(
            r#"{"application_date": "2012-09-01", "claim": {"outcome": "rejected"}}"#,
        )
        .unwrap();
        assert_eq!(i.programme, "gta-2012");
    }

    #[test]
    fn the_contract_shape_parses_and_rejects_unknown_fields() {
        let json = r#"{"programme": "gta-2012", "application_date": "2012-09-01", "residence_region": "GTA",
            "claim": {"filed_on": "2012-03-01", "outcome": "rejected", "decided_on": "2012-06-01", "designated_country_of_origin": false},
            "federal_court_leave_filed_on": null, "prra_applied_on": null, "prra_decided_on": null,
            "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false}"#;
        let i: EvaluationInput = serde_json::from_str(json).unwrap();
        assert!(eval(&i).eligible);
        assert!(serde_json::from_str::<EvaluationInput>(
            &json.replace("\"GTA\",", "\"GTA\", \"extra\": 1,")
        )
        .is_err());
        assert!(
            serde_json::from_str::<EvaluationInput>(&json.replace("2012-09-01", "2012-02-30"))
                .is_err()
        );
        assert!(
            serde_json::from_str::<EvaluationInput>(&json.replace("\"rejected\"", "\"lost\""))
                .is_err()
        );
    }
}
