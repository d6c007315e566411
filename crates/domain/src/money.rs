//! Money and exchange rates, with exact integer arithmetic.
//!
//! An amount is an integer number of minor units (cents) of an ISO 4217
//! currency; floating point never touches money. An exchange rate is kept as
//! the exact fraction the person typed (`0.0043` is 43/10000), so a recorded
//! rate converts the same way forever. Conversion multiplies in `i128` and
//! rounds once, **half away from zero**: 0.005 CAD becomes 0.01 CAD and
//! −0.005 CAD becomes −0.01 CAD.
//!
//! User text: digits, at most one decimal separator, which may be `.` or `,`
//! (so `1,5` is one and a half, never fifteen), and spaces (also the
//! no-break spaces French uses) as digit grouping: `1 234,5` is 1234.5.
//! Anything else (`1,234.50`, `12a`, `1e3`, `+5`) is refused. Because a comma
//! is always decimal, `1,000` for a currency with two decimals has too many
//! decimals and is refused rather than silently read as one.

use serde::{Deserialize, Serialize};

/// ISO 4217 codes Homeward knows, with their minor-unit exponent as ISO
/// publishes it (HUF 2 and IRR 2 even where cash uses fewer), sorted by code.
/// Withdrawn codes are not listed (Croatia uses EUR since 2023, not HRK).
pub const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ARS", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BDT", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KZT", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("MAD", 2),
    ("MDL", 2),
    ("MKD", 2),
    ("MXN", 2),
    ("NGN", 2),
    ("NPR", 2),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SOS", 2),
    ("SYP", 2),
    ("TND", 3),
    ("TRY", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("VND", 0),
    ("XAF", 0),
    ("XOF", 0),
];

/// The largest amount accepted from people, in minor units (10^15: ten
/// trillion units of a two-decimal currency). Keeping amounts below it means
/// sums of many amounts and conversions at any accepted rate fit in `i128`.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// The largest exchange rate accepted (units of the target per unit of the source).
pub const MAX_RATE: u64 = 1_000_000_000;

/// The smallest exchange rate accepted is 1 / `MIN_RATE_INVERSE`.
pub const MIN_RATE_INVERSE: u64 = 1_000_000_000_000;

/// Digits kept from a typed rate (after leading zeros): 18 fit in a `u64`.
const MAX_RATE_DIGITS: usize = 18;

/// Why an amount, currency or rate was refused. `code()` is the message key
/// suffix (`error-<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not three capital letters.
    #[error("not a currency code")]
    InvalidCurrency,
    /// Three letters, but not a currency Homeward knows.
    #[error("unknown currency")]
    UnknownCurrency,
    /// Two amounts (or an amount and a rate) in different currencies.
    #[error("currencies differ")]
    CurrencyMismatch,
    /// Text that is not an amount.
    #[error("not an amount")]
    NotAnAmount,
    /// More decimals than the currency has.
    #[error("too many decimals for this currency")]
    TooManyDecimals,
    #[error("negative amount")]
    NegativeAmount,
    #[error("zero amount")]
    ZeroAmount,
    /// Above [`MAX_MINOR`], or a result that does not fit.
    #[error("amount too large")]
    AmountTooLarge,
    /// Text that is not a rate.
    #[error("not a rate")]
    NotARate,
    #[error("a rate of zero")]
    RateZero,
    #[error("negative rate")]
    RateNegative,
    /// Above [`MAX_RATE`], below 1/[`MIN_RATE_INVERSE`], or absurdly precise.
    #[error("rate out of range")]
    RateOutOfRange,
    /// A rate other than 1 between a currency and itself.
    #[error("a currency is worth exactly itself")]
    SameCurrency,
}

impl MoneyError {
    /// The stable, kebab-case error code.
    pub fn code(self) -> &'static str {
        match self {
            MoneyError::InvalidCurrency => "invalid-currency",
            MoneyError::UnknownCurrency => "unknown-currency",
            MoneyError::CurrencyMismatch => "currency-mismatch",
            MoneyError::NotAnAmount => "not-an-amount",
            MoneyError::TooManyDecimals => "too-many-decimals",
            MoneyError::NegativeAmount => "negative-amount",
            MoneyError::ZeroAmount => "zero-amount",
            MoneyError::AmountTooLarge => "amount-too-large",
            MoneyError::NotARate => "not-a-rate",
            MoneyError::RateZero => "rate-zero",
            MoneyError::RateNegative => "rate-negative",
            MoneyError::RateOutOfRange => "rate-out-of-range",
            MoneyError::SameCurrency => "same-currency",
        }
    }
}

