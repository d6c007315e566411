//! The donor report on screen and as XLSX, CSV and PDF downloads.
//!
//! Who may: supervisors, finance and CBSA officers
//! (`homeward_domain::report::may_read`); every other role is refused the
//! page and each download.
//!
//! All four outputs are made from one table model ([`tables`]): the screen
//! and the PDF show the same formatted strings, the CSV and the workbook
//! the same values as plain numbers, so they cannot disagree.

use crate::auth::{Auth, Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{error_page, render, store_error, Layout};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use homeward_domain::report::{self, DonorReport, Period};
use homeward_letters::{ReportDoc, ReportTable};
use std::collections::HashMap;

/// One cell of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A value with this many decimals; `None` when there is nothing to
    /// average.
    Dec(Option<f64>, usize),
    /// An amount in minor units and its currency.
    Money(i64, String),
}

/// A table of the report.
#[derive(Debug, Clone)]
pub struct Table {
    /// Stable id (`activity`, `costs`, `reintegration`, `rss`).
    pub id: &'static str,
    pub title: String,
    /// Short name for a workbook sheet.
    pub sheet: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub note: Option<String>,
}

fn exponent(currency: &str) -> u32 {
    homeward_domain::money::Currency::parse(currency)
        .map(|c| u32::from(c.exponent()))
        .unwrap_or(2)
}

/// Minor units as a number of major units (for CSV and the workbook).
fn major(minor: i64, currency: &str) -> f64 {
    minor as f64 / 10f64.powi(exponent(currency) as i32)
}

impl Cell {
    /// As shown on screen and in the PDF, in the reader's language.
    pub fn display(&self, t: &Tr) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Dec(None, _) => "—".into(),
            Cell::Dec(Some(x), d) => {
                let s = format!("{x:.d$}", d = *d);
                if t.code() == "fr" {
                    s.replace('.', ",")
                } else {
                    s
                }
            }
            Cell::Money(m, c) => t.money(*m, c),
        }
    }

    /// As written to CSV: numbers plain (`.` decimals, major units), text
    /// neutralised so a spreadsheet never runs it as a formula.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => neutralise(s),
            Cell::Int(n) => n.to_string(),
            Cell::Dec(None, _) => String::new(),
            Cell::Dec(Some(x), d) => format!("{x:.d$}", d = *d),
            Cell::Money(m, c) => format!("{:.e$}", major(*m, c), e = exponent(c) as usize),
        }
    }
}

/// Prefixes a quote to text a spreadsheet would take for a formula (one
/// rule for every download: `homeward_exports::neutralise`).
pub fn neutralise(s: &str) -> String {
    homeward_exports::neutralise(s).into_owned()
}

fn country(t: &Tr, c: &Option<String>) -> Cell {
    Cell::Text(c.clone().unwrap_or_else(|| t.t("report-country-unknown")))
}

