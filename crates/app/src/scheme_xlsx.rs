//! A scheme's indicator tree as a workbook, so that the office defines and revises schemes in
//! Excel: the sheet 指标体系 has one row per indicator (its dimension, code, name, direction,
//! quantitative source or qualitative scale with the guidance per level, missing-value rule
//! and, for given weights, its weight); sheets 判断矩阵1, 判断矩阵2 … hold the experts' AHP
//! pairwise matrices. The weighting, method and normalisation are chosen on the form. A
//! scheme's current version downloads in the same layout, so a revision is: download, edit,
//! upload as a new version.

use std::collections::HashMap;

use crate::account::Principal;
use crate::eval::{Method, Weighting};
use crate::scheme::{Dimension, IndicatorDef, Level, Measure, Missing, NewScheme, SchemeDef, Source};
use crate::{App, AppError, FieldError, Result};
use domain::eval::{Kind, Normalization};
use office::{CellOut, CellValue, Limits, SheetOut};

pub const SHEET: &str = "指标体系";
const HEADERS: [&str; 13] = [
    "维度编码",
    "维度名称",
    "指标编码",
    "指标名称",
    "方向",
    "类型",
    "数据来源",
    "企业库指标",
    "分母指标",
    "缺失值处理",
    "满分",
    "分档说明",
    "权重",
];

fn source_kind(s: &Source) -> &'static str {
    match s {
        Source::Indicator { .. } => "年度值",
        Source::Growth { .. } => "增长率",
        Source::ChainShare { .. } => "占全链比重",
        Source::Ratio { .. } => "比值",
        Source::LocalPartners => "本地配套企业数",
        Source::LocalPurchase => "本地采购额",
        Source::Honours => "荣誉数",
    }
}

fn missing_word(m: Missing) -> &'static str {
    match m {
        Missing::Exclude => "不参评",
        Missing::Zero => "按0计",
        Missing::Mean => "按均值计",
        Missing::Min => "按最小值计",
    }
}

/// The weighting as the form's choice: entropy, entropy-shift, critic, equal, given, ahp.
pub fn weighting_choice(w: &Weighting) -> &'static str {
    match w {
        Weighting::Entropy { shift: false } => "entropy",
        Weighting::Entropy { shift: true } => "entropy-shift",
        Weighting::Critic => "critic",
        Weighting::Equal => "equal",
        Weighting::Given(_) => "given",
        Weighting::Ahp { .. } => "ahp",
    }
}

/// The template's example tree: two quantitative indicators bound to the ledger and one
/// expert-scored, entropy weights, TOPSIS.
pub fn template_definition() -> SchemeDef {
    let quant = |code: &str, name: &str, source: Source, missing: Missing| IndicatorDef {
        code: code.into(),
        name: name.into(),
        direction: Kind::Benefit,
        measure: Measure::Quantitative { source, missing },
    };
    SchemeDef {
        dimensions: vec![
            Dimension {
                code: "position".into(),
                name: "产业地位".into(),
                indicators: vec![
                    quant("output", "工业总产值", Source::Indicator { code: "output_value".into() }, Missing::Zero),
                    quant("output_growth", "产值增速", Source::Growth { code: "output_value".into() }, Missing::Zero),
                ],
            },
            Dimension {
                code: "innovation".into(),
                name: "创新能力".into(),
                indicators: vec![
                    quant(
                        "rd_intensity",
                        "研发投入强度",
                        Source::Ratio { numerator: "rd_expense".into(), denominator: "revenue".into() },
                        Missing::Min,
                    ),
                    IndicatorDef {
                        code: "tech_level".into(),
                        name: "技术水平（专家评分）".into(),
                        direction: Kind::Benefit,
                        measure: Measure::Qualitative {
                            scale_max: 10.0,
                            levels: vec![
                                Level {
                                    score: 10.0, guidance: "主导产品技术国内领先，掌握核心专利".into()
                                },
                                Level { score: 7.0, guidance: "技术省内先进，有自主研发平台".into() },
                                Level { score: 4.0, guidance: "技术行业一般水平".into() },
                            ],
                        },
                    },
                ],
            },
            Dimension {
                code: "integration".into(),
                name: "链群带动".into(),
                indicators: vec![quant("local_partners", "本地配套企业数", Source::LocalPartners, Missing::Zero)],
            },
        ],
        weighting: Weighting::Entropy { shift: true },
        method: Method::Topsis,
        normalization: Normalization::Vector,
    }
}