/// A currency of [`CURRENCIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Parses an ISO 4217 code (exactly three capital letters).
    pub fn parse(s: &str) -> Result<Currency, MoneyError> {
        if !(s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())) {
            return Err(MoneyError::InvalidCurrency);
        }
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == s)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (CAD 2, JPY 0, TND 3).
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

/// An amount: `minor` units (cents) of `currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

fn pow10(e: u32) -> i128 {
    10i128.pow(e)
}

/// Removes the spaces people use to group digits.
fn ungrouped(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect()
}

/// Splits `12,5` / `12.5` / `12` into ("12", "5") after checking the shape.
fn split_decimal(t: &str) -> Option<(&str, &str)> {
    let mut parts = t.split(['.', ',']);
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let ok = parts.next().is_none()
        && !(int.is_empty() && frac.is_empty())
        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    ok.then_some((int, frac))
}

impl Money {
    /// An amount of `minor` units.
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money::new(0, currency)
    }

    /// An amount in the currency named by `code` (e.g. an entitlement's).
    pub fn of(minor: i64, code: &str) -> Result<Money, MoneyError> {
        Ok(Money::new(minor, Currency::parse(code)?))
    }

    /// Reads an amount typed by a person, in major units (`1842.50`,
    /// `1 842,50`, `150000`); see the module documentation for the rules.
    /// Zero is accepted here; [`Money::check_positive`] refuses it where needed.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let t = ungrouped(text);
        if let Some(rest) = t.strip_prefix('-') {
            return Err(if split_decimal(rest).is_some() {
                MoneyError::NegativeAmount
            } else {
                MoneyError::NotAnAmount
            });
        }
        let (int, frac) = split_decimal(&t).ok_or(MoneyError::NotAnAmount)?;
        let exp = usize::from(currency.exponent);
        if frac.len() > exp {
            return Err(MoneyError::TooManyDecimals);
        }
        let int = int.trim_start_matches('0');
        // More than 19 integer digits cannot fit whatever follows.
        if int.len() > 19 {
            return Err(MoneyError::AmountTooLarge);
        }
        let whole: i128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| MoneyError::NotAnAmount)?
        };
        let frac_value: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i128>().map_err(|_| MoneyError::NotAnAmount)?
                * pow10((exp - frac.len()) as u32)
        };
        let minor = whole * pow10(exp as u32) + frac_value;
        if minor > i128::from(MAX_MINOR) {
            return Err(MoneyError::AmountTooLarge);
        }
        Ok(Money::new(minor as i64, currency))
    }

    /// Refuses zero, negative and too-large amounts (budgets, purchases).
    pub fn check_positive(self) -> Result<Money, MoneyError> {
        match self.minor {
            m if m < 0 => Err(MoneyError::NegativeAmount),
            0 => Err(MoneyError::ZeroAmount),
            m if m > MAX_MINOR => Err(MoneyError::AmountTooLarge),
            _ => Ok(self),
        }
    }

    /// The sum, refusing different currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::AmountTooLarge)
    }

    /// The difference, refusing different currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        self.minor
            .checked_sub(other.minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::AmountTooLarge)
    }

    /// The amount in major units with a `.`, no grouping: `1842.50`, `-0.05`,
    /// `5000` (JPY). Pages format amounts per language; this is for logs,
    /// exports and tests.
    pub fn to_plain_string(self) -> String {
        let exp = u32::from(self.currency.exponent);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exp == 0 {
            return format!("{sign}{abs}");
        }
        let unit = 10u64.pow(exp);
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = exp as usize
        )
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.to_plain_string(), self.currency.code)
    }
}

/// An exchange rate: one unit of `from` is worth `numerator / denominator`
/// units of `to` (major units, e.g. 1 HUF = 0.0043 CAD). Always positive,
/// within [1/[`MIN_RATE_INVERSE`], [`MAX_RATE`]], exactly 1 between a
/// currency and itself, and kept reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RateParts")]
pub struct ExchangeRate {
    from: Currency,
    to: Currency,
    numerator: u64,
    denominator: u64,
}

/// The stored form of a rate, checked on the way in.
#[derive(Deserialize)]
struct RateParts {
    from: Currency,
    to: Currency,
    numerator: u64,
    denominator: u64,
}

