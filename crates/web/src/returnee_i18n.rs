//! Translations for returnees (their pages and papers): plain language, in
//! `locales-returnee/<lang>/returnee.ftl`. A language is added by adding its
//! folder; staff pages stay in `locales/` (English and French). Which
//! translations a native speaker has reviewed: docs/translations.md.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::LanguageIdentifier;

static_loader! {
    static RETURNEE = {
        locales: "./locales-returnee",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The returnee languages there are, as sorted codes ("cs", "en", ...).
pub fn languages() -> Vec<String> {
    let mut v: Vec<String> = RETURNEE.locales().map(|l| l.to_string()).collect();
    v.sort();
    v
}

/// Translates for one returnee language.
#[derive(Debug, Clone)]
pub struct Rt {
    lang: LanguageIdentifier,
}

impl Rt {
    /// The first of `preferred` (ISO 639-1 codes, region ignored) that has a
    /// translation, else English.
    pub fn for_preferences(preferred: &[String]) -> Rt {
        let have = languages();
        let code = preferred
            .iter()
            .map(|p| {
                p.trim()
                    .split(['-', '_'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
            .find(|p| have.contains(p))
            .unwrap_or_else(|| "en".into());
        Rt {
            lang: code.parse().unwrap_or_else(|_| unic_langid::langid!("en")),
        }
    }

    /// The language's code.
    pub fn code(&self) -> String {
        self.lang.to_string()
    }

    /// The message for `key` with named arguments (the key itself if
    /// missing: a test checks every language has every English key).
    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone())))
            .collect();
        RETURNEE
            .try_lookup_with_args(&self.lang, key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key`.
    pub fn t(&self, key: &str) -> String {
        self.ta(key, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(src: &str) -> Vec<String> {
        let mut k: Vec<String> = src
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .map(|l| l.split(" = ").next().unwrap_or("").to_string())
            .collect();
        k.sort();
        k
    }

    #[test]
    fn every_language_has_every_english_key() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales-returnee");
        let en = keys(&std::fs::read_to_string(dir.join("en/returnee.ftl")).unwrap());
        assert!(en.len() > 20);
        let langs = languages();
        for l in ["en", "fr", "es", "hu", "hr", "cs"] {
            assert!(langs.contains(&l.to_string()), "{l}");
        }
        for l in langs {
            let theirs =
                keys(&std::fs::read_to_string(dir.join(format!("{l}/returnee.ftl"))).unwrap());
            assert_eq!(theirs, en, "{l}");
        }
    }

    #[test]
    fn the_first_preferred_language_with_a_translation_wins() {
        let p = |v: &[&str]| {
            Rt::for_preferences(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).code()
        };
        assert_eq!(p(&["ro", "hu-HU", "en"]), "hu");
        assert_eq!(p(&["HR"]), "hr");
        assert_eq!(p(&["xx"]), "en");
        assert_eq!(p(&[]), "en");
        let hu = Rt::for_preferences(&["hu".into()]);
        assert_eq!(hu.t("receipt-in-force"), "Érvényes");
        assert!(hu
            .ta(
                "purpose-who-share_with_cbsa",
                &[("authority", "CBSA".into())]
            )
            .contains("CBSA"));
    }
}
