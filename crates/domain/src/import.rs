//! Bulk import of persons from a list (docs/adr/0030): which columns a file
//! may have, how a mapping renames them, and what one row means. The person
//! rules themselves are [`PersonInput::validate`]'s; nothing here reads a file.

use crate::person::{PersonData, PersonInput};
use crate::role::Role;
use crate::validation::{self, FieldError};
use chrono::NaiveDate;

/// The columns an import file may have, in this order in the report.
pub const COLUMNS: [&str; 10] = [
    "external_id",
    "given_names",
    "family_name",
    "original_script_name",
    "sex",
    "date_of_birth",
    "nationality",
    "phone",
    "uci",
    "passport_number",
];

/// The columns of which a file needs at least one.
pub const NAME_COLUMNS: [&str; 3] = ["given_names", "family_name", "original_script_name"];

/// Longest external identifier.
pub const EXTERNAL_ID_MAX: usize = 100;

/// Longest record (one row, with its line breaks inside quotes) read; a longer
/// one is reported and skipped, the rest of the file goes on.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Largest list taken as an upload (the page and the API; docs/adr/0033).
/// Large enough for a list of a few hundred thousand people, or one with a
/// 50 MB line among good ones; the command line takes any size.
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// Who may import persons: supervisors (the role that creates persons for the
/// whole team). Admins manage users and configuration and hold no person
/// records, so they may not.
pub fn may_import(role: Role) -> bool {
    role == Role::Supervisor
}

/// Normalises a header name: trimmed, lower case, spaces and dashes as `_`.
pub fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// Renames columns: `from` (as in the file) to one of [`COLUMNS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pairs: Vec<(String, String)>,
}

impl Mapping {
    /// Reads a mapping file's text: one `from,to` per line (a first line
    /// `from,to` is a header), or TOML-like `from = "to"` lines; `#` starts a
    /// comment. Every `to` must be one of [`COLUMNS`].
    pub fn parse(text: &str) -> Result<Mapping, String> {
        let mut pairs = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
                continue;
            }
            let Some((from, to)) = line.split_once(',').or_else(|| line.split_once('=')) else {
                return Err(format!(
                    "mapping line {}: expected `from,to` or `from = \"to\"`",
                    n + 1
                ));
            };
            let unquote = |s: &str| normalise_header(s.trim().trim_matches('"'));
            let (from, to) = (unquote(from), unquote(to));
            if n == 0 && from == "from" && to == "to" {
                continue;
            }
            if !COLUMNS.contains(&to.as_str()) {
                return Err(format!(
                    "mapping line {}: `{to}` is not a column (expected one of {})",
                    n + 1,
                    COLUMNS.join(", ")
                ));
            }
            pairs.push((from, to));
        }
        Ok(Mapping { pairs })
    }

    /// The column a file's header stands for, if any.
    pub fn column(&self, header: &str) -> Option<&'static str> {
        let h = normalise_header(header);
        let target = self
            .pairs
            .iter()
            .find(|(f, _)| *f == h)
            .map(|(_, t)| t.as_str())
            .unwrap_or(h.as_str());
        COLUMNS.iter().copied().find(|c| *c == target)
    }
}

/// Where each known column is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    positions: [Option<usize>; 10],
}

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the file is empty")]
    Empty,
    #[error("the first line is not UTF-8 text")]
    NotUtf8,
    #[error("the first line must be a header naming the columns; it names none of given_names, family_name, original_script_name (found: {0})")]
    NoNameColumn(String),
    #[error("column `{0}` appears twice in the header")]
    Repeated(String),
    #[error("the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\") and import it again")]
    Utf16,
    #[error("the first line is longer than 64 KiB: it is not a header")]
    TooLong,
    #[error("the first line is not a valid CSV header")]
    Malformed,
}

