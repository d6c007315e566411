//! A programme as data: who runs it, where, in which zone and currency, who
//! refers people to it, and its rules (versioned, in [`rules`]). The GTA pilot
//! is one programme among any number an administrator sets up.

pub mod rules;

use crate::money::Currency;
use crate::validation::{self, clean, Invalid};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The zone of a reader who belongs to no programme, and of a programme
/// whose stored zone no longer parses: the first programme's office
/// (the GTA pilot, Toronto). Every other zone comes from a programme.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::America::Toronto;

/// The facts a referral can record (the pilot's immigration facts). A
/// programme says which of them its referral form asks for.
pub const REFERRAL_FACTS: [&str; 12] = [
    "residence_region",
    "claim_filed_on",
    "claim_outcome",
    "irb_decided_on",
    "designated_country_of_origin",
    "federal_court_leave_filed_on",
    "prra_applied_on",
    "prra_decided_on",
    "removal_order",
    "compliant_with_conditions",
    "criminality",
    "prior_avrr_assistance",
];

/// The authority that refers people, as typed: a short name alone (`"CBSA"`)
/// or both names.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AuthorityInput {
    Short(String),
    Named {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        short_name: Option<String>,
    },
}

/// The referring authority: its name, and the short name pages and letters show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Authority {
    pub name: String,
    pub short_name: String,
}

impl Authority {
    /// How letters and papers name it: "Name (SHORT)", or the name alone
    /// when there is no other short name.
    pub fn written(&self) -> String {
        match self.short_name.is_empty() || self.short_name == self.name {
            true => self.name.clone(),
            false => format!("{} ({})", self.name, self.short_name),
        }
    }
}

/// A programme's settings as typed in a form or sent to the API; every value
/// optional so that each missing one is reported by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"code": "be-2027", "name": "AVRR Belgium", "host_country": "BE",
    "time_zone": "Europe/Brussels", "currency": "EUR", "referring_authority": {"name": "Fedasil", "short_name": "Fedasil"},
    "opens_on": "2027-01-01", "closes_on": null, "regions": ["Brussels", "Flanders", "Wallonia"], "languages": ["fr", "nl"]})))]
pub struct ProgrammeInput {
    /// Lower-case letters, digits and hyphens (`be-2027`); fixed once created.
    pub code: Option<String>,
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2 of the host country (`CA`).
    pub host_country: Option<String>,
    /// IANA time zone of the office (`America/Toronto`).
    pub time_zone: Option<String>,
    /// ISO 4217 (`CAD`).
    pub currency: Option<String>,
    pub referring_authority: Option<AuthorityInput>,
    /// Which of the referral facts the referral form asks for; all when left out.
    pub referral_facts: Option<Vec<String>>,
    /// `YYYY-MM-DD`.
    pub opens_on: Option<String>,
    /// `YYYY-MM-DD`; none while the programme runs on.
    pub closes_on: Option<String>,
    /// Regions of residence the programme accepts (`GTA`).
    pub regions: Option<Vec<String>>,
    /// Hours a referred person has to contact the office (24 when left out).
    pub contact_hours: Option<i64>,
    /// Days from approval to departure the office aims for (30 when left out).
    pub departure_target_days: Option<i64>,
    /// Days after a case closes that its returnees' codes still open their
    /// page (365 when left out).
    pub returnee_access_days: Option<i64>,
    /// Days the programme gives itself to answer a question or complaint
    /// (30 when left out).
    pub feedback_due_days: Option<i64>,
    /// ISO 639 codes of the languages offered to returnees.
    pub languages: Option<Vec<String>>,
    /// Three capitals that start its case numbers (`TOR`).
    pub case_prefix: Option<String>,
    /// The letterhead's lines (the office's name and address).
    pub letterhead: Option<String>,
    /// Who signs its letters.
    pub signatory: Option<String>,
    /// The first rule document, when creating a programme (the format of
    /// `docs/rules.md`); checked by [`rules::check`], not by [`ProgrammeInput::check`].
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
    /// The programme's `version` as read, when changing one (a stale one is
    /// refused).
    pub version: Option<i64>,
}

