//! 统计上大中小微型企业划分办法(2017): large, medium, small and micro enterprises.
//!
//! Thresholds are embedded from `data/size_thresholds_2017.csv` (employees in 人, revenue and
//! assets in 万元). The rule: an enterprise is large, medium or small only if it reaches the
//! lower bound of **every** indicator listed for its industry in that band, otherwise it drops
//! one band; it is micro as soon as one indicator is below the small bound.

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::industry::{IndustryCode, parse_csv_line};

const DATA: &str = include_str!("../../../data/size_thresholds_2017.csv");

const HEADER: [&str; 8] =
    ["industry", "gbt4754_2017_scope", "indicator", "unit", "large_min", "medium_min", "small_min", "micro_if_below"];

/// Annual main-business revenue from which an industrial enterprise is 规模以上, in yuan.
pub const ABOVE_SCALE_REVENUE_YUAN: i64 = 20_000_000;

/// The size class of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnterpriseSize {
    /// 大型
    Large,
    /// 中型
    Medium,
    /// 小型
    Small,
    /// 微型
    Micro,
}

impl EnterpriseSize {
    /// All sizes, largest first.
    pub const ALL: [Self; 4] = [Self::Large, Self::Medium, Self::Small, Self::Micro];

    /// The Chinese label: "大型", "中型", "小型", "微型".
    pub fn label(self) -> &'static str {
        match self {
            Self::Large => "大型",
            Self::Medium => "中型",
            Self::Small => "小型",
            Self::Micro => "微型",
        }
    }

    /// The stable code: "large", "medium", "small", "micro" (same as serde).
    pub fn code(self) -> &'static str {
        match self {
            Self::Large => "large",
            Self::Medium => "medium",
            Self::Small => "small",
            Self::Micro => "micro",
        }
    }

    /// Parses the stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl fmt::Display for EnterpriseSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The indicators used by the 2017 rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    /// 从业人员 (X), in 人.
    Employees,
    /// 营业收入 (Y), in 万元.
    Revenue,
    /// 资产总额 (Z), in 万元.
    Assets,
}

impl Indicator {
    /// The Chinese name: "从业人员", "营业收入", "资产总额".
    pub fn label(self) -> &'static str {
        match self {
            Self::Employees => "从业人员",
            Self::Revenue => "营业收入",
            Self::Assets => "资产总额",
        }
    }

    /// The unit of the thresholds: "人" or "万元".
    pub fn unit(self) -> &'static str {
        match self {
            Self::Employees => "人",
            Self::Revenue | Self::Assets => "万元",
        }
    }
}

/// Lower bounds of one indicator for one industry group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The indicator.
    pub indicator: Indicator,
    /// Lower bound for 大型.
    pub large_min: f64,
    /// Lower bound for 中型.
    pub medium_min: f64,
    /// Lower bound for 小型; below it the enterprise is 微型.
    pub small_min: f64,
}

/// What is known about an enterprise; revenue and assets in 万元.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SizeInputs {
    /// 从业人员, persons.
    pub employees: Option<i64>,
    /// 营业收入, 万元.
    pub revenue_wan: Option<f64>,
    /// 资产总额, 万元.
    pub assets_wan: Option<f64>,
}

impl SizeInputs {
    fn value(&self, indicator: Indicator) -> Option<f64> {
        match indicator {
            // Exact for any realistic head count (below 2^53).
            Indicator::Employees => self.employees.map(|n| n as f64),
            Indicator::Revenue => self.revenue_wan,
            Indicator::Assets => self.assets_wan,
        }
    }

