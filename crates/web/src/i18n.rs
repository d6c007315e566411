//! Translations: every user-facing string comes from `locales/<lang>/main.ftl`.
//! The request's language is passed explicitly; isolation marks are off so
//! strings render cleanly in HTML.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::{langid, LanguageIdentifier};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Parses a code, ignoring region and case (`fr-CA` is French).
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(h: &str) -> Option<Lang> {
        h.split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::Fr => langid!("fr"),
        }
    }
}

/// Numbers go to Fluent as numbers, so plural rules (`[one]`) apply.
fn arg(v: &str) -> FluentValue<'static> {
    match v.parse::<i64>() {
        Ok(n) => FluentValue::from(n),
        Err(_) => FluentValue::from(v.to_string()),
    }
}

/// Translates for one language. Templates call `t.t("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    /// Where the reader is: dates and times are shown in this zone.
    pub tz: chrono_tz::Tz,
}

impl Tr {
    /// Creates a translator for a reader of no programme (signed out, or
    /// a background job): the default office's zone.
    pub fn new(lang: Lang) -> Tr {
        Tr {
            lang,
            tz: homeward_domain::programme::DEFAULT_TIME_ZONE,
        }
    }

    /// Creates a translator for a reader in `tz`.
    pub fn in_zone(lang: Lang, tz: chrono_tz::Tz) -> Tr {
        Tr { lang, tz }
    }

    /// The message for `key`, or the key itself if it is missing (a test
    /// guarantees none is).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.lang.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key` with named arguments.
    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), arg(v)))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.lang.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    /// An amount in minor units with its currency, written the way this language writes it.
    pub fn money(&self, minor: i64, currency: &str) -> String {
        money_in(minor, currency, self.code())
    }

    /// The message for `key` with its `count` argument (plural forms).
    pub fn count(&self, key: &str, count: usize) -> String {
        self.ta(key, &[("count", count.to_string())])
    }

    /// Whether `key` exists in this language.
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(&self.lang.id(), key).is_some()
    }

    /// A case status's name.
    pub fn status(&self, s: &str) -> String {
        self.t(&format!("status-{s}"))
    }

    /// A language's name in this language for its ISO 639 code ("Hungarian"),
    /// or the code as stored when it is not one.
    pub fn language(&self, code: &str) -> String {
        homeward_domain::iso_names::language(code, self.code())
            .map(str::to_string)
            .unwrap_or_else(|| code.to_string())
    }

    /// A country's name in this language for its ISO code ("Hungary"), or
    /// the code as stored when it is not one.
    pub fn country(&self, code: &str) -> String {
        homeward_domain::iso_names::country(code, self.code())
            .map(str::to_string)
            .unwrap_or_else(|| code.to_string())
    }

    /// A role's name.
    pub fn role(&self, s: &str) -> String {
        self.t(&format!("role-{s}"))
    }

    /// An error code's message.
    pub fn error(&self, code: &str) -> String {
        self.t(&format!("error-{code}"))
    }

    /// A choice value's label (`sex-female`, `relationship-child`, ...).
    pub fn choice(&self, group: &str, v: &str) -> String {
        self.t(&format!("{group}-{v}"))
    }

    /// A transition button's label.
    pub fn action(&self, to: &str) -> String {
        self.t(&format!("to-{to}"))
    }

    /// A date and time in the reader's zone (their office's, or the country of a
    /// mission officer), with the zone's abbreviation.
    pub fn datetime(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        local.format("%Y-%m-%d %H:%M %Z").to_string()
    }

    /// The language code (for `<html lang>`).
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// Formats minor units as an amount with its currency, in English
/// (`CAD 2,000.00`).
pub fn money(minor: i64, currency: &str) -> String {
    money_in(minor, currency, "en")
}

