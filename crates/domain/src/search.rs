//! The search box (docs/adr/0031): what a person is found by, how a query
//! is read, and which parts of a shown string it matched. Pure: no I/O.
//!
//! Everything is compared in one *folded* form: Unicode NFKD with marks
//! removed, other scripts transliterated to Latin (`deunicode`), lower
//! case, letters and digits only (see [`crate::duplicates::normalise`]).
//! So `Horváth`, `HORVATH` and `horvath` are one word, and `Иванов` typed
//! in Cyrillic meets `Ivanov` stored in Latin (and the other way round):
//! both fold to `ivanov`.
//!
//! A person is stored with a set of *terms* ([`person_terms`]): the folded
//! words of every name (given, family, original script, aliases), hyphenated
//! names also joined (`jeanpierre`), identifiers folded to letters and
//! digits (`1234-5678` → `12345678`), and the digits of the phone number
//! (whole, without the international prefix, and the local seven). A query
//! ([`Query`]) matches a person when every word of it is the beginning of
//! one of their terms, or when the whole query without spaces and
//! punctuation (`+1 416 555` → `1416555`) is.

use crate::duplicates::{normalise, transliterate};
use serde::Serialize;
use std::ops::Range;

/// Longest query accepted, in characters: a name, a number or two.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words of a query beyond this many are ignored (each costs an index probe).
pub const MAX_QUERY_WORDS: usize = 6;
/// Terms longer than this (in bytes) are cut: nobody types more to find someone.
pub const MAX_TERM_BYTES: usize = 64;
/// Bumped whenever [`person_terms`] changes: the store keeps this marker
/// among a person's terms and recomputes the terms of anyone without it.
/// It starts with `~`, which no folded query word does, so it never matches.
pub const TERM_SCHEME: &str = "~search:1";

/// The parts of a person that search finds them by (as stored, raw).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Searchable<'a> {
    pub names: Vec<&'a str>,
    pub identifiers: Vec<&'a str>,
    pub phone: Option<&'a str>,
}

impl<'a> From<&'a crate::person::PersonData> for Searchable<'a> {
    fn from(d: &'a crate::person::PersonData) -> Searchable<'a> {
        let names = [&d.given_names, &d.family_name, &d.original_script_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain(d.aliases.iter().map(String::as_str))
            .collect();
        let identifiers = [&d.uci, &d.cbsa_client_id, &d.passport_number]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        Searchable {
            names,
            identifiers,
            phone: d.phone.as_deref(),
        }
    }
}

/// `s` folded and with everything but letters and digits removed.
pub fn compact(s: &str) -> String {
    normalise(s).replace(' ', "")
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_TERM_BYTES {
        let mut end = MAX_TERM_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The digits of a phone number in the forms people type them: whole
/// (`14165550199`), without an international `00` or North American `1`
/// prefix (`4165550199`), and the local number (last seven digits).
fn phone_terms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Vec::new();
    }
    let mut out = vec![digits.clone()];
    let mut national = digits.as_str();
    if let Some(rest) = national.strip_prefix("00") {
        national = rest;
        out.push(national.to_string());
    }
    if national.len() == 11 && national.starts_with('1') {
        national = &national[1..];
        out.push(national.to_string());
    }
    if national.len() > 7 {
        out.push(national[national.len() - 7..].to_string());
    }
    out
}

/// Every term a person is found by, sorted, without repeats, with the
/// [`TERM_SCHEME`] marker.
pub fn person_terms(p: &Searchable<'_>) -> Vec<String> {
    let mut out = vec![TERM_SCHEME.to_string()];
    for name in &p.names {
        for piece in name.split_whitespace() {
            let folded = normalise(piece);
            if folded.contains(' ') {
                // Jean-Pierre: `jean`, `pierre` and `jeanpierre`.
                out.push(folded.replace(' ', ""));
            }
            out.extend(folded.split(' ').map(String::from));
        }
    }
    for id in &p.identifiers {
        out.push(compact(id));
    }
    if let Some(phone) = p.phone {
        out.extend(phone_terms(phone));
    }
    let mut out: Vec<String> = out.into_iter().filter(|t| !t.is_empty()).map(cut).collect();
    out.sort();
    out.dedup();
    out
}

/// Why a query was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search text is longer than {MAX_QUERY_CHARS} characters")]
    TooLong,
}

/// A query, folded: its words, and the whole of it without separators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Query {
    /// Folded words; each must begin a term of the person.
    pub words: Vec<String>,
    /// The whole query folded without separators (`TOR-2012-000123` →
    /// `tor2012000123`); alone, it must begin one term.
    pub compact: String,
}

