//! Form state for pages: what the user typed and what is wrong with it, so a
//! refused form comes back filled in, with each message next to its field.

use crate::i18n::Tr;
use homeward_domain::Invalid;
use std::collections::{BTreeMap, HashMap};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Fluent ids cannot hold dots: `referral.claim_outcome` is labelled by
/// `field-referral-claim_outcome`.
fn key(name: &str) -> String {
    name.replace('.', "-")
}

/// The message for error `code`; a limit in `detail` (`2000`, `1–90`) is
/// said in words, anything else is shown beside the message.
pub fn message(t: &Tr, code: &str, detail: Option<&str>) -> String {
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (code, detail) {
        (_, None) => t.error(code),
        ("too-long", Some(d)) if number(d) => t.ta("error-too-long-max", &[("max", d.to_string())]),
        ("out-of-range", Some(d)) => match d.split_once('–') {
            Some((a, b)) if number(a) && number(b) => t.ta(
                "error-out-of-range-between",
                &[("min", a.to_string()), ("max", b.to_string())],
            ),
            _ => format!("{} ({d})", t.error(code)),
        },
        (_, Some(d)) => format!("{} ({d})", t.error(code)),
    }
}

/// The values and errors of one form.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: HashMap<String, String>,
    /// Ordered, so messages show in the order they were found.
    pub errors: BTreeMap<String, String>,
    /// Prefix of element ids, for pages with several forms with the same fields.
    pub id_prefix: String,
    /// An error about the whole form (shown at the top).
    pub general: Option<String>,
}

impl FormState {
    /// A form prefilled with values.
    pub fn with(values: HashMap<String, String>) -> FormState {
        FormState {
            values,
            ..Default::default()
        }
    }

    /// The same form with its element ids prefixed.
    pub fn prefixed(mut self, prefix: &str) -> FormState {
        self.id_prefix = prefix.to_string();
        self
    }

    /// Records validation errors, translated; `prefix` strips nested field names.
    pub fn add_invalid(&mut self, t: &Tr, inv: &Invalid, prefix: &str) {
        for e in &inv.errors {
            let f = e.field.strip_prefix(prefix).unwrap_or(&e.field).to_string();
            self.errors
                .entry(f)
                .or_insert_with(|| message(t, &e.code, e.detail.as_deref()));
        }
    }

    /// The error summary: each error as a link to its field, named by its
    /// label ("Reason: This is too long (at most 2000 characters).").
    pub fn summary(&self, t: &Tr) -> Vec<(String, String)> {
        self.errors
            .iter()
            .map(|(name, e)| {
                let label_key = format!("field-{}", key(name));
                let text = match t.has(&label_key) {
                    true => format!("{}: {e}", t.t(&label_key)),
                    false => e.clone(),
                };
                (format!("#f-{}{}", self.id_prefix, name), text)
            })
            .collect()
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.general.is_some()
    }

