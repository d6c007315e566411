//! Airports with an IATA code: name, city, country and time zone.
//!
//! The list is data (`data/airports.csv`, generated from the MIT-licensed
//! `airportsdata` package by `data/make_airports.py`; see `data/README.md`),
//! compiled into the binary and parsed once, on first use.
//!
//! [`search`] is meant for an as-you-type picker, called on every
//! keystroke. City and name are folded (case, Latin accents, punctuation)
//! once; word-prefix matches come from a sorted list of word starts, and the
//! folded text is scanned for substrings only when those leave room. One
//! call takes about 0.1 ms in release mode (measured on a busy 2-core machine
//! by the ignored `search_speed` test).

use std::cmp::Reverse;
use std::sync::LazyLock;

use chrono_tz::Tz;
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// One airport. Every field but `tz` borrows from the embedded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Airport {
    /// IATA location code, three upper-case letters or digits.
    pub iata: &'static str,
    pub name: &'static str,
    /// Served city as given by the source; may be empty.
    pub city: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    /// The airport's IANA time zone: local times at this airport are read in it.
    pub tz: Tz,
}

impl Serialize for Airport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Airport", 5)?;
        s.serialize_field("iata", self.iata)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("city", self.city)?;
        s.serialize_field("country", self.country)?;
        s.serialize_field("tz", self.tz.name())?;
        s.end()
    }
}

const DATA: &str = include_str!("../data/airports.csv");

/// The airports and their folded search keys.
///
/// `text` holds every airport's folded city and name, one record per
/// airport in IATA order: `" " city "\t" " " name "\n"`. A folded query
/// holds only letters, digits and single spaces, so it never matches across
/// fields or records.
struct Index {
    /// Sorted by IATA code, unique.
    airports: Vec<Airport>,
    /// Lower-case IATA codes, by airport.
    iata: Vec<[u8; 3]>,
    text: String,
    /// Where each airport's record starts in `text`; one more at the end.
    starts: Vec<usize>,
    /// Where each airport's name part (its leading space) starts.
    names: Vec<usize>,
    /// The airport's name says "international": ranked first among equals,
    /// so "bogo" puts Bogotá's El Dorado before Bogorodskoye.
    international: Vec<bool>,
    /// Every word start in `text`, sorted by the rest of its field: the
    /// airports with a word starting with the query are one range.
    words: Vec<Word>,
}

#[derive(Clone, Copy)]
struct Word {
    /// The word's start and its field's end in `text`.
    at: u32,
    end: u32,
    airport: u32,
}

/// Records per block for the substring scan.
const BLOCK: usize = 64;

impl Index {
    /// The folded city of airport `i`.
    fn city(&self, i: usize) -> &str {
        &self.text[self.starts[i] + 1..self.names[i] - 1]
    }

    /// The rest of the field from a word start.
    fn rest(&self, w: Word) -> &str {
        &self.text[w.at as usize..w.end as usize]
    }
}

static INDEX: LazyLock<Index> = LazyLock::new(|| build(DATA));

fn build(data: &'static str) -> Index {
    let mut airports: Vec<Airport> = data.lines().skip(1).filter_map(parse_row).collect();
    airports.sort_by(|a, b| a.iata.cmp(b.iata));
    airports.dedup_by(|a, b| a.iata == b.iata);
    let mut index = Index {
        iata: Vec::with_capacity(airports.len()),
        text: String::with_capacity(airports.len() * 64),
        starts: Vec::with_capacity(airports.len() + 1),
        names: Vec::with_capacity(airports.len()),
        international: Vec::with_capacity(airports.len()),
        words: Vec::with_capacity(airports.len() * 6),
        airports: Vec::new(),
    };
    for (i, a) in airports.iter().enumerate() {
        let mut code = [0; 3];
        code.copy_from_slice(a.iata.to_ascii_lowercase().as_bytes());
        index.iata.push(code);
        index.starts.push(index.text.len());
        let name = fold(a.name);
        index
            .international
            .push(format!(" {name} ").contains(" international "));
        for (field, end) in [(fold(a.city), '\t'), (name, '\n')] {
            if end == '\n' {
                index.names.push(index.text.len());
            }
            let field_start = index.text.len() + 1;
            let field_end = field_start + field.len();
            for (p, _) in field.match_indices(' ').map(|(p, s)| (p + 1, s)) {
                index.words.push(word(field_start + p, field_end, i));
            }
            if !field.is_empty() {
                index.words.push(word(field_start, field_end, i));
            }
            index.text.push(' ');
            index.text.push_str(&field);
            index.text.push(end);
        }
    }
    index.starts.push(index.text.len());
    index.airports = airports;
    let mut words = std::mem::take(&mut index.words);
    words.sort_unstable_by(|a, b| index.rest(*a).cmp(index.rest(*b)));
    index.words = words;
    index
}