/// Formats minor units the way `lang` writes amounts: `CAD 2,000.00` in
/// English, `2 000,00 CAD` in French and Hungarian (narrow no-break spaces),
/// `2.000,00 CAD` in Spanish.
pub fn money_in(minor: i64, currency: &str, lang: &str) -> String {
    let (group, decimal, code_first) = match lang {
        "fr" | "hu" => ('\u{202f}', ',', false),
        "es" => ('.', ',', false),
        _ => (',', '.', true),
    };
    // Minor units per the currency (JPY has none, BHD three); two if unknown.
    let exp = homeward_domain::money::Currency::parse(currency)
        .map(|c| u32::from(c.exponent()))
        .unwrap_or(2);
    let scale = 10u64.pow(exp);
    let units = minor.unsigned_abs() / scale;
    let cents = minor.unsigned_abs() % scale;
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let frac = if exp == 0 {
        String::new()
    } else {
        format!("{decimal}{cents:0w$}", w = exp as usize)
    };
    if code_first {
        format!("{sign}{currency} {grouped}{frac}")
    } else {
        format!("{sign}{grouped}{frac}\u{a0}{currency}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_grouped_with_two_decimals() {
        assert_eq!(super::money(200_000, "CAD"), "CAD 2,000.00");
        assert_eq!(super::money(50, "CAD"), "CAD 0.50");
        assert_eq!(super::money(123_456_789, "HUF"), "HUF 1,234,567.89");
        assert_eq!(super::money(-1500, "CAD"), "-CAD 15.00");
        assert_eq!(
            super::money_in(200_000, "CAD", "fr"),
            "2\u{202f}000,00\u{a0}CAD"
        );
        assert_eq!(
            super::money_in(123_456_789, "HUF", "es"),
            "1.234.567,89\u{a0}HUF"
        );
        assert_eq!(super::money_in(50, "CAD", "hu"), "0,50\u{a0}CAD");
        // Each currency's own minor unit: yen have none, dinars three.
        assert_eq!(super::money_in(1500, "JPY", "en"), "JPY 1,500");
        assert_eq!(super::money_in(1500, "TND", "en"), "TND 1.500");
        assert!(super::money_in(i64::MIN, "CAD", "en").starts_with("-CAD 92,233,"));
    }

    use super::*;

    #[test]
    fn parses_languages() {
        assert_eq!(Lang::parse("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(
            Lang::from_accept_language("de-DE,fr;q=0.8,en;q=0.5"),
            Some(Lang::Fr)
        );
    }

    #[test]
    fn english_and_french_have_the_same_keys() {
        let keys = |lang: &str| -> Vec<String> {
            let text = match lang {
                "en" => include_str!("../locales/en/main.ftl"),
                _ => include_str!("../locales/fr/main.ftl"),
            };
            let mut k: Vec<String> = text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap_or("").trim().to_string())
                .collect();
            k.sort();
            k
        };
        let (en, fr) = (keys("en"), keys("fr"));
        assert!(en.len() > 100, "{}", en.len());
        let missing_fr: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        let missing_en: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_fr.is_empty(), "missing in French: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in English: {missing_en:?}");
    }

    #[test]
    fn every_status_role_and_choice_is_translated() {
        use homeward_domain::person::{RELATIONSHIPS, SEXES};
        use homeward_domain::{CaseStatus, Role};
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for s in CaseStatus::ALL {
                assert!(t.has(&format!("status-{s}")), "{s}");
                assert!(t.has(&format!("to-{s}")), "to-{s}");
            }
            for r in Role::ALL {
                assert!(t.has(&format!("role-{r}")), "{r}");
            }
            for s in SEXES {
                assert!(t.has(&format!("sex-{s}")));
            }
            for r in RELATIONSHIPS {
                assert!(t.has(&format!("relationship-{r}")));
            }
        }
        assert_eq!(Tr::new(Lang::Fr).status("withdrawn"), "Désisté");
        let one = [("count", "1".to_string())];
        assert_eq!(Tr::new(Lang::En).ta("cases-found", &one), "One case found.");
        assert_eq!(
            Tr::new(Lang::Fr).ta("cases-found", &[("count", "3".to_string())]),
            "3 dossiers trouvés."
        );
    }
}

#[cfg(test)]
mod coverage {
    use super::*;

    /// Every string literal passed as the last argument of a call named `name(`.
    fn codes_after(src: &str, name: &str, min_literals: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in src.match_indices(name) {
            let rest = &src[i + name.len()..];
            let Some(end) = rest.find(')') else { continue };
            let args = &rest[..end];
            let lits: Vec<&str> = args.split('"').skip(1).step_by(2).collect();
            if lits.len() < min_literals {
                continue;
            }
            if let Some(last) = lits.last() {
                if !last.is_empty()
                    && last
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
                {
                    out.push(last.to_string());
                }
            }
        }
        out
    }

