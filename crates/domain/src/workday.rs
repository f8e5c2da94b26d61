//! China's working-day calendar 工作日历: Monday to Friday are working days, Saturday and
//! Sunday are not, and the State Council's yearly arrangement 节假日安排 changes single days —
//! a weekday off for a public holiday (`holiday`) or a weekend day worked to make up for one
//! (`workday`, 调休上班). Time limits of problems and tasks are counted in working days.
//!
//! The arrangements of 2024–2026 ship in `data/cn_workday_adjustments_2024_2026.csv`
//! (`date,kind,holiday`); administrators add later years as entries. A date in a year
//! without any entry is counted by weekends only, and [`Calendar::coverage_warning`] says so.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;

/// The arrangement shipped with the product.
pub const EMBEDDED_CSV: &str = include_str!("../../../data/cn_workday_adjustments_2024_2026.csv");

/// The header of the calendar csv.
pub const CSV_HEADER: &str = "date,kind,holiday";

/// What an entry makes of its day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off for a public holiday (normally a weekday).
    Holiday,
    /// A day worked to make up for a holiday (normally a weekend day), 调休上班.
    Workday,
}

impl DayKind {
    pub const ALL: [DayKind; 2] = [DayKind::Holiday, DayKind::Workday];

    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }

    /// By code (`holiday`) or label (`放假`, also `休`, `假`, `节假日`, `班`, `上班`).
    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim() {
            "holiday" | "放假" | "休" | "假" | "节假日" | "休息" => Some(DayKind::Holiday),
            "workday" | "调休上班" | "班" | "上班" | "补班" | "工作日" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One day of the arrangement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The holiday the day belongs to, as written in the source (`National Day` or `国庆节`).
    pub name: String,
}

impl Entry {
    /// The holiday's Chinese name (`国庆节` for `National Day`); unknown names as written.
    pub fn label(&self) -> &str {
        holiday_label(&self.name)
    }
}

/// The Chinese name of a public holiday named in English in the shipped csv; any other
/// name (already Chinese, or unknown) is returned trimmed as it is.
pub fn holiday_label(name: &str) -> &str {
    let t = name.trim();
    match t.to_ascii_lowercase().as_str() {
        "new year's day" | "new year" => "元旦",
        "spring festival" | "chinese new year" => "春节",
        "tomb-sweeping day" | "qingming festival" => "清明节",
        "labour day" | "labor day" => "劳动节",
        "dragon boat festival" => "端午节",
        "mid-autumn festival" => "中秋节",
        "national day" => "国庆节",
        _ => t,
    }
}

/// The Chinese name of a weekday (`周六`).
pub fn weekday_label(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Weekdays (Mon–Fri) from 0001-01-01 (a Monday, day 1) up to and including `d`.
fn weekdays_through(d: NaiveDate) -> i64 {
    let n = i64::from(d.num_days_from_ce());
    n.div_euclid(7) * 5 + n.rem_euclid(7).min(5)
}

/// How far [`Calendar::adjust_to_workday`] and the holiday-name lookup walk before giving
/// up; no arrangement has ever had a run of days off this long.
const MAX_OFF_RUN: u32 = 60;

/// The working-day calendar: weekends plus the adjustments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    entries: BTreeMap<NaiveDate, Entry>,
}

impl Calendar {
    /// A calendar of weekends only.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// The arrangement shipped with the product (2024–2026).
    pub fn default_embedded() -> Calendar {
        // The shipped file is checked by the tests; an error here is a build defect.
        Calendar::parse(EMBEDDED_CSV).unwrap_or_default()
    }