/// Positions in the (well under 4 GiB) text and airport numbers fit in u32.
fn word(at: usize, end: usize, airport: usize) -> Word {
    Word {
        at: at as u32,
        end: end as u32,
        airport: airport as u32,
    }
}

/// One CSV row (`iata,name,city,country,tz`); `None` when it is malformed.
/// A test proves every embedded row parses.
fn parse_row(line: &'static str) -> Option<Airport> {
    let fields = split_csv(line)?;
    let [iata, name, city, country, tz]: [&'static str; 5] = fields.try_into().ok()?;
    let valid_iata = iata.len() == 3
        && iata
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !valid_iata || name.is_empty() || !crate::validation::is_country_code(country) {
        return None;
    }
    Some(Airport {
        iata,
        name,
        city,
        country,
        tz: tz.parse().ok()?,
    })
}

/// Splits one RFC 4180 line. Quoted fields may hold commas and doubled
/// quotes; a field with doubled quotes is unescaped into a leaked string
/// (a handful of rows, once per process).
fn split_csv(line: &'static str) -> Option<Vec<&'static str>> {
    let mut fields = Vec::with_capacity(5);
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            // Find the closing quote: one not followed by another quote.
            let bytes = quoted.as_bytes();
            let mut i = 0;
            let mut escaped = false;
            loop {
                match bytes.get(i) {
                    None => return None,
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        escaped = true;
                        i += 2;
                    }
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            let raw = &quoted[..i];
            fields.push(if escaped {
                &*Box::leak(raw.replace("\"\"", "\"").into_boxed_str())
            } else {
                raw
            });
            rest = &quoted[i + 1..];
            match rest.strip_prefix(',') {
                Some(r) => rest = r,
                None if rest.is_empty() => return Some(fields),
                None => return None,
            }
        } else {
            match rest.split_once(',') {
                Some((field, r)) => {
                    fields.push(field);
                    rest = r;
                }
                None => {
                    fields.push(rest);
                    return Some(fields);
                }
            }
        }
    }
}

/// Lower-cases, strips Latin diacritics (é → e, ł → l, ß → ss, ồ → o, and
/// combining accents) and
/// turns every run of other non-alphanumeric characters into one space.
/// Non-Latin letters are kept, lower-cased.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            space = false;
        } else if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining accent (decomposed input, or the dot that
            // lower-casing "İ" leaves): dropped like precomposed ones.
        } else if let Some(ascii) = fold_latin(c) {
            out.push_str(ascii);
            space = false;
        } else if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The ASCII spelling of a lower-case Latin letter with diacritics.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'ȁ' | 'ȃ' | 'ạ'..='ặ' => {
            "a"
        }
        'æ' | 'ǽ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ȅ' | 'ȇ' | 'ẹ'..='ệ' => {
            "e"
        }
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'ǧ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' | 'ỉ' | 'ị' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ơ' | 'ǒ' | 'ǿ' | 'ọ'..='ợ' => {
            "o"
        }
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù'
        | 'ú'
        | 'û'
        | 'ü'
        | 'ũ'
        | 'ū'
        | 'ŭ'
        | 'ů'
        | 'ű'
        | 'ų'
        | 'ư'
        | 'ǔ'
        | 'ǖ'
        | 'ǘ'
        | 'ǚ'
        | 'ǜ'
        | 'ụ'..='ự' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' | 'ỳ'..='ỹ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// The airport with this IATA code; case-insensitive, surrounding spaces ignored.
