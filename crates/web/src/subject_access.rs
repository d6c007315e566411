//! A person's subject access export as a readable PDF (docs/adr/0026): the
//! JSON document of `homeward_store::subject_access::export` laid out as
//! tables, one per record, rendered by `homeward-letters` (typst).

use homeward_letters::{LetterError, ReportDoc, ReportTable};
use serde_json::Value;

/// The labels the PDF needs, already translated by the caller.
pub struct Labels {
    pub lang: String,
    pub title: String,
    pub person: String,
    pub case: String,
    pub audit: String,
    pub field: String,
    pub value: String,
    pub org: String,
    pub org_short: String,
}

impl Labels {
    /// English labels (the command line).
    pub fn english() -> Labels {
        Labels {
            lang: "en".into(),
            title: "Personal data held by Homeward".into(),
            person: "Person".into(),
            case: "Case".into(),
            audit: "Audit trail".into(),
            field: "Field".into(),
            value: "Value".into(),
            org: "International Organization for Migration".into(),
            org_short: "IOM".into(),
        }
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One record as a (field, value) table; empty values are left out.
fn record(title: String, v: &Value, l: &Labels) -> ReportTable {
    let rows = match v {
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| vec![k.replace('_', " "), cell(v)])
            .collect(),
        other => vec![vec![String::new(), cell(other)]],
    };
    ReportTable {
        title,
        header: vec![l.field.clone(), l.value.clone()],
        rows,
        note: None,
    }
}

/// The export as a PDF.
pub fn pdf(doc: &Value, l: &Labels) -> Result<Vec<u8>, LetterError> {
    let name = doc["person"]["display_name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let generated = doc["generated_at"].as_str().unwrap_or_default();
    let mut tables = vec![record(l.person.clone(), &doc["person"], l)];
    for c in doc["cases"].as_array().into_iter().flatten() {
        let number = c["case"]["case_number"].as_str().unwrap_or_default();
        tables.push(record(format!("{} {number}", l.case), &c["case"], l));
        if let Value::Object(sections) = c {
            for (key, rows) in sections {
                if key == "case" {
                    continue;
                }
                for (i, r) in rows.as_array().into_iter().flatten().enumerate() {
                    tables.push(record(
                        format!("{number} · {} {}", key.replace('_', " "), i + 1),
                        r,
                        l,
                    ));
                }
            }
        }
    }
    let audit_rows: Vec<Vec<String>> = doc["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            vec![
                cell(&e["at"]),
                cell(&e["actor_email"]),
                cell(&e["action"]),
                cell(&e["entity"]),
            ]
        })
        .collect();
    if !audit_rows.is_empty() {
        tables.push(ReportTable {
            title: l.audit.clone(),
            header: vec!["at".into(), "by".into(), "action".into(), "record".into()],
            rows: audit_rows,
            note: None,
        });
    }
    homeward_letters::render_report(&ReportDoc {
        lang: l.lang.clone(),
        title: l.title.clone(),
        subtitle: format!("{name} · {generated}"),
        footer: l.title.clone(),
        org: l.org.clone(),
        org_short: l.org_short.clone(),
        issued_on: generated.get(..10).unwrap_or_default().to_string(),
        tables,
    })
}
