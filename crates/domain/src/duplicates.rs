//! Duplicate detection: is this person already registered? (docs/adr/0029)
//!
//! Names arrive in many shapes: with and without accents (Horváth,
//! Horvath), in Cyrillic or Arabic script and in one of several Latin
//! transliterations (Дмитрий, Dmitry, Dmitrii), family name first or last,
//! given names as initials. Dates of birth arrive with day and month
//! swapped, a digit mistyped, or only the year known.
//!
//! This module turns a person into a [`Profile`] of normalised name tokens
//! (Unicode NFKD, marks removed, transliterated to Latin by `deunicode`,
//! case folded), derives *blocking keys* from it (the store indexes them, so
//! that only people sharing a key are ever compared), and [`score`]s two
//! profiles from 0.0 to 1.0. Pure: no I/O.
//!
//! The score is the weighted mean of `0.55 name + 0.30 date of birth + 0.05
//! sex + 0.10 nationality`, each part from 0 to 1 (an unknown date counts
//! 0.5, an unknown sex or nationality is left out of the mean); a name
//! similarity under 0.85 scales the whole score down to 0 at 0.5, so that
//! strangers born the same day in the same country never look alike; a
//! shared identifier (UCI, CBSA client id, passport number) lifts it to at
//! least 0.95, and two different UCIs or CBSA ids lower it by a fifth.
//! [`LIKELY`] (0.90) and [`POSSIBLE`] (0.80) cut it into levels.
//!
//! A name shared by many people is weak evidence ([`score_among`]): among
//! more than [`COMMON_NAME`] namesakes, some are born a digit or a swapped
//! day and month apart by chance, and many more when one date is unknown.
//! With such a name, only an equal date of birth (or a shared identifier)
//! can make a pair `likely`, and an unknown date makes no candidate at all.

use crate::person::PersonData;
use chrono::{Datelike, NaiveDate};
use rphonetic::DoubleMetaphone;
use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Scores from here up are `likely` duplicates: the same name (allowing for
/// spelling, script and order) and a date of birth that agrees or differs
/// by a typical slip (day and month swapped, one digit).
pub const LIKELY: f64 = 0.90;
/// Scores from here up are `possible` duplicates: the same name and no date
/// to tell them apart, or a similar name with the same date of birth.
/// Calibrated on generated people with known duplicates (`bench-dups`,
/// docs/adr/0029): from 0.75 to 0.80 lay only strangers (the same name, no
/// date and a different sex), about 45 % of the pairs then listed.
pub const POSSIBLE: f64 = 0.80;

/// More people than this registered under the same name (the rarest pair of
/// name codes two people share, as counted among the `pn:` blocking keys)
/// make it a common name for [`score_among`]. A date of birth slip (one
/// digit, day and month swapped) matches about one person in 360 by chance
/// (some 70 dates among 25,000), so among a hundred namesakes such a match
/// is as likely chance as not. The blocks count names that sound alike, more
/// than the namesakes proper. Calibrated on generated people (`bench-dups`,
/// docs/adr/0039: 100 kept more true pairs `likely` than 50, at the same
/// precision).
pub const COMMON_NAME: i64 = 100;

/// The highest score two people with a common name reach when their dates of
/// birth differ by a slip or one is approximate: `possible`, never `likely`.
const COMMON_NAME_SLIP: f64 = 0.89;
/// ... and when either date is unknown: no candidate.
const COMMON_NAME_NO_DATE: f64 = 0.79;

/// Bumped whenever [`Profile::keys`] changes: the store keeps this marker
/// among a person's keys and recomputes the keys of anyone without it.
pub const KEY_SCHEME: &str = "~scheme:1";

/// How sure a candidate pair is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Possible,
    Likely,
}

impl Level {
    /// The level of a score, if it is high enough to be one.
    pub fn of(score: f64) -> Option<Level> {
        if score >= LIKELY {
            Some(Level::Likely)
        } else if score >= POSSIBLE {
            Some(Level::Possible)
        } else {
            None
        }
    }

    /// `likely` or `possible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Likely => "likely",
            Level::Possible => "possible",
        }
    }
}

/// What duplicate detection looks at, as stored (raw, not yet normalised).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    pub original_script_name: Option<String>,
    pub aliases: Vec<String>,
    pub sex: String,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_approximate: bool,
    pub nationalities: Vec<String>,
    pub uci: Option<String>,
    pub cbsa_client_id: Option<String>,
    pub passport_number: Option<String>,
}

impl From<&PersonData> for Identity {
    fn from(d: &PersonData) -> Identity {
        Identity {
            given_names: d.given_names.clone(),
            family_name: d.family_name.clone(),
            original_script_name: d.original_script_name.clone(),
            aliases: d.aliases.clone(),
            sex: d.sex.clone(),
            date_of_birth: d.date_of_birth,
            date_of_birth_approximate: d.date_of_birth_approximate,
            nationalities: d.nationalities.clone(),
            uci: d.uci.clone(),
            cbsa_client_id: d.cbsa_client_id.clone(),
            passport_number: d.passport_number.clone(),
        }
    }
}

/// One way of writing a person's name, normalised into tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NameForm {
    given: Vec<Token>,
    family: Vec<Token>,
}