/// A programme's checked settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub code: String,
    pub name: String,
    pub host_country: String,
    pub time_zone: Tz,
    pub currency: Currency,
    pub authority: Authority,
    pub referral_facts: Vec<String>,
    pub opens_on: NaiveDate,
    pub closes_on: Option<NaiveDate>,
    pub regions: Vec<String>,
    pub contact_hours: u32,
    pub departure_target_days: u32,
    pub returnee_access_days: u32,
    pub feedback_due_days: u32,
    pub languages: Vec<String>,
    pub case_prefix: String,
    pub letterhead: Option<String>,
    pub signatory: Option<String>,
}

/// A programme code: what URLs and rule documents name it by.
pub fn is_code(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Reads an IANA zone name (`Europe/Brussels`); abbreviations such as `EST`
/// are refused because they do not follow daylight saving.
pub fn time_zone(s: &str) -> Option<Tz> {
    if !s.contains('/') && s != "UTC" {
        return None;
    }
    s.parse::<Tz>().ok()
}

impl ProgrammeInput {
    /// Checks every value, naming each problem by its field.
    pub fn check(&self) -> Result<Settings, Invalid> {
        let mut inv = Invalid::default();
        let code = clean(self.code.as_deref());
        match code.as_deref() {
            None => inv.add("code", "required"),
            Some(c) if !is_code(c) => inv.add("code", "invalid-code"),
            _ => {}
        }
        validation::text(&mut inv, "name", self.name.as_deref(), true, 200);
        let host_country = clean(self.host_country.as_deref()).map(|s| s.to_ascii_uppercase());
        match host_country.as_deref() {
            None => inv.add("host_country", "required"),
            Some(c) if !validation::is_country_code(c) => {
                inv.add("host_country", "invalid-country")
            }
            _ => {}
        }
        let tz = match clean(self.time_zone.as_deref()) {
            None => {
                inv.add("time_zone", "required");
                None
            }
            Some(z) => {
                let tz = time_zone(&z);
                if tz.is_none() {
                    inv.add("time_zone", "unknown-time-zone");
                }
                tz
            }
        };
        let currency = match clean(self.currency.as_deref()) {
            None => {
                inv.add("currency", "required");
                None
            }
            Some(c) => {
                let cur = Currency::parse(&c).ok();
                if cur.is_none() {
                    inv.add("currency", "unknown-currency");
                }
                cur
            }
        };
        let authority = self.authority(&mut inv);
        let referral_facts = match &self.referral_facts {
            None => REFERRAL_FACTS.iter().map(|s| s.to_string()).collect(),
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for (i, f) in list.iter().enumerate() {
                    let f = f.trim();
                    if !REFERRAL_FACTS.contains(&f) {
                        inv.add(&format!("referral_facts.{i}"), "invalid-choice");
                    } else if !out.iter().any(|x| x == f) {
                        out.push(f.to_string());
                    }
                }
                out
            }
        };
        let opens_on = date(&mut inv, "opens_on", self.opens_on.as_deref(), true);
        let closes_on = date(&mut inv, "closes_on", self.closes_on.as_deref(), false);
        if let (Some(o), Some(c)) = (opens_on, closes_on) {
            if c < o {
                inv.add("closes_on", "dates-unordered");
            }
        }
        let regions = list(&mut inv, "regions", self.regions.as_deref(), 100);
        if regions.is_empty() && !inv.errors.iter().any(|e| e.field.starts_with("regions")) {
            inv.add("regions", "required");
        }
        let contact_hours = bounded(
            &mut inv,
            "contact_hours",
            self.contact_hours,
            24,
            1,
            24 * 30,
        );
        let departure_target_days = bounded(
            &mut inv,
            "departure_target_days",
            self.departure_target_days,
            30,
            1,
            365,
        );
        let returnee_access_days = bounded(
            &mut inv,
            "returnee_access_days",
            self.returnee_access_days,
            365,
            0,
            3650,
        );
        let feedback_due_days = bounded(
            &mut inv,
            "feedback_due_days",
            self.feedback_due_days,
            crate::feedback::DEFAULT_DUE_DAYS as u32,
            1,
            365,
        );
        let languages = list(&mut inv, "languages", self.languages.as_deref(), 3);
        for (i, l) in languages.iter().enumerate() {
            if !validation::is_language_code(l) {
                inv.add(&format!("languages.{i}"), "invalid-language");
            }
        }
        let case_prefix = clean(self.case_prefix.as_deref()).map(|s| s.to_ascii_uppercase());
        if let Some(p) = &case_prefix {
            if !(p.len() == 3 && p.bytes().all(|b| b.is_ascii_uppercase())) {
                inv.add("case_prefix", "invalid-case-prefix");
            }
        }
        validation::text(
            &mut inv,
            "letterhead",
            self.letterhead.as_deref(),
            false,
            1000,
        );
        validation::text(&mut inv, "signatory", self.signatory.as_deref(), false, 200);
        inv.into_result()?;
        let (
            Some(code),
            Some(name),
            Some(host_country),
            Some(time_zone),
            Some(currency),
            Some(authority),
            Some(opens_on),
        ) = (
            code,
            clean(self.name.as_deref()),
            host_country,
            tz,
            currency,
            authority,
            opens_on,
        )
        else {
            return Err(Invalid::one("code", "required"));
        };
        let case_prefix = case_prefix.unwrap_or_else(|| {
            // The first three letters of the code, so case numbers say
            // which programme they belong to (`be-2027` → `BEX`).
            let mut p: String = code
                .chars()
                .filter(char::is_ascii_alphabetic)
                .take(3)
                .collect::<String>()
                .to_ascii_uppercase();
            while p.len() < 3 {
                p.push('X');
            }
            p
        });
        Ok(Settings {
            code,
            name,
            host_country,
            time_zone,
            currency,
            authority,
            referral_facts,
            opens_on,
            closes_on,
            regions,
            contact_hours,
            departure_target_days,
            returnee_access_days,
            feedback_due_days,
            languages,
            case_prefix,
            letterhead: clean(self.letterhead.as_deref()),
            signatory: clean(self.signatory.as_deref()),
        })
    }

    fn authority(&self, inv: &mut Invalid) -> Option<Authority> {
        let (name, short) = match &self.referring_authority {
            None => (None, None),
            Some(AuthorityInput::Short(s)) => (clean(Some(s)), clean(Some(s))),
            Some(AuthorityInput::Named { name, short_name }) => {
                let name = clean(name.as_deref());
                let short = clean(short_name.as_deref()).or_else(|| name.clone());
                (name.or_else(|| short.clone()), short)
            }
        };
        let (Some(name), Some(short)) = (name, short) else {
            inv.add("referring_authority", "required");
            return None;
        };
        if name.chars().count() > 200 || short.chars().count() > 40 {
            inv.add("referring_authority", "too-long");
            return None;
        }
        Some(Authority {
            name,
            short_name: short,
        })
    }
}

