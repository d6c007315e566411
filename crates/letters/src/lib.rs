//! Homeward's letters: the documents a case produces, rendered to PDF with
//! [typst](https://typst.app) used as a library.
//!
//! # Design
//!
//! * **One template per kind, strings per language.** Each [`LetterKind`] has
//!   one `.typ` file under `templates/`, sharing `templates/common.typ` (page
//!   frame, header, tables). The wording lives in `templates/strings/<lang>.json`
//!   (`common` strings, one section per kind, month names, country names), so a
//!   new language is a new JSON file, never a copied template. [`languages`]
//!   says which languages each kind is translated into; any other language
//!   falls back to English, and [`Rendered::lang`] says which one was used.
//! * **Data is passed as JSON, never pasted into source.** [`render`] builds one
//!   JSON document (the translated strings, the [`LetterData`] as given, and a
//!   few values derived here such as the localized date and country name) and
//!   exposes it to the templates as the virtual file `/input.json`, which they
//!   read with `json(..)`. Typst then only ever handles the data as string
//!   *values*, so a name like `#panic("x") ] $` prints literally.
//! * **A minimal in-memory [`World`].** The main source is the kind's template,
//!   `/common.typ` and `/input.json` are the only other files, there are no
//!   packages, and `today()` is [`LetterData::issued_on`]. Nothing is read from
//!   the network or the clock, so the same input gives byte-identical PDFs (the
//!   PDF creation date is the issue date, the document id is derived from the
//!   kind and case number).
//! * **Fonts are embedded.** The fonts come from the `typst-assets` crate
//!   (Libertinus Serif, New Computer Modern, DejaVu Sans Mono), which cover
//!   Latin with accents, Greek and Cyrillic. They are parsed once into a
//!   process-wide cache, so only the first render pays for it. As a best-effort
//!   extra, fonts under `/usr/share/fonts` and `/usr/local/share/fonts` are also
//!   indexed (unless `HOMEWARD_LETTERS_SYSTEM_FONTS=0`), loaded lazily, and used
//!   only by typst's per-glyph fallback: that is how Arabic or Chinese names
//!   can be shown (e.g. with Debian's `fonts-noto-core` / `fonts-noto-cjk`);
//!   without such fonts those names render as missing glyphs. Families that
//!   the embedded set already has are never taken from the system, so Latin,
//!   Greek and Cyrillic output does not depend on the machine.
//! * **Its own crate.** typst is large and slow to compile; keeping it here
//!   means only the crates that print letters pay for it.
//!
//! Wording: these are an ordinary traveller's / programme participant's
//! documents. The strings files must never use words that mark a person as
//! deported, removed, in custody or unlawful, in any language; the tests scan
//! the templates, the strings and the rendered text for them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use typst::diag::{FileError, FileResult, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LetterKind {
    /// The programme application summary with the voluntary-return declaration.
    Application,
    /// The travel letter the travellers carry ("To whom it may concern").
    TravelLetter,
    /// The departure confirmation sent to CBSA.
    DepartureConfirmation,
    /// The certificate of participation and reintegration entitlement.
    ReintegrationCertificate,
}

impl LetterKind {
    /// Every kind, in a stable order.
    pub const ALL: [LetterKind; 4] = [
        LetterKind::Application,
        LetterKind::TravelLetter,
        LetterKind::DepartureConfirmation,
        LetterKind::ReintegrationCertificate,
    ];