pub fn by_iata(code: &str) -> Option<&'static Airport> {
    let code = code.trim();
    if code.len() != 3 {
        return None;
    }
    let code = code.to_ascii_uppercase();
    let airports = &INDEX.airports;
    airports
        .binary_search_by(|a| a.iata.cmp(code.as_str()))
        .ok()
        .map(|i| &airports[i])
}

/// The time zone most of a country's airports are in: where its staff
/// most likely work (`HU` → Europe/Budapest). `None` for an unknown code.
pub fn country_time_zone(country: &str) -> Option<Tz> {
    let country = country.trim().to_ascii_uppercase();
    let mut counts: Vec<(Tz, usize)> = Vec::new();
    for a in all().iter().filter(|a| a.country == country) {
        match counts.iter_mut().find(|(tz, _)| *tz == a.tz) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.tz, 1)),
        }
    }
    // Most airports first; ties go to the zone's name, so the answer is stable.
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name().cmp(b.0.name())));
    counts.first().map(|(tz, _)| *tz)
}

/// How many airports are known.
pub fn count() -> usize {
    INDEX.airports.len()
}

/// All airports, sorted by IATA code.
pub fn all() -> &'static [Airport] {
    &INDEX.airports
}

/// Airports matching what someone is typing, best first, at most `limit`.
///
/// Ranking: the exact IATA code; then IATA codes starting with the query;
/// then airports whose city, then whose name, has a word starting with the
/// query; then any other airport whose city or name contains it. Among
/// equals: the city equal to the query, then "international" airports, then
/// IATA order. Matching ignores case, Latin accents and punctuation, so
/// "montreal" finds "Montréal" and "val d or" finds "Val-d'Or".
pub fn search(query: &str, limit: usize) -> Vec<&'static Airport> {
    const NONE: u8 = u8::MAX;
    let q = fold(query);
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    let index = &*INDEX;
    // The best tier found for each airport.
    let mut tier = vec![NONE; index.airports.len()];
    let mark = |tier: &mut [u8], i: usize, t: u8| tier[i] = tier[i].min(t);

    if q.len() <= 3 && q.is_ascii() {
        let qb = q.as_bytes();
        for (i, code) in index.iata.iter().enumerate() {
            if code[..] == *qb {
                mark(&mut tier, i, 0);
            } else if code.starts_with(qb) {
                mark(&mut tier, i, 1);
            }
        }
    }

    // Word prefixes: one range of the sorted word starts.
    let first = index.words.partition_point(|w| index.rest(*w) < q.as_str());
    for w in index.words[first..]
        .iter()
        .take_while(|w| index.rest(**w).starts_with(q.as_str()))
    {
        let i = w.airport as usize;
        let t = if (w.at as usize) < index.names[i] {
            2
        } else {
            3
        };
        mark(&mut tier, i, t);
    }

    // Substrings, only when the better tiers leave room: whole blocks
    // without the query are skipped by a fast `contains`.
    if tier.iter().filter(|t| **t != NONE).count() < limit {
        let n = index.airports.len();
        for block in (0..n).step_by(BLOCK) {
            let last = (block + BLOCK).min(n);
            let base = index.starts[block];
            let slice = &index.text[base..index.starts[last]];
            if !slice.contains(q.as_str()) {
                continue;
            }
            let mut i = block;
            for (p, _) in slice.match_indices(q.as_str()) {
                while index.starts[i + 1] <= base + p {
                    i += 1;
                }
                mark(&mut tier, i, 4);
            }
        }
    }

    // (tier, city differs from the query, not international, position)
    let mut hits: Vec<(u8, bool, Reverse<bool>, usize)> = tier
        .iter()
        .enumerate()
        .filter(|(_, t)| **t != NONE)
        .map(|(i, t)| (*t, index.city(i) != q, Reverse(index.international[i]), i))
        .collect();
    if hits.len() > limit {
        hits.select_nth_unstable(limit - 1);
        hits.truncate(limit);
    }
    hits.sort_unstable();
    hits.into_iter()
        .map(|(_, _, _, i)| &index.airports[i])
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_country_s_time_zone_is_where_most_of_its_airports_are() {
        let tz = |c: &str| country_time_zone(c).map(|t| t.name());
        assert_eq!(tz("HU"), Some("Europe/Budapest"));
        assert_eq!(tz("co"), Some("America/Bogota"));
        assert_eq!(tz("MX"), Some("America/Mexico_City"));
        assert_eq!(tz("HR"), Some("Europe/Zagreb"));
        assert_eq!(tz("ZZ"), None);
    }

    use super::*;

    fn codes(query: &str, limit: usize) -> Vec<&'static str> {
        search(query, limit).into_iter().map(|a| a.iata).collect()
    }

    #[test]
    fn every_embedded_row_parses() {
        let rows = DATA.lines().skip(1).count();
        assert_eq!(DATA.lines().next(), Some("iata,name,city,country,tz"));
        for line in DATA.lines().skip(1) {
            assert!(parse_row(line).is_some(), "row does not parse: {line}");
        }
        assert_eq!(count(), rows, "duplicate IATA codes in the data");
        assert!(count() > 5000, "only {} airports", count());
        assert!(all().windows(2).all(|w| w[0].iata < w[1].iata));
    }

    #[test]
    fn quoted_fields() {
        let row = r#"ABC,"Name, with ""quotes""",City,CA,America/Toronto"#;
        let a = parse_row(row).expect("parses");
        assert_eq!(a.name, r#"Name, with "quotes""#);
        assert_eq!(a.city, "City");
        assert_eq!(a.tz, chrono_tz::America::Toronto);
        assert!(parse_row("ABC,Name,City,CA,Not/AZone").is_none());
        assert!(parse_row("abc,Name,City,CA,America/Toronto").is_none());
        assert!(parse_row("ABC,\"Name,City,CA,America/Toronto").is_none());
        assert!(parse_row("ABC,Name,City,CA").is_none());
    }

    #[test]
    fn by_iata_is_case_insensitive_and_trimmed() {
        let yyz = by_iata("YYZ").expect("YYZ");
        assert_eq!(yyz.tz, chrono_tz::America::Toronto);
        assert_eq!(yyz.country, "CA");
        assert!(yyz.name.contains("Pearson"));
        assert_eq!(by_iata(" yyz "), Some(yyz));
        assert_eq!(by_iata("yYz"), Some(yyz));
        assert_eq!(
            by_iata("BUD").map(|a| a.tz),
            Some(chrono_tz::Europe::Budapest)
        );
        assert_eq!(
            by_iata("FRA").map(|a| a.tz),
            Some(chrono_tz::Europe::Berlin)
        );
        assert_eq!(
            by_iata("BOG").map(|a| a.tz),
            Some(chrono_tz::America::Bogota)
        );
        assert_eq!(by_iata("ZZ"), None);
        assert_eq!(by_iata("YYZZ"), None);
        assert_eq!(by_iata(""), None);
        assert_eq!(by_iata("ÿÿz"), None);
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Montréal-Pierre Elliott"), "montreal pierre elliott");
        assert_eq!(fold("  Val-d'Or  "), "val d or");
        assert_eq!(fold("Łódź Władysław Reymont"), "lodz wladyslaw reymont");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Hồ Chí Minh"), "ho chi minh");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("Montre\u{301}al"), "montreal");
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold(" -- "), "");
    }

    #[test]
    fn search_ranks_exact_code_first() {
        assert_eq!(codes("yyz", 5).first(), Some(&"YYZ"));
        assert_eq!(codes("YYZ", 5).first(), Some(&"YYZ"));
        assert_eq!(codes(" fra ", 5).first(), Some(&"FRA"));
        assert_eq!(codes("bud", 5).first(), Some(&"BUD"));
        // A two-letter query lists codes starting with it before names.
        let yy = codes("yy", 20);
        assert!(yy.iter().take(10).all(|c| c.starts_with("YY")), "{yy:?}");
    }

    #[test]
    fn search_by_city_and_name() {
        let toronto = codes("toronto", 10);
        assert!(toronto.contains(&"YYZ"), "{toronto:?}");
        assert!(toronto.contains(&"YTZ"), "{toronto:?}");
        assert_eq!(toronto.first(), Some(&"YTZ"), "city Toronto first");
        assert!(codes("pearson", 5).contains(&"YYZ"));
        // Several words, from any word of the name.
        assert_eq!(codes("pierre elliott", 5).first(), Some(&"YUL"));
        assert_eq!(codes("Elliott Trudeau", 5).first(), Some(&"YUL"));
        assert_eq!(codes("bogo", 5).first(), Some(&"BOG"));
        assert_eq!(codes("bogotá", 5).first(), Some(&"BOG"));
        assert_eq!(codes("BOGOTA", 5).first(), Some(&"BOG"));
        assert_eq!(codes("budapest", 5).first(), Some(&"BUD"));
    }

    #[test]
    fn search_ignores_accents_both_ways() {
        // The data spells it "Montréal"; people type it either way.
        for q in ["montreal", "Montréal", "MONTRÉAL", "montr"] {
            let hits = codes(q, 10);
            assert!(hits.contains(&"YUL"), "{q}: {hits:?}");
        }
        // The data spells "Sao Paulo" without accents in places.
        assert!(!codes("são paulo", 10).is_empty());
        assert_eq!(codes("val-d'or", 5).first(), Some(&"YVO"));
        assert_eq!(codes("val d or", 5).first(), Some(&"YVO"));
    }

    #[test]
    fn search_word_prefixes_before_substrings() {
        // "onto" starts words in a few names; it is only inside "Toronto".
        let hits = search("onto", 500);
        assert!(hits.iter().any(|a| a.iata == "YYZ"));
        let starts_word: Vec<bool> = hits
            .iter()
            .map(|a| {
                let k = format!(" {} {}", fold(a.city), fold(a.name));
                k.contains(" onto")
            })
            .collect();
        assert!(
            starts_word.windows(2).all(|w| w[0] >= w[1]),
            "{starts_word:?}"
        );
    }

    #[test]
    fn search_edge_cases() {
        assert!(search("", 10).is_empty());
        assert!(search("   ", 10).is_empty());
        assert!(search("-'", 10).is_empty());
        assert!(search("toronto", 0).is_empty());
        assert_eq!(search("a", 7).len(), 7);
        assert!(search("qqqqxxxx", 10).is_empty());
        // The best hits do not depend on the limit.
        let ten = codes("san", 10);
        let three = codes("san", 3);
        assert_eq!(&ten[..3], &three[..]);
    }

    #[test]
    fn airport_serializes_its_zone_by_name() {
        let json = serde_json::to_value(by_iata("YUL").expect("YUL")).expect("json");
        assert_eq!(json["tz"], "America/Toronto");
        assert_eq!(json["iata"], "YUL");
    }

    /// `cargo test -p homeward-domain --release -- --ignored search_speed --nocapture`
    #[test]
    #[ignore = "timing; run by hand in release mode"]
    fn search_speed() {
        let _ = count();
        let queries = [
            "y", "to", "tor", "toro", "toronto", "montreal", "bogo", "xq", "san",
        ];
        let rounds = 200;
        let mut worst = std::time::Duration::ZERO;
        let all = std::time::Instant::now();
        for q in queries {
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(search(q, 10));
            }
            let per = start.elapsed() / rounds;
            println!("search({q:?}): {per:?}");
            worst = worst.max(per);
        }
        let mean = all.elapsed() / (rounds * queries.len() as u32);
        println!("mean {mean:?}, worst {worst:?}, over {} airports", count());
    }
}