impl NameForm {
    fn all(&self) -> Vec<&Token> {
        self.given.iter().chain(self.family.iter()).collect()
    }
}

/// A normalised name token with its codes, computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    /// Double Metaphone codes, not truncated (four letters of the primary
    /// make the blocking keys; comparing only four would make Horvathka
    /// and Horvathlo sound alike).
    primary: String,
    alternate: String,
    skeleton: String,
}

impl Token {
    fn new(text: String) -> Token {
        let r = DoubleMetaphone::new(None).double_metaphone(&text);
        Token {
            primary: r.primary(),
            alternate: r.alternate(),
            skeleton: skeleton(&text),
            text,
        }
    }

    fn key_code(&self) -> String {
        self.primary.chars().take(4).collect()
    }
}

/// A person prepared for comparison: normalised names and [`Facts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    names: Vec<NameForm>,
    facts: Facts,
}

/// What a person is compared on besides their names: date of birth, sex,
/// nationalities and identifiers. Cheap to prepare (no transliteration or
/// phonetic codes), and enough for [`score_ceiling`] to rule a person out
/// before their names are prepared.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    date_of_birth: Option<NaiveDate>,
    approximate: bool,
    sex: Option<bool>,
    nationalities: Vec<String>,
    /// (kind, normalised value): `uci`, `cbsa`, `passport`.
    identifiers: Vec<(&'static str, String)>,
}