    /// The kind's identifier: `application`, `travel-letter`,
    /// `departure-confirmation`, `reintegration-certificate`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LetterKind::Application => "application",
            LetterKind::TravelLetter => "travel-letter",
            LetterKind::DepartureConfirmation => "departure-confirmation",
            LetterKind::ReintegrationCertificate => "reintegration-certificate",
        }
    }

    /// The inverse of [`LetterKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn index(self) -> usize {
        match self {
            LetterKind::Application => 0,
            LetterKind::TravelLetter => 1,
            LetterKind::DepartureConfirmation => 2,
            LetterKind::ReintegrationCertificate => 3,
        }
    }

    fn template(self) -> &'static str {
        match self {
            LetterKind::Application => include_str!("../templates/application.typ"),
            LetterKind::TravelLetter => include_str!("../templates/travel-letter.typ"),
            LetterKind::DepartureConfirmation => {
                include_str!("../templates/departure-confirmation.typ")
            }
            LetterKind::ReintegrationCertificate => {
                include_str!("../templates/reintegration-certificate.typ")
            }
        }
    }
}

impl std::fmt::Display for LetterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a letter may show. All text is already-formatted strings; the
/// caller fills it from the database.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct LetterData {
    pub case_number: String,
    pub programme_name: String,
    /// ISO date, e.g. "2026-11-28": the document date, shown localized.
    pub issued_on: String,
    /// Principal first.
    pub travellers: Vec<Traveller>,
    /// ISO 3166 code, e.g. "HU"; shown as the country's name in the letter's
    /// language (the code itself if the name is not known).
    pub country_of_return: Option<String>,
    pub destination_locality: Option<String>,
    /// May be empty (no itinerary yet).
    pub segments: Vec<Segment>,
    pub booking_reference: Option<String>,
    /// Already formatted, e.g. "CAD 2,000.00".
    pub entitlement: Option<String>,
    pub declaration_signed_on: Option<String>,
    pub eligibility_rule_set: Option<String>,
    pub departure_confirmed_at_utc: Option<String>,
    pub departure_confirmed_by: Option<String>,
    pub mission_contact: Option<String>,
    pub data_version: i64,
    /// Where the programme's office is, as a place line reads it ("Toronto").
    #[serde(default)]
    pub office: Option<String>,
    /// The referring authority, as addressed ("Canada Border Services Agency (CBSA)").
    #[serde(default)]
    pub authority: Option<String>,
    /// ISO 3166 code of the host country the travellers leave ("CA").
    #[serde(default)]
    pub host_country: Option<String>,
    /// The programme's letterhead: its lines, the first in bold (IOM's
    /// name and the programme's when none).
    #[serde(default)]
    pub letterhead: Option<String>,
    /// Who signs for IOM (a name and title), under the signature line.
    #[serde(default)]
    pub signatory: Option<String>,
    /// The person's own page, on the papers that are theirs (the
    /// application and the reintegration certificate); none elsewhere or
    /// when the office has no address.
    #[serde(default)]
    pub returnee_page: Option<ReturneePage>,
}

/// Where the person opens their own page: its address, and the same as a
/// QR code (an SVG document).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ReturneePage {
    pub url: String,
    pub qr_svg: String,
}

/// One person travelling on the case.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Traveller {
    pub name_latin: String,
    pub name_original: Option<String>,
    pub date_of_birth: Option<String>,
    pub relationship: Option<String>,
    pub document_number: Option<String>,
    pub ticket_number: Option<String>,
    pub special_assistance: Vec<String>,
}

/// One flight. Times are already formatted, e.g.
/// "2026-03-08 18:40 (America/Toronto)".
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Segment {
    pub carrier: String,
    pub flight_number: String,
    pub from_code: String,
    pub from_name: String,
    pub to_code: String,
    pub to_name: String,
    pub departs_local: String,
    pub arrives_local: String,
}

/// A rendered letter.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// The language actually used ("en" when the requested one is not
    /// translated for this kind).
    pub lang: &'static str,
}

/// Why a letter could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    /// The template did not compile; the typst diagnostics, one per line.
    #[error("letter template failed to compile:\n{0}")]
    Compile(String),
    /// The compiled document could not be exported to PDF.
    #[error("PDF export failed:\n{0}")]
    Pdf(String),
    /// The embedded strings or templates are unusable (a packaging bug).
    #[error("letter resources are broken: {0}")]
    Resources(String),
    /// The letter data could not be turned into JSON.
    #[error("letter data could not be serialized: {0}")]
    Data(#[from] serde_json::Error),
}

