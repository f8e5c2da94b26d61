//! Money is integer fen, never a float. Users write amounts in 万元 with decimals; these
//! functions convert exactly.

/// One 万元 in fen.
pub const FEN_PER_WAN: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额“{0}”不是有效数字")]
    Format(String),
    #[error("金额“{0}”小数位过多（以万元计最多6位小数，即精确到分）")]
    Precision(String),
    #[error("金额不能为负数")]
    Negative,
    #[error("金额“{0}”过大")]
    Overflow(String),
}

/// Parses an amount in 万元 (`"1234.56"`, `"1,234.5"`, `"１２３"`) into fen, exactly.
pub fn parse_wan(s: &str) -> Result<i64, MoneyError> {
    let t: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            c => c,
        })
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    if t.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(MoneyError::Format(s.trim().to_string()));
    }
    if frac.len() > 6 {
        return Err(MoneyError::Precision(s.trim().to_string()));
    }
    let overflow = || MoneyError::Overflow(s.trim().to_string());
    let int: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| overflow())? };
    let frac_fen: i64 = format!("{frac:0<6}").parse().map_err(|_| overflow())?;
    int.checked_mul(FEN_PER_WAN).and_then(|v| v.checked_add(frac_fen)).ok_or_else(overflow)
}

/// Formats fen as 万元 with two decimals and thousands separators: `1,234.57`.
pub fn format_wan(fen: i64) -> String {
    // Round half away from zero to 0.01 万元 (= 100 yuan = 10_000 fen).
    let neg = fen < 0;
    let a = fen.unsigned_abs();
    let hundredths = (a + 5_000) / 10_000;
    let (int, frac) = (hundredths / 100, hundredths % 100);
    format!("{}{}.{frac:02}", if neg { "-" } else { "" }, group_thousands(int))
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Exact 万元 text without separators, as an input field shows it back: `1234.5`.
pub fn plain_wan(fen: i64) -> String {
    let (int, frac) = (fen / FEN_PER_WAN, (fen % FEN_PER_WAN).abs());
    if frac == 0 {
        return int.to_string();
    }
    let f = format!("{frac:06}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse() {
        assert_eq!(parse_wan("1"), Ok(1_000_000));
        assert_eq!(parse_wan("1,234.56"), Ok(1_234_560_000));
        assert_eq!(parse_wan(".5"), Ok(500_000));
        assert_eq!(parse_wan("０.０１"), Ok(10_000));
        assert_eq!(parse_wan("0.000001"), Ok(1));
        assert!(matches!(parse_wan("0.0000001"), Err(MoneyError::Precision(_))));
        assert!(matches!(parse_wan("-3"), Err(MoneyError::Negative)));
        assert!(matches!(parse_wan("abc"), Err(MoneyError::Format(_))));
        assert!(matches!(parse_wan("."), Err(MoneyError::Format(_))));
        assert!(matches!(parse_wan("99999999999999999"), Err(MoneyError::Overflow(_))));
    }

    #[test]
    fn format() {
        assert_eq!(format_wan(1_234_565_000), "1,234.57");
        assert_eq!(format_wan(0), "0.00");
        assert_eq!(format_wan(999_999_999_000_000), "999,999,999.00");
        assert_eq!(plain_wan(1_234_560_000), "1234.56");
        assert_eq!(plain_wan(5), "0.000005");
    }

    proptest! {
        #[test]
        fn plain_round_trips(fen in 0i64..10_000_000_000_000) {
            prop_assert_eq!(parse_wan(&plain_wan(fen)), Ok(fen));
        }
    }
}
