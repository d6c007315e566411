//! Country (ISO 3166-1 alpha-2) and language (ISO 639) names in English
//! and French, so forms offer names and keep the codes (`data/README.md`).

use std::sync::OnceLock;

/// A code and its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub code: &'static str,
    pub en: &'static str,
    pub fr: &'static str,
}

impl Named {
    /// The name in `lang` (`fr`, else English).
    pub fn name(&self, lang: &str) -> &'static str {
        match lang {
            "fr" => self.fr,
            _ => self.en,
        }
    }
}

fn parse(text: &'static str) -> Vec<Named> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.splitn(3, ',');
            Some(Named {
                code: f.next()?,
                en: f.next()?,
                fr: f.next()?,
            })
        })
        .collect()
}

/// Every country, by code.
pub fn countries() -> &'static [Named] {
    static ALL: OnceLock<Vec<Named>> = OnceLock::new();
    ALL.get_or_init(|| parse(include_str!("../data/countries.csv")))
}

/// Every language offered, by code.
pub fn languages() -> &'static [Named] {
    static ALL: OnceLock<Vec<Named>> = OnceLock::new();
    ALL.get_or_init(|| parse(include_str!("../data/languages.csv")))
}

/// The name of country `code` in `lang`, if it is one.
pub fn country(code: &str, lang: &str) -> Option<&'static str> {
    countries()
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .map(|c| c.name(lang))
}

/// The name of language `code` in `lang`, if it is one.
pub fn language(code: &str, lang: &str) -> Option<&'static str> {
    languages()
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .map(|c| c.name(lang))
}

/// (code, name) of every entry of `all`, sorted by the name in `lang` as
/// a reader looks for it (accents after their letter).
pub fn choices(all: &[Named], lang: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = all
        .iter()
        .map(|n| (n.code.to_string(), n.name(lang).to_string()))
        .collect();
    v.sort_by_cached_key(|(_, name)| crate::airports::fold(name));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_and_codes_are_unique() {
        assert_eq!(countries().len(), 249);
        assert!(languages().len() > 180);
        for all in [countries(), languages()] {
            let mut codes: Vec<&str> = all.iter().map(|n| n.code).collect();
            codes.dedup();
            assert_eq!(codes.len(), all.len());
            assert!(all.iter().all(|n| !n.en.is_empty() && !n.fr.is_empty()));
        }
    }

    #[test]
    fn names_are_given_in_the_readers_language() {
        assert_eq!(country("HU", "en"), Some("Hungary"));
        assert_eq!(country("hu", "fr"), Some("Hongrie"));
        assert_eq!(language("hu", "fr"), Some("Hongrois"));
        assert_eq!(language("rom", "en"), Some("Romany"));
        assert_eq!(country("XX", "en"), None);
        let fr = choices(countries(), "fr");
        let pos = |code: &str| fr.iter().position(|(c, _)| c == code).unwrap();
        // "Égypte" sorts among the E's, not after "Zimbabwe".
        assert!(pos("EG") < pos("ZW") && pos("EG") > pos("DK"));
    }
}