    #[test]
    fn every_eligibility_explanation_is_translated() {
        let src = include_str!("../../domain/src/eligibility.rs");
        let src = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
        let keys: Vec<&str> = src
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|l| {
                (l.starts_with("rule-") || l.starts_with("entitlement-")) && !l.contains(' ')
            })
            .collect();
        assert!(keys.len() >= 25, "{keys:?}");
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            let args = [
                ("region", "GTA".to_string()),
                ("regions", "GTA".to_string()),
                ("date", "2012-07-13".to_string()),
                ("from", "2012-06-29".to_string()),
                ("to", "2015-03-31".to_string()),
            ];
            for k in &keys {
                assert_ne!(t.ta(k, &args), *k, "{lang:?} lacks {k}");
            }
            for id in [
                "programme-period",
                "residence",
                "failed-claim",
                "compliance",
                "no-criminality",
                "prior-assistance",
            ] {
                assert!(t.has(&format!("rule-name-{id}")), "{id}");
            }
        }
    }

    #[test]
    fn every_readiness_blocker_and_choice_is_translated() {
        use homeward_domain::readiness::{DOCUMENT_KINDS, FITNESS, VULNERABILITIES};
        let src = include_str!("../../domain/src/readiness.rs");
        let src = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
        let codes: Vec<&str> = src
            .split("code: \"")
            .skip(1)
            .filter_map(|x| x.split('"').next())
            .collect();
        assert_eq!(codes.len(), 4, "{codes:?}");
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for c in &codes {
                assert!(t.has(&format!("error-blocker-{c}")), "{lang:?} {c}");
            }
            for (g, vals) in [
                ("document", &DOCUMENT_KINDS[..]),
                ("fitness", &FITNESS[..]),
                ("vulnerability", &VULNERABILITIES[..]),
            ] {
                for v in vals {
                    assert!(t.has(&format!("{g}-{v}")), "{lang:?} {g}-{v}");
                }
            }
            for (g, vals) in [
                ("topic", &homeward_store::counselling::TOPICS[..]),
                ("purpose", &homeward_store::consents::PURPOSES[..]),
                ("kind", &homeward_store::attachments::KINDS[..]),
                ("outcome", &homeward_domain::referral::OUTCOMES[..]),
                ("criminality", &homeward_domain::referral::CRIMINALITY[..]),
            ] {
                for v in vals {
                    assert!(t.has(&format!("{g}-{v}")), "{lang:?} {g}-{v}");
                }
            }
            for k in [
                "overdue-contact",
                "past-departure-target",
                "document-expiring",
                "consulate-waiting",
                "fitness-check-due",
                "plan-due",
                "followup-overdue",
            ] {
                assert!(t.has(&format!("task-{k}")), "{lang:?} task-{k}");
            }
        }
    }

    #[test]
    fn every_reintegration_choice_and_code_is_translated() {
        use homeward_domain::reintegration::{
            Category, Dimension, PurchaseStatus, CLOSURE_REASONS,
        };
        use homeward_domain::{followups, money};
        // Every code the money, plan, follow-up and survey rules can give.
        let mut codes: Vec<String> = Vec::new();
        for src in [
            include_str!("../../domain/src/money.rs"),
            include_str!("../../domain/src/reintegration/category.rs"),
            include_str!("../../domain/src/reintegration/arrival.rs"),
            include_str!("../../domain/src/reintegration/plan.rs"),
            include_str!("../../domain/src/reintegration/vendors.rs"),
            include_str!("../../domain/src/reintegration/purchases.rs"),
            include_str!("../../domain/src/reintegration/ledger.rs"),
            include_str!("../../domain/src/reintegration/closure.rs"),
            include_str!("../../domain/src/followups.rs"),
            include_str!("../../domain/src/rss.rs"),
        ] {
            let src = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
            for lit in src.split('"').skip(1).step_by(2) {
                let known = [
                    "rss-",
                    "rate-",
                    "plan-",
                    "purchase-",
                    "vendor-",
                    "four-eyes",
                    "receipt-",
                ];
                if known.iter().any(|k| lit.starts_with(k))
                    && lit.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    codes.push(lit.to_string());
                }
            }
        }
        codes.extend(
            [
                "unknown-currency",
                "currency-mismatch",
                "too-many-decimals",
                "negative-amount",
                "zero-amount",
                "amount-too-large",
                "not-a-rate",
                "same-currency",
                "converts-to-zero",
            ]
            .map(String::from),
        );
        assert!(codes.len() > 20, "{codes:?}");
        let _ = money::CURRENCIES;
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for c in &codes {
                assert!(t.has(&format!("error-{c}")), "{lang:?} error-{c}");
            }
            for d in Dimension::ALL {
                assert!(t.has(&format!("dimension-{}", d.as_str())));
            }
            for c in Category::ALL {
                assert!(t.has(&format!("category-{}", c.as_str())));
            }
            for s in PurchaseStatus::ALL {
                assert!(t.has(&format!("purchase-status-{}", s.as_str())));
            }
            for r in CLOSURE_REASONS {
                assert!(t.has(&format!("closure-{r}")));
            }
            for m in followups::CONTACT_MODES {
                assert!(t.has(&format!("contact-mode-{m}")));
            }
            for o in followups::OUTCOMES {
                assert!(t.has(&format!("followup-outcome-{o}")));
            }
        }
    }

    #[test]
    fn every_travel_choice_is_translated() {
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            for s in [
                "booked",
                "departed",
                "no_show",
                "postponed",
                "cancelled",
                "rebooked",
            ] {
                assert!(t.has(&format!("itinerary-{s}")), "{lang:?} {s}");
                assert!(t.has(&format!("itinerary-event-{s}")), "{lang:?} {s}");
            }
            for k in homeward_letters::LetterKind::ALL {
                assert!(t.has(&format!("letter-{}", k.as_str())), "{lang:?} {k}");
                for l in homeward_letters::languages(k) {
                    assert!(t.has(&format!("letter-lang-{l}")), "{lang:?} {l}");
                }
            }
            for st in ["pending", "running", "done", "failed"] {
                assert!(t.has(&format!("job-status-{st}")), "{lang:?} {st}");
            }
            for o in ["running", "ok", "retry", "failed", "lost"] {
                assert!(t.has(&format!("attempt-{o}")), "{lang:?} {o}");
            }
            assert!(t.has("job-kind-cbsa_webhook"));
            for w in ["short-connection", "long-connection"] {
                assert!(t.has(&format!("warning-{w}")));
            }
            let args = [
                ("case", "TOR-2026-000001".to_string()),
                ("travellers", "A".to_string()),
                ("flight", "AC880".to_string()),
                ("at", "now".to_string()),
            ];
            let n = t.ta("notification-departure-confirmed", &args);
            assert!(n.contains("TOR-2026-000001") && n.contains("AC880"), "{n}");
        }
    }

    #[test]
    fn every_error_code_in_the_code_has_a_message_in_both_languages() {
        let sources = [
            include_str!("../../domain/src/person.rs"),
            include_str!("../../domain/src/validation.rs"),
            include_str!("../../domain/src/workflow.rs"),
            include_str!("../../store/src/passwords.rs"),
            include_str!("../../domain/src/password.rs"),
            include_str!("../../store/src/users.rs"),
            include_str!("../../store/src/cases/mod.rs"),
            include_str!("../../store/src/cases/scope.rs"),
            include_str!("../../store/src/cases/status.rs"),
            include_str!("../../store/src/persons.rs"),
            include_str!("error.rs"),
            include_str!("csrf.rs"),
            include_str!("api/extract.rs"),
            include_str!("api/cases.rs"),
            include_str!("api/eligibility.rs"),
            include_str!("../../store/src/readiness.rs"),
            include_str!("../../store/src/counselling.rs"),
            include_str!("../../store/src/consents.rs"),
            include_str!("../../store/src/attachments.rs"),
            include_str!("../../domain/src/referral.rs"),
            include_str!("../../domain/src/itinerary.rs"),
            include_str!("../../domain/src/booking.rs"),
            include_str!("../../domain/src/files.rs"),
            include_str!("../../store/src/travel.rs"),
            include_str!("../../store/src/departures.rs"),
            include_str!("../../store/src/jobs.rs"),
            include_str!("pages/travel.rs"),
            include_str!("pages/case_page/travel.rs"),
            include_str!("letters.rs"),
            include_str!("api/travel.rs"),
            include_str!("../../store/src/purchases.rs"),
            include_str!("../../store/src/plans.rs"),
        ];
        let mut codes = Vec::new();
        for src in sources {
            for call in [
                ".add(",
                "Precondition(",
                "Err(\"",
                "ApiError::new(",
                "bad(",
                "invalid(",
            ] {
                // `.add(field, code)`: a lone literal there is the field, not the code.
                let min = if call == ".add(" || call == "invalid(" {
                    2
                } else {
                    1
                };
                codes.extend(codes_after(src, call, min));
            }
        }
        // Codes added on fields named at run time (`travellers[N]...`).
        codes.extend(
            [
                "not-on-case",
                "duplicate",
                "traveller-already-booked",
                "invalid-ticket-number",
                "fitness-check-outside-window",
                "nonexistent-local-time",
                "invalid-carrier",
                "invalid-flight-number",
                "unknown-airport",
                "segments-do-not-connect",
                "departs-before-previous-arrives",
                "arrives-before-departs",
                "implausible-duration",
                "same-airport",
            ]
            .map(String::from),
        );
        codes.sort();
        codes.dedup();
        assert!(codes.len() > 25, "{codes:?}");
        for lang in Lang::ALL {
            let t = Tr::new(lang);
            let missing: Vec<_> = codes
                .iter()
                .filter(|c| !t.has(&format!("error-{c}")))
                .collect();
            assert!(
                missing.is_empty(),
                "{lang:?} lacks messages for {missing:?}"
            );
        }
    }
}
