//! A programme's rule document: the JSON an administrator uploads (the format
//! of `rules/gta-2012.json`, described in `docs/rules.md` and
//! `docs/rules.schema.json`), checked whole before anything is kept. Every
//! problem is reported with where it is, so one round trip fixes them all.

use crate::eligibility::{ClaimOutcome, Criminality, RuleSet, Tiers, Transitional};
use crate::money::Currency;
use crate::validation::Invalid;
use chrono::NaiveDate;
use serde_json::{Map, Value};

const TOP: &[&str] = &[
    "programme",
    "version",
    "effective_from",
    "effective_to",
    "currency",
    "residence_regions",
    "eligible_claim_outcomes",
    "excluded_criminality",
    "requires_compliance",
    "prior_assistance_excludes",
    "dco_amount_minor",
    "tiered_claims_before",
    "tiers",
    "later_claims_tiers",
    "transitional",
    "assumed",
];
const TIER_KEYS: &[&str] = &[
    "before_federal_court_leave",
    "before_prra_application",
    "prra_pending",
    "after_prra_decision",
];
const TRANSITIONAL_KEYS: &[&str] = &["applications_up_to", "amount_minor"];
/// Amounts above this (in minor units) are taken for a typing slip: ten
/// million in any currency is far beyond any reintegration grant.
const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;
/// The largest document kept: the pilot's is under 2 KB.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Where a rule document will be kept: the programme it belongs to and the
/// versions it already has, so its code, currency, version and dates can be
/// checked against them.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub programme: &'a str,
    pub currency: &'a str,
    pub opens_on: NaiveDate,
    pub closes_on: Option<NaiveDate>,
    /// The programme's versions so far (empty for a new programme).
    pub existing: &'a [RuleSet],
}

/// Parses and checks a rule document given as text. Problems are located by
/// `field`: `rules` for the document as a whole, `rules.tiers.prra_pending`
/// for one value.
pub fn parse(text: &str, ctx: &Context<'_>) -> Result<RuleSet, Invalid> {
    check(&read(text)?, ctx)
}

/// Reads a rule document's text as JSON, unchecked: `rules` `too-long`, or
/// `json-syntax` with the line and column of the first error.
pub fn read(text: &str) -> Result<Value, Invalid> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Invalid::one("rules", "too-long"));
    }
    serde_json::from_str::<Value>(text).map_err(|e| {
        let mut inv = Invalid::default();
        inv.add_detail(
            "rules",
            "json-syntax",
            format!("line {}, column {}", e.line(), e.column()),
        );
        inv
    })
}

