//! People: the names, identity and contact details of the persons a case is about.

use crate::validation::{self, clean, Invalid};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest free-text name field we accept.
pub const NAME_MAX: usize = 200;
/// Longest other text field.
pub const TEXT_MAX: usize = 500;

/// Sex as recorded in the person's documents.
pub const SEXES: [&str; 4] = ["female", "male", "other", "unknown"];

/// How a family member relates to the principal applicant.
pub const RELATIONSHIPS: [&str; 6] = ["principal", "spouse", "child", "parent", "sibling", "other"];

/// A person as typed by a user or sent by a client: raw strings, not yet trusted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"given_names": "Ana", "family_name": "Horváth", "sex": "female",
    "date_of_birth": "1988-04-12", "nationalities": ["HU"], "preferred_languages": ["hu", "en"],
    "interpreter_needed": true, "phone": "+1 416 555 0134"})))]
pub struct PersonInput {
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    /// The name in its original script (Cyrillic, Arabic, ...).
    pub original_script_name: Option<String>,
    pub aliases: Vec<String>,
    pub sex: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub date_of_birth_approximate: bool,
    /// ISO 3166-1 alpha-2 codes.
    pub nationalities: Vec<String>,
    /// ISO 639 codes.
    pub preferred_languages: Vec<String>,
    pub interpreter_needed: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// IRCC unique client identifier.
    pub uci: Option<String>,
    pub cbsa_client_id: Option<String>,
    pub passport_number: Option<String>,
}

/// A person that passed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonData {
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    pub original_script_name: Option<String>,
    pub aliases: Vec<String>,
    pub sex: String,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_approximate: bool,
    pub nationalities: Vec<String>,
    pub preferred_languages: Vec<String>,
    pub interpreter_needed: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub uci: Option<String>,
    pub cbsa_client_id: Option<String>,
    pub passport_number: Option<String>,
}

impl PersonData {
    /// The name people read: Latin form, else the original script.
    pub fn display_name(&self) -> String {
        display_name(
            self.given_names.as_deref(),
            self.family_name.as_deref(),
            self.original_script_name.as_deref(),
        )
    }
}

/// Joins name parts without assuming "first + last" exists.
pub fn display_name(given: Option<&str>, family: Option<&str>, original: Option<&str>) -> String {
    let latin: Vec<&str> = [family.map(str::trim), given.map(str::trim)]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    if latin.is_empty() {
        original.unwrap_or("").trim().to_string()
    } else if latin.len() == 2 {
        format!("{}, {}", latin[0], latin[1])
    } else {
        latin[0].to_string()
    }
}

impl PersonInput {
    /// Checks every field and returns typed data, or every problem found.
    pub fn validate(&self, today: NaiveDate) -> Result<PersonData, Invalid> {
        let mut inv = Invalid::default();
        validation::text(
            &mut inv,
            "given_names",
            self.given_names.as_deref(),
            false,
            NAME_MAX,
        );
        validation::text(
            &mut inv,
            "family_name",
            self.family_name.as_deref(),
            false,
            NAME_MAX,
        );
        validation::text(
            &mut inv,
            "original_script_name",
            self.original_script_name.as_deref(),
            false,
            NAME_MAX,
        );
        let given = clean(self.given_names.as_deref());
        let family = clean(self.family_name.as_deref());
        let original = clean(self.original_script_name.as_deref());
        if given.is_none() && family.is_none() && original.is_none() {
            inv.add("family_name", "name-required");
        }
        if self.aliases.len() > 20 {
            inv.add("aliases", "too-many");
        }
        for a in &self.aliases {
            validation::text(&mut inv, "aliases", Some(a), false, NAME_MAX);
        }
        let sex = clean(self.sex.as_deref()).unwrap_or_else(|| "unknown".into());
        if !SEXES.contains(&sex.as_str()) {
            inv.add("sex", "invalid-choice");
        }
        let mut dob = None;
        if let Some(d) = clean(self.date_of_birth.as_deref()) {
            match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                Ok(d) if d > today => inv.add("date_of_birth", "date-in-future"),
                Ok(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => {
                    inv.add("date_of_birth", "date-too-early")
                }
                Ok(d) => dob = Some(d),
                Err(_) => inv.add("date_of_birth", "invalid-date"),
            }
        }
        let nationalities = codes(&self.nationalities, |s| s.to_ascii_uppercase());
        if nationalities.len() > 5 {
            inv.add("nationalities", "too-many");
        }
        if nationalities
            .iter()
            .any(|c| !validation::is_country_code(c))
        {
            inv.add("nationalities", "invalid-country");
        }
        let languages = codes(&self.preferred_languages, |s| s.to_ascii_lowercase());
        if languages.len() > 5 {
            inv.add("preferred_languages", "too-many");
        }
        if languages.iter().any(|c| !validation::is_language_code(c)) {
            inv.add("preferred_languages", "invalid-language");
        }
        for (field, value) in [
            ("phone", &self.phone),
            ("uci", &self.uci),
            ("cbsa_client_id", &self.cbsa_client_id),
            ("passport_number", &self.passport_number),
        ] {
            validation::text(&mut inv, field, value.as_deref(), false, 40);
        }
        if let Some(p) = clean(self.phone.as_deref()) {
            if !p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            {
                inv.add("phone", "invalid-phone");
            }
        }
        validation::text(&mut inv, "email", self.email.as_deref(), false, 254);
        if let Some(e) = clean(self.email.as_deref()) {
            if !validation::is_email(&e) {
                inv.add("email", "invalid-email");
            }
        }
        validation::text(
            &mut inv,
            "address",
            self.address.as_deref(),
            false,
            TEXT_MAX,
        );
        inv.into_result()?;
        Ok(PersonData {
            given_names: given,
            family_name: family,
            original_script_name: original,
            aliases: self.aliases.iter().filter_map(|a| clean(Some(a))).collect(),
            sex,
            date_of_birth: dob,
            date_of_birth_approximate: self.date_of_birth_approximate,
            nationalities,
            preferred_languages: languages,
            interpreter_needed: self.interpreter_needed,
            phone: clean(self.phone.as_deref()),
            email: clean(self.email.as_deref()),
            address: clean(self.address.as_deref()),
            uci: clean(self.uci.as_deref()),
            cbsa_client_id: clean(self.cbsa_client_id.as_deref()),
            passport_number: clean(self.passport_number.as_deref()).map(|p| p.to_uppercase()),
        })
    }
}

