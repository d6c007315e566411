//! Case list exports without a database or a web server: the catalogue of
//! exportable columns (with who may have each and its HXL hashtag), cell
//! neutralisation against spreadsheet formula injection, and CSV and XLSX
//! writers that take one row at a time and keep nothing but the current row,
//! so an export of any size runs in constant memory
//! (see `docs/adr/0016-case-exports-as-jobs.md`).
//!
//! Who may export: [`may_export`]. Which columns: [`Column::allowed_for`].

use homeward_domain::Role;
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number; written as a number cell in XLSX.
    Number,
    /// An ISO date `YYYY-MM-DD` (text in both formats, which HXL tools expect).
    Date,
}

/// One exportable column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Stable identifier used in forms, the API and the stored export.
    pub id: &'static str,
    /// Translation key of the header.
    pub label_key: &'static str,
    /// HXL hashtag with attributes, for the optional second header row.
    pub hxl: &'static str,
    /// Contact details or identifiers: only for roles that see them
    /// ([`Role::sees_contact_details`]).
    pub contact: bool,
    pub kind: Kind,
}

impl Column {
    /// Whether `role` may have this column in an export. Counselling, health
    /// and vulnerability data are not in the catalogue at all: no export
    /// carries them, whoever asks.
    pub fn allowed_for(&self, role: Role) -> bool {
        may_export(role) && (!self.contact || role.sees_contact_details())
    }
}

const fn col(
    id: &'static str,
    label_key: &'static str,
    hxl: &'static str,
    contact: bool,
    kind: Kind,
) -> Column {
    Column {
        id,
        label_key,
        hxl,
        contact,
        kind,
    }
}

/// Every exportable column, in the order they are offered and written.
pub const COLUMNS: [Column; 20] = [
    col(
        "case_number",
        "export-col-case_number",
        "#affected+case+id",
        false,
        Kind::Text,
    ),
    col(
        "programme",
        "export-col-programme",
        "#activity+code",
        false,
        Kind::Text,
    ),
    col(
        "status",
        "export-col-status",
        "#status+code",
        false,
        Kind::Text,
    ),
    // Codes stay in their own columns for machines; these say them in words.
    col(
        "status_name",
        "export-col-status_name",
        "#status+name",
        false,
        Kind::Text,
    ),
    col(
        "principal_name",
        "export-col-principal_name",
        "#affected+name",
        false,
        Kind::Text,
    ),
    col("sex", "export-col-sex", "#affected+sex", false, Kind::Text),
    col(
        "sex_name",
        "export-col-sex_name",
        "#affected+sex+name",
        false,
        Kind::Text,
    ),
    col(
        "date_of_birth",
        "export-col-date_of_birth",
        "#date+birth",
        false,
        Kind::Date,
    ),
    col(
        "nationalities",
        "export-col-nationalities",
        "#affected+nationality",
        false,
        Kind::Text,
    ),
    col(
        "household_size",
        "export-col-household_size",
        "#affected+num",
        false,
        Kind::Number,
    ),
    col(
        "country_of_return",
        "export-col-country_of_return",
        "#country+code",
        false,
        Kind::Text,
    ),
    col(
        "country_of_return_name",
        "export-col-country_of_return_name",
        "#country+name",
        false,
        Kind::Text,
    ),
    col(
        "destination_locality",
        "export-col-destination_locality",
        "#loc+name",
        false,
        Kind::Text,
    ),
    col(
        "counsellor",
        "export-col-counsellor",
        "#contact+name",
        false,
        Kind::Text,
    ),
    col(
        "referred_on",
        "export-col-referred_on",
        "#date+referral",
        false,
        Kind::Date,
    ),
    col(
        "departed_on",
        "export-col-departed_on",
        "#date+departure",
        false,
        Kind::Date,
    ),
    col(
        "phone",
        "export-col-phone",
        "#contact+phone",
        true,
        Kind::Text,
    ),
    col(
        "email",
        "export-col-email",
        "#contact+email",
        true,
        Kind::Text,
    ),
    col(
        "uci",
        "export-col-uci",
        "#affected+id+uci",
        true,
        Kind::Text,
    ),
    col(
        "passport_number",
        "export-col-passport_number",
        "#affected+id+passport",
        true,
        Kind::Text,
    ),
];

/// The column with this id.
pub fn column(id: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.id == id)
}

/// The columns `role` may choose from.
pub fn columns_for(role: Role) -> Vec<&'static Column> {
    COLUMNS.iter().filter(|c| c.allowed_for(role)).collect()
}