    /// Parses `date,kind,holiday` rows (header first; blank lines, a BOM, CRLF and a quoted
    /// name are accepted). The whole text is refused on the first bad row, with its line.
    pub fn parse(csv: &str) -> Result<Calendar, String> {
        let mut cal = Calendar::new();
        let mut header_seen = false;
        for (i, raw) in csv.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_start_matches('\u{feff}').trim();
            if line.is_empty() {
                continue;
            }
            if !header_seen {
                header_seen = true;
                let cols: Vec<String> = line.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
                if cols.first().map(String::as_str) == Some("date") {
                    continue;
                }
                return Err(format!("第 {line_no} 行：缺少表头，第一行应为“{CSV_HEADER}”"));
            }
            let mut cols = line.splitn(3, ',');
            let date_s = cols.next().unwrap_or("").trim();
            let kind_s = cols.next().map(str::trim);
            let name = cols.next().unwrap_or("").trim().trim_matches('"').trim();
            let date = NaiveDate::parse_from_str(date_s, "%Y-%m-%d")
                .map_err(|_| format!("第 {line_no} 行：日期“{date_s}”无效，应为 YYYY-MM-DD 格式的真实日期"))?;
            let Some(kind_s) = kind_s else {
                return Err(format!("第 {line_no} 行：缺少类型列，应为 holiday（放假）或 workday（调休上班）"));
            };
            let kind = DayKind::parse(kind_s).ok_or_else(|| {
                format!("第 {line_no} 行：类型“{kind_s}”无效，应为 holiday（放假）或 workday（调休上班）")
            })?;
            cal.add(date, kind, name).map_err(|e| format!("第 {line_no} 行：{e}"))?;
        }
        Ok(cal)
    }

    /// Adds one day of an arrangement. A date already entered is refused (remove it first).
    pub fn add(&mut self, date: NaiveDate, kind: DayKind, name: &str) -> Result<(), String> {
        if let Some(e) = self.entries.get(&date) {
            return Err(format!(
                "日期 {date} 已登记为{}（{}），不能重复登记",
                e.kind.label(),
                if e.label().is_empty() { "未注明节日" } else { e.label() }
            ));
        }
        self.entries.insert(date, Entry { date, kind, name: name.trim().to_string() });
        Ok(())
    }

    /// Removes the entry of `date`, returning it.
    pub fn remove(&mut self, date: NaiveDate) -> Option<Entry> {
        self.entries.remove(&date)
    }

    /// The entry of `date`, if the arrangement changes that day.
    pub fn entry(&self, date: NaiveDate) -> Option<&Entry> {
        self.entries.get(&date)
    }

    /// All entries in date order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The calendar as csv text in the shipped format (what [`Calendar::parse`] reads).
    pub fn to_csv(&self) -> String {
        let mut s = String::from(CSV_HEADER);
        s.push('\n');
        for e in self.entries.values() {
            let name = if e.name.contains(',') { format!("\"{}\"", e.name) } else { e.name.clone() };
            s.push_str(&format!("{},{},{}\n", e.date, e.kind.code(), name));
        }
        s
    }

    /// The years that have at least one entry, ascending.
    pub fn covered_years(&self) -> Vec<i32> {
        self.entries.keys().map(|d| d.year()).collect::<BTreeSet<_>>().into_iter().collect()
    }

    /// Whether the arrangement of `d`'s year has been entered.
    pub fn covers(&self, d: NaiveDate) -> bool {
        let (from, to) = match (NaiveDate::from_ymd_opt(d.year(), 1, 1), NaiveDate::from_ymd_opt(d.year(), 12, 31)) {
            (Some(a), Some(b)) => (a, b),
            _ => return false,
        };
        self.entries.range(from..=to).next().is_some()
    }

    /// A note for callers to show when `d` falls in a year without an arrangement.
    pub fn coverage_warning(&self, d: NaiveDate) -> Option<String> {
        (!self.covers(d)).then(|| {
            format!("{} 年的法定节假日安排尚未录入，工作日暂只按周末计算，请系统管理员在工作日历中补录", d.year())
        })
    }

    /// Whether `d` is a working day.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.entries.get(&d) {
            Some(e) => e.kind == DayKind::Workday,
            None => !is_weekend(d),
        }
    }

    /// `d` itself if it is a working day, else the first working day after it.
    pub fn next_workday(&self, d: NaiveDate) -> NaiveDate {
        let mut x = d;
        while !self.is_workday(x) {
            match x.succ_opt() {
                Some(n) => x = n,
                None => return x,
            }
        }
        x
    }

    /// The deadline `n` working days after `start` (the start day is not counted): with
    /// `n = 1` the first working day after `start`. `n = 0` gives [`Calendar::next_workday`]
    /// of `start`, so a deadline never falls on a day off.
    pub fn add_workdays(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.next_workday(start);
        }
        let mut x = start;
        let mut left = n;
        while left > 0 {
            match x.succ_opt() {
                Some(next) => x = next,
                None => return x,
            }
            if self.is_workday(x) {
                left -= 1;
            }
        }
        x
    }

    /// Working days after `a` up to and including `b`; negative (the same count, negated)
    /// when `b` is before `a`. `workdays_between(d, add_workdays(d, n)) == n` for `n ≥ 1`.
    pub fn workdays_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.workdays_between(b, a);
        }
        let mut n = weekdays_through(b) - weekdays_through(a);
        for (d, e) in self.entries.range((Bound::Excluded(a), Bound::Included(b))) {
            let base = !is_weekend(*d);
            let now = e.kind == DayKind::Workday;
            n += i64::from(now) - i64::from(base);
        }
        n
    }

    /// The holiday a day off belongs to: its own entry's, else the name entered most often
    /// (the earliest on a tie) in the run of consecutive days off around it, so that
    /// 2025-10-04 (a Saturday inside 国庆节) is named too. `None` for a plain weekend.
    pub fn holiday_of(&self, d: NaiveDate) -> Option<&str> {
        if self.is_workday(d) {
            return None;
        }
        if let Some(e) = self.entries.get(&d).filter(|e| e.kind == DayKind::Holiday && !e.label().is_empty()) {
            return Some(e.label());
        }
        let mut first = d;
        for _ in 0..MAX_OFF_RUN {
            match first.pred_opt() {
                Some(p) if !self.is_workday(p) => first = p,
                _ => break,
            }
        }
        let mut last = d;
        for _ in 0..MAX_OFF_RUN {
            match last.succ_opt() {
                Some(n) if !self.is_workday(n) => last = n,
                _ => break,
            }
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for e in self.entries.range(first..=last).map(|(_, e)| e) {
            let l = e.label();
            if e.kind != DayKind::Holiday || l.is_empty() {
                continue;
            }
            match counts.iter_mut().find(|(n, _)| *n == l) {
                Some((_, c)) => *c += 1,
                None => counts.push((l, 1)),
            }
        }
        // max_by_key keeps the last maximum; reverse so the earliest wins a tie.
        counts.iter().rev().max_by_key(|(_, c)| *c).map(|(n, _)| *n)
    }

    /// Moves `d` to the next working day if it is a day off, with a note saying why, such
    /// as “2025-10-01 为国庆节假日，顺延至 2025-10-09” or “2025-06-07 为周六休息日，顺延至
    /// 2025-06-09”. A working day comes back unchanged without a note.
    pub fn adjust_to_workday(&self, d: NaiveDate) -> (NaiveDate, Option<String>) {
        if self.is_workday(d) {
            return (d, None);
        }
        let to = self.next_workday(d);
        let why = match self.holiday_of(d) {
            Some(h) => format!("{h}假日"),
            None => format!("{}休息日", weekday_label(d.weekday())),
        };
        (to, Some(format!("{d} 为{why}，顺延至 {to}")))
    }

    /// `d` plus `days` calendar days, saturating at the end of chrono's range.
    pub fn add_days(d: NaiveDate, days: u64) -> NaiveDate {
        d.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> Calendar {
        Calendar::default_embedded()
    }

    #[test]
    fn the_shipped_file_parses_whole() {
        let c = Calendar::parse(EMBEDDED_CSV).unwrap();
        assert_eq!(c.entries().count(), 75);
        assert_eq!(c.covered_years(), vec![2024, 2025, 2026]);
        assert_eq!(c, cal());
        // Every shipped holiday is a weekday and every make-up day a weekend day.
        for e in c.entries() {
            assert_eq!(e.kind == DayKind::Holiday, !is_weekend(e.date), "{e:?}");
            assert!(!e.label().is_empty() && !e.label().is_ascii(), "{e:?}");
        }
        assert_eq!(Calendar::parse(&c.to_csv()).unwrap(), c);
    }

    #[test]
    fn national_day_2025() {
        let c = cal();
        for day in ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08"] {
            assert!(!c.is_workday(d(day)), "{day}");
        }
        // The weekend inside the holiday is off too.
        assert!(!c.is_workday(d("2025-10-04")));
        assert!(!c.is_workday(d("2025-10-05")));
        // Make-up days: Sunday 28 September and Saturday 11 October.
        assert!(c.is_workday(d("2025-09-28")));
        assert!(c.is_workday(d("2025-10-11")));
        assert!(c.is_workday(d("2025-10-09")));
        assert_eq!(c.next_workday(d("2025-10-01")), d("2025-10-09"));
        assert_eq!(c.next_workday(d("2025-09-30")), d("2025-09-30"));
        // 中秋 fell inside the National Day holiday.
        assert_eq!(c.holiday_of(d("2025-10-06")), Some("中秋节"));
        assert_eq!(c.holiday_of(d("2025-10-04")), Some("国庆节"));
    }

    #[test]
    fn spring_festival_2026() {
        let c = cal();
        // 15–23 February off, Saturday 14 and Saturday 28 February worked.
        for day in 15..=23 {
            let x = NaiveDate::from_ymd_opt(2026, 2, day).unwrap();
            assert!(!c.is_workday(x), "{x}");
        }
        assert!(c.is_workday(d("2026-02-14")));
        assert!(c.is_workday(d("2026-02-24")));
        assert!(c.is_workday(d("2026-02-28")));
        assert_eq!(c.next_workday(d("2026-02-15")), d("2026-02-24"));
        // Friday 13 February + 1 working day is the make-up Saturday.
        assert_eq!(c.add_workdays(d("2026-02-13"), 1), d("2026-02-14"));
        assert_eq!(c.add_workdays(d("2026-02-13"), 2), d("2026-02-24"));
        assert_eq!(c.holiday_of(d("2026-02-21")), Some("春节"));
    }

    #[test]
    fn a_plain_weekend() {
        let c = cal();
        assert!(!c.is_workday(d("2025-06-07")));
        assert!(!c.is_workday(d("2025-06-08")));
        assert_eq!(c.next_workday(d("2025-06-07")), d("2025-06-09"));
        assert_eq!(c.add_workdays(d("2025-06-06"), 1), d("2025-06-09"));
        assert_eq!(c.add_workdays(d("2025-06-07"), 1), d("2025-06-09"));
        assert_eq!(c.add_workdays(d("2025-06-03"), 10), d("2025-06-17"));
        let (to, note) = c.adjust_to_workday(d("2025-06-07"));
        assert_eq!(to, d("2025-06-09"));
        assert_eq!(note.unwrap(), "2025-06-07 为周六休息日，顺延至 2025-06-09");
        assert_eq!(c.adjust_to_workday(d("2025-06-10")), (d("2025-06-10"), None));
    }

    #[test]
    fn counting_across_the_holiday() {
        let c = cal();
        // From Friday 26 September 2025: 28 Sep (Sun, worked), 29, 30 Sep, then 9, 10,
        // 11 (Sat, worked), 13, 14, 15, 16 Oct.
        assert_eq!(c.add_workdays(d("2025-09-26"), 1), d("2025-09-28"));
        assert_eq!(c.add_workdays(d("2025-09-26"), 3), d("2025-09-30"));
        assert_eq!(c.add_workdays(d("2025-09-26"), 4), d("2025-10-09"));
        assert_eq!(c.add_workdays(d("2025-09-26"), 10), d("2025-10-16"));
        assert_eq!(c.workdays_between(d("2025-09-26"), d("2025-10-16")), 10);
        assert_eq!(c.workdays_between(d("2025-10-16"), d("2025-09-26")), -10);
        assert_eq!(c.workdays_between(d("2025-10-01"), d("2025-10-08")), 0);
        assert_eq!(c.workdays_between(d("2025-10-08"), d("2025-10-08")), 0);
        // Without the arrangement the same ten days end a week earlier.
        assert_eq!(Calendar::new().add_workdays(d("2025-09-26"), 10), d("2025-10-10"));
        assert_eq!(c.add_workdays(d("2025-10-01"), 0), d("2025-10-09"));
    }

    #[test]
    fn counting_matches_walking_day_by_day() {
        let c = cal();
        let start = d("2023-12-20");
        for i in 0..1200u64 {
            let a = Calendar::add_days(start, i);
            for n in [1u32, 2, 5, 10, 15] {
                let due = c.add_workdays(a, n);
                assert!(c.is_workday(due));
                assert_eq!(c.workdays_between(a, due), i64::from(n), "{a} + {n}");
            }
            let b = Calendar::add_days(a, 17);
            let walked = (1..=17).filter(|k| c.is_workday(Calendar::add_days(a, *k))).count();
            assert_eq!(c.workdays_between(a, b), walked as i64, "{a}..{b}");
        }
        assert_eq!(NaiveDate::from_ymd_opt(1, 1, 1).unwrap().weekday(), Weekday::Mon);
    }

    #[test]
    fn holiday_notes() {
        let c = cal();
        let (to, note) = c.adjust_to_workday(d("2025-10-01"));
        assert_eq!(to, d("2025-10-09"));
        assert_eq!(note.unwrap(), "2025-10-01 为国庆节假日，顺延至 2025-10-09");
        let (_, note) = c.adjust_to_workday(d("2025-10-05"));
        assert_eq!(note.unwrap(), "2025-10-05 为国庆节假日，顺延至 2025-10-09");
        // Saturday before the Dragon Boat Monday of 2024 is part of that holiday.
        let (to, note) = c.adjust_to_workday(d("2024-06-08"));
        assert_eq!(to, d("2024-06-11"));
        assert_eq!(note.unwrap(), "2024-06-08 为端午节假日，顺延至 2024-06-11");
        // A make-up Sunday is a working day: no move.
        assert_eq!(c.adjust_to_workday(d("2025-09-28")), (d("2025-09-28"), None));
    }

    #[test]
    fn later_years_are_added_and_coverage_is_known() {
        let mut c = cal();
        let x = d("2027-01-01");
        assert!(!c.covers(x));
        assert_eq!(
            c.coverage_warning(x).unwrap(),
            "2027 年的法定节假日安排尚未录入，工作日暂只按周末计算，请系统管理员在工作日历中补录"
        );
        assert!(c.is_workday(x)); // a Friday, counted as a weekday until entered
        c.add(x, DayKind::Holiday, "元旦").unwrap();
        assert!(!c.is_workday(x));
        assert!(c.covers(d("2027-12-31")));
        assert_eq!(c.covered_years(), vec![2024, 2025, 2026, 2027]);
        assert_eq!(c.coverage_warning(x), None);
        let e = c.add(d("2025-10-01"), DayKind::Workday, "National Day").unwrap_err();
        assert_eq!(e, "日期 2025-10-01 已登记为放假（国庆节），不能重复登记");
        assert_eq!(c.remove(x).map(|e| e.kind), Some(DayKind::Holiday));
        assert!(c.is_workday(x));
    }

    #[test]
    fn bad_lines_are_named() {
        let e =
            Calendar::parse("date,kind,holiday\n2025-10-01,holiday,National Day\n2025-02-30,holiday,x\n").unwrap_err();
        assert_eq!(e, "第 3 行：日期“2025-02-30”无效，应为 YYYY-MM-DD 格式的真实日期");
        let e = Calendar::parse("date,kind,holiday\n2025-10-01,vacation,National Day\n").unwrap_err();
        assert_eq!(e, "第 2 行：类型“vacation”无效，应为 holiday（放假）或 workday（调休上班）");
        let e =
            Calendar::parse("date,kind,holiday\n2025-10-01,holiday,National Day\n\n2025-10-01,holiday,National Day\n")
                .unwrap_err();
        assert_eq!(e, "第 4 行：日期 2025-10-01 已登记为放假（国庆节），不能重复登记");
        let e = Calendar::parse("2025-10-01,holiday,National Day\n").unwrap_err();
        assert!(e.starts_with("第 1 行：缺少表头"), "{e}");
        let e = Calendar::parse("date,kind,holiday\n2025-10-01\n").unwrap_err();
        assert!(e.starts_with("第 2 行：缺少类型列"), "{e}");
        // BOM, CRLF, Chinese kinds and a quoted name are fine.
        let c = Calendar::parse(
            "\u{feff}date,kind,holiday\r\n2027-10-01,放假,\"国庆节, 中秋节\"\r\n2027-09-26,班,国庆节\r\n",
        )
        .unwrap();
        assert_eq!(c.entry(d("2027-10-01")).unwrap().name, "国庆节, 中秋节");
        assert!(c.is_workday(d("2027-09-26")));
        assert_eq!(Calendar::parse("").unwrap(), Calendar::new());
    }
}
