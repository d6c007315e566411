//! Form fields to domain input and back: people, referrals, lists, choices.
//! Shared by the page handlers that show or read these forms.

use crate::form::FormState;
use crate::i18n::Tr;
use std::collections::HashMap;

/// Splits a comma, semicolon or space separated list.
pub fn split_list(s: Option<&String>) -> Vec<String> {
    s.map(|s| {
        s.split([',', ';', ' ', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// Parses a form's person fields (optionally under a prefix).
pub fn person_input(f: &HashMap<String, String>) -> homeward_domain::person::PersonInput {
    let s = |k: &str| f.get(k).cloned();
    let b = |k: &str| matches!(f.get(k).map(String::as_str), Some("on" | "true" | "1"));
    homeward_domain::person::PersonInput {
        given_names: s("given_names"),
        family_name: s("family_name"),
        original_script_name: s("original_script_name"),
        aliases: f
            .get("aliases")
            .map(|a| {
                a.split([';', '\n'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        sex: s("sex"),
        date_of_birth: s("date_of_birth"),
        date_of_birth_approximate: b("date_of_birth_approximate"),
        nationalities: split_list(f.get("nationalities")),
        preferred_languages: split_list(f.get("preferred_languages")),
        interpreter_needed: b("interpreter_needed"),
        phone: s("phone"),
        email: s("email"),
        address: s("address"),
        uci: s("uci"),
        cbsa_client_id: s("cbsa_client_id"),
        passport_number: s("passport_number"),
    }
}

/// Parses a form's referral facts (fields named `referral.<fact>`); `None`
/// when the form has none of them.
pub fn referral_input(
    f: &HashMap<String, String>,
) -> Option<homeward_domain::referral::ReferralInput> {
    if !f.keys().any(|k| k.starts_with("referral.")) {
        return None;
    }
    let s = |k: &str| f.get(&format!("referral.{k}")).cloned();
    let tri = |k: &str| match f.get(&format!("referral.{k}")).map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    Some(homeward_domain::referral::ReferralInput {
        claim_filed_on: s("claim_filed_on"),
        claim_outcome: s("claim_outcome"),
        irb_decided_on: s("irb_decided_on"),
        designated_country_of_origin: tri("designated_country_of_origin"),
        federal_court_leave_filed_on: s("federal_court_leave_filed_on"),
        prra_applied_on: s("prra_applied_on"),
        prra_decided_on: s("prra_decided_on"),
        removal_order: tri("removal_order"),
        compliant_with_conditions: tri("compliant_with_conditions"),
        criminality: s("criminality"),
        residence_region: s("residence_region"),
        prior_avrr_assistance: tri("prior_avrr_assistance"),
    })
}

/// The form values that show referral facts.
pub fn referral_values(r: &homeward_domain::referral::ReferralInput) -> HashMap<String, String> {
    let tri = |b: Option<bool>| match b {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "unknown".to_string(),
    };
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        m.insert(format!("referral.{k}"), v.unwrap_or_default());
    };
    put("claim_filed_on", r.claim_filed_on.clone());
    put("claim_outcome", r.claim_outcome.clone());
    put("irb_decided_on", r.irb_decided_on.clone());
    put(
        "designated_country_of_origin",
        Some(tri(r.designated_country_of_origin)),
    );
    put(
        "federal_court_leave_filed_on",
        r.federal_court_leave_filed_on.clone(),
    );
    put("prra_applied_on", r.prra_applied_on.clone());
    put("prra_decided_on", r.prra_decided_on.clone());
    put("removal_order", Some(tri(r.removal_order)));
    put(
        "compliant_with_conditions",
        Some(tri(r.compliant_with_conditions)),
    );
    put("criminality", r.criminality.clone());
    put("residence_region", r.residence_region.clone());
    put("prior_avrr_assistance", Some(tri(r.prior_avrr_assistance)));
    m
}

/// The choices of the referral form: outcomes, criminality, yes/no/unknown.
pub struct ReferralChoices {
    pub outcomes: Vec<(String, String)>,
    pub criminality: Vec<(String, String)>,
    pub tristate: Vec<(String, String)>,
    /// The facts the programme's referral records (`REFERRAL_FACTS` names);
    /// empty: every one.
    pub facts: Vec<String>,
}

impl ReferralChoices {
    /// The choices, translated.
    pub fn new(t: &Tr) -> ReferralChoices {
        let opts = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
            vals.iter()
                .map(|v| (v.to_string(), t.choice(group, v)))
                .collect()
        };
        ReferralChoices {
            outcomes: opts("outcome", &homeward_domain::referral::OUTCOMES),
            criminality: opts("criminality", &homeward_domain::referral::CRIMINALITY),
            tristate: opts("tristate", &["unknown", "yes", "no"]),
            facts: Vec::new(),
        }
    }

    /// The choices for the referral of `programmes` (one, or every
    /// programme the reader may open a case in): the facts any of them
    /// records, or every fact when one of them names none.
    pub fn for_programmes(t: &Tr, programmes: &[&homeward_store::programmes::Programme]) -> Self {
        let mut facts: Vec<String> = Vec::new();
        if !programmes.iter().any(|p| p.referral_facts.is_empty()) {
            for p in programmes {
                for f in &p.referral_facts {
                    if !facts.contains(f) {
                        facts.push(f.clone());
                    }
                }
            }
        }
        ReferralChoices {
            facts,
            ..ReferralChoices::new(t)
        }
    }

    /// Whether the form asks for fact `name`.
    pub fn asks(&self, name: &str) -> bool {
        self.facts.is_empty() || self.facts.iter().any(|f| f == name)
    }
}

/// The form values that show a person (for an edit form).
pub fn person_values(p: &homeward_domain::person::PersonInput) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("given_names", p.given_names.clone());
    put("family_name", p.family_name.clone());
    put("original_script_name", p.original_script_name.clone());
    put("aliases", Some(p.aliases.join("; ")));
    put("sex", p.sex.clone());
    put("date_of_birth", p.date_of_birth.clone());
    put(
        "date_of_birth_approximate",
        p.date_of_birth_approximate.then(|| "on".to_string()),
    );
    put("nationalities", Some(p.nationalities.join(", ")));
    put(
        "preferred_languages",
        Some(p.preferred_languages.join(", ")),
    );
    put(
        "interpreter_needed",
        p.interpreter_needed.then(|| "on".to_string()),
    );
    put("phone", p.phone.clone());
    put("email", p.email.clone());
    put("address", p.address.clone());
    put("uci", p.uci.clone());
    put("cbsa_client_id", p.cbsa_client_id.clone());
    put("passport_number", p.passport_number.clone());
    m
}

/// Options for the sex select.
/// Countries by name in the reader's language, the ISO code behind each;
/// `current`, when not a known code, kept as it is so nothing typed or
/// stored is lost.
pub fn country_options(t: &Tr, current: &str) -> Vec<(String, String)> {
    use homeward_domain::iso_names;
    let mut v = iso_names::choices(iso_names::countries(), t.code());
    let current = current.trim();
    if !current.is_empty() && iso_names::country(current, t.code()).is_none() {
        v.insert(0, (current.to_string(), current.to_string()));
    }
    v
}

pub fn sex_options(t: &Tr) -> Vec<(String, String)> {
    homeward_domain::person::SEXES
        .iter()
        .map(|s| (s.to_string(), t.choice("sex", s)))
        .collect()
}

/// A blank form.
pub fn blank() -> FormState {
    FormState::default()
}