/// Who may export the case list: the roles that read case records. The
/// analyst gets only the de-identified export (not this one); admin and
/// auditor read no cases.
pub fn may_export(role: Role) -> bool {
    matches!(
        role,
        Role::Counsellor
            | Role::Supervisor
            | Role::CbsaOfficer
            | Role::MissionOfficer
            | Role::Finance
    )
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The `Content-Type` of a file of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Rows an XLSX sheet holds, less the two header rows.
pub const XLSX_MAX_ROWS: u64 = 1_048_576 - 2;

/// Why an export request was refused: `(field, code)` pairs.
pub type Problems = Vec<(&'static str, &'static str)>;

/// Checks a request: a known format, at least one column, every column
/// known and allowed for `role`, no column twice. Returns the columns in
/// the order asked.
pub fn validate(
    role: Role,
    columns: &[String],
    format: &str,
) -> Result<(Vec<&'static Column>, Format), Problems> {
    let mut problems = Problems::new();
    let format = Format::parse(format);
    if format.is_none() {
        problems.push(("format", "unknown-format"));
    }
    let mut out: Vec<&'static Column> = Vec::new();
    if columns.is_empty() {
        problems.push(("columns", "no-columns"));
    }
    for id in columns {
        match column(id) {
            // An unknown id and a forbidden one get the same answer, so the
            // refusal does not tell which restricted columns exist.
            Some(c) if c.allowed_for(role) => {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            _ => {
                if !problems.contains(&("columns", "unknown-column")) {
                    problems.push(("columns", "unknown-column"));
                }
            }
        }
    }
    match format {
        Some(f) if problems.is_empty() => Ok((out, f)),
        _ => Err(problems),
    }
}

/// Makes a text harmless in a spreadsheet: a text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return could be taken for a formula (OWASP
/// "CSV injection"), so it gets a leading `'`. Numbers are written as number
/// cells and never pass through here.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(i64),
}

/// Errors of the writers.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("an XLSX sheet holds at most {XLSX_MAX_ROWS} rows")]
    TooManyRows,
}

/// A sink of rows: the header(s) first, then each row, then [`Sink::finish`].
pub enum Sink<W: Write> {
    // Both boxed: the writers are large, and a sink is moved around whole.
    Csv(Box<csv::Writer<W>>),
    Xlsx(Box<XlsxSink>),
}

/// An XLSX workbook in constant memory mode: each row goes to a temporary
/// file as it is written; the workbook is assembled into `path` at the end.
pub struct XlsxSink {
    book: rust_xlsxwriter::Workbook,
    path: PathBuf,
    next_row: u32,
}

/// A sink writing to a file.
pub type FileSink = Sink<std::io::BufWriter<std::fs::File>>;

impl FileSink {
    /// A sink writing `format` to a new file at `path`.
    pub fn create(format: Format, path: &Path) -> Result<Self, ExportError> {
        match format {
            Format::Csv => {
                let f = std::fs::File::create(path)?;
                Ok(Sink::csv(std::io::BufWriter::new(f)))
            }
            Format::Xlsx => Ok(Sink::xlsx(path, path.parent())?),
        }
    }

    /// An XLSX sink saving to `path`; rows wait in temporary files in
    /// `tempdir` (the system's when `None`).
    pub fn xlsx(path: &Path, tempdir: Option<&Path>) -> Result<Self, ExportError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        if let Some(d) = tempdir {
            book.set_tempdir(d)?;
        }
        book.add_worksheet_with_constant_memory();
        Ok(Sink::Xlsx(Box::new(XlsxSink {
            book,
            path: path.to_path_buf(),
            next_row: 0,
        })))
    }
}

impl<W: Write> Sink<W> {
    /// A CSV sink on any writer (a file, or `io::sink()` in benchmarks).
    pub fn csv(w: W) -> Self {
        Sink::Csv(Box::new(csv::WriterBuilder::new().from_writer(w)))
    }

    /// Writes the header row and, when asked, the HXL hashtag row under it.
    pub fn header(&mut self, labels: &[String], hxl: Option<&[&str]>) -> Result<(), ExportError> {
        let head: Vec<Cell> = labels.iter().map(|l| Cell::Text(l.clone())).collect();
        self.row(&head)?;
        if let Some(tags) = hxl {
            // Hashtags start with '#', never neutralised.
            let tags: Vec<Cell> = tags.iter().map(|t| Cell::Text((*t).to_string())).collect();
            self.row(&tags)?;
        }
        Ok(())
    }

