//! Numbers as Excel shows them and as people type them.

use crate::text::to_half_width;

/// Formats a number as Excel's General format shows it: integers without ".0", at most 15
/// significant digits (so binary noise like 0.30000000000000004 reads 0.3), never an exponent.
pub fn format_number(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f == f.trunc() && f.abs() < 1e15 {
        // `as` is exact here: |f| < 1e15 is well inside i64 and f has no fraction.
        #[allow(clippy::cast_possible_truncation)]
        return (f as i64).to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    rounded.to_string()
}

/// Parses a number as people write it in a spreadsheet or csv: full-width digits, thousands
/// separators (`1,234.5`, `1，234`), a sign, an exponent, a trailing `%` (divided by 100, as
/// Excel stores it). Units and words are refused.
pub fn parse_number(s: &str) -> Result<f64, String> {
    let original = s.trim();
    let mut t: String = to_half_width(s).chars().filter(|c| !matches!(c, ',' | ' ' | '\u{00A0}')).collect();
    if t.is_empty() {
        return Err("数值为空".into());
    }
    let percent = t.ends_with('%');
    if percent {
        t.pop();
    }
    let allowed = !t.is_empty()
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    let value: f64 = match t.parse() {
        Ok(v) if allowed => v,
        _ => {
            return Err(format!("数值“{original}”无法识别，请填写数字（可带千分位逗号或 %，不要带单位）"));
        }
    };
    if !value.is_finite() {
        return Err(format!("数值“{original}”超出范围"));
    }
    Ok(if percent { value / 100.0 } else { value })
}

/// Parses a whole number (e.g. a head count): like [`parse_number`], and `12.0` is accepted,
/// `12.5` is not.
pub fn parse_int(s: &str) -> Result<i64, String> {
    let value = parse_number(s)?;
    if value.fract() != 0.0 || value.abs() >= 9.0e15 {
        return Err(format!("“{}”不是整数", s.trim()));
    }
    // Exact: no fraction and well inside the i64 range.
    #[allow(clippy::cast_possible_truncation)]
    Ok(value as i64)
}