/// Checks a rule document already parsed as JSON (the API's `rules` member).
/// `version` and `programme` may be left out: they are then the next version
/// and the context's programme.
pub fn check(v: &Value, ctx: &Context<'_>) -> Result<RuleSet, Invalid> {
    let mut inv = Invalid::default();
    let Some(obj) = v.as_object() else {
        return Err(Invalid::one("rules", "not-an-object"));
    };
    if v.to_string().len() > MAX_DOCUMENT_BYTES {
        return Err(Invalid::one("rules", "too-long"));
    }
    unknown_keys(&mut inv, "rules", obj, TOP);
    let mut r = Reader {
        inv: &mut inv,
        obj,
        at: "rules",
    };
    let programme = r.opt_text("programme");
    let version = r.opt_int("version");
    let effective_from = r.date("effective_from");
    let effective_to = r.opt_date("effective_to");
    let currency = r.text("currency");
    let residence_regions = r.text_list("residence_regions", 100);
    let outcomes: Option<Vec<ClaimOutcome>> = r.choices("eligible_claim_outcomes");
    let criminality: Option<Vec<Criminality>> = r.choices("excluded_criminality");
    let requires_compliance = r.boolean("requires_compliance");
    let prior_assistance_excludes = r.boolean("prior_assistance_excludes");
    let dco_amount_minor = r.opt_amount("dco_amount_minor");
    let tiered_claims_before = r.date("tiered_claims_before");
    let assumed = r.opt_text_list("assumed", 1000).unwrap_or_default();
    let tiers = tiers(&mut inv, obj, "tiers");
    let later_claims_tiers = tiers_of(&mut inv, obj, "later_claims_tiers");
    let transitional = transitional(&mut inv, obj);

    let next_version = ctx.existing.iter().map(|s| s.version).max().unwrap_or(0) + 1;
    if let Some(p) = &programme {
        if p != ctx.programme {
            inv.add("rules.programme", "programme-mismatch");
        }
    }
    if let Some(v) = version {
        if u32::try_from(v).ok() != Some(next_version) {
            inv.add_detail(
                "rules.version",
                "version-not-next",
                next_version.to_string(),
            );
        }
    }
    if let Some(c) = &currency {
        match Currency::parse(c) {
            Err(_) => inv.add("rules.currency", "unknown-currency"),
            Ok(_) if c != ctx.currency => inv.add_detail(
                "rules.currency",
                "currency-not-programme",
                ctx.currency.to_string(),
            ),
            Ok(_) => {}
        }
    }
    if let Some(regions) = &residence_regions {
        if regions.is_empty() {
            inv.add("rules.residence_regions", "required");
        }
    }
    if outcomes.as_ref().is_some_and(Vec::is_empty) {
        // No claim outcome qualifies: nobody could ever be eligible.
        inv.add("rules.eligible_claim_outcomes", "unreachable");
    }
    dates(
        &mut inv,
        ctx,
        effective_from,
        effective_to,
        tiered_claims_before,
        transitional.as_ref(),
    );
    inv.into_result()?;

    // Every `None` below was reported above, so these are all present.
    let (
        Some(effective_from),
        Some(currency),
        Some(residence_regions),
        Some(eligible_claim_outcomes),
        Some(excluded_criminality),
        Some(requires_compliance),
        Some(prior_assistance_excludes),
        Some(tiered_claims_before),
        Some(tiers),
        Some(later_claims_tiers),
    ) = (
        effective_from,
        currency,
        residence_regions,
        outcomes,
        criminality,
        requires_compliance,
        prior_assistance_excludes,
        tiered_claims_before,
        tiers,
        later_claims_tiers,
    )
    else {
        return Err(Invalid::one("rules", "required"));
    };
    Ok(RuleSet {
        programme: ctx.programme.to_string(),
        version: next_version,
        effective_from,
        effective_to: effective_to.flatten(),
        currency,
        residence_regions,
        eligible_claim_outcomes,
        excluded_criminality,
        requires_compliance,
        prior_assistance_excludes,
        dco_amount_minor: dco_amount_minor.flatten(),
        tiered_claims_before,
        tiers,
        later_claims_tiers,
        transitional: transitional.flatten(),
        assumed,
    })
}

/// The dates must be in order, inside the programme's period, after the
/// versions already kept, and leave every tier reachable by some case.
fn dates(
    inv: &mut Invalid,
    ctx: &Context<'_>,
    from: Option<NaiveDate>,
    to: Option<Option<NaiveDate>>,
    tiered_before: Option<NaiveDate>,
    transitional: Option<&Option<Transitional>>,
) {
    let Some(from) = from else { return };
    let to = to.flatten();
    if let Some(to) = to {
        if to < from {
            inv.add("rules.effective_to", "dates-unordered");
        }
    }
    if from < ctx.opens_on || ctx.closes_on.is_some_and(|c| from > c) {
        inv.add("rules.effective_from", "outside-programme-period");
    }
    if let Some(last) = ctx.existing.iter().map(|s| s.effective_from).max() {
        if from <= last {
            // Two versions taking effect the same day, or a new one slipped
            // in before the last: which one rules a date would be unclear.
            inv.add_detail(
                "rules.effective_from",
                "overlaps-earlier-version",
                last.format("%Y-%m-%d").to_string(),
            );
        }
    }
    let last_day = match (to, ctx.closes_on) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(Some(t)) = transitional {
        if t.applications_up_to < from {
            inv.add("rules.transitional", "unreachable-tier");
        } else if last_day.is_some_and(|l| t.applications_up_to >= l) {
            // Every application is transitional: the tiers are never used.
            inv.add("rules.tiers", "unreachable-tier");
        }
    }
    if let (Some(before), Some(last)) = (tiered_before, last_day) {
        // A claim is made before the application; claims made on or after
        // this date can only exist if some application comes later still.
        if before >= last {
            inv.add("rules.later_claims_tiers", "unreachable-tier");
        }
    }
}

fn unknown_keys(inv: &mut Invalid, at: &str, obj: &Map<String, Value>, known: &[&str]) {
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            inv.add(&format!("{at}.{k}"), "unknown-key");
        }
    }
}

fn tiers(inv: &mut Invalid, obj: &Map<String, Value>, key: &str) -> Option<Tiers> {
    match obj.get(key) {
        None | Some(Value::Null) => {
            inv.add(&format!("rules.{key}"), "required");
            None
        }
        Some(_) => tiers_of(inv, obj, key),
    }
}

