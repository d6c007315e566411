//! Field-level validation errors, shared by every form and endpoint.

use serde::Serialize;

/// One problem with one field. `code` is a translation key (`error-<code>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    /// What the code alone cannot say (`line 3, column 7`, the next version
    /// number), shown beside the translated message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A set of field errors: the input as a whole was refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {errors:?}")]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    /// One problem with one field.
    pub fn one(field: &str, code: &str) -> Invalid {
        let mut inv = Invalid::default();
        inv.add(field, code);
        inv
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, code: &str) {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            detail: None,
        });
    }

    /// Records a problem with `field` and what the code alone cannot say.
    pub fn add_detail(&mut self, field: &str, code: &str, detail: String) {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            detail: Some(detail),
        });
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The first error code for `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.code.as_str())
    }
}

/// Trims and turns an empty string into `None`.
pub fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks a required text field's presence and length.
pub fn text(inv: &mut Invalid, field: &str, value: Option<&str>, required: bool, max: usize) {
    match value.map(str::trim) {
        None | Some("") if required => inv.add(field, "required"),
        Some(v) if v.chars().count() > max => inv.add_detail(field, "too-long", max.to_string()),
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            inv.add(field, "control-characters")
        }
        _ => {}
    }
}

/// ISO 3166-1 alpha-2: two ASCII capitals. (The code list itself is data.)
pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// ISO 639-1 (two letters) or 639-3 (three letters), lower case.
pub fn is_language_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

/// A plausible email address: one `@`, something on each side, a dot in the domain.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && s.len() <= 254
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let mut inv = Invalid::default();
        text(&mut inv, "a", None, true, 5);
        text(&mut inv, "b", Some("   "), true, 5);
        text(&mut inv, "c", Some("toolong"), false, 5);
        text(&mut inv, "d", Some("ok"), true, 5);
        text(&mut inv, "e", Some("a\u{0}b"), true, 5);
        assert_eq!(inv.for_field("a"), Some("required"));
        assert_eq!(inv.for_field("b"), Some("required"));
        assert_eq!(inv.for_field("c"), Some("too-long"));
        assert_eq!(inv.for_field("d"), None);
        assert_eq!(inv.for_field("e"), Some("control-characters"));
    }

    #[test]
    fn codes_and_emails() {
        assert!(is_country_code("HU"));
        assert!(!is_country_code("hu"));
        assert!(!is_country_code("HUN"));
        assert!(is_language_code("fr"));
        assert!(is_language_code("rom"));
        assert!(!is_language_code("FR"));
        assert!(is_email("a@iom.int"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@iom.int"));
        assert!(!is_email("@iom.int"));
    }
}
