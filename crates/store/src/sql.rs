//! A small builder for dynamic SQL (filters, scopes, sorting) whose text is
//! valid on both databases, and whose parameters bind to either driver.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A bound value.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Uuid(Uuid),
    I64(i64),
    /// A 32-bit integer (PostgreSQL `INTEGER` columns).
    I32(i32),
    F64(f64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    OptText(Option<String>),
    OptUuid(Option<Uuid>),
    OptDate(Option<NaiveDate>),
    OptBool(Option<bool>),
    OptI64(Option<i64>),
    OptTime(Option<DateTime<Utc>>),
}

/// SQL text with numbered placeholders and their values.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    /// Starts with a fixed fragment.
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            params: Vec::new(),
        }
    }

    /// Appends fixed SQL text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `p`.
    pub fn bind(&mut self, p: Param) -> &mut Self {
        self.params.push(p);
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self
    }

    /// Appends placeholders bound to `ps`, separated by commas (the inside
    /// of an `IN (...)` list).
    pub fn bind_list(&mut self, ps: impl IntoIterator<Item = Param>) -> &mut Self {
        for (i, p) in ps.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(p);
        }
        self
    }
}

/// Binds every parameter of a [`Sql`] onto a sqlx query of either database:
/// `bind_params!(q, sql.params)` binds copies of a borrowed list;
/// `bind_params!(q, into values)` moves the values of an owned
/// `Vec<Param>` into the query (no copies of the texts: bulk inserts).
#[macro_export]
macro_rules! bind_params {
    ($q:expr, into $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                $crate::sql::Param::Text(v) => q.bind(v),
                $crate::sql::Param::Uuid(v) => q.bind(v),
                $crate::sql::Param::I64(v) => q.bind(v),
                $crate::sql::Param::I32(v) => q.bind(v),
                $crate::sql::Param::F64(v) => q.bind(v),
                $crate::sql::Param::Bool(v) => q.bind(v),
                $crate::sql::Param::Date(v) => q.bind(v),
                $crate::sql::Param::Time(v) => q.bind(v),
                $crate::sql::Param::OptText(v) => q.bind(v),
                $crate::sql::Param::OptUuid(v) => q.bind(v),
                $crate::sql::Param::OptDate(v) => q.bind(v),
                $crate::sql::Param::OptBool(v) => q.bind(v),
                $crate::sql::Param::OptI64(v) => q.bind(v),
                $crate::sql::Param::OptTime(v) => q.bind(v),
            };
        }
        q
    }};
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params.iter() {
            q = match p {
                $crate::sql::Param::Text(v) => q.bind(v.clone()),
                $crate::sql::Param::Uuid(v) => q.bind(*v),
                $crate::sql::Param::I64(v) => q.bind(*v),
                $crate::sql::Param::I32(v) => q.bind(*v),
                $crate::sql::Param::F64(v) => q.bind(*v),
                $crate::sql::Param::Bool(v) => q.bind(*v),
                $crate::sql::Param::Date(v) => q.bind(*v),
                $crate::sql::Param::Time(v) => q.bind(*v),
                $crate::sql::Param::OptText(v) => q.bind(v.clone()),
                $crate::sql::Param::OptUuid(v) => q.bind(*v),
                $crate::sql::Param::OptDate(v) => q.bind(*v),
                $crate::sql::Param::OptBool(v) => q.bind(*v),
                $crate::sql::Param::OptI64(v) => q.bind(*v),
                $crate::sql::Param::OptTime(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind(Param::I64(1))
            .push(" AND b = ")
            .bind(Param::Text("x".into()));
        assert_eq!(s.text, "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(s.params.len(), 2);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