/// A definition as the workbook the upload reads.
pub fn definition_xlsx(def: &SchemeDef) -> Result<Vec<u8>> {
    let weights = match &def.weighting {
        Weighting::Given(w) => Some(w.clone()),
        _ => None,
    };
    let mut rows = Vec::new();
    let mut k = 0;
    for d in &def.dimensions {
        for i in &d.indicators {
            let mut row: Vec<CellOut> = vec![
                d.code.clone().into(),
                d.name.clone().into(),
                i.code.clone().into(),
                i.name.clone().into(),
                if i.direction == Kind::Benefit { "正向" } else { "负向" }.into(),
            ];
            match &i.measure {
                Measure::Quantitative { source, missing } => {
                    let (a, b) = match source {
                        Source::Indicator { code } | Source::Growth { code } | Source::ChainShare { code } => {
                            (code.clone(), String::new())
                        }
                        Source::Ratio { numerator, denominator } => (numerator.clone(), denominator.clone()),
                        _ => (String::new(), String::new()),
                    };
                    row.extend([
                        "定量".into(),
                        source_kind(source).into(),
                        a.into(),
                        b.into(),
                        missing_word(*missing).into(),
                        CellOut::Empty,
                        CellOut::Empty,
                    ]);
                }
                Measure::Qualitative { scale_max, levels } => {
                    let text =
                        levels.iter().map(|l| format!("{}:{}", l.score, l.guidance)).collect::<Vec<_>>().join("；");
                    row.extend([
                        "定性".into(),
                        CellOut::Empty,
                        CellOut::Empty,
                        CellOut::Empty,
                        CellOut::Empty,
                        CellOut::Number(*scale_max),
                        text.into(),
                    ]);
                }
            }
            row.push(weights.as_ref().and_then(|w| w.get(k)).map_or(CellOut::Empty, |w| CellOut::Number(*w)));
            rows.push(row);
            k += 1;
        }
    }
    let help: Vec<Vec<CellOut>> = [
        ("维度编码/维度名称", "同一维度的连续各行可只在第一行填写（合并单元格亦可）"),
        ("指标编码", "字母、数字或下划线，方案内不重复"),
        ("方向", "正向（越大越好）或负向（越小越好）"),
        ("类型", "定量（从企业库取数）或定性（专家评分）"),
        (
            "数据来源",
            "定量指标填写：年度值、增长率、占全链比重、比值、本地配套企业数、本地采购额、荣誉数；前四项须填写“企业库指标”（指标代码或名称），比值还须填写“分母指标”",
        ),
        ("缺失值处理", "不参评、按0计、按均值计、按最小值计（默认不参评）"),
        ("满分/分档说明", "定性指标填写，分档说明如“10:国内领先；7:省内先进；4:行业一般”"),
        ("权重", "赋权方法选“给定权重”时填写，自动按和为 1 缩放"),
        ("判断矩阵1、判断矩阵2…", "赋权方法选“层次分析法”时，每位专家一个工作表：首行、首列为指标编码，其余为两两比较的标度（可写 1/3）"),
    ]
    .into_iter()
    .map(|(a, b)| vec![a.into(), b.into()])
    .collect();
    let mut sheets = vec![
        SheetOut { name: SHEET.into(), headers: HEADERS.map(String::from).to_vec(), rows },
        SheetOut { name: "填写说明".into(), headers: vec!["列".into(), "说明".into()], rows: help },
    ];
    if let Weighting::Ahp { matrices, .. } = &def.weighting {
        let codes: Vec<String> = def.indicators().map(|i| i.code.clone()).collect();
        for (e, a) in matrices.iter().enumerate() {
            let mut headers = vec![String::new()];
            headers.extend(codes.iter().cloned());
            let rows = a
                .iter()
                .zip(&codes)
                .map(|(r, c)| {
                    let mut row: Vec<CellOut> = vec![c.clone().into()];
                    row.extend(r.iter().map(|x| CellOut::Number(*x)));
                    row
                })
                .collect();
            sheets.push(SheetOut { name: format!("判断矩阵{}", e + 1), headers, rows });
        }
    }
    office::write_xlsx_sheets(sheets).map_err(|e| AppError::Internal(e.to_string()))
}