impl Facts {
    /// Prepares `p`'s facts.
    pub fn new(p: &Identity) -> Facts {
        let sex = match p.sex.as_str() {
            "female" => Some(false),
            "male" => Some(true),
            _ => None,
        };
        let mut nationalities: Vec<String> = p
            .nationalities
            .iter()
            .map(|n| n.trim().to_uppercase())
            .collect();
        nationalities.sort();
        nationalities.dedup();
        let identifiers = [
            ("uci", p.uci.as_deref()),
            ("cbsa", p.cbsa_client_id.as_deref()),
            ("passport", p.passport_number.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| identifier(v).map(|v| (k, v)))
        .collect();
        Facts {
            date_of_birth: p.date_of_birth,
            approximate: p.date_of_birth_approximate,
            sex,
            nationalities,
            identifiers,
        }
    }
}

/// `s` in ASCII, case, digits and punctuation kept: NFKD, combining marks
/// removed (`Lakásügynökség Kft.` → `Lakasugynokseg Kft.`), other scripts
/// transliterated (`deunicode`: `Петров` → `Petrov`). The one accent folding
/// of Homeward: the matching keys and search terms ([`normalise`]), the
/// search's highlighting and the demo's receipts start from it.
pub fn transliterate(s: &str) -> String {
    let stripped: String = s.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    deunicode::deunicode(&stripped)
}

/// Lower-case Latin letters and digits, words separated by one space:
/// NFKD, combining marks removed, other scripts transliterated
/// (`deunicode`), apostrophes dropped, other punctuation a space.
pub fn normalise(s: &str) -> String {
    let latin = transliterate(s);
    let mut out = String::with_capacity(latin.len());
    for c in latin.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '`' {
            // O'Brien, Ma'ruf: one word.
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

fn tokens(s: &str) -> Vec<Token> {
    normalise(s)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| Token::new(t.to_string()))
        .collect()
}

/// The primary and alternate Double Metaphone codes of a normalised token.
pub fn phonetic(token: &str) -> (String, String) {
    let r = DoubleMetaphone::default().double_metaphone(token);
    (r.primary(), r.alternate())
}

/// The consonants of a token, vowels and h/w/y removed after the first
/// letter and doubled letters collapsed: Arabic written without short
/// vowels (mhmd) meets its Latin spellings (Mohammed, Muhammad).
pub fn skeleton(token: &str) -> String {
    let mut out = String::new();
    for (i, c) in token.chars().enumerate() {
        let c = match c {
            'k' | 'q' => 'k',
            'z' => 's',
            c => c,
        };
        if i > 0 && "aeiouyhw".contains(c) {
            continue;
        }
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

fn identifier(s: Option<&str>) -> Option<String> {
    let v: String = s?
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!v.is_empty()).then_some(v)
}

/// A full name of unknown order: the last token is taken as the family name
/// (name order is tried both ways when scoring).
fn split_full(s: &str) -> Option<NameForm> {
    let mut t = tokens(s);
    let family = t.pop()?;
    Some(NameForm {
        given: t,
        family: vec![family],
    })
}

impl Profile {
    /// Prepares `p` for comparison.
    pub fn new(p: &Identity) -> Profile {
        let mut names = Vec::new();
        let given = p.given_names.as_deref().map(tokens).unwrap_or_default();
        let family = p.family_name.as_deref().map(tokens).unwrap_or_default();
        if !given.is_empty() || !family.is_empty() {
            names.push(NameForm { given, family });
        }
        for full in p.original_script_name.iter().chain(p.aliases.iter()) {
            if let Some(f) = split_full(full) {
                if !names.contains(&f) {
                    names.push(f);
                }
            }
        }
        Profile {
            names,
            facts: Facts::new(p),
        }
    }

    /// What the person is compared on besides their names.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The blocking keys of this person: two people are compared only if
    /// they share one. Sorted, without repeats, [`KEY_SCHEME`] first.
    ///
    /// - `ny:CODE:YEAR`: the Double Metaphone code of any name token (of
    ///   four or fewer per form; initials skipped) and the year of birth;
    ///   a swapped or misspelt name still shares one;
    /// - `pn:CODE|CODE`: two name tokens' codes, in sorted order (so either
    ///   name order), without the year: a mistyped year, or none;
    /// - `sk:SKELETON|SKELETON`: the same with consonant skeletons, for
    ///   unvowelled transliterations;
    /// - `id:KIND:VALUE`: each identifier.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec![KEY_SCHEME.to_string()];
        let year = self.facts.date_of_birth.map(|d| d.year());
        for form in &self.names {
            let toks: Vec<&Token> = form
                .all()
                .into_iter()
                .filter(|t| t.text.len() > 1)
                .take(4)
                .collect();
            let codes: Vec<String> = toks
                .iter()
                .map(|t| t.key_code())
                .filter(|c| !c.is_empty())
                .collect();
            let skels: Vec<String> = toks.iter().map(|t| t.skeleton.clone()).collect();
            if let Some(y) = year {
                for c in &codes {
                    keys.push(format!("ny:{c}:{y}"));
                }
            }
            for (list, kind) in [(&codes, "pn"), (&skels, "sk")] {
                for i in 0..list.len() {
                    for j in i + 1..list.len() {
                        let (a, b) = if list[i] <= list[j] {
                            (&list[i], &list[j])
                        } else {
                            (&list[j], &list[i])
                        };
                        keys.push(format!("{kind}:{a}|{b}"));
                    }
                }
            }
            if codes.len() == 1 && year.is_none() {
                keys.push(format!("pn:{}", codes[0]));
            }
        }
        for (k, v) in &self.facts.identifiers {
            keys.push(format!("id:{k}:{v}"));
        }
        keys.sort();
        keys.dedup();
        keys
    }
}

/// Similarity of two normalised name tokens, 0 to 1: Jaro-Winkler, raised
/// to 0.92 when their Double Metaphone codes meet and to 0.90 when their
/// consonant skeletons do; an initial matches a name it begins.
fn token_similarity(a: &Token, b: &Token) -> f64 {
    if a.text == b.text {
        return 1.0;
    }
    if a.text.len() == 1 || b.text.len() == 1 {
        let (i, other) = if a.text.len() == 1 { (a, b) } else { (b, a) };
        return if other.text.starts_with(&i.text) {
            0.85
        } else {
            0.0
        };
    }
    let mut s = strsim::jaro_winkler(&a.text, &b.text);
    if !a.primary.is_empty()
        && (a.primary == b.primary || a.primary == b.alternate || a.alternate == b.primary)
    {
        s = s.max(0.92);
    }
    if a.skeleton.len() >= 2 && a.skeleton == b.skeleton {
        s = s.max(0.90);
    }
    s
}

/// Similarity of two lists of tokens (given names, say): each token of the
/// shorter list against its best match in the longer, averaged; or the
/// tokens written together (Abdul Rahman, Abdulrahman). A missing middle
/// name costs a little.
fn part_similarity(a: &[Token], b: &[Token]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut tokenwise = matched(a, b);
    if a.len() != b.len() {
        tokenwise *= 0.97;
    }
    let concat = |t: &[Token]| t.iter().map(|t| t.text.as_str()).collect::<String>();
    let (ja, jb) = (concat(a), concat(b));
    let joined = strsim::jaro_winkler(&ja, &jb).max(strsim::jaro_winkler(&jb, &ja));
    Some(tokenwise.max(joined))
}

/// Each token of the shorter list against its best match in the longer,
/// averaged (both ways and averaged again when they are as long).
fn matched<T: std::borrow::Borrow<Token>>(a: &[T], b: &[T]) -> f64 {
    let one_way = |short: &[T], long: &[T]| {
        if short.is_empty() {
            return 0.0;
        }
        let sum: f64 = short
            .iter()
            .map(|s| {
                long.iter()
                    .map(|l| token_similarity(s.borrow(), l.borrow()))
                    .fold(0.0, f64::max)
            })
            .sum();
        sum / short.len() as f64
    };
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => one_way(a, b),
        std::cmp::Ordering::Greater => one_way(b, a),
        std::cmp::Ordering::Equal => (one_way(a, b) + one_way(b, a)) / 2.0,
    }
}

/// Similarity of two ways of writing names: in order, swapped (given for
/// family), or as bags of words when one side's split is a guess.
fn form_similarity(a: &NameForm, b: &NameForm) -> f64 {
    let combine = |g: Option<f64>, f: Option<f64>| match (g, f) {
        (Some(g), Some(f)) => 0.45 * g + 0.55 * f,
        (None, Some(f)) => 0.9 * f,
        (Some(g), None) => 0.85 * g,
        (None, None) => 0.0,
    };
    let straight = combine(
        part_similarity(&a.given, &b.given),
        part_similarity(&a.family, &b.family),
    );
    // Given against family and family against given: the same weight for
    // both halves, so that comparing a with b and b with a agree.
    let swapped = 0.96
        * match (
            part_similarity(&a.given, &b.family),
            part_similarity(&a.family, &b.given),
        ) {
            (Some(x), Some(y)) => 0.5 * (x + y),
            (Some(x), None) | (None, Some(x)) => 0.85 * x,
            (None, None) => 0.0,
        };
    let (ta, tb) = (a.all(), b.all());
    let mut bag = 0.95 * matched(&ta, &tb);
    let shorter = ta.len().min(tb.len());
    if ta.len() != tb.len() {
        bag *= if shorter >= 2 { 0.97 } else { 0.85 };
    }
    straight.max(swapped).max(bag)
}

/// Similarity of two people's names: the best over every way each is written.
pub fn name_similarity(a: &Profile, b: &Profile) -> f64 {
    let mut best: f64 = 0.0;
    for fa in &a.names {
        for fb in &b.names {
            best = best.max(form_similarity(fa, fb));
        }
    }
    best.clamp(0.0, 1.0)
}

fn digits(d: NaiveDate) -> [u8; 8] {
    let s = d.format("%Y%m%d").to_string();
    let mut out = [0u8; 8];
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b;
    }
    out
}