impl Query {
    /// Reads what the user typed. Empty (or only punctuation) gives an
    /// empty query, which finds nothing.
    pub fn parse(raw: &str) -> Result<Query, QueryError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let folded = normalise(raw);
        let mut words: Vec<String> = Vec::new();
        for w in folded.split(' ').filter(|w| !w.is_empty()) {
            let w = cut(w.to_string());
            if !words.contains(&w) {
                words.push(w);
            }
        }
        words.truncate(MAX_QUERY_WORDS);
        Ok(Query {
            compact: cut(folded.replace(' ', "")),
            words,
        })
    }

    /// Whether the query finds nothing (nothing typed but separators).
    pub fn is_empty(&self) -> bool {
        self.compact.is_empty()
    }

    /// Whether the query may be (the beginning of) a case number or its
    /// sequence: it holds a digit. Without one, names are meant.
    pub fn may_be_number(&self) -> bool {
        self.compact.bytes().any(|b| b.is_ascii_digit())
    }

    /// The word that narrows the search most (the longest), to read the
    /// index from; the others are checked per candidate.
    pub fn driver(&self) -> Option<&str> {
        self.words
            .iter()
            .max_by_key(|w| w.len())
            .map(String::as_str)
    }

    /// Whether the compact form is a different search from the words
    /// (several words, or punctuation inside one).
    pub fn compact_differs(&self) -> bool {
        self.words.len() != 1 || self.words[0] != self.compact
    }
}

/// The smallest string greater than every string starting with `prefix`
/// (its last character incremented), for a range scan
/// `term >= prefix AND term < upper` that the primary key answers on both
/// databases (byte order: SQLite's BINARY, PostgreSQL's `COLLATE "C"`).
/// `None` when no such string exists (then scan to the end).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// One character's folded letters and digits (`á` → `a`, `Щ` → `shch`,
/// `-` → ``).
fn fold_char(c: char) -> String {
    transliterate(&c.to_string())
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The byte ranges of `text` that `query` matched, merged and in order:
/// each query word where a word of `text` begins with it (across
/// apostrophes and hyphens: `jeanp` marks `Jean-P` of `Jean-Pierre`), and
/// the compact query across any separators (`4165550` in `+1 416 555
/// 0199`). Accents, case and script are ignored as in the search itself.
pub fn highlight(text: &str, query: &Query) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char, String)> = text
        .char_indices()
        .map(|(i, c)| (i, c, fold_char(c)))
        .collect();
    let mut marks: Vec<Range<usize>> = Vec::new();
    let needles = query
        .words
        .iter()
        .map(|w| (w.as_str(), false))
        .chain(std::iter::once((query.compact.as_str(), true)));
    for (needle, across_spaces) in needles {
        if needle.is_empty() {
            continue;
        }
        for start in 0..chars.len() {
            let begins_word = !chars[start].2.is_empty()
                && (start == 0 || {
                    let prev = &chars[start - 1];
                    prev.2.is_empty() || !prev.1.is_alphanumeric()
                });
            if !begins_word {
                continue;
            }
            let mut acc = String::new();
            for (j, (at, c, folded)) in chars.iter().enumerate().skip(start) {
                if c.is_whitespace() && !across_spaces {
                    break;
                }
                acc.push_str(folded);
                let n = acc.len().min(needle.len());
                if acc.as_bytes()[..n] != needle.as_bytes()[..n] {
                    break;
                }
                if acc.len() >= needle.len() {
                    let _ = j;
                    marks.push(chars[start].0..at + c.len_utf8());
                    break;
                }
            }
        }
    }
    marks.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in marks {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// A piece of a shown string, matched (to be marked) or not. Named
/// `MatchSegment` in the OpenAPI document: `Segment` is a flight leg there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = MatchSegment)]
pub struct Segment {
    pub text: String,
    pub matched: bool,
}

/// `text` cut into matched and unmatched pieces (see [`highlight`]); the
/// pieces put together give `text` back. Templates escape each piece and
/// wrap the matched ones in `<mark>`.
pub fn segments(text: &str, query: &Query) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in highlight(text, query) {
        if r.start > at {
            out.push(Segment {
                text: text[at..r.start].to_string(),
                matched: false,
            });
        }
        out.push(Segment {
            text: text[r.clone()].to_string(),
            matched: true,
        });
        at = r.end;
    }
    if at < text.len() || out.is_empty() {
        out.push(Segment {
            text: text[at..].to_string(),
            matched: false,
        });
    }
    out
}

/// Whether `query` matches anything in `text`.
pub fn matches(text: &str, query: &Query) -> bool {
    !highlight(text, query).is_empty()
}