/// The languages a letter kind is translated into. The first is always "en".
pub fn languages(kind: LetterKind) -> &'static [&'static str] {
    match kind {
        LetterKind::TravelLetter | LetterKind::ReintegrationCertificate => {
            &["en", "fr", "es", "hu"]
        }
        LetterKind::Application | LetterKind::DepartureConfirmation => &["en", "fr"],
    }
}

/// The language `render` will use for `lang`: its primary subtag ("fr-CA" →
/// "fr") if the kind is translated into it, else "en".
fn resolve_lang(kind: LetterKind, lang: &str) -> &'static str {
    let primary = lang
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    languages(kind)
        .iter()
        .copied()
        .find(|l| *l == primary)
        .unwrap_or("en")
}

/// Renders the letter in `lang` (falls back to "en" if not translated; the
/// returned `lang` says which was used). Deterministic for the same input.
pub fn render(kind: LetterKind, lang: &str, data: &LetterData) -> Result<Rendered, LetterError> {
    let lang = resolve_lang(kind, lang);
    let input = build_input(kind, lang, data)?;
    let templates = TEMPLATES
        .as_ref()
        .map_err(|e| LetterError::Resources(e.clone()))?;
    let today = parse_iso_date(&data.issued_on).and_then(|(y, m, d)| Datetime::from_ymd(y, m, d));
    let world = LetterWorld {
        main: templates.kinds[kind.index()].clone(),
        common: templates.common.clone(),
        input_id: templates.input_id,
        input: Bytes::new(input),
        today,
    };

    let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
    let result = output
        .map_err(|diags| LetterError::Compile(describe(&world, &diags)))
        .and_then(|doc| {
            let options = PdfOptions {
                ident: Smart::Custom(format!("homeward/{}/{}", kind.as_str(), data.case_number)),
                creator: Smart::Custom(Some("Homeward (typst)".to_owned())),
                timestamp: today.map(Timestamp::new_utc),
                ..PdfOptions::default()
            };
            typst_pdf::pdf(&doc, &options)
                .map_err(|diags| LetterError::Pdf(describe(&world, &diags)))
        });
    // Keep typst's memoization cache bounded in a long-running server while
    // still letting consecutive renders share work.
    typst::comemo::evict(10);
    Ok(Rendered { pdf: result?, lang })
}

// ---------------------------------------------------------------------------
// Tabular reports.

/// A report made of tables (the donor report). Every string is already
/// translated and every number already formatted by the caller, so the PDF
/// shows exactly what the screen shows.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ReportDoc {
    /// Language code for hyphenation and the PDF's metadata ("en", "fr").
    pub lang: String,
    pub title: String,
    /// E.g. the period and when the report was made.
    pub subtitle: String,
    /// Shown in every page's footer.
    pub footer: String,
    pub org: String,
    pub org_short: String,
    /// ISO date the report was made on: the PDF's creation date.
    pub issued_on: String,
    pub tables: Vec<ReportTable>,
}

/// One table: a title, the column headers and the rows (cells as text).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ReportTable {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub note: Option<String>,
}

/// The report template, parsed once.
static REPORT_TEMPLATE: LazyLock<Result<Source, String>> = LazyLock::new(|| {
    Ok(Source::new(
        file_id("/report.typ")?,
        include_str!("../templates/report.typ").into(),
    ))
});