impl HeaderError {
    /// A stable code for translations and the API (`empty`, `not-utf8`,
    /// `utf16`, `no-name-column`, `repeated-column`, `header-too-long`,
    /// `malformed-header`).
    pub fn code(&self) -> &'static str {
        match self {
            HeaderError::Empty => "empty",
            HeaderError::NotUtf8 => "not-utf8",
            HeaderError::NoNameColumn(_) => "no-name-column",
            HeaderError::Repeated(_) => "repeated-column",
            HeaderError::Utf16 => "utf16",
            HeaderError::TooLong => "header-too-long",
            HeaderError::Malformed => "malformed-header",
        }
    }

    /// The columns found, or the repeated one, when the reason names them.
    pub fn detail(&self) -> Option<&str> {
        match self {
            HeaderError::NoNameColumn(d) | HeaderError::Repeated(d) => Some(d),
            _ => None,
        }
    }

    /// Rebuilds a refusal from [`HeaderError::code`] and
    /// [`HeaderError::detail`] (as kept with a background import).
    pub fn from_code(code: &str, detail: Option<&str>) -> Option<HeaderError> {
        let d = || detail.unwrap_or_default().to_string();
        Some(match code {
            "empty" => HeaderError::Empty,
            "not-utf8" => HeaderError::NotUtf8,
            "no-name-column" => HeaderError::NoNameColumn(d()),
            "repeated-column" => HeaderError::Repeated(d()),
            "utf16" => HeaderError::Utf16,
            "header-too-long" => HeaderError::TooLong,
            "malformed-header" => HeaderError::Malformed,
            _ => return None,
        })
    }
}

impl Header {
    /// Reads the header row. Unknown columns are ignored; at least one name
    /// column is needed.
    pub fn parse(fields: &[&str], mapping: &Mapping) -> Result<Header, HeaderError> {
        if fields.iter().all(|f| f.trim().is_empty()) {
            return Err(HeaderError::Empty);
        }
        let mut positions = [None; 10];
        for (i, f) in fields.iter().enumerate() {
            if let Some(c) = mapping.column(f) {
                let k = COLUMNS.iter().position(|x| *x == c).unwrap_or(0);
                if positions[k].is_some() {
                    return Err(HeaderError::Repeated(c.to_string()));
                }
                positions[k] = Some(i);
            }
        }
        let h = Header { positions };
        if !NAME_COLUMNS.iter().any(|c| h.has(c)) {
            let found: Vec<String> = fields.iter().take(10).map(|f| f.trim().into()).collect();
            return Err(HeaderError::NoNameColumn(found.join(", ")));
        }
        Ok(h)
    }

    /// Whether the file has this column.
    pub fn has(&self, column: &str) -> bool {
        self.position(column).is_some()
    }

    fn position(&self, column: &str) -> Option<usize> {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|k| self.positions[k])
    }

    /// The value of `column` in a row, trimmed; `None` when absent or empty.
    pub fn get<'a>(&self, row: &[&'a str], column: &str) -> Option<&'a str> {
        self.position(column)
            .and_then(|i| row.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// One row that passed the person rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub external_id: Option<String>,
    pub person: PersonData,
}

/// The external id of a row, as written (for the report), if any.
pub fn external_id_of(header: &Header, row: &[&str]) -> Option<String> {
    header.get(row, "external_id").map(str::to_string)
}