    fn validate(&self) -> Result<(), SizeError> {
        if self.employees.is_some_and(|n| n < 0) {
            return Err(SizeError::Negative { indicator: Indicator::Employees.label() });
        }
        for indicator in [Indicator::Revenue, Indicator::Assets] {
            match self.value(indicator) {
                Some(v) if !v.is_finite() => {
                    return Err(SizeError::NotFinite { indicator: indicator.label() });
                }
                Some(v) if v < 0.0 => {
                    return Err(SizeError::Negative { indicator: indicator.label() });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Why an enterprise cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SizeError {
    /// An indicator the industry needs is missing and the others do not prove 微型.
    #[error("划分企业规模需要{indicator}")]
    Missing {
        /// "从业人员", "营业收入" or "资产总额".
        indicator: &'static str,
    },
    /// The industry is outside the 2017 rule (金融业, 房地产租赁经营).
    #[error("行业“{code} {name}”不在《统计上大中小微型企业划分办法(2017)》的适用范围内，无法划分企业规模")]
    NotCovered {
        /// The industry code.
        code: String,
        /// Its name.
        name: &'static str,
    },
    /// The code is too coarse to choose the industry group (e.g. section F holds both
    /// 批发业 and 零售业).
    #[error("行业代码“{code} {name}”范围过大，无法确定企业规模划分所用的行业，请填写更细的行业代码")]
    TooCoarse {
        /// The industry code.
        code: String,
        /// Its name.
        name: &'static str,
    },
    /// A negative input.
    #[error("{indicator}不能为负数")]
    Negative {
        /// The indicator's Chinese name.
        indicator: &'static str,
    },
    /// NaN or infinity.
    #[error("{indicator}不是有效的数值")]
    NotFinite {
        /// The indicator's Chinese name.
        indicator: &'static str,
    },
}

/// The industry groups of the 2017 rule, named as in the `industry` column of the CSV.
///
/// [`SizeIndustry::of`] maps a GB/T 4754-2017 code to its group by these hand-written rules,
/// matching the `gbt4754_2017_scope` column:
///
/// | GB/T 4754-2017 | group |
/// |---|---|
/// | section A | 农、林、牧、渔业 |
/// | sections B, C, D | 工业 |
/// | section E | 建筑业 |
/// | division 51 | 批发业 |
/// | division 52 | 零售业 |
/// | divisions 54–58 and group 591 装卸搬运 (not 53 铁路运输业) | 交通运输业 |
/// | division 59 except group 591 | 仓储业 |
/// | division 60 | 邮政业 |
/// | division 61 | 住宿业 |
/// | division 62 | 餐饮业 |
/// | divisions 63, 64 | 信息传输业 |
/// | division 65 | 软件和信息技术服务业 |
/// | class 7010 (group 701 has no other class) | 房地产开发经营 |
/// | group 702 | 物业管理 |
/// | section L | 租赁和商务服务业 |
/// | section J 金融业 | not covered ([`SizeError::NotCovered`]) |
/// | group 704 房地产租赁经营 | not covered: the rule excludes 自有房地产经营活动, its 2011 name |
/// | everything else: division 53, groups 703 and 709, sections M–T | 其他未列明行业 |
///
/// Codes that span several groups (sections F, G, H, I, K and divisions 59, 70) give
/// [`SizeError::TooCoarse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeIndustry {
    /// 农、林、牧、渔业
    Agriculture,
    /// 工业
    Industry,
    /// 建筑业
    Construction,
    /// 批发业
    Wholesale,
    /// 零售业
    Retail,
    /// 交通运输业
    Transport,
    /// 仓储业
    Warehousing,
    /// 邮政业
    Postal,
    /// 住宿业
    Accommodation,
    /// 餐饮业
    Catering,
    /// 信息传输业
    InformationTransmission,
    /// 软件和信息技术服务业
    Software,
    /// 房地产开发经营
    RealEstateDevelopment,
    /// 物业管理
    PropertyManagement,
    /// 租赁和商务服务业
    LeasingAndBusinessServices,
    /// 其他未列明行业
    Other,
}

impl SizeIndustry {
    /// All groups in the order of the CSV.
    pub const ALL: [Self; 16] = [
        Self::Agriculture,
        Self::Industry,
        Self::Construction,
        Self::Wholesale,
        Self::Retail,
        Self::Transport,
        Self::Warehousing,
        Self::Postal,
        Self::Accommodation,
        Self::Catering,
        Self::InformationTransmission,
        Self::Software,
        Self::RealEstateDevelopment,
        Self::PropertyManagement,
        Self::LeasingAndBusinessServices,
        Self::Other,
    ];

    /// The Chinese name, as in the CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::Agriculture => "农、林、牧、渔业",
            Self::Industry => "工业",
            Self::Construction => "建筑业",
            Self::Wholesale => "批发业",
            Self::Retail => "零售业",
            Self::Transport => "交通运输业",
            Self::Warehousing => "仓储业",
            Self::Postal => "邮政业",
            Self::Accommodation => "住宿业",
            Self::Catering => "餐饮业",
            Self::InformationTransmission => "信息传输业",
            Self::Software => "软件和信息技术服务业",
            Self::RealEstateDevelopment => "房地产开发经营",
            Self::PropertyManagement => "物业管理",
            Self::LeasingAndBusinessServices => "租赁和商务服务业",
            Self::Other => "其他未列明行业",
        }
    }

    /// The group of a GB/T 4754-2017 code; see the table on [`SizeIndustry`].
    pub fn of(industry: &IndustryCode) -> Result<Self, SizeError> {
        let not_covered = || SizeError::NotCovered { code: industry.as_str().to_owned(), name: industry.name() };
        let too_coarse = || SizeError::TooCoarse { code: industry.as_str().to_owned(), name: industry.name() };
        let group = match industry.section() {
            'A' => Self::Agriculture,
            'B' | 'C' | 'D' => Self::Industry,
            'E' => Self::Construction,
            'J' => return Err(not_covered()),
            'L' => Self::LeasingAndBusinessServices,
            'F' | 'G' | 'H' | 'I' | 'K' => match industry.division() {
                None => return Err(too_coarse()),
                Some("51") => Self::Wholesale,
                Some("52") => Self::Retail,
                Some("54" | "55" | "56" | "57" | "58") => Self::Transport,
                // 装卸搬运 (group 591) is listed with 交通运输业, the rest of 59 is 仓储业.
                Some("59") => match industry.as_str().get(..3) {
                    None => return Err(too_coarse()),
                    Some("591") => Self::Transport,
                    Some(_) => Self::Warehousing,
                },
                Some("60") => Self::Postal,
                Some("61") => Self::Accommodation,
                Some("62") => Self::Catering,
                Some("63" | "64") => Self::InformationTransmission,
                Some("65") => Self::Software,
                Some("70") => match industry.as_str().get(..3) {
                    None => return Err(too_coarse()),
                    Some("701") => Self::RealEstateDevelopment,
                    Some("702") => Self::PropertyManagement,
                    Some("704") => return Err(not_covered()),
                    Some(_) => Self::Other,
                },
                // Division 53 铁路运输业 is excluded from 交通运输业.
                Some(_) => Self::Other,
            },
            _ => Self::Other,
        };
        Ok(group)
    }

    /// The indicators of the group, in CSV order.
    pub fn thresholds(self) -> &'static [Threshold] {
        &THRESHOLDS[self as usize]
    }
}

static THRESHOLDS: LazyLock<[Vec<Threshold>; 16]> = LazyLock::new(|| {
    load_thresholds(DATA).unwrap_or_else(|e| panic!("embedded 2017 size thresholds are invalid: {e}"))
});

fn load_thresholds(data: &str) -> Result<[Vec<Threshold>; 16], String> {
    let mut lines = data.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).ok_or("empty file")?;
    if parse_csv_line(header)? != HEADER {
        return Err(format!("unexpected header {header:?}"));
    }
    let mut table: [Vec<Threshold>; 16] = Default::default();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let at = |msg: String| format!("line {}: {msg}", i + 1);
        let fields = parse_csv_line(line).map_err(at)?;
        let [industry, _scope, indicator, unit, large, medium, small, micro]: [String; 8] =
            fields.try_into().map_err(|f: Vec<String>| at(format!("expected 8 fields, got {}", f.len())))?;
        let group = SizeIndustry::ALL
            .into_iter()
            .find(|g| g.name() == industry)
            .ok_or_else(|| at(format!("unknown industry {industry:?}")))?;
        let indicator = [Indicator::Employees, Indicator::Revenue, Indicator::Assets]
            .into_iter()
            .find(|x| indicator.starts_with(x.label()))
            .ok_or_else(|| at(format!("unknown indicator {indicator:?}")))?;
        if unit != indicator.unit() {
            return Err(at(format!("unit {unit:?} for {}", indicator.label())));
        }
        let num = |s: &str| {
            s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| at(format!("bad number {s:?}")))
        };
        let threshold =
            Threshold { indicator, large_min: num(&large)?, medium_min: num(&medium)?, small_min: num(&small)? };
        // The classifier relies on "micro iff below the small bound".
        if num(&micro)? != threshold.small_min {
            return Err(at("micro_if_below differs from small_min".to_owned()));
        }
        if threshold.small_min > threshold.medium_min {
            return Err(at("small_min above medium_min".to_owned()));
        }
        let rows = &mut table[group as usize];
        if rows.iter().any(|t| t.indicator == indicator) {
            return Err(at(format!("{} listed twice", indicator.label())));
        }
        rows.push(threshold);
    }
    if let Some(g) = SizeIndustry::ALL.into_iter().find(|g| table[*g as usize].is_empty()) {
        return Err(format!("no thresholds for {}", g.name()));
    }
    Ok(table)
}

