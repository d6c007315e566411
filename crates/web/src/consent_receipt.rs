//! A consent's receipt as a PDF in the person's language (issue 22): what
//! they agreed to, with whom it is shared, when, and how to withdraw.
//! Wording from `locales-returnee`, laid out by `homeward-letters`.

use crate::returnee_i18n::Rt;
use homeward_letters::{LetterError, ReportDoc, ReportTable};
use homeward_store::consents::Receipt;

/// The receipt's PDF, and the language it is written in.
pub fn pdf(r: &Receipt, tz: chrono_tz::Tz) -> Result<(Vec<u8>, String), LetterError> {
    let t = Rt::for_preferences(&r.languages);
    let k = &r.consent;
    let day = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&tz).date_naive().to_string();
    let authority = [("authority", r.authority.clone())];
    let mut rows = vec![vec![
        t.t("receipt-person"),
        k.person_name.clone().unwrap_or_default(),
    ]];
    if let Some(g) = &k.given_by_name {
        rows.push(vec![t.t("receipt-given-by"), g.clone()]);
    }
    rows.push(vec![t.t("receipt-case"), r.case_number.clone()]);
    rows.push(vec![
        t.t("receipt-purpose"),
        t.ta(&format!("purpose-what-{}", k.purpose), &authority),
    ]);
    rows.push(vec![
        t.t("receipt-shared-with"),
        t.ta(&format!("purpose-who-{}", k.purpose), &authority),
    ]);
    rows.push(vec![t.t("receipt-given-on"), day(k.given_at)]);
    match k.withdrawn_at {
        Some(w) => {
            rows.push(vec![t.t("receipt-status"), t.t("receipt-withdrawn")]);
            rows.push(vec![t.t("receipt-withdrawn-on"), day(w)]);
            if let Some(reason) = &k.withdrawal_reason {
                rows.push(vec![t.t("receipt-withdrawn-reason"), reason.clone()]);
            }
        }
        None => rows.push(vec![t.t("receipt-status"), t.t("receipt-in-force")]),
    }
    let issued = chrono::Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .to_string();
    let title = t.t("receipt-title");
    let bytes = homeward_letters::render_report(&ReportDoc {
        lang: t.code(),
        title: title.clone(),
        subtitle: t.ta("receipt-intro", &[("programme", r.programme.clone())]),
        footer: format!("{title} · {}", r.case_number),
        org: t.t("receipt-org"),
        org_short: t.t("receipt-org-short"),
        issued_on: issued,
        tables: vec![ReportTable {
            title: t.t("receipt-section"),
            header: vec![t.t("receipt-label"), t.t("receipt-value")],
            rows,
            note: Some(t.t("receipt-how-to-withdraw")),
        }],
    })?;
    Ok((bytes, t.code()))
}
