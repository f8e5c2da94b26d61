//! Dates and periods in the forms Excel, WPS and people produce: `2025-01-03`, `2025/1/3`,
//! `2025.1.3`, `2025年1月3日`, `20250103`, Excel serial numbers (`45660`, `45660.0`), with an
//! optional time part that is ignored; full-width digits are accepted too.

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};

use crate::text::to_half_width;

/// A statistical period: a year, or a month of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    /// 1–12; `None` for a whole year.
    pub month: Option<u32>,
}

impl fmt::Display for Period {
    /// `2025` or `2025-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.month {
            Some(m) => write!(f, "{:04}-{m:02}", self.year),
            None => write!(f, "{:04}", self.year),
        }
    }
}

/// The last serial Excel can show as a date (9999-12-31).
const MAX_SERIAL: f64 = 2_958_465.0;

/// Converts an Excel (1900 date system) serial number to a date, dropping any time fraction.
/// Excel counts a 29 February 1900 that never was (serial 60): that serial is refused and
/// later serials are shifted back by one day, so 45660 is 2025-01-03.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..=MAX_SERIAL + 0.999_999).contains(&serial) {
        return None;
    }
    // In range 1..=2958465 after the check above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let days = serial.floor() as u64;
    let base = match days {
        60 => return None,
        0..60 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
    };
    base.checked_add_days(Days::new(days))
}

/// Parses a date. See the module documentation for the accepted forms.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let original = s.trim();
    let unknown = || format!("日期“{original}”无法识别，请使用 2025-01-03 格式");
    let t = strip_time(&to_half_width(s));
    if t.is_empty() {
        return Err("日期为空".into());
    }
    if let Some((int, frac)) = plain_number(&t) {
        return match (int.len(), frac) {
            (8, None) => ymd(int[0..4].parse(), int[4..6].parse(), int[6..8].parse(), original),
            (4, None) => Err(format!("日期“{original}”只有年份，请填写完整日期，如 2025-01-03")),
            _ => {
                let serial: f64 = t.parse().map_err(|_| unknown())?;
                excel_serial_to_date(serial).ok_or_else(|| format!("日期“{original}”不是有效的 Excel 日期序列号"))
            }
        };
    }
    let tokens = tokenize(&t).ok_or_else(unknown)?;
    match tokens.as_slice() {
        [Tok::Num(y), Tok::Sep(a), Tok::Num(m), Tok::Sep(b), Tok::Num(d), rest @ ..]
            if y.len() == 4
                && m.len() <= 2
                && d.len() <= 2
                && ((a == b && matches!(*a, '-' | '/' | '.') && rest.is_empty())
                    || ((*a, *b) == ('年', '月') && matches!(rest, [] | [Tok::Sep('日' | '号')]))) =>
        {
            ymd(y.parse(), m.parse(), d.parse(), original)
        }
        _ => Err(unknown()),
    }
}

/// Parses a period: `2025`, `2025年`, `2025年度`, `2025年1月`, `2025-01`, `2025/1`,
/// `2025.1`, `202501`, a full date (`2025-01-01`, `20250101`, the form Excel turns a typed
/// `2025/1` into) or an Excel date serial — all but the bare year give a month.
pub fn parse_period(s: &str) -> Result<Period, String> {
    let original = s.trim();
    let unknown = || format!("期别“{original}”无法识别，请使用 2025、2025年1月 或 2025-01 格式");
    let t = strip_time(&to_half_width(s));
    if t.is_empty() {
        return Err("期别为空".into());
    }
    let from_date = |d: NaiveDate| Period { year: d.year(), month: Some(d.month()) };
    if let Some((int, frac)) = plain_number(&t) {
        return match (int.len(), frac) {
            (4, None) => year_month(int, None, original),
            (4, Some(m)) => year_month(int, Some(m), original),
            (6, None) => year_month(&int[0..4], Some(&int[4..6]), original),
            (8, None) => parse_date(&t).map(from_date),
            (5 | 7, _) => parse_date(&t).map(from_date),
            _ => Err(unknown()),
        };
    }
    let tokens = tokenize(&t).ok_or_else(unknown)?;
    match tokens.as_slice() {
        [Tok::Num(y), Tok::Sep('年')] | [Tok::Num(y), Tok::Sep('年'), Tok::Sep('度')] => {
            year_month(y, None, original)
        }
        [Tok::Num(y), Tok::Sep('-' | '/' | '.'), Tok::Num(m)]
        | [Tok::Num(y), Tok::Sep('年'), Tok::Num(m), Tok::Sep('月')]
        | [Tok::Num(y), Tok::Sep('年'), Tok::Num(m), Tok::Sep('月'), Tok::Sep('份')] => {
            year_month(y, Some(m), original)
        }
        _ => parse_date(&t).map(from_date).map_err(|_| unknown()),
    }
}

fn ymd(
    y: Result<i32, std::num::ParseIntError>,
    m: Result<u32, std::num::ParseIntError>,
    d: Result<u32, std::num::ParseIntError>,
    original: &str,
) -> Result<NaiveDate, String> {
    let (Ok(y), Ok(m), Ok(d)) = (y, m, d) else {
        return Err(format!("日期“{original}”无法识别，请使用 2025-01-03 格式"));
    };
    if !(1000..=9999).contains(&y) {
        return Err(format!("日期“{original}”的年份不合理"));
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("日期“{original}”不存在"))
}

fn year_month(y: &str, m: Option<&str>, original: &str) -> Result<Period, String> {
    let year: i32 = y.parse().map_err(|_| format!("期别“{original}”无法识别"))?;
    if y.len() != 4 || !(1000..=9999).contains(&year) {
        return Err(format!("期别“{original}”的年份应为四位数字"));
    }
    let month = match m {
        None => None,
        Some(m) => match m.parse::<u32>() {
            Ok(v) if (1..=12).contains(&v) && m.len() <= 2 => Some(v),
            _ => return Err(format!("期别“{original}”的月份应为 1 到 12")),
        },
    };
    Ok(Period { year, month })
}

/// Drops a trailing time of day ("2025-01-03 00:00:00", "2025/1/3 0:00", "2025-01-03T08:30").
fn strip_time(s: &str) -> String {
    if let Some(i) = s.find([' ', 'T']) {
        let time = s[i + 1..].trim();
        if !time.is_empty() && time.contains(':') && time.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
        {
            return s[..i].trim().to_owned();
        }
    }
    s.to_owned()
}

/// `123` or `123.45` → the integer digits and the fraction digits.
fn plain_number(s: &str) -> Option<(&str, Option<&str>)> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && frac.is_none_or(digits)).then_some((int, frac))
}

#[derive(Debug, PartialEq)]
enum Tok {
    Num(String),
    Sep(char),
}

/// Splits into runs of digits and single separator characters; spaces are dropped. `None`
/// when the text does not start with a digit.
fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let mut out: Vec<Tok> = Vec::new();
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_ascii_digit() {
            if let Some(Tok::Num(n)) = out.last_mut() {
                n.push(c);
            } else {
                out.push(Tok::Num(c.to_string()));
            }
        } else {
            if out.is_empty() {
                return None;
            }
            out.push(Tok::Sep(c));
        }
    }
    Some(out)
}