    /// Writes one row, neutralising text cells.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        match self {
            Sink::Csv(w) => {
                for c in cells {
                    match c {
                        Cell::Empty => w.write_field("")?,
                        Cell::Text(s) => w.write_field(neutralise(s).as_bytes())?,
                        Cell::Number(n) => w.write_field(n.to_string())?,
                    }
                }
                w.write_record(None::<&[u8]>)?;
            }
            Sink::Xlsx(x) => {
                if u64::from(x.next_row) >= XLSX_MAX_ROWS + 2 {
                    return Err(ExportError::TooManyRows);
                }
                let row = x.next_row;
                let ws = x.book.worksheet_from_index(0)?;
                for (i, c) in cells.iter().enumerate() {
                    let col = u16::try_from(i).map_err(|_| ExportError::TooManyRows)?;
                    match c {
                        Cell::Empty => {}
                        Cell::Text(s) => {
                            ws.write_string(row, col, neutralise(s).as_ref())?;
                        }
                        Cell::Number(n) => {
                            ws.write_number(row, col, *n as f64)?;
                        }
                    }
                }
                x.next_row += 1;
            }
        }
        Ok(())
    }

    /// Flushes and closes the file.
    pub fn finish(self) -> Result<(), ExportError> {
        match self {
            Sink::Csv(mut w) => {
                w.flush()?;
                Ok(())
            }
            Sink::Xlsx(mut x) => {
                x.book.save(&x.path)?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(cols: &[&Column]) -> Vec<&'static str> {
        cols.iter().map(|c| c.id).collect()
    }

    #[test]
    fn formula_starts_are_neutralised_and_others_kept() {
        for s in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"http://x\")",
        ] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        for s in ["", "Ana", "1-2", "'=x", "#affected", " =x"] {
            assert_eq!(neutralise(s), s);
        }
    }

    #[test]
    fn contact_columns_only_for_roles_that_see_contact_details() {
        for r in Role::ALL {
            let phone = column("phone").map(|c| c.allowed_for(r));
            assert_eq!(
                phone,
                Some(may_export(r) && r.sees_contact_details()),
                "{r}"
            );
        }
        assert!(!columns_for(Role::Finance).iter().any(|c| c.contact));
        assert!(columns_for(Role::Analyst).is_empty());
        assert!(columns_for(Role::Admin).is_empty());
    }

    #[test]
    fn no_restricted_data_in_the_catalogue() {
        for c in COLUMNS {
            for word in [
                "counselling",
                "session",
                "health",
                "vulnerab",
                "fitness",
                "notes",
            ] {
                assert!(!c.id.contains(word), "{}", c.id);
            }
            assert!(c.hxl.starts_with('#'));
        }
    }

    #[test]
    fn validation_names_each_problem() {
        let v = |cols: &[&str], f: &str, r: Role| {
            let cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
            validate(r, &cols, f)
        };
        let (cols, f) = v(
            &["status", "case_number", "status"],
            "csv",
            Role::Counsellor,
        )
        .unwrap();
        assert_eq!(ids(&cols), ["status", "case_number"]);
        assert_eq!(f, Format::Csv);
        assert_eq!(
            v(&[], "csv", Role::Counsellor).unwrap_err(),
            [("columns", "no-columns")]
        );
        assert_eq!(
            v(&["nope"], "pdf", Role::Counsellor).unwrap_err(),
            [("format", "unknown-format"), ("columns", "unknown-column")]
        );
        assert_eq!(
            v(&["phone"], "xlsx", Role::Finance).unwrap_err(),
            [("columns", "unknown-column")]
        );
        assert!(v(&["case_number"], "csv", Role::Analyst).is_err());
    }

    #[test]
    fn csv_rows_are_neutralised_and_hxl_row_follows_the_header() {
        let mut buf = Vec::new();
        let mut s = Sink::csv(&mut buf);
        s.header(
            &["Name".into(), "Size".into()],
            Some(&["#affected+name", "#affected+num"]),
        )
        .unwrap();
        s.row(&[Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Number(-3)])
            .unwrap();
        s.row(&[Cell::Empty, Cell::Number(2)]).unwrap();
        s.finish().unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "Name,Size\n#affected+name,#affected+num\n\"'=HYPERLINK(\"\"x\"\")\",-3\n,2\n"
        );
    }

    #[test]
    fn xlsx_is_readable_and_neutralised() {
        use calamine::{Data, Reader, Xlsx};
        let dir = std::env::temp_dir().join(format!("hw-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.xlsx");
        let mut s = Sink::xlsx(&path, Some(&dir)).unwrap();
        s.header(
            &["Name".into(), "Size".into()],
            Some(&["#affected+name", "#affected+num"]),
        )
        .unwrap();
        s.row(&[Cell::Text("@cmd".into()), Cell::Number(4)])
            .unwrap();
        s.finish().unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[1][0], Data::String("#affected+name".into()));
        assert_eq!(rows[2][0], Data::String("'@cmd".into()));
        assert_eq!(rows[2][1], Data::Float(4.0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