/// The report as tables, with translated headings.
pub fn tables(t: &Tr, r: &DonorReport) -> Vec<Table> {
    let h = |keys: &[&str]| keys.iter().map(|k| t.t(k)).collect::<Vec<_>>();
    let activity_row = |label: Cell, l: &report::CountryLine| {
        vec![
            label,
            Cell::Int(l.referrals),
            Cell::Int(l.enrolments),
            Cell::Int(l.withdrawals),
            Cell::Int(l.approvals),
            Cell::Int(l.refusals),
            Cell::Int(l.departures),
            Cell::Dec(l.days_average, 1),
            Cell::Dec(l.days_median, 1),
        ]
    };
    let mut activity: Vec<Vec<Cell>> = r
        .countries
        .iter()
        .map(|l| activity_row(country(t, &l.country), l))
        .collect();
    activity.push(activity_row(Cell::Text(t.t("report-total")), &r.total));

    let costs = r
        .costs
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.currency.clone()),
                Cell::Int(c.returns),
                Cell::Money(c.tickets_minor, c.currency.clone()),
                Cell::Money(c.reintegration_minor, c.currency.clone()),
                Cell::Money(c.tickets_per_return_minor, c.currency.clone()),
                Cell::Money(c.reintegration_per_return_minor, c.currency.clone()),
                Cell::Money(c.cost_per_return_minor, c.currency.clone()),
            ]
        })
        .collect();

    let reintegration = r
        .reintegration
        .iter()
        .map(|s| vec![Cell::Text(t.status(&s.status)), Cell::Int(s.cases)])
        .collect();

    let rss_row = |label: Cell, l: &report::RssLine| {
        vec![
            label,
            Cell::Int(l.surveys),
            Cell::Dec(l.economic, 2),
            Cell::Dec(l.social, 2),
            Cell::Dec(l.psychosocial, 2),
            Cell::Dec(l.composite, 2),
        ]
    };
    let mut rss: Vec<Vec<Cell>> = r
        .rss
        .iter()
        .map(|l| rss_row(country(t, &l.country), l))
        .collect();
    rss.push(rss_row(Cell::Text(t.t("report-total")), &r.rss_total));

    vec![
        Table {
            id: "activity",
            title: t.t("report-activity"),
            sheet: t.t("report-sheet-activity"),
            header: h(&[
                "report-col-country",
                "report-col-referrals",
                "report-col-enrolments",
                "report-col-withdrawals",
                "report-col-approvals",
                "report-col-refusals",
                "report-col-departures",
                "report-col-days-average",
                "report-col-days-median",
            ]),
            rows: activity,
            note: Some(t.t("report-note-activity")),
        },
        Table {
            id: "costs",
            title: t.t("report-costs"),
            sheet: t.t("report-sheet-costs"),
            header: h(&[
                "report-col-currency",
                "report-col-returns",
                "report-col-tickets",
                "report-col-reintegration",
                "report-col-tickets-per-return",
                "report-col-reintegration-per-return",
                "report-col-cost-per-return",
            ]),
            rows: costs,
            note: Some(t.t("report-note-costs")),
        },
        Table {
            id: "reintegration",
            title: t.t("report-reintegration"),
            sheet: t.t("report-sheet-reintegration"),
            header: h(&["report-col-status", "report-col-cases"]),
            rows: reintegration,
            note: Some(t.t("report-note-reintegration")),
        },
        Table {
            id: "rss",
            title: t.t("report-rss"),
            sheet: t.t("report-sheet-rss"),
            header: h(&[
                "report-col-country",
                "report-col-surveys",
                "report-col-economic",
                "report-col-social",
                "report-col-psychosocial",
                "report-col-composite",
            ]),
            rows: rss,
            note: Some(match r.rss_weights_verified {
                true => t.t("report-note-rss"),
                false => format!(
                    "{} {}",
                    t.t("report-note-rss"),
                    t.t("rss-weights-unverified")
                ),
            }),
        },
    ]
}

/// A table with every cell as shown on screen (and in the PDF).
fn shown(t: &Tr, tb: &Table) -> ReportTable {
    ReportTable {
        title: tb.title.clone(),
        header: tb.header.clone(),
        rows: tb
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.display(t)).collect())
            .collect(),
        note: tb.note.clone(),
    }
}

fn subtitle(t: &Tr, p: &Period) -> String {
    t.ta(
        "report-subtitle",
        &[
            ("from", p.from.to_string()),
            ("to", p.to.to_string()),
            ("made", today(t.tz).to_string()),
        ],
    )
}

/// Today in the reader's zone (their office's, or a mission's country's).
fn today(tz: chrono_tz::Tz) -> chrono::NaiveDate {
    homeward_store::now().with_timezone(&tz).date_naive()
}

