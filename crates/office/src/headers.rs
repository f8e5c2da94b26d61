//! Mapping the column headers people write to the fields an import needs.
//!
//! Matching ignores spaces, full-/half-width forms, case, required-field stars (`*企业名称`)
//! and a trailing bracket (`营业收入（万元）`, `联系人(必填)`). A bracket holding a unit
//! that contradicts the unit a field is kept in (`营业收入（元）` for a field in 万元) is an
//! error rather than a silent factor of ten thousand.

use std::collections::HashMap;
use std::fmt;

use crate::text::half_width;

/// One field an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Stable key the application uses (`uscc`, `name` …).
    pub key: &'static str,
    /// The Chinese column name shown to users and used in messages.
    pub label: &'static str,
    pub required: bool,
    /// Other headers that mean the same field. A bracketed unit in an alias
    /// (`营业收入（万元）`) declares the unit the field is kept in.
    pub aliases: &'static [&'static str],
}

const USCC_ALIASES: &[&str] = &["信用代码", "社会信用代码", "统一代码", "纳税人识别号"];

/// Enterprise ledger files (统计局、税务局、区县报送的企业名单).
pub const ENTERPRISE_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "uscc", label: "统一社会信用代码", required: true, aliases: USCC_ALIASES },
    FieldSpec {
        key: "name",
        label: "企业名称",
        required: true,
        aliases: &["单位名称", "名称", "企业（单位）名称", "纳税人名称"],
    },
    FieldSpec {
        key: "region",
        label: "所属区县",
        required: true,
        aliases: &["区县", "县（市、区）", "所在地区", "所属地区", "县区", "区县代码", "行政区划代码"],
    },
    FieldSpec {
        key: "industry_code",
        label: "行业代码",
        required: true,
        aliases: &["国民经济行业代码", "行业小类代码", "行业分类代码", "国民经济行业分类代码"],
    },
    FieldSpec {
        key: "employees",
        label: "从业人员",
        required: false,
        aliases: &["从业人数", "年末从业人员", "从业人员期末人数", "从业人员（人）"],
    },
    FieldSpec { key: "revenue_wan", label: "营业收入", required: false, aliases: &["营业收入（万元）"] },
    FieldSpec {
        key: "assets_wan",
        label: "资产总额",
        required: false,
        aliases: &["资产总额（万元）", "资产总计", "资产总计（万元）"],
    },
    FieldSpec { key: "founded_on", label: "成立日期", required: false, aliases: &["成立时间", "注册日期"] },
    FieldSpec {
        key: "address",
        label: "地址",
        required: false,
        aliases: &["注册地址", "住所", "企业地址", "经营地址"],
    },
    FieldSpec { key: "contact_person", label: "联系人", required: false, aliases: &[] },
    FieldSpec {
        key: "contact_phone", label: "联系电话", required: false, aliases: &["电话", "手机", "联系方式"]
    },
    FieldSpec { key: "description", label: "简介", required: false, aliases: &["经营范围", "企业简介"] },
    FieldSpec { key: "park", label: "园区", required: false, aliases: &["所在园区", "所属园区"] },
];

/// Indicator values (one value of one indicator for one enterprise and period per row).
pub const INDICATOR_VALUE_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "uscc", label: "统一社会信用代码", required: true, aliases: USCC_ALIASES },
    FieldSpec { key: "name", label: "企业名称", required: false, aliases: &["单位名称"] },
    FieldSpec { key: "indicator", label: "指标", required: true, aliases: &["指标名称", "指标代码"] },
    FieldSpec { key: "year", label: "年份", required: true, aliases: &["年度"] },
    FieldSpec { key: "period", label: "月份", required: false, aliases: &["期别"] },
    FieldSpec { key: "value", label: "数值", required: true, aliases: &["值", "本期值"] },
    FieldSpec { key: "unit", label: "单位", required: false, aliases: &["计量单位"] },
    FieldSpec { key: "source", label: "来源", required: false, aliases: &["数据来源"] },
];