fn date(inv: &mut Invalid, field: &str, v: Option<&str>, required: bool) -> Option<NaiveDate> {
    match clean(v) {
        None => {
            if required {
                inv.add(field, "required");
            }
            None
        }
        Some(s) => {
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
            if d.is_none() {
                inv.add(field, "invalid-date");
            }
            d
        }
    }
}

fn list(inv: &mut Invalid, field: &str, v: Option<&[String]>, max_len: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, s) in v.unwrap_or_default().iter().enumerate() {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > max_len || s.chars().any(char::is_control) {
            inv.add(&format!("{field}.{i}"), "invalid-value");
        } else if !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    }
    if out.len() > 50 {
        inv.add(field, "too-many");
    }
    out
}

fn bounded(
    inv: &mut Invalid,
    field: &str,
    v: Option<i64>,
    default: u32,
    min: u32,
    max: u32,
) -> u32 {
    match v {
        None => default,
        Some(n) => match u32::try_from(n) {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                inv.add_detail(field, "out-of-range", format!("{min}–{max}"));
                default
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brussels() -> ProgrammeInput {
        ProgrammeInput {
            code: Some("be-2027".into()),
            name: Some("AVRR Belgium".into()),
            host_country: Some("be".into()),
            time_zone: Some("Europe/Brussels".into()),
            currency: Some("EUR".into()),
            referring_authority: Some(AuthorityInput::Named {
                name: Some("Federal Agency for the Reception of Asylum Seekers".into()),
                short_name: Some("Fedasil".into()),
            }),
            opens_on: Some("2027-01-01".into()),
            regions: Some(vec!["Brussels".into(), "Flanders".into()]),
            languages: Some(vec!["fr".into(), "nl".into(), "ar".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn a_programme_is_checked_and_filled_in() {
        let s = brussels().check().unwrap();
        assert_eq!(s.time_zone, chrono_tz::Europe::Brussels);
        assert_eq!(s.currency.code(), "EUR");
        assert_eq!(s.host_country, "BE");
        assert_eq!(s.authority.short_name, "Fedasil");
        assert_eq!(s.contact_hours, 24);
        assert_eq!(s.departure_target_days, 30);
        assert_eq!((s.returnee_access_days, s.feedback_due_days), (365, 30));
        assert_eq!(s.case_prefix, "BEX");
        assert_eq!(s.referral_facts.len(), REFERRAL_FACTS.len());
        assert_eq!(s.closes_on, None);
    }

    #[test]
    fn a_short_authority_name_stands_for_both() {
        let mut p = brussels();
        p.referring_authority = Some(AuthorityInput::Short("CBSA".into()));
        let a = p.check().unwrap().authority;
        assert_eq!((a.name.as_str(), a.short_name.as_str()), ("CBSA", "CBSA"));
    }

    #[test]
    fn every_bad_value_is_named() {
        let p = ProgrammeInput {
            code: Some("Bad Code".into()),
            host_country: Some("Belgium".into()),
            time_zone: Some("EST".into()),
            currency: Some("EUX".into()),
            referral_facts: Some(vec!["claim_outcome".into(), "shoe_size".into()]),
            opens_on: Some("2027-02-30".into()),
            closes_on: Some("2026-01-01".into()),
            contact_hours: Some(0),
            departure_target_days: Some(9999),
            returnee_access_days: Some(-1),
            feedback_due_days: Some(0),
            languages: Some(vec!["French".into()]),
            case_prefix: Some("BR".into()),
            ..Default::default()
        };
        let e = p.check().unwrap_err();
        let got: Vec<(&str, &str)> = e
            .errors
            .iter()
            .map(|x| (x.field.as_str(), x.code.as_str()))
            .collect();
        for want in [
            ("code", "invalid-code"),
            ("name", "required"),
            ("host_country", "invalid-country"),
            ("time_zone", "unknown-time-zone"),
            ("currency", "unknown-currency"),
            ("referring_authority", "required"),
            ("referral_facts.1", "invalid-choice"),
            ("opens_on", "invalid-date"),
            ("regions", "required"),
            ("contact_hours", "out-of-range"),
            ("departure_target_days", "out-of-range"),
            ("returnee_access_days", "out-of-range"),
            ("feedback_due_days", "out-of-range"),
            ("languages.0", "invalid-value"),
            ("case_prefix", "invalid-case-prefix"),
        ] {
            assert!(got.contains(&want), "{want:?} missing from {got:?}");
        }
        let mut p = brussels();
        p.closes_on = Some("2026-12-31".into());
        assert_eq!(
            p.check().unwrap_err().for_field("closes_on"),
            Some("dates-unordered")
        );
    }

    #[test]
    fn zones_and_codes() {
        assert_eq!(
            time_zone("America/Toronto"),
            Some(chrono_tz::America::Toronto)
        );
        assert_eq!(time_zone("UTC"), Some(chrono_tz::UTC));
        assert_eq!(time_zone("EST"), None);
        assert_eq!(time_zone("Mars/Olympus"), None);
        assert!(is_code("gta-2012"));
        assert!(!is_code("-x"));
        assert!(!is_code("GTA"));
        assert!(!is_code("a"));
    }
}