fn tiers_of(inv: &mut Invalid, obj: &Map<String, Value>, key: &str) -> Option<Tiers> {
    let at = format!("rules.{key}");
    let Some(v) = obj.get(key).filter(|v| !v.is_null()) else {
        inv.add(&at, "required");
        return None;
    };
    let Some(t) = v.as_object() else {
        inv.add(&at, "not-an-object");
        return None;
    };
    unknown_keys(inv, &at, t, TIER_KEYS);
    let mut r = Reader {
        inv,
        obj: t,
        at: &at,
    };
    let a = r.amount("before_federal_court_leave");
    let b = r.amount("before_prra_application");
    let c = r.amount("prra_pending");
    let d = r.amount("after_prra_decision");
    Some(Tiers {
        before_federal_court_leave: a?,
        before_prra_application: b?,
        prra_pending: c?,
        after_prra_decision: d?,
    })
}

/// `None`: a problem was reported; `Some(None)`: there is no transitional rule.
fn transitional(inv: &mut Invalid, obj: &Map<String, Value>) -> Option<Option<Transitional>> {
    let at = "rules.transitional";
    let v = match obj.get("transitional") {
        None | Some(Value::Null) => return Some(None),
        Some(v) => v,
    };
    let Some(t) = v.as_object() else {
        inv.add(at, "not-an-object");
        return None;
    };
    unknown_keys(inv, at, t, TRANSITIONAL_KEYS);
    let mut r = Reader { inv, obj: t, at };
    let up_to = r.date("applications_up_to");
    let amount = r.amount("amount_minor");
    Some(Some(Transitional {
        applications_up_to: up_to?,
        amount_minor: amount?,
    }))
}

/// Reads typed members of one object, recording a located problem for each
/// one that is missing or of the wrong kind.
struct Reader<'a, 'b> {
    inv: &'a mut Invalid,
    obj: &'b Map<String, Value>,
    at: &'b str,
}

