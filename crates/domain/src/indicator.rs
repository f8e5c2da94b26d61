//! Indicator periods and derived figures. Derived figures are computed from stored values
//! when read, never stored twice.

use std::collections::BTreeMap;

/// A reporting period: a year, a month or a quarter, written `2025`, `2025-03`, `2025Q1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Year(i32),
    Quarter(i32, u32),
    Month(i32, u32),
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some((y, q)) = s.split_once('Q') {
            let (y, q) = (y.parse().ok()?, q.parse().ok()?);
            return (1900..=2200).contains(&y).then_some(()).and((1..=4).contains(&q).then_some(Period::Quarter(y, q)));
        }
        if let Some((y, m)) = s.split_once('-') {
            let (y, m) = (y.parse().ok()?, m.parse().ok()?);
            return (1900..=2200).contains(&y).then_some(()).and((1..=12).contains(&m).then_some(Period::Month(y, m)));
        }
        let y: i32 = s.parse().ok()?;
        (1900..=2200).contains(&y).then_some(Period::Year(y))
    }

    pub fn code(self) -> String {
        match self {
            Period::Year(y) => y.to_string(),
            Period::Quarter(y, q) => format!("{y}Q{q}"),
            Period::Month(y, m) => format!("{y}-{m:02}"),
        }
    }

    pub fn label(self) -> String {
        match self {
            Period::Year(y) => format!("{y}年"),
            Period::Quarter(y, q) => format!("{y}年第{q}季度"),
            Period::Month(y, m) => format!("{y}年{m}月"),
        }
    }

    /// The same period one year earlier.
    pub fn year_before(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Quarter(y, q) => Period::Quarter(y - 1, q),
            Period::Month(y, m) => Period::Month(y - 1, m),
        }
    }
}

/// Growth on the same period of the previous year: `v / v_prev − 1`; `None` without a
/// previous value or when it is zero.
pub fn yoy(series: &BTreeMap<Period, f64>) -> BTreeMap<Period, Option<f64>> {
    series
        .iter()
        .map(|(p, v)| {
            let g = series.get(&p.year_before()).filter(|prev| **prev != 0.0).map(|prev| v / prev - 1.0);
            (*p, g)
        })
        .collect()
}

/// `a / b` for every period both have, `b` non-zero (R&D intensity = R&D ÷ revenue,
/// per-capita output = output ÷ employees).
pub fn ratio(a: &BTreeMap<Period, f64>, b: &BTreeMap<Period, f64>) -> BTreeMap<Period, f64> {
    a.iter().filter_map(|(p, x)| b.get(p).filter(|y| **y != 0.0).map(|y| (*p, x / y))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(Period::parse("2025"), Some(Period::Year(2025)));
        assert_eq!(Period::parse("2025-03"), Some(Period::Month(2025, 3)));
        assert_eq!(Period::parse("2025Q4"), Some(Period::Quarter(2025, 4)));
        assert_eq!(Period::parse("2025-13"), None);
        assert_eq!(Period::parse("2025Q5"), None);
        assert_eq!(Period::Month(2025, 3).code(), "2025-03");
        assert_eq!(Period::Month(2025, 3).year_before(), Period::Month(2024, 3));
        assert_eq!(Period::Quarter(2025, 2).label(), "2025年第2季度");
    }

    #[test]
    fn derived() {
        let s: BTreeMap<_, _> =
            [(Period::Year(2023), 100.0), (Period::Year(2024), 120.0), (Period::Year(2025), 90.0)].into();
        let g = yoy(&s);
        assert_eq!(g[&Period::Year(2023)], None);
        assert!((g[&Period::Year(2024)].unwrap() - 0.2).abs() < 1e-12);
        assert!((g[&Period::Year(2025)].unwrap() + 0.25).abs() < 1e-12);
        let emp: BTreeMap<_, _> = [(Period::Year(2024), 60.0), (Period::Year(2025), 0.0)].into();
        let r = ratio(&s, &emp);
        assert_eq!(r.len(), 1);
        assert!((r[&Period::Year(2024)] - 2.0).abs() < 1e-12);
    }
}