/// Agreement of two dates of birth, 0 to 1 (0.5 when either is unknown):
/// equal 1; day and month swapped 0.85; one digit different 0.8; two
/// neighbouring digits swapped 0.75; the same year 0.75 when either is
/// approximate, else 0.1; a year apart and approximate 0.5; else 0.
pub fn date_similarity(
    a: Option<NaiveDate>,
    a_approx: bool,
    b: Option<NaiveDate>,
    b_approx: bool,
) -> f64 {
    let (Some(a), Some(b)) = (a, b) else {
        return 0.5;
    };
    if a == b {
        return 1.0;
    }
    if a.year() == b.year() && a.day() == b.month() && a.month() == b.day() {
        return 0.85;
    }
    let (da, db) = (digits(a), digits(b));
    let diff: Vec<usize> = (0..8).filter(|&i| da[i] != db[i]).collect();
    if diff.len() == 1 {
        return 0.8;
    }
    if diff.len() == 2
        && diff[1] == diff[0] + 1
        && da[diff[0]] == db[diff[1]]
        && da[diff[1]] == db[diff[0]]
    {
        return 0.75;
    }
    let approx = a_approx || b_approx;
    match (a.year() - b.year()).abs() {
        0 if approx => 0.75,
        0 => 0.1,
        1 if approx => 0.5,
        _ => 0.0,
    }
}

/// How alike two people are, from 0.0 (strangers) to 1.0; see the module
/// documentation for the formula. Symmetric.
pub fn score(a: &Profile, b: &Profile) -> f64 {
    let name = name_similarity(a, b);
    let mut s = facts_score(&a.facts, &b.facts, name);
    if name < 0.85 {
        s *= ((name - 0.5) / 0.35).clamp(0.0, 1.0);
    }
    let mut shared = false;
    let mut conflicting = false;
    for (k, v) in &a.facts.identifiers {
        for (k2, v2) in &b.facts.identifiers {
            if k == k2 {
                if v == v2 {
                    shared = true;
                } else if *k != "passport" {
                    conflicting = true;
                }
            }
        }
    }
    if shared {
        s = s.max(0.95);
    } else if conflicting {
        s *= 0.8;
    }
    s.clamp(0.0, 1.0)
}

/// [`score`], weighed by how common the name the two share is: `namesakes`
/// is how many people are registered under the rarest pair of name codes
/// they share (the size of that `pn:` block; 0 when they share none). Up to
/// [`COMMON_NAME`] it changes nothing. Past it, unless they share an
/// identifier or their dates of birth are equal, the name no longer carries
/// the pair: a slip or an approximate date gives at most `possible`, an
/// unknown date no candidate. Never above [`score`], so [`score_ceiling`]
/// and [`dates_worth_comparing`] still bound it.
pub fn score_among(a: &Profile, b: &Profile, namesakes: i64) -> f64 {
    let s = score(a, b);
    if namesakes <= COMMON_NAME || shares_identifier(&a.facts, &b.facts) {
        return s;
    }
    let (x, y) = (&a.facts, &b.facts);
    match (x.date_of_birth, y.date_of_birth) {
        (Some(d), Some(e)) if d == e && !x.approximate && !y.approximate => s,
        (Some(_), Some(_)) => s.min(COMMON_NAME_SLIP),
        _ => s.min(COMMON_NAME_NO_DATE),
    }
}

/// Whether two people hold the same identifier of one kind.
fn shares_identifier(a: &Facts, b: &Facts) -> bool {
    a.identifiers
        .iter()
        .any(|(k, v)| b.identifiers.iter().any(|(k2, v2)| k == k2 && v == v2))
}

/// Whether a blocking key is a pair of name codes (`pn:`): the blocks whose
/// sizes [`score_among`]'s `namesakes` is counted on.
pub fn is_name_key(key: &str) -> bool {
    key.starts_with("pn:")
}