impl<'b> Reader<'_, 'b> {
    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    fn present(&mut self, key: &str) -> Option<&'b Value> {
        let obj: &'b Map<String, Value> = self.obj;
        match obj.get(key) {
            None | Some(Value::Null) => {
                let f = self.field(key);
                self.inv.add(&f, "required");
                None
            }
            Some(v) => Some(v),
        }
    }

    fn wrong(&mut self, key: &str, code: &str) {
        let f = self.field(key);
        self.inv.add(&f, code);
    }

    fn text(&mut self, key: &str) -> Option<String> {
        match self.present(key)?.as_str().map(str::trim) {
            Some(s) if !s.is_empty() => Some(s.to_string()),
            Some(_) => {
                self.wrong(key, "required");
                None
            }
            None => {
                self.wrong(key, "not-text");
                None
            }
        }
    }

    fn opt_text(&mut self, key: &str) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(_) => self.text(key),
        }
    }

    fn opt_int(&mut self, key: &str) -> Option<i64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    self.wrong(key, "not-integer");
                    None
                }
            },
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        let b = self.present(key)?.as_bool();
        if b.is_none() {
            self.wrong(key, "not-boolean");
        }
        b
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let v = self.present(key)?;
        let d = v
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        if d.is_none() {
            self.wrong(key, "invalid-date");
        }
        d
    }

    /// `None`: a problem was reported; `Some(None)`: left out.
    fn opt_date(&mut self, key: &str) -> Option<Option<NaiveDate>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(_) => self.date(key).map(Some),
        }
    }

    fn amount(&mut self, key: &str) -> Option<i64> {
        let v = self.present(key)?;
        amount_of(v).map_err(|code| self.wrong(key, code)).ok()
    }

    fn opt_amount(&mut self, key: &str) -> Option<Option<i64>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(_) => self.amount(key).map(Some),
        }
    }

    fn text_list(&mut self, key: &str, max: usize) -> Option<Vec<String>> {
        let v = self.present(key)?;
        let list = v.as_array().and_then(|a| {
            a.iter()
                .map(|x| x.as_str().map(|s| s.trim().to_string()))
                .collect::<Option<Vec<_>>>()
        });
        match list {
            Some(l) if l.iter().all(|s| !s.is_empty() && s.chars().count() <= max) => Some(l),
            _ => {
                self.wrong(key, "not-a-list-of-text");
                None
            }
        }
    }

    fn opt_text_list(&mut self, key: &str, max: usize) -> Option<Vec<String>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(_) => self.text_list(key, max),
        }
    }

    fn choices<T: serde::de::DeserializeOwned + PartialEq>(&mut self, key: &str) -> Option<Vec<T>> {
        let v = self.present(key)?;
        let Some(items) = v.as_array() else {
            self.wrong(key, "not-a-list");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match serde_json::from_value::<T>(item.clone()) {
                Ok(x) if !out.contains(&x) => out.push(x),
                Ok(_) => {
                    let f = format!("{}.{key}.{i}", self.at);
                    self.inv.add(&f, "duplicate");
                    ok = false;
                }
                Err(_) => {
                    let f = format!("{}.{key}.{i}", self.at);
                    self.inv.add(&f, "invalid-choice");
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }
}

/// An amount in minor units: a whole, non-negative number of sensible size.
fn amount_of(v: &Value) -> Result<i64, &'static str> {
    let Some(n) = v.as_number() else {
        return Err("not-integer");
    };
    match n.as_i64() {
        Some(x) if x < 0 => Err("negative-amount"),
        Some(x) if x > MAX_AMOUNT_MINOR => Err("amount-too-large"),
        Some(x) => Ok(x),
        // A fraction (`1500.5`) or a number beyond i64.
        None if n.as_f64().is_some_and(|f| f < 0.0) => Err("negative-amount"),
        None => Err("not-integer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eligibility::builtin_rule_sets;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ctx(existing: &[RuleSet]) -> Context<'_> {
        Context {
            programme: "be-2027",
            currency: "EUR",
            opens_on: d("2027-01-01"),
            closes_on: Some(d("2029-12-31")),
            existing,
        }
    }

    fn doc() -> Value {
        json!({
            "effective_from": "2027-01-01",
            "currency": "EUR",
            "residence_regions": ["Brussels", "Flanders", "Wallonia"],
            "eligible_claim_outcomes": ["rejected", "withdrawn"],
            "excluded_criminality": ["confirmed"],
            "requires_compliance": true,
            "prior_assistance_excludes": true,
            "tiered_claims_before": "2027-06-01",
            "tiers": {"before_federal_court_leave": 150000, "before_prra_application": 100000,
                      "prra_pending": 75000, "after_prra_decision": 50000},
            "later_claims_tiers": {"before_federal_court_leave": 120000, "before_prra_application": 90000,
                      "prra_pending": 60000, "after_prra_decision": 40000},
        })
    }

    fn codes(e: &Invalid) -> Vec<(String, String)> {
        e.errors
            .iter()
            .map(|x| (x.field.clone(), x.code.clone()))
            .collect()
    }

    #[test]
    fn a_valid_document_becomes_the_next_version() {
        let rs = check(&doc(), &ctx(&[])).unwrap();
        assert_eq!(rs.programme, "be-2027");
        assert_eq!(rs.version, 1);
        assert_eq!(rs.currency, "EUR");
        assert_eq!(rs.tiers.prra_pending, 75000);
        assert!(rs.transitional.is_none());
        assert_eq!(rs.residence_regions.len(), 3);
    }

    #[test]
    fn the_pilots_own_file_passes() {
        let pilot = &builtin_rule_sets()[0];
        let text = include_str!("../../rules/gta-2012.json");
        let c = Context {
            programme: "gta-2012",
            currency: "CAD",
            opens_on: d("2012-06-29"),
            closes_on: Some(d("2015-03-31")),
            existing: &[],
        };
        let rs = parse(text, &c).unwrap();
        assert_eq!(rs.id(), pilot.id());
        assert_eq!(rs.tiers.before_federal_court_leave, 200000);
        assert_eq!(rs.transitional.unwrap().amount_minor, 200000);
    }

    #[test]
    fn every_problem_is_named_with_its_place() {
        let mut v = doc();
        let o = v.as_object_mut().unwrap();
        o.insert("colour".into(), json!("blue"));
        o.insert("currency".into(), json!("XYZ"));
        o.insert("effective_to".into(), json!("2026-12-31"));
        o["tiers"]["prra_pending"] = json!(-5);
        o["tiers"]["after_prra_decision"] = json!(12.5);
        o["tiers"]["bonus"] = json!(1);
        o["eligible_claim_outcomes"] = json!(["rejected", "lost"]);
        o.remove("requires_compliance");
        let e = check(&v, &ctx(&[])).unwrap_err();
        let c = codes(&e);
        for want in [
            ("rules.colour", "unknown-key"),
            ("rules.currency", "unknown-currency"),
            ("rules.effective_to", "dates-unordered"),
            ("rules.tiers.prra_pending", "negative-amount"),
            ("rules.tiers.after_prra_decision", "not-integer"),
            ("rules.tiers.bonus", "unknown-key"),
            ("rules.eligible_claim_outcomes.1", "invalid-choice"),
            ("rules.requires_compliance", "required"),
        ] {
            assert!(
                c.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} missing from {c:?}"
            );
        }
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = parse("{\n  \"currency\": \"EUR\",,\n}", &ctx(&[])).unwrap_err();
        assert_eq!(e.errors[0].code, "json-syntax");
        assert_eq!(e.errors[0].detail.as_deref(), Some("line 2, column 21"));
        let big = "x".repeat(MAX_DOCUMENT_BYTES + 1);
        assert_eq!(
            parse(&big, &ctx(&[])).unwrap_err().errors[0].code,
            "too-long"
        );
        assert_eq!(
            check(&json!([1, 2]), &ctx(&[])).unwrap_err().errors[0].code,
            "not-an-object"
        );
    }

    #[test]
    fn unreachable_tiers_are_refused() {
        // Transitional to the programme's last day: the tiers never apply.
        let mut v = doc();
        v["transitional"] = json!({"applications_up_to": "2029-12-31", "amount_minor": 1000});
        let c = codes(&check(&v, &ctx(&[])).unwrap_err());
        assert!(c.contains(&("rules.tiers".into(), "unreachable-tier".into())));
        // A transitional rule that ended before the version starts.
        v["transitional"] = json!({"applications_up_to": "2026-06-30", "amount_minor": 1000});
        let c = codes(&check(&v, &ctx(&[])).unwrap_err());
        assert!(c.contains(&("rules.transitional".into(), "unreachable-tier".into())));
        // Later-claims tiers from a date after the programme closes.
        let mut v = doc();
        v["tiered_claims_before"] = json!("2030-01-01");
        let c = codes(&check(&v, &ctx(&[])).unwrap_err());
        assert!(c.contains(&("rules.later_claims_tiers".into(), "unreachable-tier".into())));
        // No claim outcome at all.
        let mut v = doc();
        v["eligible_claim_outcomes"] = json!([]);
        let c = codes(&check(&v, &ctx(&[])).unwrap_err());
        assert!(c.contains(&("rules.eligible_claim_outcomes".into(), "unreachable".into())));
    }

    #[test]
    fn versions_follow_each_other() {
        let first = check(&doc(), &ctx(&[])).unwrap();
        let existing = vec![first];
        // Same effective date as the version in force: refused.
        let c = codes(&check(&doc(), &ctx(&existing)).unwrap_err());
        assert!(c.contains(&(
            "rules.effective_from".into(),
            "overlaps-earlier-version".into()
        )));
        let mut v = doc();
        v["effective_from"] = json!("2028-01-01");
        v["version"] = json!(7);
        let e = check(&v, &ctx(&existing)).unwrap_err();
        assert_eq!(e.errors[0].field, "rules.version");
        assert_eq!(e.errors[0].detail.as_deref(), Some("2"));
        v["version"] = json!(2);
        let second = check(&v, &ctx(&existing)).unwrap();
        assert_eq!(second.version, 2);
        // Outside the programme's dates, and another programme's currency or code.
        v["effective_from"] = json!("2031-01-01");
        v["currency"] = json!("CAD");
        v["programme"] = json!("gta-2012");
        let c = codes(&check(&v, &ctx(&existing)).unwrap_err());
        assert!(c.contains(&(
            "rules.effective_from".into(),
            "outside-programme-period".into()
        )));
        assert!(c.contains(&("rules.currency".into(), "currency-not-programme".into())));
        assert!(c.contains(&("rules.programme".into(), "programme-mismatch".into())));
    }

    #[test]
    fn amounts_are_whole_and_sensible() {
        assert_eq!(amount_of(&json!(0)), Ok(0));
        assert_eq!(amount_of(&json!(-1)), Err("negative-amount"));
        assert_eq!(amount_of(&json!(-1.5)), Err("negative-amount"));
        assert_eq!(amount_of(&json!(1.5)), Err("not-integer"));
        assert_eq!(amount_of(&json!("100")), Err("not-integer"));
        assert_eq!(amount_of(&json!(1e12)), Err("not-integer"));
        assert_eq!(
            amount_of(&json!(MAX_AMOUNT_MINOR + 1)),
            Err("amount-too-large")
        );
    }
}