fn err(line: usize, msg: String) -> FieldError {
    FieldError::new("file", format!("“{SHEET}”第 {line} 行：{msg}"))
}

fn parse_missing(s: &str) -> Option<Missing> {
    Some(match s.replace(' ', "").as_str() {
        "" | "不参评" | "exclude" => Missing::Exclude,
        "按0计" | "按零计" | "0" | "zero" => Missing::Zero,
        "按均值计" | "均值" | "mean" => Missing::Mean,
        "按最小值计" | "最小值" | "min" => Missing::Min,
        _ => return None,
    })
}

/// Levels like `10:国内领先；7:省内先进` (also full-width colons, `;`, new lines).
fn parse_levels(s: &str) -> std::result::Result<Vec<Level>, String> {
    let mut out = Vec::new();
    for part in s.split(['；', ';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (score, guidance) = part.split_once([':', '：']).ok_or_else(|| format!("分档“{part}”应写成“分值:说明”"))?;
        let score = crate::eval::parse_number(score).ok_or_else(|| format!("分档“{part}”的分值不是数值"))?;
        out.push(Level { score, guidance: guidance.trim().to_string() });
    }
    Ok(out)
}

/// A definition from the workbook, with the weighting, method and normalisation chosen on
/// the form. Every problem is named by row; the catalogue maps indicator names to codes.
pub fn read_definition_xlsx(
    bytes: &[u8],
    file_name: &str,
    weighting: &str,
    method: &str,
    normalization: &str,
    catalogue: &[(String, String)],
) -> Result<SchemeDef> {
    let limits = Limits { max_bytes: 5 * 1024 * 1024, max_rows: 1000, ..Limits::default() };
    let sheets = office::read_workbook(bytes, file_name, &limits).map_err(|e| AppError::invalid("file", e))?;
    let sheet = sheets
        .iter()
        .find(|s| s.name == SHEET)
        .ok_or_else(|| AppError::invalid("file", format!("文件中没有名为“{SHEET}”的工作表，请先下载模板")))?;
    let t = &sheet.table;
    let col = |h: &str| t.headers.iter().position(|x| x == h);
    let mut errors = Vec::new();
    let idx: HashMap<&str, Option<usize>> = HEADERS.iter().map(|h| (*h, col(h))).collect();
    for h in ["指标编码", "指标名称", "类型"] {
        if idx[h].is_none() {
            errors.push(FieldError::new("file", format!("“{SHEET}”缺少“{h}”列")));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let by_name: HashMap<&str, &str> = catalogue.iter().map(|(c, n)| (n.as_str(), c.as_str())).collect();
    let indicator_code = |s: &str| -> String { by_name.get(s).map_or_else(|| s.to_string(), |c| c.to_string()) };
    let mut dims: Vec<Dimension> = Vec::new();
    let mut weights = Vec::new();
    let (mut dim_code, mut dim_name) = (String::new(), String::new());
    for row in &t.rows {
        let get = |h: &str| idx[h].and_then(|i| row.cells.get(i)).map(|s| s.trim()).unwrap_or("");
        let line = row.line;
        if !get("维度编码").is_empty() || !get("维度名称").is_empty() {
            dim_code = get("维度编码").to_string();
            dim_name = get("维度名称").to_string();
            if dim_code.is_empty() {
                dim_code = dim_name.clone();
            }
            if dim_name.is_empty() {
                dim_name = dim_code.clone();
            }
        }
        if dim_code.is_empty() {
            errors.push(err(line, "缺少维度（第一个指标所在行须填写维度编码或名称）".into()));
            continue;
        }
        let direction = match get("方向") {
            "" | "正向" | "b" | "benefit" | "+" => Kind::Benefit,
            "负向" | "c" | "cost" | "-" => Kind::Cost,
            other => {
                errors.push(err(line, format!("方向“{other}”应为正向或负向")));
                continue;
            }
        };
        let measure = match get("类型") {
            "定量" => {
                let a = indicator_code(get("企业库指标"));
                let b = indicator_code(get("分母指标"));
                let need = |x: &str, what: &str| -> std::result::Result<String, String> {
                    if x.is_empty() {
                        Err(format!("数据来源为“{}”时须填写“{what}”", get("数据来源")))
                    } else {
                        Ok(x.to_string())
                    }
                };
                let source = match get("数据来源") {
                    "年度值" | "" => need(&a, "企业库指标").map(|code| Source::Indicator { code }),
                    "增长率" => need(&a, "企业库指标").map(|code| Source::Growth { code }),
                    "占全链比重" => need(&a, "企业库指标").map(|code| Source::ChainShare { code }),
                    "比值" => need(&a, "企业库指标")
                        .and_then(|n| need(&b, "分母指标").map(|d| Source::Ratio { numerator: n, denominator: d })),
                    "本地配套企业数" => Ok(Source::LocalPartners),
                    "本地采购额" => Ok(Source::LocalPurchase),
                    "荣誉数" => Ok(Source::Honours),
                    other => Err(format!(
                        "数据来源“{other}”应为年度值、增长率、占全链比重、比值、本地配套企业数、本地采购额或荣誉数"
                    )),
                };
                let missing = parse_missing(get("缺失值处理"));
                match (source, missing) {
                    (Ok(source), Some(missing)) => Measure::Quantitative { source, missing },
                    (Err(e), _) => {
                        errors.push(err(line, e));
                        continue;
                    }
                    (_, None) => {
                        errors.push(err(
                            line,
                            format!("缺失值处理“{}”应为不参评、按0计、按均值计或按最小值计", get("缺失值处理")),
                        ));
                        continue;
                    }
                }
            }
            "定性" => {
                let Some(scale_max) = crate::eval::parse_number(get("满分")) else {
                    errors.push(err(line, format!("定性指标的满分“{}”不是数值", get("满分"))));
                    continue;
                };
                match parse_levels(get("分档说明")) {
                    Ok(levels) => Measure::Qualitative { scale_max, levels },
                    Err(e) => {
                        errors.push(err(line, e));
                        continue;
                    }
                }
            }
            other => {
                errors.push(err(line, format!("类型“{other}”应为定量或定性")));
                continue;
            }
        };
        let w = get("权重");
        if !w.is_empty() {
            match crate::eval::parse_number(w) {
                Some(v) => weights.push(Some(v)),
                None => {
                    errors.push(err(line, format!("权重“{w}”不是数值")));
                    continue;
                }
            }
        } else {
            weights.push(None);
        }
        let ind =
            IndicatorDef {
                code: get("指标编码").to_string(), name: get("指标名称").to_string(), direction, measure
            };
        // A dimension's rows stay together: weights and pairwise matrices follow the rows' order.
        let last = dims.last().is_some_and(|d| d.code == dim_code);
        if last {
            if let Some(d) = dims.last_mut() {
                d.indicators.push(ind);
            }
        } else if dims.iter().any(|d| d.code == dim_code) {
            errors.push(err(line, format!("维度“{dim_name}”的指标应连续排列（权重和判断矩阵按行序对应指标）")));
        } else {
            dims.push(Dimension { code: dim_code.clone(), name: dim_name.clone(), indicators: vec![ind] });
        }
    }
    if t.rows.is_empty() {
        errors.push(FieldError::new("file", format!("“{SHEET}”没有指标")));
    }
    let weighting = match weighting.trim() {
        "entropy" => Weighting::Entropy { shift: false },
        "entropy-shift" => Weighting::Entropy { shift: true },
        "critic" => Weighting::Critic,
        "equal" => Weighting::Equal,
        "given" => {
            if weights.iter().any(Option::is_none) {
                errors.push(FieldError::new("weighting", "赋权方法为给定权重时，每个指标都须填写“权重”"));
            }
            Weighting::Given(weights.iter().map(|w| w.unwrap_or(0.0)).collect())
        }
        "ahp" => {
            let mut matrices = Vec::new();
            for s in sheets.iter().filter(|s| s.name.starts_with("判断矩阵")) {
                let cells = office::read_sheet_values(bytes, file_name, Some(&s.name), &limits)
                    .map_err(|e| AppError::invalid("file", e))?;
                let mut text = String::new();
                for (_, row) in cells {
                    let line: Vec<String> = row
                        .iter()
                        .map(|c| match c {
                            CellValue::Empty => String::new(),
                            CellValue::Number(x) => x.to_string(),
                            CellValue::Text(t) => office::csv_escape_cell(t).into_owned(),
                        })
                        .collect();
                    text.push_str(&line.join(","));
                    text.push('\n');
                }
                // Labelled rows must name the indicators in the sheet's order.
                let codes: Vec<&str> = dims.iter().flat_map(|d| d.indicators.iter().map(|i| i.code.as_str())).collect();
                let labels: Vec<String> = text
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split(',').next().map(|c| c.trim().to_string()))
                    .filter(|c| !c.is_empty() && crate::eval::parse_number(c).is_none())
                    .collect();
                if !labels.is_empty() && labels != codes {
                    errors.push(FieldError::new(
                        "file",
                        format!("工作表“{}”的行应依次为指标 {}（与“{SHEET}”的顺序一致）", s.name, codes.join("、")),
                    ));
                    continue;
                }
                match crate::eval::read_pairwise_csv(text.as_bytes()) {
                    Ok(a) => matrices.push(a),
                    Err(e) => errors.push(FieldError::new("file", format!("工作表“{}”：{}", s.name, e.user_message()))),
                }
            }
            if matrices.is_empty() {
                errors.push(FieldError::new("weighting", "赋权方法为层次分析法时，须有“判断矩阵1”等工作表"));
            }
            Weighting::Ahp { matrices, override_reason: None }
        }
        other => {
            errors.push(FieldError::new("weighting", format!("赋权方法“{other}”无效")));
            Weighting::Equal
        }
    };
    let method = match method.trim() {
        "" => Method::Topsis,
        m => Method::parse(m).unwrap_or_else(|| {
            errors.push(FieldError::new("method", "计算方法应为 TOPSIS 或加权求和"));
            Method::Topsis
        }),
    };
    let normalization = match normalization.trim() {
        "" | "vector" => Normalization::Vector,
        "minmax" => Normalization::MinMax,
        _ => {
            errors.push(FieldError::new("normalization", "标准化方法应为向量标准化或极差标准化"));
            Normalization::Vector
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(SchemeDef { dimensions: dims, weighting, method, normalization })
}

/// What the scheme upload form carries besides the file.
#[derive(Clone, Debug, Default)]
pub struct SchemeUpload {
    pub weighting: String,
    pub method: String,
    pub normalization: String,
    /// The reason for accepting an AHP consistency ratio of 0.1 or more.
    pub cr_override: String,
    pub note: String,
}

impl App {
    async fn definition_from_upload(&self, bytes: &[u8], file_name: &str, u: &SchemeUpload) -> Result<SchemeDef> {
        let catalogue: Vec<(String, String)> =
            store::indicator::catalogue(&self.db).await?.into_iter().map(|i| (i.code, i.name)).collect();
        let mut def = read_definition_xlsx(bytes, file_name, &u.weighting, &u.method, &u.normalization, &catalogue)?;
        if let Weighting::Ahp { override_reason, .. } = &mut def.weighting {
            let r = u.cr_override.trim();
            *override_reason = (!r.is_empty()).then(|| r.to_string());
        }
        Ok(def)
    }

    /// A new scheme from the workbook (the office; validated and audited as [`App::create_scheme`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_scheme_from_xlsx(
        &self,
        p: &Principal,
        code: &str,
        name: &str,
        target: &str,
        chain: Option<String>,
        bytes: &[u8],
        file_name: &str,
        u: &SchemeUpload,
    ) -> Result<i64> {
        if !p.has(domain::role::Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以制定评价方案".into()));
        }
        let definition = self.definition_from_upload(bytes, file_name, u).await?;
        let s = NewScheme {
            code: code.trim().to_string(),
            name: name.trim().to_string(),
            target: target.trim().to_string(),
            chain,
            definition,
            note: u.note.clone(),
        };
        self.create_scheme(p, &s).await
    }

    /// A new version of a scheme from the workbook (the office).
    pub async fn add_scheme_version_from_xlsx(
        &self,
        p: &Principal,
        scheme_id: i64,
        bytes: &[u8],
        file_name: &str,
        u: &SchemeUpload,
    ) -> Result<i64> {
        if !p.has(domain::role::Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以制定评价方案".into()));
        }
        let def = self.definition_from_upload(bytes, file_name, u).await?;
        self.add_scheme_version(p, scheme_id, &def, &u.note).await
    }

    /// A scheme version's definition as the workbook (any reader of schemes).
    pub async fn scheme_xlsx(&self, p: &Principal, scheme_id: i64, version: Option<i64>) -> Result<Vec<u8>> {
        let view = self.scheme(p, scheme_id).await?;
        let v = match version {
            Some(n) => view.versions.iter().find(|v| v.version == n),
            None => view.versions.first(),
        }
        .ok_or(AppError::NotFound)?;
        definition_xlsx(&v.definition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(weighting: Weighting) -> SchemeDef {
        SchemeDef {
            dimensions: vec![
                Dimension {
                    code: "position".into(),
                    name: "产业地位".into(),
                    indicators: vec![
                        IndicatorDef {
                            code: "rev".into(),
                            name: "营业收入".into(),
                            direction: Kind::Benefit,
                            measure: Measure::Quantitative {
                                source: Source::Indicator { code: "revenue".into() },
                                missing: Missing::Exclude,
                            },
                        },
                        IndicatorDef {
                            code: "rd_int".into(),
                            name: "研发强度".into(),
                            direction: Kind::Benefit,
                            measure: Measure::Quantitative {
                                source: Source::Ratio { numerator: "rd_expense".into(), denominator: "revenue".into() },
                                missing: Missing::Mean,
                            },
                        },
                    ],
                },
                Dimension {
                    code: "tech".into(),
                    name: "技术".into(),
                    indicators: vec![
                        IndicatorDef {
                            code: "energy".into(),
                            name: "单位能耗".into(),
                            direction: Kind::Cost,
                            measure: Measure::Quantitative { source: Source::Honours, missing: Missing::Zero },
                        },
                        IndicatorDef {
                            code: "level".into(),
                            name: "技术水平".into(),
                            direction: Kind::Benefit,
                            measure: Measure::Qualitative {
                                scale_max: 10.0,
                                levels: vec![
                                    Level { score: 10.0, guidance: "国内领先".into() },
                                    Level { score: 6.5, guidance: "省内先进".into() },
                                ],
                            },
                        },
                    ],
                },
            ],
            weighting,
            method: Method::Wsum,
            normalization: Normalization::MinMax,
        }
    }

    fn read(bytes: &[u8], w: &str) -> Result<SchemeDef> {
        let cat = vec![("revenue".to_string(), "营业收入".to_string())];
        read_definition_xlsx(bytes, "s.xlsx", w, "wsum", "minmax", &cat)
    }

    #[test]
    fn a_definition_round_trips_through_its_workbook() {
        for w in [
            Weighting::Given(vec![0.4, 0.3, 0.2, 0.1]),
            Weighting::Critic,
            Weighting::Ahp {
                matrices: vec![
                    vec![
                        vec![1.0, 2.0, 3.0, 4.0],
                        vec![0.5, 1.0, 2.0, 3.0],
                        vec![1.0 / 3.0, 0.5, 1.0, 2.0],
                        vec![0.25, 1.0 / 3.0, 0.5, 1.0],
                    ];
                    2
                ],
                override_reason: None,
            },
        ] {
            let d = def(w.clone());
            let bytes = definition_xlsx(&d).expect("xlsx");
            let back = read(&bytes, weighting_choice(&w)).expect("read");
            assert_eq!(back, d);
        }
    }

    #[test]
    fn bad_rows_are_named() {
        let sheet = |rows: Vec<Vec<&str>>| {
            office::write_xlsx_sheets(vec![SheetOut {
                name: SHEET.into(),
                headers: HEADERS.map(String::from).to_vec(),
                rows: rows.into_iter().map(|r| r.into_iter().map(CellOut::from).collect()).collect(),
            }])
            .expect("xlsx")
        };
        let msg = |r: Result<SchemeDef>| match r {
            Err(AppError::Invalid(e)) => e.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join("|"),
            other => panic!("{other:?}"),
        };
        // Names of ledger indicators are taken for codes; blank dimension cells continue the one above.
        let ok = sheet(vec![
            vec!["p", "地位", "a", "营收", "正向", "定量", "年度值", "营业收入", "", "按0计", "", "", ""],
            vec!["", "", "b", "技术", "", "定性", "", "", "", "", "10", "10:领先；5：一般", ""],
        ]);
        let d = read(&ok, "equal").expect("ok");
        assert_eq!(d.dimensions.len(), 1);
        assert_eq!(d.dimensions[0].indicators.len(), 2);
        assert_eq!(
            d.dimensions[0].indicators[0].measure,
            Measure::Quantitative { source: Source::Indicator { code: "revenue".into() }, missing: Missing::Zero }
        );
        let bad = sheet(vec![
            vec!["p", "地位", "a", "营收", "向上", "定量", "年度值", "revenue", "", "", "", "", ""],
            vec!["", "", "b", "比", "正向", "定量", "比值", "revenue", "", "", "", "", ""],
            vec!["", "", "c", "技术", "正向", "定性", "", "", "", "", "十", "", ""],
            vec!["", "", "d", "技术", "正向", "定性", "", "", "", "", "10", "很好", ""],
            vec!["", "", "e", "x", "正向", "其他", "", "", "", "", "", "", ""],
        ]);
        let m = msg(read(&bad, "given"));
        assert!(m.contains("第 2 行：方向“向上”"), "{m}");
        assert!(m.contains("第 3 行：数据来源为“比值”时须填写“分母指标”"), "{m}");
        assert!(m.contains("第 4 行：定性指标的满分“十”不是数值"), "{m}");
        assert!(m.contains("第 5 行：分档“很好”应写成“分值:说明”"), "{m}");
        assert!(m.contains("第 6 行：类型“其他”"), "{m}");
        assert!(msg(read(&ok, "given")).contains("每个指标都须填写“权重”"));
        assert!(msg(read(&ok, "ahp")).contains("判断矩阵1"));
        let split = sheet(vec![
            vec!["p", "地位", "a", "营收", "正向", "定量", "年度值", "revenue", "", "", "", "", "0.5"],
            vec!["q", "创新", "b", "专利", "正向", "定量", "年度值", "revenue", "", "", "", "", "0.3"],
            vec!["p", "地位", "c", "税收", "正向", "定量", "年度值", "revenue", "", "", "", "", "0.2"],
        ]);
        assert!(msg(read(&split, "given")).contains("第 4 行：维度“地位”的指标应连续排列"));
        // AHP rows in another order than the indicators: refused, not silently misassigned.
        let ahp = Weighting::Ahp {
            matrices: vec![vec![
                vec![1.0, 2.0, 3.0, 4.0],
                vec![0.5, 1.0, 2.0, 3.0],
                vec![1.0 / 3.0, 0.5, 1.0, 2.0],
                vec![0.25, 1.0 / 3.0, 0.5, 1.0],
            ]],
            override_reason: None,
        };
        let mut d = def(ahp.clone());
        d.dimensions.swap(0, 1);
        // The swapped tree with the original matrix (whose labels follow the original order).
        let mut m = d.clone();
        if let Weighting::Ahp { matrices, .. } = &mut m.weighting {
            matrices.truncate(1);
        }
        let bytes = definition_xlsx(&m).expect("xlsx");
        // definition_xlsx labels the matrix by the (swapped) tree's codes; rename them back to the
        // original order by writing the original tree's matrix sheet under the swapped tree.
        let original = definition_xlsx(&def(ahp)).expect("xlsx");
        let pick = |b: &[u8], name: &str| {
            office::read_workbook(b, "s.xlsx", &Limits::default())
                .expect("read")
                .into_iter()
                .find(|s| s.name == name)
                .expect("sheet")
        };
        let to_out = |s: office::Sheet| SheetOut {
            name: s.name,
            headers: s.table.headers,
            rows: s
                .table
                .rows
                .into_iter()
                .map(|r| {
                    r.cells.into_iter().map(|c| c.parse::<f64>().map_or(CellOut::Text(c), CellOut::Number)).collect()
                })
                .collect(),
        };
        let mixed = office::write_xlsx_sheets(vec![to_out(pick(&bytes, SHEET)), to_out(pick(&original, "判断矩阵1"))])
            .expect("xlsx");
        let m = msg(read(&mixed, "ahp"));
        assert!(m.contains("与“指标体系”的顺序一致"), "{m}");
        assert!(
            msg(read(b"not a workbook", "equal")).contains("xlsx")
                || msg(read(b"not a workbook", "equal")).contains("文件")
        );
        let other = office::write_xlsx_sheets(vec![SheetOut {
            name: "Sheet1".into(),
            headers: vec!["a".into()],
            rows: vec![],
        }])
        .expect("xlsx");
        assert!(msg(read(&other, "equal")).contains("没有名为“指标体系”的工作表"));
    }
}