/// The weighted mean of the name similarity `name`, the date of birth, sex
/// and nationality (the last two only when both people have them).
fn facts_score(a: &Facts, b: &Facts, name: f64) -> f64 {
    let dob = date_similarity(
        a.date_of_birth,
        a.approximate,
        b.date_of_birth,
        b.approximate,
    );
    let sex = match (a.sex, b.sex) {
        (Some(x), Some(y)) => Some(if x == y { 1.0 } else { 0.0 }),
        _ => None,
    };
    let nationality = if a.nationalities.is_empty() || b.nationalities.is_empty() {
        None
    } else if a.nationalities.iter().any(|n| b.nationalities.contains(n)) {
        Some(1.0)
    } else {
        Some(0.0)
    };
    let (mut sum, mut weights) = (0.55 * name + 0.30 * dob, 0.85);
    for (w, v) in [(0.05, sex), (0.10, nationality)] {
        if let Some(v) = v {
            sum += w * v;
            weights += w;
        }
    }
    sum / weights
}

/// The highest [`score`] `a` can reach against anyone with the facts `b`,
/// whatever their names: someone below [`POSSIBLE`] here is no candidate,
/// and their names need not be prepared or compared (most namesakes in a
/// large block were born in another year). Never below the true score.
pub fn score_ceiling(a: &Profile, b: &Facts) -> f64 {
    // An identifier of a kind both hold decides alone (shared: 0.95 at
    // least): not bounded here.
    let same_kind = a
        .facts
        .identifiers
        .iter()
        .any(|(k, _)| b.identifiers.iter().any(|(k2, _)| k == k2));
    if same_kind {
        return 1.0;
    }
    facts_score(&a.facts, b, 1.0).clamp(0.0, 1.0)
}

/// The dates of birth worth reading for a comparison with `a`: anyone born
/// on another date cannot reach [`POSSIBLE`] with `a`, whatever their names,
/// sex and nationality (see [`score_ceiling`]), unless an identifier of a
/// kind `a` holds decides. People whose date is unknown or approximate are
/// always worth it. A store reads only these people of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct DatesWorthComparing {
    /// Every date: `a`'s own date is unknown.
    pub any: bool,
    /// These exact dates: `a`'s, day and month swapped, one digit changed,
    /// two neighbouring digits swapped.
    pub dates: Vec<NaiveDate>,
    /// Every date in these years (first, last): `a`'s date is approximate.
    pub years: Option<(i32, i32)>,
    /// The identifier kinds `a` holds (`uci`, `cbsa`, `passport`): anyone
    /// holding one of these kinds too is worth reading, whatever the date.
    pub identifier_kinds: Vec<&'static str>,
}

/// The highest facts score a date agreement of `v` allows, whatever the
/// other person's sex and nationality (present and agreeing, or absent).
fn best_with_date(v: f64) -> f64 {
    let mut best: f64 = 0.0;
    for (ws, wn) in [(0.0, 0.0), (0.05, 0.0), (0.0, 0.10), (0.05, 0.10)] {
        best = best.max((0.55 + 0.30 * v + ws + wn) / (0.85 + ws + wn));
    }
    best
}

/// See [`DatesWorthComparing`].
pub fn dates_worth_comparing(a: &Profile) -> DatesWorthComparing {
    let f = &a.facts;
    let identifier_kinds = f.identifiers.iter().map(|(k, _)| *k).collect();
    let Some(d) = f.date_of_birth else {
        return DatesWorthComparing {
            any: true,
            dates: Vec::new(),
            years: None,
            identifier_kinds,
        };
    };
    let mut candidates = vec![d];
    candidates.extend(NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()));
    let s = digits(d);
    let parse = |b: &[u8; 8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y%m%d").ok())
    };
    for i in 0..8 {
        for c in b'0'..=b'9' {
            if c != s[i] {
                let mut t = s;
                t[i] = c;
                candidates.extend(parse(&t));
            }
        }
        if i < 7 && s[i] != s[i + 1] {
            let mut t = s;
            t.swap(i, i + 1);
            candidates.extend(parse(&t));
        }
    }
    let mut dates: Vec<NaiveDate> = candidates
        .into_iter()
        .filter(|x| {
            best_with_date(date_similarity(Some(d), f.approximate, Some(*x), false)) >= POSSIBLE
        })
        .collect();
    dates.sort();
    dates.dedup();
    // An approximate date meets any date of its year or the next ones.
    let years = f.approximate.then(|| (d.year() - 1, d.year() + 1));
    DatesWorthComparing {
        any: false,
        dates,
        years,
        identifier_kinds,
    }
}