/// Honours (专精特新、高新技术企业 …) held by enterprises.
pub const HONOUR_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "uscc", label: "统一社会信用代码", required: true, aliases: USCC_ALIASES },
    FieldSpec { key: "name", label: "企业名称", required: false, aliases: &["单位名称"] },
    FieldSpec { key: "honour", label: "荣誉", required: true, aliases: &["荣誉名称", "称号", "荣誉称号"] },
    FieldSpec { key: "level", label: "级别", required: true, aliases: &["层级", "认定级别"] },
    FieldSpec { key: "year", label: "年份", required: true, aliases: &["认定年份", "认定年度"] },
    FieldSpec {
        key: "valid_until", label: "有效期至", required: false, aliases: &["有效期", "有效期截止"]
    },
];

/// Listing reserve pool files (上市后备企业资源库名单).
pub const RESERVE_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "uscc", label: "统一社会信用代码", required: true, aliases: USCC_ALIASES },
    FieldSpec { key: "name", label: "企业名称", required: false, aliases: &["单位名称"] },
    FieldSpec {
        key: "stage",
        label: "阶段",
        required: true,
        aliases: &["所处阶段", "上市进程", "上市阶段", "培育阶段"],
    },
    FieldSpec {
        key: "board", label: "拟上市板块", required: true, aliases: &["上市板块", "板块", "拟上市地"]
    },
    FieldSpec { key: "kind", label: "类型", required: false, aliases: &["入库类型", "后备类型"] },
    FieldSpec {
        key: "since", label: "入库日期", required: false, aliases: &["入库时间", "纳入时间", "入库年月"]
    },
    FieldSpec { key: "note", label: "备注", required: false, aliases: &["说明", "情况说明"] },
];

/// Headers that are silently ignored (row numbering columns).
const IGNORED: &[&str] = &["序号", "编号", "no", "no."];
/// Bracket contents that are units; others (`必填`, `市、区`) are just part of the header.
const UNITS: &[&str] = &[
    "元",
    "万元",
    "亿元",
    "千元",
    "百万元",
    "人",
    "万人",
    "个",
    "项",
    "件",
    "%",
    "吨",
    "万吨",
    "千瓦时",
    "万千瓦时",
    "吨标准煤",
    "万美元",
    "美元",
    "平方米",
    "亩",
];

/// Which column holds each field, plus the headers nobody asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    columns: Vec<(&'static str, usize)>,
    /// Headers that match no field: warnings for the mapping step, not errors.
    pub unknown: Vec<String>,
}

impl HeaderMap {
    /// The 0-based column of a field, if the file has it.
    pub fn index(&self, key: &str) -> Option<usize> {
        self.columns.iter().find(|(k, _)| *k == key).map(|(_, i)| *i)
    }

    /// The cell of a field in a row: `None` when the file has no such column.
    pub fn get<'r>(&self, cells: &'r [String], key: &str) -> Option<&'r str> {
        self.index(key).and_then(|i| cells.get(i)).map(String::as_str)
    }

    /// (field key, column) pairs, in column order.
    pub fn columns(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.columns.iter().copied()
    }

    /// The unknown headers as user-facing warnings.
    pub fn warnings(&self) -> Vec<String> {
        self.unknown.iter().map(|h| format!("未识别的列“{h}”，导入时将忽略")).collect()
    }
}

/// One reason the headers cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not one header matches any field: probably a title row or no header at all.
    Unrecognised,
    Missing {
        labels: Vec<&'static str>,
    },
    Duplicate {
        label: &'static str,
        headers: Vec<String>,
    },
    UnitMismatch {
        header: String,
        expected: Vec<&'static str>,
    },
    /// The mapping step named a field key that does not exist.
    UnknownField {
        header: String,
        key: String,
    },
}

impl fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderProblem::Unrecognised => write!(f, "无法识别表头，请检查第一行是否为列名"),
            HeaderProblem::Missing { labels } => write!(f, "缺少必填列：{}", labels.join("、")),
            HeaderProblem::Duplicate { label, headers } => {
                write!(f, "列“{}”都对应字段“{label}”，请只保留一列或在列映射中指定", headers.join("”和“"))
            }
            HeaderProblem::UnitMismatch { header, expected } => {
                write!(f, "列“{header}”的单位与要求的“{}”不一致，请换算后再导入", expected.join("”或“"))
            }
            HeaderProblem::UnknownField { header, key } => {
                write!(f, "列“{header}”映射到的字段“{key}”不存在")
            }
        }
    }
}

/// Everything wrong with a header row, all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub problems: Vec<HeaderProblem>,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("；"))
    }
}

impl std::error::Error for HeaderError {}