fn codes(list: &[String], norm: impl Fn(&str) -> String) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list
        .iter()
        .map(|s| norm(s.trim()))
        .filter(|s| !s.is_empty())
    {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Checks a case's editable fields: country of return and destination locality.
pub fn validate_case_fields(
    inv: &mut Invalid,
    country_of_return: Option<&str>,
    destination_locality: Option<&str>,
) -> (Option<String>, Option<String>) {
    let country = clean(country_of_return).map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country {
        if !validation::is_country_code(c) {
            inv.add("country_of_return", "invalid-country");
        }
    }
    validation::text(
        inv,
        "destination_locality",
        destination_locality,
        false,
        NAME_MAX,
    );
    (country, clean(destination_locality))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2012, 9, 1).unwrap()
    }

    #[test]
    fn a_name_in_any_field_is_enough() {
        let p = PersonInput {
            original_script_name: Some("Иван Петров".into()),
            ..Default::default()
        };
        let d = p.validate(today()).unwrap();
        assert_eq!(d.display_name(), "Иван Петров");
        assert_eq!(d.sex, "unknown");
        let none = PersonInput::default().validate(today()).unwrap_err();
        assert_eq!(none.for_field("family_name"), Some("name-required"));
    }

    #[test]
    fn bad_fields_are_all_reported() {
        let p = PersonInput {
            family_name: Some("Kovács".into()),
            sex: Some("x".into()),
            date_of_birth: Some("2012-02-30".into()),
            nationalities: vec!["hun".into()],
            preferred_languages: vec!["HU1".into()],
            phone: Some("call me".into()),
            email: Some("nope".into()),
            ..Default::default()
        };
        let e = p.validate(today()).unwrap_err();
        for (f, c) in [
            ("sex", "invalid-choice"),
            ("date_of_birth", "invalid-date"),
            ("nationalities", "invalid-country"),
            ("preferred_languages", "invalid-language"),
            ("phone", "invalid-phone"),
            ("email", "invalid-email"),
        ] {
            assert_eq!(e.for_field(f), Some(c), "{f}");
        }
    }

    #[test]
    fn future_birth_dates_are_refused() {
        let p = PersonInput {
            family_name: Some("A".into()),
            date_of_birth: Some("2013-01-01".into()),
            ..Default::default()
        };
        assert_eq!(
            p.validate(today()).unwrap_err().for_field("date_of_birth"),
            Some("date-in-future")
        );
    }

    #[test]
    fn codes_are_normalised_and_deduplicated() {
        let p = PersonInput {
            given_names: Some(" Ana ".into()),
            family_name: Some("García".into()),
            nationalities: vec!["co".into(), "CO".into(), " mx".into()],
            preferred_languages: vec!["ES".into()],
            passport_number: Some("ab123".into()),
            ..Default::default()
        };
        let d = p.validate(today()).unwrap();
        assert_eq!(d.nationalities, vec!["CO", "MX"]);
        assert_eq!(d.preferred_languages, vec!["es"]);
        assert_eq!(d.given_names.as_deref(), Some("Ana"));
        assert_eq!(d.passport_number.as_deref(), Some("AB123"));
        assert_eq!(d.display_name(), "García, Ana");
    }
}
