//! Human case numbers such as `TOR-2012-000123`.

use std::fmt;

/// A case number: office prefix, year of registration, sequence within that year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNumber {
    pub prefix: String,
    pub year: i32,
    pub seq: i64,
}

impl CaseNumber {
    /// Parses `TOR-2012-000123` (the sequence may be longer than six digits).
    pub fn parse(s: &str) -> Option<CaseNumber> {
        let mut parts = s.trim().splitn(3, '-');
        let prefix = parts.next()?;
        let year = parts.next()?;
        let seq = parts.next()?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        if year.len() != 4 || seq.len() < 6 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(CaseNumber {
            prefix: prefix.into(),
            year: year.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:06}", self.prefix, self.year, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let n = CaseNumber {
            prefix: "TOR".into(),
            year: 2012,
            seq: 123,
        };
        assert_eq!(n.to_string(), "TOR-2012-000123");
        assert_eq!(CaseNumber::parse("TOR-2012-000123"), Some(n));
        assert_eq!(
            CaseNumber::parse("TOR-2012-1234567").map(|n| n.seq),
            Some(1234567)
        );
        assert_eq!(CaseNumber::parse("tor-2012-000123"), None);
        assert_eq!(CaseNumber::parse("TOR-12-000123"), None);
        assert_eq!(CaseNumber::parse("TOR-2012-12"), None);
    }
}