/// Maps each header to a field. `overrides` (header text → field key, from the UI's mapping
/// step) win over automatic matching; an override to `""` ignores that column.
pub fn map_headers(
    headers: &[String],
    specs: &[FieldSpec],
    overrides: &HashMap<String, String>,
) -> Result<HeaderMap, HeaderError> {
    let overrides: HashMap<String, &str> = overrides.iter().map(|(h, k)| (normalize(h), k.as_str())).collect();
    let mut problems = Vec::new();
    let mut map = HeaderMap::default();
    for (i, header) in headers.iter().enumerate() {
        let n = normalize(header);
        if n.is_empty() {
            continue;
        }
        if let Some(&key) = overrides.get(&n) {
            if key.is_empty() {
                continue;
            }
            match specs.iter().find(|s| s.key == key) {
                Some(spec) => map.columns.push((spec.key, i)),
                None => problems.push(HeaderProblem::UnknownField { header: header.clone(), key: key.to_owned() }),
            }
            continue;
        }
        if IGNORED.contains(&n.as_str()) {
            continue;
        }
        match match_spec(&n, specs) {
            Some(spec) => {
                if let Some(problem) = unit_problem(header, &n, spec) {
                    problems.push(problem);
                }
                map.columns.push((spec.key, i));
            }
            None => map.unknown.push(header.clone()),
        }
    }
    if map.columns.is_empty() && problems.is_empty() {
        return Err(HeaderError { problems: vec![HeaderProblem::Unrecognised] });
    }
    for spec in specs {
        let cols: Vec<usize> = map.columns.iter().filter(|(k, _)| *k == spec.key).map(|(_, i)| *i).collect();
        if cols.len() > 1 {
            problems.push(HeaderProblem::Duplicate {
                label: spec.label,
                headers: cols.iter().map(|&i| headers[i].clone()).collect(),
            });
        }
    }
    let missing: Vec<&'static str> =
        specs.iter().filter(|s| s.required && map.index(s.key).is_none()).map(|s| s.label).collect();
    if !missing.is_empty() {
        problems.push(HeaderProblem::Missing { labels: missing });
    }
    if problems.is_empty() { Ok(map) } else { Err(HeaderError { problems }) }
}

fn candidates(spec: &FieldSpec) -> impl Iterator<Item = &'static str> {
    [spec.key, spec.label].into_iter().chain(spec.aliases.iter().copied())
}

/// An exact (normalised) match first; then a match of the header with its trailing bracket
/// removed against the names with theirs removed.
fn match_spec<'s>(n: &str, specs: &'s [FieldSpec]) -> Option<&'s FieldSpec> {
    specs.iter().find(|s| candidates(s).any(|c| normalize(c) == n)).or_else(|| {
        let (base, _) = split_bracket(n);
        specs.iter().find(|s| {
            candidates(s).any(|c| {
                let c = normalize(c);
                split_bracket(&c).0 == base
            })
        })
    })
}

/// A header whose bracket holds a unit the field is not kept in.
fn unit_problem(header: &str, n: &str, spec: &FieldSpec) -> Option<HeaderProblem> {
    let (_, unit) = split_bracket(n);
    let unit = unit.filter(|u| UNITS.contains(u))?;
    let expected: Vec<&'static str> = spec
        .aliases
        .iter()
        .filter_map(|a| {
            let a = normalize(a);
            let u = split_bracket(&a).1?;
            UNITS.iter().copied().find(|known| *known == u)
        })
        .collect();
    (!expected.is_empty() && !expected.contains(&unit))
        .then(|| HeaderProblem::UnitMismatch { header: header.to_owned(), expected })
}

/// Half-width, lower case, no whitespace, no required-field stars or trailing colon, all
/// bracket shapes as `(` `)`.
fn normalize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '\u{FEFF}' | '\u{200B}'))
        .map(|c| match c {
            '[' | '【' | '〔' | '〖' => '(',
            ']' | '】' | '〕' | '〗' => ')',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect();
    while out.ends_with(':') || out.ends_with('：') {
        out.pop();
    }
    out
}

/// `营业收入(万元)` → (`营业收入`, Some(`万元`)). Without a trailing bracket, or when nothing
/// would remain before it, the whole text is the base.
fn split_bracket(n: &str) -> (&str, Option<&str>) {
    if let Some(inner) = n.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
        && open > 0
    {
        return (&n[..open], Some(&inner[open + 1..]));
    }
    (n, None)
}