/// The report as CSV: a title line, then each table under its title,
/// separated by blank lines.
pub fn csv(t: &Tr, r: &DonorReport) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    w.write_record([
        neutralise(&t.t("report-title")),
        neutralise(&subtitle(t, &r.period)),
    ])?;
    for tb in tables(t, r) {
        w.write_record([""])?;
        w.write_record([neutralise(&tb.title)])?;
        w.write_record(tb.header.iter().map(|h| neutralise(h)))?;
        for row in &tb.rows {
            w.write_record(row.iter().map(Cell::csv))?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A sheet name Excel accepts: no `[]:*?/\`, at most 31 characters.
fn sheet_name(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

/// The report as a workbook: a sheet per table, bold headers, numbers as
/// numbers with their formats, fitted column widths.
pub fn xlsx(t: &Tr, r: &DonorReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#E8EEF8")
        .set_border_bottom(FormatBorder::Medium);
    let int = Format::new().set_num_format("#,##0");
    let dec1 = Format::new().set_num_format("0.0");
    let dec2 = Format::new().set_num_format("0.00");
    let italic = Format::new().set_italic();
    let sub = subtitle(t, &r.period);
    for tb in tables(t, r) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&tb.sheet))?;
        ws.write_string_with_format(0, 0, &tb.title, &title)?;
        ws.write_string(1, 0, &sub)?;
        let mut widths: Vec<usize> = tb
            .header
            .iter()
            .map(|h| h.chars().count().min(24))
            .collect();
        for (c, h) in tb.header.iter().enumerate() {
            ws.write_string_with_format(3, c as u16, h, &bold)?;
        }
        for (i, row) in tb.rows.iter().enumerate() {
            let rn = 4 + i as u32;
            for (c, cell) in row.iter().enumerate() {
                let cn = c as u16;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(rn, cn, s)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number_with_format(rn, cn, *n as f64, &int)?;
                    }
                    Cell::Dec(None, _) => {}
                    Cell::Dec(Some(x), d) => {
                        let f = if *d == 1 { &dec1 } else { &dec2 };
                        ws.write_number_with_format(rn, cn, *x, f)?;
                    }
                    Cell::Money(m, cur) => {
                        let e = exponent(cur) as usize;
                        let pattern = if e == 0 {
                            "#,##0".to_string()
                        } else {
                            format!("#,##0.{}", "0".repeat(e))
                        };
                        let f = Format::new().set_num_format(&pattern);
                        ws.write_number_with_format(rn, cn, major(*m, cur), &f)?;
                    }
                }
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(cell.csv().chars().count() + 2);
                }
            }
        }
        if let Some(n) = &tb.note {
            ws.write_string_with_format(5 + tb.rows.len() as u32, 0, n, &italic)?;
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).max(10) as f64)?;
        }
        ws.set_freeze_panes(4, 0)?;
    }
    wb.save_to_buffer()
}

/// The report as a PDF (typst, in `homeward-letters`).
pub fn pdf(t: &Tr, r: &DonorReport) -> Result<Vec<u8>, homeward_letters::LetterError> {
    homeward_letters::render_report(&pdf_doc(t, r))
}

fn pdf_doc(t: &Tr, r: &DonorReport) -> ReportDoc {
    ReportDoc {
        lang: t.code().into(),
        title: t.t("report-title"),
        subtitle: subtitle(t, &r.period),
        footer: format!("{} · {}", t.t("report-title"), r.period.key),
        org: t.t("report-org"),
        org_short: t.t("report-org-short"),
        issued_on: today(t.tz).to_string(),
        tables: tables(t, r).iter().map(|tb| shown(t, tb)).collect(),
    }
}

/// The query of the page and the downloads.
#[derive(serde::Deserialize, Default, Clone)]
pub struct ReportQuery {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A programme's code; left out, every programme of the reader's.
    pub programme: Option<String>,
}

/// The period asked for; the current quarter when nothing is asked.
pub fn period_of(q: &ReportQuery, tz: chrono_tz::Tz) -> Result<Period, homeward_domain::Invalid> {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&q.period) && blank(&q.from) && blank(&q.to) {
        let d = today(tz);
        let quarter = (chrono::Datelike::month(&d) - 1) / 3 + 1;
        if let Some(p) = Period::quarter(chrono::Datelike::year(&d), quarter) {
            return Ok(p);
        }
    }
    Period::from_input(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())
}

#[derive(Template)]
#[template(path = "report_donor.html")]
struct DonorPage {
    l: Layout,
    f: FormState,
    /// The period's key for the download links (when the report was made).
    key: Option<String>,
    /// `&programme=<code>` for the download links, or empty.
    programme_q: String,
    /// (code, name) of the reader's programmes, "all" first.
    programmes: Vec<(String, String)>,
    subtitle: String,
    tables: Vec<(&'static str, ReportTable)>,
    /// (href query, label) quick choices.
    quick: Vec<(String, String)>,
}

fn quick_links(t: &Tr) -> Vec<(String, String)> {
    let d = today(t.tz);
    let y = chrono::Datelike::year(&d);
    let m = chrono::Datelike::month(&d);
    let mut out = Vec::new();
    if let Some(p) = Period::month(y, m) {
        out.push((p.previous().key, t.t("report-last-month")));
        out.push((p.key, t.t("report-this-month")));
    }
    if let Some(p) = Period::quarter(y, (m - 1) / 3 + 1) {
        out.push((p.previous().key, t.t("report-last-quarter")));
        out.push((p.key, t.t("report-this-quarter")));
    }
    out
}

fn form_values(q: &ReportQuery) -> HashMap<String, String> {
    let mut v = HashMap::new();
    for (k, x) in [
        ("period", &q.period),
        ("from", &q.from),
        ("to", &q.to),
        ("programme", &q.programme),
    ] {
        if let Some(x) = x {
            v.insert(k.to_string(), x.clone());
        }
    }
    v
}

/// The form again with what is wrong with the period (422).
fn invalid_page(
    ctx: &Ctx,
    q: &ReportQuery,
    inv: &homeward_domain::Invalid,
    programmes: Vec<(String, String)>,
) -> Response {
    let t = ctx.tr();
    let mut f = FormState::with(form_values(q));
    f.add_invalid(&t, inv, "");
    f.general = Some(t.t("report-period-invalid"));
    let l = Layout::new(ctx, t.t("report-title"), "/reports/donor");
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        DonorPage {
            quick: quick_links(&t),
            l,
            f,
            key: None,
            programme_q: String::new(),
            programmes,
            subtitle: String::new(),
            tables: Vec::new(),
        },
    )
}

/// Checks the role, then reads the period and the report.
async fn load(
    state: &AppState,
    auth: &Auth,
    ctx: &Ctx,
    q: &ReportQuery,
) -> Result<(DonorReport, Vec<(String, String)>), Response> {
    if !report::may_read(auth.actor.role) {
        return Err(error_page(ctx, StatusCode::FORBIDDEN, "forbidden"));
    }
    let choices = programme_choices(state, auth, ctx).await?;
    let period = period_of(q, auth.actor.local_zone())
        .map_err(|inv| invalid_page(ctx, q, &inv, choices.clone()))?;
    match homeward_store::reports::donor(&state.store, &auth.actor, &period, q.programme.as_deref())
        .await
    {
        Ok(r) => Ok((r, choices)),
        Err(homeward_store::Error::Invalid(inv)) => Err(invalid_page(ctx, q, &inv, choices)),
        Err(e) => Err(store_error(ctx, e)),
    }
}

/// The programmes the reader may report on: "all of mine" first.
async fn programme_choices(
    state: &AppState,
    auth: &Auth,
    ctx: &Ctx,
) -> Result<Vec<(String, String)>, Response> {
    let all = homeward_store::programmes::list(&state.store)
        .await
        .map_err(|e| store_error(ctx, e))?;
    let mut out = vec![(String::new(), ctx.tr().t("report-all-programmes"))];
    out.extend(
        all.into_iter()
            .filter(|p| auth.actor.in_programme(p.id))
            .map(|p| (p.code, p.name)),
    );
    Ok(out)
}

/// GET /reports/donor?period=2026-Q4 (or `from` and `to`): the report on
/// screen with its download links.
///
/// Who may: supervisors, finance and CBSA officers.
pub async fn page(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<ReportQuery>,
) -> Response {
    let (r, programmes) = match load(&state, &auth, &ctx, &q).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let t = ctx.tr();
    let l = Layout::new(&ctx, t.t("report-title"), "/reports/donor");
    let programme_q = match q.programme.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => format!("&programme={}", urlencoding_code(code)),
        _ => String::new(),
    };
    let mut values = form_values(&q);
    values.insert("period".into(), r.period.key.clone());
    values.remove("from");
    values.remove("to");
    render(
        StatusCode::OK,
        DonorPage {
            quick: quick_links(&t),
            l,
            f: FormState::with(values),
            key: Some(r.period.key.clone()),
            programme_q,
            programmes,
            subtitle: subtitle(&t, &r.period),
            tables: tables(&t, &r)
                .iter()
                .map(|tb| (tb.id, shown(&t, tb)))
                .collect(),
        },
    )
}

/// A programme code for a link's query: codes are checked to be lowercase
/// letters, digits and hyphens, but a code from the address bar is not.
fn urlencoding_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

fn download(bytes: Vec<u8>, content_type: &'static str, period: &Period, ext: &str) -> Response {
    let name = format!(
        "attachment; filename=\"donor-report-{}.{ext}\"",
        period.key.replace("..", "_")
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

fn failed(ctx: &Ctx, what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "donor report {what} failed");
    error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
}

/// GET /reports/donor.xlsx?period=: the report as a formatted workbook.
///
/// Who may: supervisors, finance and CBSA officers.
pub async fn xlsx_download(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    uri: axum::http::Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    // Sensitive: the password again unless typed in the last minutes (ADR 0027).
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let (r, _) = match load(&state, &auth, &ctx, &q).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match xlsx(&ctx.tr(), &r) {
        Ok(b) => download(
            b,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &r.period,
            "xlsx",
        ),
        Err(e) => failed(&ctx, "workbook", e),
    }
}

/// GET /reports/donor.csv?period=: the report as CSV (UTF-8).
///
/// Who may: supervisors, finance and CBSA officers.
pub async fn csv_download(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    uri: axum::http::Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    // Sensitive: the password again unless typed in the last minutes (ADR 0027).
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let (r, _) = match load(&state, &auth, &ctx, &q).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    match csv(&ctx.tr(), &r) {
        Ok(b) => download(b, "text/csv; charset=utf-8", &r.period, "csv"),
        Err(e) => failed(&ctx, "CSV", e),
    }
}

/// GET /reports/donor.pdf?period=: the report as a PDF, rendered off the
/// async runtime (typst is CPU-bound).
///
/// Who may: supervisors, finance and CBSA officers.
pub async fn pdf_download(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    uri: axum::http::Uri,
    Query(q): Query<ReportQuery>,
) -> Response {
    // Sensitive: the password again unless typed in the last minutes (ADR 0027).
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let (r, _) = match load(&state, &auth, &ctx, &q).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let t = ctx.tr();
    let period = r.period.clone();
    match tokio::task::spawn_blocking(move || pdf(&t, &r)).await {
        Ok(Ok(b)) => download(b, "application/pdf", &period, "pdf"),
        Ok(Err(e)) => failed(&ctx, "PDF", e),
        Err(e) => failed(&ctx, "PDF", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Every key this module and its template use, in both languages.
    #[test]
    fn every_report_string_is_translated() {
        let src = [
            include_str!("reports.rs"),
            include_str!("../../templates/report_donor.html"),
        ];
        let mut keys = Vec::new();
        for s in src {
            for part in s.split('"').skip(1).step_by(2) {
                if (part.starts_with("report-") || part == "nav-reports")
                    && part.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    keys.push(part.to_string());
                }
            }
        }
        keys.sort();
        keys.dedup();
        assert!(keys.len() > 30, "{keys:?}");
        for code in [
            "invalid-period",
            "period-ends-before-start",
            "period-too-long",
        ] {
            keys.push(format!("error-{code}"));
        }
        // Element ids in the template share the prefix; they are not messages.
        let ids = ["report-downloads", "report-error", "report-subtitle"];
        for (lang, ftl) in [
            ("en", include_str!("../../locales/en/main.ftl")),
            ("fr", include_str!("../../locales/fr/main.ftl")),
        ] {
            let missing: Vec<_> = keys
                .iter()
                .filter(|k| !(ids.contains(&k.as_str()) && *k != "report-subtitle"))
                .filter(|k| !ftl.contains(&format!("\n{k} =")))
                .collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
        let t = Tr::new(Lang::Fr);
        assert_eq!(t.t("report-col-refusals"), "Refus");
    }

    #[test]
    fn csv_text_is_neutralised_and_numbers_are_plain() {
        assert_eq!(neutralise("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise("@x"), "'@x");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("HU"), "HU");
        assert_eq!(Cell::Money(123_456, "CAD".into()).csv(), "1234.56");
        assert_eq!(Cell::Money(1234, "JPY".into()).csv(), "1234");
        assert_eq!(Cell::Dec(Some(32.5), 1).csv(), "32.5");
        assert_eq!(Cell::Dec(Some(32.5), 1).display(&Tr::new(Lang::Fr)), "32,5");
        assert_eq!(Cell::Dec(None, 1).csv(), "");
    }

    #[test]
    fn sheet_names_are_valid() {
        assert_eq!(sheet_name("a/b:c?[d]"), "abcd");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