impl DatesWorthComparing {
    /// Whether someone with these facts passes (what the store's query
    /// tests, for the tests).
    pub fn admits(&self, b: &Facts) -> bool {
        let Some(x) = b.date_of_birth else {
            return true;
        };
        self.any
            || b.approximate
            || self.dates.contains(&x)
            || self
                .years
                .is_some_and(|(lo, hi)| (lo..=hi).contains(&x.year()))
            || b.identifiers
                .iter()
                .any(|(k, _)| self.identifier_kinds.contains(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(given: &str, family: &str, dob: Option<&str>) -> Identity {
        Identity {
            given_names: (!given.is_empty()).then(|| given.to_string()),
            family_name: (!family.is_empty()).then(|| family.to_string()),
            sex: "unknown".into(),
            date_of_birth: dob.map(|d| d.parse().expect("a test date")),
            ..Default::default()
        }
    }

    fn s(a: &Identity, b: &Identity) -> f64 {
        score(&Profile::new(a), &Profile::new(b))
    }

    fn level(a: &Identity, b: &Identity) -> Option<Level> {
        Level::of(s(a, b))
    }

    fn share_key(a: &Identity, b: &Identity) -> bool {
        let kb = Profile::new(b).keys();
        Profile::new(a)
            .keys()
            .iter()
            .any(|k| k != KEY_SCHEME && kb.contains(k))
    }

    #[test]
    fn normalises_accents_case_scripts_and_punctuation() {
        assert_eq!(normalise("Horváth  Ágnes"), "horvath agnes");
        assert_eq!(normalise("ŐRSÉG-Szűcs"), "orseg szucs");
        assert_eq!(normalise("O'Brien"), "obrien");
        assert_eq!(normalise("Ｄｍｉｔｒｙ"), "dmitry");
        assert_eq!(normalise("Дмитрий Кузнецов"), "dmitrii kuznetsov");
        let arabic = normalise("محمد");
        assert!(arabic.chars().all(|c| c.is_ascii_lowercase()), "{arabic}");
        assert!(!arabic.is_empty());
        assert_eq!(normalise("  "), "");
    }

    #[test]
    fn phonetic_codes_meet_across_spellings() {
        let t = |s: &str| Token::new(s.into());
        assert!(token_similarity(&t("horvath"), &t("horvat")) >= 0.9);
        assert!(token_similarity(&t("szabo"), &t("sabo")) >= 0.9);
        assert!(token_similarity(&t("horvathka"), &t("horvathlo")) < 0.92);
        assert_eq!(phonetic("kuznetsov").0, phonetic("kouznetsov").0);
        assert_eq!(skeleton("mohammed"), skeleton("muhammad"));
        assert_eq!(skeleton("mohammed"), skeleton("mhmd"));
    }

    #[test]
    fn accents_do_not_matter() {
        let a = person("Ágnes", "Horváth", Some("1980-05-17"));
        let b = person("Agnes", "Horvath", Some("1980-05-17"));
        assert!(share_key(&a, &b));
        let (pa, pb) = (Profile::new(&a), Profile::new(&b));
        assert_eq!(pa.keys(), pb.keys());
        assert!((name_similarity(&pa, &pb) - 1.0).abs() < 1e-9);
        assert_eq!(level(&a, &b), Some(Level::Likely));
    }

    #[test]
    fn cyrillic_meets_its_transliteration() {
        let a = Identity {
            original_script_name: Some("Дмитрий Кузнецов".into()),
            sex: "male".into(),
            date_of_birth: "1985-03-04".parse().ok(),
            nationalities: vec!["RU".into()],
            ..Default::default()
        };
        let b = Identity {
            given_names: Some("Dmitry".into()),
            family_name: Some("Kuznetsov".into()),
            sex: "male".into(),
            date_of_birth: "1985-03-04".parse().ok(),
            nationalities: vec!["RU".into()],
            ..Default::default()
        };
        assert!(share_key(&a, &b));
        assert_eq!(level(&a, &b), Some(Level::Likely), "{}", s(&a, &b));
        // Family name first, as Russian documents often write it.
        let c = Identity {
            original_script_name: Some("Кузнецов Дмитрий Иванович".into()),
            ..a.clone()
        };
        assert!(share_key(&c, &b));
        assert_eq!(level(&c, &b), Some(Level::Likely), "{}", s(&c, &b));
    }

    #[test]
    fn arabic_meets_its_transliteration() {
        let a = Identity {
            original_script_name: Some("محمد حسن".into()),
            date_of_birth: "1990-01-15".parse().ok(),
            sex: "male".into(),
            nationalities: vec!["SY".into()],
            ..Default::default()
        };
        let b = Identity {
            given_names: Some("Mohammed".into()),
            family_name: Some("Hassan".into()),
            ..a.clone()
        };
        let b = Identity {
            original_script_name: None,
            ..b
        };
        assert!(
            share_key(&a, &b),
            "{:?} {:?}",
            Profile::new(&a).keys(),
            Profile::new(&b).keys()
        );
        assert!(Level::of(s(&a, &b)).is_some(), "{}", s(&a, &b));
    }

    #[test]
    fn swapped_names_match() {
        let a = person("Dmitry", "Kuznetsov", Some("1985-03-04"));
        let b = person("Kuznetsov", "Dmitry", Some("1985-03-04"));
        assert!(share_key(&a, &b));
        assert_eq!(level(&a, &b), Some(Level::Likely), "{}", s(&a, &b));
    }

    #[test]
    fn initials_match_a_name() {
        let a = person("J.", "Okonkwo", Some("1979-11-02"));
        let b = person("John", "Okonkwo", Some("1979-11-02"));
        assert!(share_key(&a, &b));
        assert!(Level::of(s(&a, &b)).is_some(), "{}", s(&a, &b));
    }

    #[test]
    fn day_and_month_swapped_or_a_digit_wrong() {
        let a = person("Dmitry", "Kuznetsov", Some("1985-03-04"));
        let b = person("Dmitry", "Kuznetsov", Some("1985-04-03"));
        assert_eq!(level(&a, &b), Some(Level::Likely), "{}", s(&a, &b));
        let c = person("Dmitry", "Kuznetsov", Some("1985-03-07"));
        assert_eq!(level(&a, &c), Some(Level::Likely), "{}", s(&a, &c));
        // A mistyped year: only the name pair key is shared.
        let d = person("Dmitry", "Kuznetsov", Some("1986-03-04"));
        assert!(share_key(&a, &d));
        assert_eq!(level(&a, &d), Some(Level::Likely), "{}", s(&a, &d));
        assert!(
            date_similarity(
                "1985-03-04".parse().ok(),
                false,
                "1985-04-03".parse().ok(),
                false
            ) > 0.8
        );
        assert_eq!(
            date_similarity(None, false, "1985-04-03".parse().ok(), false),
            0.5
        );
        assert_eq!(
            date_similarity(
                "1960-01-01".parse().ok(),
                false,
                "1985-04-03".parse().ok(),
                false
            ),
            0.0
        );
    }

    #[test]
    fn same_name_without_a_date_is_possible() {
        let a = person("Agnes", "Horvath", Some("1980-05-17"));
        let b = person("Agnes", "Horvath", None);
        assert!(share_key(&a, &b));
        assert_eq!(level(&a, &b), Some(Level::Possible), "{}", s(&a, &b));
    }

    #[test]
    fn family_members_and_strangers_are_not_duplicates() {
        let mother = person("Ágnes", "Horváth", Some("1980-05-17"));
        let son = person("Bence", "Horváth", Some("2015-01-01"));
        assert_eq!(level(&mother, &son), None, "{}", s(&mother, &son));
        let father = person("Juan", "Garcia", Some("1950-02-02"));
        let junior = person("Juan", "Garcia", Some("1982-07-09"));
        assert_eq!(level(&father, &junior), None, "{}", s(&father, &junior));
        // Same day, same country, different names.
        let mut x = person("Amina", "Yusuf", Some("1990-01-01"));
        let mut y = person("Fatima", "Bello", Some("1990-01-01"));
        x.nationalities = vec!["NG".into()];
        y.nationalities = vec!["NG".into()];
        assert_eq!(level(&x, &y), None, "{}", s(&x, &y));
    }

    #[test]
    fn identifiers_decide() {
        let mut a = person("Agnes", "Horvath", None);
        let mut b = person("Ágnes", "Horvát", None);
        a.passport_number = Some("hu 123-456".into());
        b.passport_number = Some("HU123456".into());
        assert!(share_key(&a, &b));
        assert_eq!(level(&a, &b), Some(Level::Likely));
        let mut c = person("Agnes", "Horvath", Some("1980-05-17"));
        let mut d = person("Agnes", "Horvath", Some("1980-05-17"));
        c.uci = Some("1111-2222".into());
        d.uci = Some("3333-4444".into());
        assert!(s(&c, &d) < LIKELY, "{}", s(&c, &d));
    }

    #[test]
    fn the_ceiling_rules_out_namesakes_born_years_apart() {
        let a = Profile::new(&person("Agnes", "Horvath", Some("1980-05-17")));
        let other_year = Facts::new(&person("Agnes", "Horvath", Some("1992-03-08")));
        assert!(score_ceiling(&a, &other_year) < POSSIBLE);
        for dob in [
            Some("1980-05-17"),
            Some("1980-05-18"),
            Some("1908-05-17"),
            None,
        ] {
            let b = person("Agnes", "Horvath", dob);
            assert!(score_ceiling(&a, &Facts::new(&b)) >= POSSIBLE, "{dob:?}");
        }
        // A shared identifier decides whatever the dates.
        let mut c = person("Agnes", "Horvath", Some("1980-05-17"));
        let mut d = person("A", "H", Some("1950-01-01"));
        c.uci = Some("1111-2222".into());
        d.uci = Some("1111 2222".into());
        let pc = Profile::new(&c);
        assert!(score(&pc, &Profile::new(&d)) >= LIKELY);
        assert!(score_ceiling(&pc, &Facts::new(&d)) >= LIKELY);
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-zÀ-ÿ' -]{0,20}",
            "[А-Яа-я ]{0,20}",
            "[\u{0621}-\u{064A} ]{0,12}",
        ]
    }

    fn identity() -> impl Strategy<Value = Identity> {
        (
            name(),
            name(),
            proptest::option::of(name()),
            prop_oneof![Just("male"), Just("female"), Just("unknown")],
            proptest::option::of((1940i32..2020, 1u32..13, 1u32..29)),
            any::<bool>(),
            proptest::option::of("[A-Z0-9]{1,9}"),
            (
                proptest::option::of("[0-9]{4}-[0-9]{4}"),
                prop_oneof![
                    Just(vec![]),
                    Just(vec!["HU"]),
                    Just(vec!["RU", "HU"]),
                    Just(vec!["CO"])
                ],
            ),
        )
            .prop_map(|(g, f, o, sex, dob, approx, pp, (uci, nat))| Identity {
                given_names: Some(g),
                family_name: Some(f),
                original_script_name: o,
                sex: sex.into(),
                date_of_birth: dob.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                date_of_birth_approximate: approx,
                nationalities: nat.into_iter().map(String::from).collect(),
                passport_number: pp,
                uci,
                ..Default::default()
            })
    }

    #[test]
    fn a_common_name_needs_an_equal_date() {
        let among = |a: &Identity, b: &Identity, n: i64| {
            Level::of(score_among(&Profile::new(a), &Profile::new(b), n))
        };
        let a = person("Juan", "García", Some("1985-03-04"));
        let slip = person("Juan", "Garcia", Some("1985-04-03"));
        let same = person("Juan", "Garcia", Some("1985-03-04"));
        let unknown = person("Juan", "Garcia", None);
        // A rare name: as `score`.
        for n in [0, 1, COMMON_NAME] {
            assert_eq!(among(&a, &slip, n), Some(Level::Likely), "{n}");
            assert_eq!(among(&a, &unknown, n), Some(Level::Possible), "{n}");
        }
        // Shared by many: an equal date still decides, a slip is only
        // possible, an unknown date no candidate.
        let n = COMMON_NAME + 1;
        assert_eq!(among(&a, &same, n), Some(Level::Likely));
        assert_eq!(among(&a, &slip, n), Some(Level::Possible));
        assert_eq!(among(&a, &unknown, n), None);
        assert_eq!(among(&unknown, &a, n), None, "symmetric");
        // An approximate date is no equal date.
        let approx = Identity {
            date_of_birth_approximate: true,
            ..same.clone()
        };
        assert_eq!(among(&a, &approx, n), Some(Level::Possible));
        // A shared identifier decides whatever the name.
        let with_uci = |p: &Identity| Identity {
            uci: Some("1234-5678".into()),
            ..p.clone()
        };
        assert_eq!(
            among(&with_uci(&a), &with_uci(&unknown), n),
            Some(Level::Likely)
        );
    }

    proptest! {
        #[test]
        fn score_is_bounded_and_symmetric(a in identity(), b in identity()) {
            let (pa, pb) = (Profile::new(&a), Profile::new(&b));
            let x = score(&pa, &pb);
            prop_assert!((0.0..=1.0).contains(&x));
            prop_assert!((x - score(&pb, &pa)).abs() < 1e-9);
        }

        #[test]
        fn a_common_name_never_raises_the_score(a in identity(), b in identity(), n in 0i64..2000) {
            let (pa, pb) = (Profile::new(&a), Profile::new(&b));
            let x = score_among(&pa, &pb, n);
            prop_assert!(x <= score(&pa, &pb) + 1e-9);
            prop_assert!((x - score_among(&pb, &pa, n)).abs() < 1e-9);
        }

        #[test]
        fn the_ceiling_is_never_below_the_score(a in identity(), b in identity()) {
            let (pa, pb) = (Profile::new(&a), Profile::new(&b));
            let x = score(&pa, &pb);
            prop_assert!(score_ceiling(&pa, &Facts::new(&b)) >= x - 1e-9);
        }

        #[test]
        fn dates_not_worth_comparing_cannot_reach_possible(a in identity(), b in identity(), pos in 0usize..8, digit in 0u8..10, how in 0u8..4) {
            // b born on a's date changed the ways the score forgives, or
            // on an unrelated date.
            let mut b = b;
            if let Some(d) = a.date_of_birth {
                let mut t = digits(d);
                match how {
                    0 => t[pos] = b'0' + digit,
                    1 if pos < 7 => t.swap(pos, pos + 1),
                    2 => t = digits(NaiveDate::from_ymd_opt(d.year(), d.day().min(12), d.month()).unwrap_or(d)),
                    _ => {}
                }
                if how < 3 {
                    b.date_of_birth = std::str::from_utf8(&t).ok()
                        .and_then(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok());
                }
            }
            let pa = Profile::new(&a);
            let fb = Facts::new(&b);
            if !dates_worth_comparing(&pa).admits(&fb) {
                prop_assert!(score_ceiling(&pa, &fb) < POSSIBLE);
                prop_assert!(score(&pa, &Profile::new(&b)) < POSSIBLE);
            }
        }

        #[test]
        fn a_person_is_a_likely_duplicate_of_themselves(a in identity()) {
            let p = Profile::new(&a);
            prop_assume!(!p.names.is_empty() && a.date_of_birth.is_some());
            prop_assert!(score(&p, &p) >= LIKELY, "{}", score(&p, &p));
            prop_assert!(p.keys().contains(&KEY_SCHEME.to_string()));
        }

        #[test]
        fn normalising_is_idempotent_and_ascii(s in name()) {
            let n = normalise(&s);
            prop_assert_eq!(normalise(&n), n.clone());
            prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '));
        }

        #[test]
        fn keys_do_not_depend_on_accents_or_case(g in "[a-z]{2,10}", f in "[a-z]{2,10}") {
            let a = person(&g, &f, Some("1980-01-01"));
            let b = person(&g.to_uppercase(), &format!("{f}\u{301}"), Some("1980-01-01"));
            prop_assert_eq!(Profile::new(&a).keys(), Profile::new(&b).keys());
        }
    }
}