/// Renders a tabular report to PDF. Deterministic for the same input.
pub fn render_report(doc: &ReportDoc) -> Result<Vec<u8>, LetterError> {
    let lang = if doc.lang.is_empty() {
        "en"
    } else {
        doc.lang.as_str()
    };
    let input = serde_json::to_vec(&serde_json::json!({ "lang": lang, "doc": doc }))?;
    let templates = TEMPLATES
        .as_ref()
        .map_err(|e| LetterError::Resources(e.clone()))?;
    let main = REPORT_TEMPLATE
        .as_ref()
        .map_err(|e| LetterError::Resources(e.clone()))?;
    let today = parse_iso_date(&doc.issued_on).and_then(|(y, m, d)| Datetime::from_ymd(y, m, d));
    let world = LetterWorld {
        main: main.clone(),
        common: templates.common.clone(),
        input_id: templates.input_id,
        input: Bytes::new(input),
        today,
    };
    let Warned { output, .. } = typst::compile::<PagedDocument>(&world);
    let result = output
        .map_err(|diags| LetterError::Compile(describe(&world, &diags)))
        .and_then(|d| {
            let options = PdfOptions {
                ident: Smart::Custom(format!("homeward/report/{}", doc.title)),
                creator: Smart::Custom(Some("Homeward (typst)".to_owned())),
                timestamp: today.map(Timestamp::new_utc),
                ..PdfOptions::default()
            };
            typst_pdf::pdf(&d, &options).map_err(|diags| LetterError::Pdf(describe(&world, &diags)))
        });
    typst::comemo::evict(10);
    result
}

// ---------------------------------------------------------------------------
// Strings and the JSON input.

const STRING_FILES: [(&str, &str); 4] = [
    ("en", include_str!("../templates/strings/en.json")),
    ("fr", include_str!("../templates/strings/fr.json")),
    ("es", include_str!("../templates/strings/es.json")),
    ("hu", include_str!("../templates/strings/hu.json")),
];

type Strings = BTreeMap<&'static str, Map<String, Json>>;

static STRINGS: LazyLock<Result<Strings, String>> = LazyLock::new(|| {
    let mut all = BTreeMap::new();
    for (lang, text) in STRING_FILES {
        match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(map)) => {
                all.insert(lang, map);
            }
            Ok(_) => return Err(format!("strings/{lang}.json is not a JSON object")),
            Err(e) => return Err(format!("strings/{lang}.json: {e}")),
        }
    }
    Ok(all)
});

fn section<'a>(file: &'a Map<String, Json>, name: &str) -> Option<&'a Map<String, Json>> {
    file.get(name).and_then(Json::as_object)
}