impl TryFrom<RateParts> for ExchangeRate {
    type Error = MoneyError;
    fn try_from(p: RateParts) -> Result<ExchangeRate, MoneyError> {
        ExchangeRate::from_parts(p.from, p.to, p.numerator, p.denominator)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Reads a positive decimal typed by a person as (digits, decimals).
fn parse_decimal(text: &str) -> Result<(u64, u32), MoneyError> {
    let t = ungrouped(text);
    if let Some(rest) = t.strip_prefix('-') {
        return Err(match split_decimal(rest) {
            Some((i, f)) if i.bytes().chain(f.bytes()).all(|b| b == b'0') => MoneyError::RateZero,
            Some(_) => MoneyError::RateNegative,
            None => MoneyError::NotARate,
        });
    }
    let (int, frac) = split_decimal(&t).ok_or(MoneyError::NotARate)?;
    let frac = frac.trim_end_matches('0');
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Err(MoneyError::RateZero);
    }
    if digits.len() > MAX_RATE_DIGITS || frac.len() > MAX_RATE_DIGITS {
        return Err(MoneyError::RateOutOfRange);
    }
    let mantissa = digits.parse::<u64>().map_err(|_| MoneyError::NotARate)?;
    Ok((mantissa, frac.len() as u32))
}

impl ExchangeRate {
    /// A rate from its fraction, checked: positive and in range. Between a
    /// currency and itself only 1 is accepted ([`ExchangeRate::identity`]).
    pub fn from_parts(
        from: Currency,
        to: Currency,
        numerator: u64,
        denominator: u64,
    ) -> Result<ExchangeRate, MoneyError> {
        if from == to {
            return if numerator == denominator && numerator > 0 {
                Ok(ExchangeRate::identity(from))
            } else {
                Err(MoneyError::SameCurrency)
            };
        }
        if numerator == 0 {
            return Err(MoneyError::RateZero);
        }
        if denominator == 0 {
            return Err(MoneyError::NotARate);
        }
        let (n, d) = (u128::from(numerator), u128::from(denominator));
        if n > u128::from(MAX_RATE) * d || n * u128::from(MIN_RATE_INVERSE) < d {
            return Err(MoneyError::RateOutOfRange);
        }
        let g = gcd(numerator, denominator);
        Ok(ExchangeRate {
            from,
            to,
            numerator: numerator / g,
            denominator: denominator / g,
        })
    }

    /// Reads a rate typed as "units of `to` for one unit of `from`"
    /// (`0.0043` for HUF→CAD). Refuses zero, negative, non-numeric and
    /// out-of-range rates.
    pub fn parse(from: Currency, to: Currency, text: &str) -> Result<ExchangeRate, MoneyError> {
        let (mantissa, scale) = parse_decimal(text)?;
        ExchangeRate::from_parts(from, to, mantissa, 10u64.pow(scale))
    }

    /// Reads a rate quoted the other way round, as "units of `from` for one
    /// unit of `to`" (`232.5` HUF per CAD gives HUF→CAD = 1/232.5, exactly).
    pub fn parse_inverse(
        from: Currency,
        to: Currency,
        text: &str,
    ) -> Result<ExchangeRate, MoneyError> {
        let (mantissa, scale) = parse_decimal(text)?;
        ExchangeRate::from_parts(from, to, 10u64.pow(scale), mantissa)
    }

    /// The rate 1 from a currency to itself, for a purchase already in the
    /// programme's currency.
    pub fn identity(currency: Currency) -> ExchangeRate {
        ExchangeRate {
            from: currency,
            to: currency,
            numerator: 1,
            denominator: 1,
        }
    }

    pub fn from(&self) -> Currency {
        self.from
    }

    pub fn to(&self) -> Currency {
        self.to
    }

    pub fn numerator(&self) -> u64 {
        self.numerator
    }

    pub fn denominator(&self) -> u64 {
        self.denominator
    }