/// Whether the header's search box is offered to this role: whoever reads people.
pub fn may_search(role: crate::Role) -> bool {
    role.can(crate::Resource::Person, crate::Action::Read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &str) -> Query {
        Query::parse(s).expect("query")
    }

    fn marked(text: &str, query: &str) -> String {
        segments(text, &q(query))
            .into_iter()
            .map(|s| {
                if s.matched {
                    format!("[{}]", s.text)
                } else {
                    s.text
                }
            })
            .collect()
    }

    fn terms(names: &[&str], ids: &[&str], phone: Option<&str>) -> Vec<String> {
        person_terms(&Searchable {
            names: names.to_vec(),
            identifiers: ids.to_vec(),
            phone,
        })
    }

    /// Whether a query finds a person with these terms, as the store does.
    fn finds(terms: &[String], query: &str) -> bool {
        let query = q(query);
        let starts = |w: &str| terms.iter().any(|t| t.starts_with(w));
        !query.is_empty() && (query.words.iter().all(|w| starts(w)) || starts(&query.compact))
    }

    #[test]
    fn names_are_found_in_any_script_accents_and_case_ignored() {
        let t = terms(&["Ágnes", "Horváth-Kiss", "Дмитрий Иванов"], &[], None);
        for query in [
            "agnes",
            "AGN",
            "horvath",
            "Horváth-K",
            "kiss",
            "horvathkiss",
            "ivanov",
            "Иван",
            "dmitr agn",
        ] {
            assert!(finds(&t, query), "{query}");
        }
        assert!(!finds(&t, "petrov"));
        assert!(!finds(&t, "agnes petrov"));
        assert!(!finds(&t, ""));
        assert!(!finds(&t, " - "));
    }

    #[test]
    fn identifiers_and_phones_ignore_separators() {
        let t = terms(
            &["Ana"],
            &["1234-5678", "AB 123456"],
            Some("+1 (416) 555-0199"),
        );
        for query in [
            "1234-5678",
            "12345678",
            "1234 56",
            "ab123456",
            "AB-1234",
            "+1 416 555 0199",
            "416-555-01",
            "4165550199",
            "555-0199",
        ] {
            assert!(finds(&t, query), "{query}");
        }
        assert!(!finds(&t, "99999"));
        assert!(t.contains(&TERM_SCHEME.to_string()));
    }

    #[test]
    fn international_prefix_is_dropped_from_phones() {
        let t = phone_terms("0036 1 234 5678");
        assert!(t.contains(&"003612345678".to_string()));
        assert!(t.contains(&"3612345678".to_string()));
        assert!(t.contains(&"2345678".to_string()));
    }

    #[test]
    fn queries_are_limited_and_folded() {
        assert_eq!(Query::parse(&"a".repeat(201)), Err(QueryError::TooLong));
        assert!(Query::parse(&"é".repeat(200)).is_ok());
        let query = q("  TOR-2012-000123 ");
        assert_eq!(query.compact, "tor2012000123");
        assert_eq!(query.words, vec!["tor", "2012", "000123"]);
        assert!(query.may_be_number());
        assert!(!q("Horváth").may_be_number());
        assert_eq!(q("%_'\"").compact, "");
        assert!(q("%_'\"").is_empty());
        assert_eq!(q("ab cd efg").driver(), Some("efg"));
        assert!(!q("ivan").compact_differs());
        assert!(q("ivan ivanov").compact_differs());
    }

    #[test]
    fn upper_bounds_close_the_prefix_range() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(
            prefix_upper_bound("a\u{D7FF}").as_deref(),
            Some("a\u{E000}")
        );
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn highlights_mark_word_beginnings_in_the_shown_form() {
        assert_eq!(marked("Ágnes Horváth", "agn horv"), "[Ágn]es [Horv]áth");
        assert_eq!(
            marked("Jean-Pierre Dupont", "jeanp"),
            "[Jean-P]ierre Dupont"
        );
        assert_eq!(
            marked("Jean-Pierre Dupont", "pierre"),
            "Jean-[Pierre] Dupont"
        );
        assert_eq!(marked("Дмитрий Иванов", "ivan"), "Дмитрий [Иван]ов");
        assert_eq!(marked("Ivanov", "Иван"), "[Ivan]ov");
        assert_eq!(marked("+1 416 555-0199", "416 555"), "+1 [416 555]-0199");
        assert_eq!(marked("Anna Hanna", "anna"), "[Anna] Hanna");
        assert_eq!(marked("Anna", "x"), "Anna");
        assert_eq!(marked("", "x"), "");
        assert_eq!(marked("O'Brien", "obr"), "[O'Br]ien");
        assert!(matches("TOR-2012-000123", &q("tor-2012-0001")));
    }

    proptest! {
        #[test]
        fn segments_give_the_text_back(text in "\\PC{0,40}", query in "\\PC{0,12}") {
            if let Ok(query) = Query::parse(&query) {
                let joined: String = segments(&text, &query).into_iter().map(|s| s.text).collect();
                prop_assert_eq!(joined, text);
            }
        }

        #[test]
        fn every_word_of_a_name_finds_its_person(name in "[\\p{L} '-]{1,30}", cut_at in 1usize..6) {
            let t = terms(&[name.as_str()], &[], None);
            for word in normalise(&name).split(' ').filter(|w| !w.is_empty()) {
                let prefix: String = word.chars().take(cut_at).collect();
                prop_assert!(finds(&t, &prefix), "{} in {:?}", prefix, t);
            }
        }
    }
}