/// The strings a letter sees: English first, overlaid by the language's own,
/// for the `common` section and the kind's section.
fn merged_strings(
    strings: &Strings,
    kind: LetterKind,
    lang: &str,
) -> Result<Map<String, Json>, LetterError> {
    let en = strings
        .get("en")
        .ok_or_else(|| LetterError::Resources("no English strings".into()))?;
    let own = strings.get(lang).unwrap_or(en);
    let mut t = Map::new();
    for file in [en, own] {
        for name in ["common", kind.as_str()] {
            if let Some(map) = section(file, name) {
                t.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    Ok(t)
}

fn parse_iso_date(s: &str) -> Option<(i32, u8, u8)> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((y, m, d))
}

/// "2026-11-28" → "28 November 2026" / "28 novembre 2026" / "2026. november 28.";
/// anything that is not an ISO date is shown as given.
fn format_date(iso: &str, file: &Map<String, Json>) -> String {
    let Some((y, m, d)) = parse_iso_date(iso) else {
        return iso.to_owned();
    };
    let date = section(file, "date");
    let month = date
        .and_then(|s| s.get("months"))
        .and_then(Json::as_array)
        .and_then(|a| a.get(usize::from(m) - 1))
        .and_then(Json::as_str);
    let pattern = date.and_then(|s| s.get("pattern")).and_then(Json::as_str);
    let (Some(month), Some(pattern)) = (month, pattern) else {
        return iso.to_owned();
    };
    let day = match date.and_then(|s| s.get("first_day")).and_then(Json::as_str) {
        Some(first) if d == 1 => first.to_owned(),
        _ => d.to_string(),
    };
    pattern
        .replace("{day}", &day)
        .replace("{month}", month)
        .replace("{year}", &y.to_string())
}

/// The country's name in the letter's language, else the code itself.
fn country_name(code: &str, file: &Map<String, Json>) -> String {
    let code = code.trim().to_ascii_uppercase();
    section(file, "countries")
        .and_then(|c| c.get(&code))
        .and_then(Json::as_str)
        .map(str::to_owned)
        .unwrap_or(code)
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The JSON the templates read as `/input.json`.
fn build_input(kind: LetterKind, lang: &str, data: &LetterData) -> Result<Vec<u8>, LetterError> {
    let strings = STRINGS
        .as_ref()
        .map_err(|e| LetterError::Resources(e.clone()))?;
    let t = merged_strings(strings, kind, lang)?;
    let file = strings
        .get(lang)
        .ok_or_else(|| LetterError::Resources(format!("no strings for {lang}")))?;

    let country = non_empty(&data.country_of_return).map(|c| country_name(c, file));
    let locality = non_empty(&data.destination_locality);
    let destination = match (locality, country.as_deref()) {
        (Some(l), Some(c)) => Some(format!("{l}, {c}")),
        (Some(l), None) => Some(l.to_owned()),
        (None, Some(c)) => Some(c.to_owned()),
        (None, None) => None,
    };

    let title_en = strings
        .get("en")
        .and_then(|en| section(en, kind.as_str()))
        .and_then(|s| s.get("title"))
        .cloned();
    let view = serde_json::json!({
        "title_en": title_en,
        "issued_on": format_date(&data.issued_on, file),
        "declaration_signed_on": non_empty(&data.declaration_signed_on).map(|d| format_date(d, file)),
        "country": country,
        "destination": destination,
        "office": non_empty(&data.office),
        "authority": non_empty(&data.authority),
        "host_country": non_empty(&data.host_country).map(|c| country_name(c, file)),
        "letterhead": non_empty(&data.letterhead),
        "signatory": non_empty(&data.signatory),
        "many": data.travellers.len() > 1,
    });
    let input = serde_json::json!({
        "kind": kind.as_str(),
        "lang": lang,
        "t": t,
        "d": data,
        "view": view,
    });
    Ok(serde_json::to_vec(&input)?)
}

// ---------------------------------------------------------------------------
// Templates and the typst World.

struct Templates {
    common: Source,
    kinds: [Source; 4],
    input_id: FileId,
}

fn file_id(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("{path}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

/// The templates, parsed once.
static TEMPLATES: LazyLock<Result<Templates, String>> = LazyLock::new(|| {
    let common = Source::new(
        file_id("/common.typ")?,
        include_str!("../templates/common.typ").into(),
    );
    let kind_source = |kind: LetterKind| -> Result<Source, String> {
        Ok(Source::new(
            file_id(&format!("/{}.typ", kind.as_str()))?,
            kind.template().into(),
        ))
    };
    Ok(Templates {
        common,
        kinds: [
            kind_source(LetterKind::ALL[0])?,
            kind_source(LetterKind::ALL[1])?,
            kind_source(LetterKind::ALL[2])?,
            kind_source(LetterKind::ALL[3])?,
        ],
        input_id: file_id("/input.json")?,
    })
});

/// The standard library, built once.
static LIBRARY: LazyLock<LazyHash<Library>> =
    LazyLock::new(|| LazyHash::new(Library::builder().build()));

/// One render's world: the kind's template, the shared template, the input.
struct LetterWorld {
    main: Source,
    common: Source,
    input_id: FileId,
    input: Bytes,
    today: Option<Datetime>,
}

impl LetterWorld {
    fn not_found(id: FileId) -> FileError {
        FileError::NotFound(PathBuf::from(id.vpath().get_with_slash()))
    }
}

impl World for LetterWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else if id == self.input_id {
            Err(FileError::NotSource)
        } else {
            Err(Self::not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.input_id {
            Ok(self.input.clone())
        } else {
            self.source(id)
                .map(|s| Bytes::from_string(s.text().to_owned()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().slots.get(index)?.get()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// Turns typst diagnostics into readable text, one per line, with positions.
fn describe(world: &LetterWorld, diags: &[SourceDiagnostic]) -> String {
    let mut out = Vec::new();
    for diag in diags {
        let mut line = String::new();
        if let Some(id) = diag.span.id() {
            let path = id.vpath().get_with_slash().to_owned();
            let pos = world
                .range(diag.span)
                .zip(world.source(id).ok())
                .and_then(|(range, src)| src.lines().byte_to_line_column(range.start));
            match pos {
                Some((l, c)) => line.push_str(&format!("{path}:{}:{}: ", l + 1, c + 1)),
                None => line.push_str(&format!("{path}: ")),
            }
        }
        line.push_str(&diag.message);
        for hint in &diag.hints {
            line.push_str(&format!(" (hint: {})", hint.v));
        }
        out.push(line);
    }
    out.join("\n")
}

// ---------------------------------------------------------------------------
// Fonts.

struct FontSlot {
    /// Where a system font is loaded from; `None` for embedded fonts.
    path: Option<PathBuf>,
    index: u32,
    font: OnceLock<Option<Font>>,
}

impl FontSlot {
    fn get(&self) -> Option<Font> {
        self.font
            .get_or_init(|| {
                let path = self.path.as_ref()?;
                let data = std::fs::read(path).ok()?;
                Font::new(Bytes::new(data), self.index)
            })
            .clone()
    }
}

struct FontStore {
    book: LazyHash<FontBook>,
    slots: Vec<FontSlot>,
}

static FONTS: OnceLock<FontStore> = OnceLock::new();

/// The font cache: embedded fonts parsed once, system fonts indexed once.
fn fonts() -> &'static FontStore {
    FONTS.get_or_init(|| {
        let mut book = FontBook::new();
        let mut slots = Vec::new();
        for data in typst_assets::fonts() {
            for font in Font::iter(Bytes::new(data)) {
                book.push(font.info().clone());
                slots.push(FontSlot {
                    path: None,
                    index: font.index(),
                    font: OnceLock::from(Some(font)),
                });
            }
        }
        if std::env::var("HOMEWARD_LETTERS_SYSTEM_FONTS").as_deref() != Ok("0") {
            let embedded: Vec<String> = (0..slots.len())
                .filter_map(|i| book.info(i))
                .map(|i| i.family.to_lowercase())
                .collect();
            let mut files = Vec::new();
            for dir in ["/usr/share/fonts", "/usr/local/share/fonts"] {
                collect_font_files(Path::new(dir), 0, &mut files);
            }
            files.sort();
            for path in files {
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                // Collections hold several faces; a plain file has index 0 only.
                for index in 0..64 {
                    let Some(info) = FontInfo::new(&data, index) else {
                        break;
                    };
                    if embedded.contains(&info.family.to_lowercase()) {
                        continue;
                    }
                    book.push(info);
                    slots.push(FontSlot {
                        path: Some(path.clone()),
                        index,
                        font: OnceLock::new(),
                    });
                }
            }
        }
        FontStore {
            book: LazyHash::new(book),
            slots,
        }
    })
}

/// Font files under `dir`, recursively (best effort: unreadable entries are
/// skipped, symbolic links are not followed).
fn collect_font_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            collect_font_files(&path, depth + 1, out);
        } else if kind.is_file() {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if matches!(ext.as_deref(), Some("ttf" | "otf" | "ttc" | "otc")) {
                out.push(path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in LetterKind::ALL {
            assert_eq!(LetterKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Json::String(kind.as_str().into())
            );
        }
        assert_eq!(LetterKind::parse("travel_letter"), None);
    }

    #[test]
    fn language_resolution() {
        assert_eq!(resolve_lang(LetterKind::TravelLetter, "fr-CA"), "fr");
        assert_eq!(resolve_lang(LetterKind::TravelLetter, "HU"), "hu");
        assert_eq!(resolve_lang(LetterKind::TravelLetter, "xx"), "en");
        assert_eq!(resolve_lang(LetterKind::Application, "hu"), "en");
        assert_eq!(resolve_lang(LetterKind::Application, ""), "en");
        for kind in LetterKind::ALL {
            assert_eq!(languages(kind)[0], "en");
            assert!(languages(kind).contains(&"fr"));
        }
    }

    #[test]
    fn dates_are_localized() {
        let s = STRINGS.as_ref().unwrap();
        assert_eq!(format_date("2026-11-28", &s["en"]), "28 November 2026");
        assert_eq!(format_date("2026-11-01", &s["fr"]), "1er novembre 2026");
        assert_eq!(format_date("2026-03-08", &s["es"]), "8 de marzo de 2026");
        assert_eq!(format_date("2026-11-28", &s["hu"]), "2026. november 28.");
        assert_eq!(format_date("next week", &s["en"]), "next week");
        assert_eq!(format_date("2026-13-01", &s["en"]), "2026-13-01");
    }

    #[test]
    fn country_names_and_fallback() {
        let s = STRINGS.as_ref().unwrap();
        assert_eq!(country_name("HU", &s["en"]), "Hungary");
        assert_eq!(country_name("hu", &s["hu"]), "Magyarország");
        assert_eq!(country_name("MX", &s["fr"]), "Mexique");
        assert_eq!(country_name("ZZ", &s["fr"]), "ZZ");
    }

    #[test]
    fn every_language_has_every_country_the_brief_names() {
        let s = STRINGS.as_ref().unwrap();
        let required = "HU CO MX HR CZ RO SK SI RS AL XK NG IN CN PK HT LK TR UA RU VE DE FR GB US ES PT PL CA";
        let en_codes: Vec<&String> = section(&s["en"], "countries").unwrap().keys().collect();
        for (lang, file) in s {
            let countries = section(file, "countries").unwrap();
            for code in required.split(' ') {
                assert!(countries.contains_key(code), "{lang} lacks {code}");
            }
            for code in &en_codes {
                assert!(countries.contains_key(*code), "{lang} lacks {code}");
            }
        }
    }

    #[test]
    fn reports_render_with_markup_as_text() {
        let doc = ReportDoc {
            lang: "fr".into(),
            title: "Rapport #panic(\"x\") $".into(),
            subtitle: "2026-Q4".into(),
            footer: "f".into(),
            org: "OIM".into(),
            org_short: "OIM".into(),
            issued_on: "2026-11-28".into(),
            tables: vec![ReportTable {
                title: "T".into(),
                header: vec!["a".into(), "b".into()],
                rows: vec![vec!["HU".into(), "12".into()]],
                note: Some("n".into()),
            }],
        };
        let pdf = render_report(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(pdf, render_report(&doc).unwrap());
    }

    /// A kind listed as translated must have every string English has for it.
    #[test]
    fn translated_kinds_are_complete() {
        let s = STRINGS.as_ref().unwrap();
        for kind in LetterKind::ALL {
            for lang in languages(kind) {
                let file = &s[lang];
                for name in ["common", kind.as_str()] {
                    let en = section(&s["en"], name).unwrap();
                    let own = section(file, name)
                        .unwrap_or_else(|| panic!("{lang} has no section {name}"));
                    for key in en.keys() {
                        assert!(own.contains_key(key), "{lang}/{name} lacks {key}");
                    }
                }
                let months = section(file, "date").unwrap()["months"].as_array().unwrap();
                assert_eq!(months.len(), 12, "{lang}");
            }
        }
    }
}