    /// The value typed for `name`.
    pub fn v(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The error for `name`.
    pub fn e(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }

    fn wrap(
        &self,
        name: &str,
        label: &str,
        hint: Option<&str>,
        control: String,
        check: bool,
    ) -> String {
        let err = self.e(name);
        let mut out = format!(
            "<div class=\"field{}{}\"><label for=\"f-{p}{n}\">{}</label>",
            if err.is_some() { " error" } else { "" },
            if check { " check" } else { "" },
            esc(label),
            n = esc(name),
            p = esc(&self.id_prefix)
        );
        if check {
            out = format!(
                "<div class=\"field check{}\">{control}<label for=\"f-{p}{n}\">{}</label>",
                if err.is_some() { " error" } else { "" },
                esc(label),
                n = esc(name),
                p = esc(&self.id_prefix)
            );
        } else {
            if let Some(h) = hint {
                out.push_str(&format!(
                    "<span class=\"hint\" id=\"h-{}{}\">{}</span>",
                    esc(&self.id_prefix),
                    esc(name),
                    esc(h)
                ));
            }
            out.push_str(&control);
        }
        if let Some(e) = err {
            out.push_str(&format!(
                "<span class=\"error-text\" id=\"e-{}{}\">{}</span>",
                esc(&self.id_prefix),
                esc(name),
                esc(e)
            ));
        }
        out.push_str("</div>");
        out
    }

    fn aria(&self, name: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("h-{}{}", esc(&self.id_prefix), esc(name)));
        }
        if self.e(name).is_some() {
            ids.push(format!("e-{}{}", esc(&self.id_prefix), esc(name)));
        }
        let mut a = String::new();
        if !ids.is_empty() {
            a.push_str(&format!(" aria-describedby=\"{}\"", ids.join(" ")));
        }
        if self.e(name).is_some() {
            a.push_str(" aria-invalid=\"true\"");
        }
        a
    }

    /// A labelled text-like input.
    pub fn input(&self, t: &Tr, name: &str, kind: &str, required: bool) -> String {
        let hint_key = format!("hint-{}", key(name));
        let hint = t.has(&hint_key).then(|| t.t(&hint_key));
        let control = format!(
            "<input type=\"{kind}\" id=\"f-{p}{n}\" name=\"{n}\" value=\"{v}\"{r}{a} maxlength=\"500\">",
            n = esc(name), p = esc(&self.id_prefix),
            v = esc(self.v(name)),
            r = if required { " required" } else { "" },
            a = self.aria(name, hint.is_some()),
        );
        self.wrap(
            name,
            &t.t(&format!("field-{}", key(name))),
            hint.as_deref(),
            control,
            false,
        )
    }

    /// A labelled multi-line input.
    pub fn textarea(&self, t: &Tr, name: &str) -> String {
        let control = format!(
            "<textarea id=\"f-{p}{n}\" name=\"{n}\" rows=\"3\"{a}>{v}</textarea>",
            n = esc(name),
            p = esc(&self.id_prefix),
            v = esc(self.v(name)),
            a = self.aria(name, false)
        );
        self.wrap(
            name,
            &t.t(&format!("field-{}", key(name))),
            None,
            control,
            false,
        )
    }

    /// A labelled select; `options` are (value, label).
    pub fn select(&self, t: &Tr, name: &str, options: &[(String, String)], empty: bool) -> String {
        let mut control = format!(
            "<select id=\"f-{p}{n}\" name=\"{n}\"{a}>",
            n = esc(name),
            p = esc(&self.id_prefix),
            a = self.aria(name, false)
        );
        if empty {
            control.push_str(&format!(
                "<option value=\"\">{}</option>",
                esc(&t.t("choose"))
            ));
        }
        for (v, l) in options {
            let sel = if self.v(name) == v { " selected" } else { "" };
            control.push_str(&format!(
                "<option value=\"{}\"{sel}>{}</option>",
                esc(v),
                esc(l)
            ));
        }
        control.push_str("</select>");
        self.wrap(
            name,
            &t.t(&format!("field-{}", key(name))),
            None,
            control,
            false,
        )
    }

    /// A checkbox with a label given as text.
    pub fn checkbox_labelled(&self, name: &str, label: &str) -> String {
        let checked = matches!(self.v(name), "on" | "true" | "1");
        format!(
            "<div class=\"field check\"><input type=\"checkbox\" id=\"f-{p}{n}\" name=\"{n}\"{c}><label for=\"f-{p}{n}\">{l}</label></div>",
            n = esc(name), p = esc(&self.id_prefix),
            c = if checked { " checked" } else { "" },
            l = esc(label)
        )
    }

    /// A labelled checkbox.
    pub fn checkbox(&self, t: &Tr, name: &str) -> String {
        let checked = matches!(self.v(name), "on" | "true" | "1");
        let control = format!(
            "<input type=\"checkbox\" id=\"f-{p}{n}\" name=\"{n}\"{c}{a}>",
            n = esc(name),
            p = esc(&self.id_prefix),
            c = if checked { " checked" } else { "" },
            a = self.aria(name, false)
        );
        self.wrap(
            name,
            &t.t(&format!("field-{}", key(name))),
            None,
            control,
            true,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn inputs_keep_values_escape_them_and_show_errors() {
        let mut f = FormState::default();
        f.values
            .insert("family_name".into(), "<script>\"x\"".into());
        let mut inv = Invalid::default();
        inv.add("principal.family_name", "name-required");
        let t = Tr::new(Lang::En);
        f.add_invalid(&t, &inv, "principal.");
        let html = f.input(&t, "family_name", "text", false);
        assert!(html.contains("value=\"&lt;script&gt;&quot;x&quot;\""));
        assert!(!html.contains("<script>"));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains(&t.error("name-required")));
    }

    #[test]
    fn limits_are_said_and_the_summary_names_and_links_each_field() {
        let t = Tr::new(Lang::En);
        let mut inv = Invalid::default();
        inv.add_detail("reason", "too-long", "2000".into());
        inv.add_detail("grace_days", "out-of-range", "1–90".into());
        inv.add("reason", "required");
        let mut f = FormState::default().prefixed("cl-");
        f.add_invalid(&t, &inv, "");
        assert!(
            f.e("reason").unwrap().contains("2000"),
            "{:?}",
            f.e("reason")
        );
        let range = f.e("grace_days").unwrap();
        assert!(range.contains('1') && range.contains("90"), "{range}");
        let summary = f.summary(&t);
        assert_eq!(summary.len(), 2, "one line a field: {summary:?}");
        let reason = summary.iter().find(|(h, _)| h == "#f-cl-reason").unwrap();
        assert!(reason.1.starts_with(&t.t("field-reason")), "{reason:?}");
    }
}