/// Classifies an enterprise under the 2017 rule.
///
/// Large if every indicator listed for the industry reaches its large bound, else medium if
/// every one reaches the medium bound, else small if every one reaches the small bound, else
/// micro. Indicators the industry does not list are ignored. A missing indicator is an error
/// unless a present one is already below its small bound, which proves 微型.
pub fn classify(industry: &IndustryCode, inputs: &SizeInputs) -> Result<EnterpriseSize, SizeError> {
    inputs.validate()?;
    let thresholds = SizeIndustry::of(industry)?.thresholds();
    let below_small = thresholds.iter().any(|t| inputs.value(t.indicator).is_some_and(|v| v < t.small_min));
    if below_small {
        return Ok(EnterpriseSize::Micro);
    }
    let mut known = Vec::with_capacity(thresholds.len());
    for t in thresholds {
        let value = inputs.value(t.indicator).ok_or(SizeError::Missing { indicator: t.indicator.label() })?;
        known.push((t, value));
    }
    let reaches = |bound: fn(&Threshold) -> f64| known.iter().all(|(t, v)| *v >= bound(t));
    Ok(if reaches(|t| t.large_min) {
        EnterpriseSize::Large
    } else if reaches(|t| t.medium_min) {
        EnterpriseSize::Medium
    } else {
        EnterpriseSize::Small
    })
}