    /// The rate as a decimal for display only (never for arithmetic).
    pub fn approximate(&self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// Divides rounding half away from zero; `d > 0`.
fn div_round_half_away(n: i128, d: i128) -> i128 {
    let q = n.abs() / d;
    let r = n.abs() % d;
    let q = if 2 * r >= d { q + 1 } else { q };
    if n < 0 {
        -q
    } else {
        q
    }
}

/// Converts `amount` (in `rate.from()`) into `rate.to()`: exact in `i128`,
/// rounded once, half away from zero, to the target's minor unit (so
/// JPY→CAD and CAD→TND account for the different exponents).
pub fn convert(amount: Money, rate: &ExchangeRate) -> Result<Money, MoneyError> {
    if amount.currency != rate.from {
        return Err(MoneyError::CurrencyMismatch);
    }
    let n = i128::from(amount.minor)
        .checked_mul(i128::from(rate.numerator))
        .and_then(|x| x.checked_mul(pow10(u32::from(rate.to.exponent))))
        .ok_or(MoneyError::AmountTooLarge)?;
    let d = i128::from(rate.denominator) * pow10(u32::from(rate.from.exponent));
    let minor = i64::try_from(div_round_half_away(n, d)).map_err(|_| MoneyError::AmountTooLarge)?;
    Ok(Money::new(minor, rate.to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn m(text: &str, code: &str) -> Money {
        Money::parse(text, c(code)).unwrap()
    }

    fn rate(from: &str, to: &str, text: &str) -> ExchangeRate {
        ExchangeRate::parse(c(from), c(to), text).unwrap()
    }

    #[test]
    fn the_currency_list_is_sorted_unique_and_iso_shaped() {
        for w in CURRENCIES.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (code, exp) in CURRENCIES {
            assert_eq!(Currency::parse(code).unwrap().code(), *code);
            assert!(*exp <= 3);
        }
        assert_eq!(c("JPY").exponent(), 0);
        assert_eq!(c("HUF").exponent(), 2);
        assert_eq!(c("IRR").exponent(), 2);
        assert_eq!(c("TND").exponent(), 3);
    }

    #[test]
    fn currencies_are_refused_clearly() {
        assert_eq!(Currency::parse("cad"), Err(MoneyError::InvalidCurrency));
        assert_eq!(Currency::parse("CA"), Err(MoneyError::InvalidCurrency));
        assert_eq!(Currency::parse("XYZ"), Err(MoneyError::UnknownCurrency));
        assert_eq!(Currency::parse("HRK"), Err(MoneyError::UnknownCurrency));
        assert_eq!(MoneyError::UnknownCurrency.code(), "unknown-currency");
    }

    #[test]
    fn amounts_are_read_exactly() {
        assert_eq!(m("1842.50", "CAD").minor, 184_250);
        assert_eq!(m("1842,5", "CAD").minor, 184_250);
        assert_eq!(m("1 842,50", "CAD").minor, 184_250);
        assert_eq!(m("1\u{202f}842,50", "EUR").minor, 184_250);
        assert_eq!(m("150000", "HUF").minor, 15_000_000);
        assert_eq!(m("5000", "JPY").minor, 5000);
        assert_eq!(m("1.234", "TND").minor, 1234);
        assert_eq!(m(".5", "CAD").minor, 50);
        assert_eq!(m("0", "CAD").minor, 0);
    }

    #[test]
    fn bad_amounts_are_refused() {
        let cad = c("CAD");
        for (text, err) in [
            ("", MoneyError::NotAnAmount),
            ("abc", MoneyError::NotAnAmount),
            ("12a", MoneyError::NotAnAmount),
            ("1e3", MoneyError::NotAnAmount),
            ("+5", MoneyError::NotAnAmount),
            ("1,234.50", MoneyError::NotAnAmount),
            (".", MoneyError::NotAnAmount),
            ("-5", MoneyError::NegativeAmount),
            ("-0.01", MoneyError::NegativeAmount),
            ("1,000", MoneyError::TooManyDecimals),
            ("1.005", MoneyError::TooManyDecimals),
            ("10000000000000.01", MoneyError::AmountTooLarge),
            ("99999999999999999999999", MoneyError::AmountTooLarge),
        ] {
            assert_eq!(Money::parse(text, cad), Err(err), "{text:?}");
        }
        assert_eq!(
            Money::parse("5.5", c("JPY")),
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(m("0", "CAD").check_positive(), Err(MoneyError::ZeroAmount));
        assert_eq!(
            Money::new(-1, cad).check_positive(),
            Err(MoneyError::NegativeAmount)
        );
        assert!(m("0.01", "CAD").check_positive().is_ok());
    }

    #[test]
    fn amounts_print_plainly() {
        assert_eq!(m("1842.5", "CAD").to_string(), "1842.50 CAD");
        assert_eq!(Money::new(-5, c("CAD")).to_plain_string(), "-0.05");
        assert_eq!(m("5000", "JPY").to_string(), "5000 JPY");
        assert_eq!(m("1.002", "TND").to_plain_string(), "1.002");
    }

    #[test]
    fn sums_refuse_mixed_currencies() {
        let a = m("10", "CAD");
        assert_eq!(a.checked_add(m("5", "CAD")).unwrap().minor, 1500);
        assert_eq!(a.checked_sub(m("15", "CAD")).unwrap().minor, -500);
        assert_eq!(
            a.checked_add(m("5", "USD")),
            Err(MoneyError::CurrencyMismatch)
        );
        assert_eq!(
            Money::new(i64::MAX, c("CAD")).checked_add(a),
            Err(MoneyError::AmountTooLarge)
        );
    }

    #[test]
    fn rates_are_kept_as_exact_fractions() {
        let r = rate("HUF", "CAD", "0.0043");
        assert_eq!((r.numerator(), r.denominator()), (43, 10_000));
        let r = rate("CAD", "HUF", "232,50");
        assert_eq!((r.numerator(), r.denominator()), (465, 2));
        let r = ExchangeRate::parse_inverse(c("HUF"), c("CAD"), "232.5").unwrap();
        assert_eq!((r.numerator(), r.denominator()), (2, 465));
        assert_eq!(rate("IRR", "CAD", "1 000").numerator(), 1000);
    }

    #[test]
    fn bad_rates_are_refused() {
        let (h, cad) = (c("HUF"), c("CAD"));
        for (text, err) in [
            ("0", MoneyError::RateZero),
            ("0.0000", MoneyError::RateZero),
            ("-0", MoneyError::RateZero),
            ("-0.5", MoneyError::RateNegative),
            ("", MoneyError::NotARate),
            ("abc", MoneyError::NotARate),
            ("1/3", MoneyError::NotARate),
            ("1,234.5", MoneyError::NotARate),
            ("1e-3", MoneyError::NotARate),
            ("1000000000.01", MoneyError::RateOutOfRange),
            ("2000000000", MoneyError::RateOutOfRange),
            ("0.0000000000001", MoneyError::RateOutOfRange),
            ("0.0000000000000000000001", MoneyError::RateOutOfRange),
        ] {
            assert_eq!(ExchangeRate::parse(h, cad, text), Err(err), "{text:?}");
        }
        assert!(ExchangeRate::parse(h, cad, "1000000000").is_ok());
        assert!(ExchangeRate::parse(h, cad, "0.000000000001").is_ok());
        assert_eq!(
            ExchangeRate::parse(cad, cad, "1.5"),
            Err(MoneyError::SameCurrency)
        );
        assert_eq!(
            ExchangeRate::parse(cad, cad, "1,00"),
            Ok(ExchangeRate::identity(cad))
        );
        assert_eq!(
            ExchangeRate::from_parts(h, cad, 1, 0),
            Err(MoneyError::NotARate)
        );
        assert_eq!(MoneyError::RateZero.code(), "rate-zero");
    }

    #[test]
    fn conversion_is_exact() {
        // 150,000 HUF at 0.0043 CAD = 645 CAD.
        let cad = convert(m("150000", "HUF"), &rate("HUF", "CAD", "0.0043")).unwrap();
        assert_eq!(cad, m("645", "CAD"));
        // JPY has no minor unit: 10,000 JPY at 0.0092 = 92.00 CAD.
        let cad = convert(m("10000", "JPY"), &rate("JPY", "CAD", "0.0092")).unwrap();
        assert_eq!(cad.minor, 9200);
        // and back: 92.00 CAD at 108.6957 JPY = 10,000.0044 → 10,000 JPY.
        let jpy = convert(cad, &rate("CAD", "JPY", "108.6957")).unwrap();
        assert_eq!(jpy, m("10000", "JPY"));
        // Three decimals: 1.000 TND at 0.45 = 0.45 CAD.
        let cad = convert(m("1", "TND"), &rate("TND", "CAD", "0.45")).unwrap();
        assert_eq!(cad.minor, 45);
        // An inverse quote converts exactly: 465 HUF at 232.5 HUF per CAD = 2 CAD.
        let r = ExchangeRate::parse_inverse(c("HUF"), c("CAD"), "232.5").unwrap();
        assert_eq!(convert(m("465", "HUF"), &r).unwrap(), m("2", "CAD"));
        assert_eq!(
            convert(m("1", "USD"), &rate("HUF", "CAD", "0.0043")),
            Err(MoneyError::CurrencyMismatch)
        );
        let id = ExchangeRate::identity(c("CAD"));
        assert_eq!(convert(m("12.34", "CAD"), &id).unwrap(), m("12.34", "CAD"));
    }

    #[test]
    fn conversion_rounds_half_away_from_zero() {
        let r = rate("USD", "CAD", "0.5");
        let usd = |minor| Money::new(minor, c("USD"));
        // 0.01 × 0.5 = 0.005 → 0.01 (banker's rounding would give 0.00).
        assert_eq!(convert(usd(1), &r).unwrap().minor, 1);
        assert_eq!(convert(usd(-1), &r).unwrap().minor, -1);
        // 0.03 × 0.5 = 0.015 → 0.02; 0.05 × 0.5 = 0.025 → 0.03.
        assert_eq!(convert(usd(3), &r).unwrap().minor, 2);
        assert_eq!(convert(usd(5), &r).unwrap().minor, 3);
        // Below half rounds down: 0.01 × 0.4999 = 0.004999 → 0.
        assert_eq!(
            convert(usd(1), &rate("USD", "CAD", "0.4999"))
                .unwrap()
                .minor,
            0
        );
        // 1 JPY at 0.0092 = 0.0092 CAD → 0.01; 0.50 CAD → JPY at 1 = 0.5 → 1.
        assert_eq!(
            convert(m("1", "JPY"), &rate("JPY", "CAD", "0.0092"))
                .unwrap()
                .minor,
            1
        );
        assert_eq!(
            convert(m("0.50", "CAD"), &rate("CAD", "JPY", "1"))
                .unwrap()
                .minor,
            1
        );
    }

    #[test]
    fn big_amounts_convert_without_overflow() {
        // Ten trillion rials (the largest accepted amount) at 0.0000317.
        let big = Money::new(MAX_MINOR, c("IRR"));
        let cad = convert(big, &rate("IRR", "CAD", "0.0000317")).unwrap();
        assert_eq!(cad.minor, 31_700_000_000); // 317,000,000.00 CAD
                                               // Results beyond i64 are refused, not wrapped.
        let r = ExchangeRate::from_parts(c("JPY"), c("TND"), MAX_RATE, 1).unwrap();
        assert_eq!(
            convert(Money::new(i64::MAX, c("JPY")), &r),
            Err(MoneyError::AmountTooLarge)
        );
        // Even i128 would overflow here (9.2e18 × 1e18 × 1000): refused too.
        let r =
            ExchangeRate::from_parts(c("JPY"), c("TND"), 999_999_999_999_999_999, 10_000_000_000)
                .unwrap();
        assert_eq!(
            convert(Money::new(i64::MIN, c("JPY")), &r),
            Err(MoneyError::AmountTooLarge)
        );
        // i64::MAX JPY at 1 CAD per JPY would need 100 × i64::MAX cents.
        assert_eq!(
            convert(Money::new(i64::MAX, c("JPY")), &rate("JPY", "CAD", "1")),
            Err(MoneyError::AmountTooLarge)
        );
        assert_eq!(
            convert(Money::new(i64::MAX, c("CAD")), &rate("CAD", "USD", "1"))
                .unwrap()
                .minor,
            i64::MAX
        );
    }

    #[test]
    fn money_and_rates_round_trip_through_json() {
        let a = m("12.34", "CAD");
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(j, r#"{"minor":1234,"currency":"CAD"}"#);
        assert_eq!(serde_json::from_str::<Money>(&j).unwrap(), a);
        assert!(serde_json::from_str::<Money>(r#"{"minor":1,"currency":"XYZ"}"#).is_err());
        let r = rate("HUF", "CAD", "0.0043");
        let j = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ExchangeRate>(&j).unwrap(), r);
        let zero = r#"{"from":"HUF","to":"CAD","numerator":0,"denominator":1}"#;
        assert!(serde_json::from_str::<ExchangeRate>(zero).is_err());
        let id = serde_json::to_string(&ExchangeRate::identity(c("CAD"))).unwrap();
        assert_eq!(
            serde_json::from_str::<ExchangeRate>(&id).unwrap(),
            ExchangeRate::identity(c("CAD"))
        );
    }
}