/// The [`PersonInput`] a row stands for, over `base` (the person already
/// imported with this external id, if any): a non-empty cell replaces the
/// value, an empty cell or a missing column keeps it. `nationality` may list
/// several codes separated by `;` or `|`.
pub fn row_input(header: &Header, row: &[&str], base: PersonInput) -> PersonInput {
    let mut p = base;
    let set = |slot: &mut Option<String>, col: &str| {
        if let Some(v) = header.get(row, col) {
            *slot = Some(v.to_string());
        }
    };
    set(&mut p.given_names, "given_names");
    set(&mut p.family_name, "family_name");
    set(&mut p.original_script_name, "original_script_name");
    set(&mut p.sex, "sex");
    set(&mut p.date_of_birth, "date_of_birth");
    set(&mut p.phone, "phone");
    set(&mut p.uci, "uci");
    set(&mut p.passport_number, "passport_number");
    if let Some(n) = header.get(row, "nationality") {
        p.nationalities = n
            .split([';', '|'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(s) = &p.sex {
        p.sex = Some(s.to_lowercase());
    }
    p
}

/// Checks a row: the external id, then every person rule. On failure, every
/// problem found, each naming its column.
pub fn validate_row(
    header: &Header,
    row: &[&str],
    base: PersonInput,
    today: NaiveDate,
) -> Result<ImportRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let external_id = external_id_of(header, row);
    if let Some(e) = &external_id {
        let mut inv = validation::Invalid::default();
        validation::text(&mut inv, "external_id", Some(e), false, EXTERNAL_ID_MAX);
        errors.extend(inv.errors);
    }
    let input = row_input(header, row, base);
    match input.validate(today) {
        Ok(person) if errors.is_empty() => Ok(ImportRow {
            external_id,
            person,
        }),
        Ok(_) => Err(errors),
        Err(inv) => {
            errors.extend(inv.errors.into_iter().map(|mut e| {
                if e.field == "nationalities" {
                    e.field = "nationality".into();
                }
                e
            }));
            Err(errors)
        }
    }
}

/// What a problem code means, in plain English, for the report file.
pub fn describe(code: &str) -> &'static str {
    match code {
        "name-required" => "a name is required (given_names, family_name or original_script_name)",
        "invalid-date" => "not a date (expected YYYY-MM-DD)",
        "date-in-future" => "date in the future",
        "date-too-early" => "date before 1900",
        "invalid-choice" => "not one of female, male, other, unknown",
        "invalid-country" => "not an ISO 3166-1 alpha-2 country code",
        "invalid-phone" => "a phone number has digits, spaces and + - ( ) . only",
        "too-long" => "too long",
        "too-many" => "too many values",
        "control-characters" => "contains control characters",
        "not-utf8" => "the line is not UTF-8 text",
        "record-too-large" => "the line is longer than 64 KiB",
        "malformed" => "the line is not valid CSV",
        "repeated-external-id" => "this external_id appears on an earlier line",
        "not-in-scope" => "a person with this external_id exists outside your records",
        "merged" => "this person was merged into another record: change the kept record instead",
        _ => "invalid value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn header(cols: &[&str]) -> Header {
        Header::parse(cols, &Mapping::default()).unwrap()
    }

    #[test]
    fn header_needs_a_name_column() {
        assert!(matches!(
            Header::parse(&["external_id", "phone"], &Mapping::default()),
            Err(HeaderError::NoNameColumn(_))
        ));
        assert!(matches!(
            Header::parse(&["Ana", "Pop", "1990-01-01"], &Mapping::default()),
            Err(HeaderError::NoNameColumn(_))
        ));
        let h = header(&["\u{feff}External ID", "Family Name", "whatever"]);
        assert!(h.has("external_id") && h.has("family_name") && !h.has("phone"));
    }

    #[test]
    fn mapping_renames_columns() {
        let m = Mapping::parse("from,to\nSurname,family_name\nCBSA ref,external_id\n").unwrap();
        let h = Header::parse(&["CBSA ref", "surname"], &m).unwrap();
        assert_eq!(h.get(&["X1", "Pop"], "family_name"), Some("Pop"));
        let m = Mapping::parse("[columns]\nsurname = \"family_name\"\n").unwrap();
        assert_eq!(m.column("Surname"), Some("family_name"));
        assert!(Mapping::parse("a,nonsense").is_err());
    }

    #[test]
    fn rows_use_the_person_rules() {
        let h = header(&[
            "external_id",
            "family_name",
            "date_of_birth",
            "nationality",
            "sex",
        ]);
        let ok = validate_row(
            &h,
            &["A1", "Pop", "1990-02-03", "ro;hu", "F"],
            PersonInput::default(),
            today(),
        );
        // "F" is not a sex code: nothing is guessed.
        let errs = ok.unwrap_err();
        assert_eq!(errs[0].field, "sex");
        let ok = validate_row(
            &h,
            &["A1", "Pop", "1990-02-03", "ro;hu", "female"],
            PersonInput::default(),
            today(),
        )
        .unwrap();
        assert_eq!(ok.person.nationalities, vec!["RO", "HU"]);
        assert_eq!(ok.external_id.as_deref(), Some("A1"));
        let bad = validate_row(
            &h,
            &["A2", "Pop", "1990-02-30", "", ""],
            PersonInput::default(),
            today(),
        )
        .unwrap_err();
        assert_eq!(bad[0].field, "date_of_birth");
        assert_eq!(bad[0].code, "invalid-date");
        let none =
            validate_row(&h, &["A3", "", "", "", ""], PersonInput::default(), today()).unwrap_err();
        assert_eq!(none[0].code, "name-required");
    }

    #[test]
    fn empty_cells_keep_existing_values() {
        let h = header(&["external_id", "family_name", "phone"]);
        let base = PersonInput {
            family_name: Some("Pop".into()),
            phone: Some("+40 1".into()),
            ..Default::default()
        };
        let p = row_input(&h, &["A1", "Popescu", ""], base);
        assert_eq!(p.family_name.as_deref(), Some("Popescu"));
        assert_eq!(p.phone.as_deref(), Some("+40 1"));
    }
}