/// Whether an enterprise is a 规模以上工业企业: industrial (sections B, C, D) with annual
/// main-business revenue of at least [`ABOVE_SCALE_REVENUE_YUAN`].
///
/// Always `false` outside industry: 规模以上 for construction, trade and services uses other
/// thresholds that are not modelled here.
pub fn is_above_scale(industry: &IndustryCode, revenue_yuan: i64) -> bool {
    industry.is_industrial() && revenue_yuan >= ABOVE_SCALE_REVENUE_YUAN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::industry;
    use EnterpriseSize::{Large, Medium, Micro, Small};
    use proptest::prelude::*;

    fn code(s: &str) -> IndustryCode {
        IndustryCode::parse(s).unwrap()
    }

    fn size(
        industry: &str,
        employees: Option<i64>,
        revenue: Option<f64>,
        assets: Option<f64>,
    ) -> Result<EnterpriseSize, SizeError> {
        classify(&code(industry), &SizeInputs { employees, revenue_wan: revenue, assets_wan: assets })
    }

    fn rank(s: EnterpriseSize) -> u8 {
        match s {
            Micro => 0,
            Small => 1,
            Medium => 2,
            Large => 3,
        }
    }

    #[test]
    fn thresholds_load_for_every_group() {
        for g in SizeIndustry::ALL {
            assert!(!g.thresholds().is_empty(), "{}", g.name());
        }
        assert_eq!(SizeIndustry::Industry.thresholds().len(), 2);
        assert_eq!(SizeIndustry::Other.thresholds().len(), 1);
    }

    #[test]
    fn industrial() {
        assert_eq!(size("C2614", Some(1000), Some(40000.0), None), Ok(Large));
        assert_eq!(size("C2614", Some(1000), Some(39999.0), None), Ok(Medium));
        assert_eq!(size("C2614", Some(300), Some(2000.0), None), Ok(Medium));
        assert_eq!(size("C2614", Some(299), Some(2000.0), None), Ok(Small));
        assert_eq!(size("C2614", Some(20), Some(300.0), None), Ok(Small));
        assert_eq!(size("C2614", Some(19), Some(5000.0), None), Ok(Micro));
        assert_eq!(size("C2614", Some(5), None, None), Ok(Micro));
        let err = size("C2614", Some(100), None, None).unwrap_err();
        assert_eq!(err, SizeError::Missing { indicator: "营业收入" });
        assert_eq!(err.to_string(), "划分企业规模需要营业收入");
        assert_eq!(size("B", None, Some(50000.0), None), Err(SizeError::Missing { indicator: "从业人员" }));
        // Assets are not an industrial indicator.
        assert_eq!(size("D44", Some(1000), Some(40000.0), Some(0.0)), Ok(Large));
    }

    #[test]
    fn retail_and_wholesale() {
        assert_eq!(size("5211", Some(300), Some(20000.0), None), Ok(Large));
        assert_eq!(size("5211", Some(50), Some(500.0), None), Ok(Medium));
        assert_eq!(size("5211", Some(10), Some(100.0), None), Ok(Small));
        assert_eq!(size("5211", Some(9), None, None), Ok(Micro));
        assert_eq!(size("51", Some(20), Some(5000.0), None), Ok(Medium));
        assert_eq!(size("51", Some(20), Some(999.0), None), Ok(Micro));
    }

    #[test]
    fn software() {
        assert_eq!(size("6513", Some(300), Some(10000.0), None), Ok(Large));
        assert_eq!(size("6513", Some(100), Some(999.0), None), Ok(Small));
        assert_eq!(size("I65", Some(10), Some(49.0), None), Ok(Micro));
    }

    #[test]
    fn real_estate() {
        assert_eq!(size("7010", None, Some(200_000.0), Some(10000.0)), Ok(Large));
        assert_eq!(size("7010", None, Some(200_000.0), Some(9999.0)), Ok(Medium));
        assert_eq!(size("7010", Some(0), Some(100.0), Some(2000.0)), Ok(Small));
        assert_eq!(size("701", None, Some(1000.0), Some(1999.0)), Ok(Micro));
        assert_eq!(size("7010", None, None, Some(1000.0)), Ok(Micro));
        assert_eq!(size("7010", None, Some(100.0), None), Err(SizeError::Missing { indicator: "资产总额" }));
        // 物业管理
        assert_eq!(size("7020", Some(1000), Some(5000.0), None), Ok(Large));
        assert_eq!(size("702", Some(150), Some(600.0), None), Ok(Small));
        assert_eq!(size("7020", Some(99), Some(600.0), None), Ok(Micro));
        // 房地产中介服务 and 其他房地产业 fall under 其他未列明行业.
        assert_eq!(size("7030", Some(300), None, None), Ok(Large));
        assert_eq!(size("7090", Some(10), None, None), Ok(Small));
        assert!(matches!(size("7040", Some(10), None, None), Err(SizeError::NotCovered { .. })));
        assert!(matches!(size("70", Some(10), None, None), Err(SizeError::TooCoarse { .. })));
    }

    #[test]
    fn leasing_and_business_services() {
        assert_eq!(size("L", Some(300), None, Some(120_000.0)), Ok(Large));
        assert_eq!(size("7212", Some(300), None, Some(100.0)), Ok(Small));
        assert_eq!(size("7212", Some(300), None, Some(99.0)), Ok(Micro));
        assert_eq!(size("7212", Some(300), Some(1e9), None), Err(SizeError::Missing { indicator: "资产总额" }));
    }

    #[test]
    fn other_groups() {
        assert_eq!(size("A", None, Some(20000.0), None), Ok(Large));
        assert_eq!(size("0111", Some(10_000), Some(49.0), None), Ok(Micro));
        assert_eq!(size("E", None, Some(80000.0), Some(80000.0)), Ok(Large));
        assert_eq!(size("E", None, Some(80000.0), Some(5000.0)), Ok(Medium));
        assert_eq!(size("5411", Some(1000), Some(30000.0), None), Ok(Large));
        assert_eq!(SizeIndustry::of(&code("53")), Ok(SizeIndustry::Other));
        assert_eq!(SizeIndustry::of(&code("M")), Ok(SizeIndustry::Other));
        assert_eq!(SizeIndustry::of(&code("83")), Ok(SizeIndustry::Other));
        assert_eq!(SizeIndustry::of(&code("5910")), Ok(SizeIndustry::Transport));
        assert_eq!(SizeIndustry::of(&code("592")), Ok(SizeIndustry::Warehousing));
        assert_eq!(SizeIndustry::of(&code("5990")), Ok(SizeIndustry::Warehousing));
        assert_eq!(SizeIndustry::of(&code("60")), Ok(SizeIndustry::Postal));
        assert_eq!(SizeIndustry::of(&code("6110")), Ok(SizeIndustry::Accommodation));
        assert_eq!(SizeIndustry::of(&code("62")), Ok(SizeIndustry::Catering));
        assert_eq!(SizeIndustry::of(&code("64")), Ok(SizeIndustry::InformationTransmission));
    }

    #[test]
    fn finance_is_not_covered() {
        let err = size("J", Some(10), Some(10.0), Some(10.0)).unwrap_err();
        assert!(matches!(err, SizeError::NotCovered { .. }));
        assert!(err.to_string().contains("金融业"));
        assert!(matches!(size("6621", Some(10), None, None), Err(SizeError::NotCovered { .. })));
    }

    #[test]
    fn coarse_codes_are_refused() {
        for c in ["F", "G", "H", "I", "K", "59", "70"] {
            assert!(matches!(SizeIndustry::of(&code(c)), Err(SizeError::TooCoarse { .. })), "{c}");
        }
    }

    #[test]
    fn every_class_has_a_group_or_is_not_covered() {
        for e in industry::all().filter(|e| e.level == industry::IndustryLevel::Class) {
            match SizeIndustry::of(&code(e.code)) {
                Ok(_) => {}
                Err(SizeError::NotCovered { .. }) => {
                    assert!(e.section == 'J' || e.code == "7040", "{}", e.code)
                }
                Err(other) => panic!("{}: {other}", e.code),
            }
        }
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(size("C", Some(-1), Some(1.0), None), Err(SizeError::Negative { indicator: "从业人员" }));
        assert_eq!(size("C", Some(1), Some(-0.5), None), Err(SizeError::Negative { indicator: "营业收入" }));
        let err = size("C", Some(1), Some(1.0), Some(f64::NAN)).unwrap_err();
        assert_eq!(err, SizeError::NotFinite { indicator: "资产总额" });
        assert_eq!(err.to_string(), "资产总额不是有效的数值");
    }

    #[test]
    fn size_codes() {
        for s in EnterpriseSize::ALL {
            assert_eq!(EnterpriseSize::from_code(s.code()), Some(s));
        }
        assert_eq!(EnterpriseSize::from_code("huge"), None);
        assert_eq!(Large.label(), "大型");
        assert_eq!(Micro.to_string(), "微型");
    }

    #[test]
    fn above_scale() {
        assert!(is_above_scale(&code("C2614"), 20_000_000));
        assert!(!is_above_scale(&code("C2614"), 19_999_999));
        assert!(is_above_scale(&code("D"), i64::MAX));
        assert!(!is_above_scale(&code("5211"), 1_000_000_000));
    }

    /// One class per group, plus a few coarser codes.
    const SAMPLE: [&str; 17] = [
        "0111", "2614", "4710", "5111", "5211", "5411", "5920", "6010", "6110", "6210", "6311", "6513", "7010", "7020",
        "7111", "7320", "C",
    ];

    fn inputs() -> impl Strategy<Value = (usize, i64, f64, f64)> {
        (0..SAMPLE.len(), 0i64..3000, 0.0f64..300_000.0, 0.0f64..200_000.0)
    }

    fn optional_inputs() -> impl Strategy<Value = SizeInputs> {
        (
            proptest::option::of(0i64..3000),
            proptest::option::of(0.0f64..300_000.0),
            proptest::option::of(0.0f64..200_000.0),
        )
            .prop_map(|(employees, revenue_wan, assets_wan)| SizeInputs { employees, revenue_wan, assets_wan })
    }

    proptest! {
        #[test]
        fn classification_is_monotone(
            (i, employees, revenue, assets) in inputs(),
            which in 0..3usize,
            raise in 0.0f64..100_000.0,
        ) {
            let industry = code(SAMPLE[i]);
            let before = SizeInputs { employees: Some(employees), revenue_wan: Some(revenue), assets_wan: Some(assets) };
            let mut after = before;
            match which {
                0 => after.employees = Some(employees + raise as i64),
                1 => after.revenue_wan = Some(revenue + raise),
                _ => after.assets_wan = Some(assets + raise),
            }
            let a = classify(&industry, &before).unwrap();
            let b = classify(&industry, &after).unwrap();
            prop_assert!(rank(b) >= rank(a), "{industry}: {before:?} → {a:?}, {after:?} → {b:?}");
        }

        #[test]
        fn partial_inputs_only_ever_prove_micro(
            i in 0..SAMPLE.len(),
            partial in optional_inputs(),
            full in optional_inputs(),
        ) {
            let industry = code(SAMPLE[i]);
            let filled = SizeInputs {
                employees: partial.employees.or(full.employees).or(Some(0)),
                revenue_wan: partial.revenue_wan.or(full.revenue_wan).or(Some(0.0)),
                assets_wan: partial.assets_wan.or(full.assets_wan).or(Some(0.0)),
            };
            let complete = classify(&industry, &filled).unwrap();
            match classify(&industry, &partial) {
                Ok(size) => prop_assert_eq!(size, complete),
                Err(SizeError::Missing { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected {other}"),
            }
        }
    }
}
