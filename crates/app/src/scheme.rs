//! Evaluation schemes (issue 5 part 3, the part that binds to the ledger): an indicator tree
//! (dimensions → indicators) for 链主 or 链属 candidates of a chain or of the city, with the
//! weighting and aggregation to use; versioned (every change is a new version). Quantitative
//! indicators read the ledger for a year ([`Source`]); qualitative ones are scored by experts
//! (scoring forms with guidance per level). [`App::scheme_matrix`] builds the decision matrix
//! of a scheme's quantitative indicators for a chain's enterprises and a year, stating how
//! each missing value was handled; `qianglian eval compute` recomputes it.
//!
//! Yearly values: the indicator's yearly row (period `2025`); without one, money flows
//! (unit 万元) add up their monthly rows, other indicators take the year's last month.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::account::Principal;
use crate::eval::{Method, Table, Weighting};
use crate::{App, AppError, FieldError, Result, audit_entry};
use domain::eval::{Kind, Normalization};
use domain::role::Role;
use serde::{Deserialize, Serialize};

/// Where a quantitative indicator's value comes from, for an enterprise and a year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A ledger indicator's yearly value.
    Indicator { code: String },
    /// Its growth over the previous year: (v − v₋₁)/v₋₁.
    Growth { code: String },
    /// Its share of the total of the evaluated enterprises (the chain's output share).
    ChainShare { code: String },
    /// One indicator over another (R&D intensity: rd_expense / revenue).
    Ratio { numerator: String, denominator: String },
    /// Distinct local supply partners (buying from or selling to) in the year.
    LocalPartners,
    /// Value bought from local suppliers in the year, 万元.
    LocalPurchase,
    /// Honours held in the year.
    Honours,
}

/// What to do when an enterprise has no value for a quantitative indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Leave the enterprise out of the run (listed).
    #[default]
    Exclude,
    /// Count it as 0.
    Zero,
    /// The mean of the enterprises that have a value.
    Mean,
    /// The smallest value among them.
    Min,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub score: f64,
    /// What an expert should see to give this score.
    pub guidance: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    Quantitative {
        source: Source,
        #[serde(default)]
        missing: Missing,
    },
    /// Scored by experts on 0..scale_max, with guidance per level.
    Qualitative { scale_max: f64, levels: Vec<Level> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    pub code: String,
    pub name: String,
    /// benefit | cost
    pub direction: Kind,
    pub measure: Measure,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    pub indicators: Vec<IndicatorDef>,
}

/// A scheme version's definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemeDef {
    pub dimensions: Vec<Dimension>,
    pub weighting: Weighting,
    #[serde(default)]
    pub method: Method,
    #[serde(default)]
    pub normalization: Normalization,
}

impl SchemeDef {
    pub fn indicators(&self) -> impl Iterator<Item = &IndicatorDef> {
        self.dimensions.iter().flat_map(|d| &d.indicators)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct NewScheme {
    pub code: String,
    pub name: String,
    /// leader | member
    pub target: String,
    /// A chain's id or code; none for a citywide scheme.
    #[serde(default)]
    pub chain: Option<String>,
    pub definition: SchemeDef,
    #[serde(default)]
    pub note: String,
}

/// A scheme with its versions (newest first).
#[derive(Clone, Debug, Serialize)]
pub struct SchemeView {
    pub scheme: store::scheme::SchemeRow,
    pub versions: Vec<VersionView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VersionView {
    pub id: i64,
    pub version: i64,
    pub note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub definition: SchemeDef,
}

/// The decision matrix of a scheme's quantitative indicators.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SchemeMatrix {
    pub scheme_id: i64,
    pub version: i64,
    pub year: i64,
    pub table: Table,
    /// The direction of each column (b / c), for `eval compute --types`.
    pub types: Vec<String>,
    /// Enterprise names by id (for the reader).
    pub names: Vec<String>,
    /// How missing values were handled, per indicator, and which enterprises were left out.
    pub notes: Vec<String>,
    /// Qualitative indicators, scored by experts in a run (not in this matrix).
    pub qualitative: Vec<String>,
}

/// Of one enterprise's indicator in one year: the yearly value, the sum of the monthly
/// values, the last month (period, value).
type YearParts = (Option<f64>, f64, Option<(String, f64)>);

fn fe(field: &str, msg: String) -> FieldError {
    FieldError::new(field, msg)
}

/// Check a definition: codes and names, at least one indicator, known ledger indicators,
/// qualitative scales and levels, weights matching the indicators.
pub fn check_definition(d: &SchemeDef, known: &HashSet<String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut codes = HashSet::new();
    if d.dimensions.is_empty() {
        errors.push(fe("definition", "评价方案至少要有一个维度".into()));
    }
    for dim in &d.dimensions {
        if dim.name.trim().is_empty() || dim.code.trim().is_empty() {
            errors.push(fe("definition", "维度的编码和名称不能为空".into()));
        }
        if !codes.insert(dim.code.clone()) {
            errors.push(fe("definition", format!("编码“{}”重复", dim.code)));
        }
        if dim.indicators.is_empty() {
            errors.push(fe("definition", format!("维度“{}”没有指标", dim.name)));
        }
        for i in &dim.indicators {
            if i.name.trim().is_empty() || i.code.trim().is_empty() {
                errors.push(fe("definition", format!("维度“{}”中有指标的编码或名称为空", dim.name)));
            } else if !i.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                errors.push(fe("definition", format!("指标编码“{}”应由字母、数字、下划线或连字符组成", i.code.trim())));
            }
            if !codes.insert(i.code.clone()) {
                errors.push(fe("definition", format!("编码“{}”重复", i.code)));
            }
            let check = |c: &str, errors: &mut Vec<FieldError>| {
                if !known.contains(c) {
                    errors.push(fe("definition", format!("指标“{}”引用的企业库指标“{c}”不存在", i.name)));
                }
            };
            match &i.measure {
                Measure::Quantitative { source, .. } => match source {
                    Source::Indicator { code } | Source::Growth { code } | Source::ChainShare { code } => {
                        check(code, &mut errors)
                    }
                    Source::Ratio { numerator, denominator } => {
                        check(numerator, &mut errors);
                        check(denominator, &mut errors);
                    }
                    Source::LocalPartners | Source::LocalPurchase | Source::Honours => {}
                },
                Measure::Qualitative { scale_max, levels } => {
                    if !(scale_max.is_finite() && *scale_max > 0.0) {
                        errors.push(fe("definition", format!("定性指标“{}”的满分应为正数", i.name)));
                    }
                    if levels.is_empty() {
                        errors.push(fe("definition", format!("定性指标“{}”须给出各分档的评分说明", i.name)));
                    }
                    for l in levels {
                        if !(0.0..=*scale_max).contains(&l.score) || l.guidance.trim().is_empty() {
                            errors.push(fe(
                                "definition",
                                format!("定性指标“{}”的分档 {} 应在 0 至满分之间并写明评分说明", i.name, l.score),
                            ));
                        }
                    }
                }
            }
        }
    }
    let n = d.indicators().count();
    match &d.weighting {
        Weighting::Given(w) if w.len() != n => {
            errors.push(fe("weighting", format!("给定权重有 {} 个，应与指标数 {n} 相同", w.len())))
        }
        Weighting::Given(w) => {
            if let Err(e) = domain::eval::rescale(w) {
                errors.push(fe("weighting", e.to_string()));
            }
        }
        Weighting::Ahp { matrices, override_reason } => {
            if let Some(a) = matrices.first()
                && a.len() != n
            {
                errors.push(fe("weighting", format!("判断矩阵为 {} 阶，应与指标数 {n} 相同", a.len())));
            } else if let Err(e) = if matrices.len() > 1 {
                domain::eval::ahp_geometric_mean(matrices)
                    .and_then(|g| domain::eval::ahp_checked(&g, override_reason.as_deref()))
            } else {
                matrices
                    .first()
                    .ok_or(domain::eval::EvalError::AhpSize(0))
                    .and_then(|a| domain::eval::ahp_checked(a, override_reason.as_deref()))
            } {
                errors.push(fe("weighting", e.to_string()));
            }
        }
        _ => {}
    }
    errors
}

impl App {
    fn require_scheme_reader(&self, p: &Principal) -> Result<()> {
        if crate::chainmap::may_read_chains(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden("无权查看评价方案".into()))
        }
    }

    fn require_office(&self, p: &Principal) -> Result<()> {
        if p.has(Role::Office) {
            Ok(())
        } else {
            Err(AppError::Forbidden("只有融圈强链办可以制定评价方案".into()))
        }
    }

    async fn known_indicators(&self) -> Result<HashSet<String>> {
        Ok(store::indicator::catalogue(&self.db).await?.into_iter().map(|i| i.code).collect())
    }

    /// A new scheme with its first version. The office only.
    pub async fn create_scheme(&self, p: &Principal, s: &NewScheme) -> Result<i64> {
        self.require_office(p)?;
        let mut errors = Vec::new();
        let code = s.code.trim();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            errors.push(fe("code", "方案编码应由字母、数字、下划线或连字符组成".into()));
        } else if store::scheme::code_taken(&self.db, code).await? {
            errors.push(fe("code", format!("方案编码“{code}”已被使用")));
        }
        if s.name.trim().is_empty() {
            errors.push(fe("name", "方案名称不能为空".into()));
        }
        if s.target != "leader" && s.target != "member" {
            errors.push(fe("target", "评价对象应为 leader（链主）或 member（链属）".into()));
        }
        let chain_id = match s.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => match self.chain_info(c).await {
                Ok(info) => Some(info.id),
                Err(AppError::NotFound) => {
                    errors.push(fe("chain", format!("产业链“{c}”不存在")));
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        errors.extend(check_definition(&s.definition, &self.known_indicators().await?));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let def = serde_json::to_string(&s.definition).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::scheme::insert_scheme(&mut tx, code, s.name.trim(), &s.target, chain_id, now, p.by()).await?;
        let (vid, _) = store::scheme::insert_version(&mut tx, id, &def, s.note.trim(), now, p.by()).await?;
        let after = serde_json::json!({"code": code, "name": s.name.trim(), "target": s.target, "chain_id": chain_id,
            "version_id": vid, "definition": s.definition});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_scheme.create", "eval_scheme", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A new version of a scheme. The office only. Returns the version number.
    pub async fn add_scheme_version(&self, p: &Principal, scheme_id: i64, def: &SchemeDef, note: &str) -> Result<i64> {
        self.require_office(p)?;
        store::scheme::scheme(&self.db, scheme_id).await?.ok_or(AppError::NotFound)?;
        let errors = check_definition(def, &self.known_indicators().await?);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let text = serde_json::to_string(def).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (vid, version) = store::scheme::insert_version(&mut tx, scheme_id, &text, note.trim(), now, p.by()).await?;
        let after = serde_json::json!({"version_id": vid, "version": version, "note": note.trim(), "definition": def});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_scheme.version", "eval_scheme", scheme_id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    pub async fn schemes(&self, p: &Principal) -> Result<Vec<store::scheme::SchemeRow>> {
        self.require_scheme_reader(p)?;
        Ok(store::scheme::schemes(&self.db).await?)
    }

    pub async fn scheme(&self, p: &Principal, id: i64) -> Result<SchemeView> {
        self.require_scheme_reader(p)?;
        let scheme = store::scheme::scheme(&self.db, id).await?.ok_or(AppError::NotFound)?;
        let versions = store::scheme::versions(&self.db, id)
            .await?
            .into_iter()
            .map(|v| {
                let definition = serde_json::from_str(&v.definition).map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(VersionView { id: v.id, version: v.version, note: v.note, created_at: v.created_at, definition })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SchemeView { scheme, versions })
    }

    /// The decision matrix of a scheme version's quantitative indicators for the enterprises on
    /// a chain (the scheme's own chain unless one is given) and a year. Aggregates of the
    /// chain, like the analytics: enterprise names only where the reader may read them.
    pub async fn scheme_matrix(
        &self,
        p: &Principal,
        scheme_id: i64,
        version: Option<i64>,
        chain: Option<&str>,
        year: i64,
    ) -> Result<SchemeMatrix> {
        let view = self.scheme(p, scheme_id).await?;
        let v = match version {
            Some(n) => view.versions.iter().find(|v| v.version == n),
            None => view.versions.first(),
        }
        .ok_or(AppError::NotFound)?;
        if !(2000..=2100).contains(&year) {
            return Err(AppError::invalid("year", "年份应在 2000 至 2100 之间"));
        }
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => self.chain_info(c).await?.id,
            None => view.scheme.chain_id.ok_or_else(|| AppError::invalid("chain", "全市方案须指定产业链"))?,
        };
        let placements = store::chainmap::all_placements(&self.db, chain_id).await?;
        let mut ids: Vec<i64> = placements.iter().map(|p| p.enterprise_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let readable: HashMap<i64, String> = store::chainmap::placements(&self.db, &p.enterprise_scope, chain_id)
            .await?
            .into_iter()
            .map(|p| (p.enterprise_id, p.enterprise_name))
            .collect();
        let units: HashMap<String, String> =
            store::indicator::catalogue(&self.db).await?.into_iter().map(|i| (i.code, i.unit)).collect();

        // Yearly values of every indicator the sources need, for Y and Y−1.
        let mut needed: HashSet<&str> = HashSet::new();
        for i in v.definition.indicators() {
            if let Measure::Quantitative { source, .. } = &i.measure {
                match source {
                    Source::Indicator { code } | Source::Growth { code } | Source::ChainShare { code } => {
                        needed.insert(code);
                    }
                    Source::Ratio { numerator, denominator } => {
                        needed.insert(numerator);
                        needed.insert(denominator);
                    }
                    _ => {}
                }
            }
        }
        let mut yearly: HashMap<(&str, i64, i64), f64> = HashMap::new();
        for code in &needed {
            let money = units.get(*code).is_some_and(|u| u == "万元");
            let rows = store::scheme::indicator_values(&self.db, &ids, code, &[year - 1, year]).await?;
            // (enterprise, year) → (yearly value, monthly sum, last month's (period, value))
            let mut acc: BTreeMap<(i64, i64), YearParts> = BTreeMap::new();
            for (e, period, value) in rows {
                let Some(y) = period.get(..4).and_then(|y| y.parse::<i64>().ok()) else { continue };
                let a = acc.entry((e, y)).or_insert((None, 0.0, None));
                if period.len() == 4 {
                    a.0 = Some(value);
                } else {
                    a.1 += value;
                    if a.2.as_ref().is_none_or(|(p, _)| *p < period) {
                        a.2 = Some((period, value));
                    }
                }
            }
            for ((e, y), (year_value, sum, last)) in acc {
                let v = year_value.or(if money { Some(sum) } else { last.map(|l| l.1) });
                if let Some(v) = v {
                    yearly.insert((code, e, y), v);
                }
            }
        }
        let supply: HashMap<i64, (i64, i64)> =
            store::scheme::local_supply(&self.db, &ids, year).await?.into_iter().map(|(e, n, f)| (e, (n, f))).collect();
        let honours: HashMap<i64, i64> = store::scheme::honours_held(&self.db, &ids, year).await?.into_iter().collect();

        let mut criteria = Vec::new();
        let mut types = Vec::new();
        let mut columns: Vec<Vec<Option<f64>>> = Vec::new();
        let mut policies = Vec::new();
        let mut qualitative = Vec::new();
        for i in v.definition.indicators() {
            let (source, missing) = match &i.measure {
                Measure::Quantitative { source, missing } => (source, *missing),
                Measure::Qualitative { .. } => {
                    qualitative.push(i.name.clone());
                    continue;
                }
            };
            let get = |code: &str, e: i64, y: i64| yearly.get(&(code, e, y)).copied();
            let col: Vec<Option<f64>> = match source {
                Source::Indicator { code } => ids.iter().map(|e| get(code, *e, year)).collect(),
                Source::Growth { code } => ids
                    .iter()
                    .map(|e| match (get(code, *e, year), get(code, *e, year - 1)) {
                        (Some(a), Some(b)) if b != 0.0 => Some((a - b) / b),
                        _ => None,
                    })
                    .collect(),
                Source::ChainShare { code } => {
                    let total: f64 = ids.iter().filter_map(|e| get(code, *e, year)).sum();
                    ids.iter().map(|e| get(code, *e, year).filter(|_| total != 0.0).map(|v| v / total)).collect()
                }
                Source::Ratio { numerator, denominator } => ids
                    .iter()
                    .map(|e| match (get(numerator, *e, year), get(denominator, *e, year)) {
                        (Some(a), Some(b)) if b != 0.0 => Some(a / b),
                        _ => None,
                    })
                    .collect(),
                Source::LocalPartners => ids.iter().map(|e| Some(supply.get(e).map_or(0.0, |s| s.0 as f64))).collect(),
                Source::LocalPurchase => {
                    ids.iter().map(|e| Some(supply.get(e).map_or(0.0, |s| s.1 as f64 / 1_000_000.0))).collect()
                }
                Source::Honours => ids.iter().map(|e| Some(honours.get(e).copied().unwrap_or(0) as f64)).collect(),
            };
            criteria.push(i.name.clone());
            types.push(if i.direction == Kind::Benefit { "b" } else { "c" }.to_string());
            columns.push(col);
            policies.push(missing);
        }
        // Missing values: imputed by the indicator's rule, or the enterprise left out.
        let mut notes = Vec::new();
        let mut excluded: HashSet<usize> = HashSet::new();
        for ((col, missing), name) in columns.iter_mut().zip(&policies).zip(&criteria) {
            let absent: Vec<usize> = (0..col.len()).filter(|r| col[*r].is_none()).collect();
            if absent.is_empty() {
                continue;
            }
            let present: Vec<f64> = col.iter().flatten().copied().collect();
            if present.is_empty() && *missing != Missing::Zero {
                return Err(AppError::invalid("year", format!("“{name}”在 {year} 年没有任何企业的数据，无法评价")));
            }
            let fill = match missing {
                Missing::Exclude => None,
                Missing::Zero => Some(0.0),
                Missing::Mean => (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64),
                Missing::Min => present.iter().copied().reduce(f64::min),
            };
            match fill {
                Some(v) => {
                    for r in &absent {
                        col[*r] = Some(v);
                    }
                    let how = match missing {
                        Missing::Zero => "按 0 计".to_string(),
                        Missing::Mean => format!("按其余企业的平均值 {v:.4} 计"),
                        _ => format!("按其余企业的最小值 {v:.4} 计"),
                    };
                    notes.push(format!("“{name}”：{} 家企业缺少数据，{how}", absent.len()));
                }
                None => {
                    excluded.extend(absent.iter().copied());
                    notes.push(format!("“{name}”：{} 家企业缺少数据，不参加本次评价", absent.len()));
                }
            }
        }
        let keep: Vec<usize> = (0..ids.len()).filter(|r| !excluded.contains(r)).collect();
        if !excluded.is_empty() {
            notes.push(format!("共 {} 家企业因缺少数据不参加本次评价", excluded.len()));
        }
        let rows: Vec<Vec<f64>> =
            keep.iter().map(|r| columns.iter().map(|c| c[*r].unwrap_or_default()).collect()).collect();
        let names = keep
            .iter()
            .map(|r| readable.get(&ids[*r]).cloned().unwrap_or_else(|| format!("企业 {}", ids[*r])))
            .collect();
        Ok(SchemeMatrix {
            scheme_id,
            version: v.version,
            year,
            table: Table { criteria, ids: keep.iter().map(|r| ids[*r].to_string()).collect(), rows },
            types,
            names,
            notes,
            qualitative,
        })
    }
}

/// A source in words (pages, exports).
pub fn source_label(s: &Source, names: &HashMap<String, String>) -> String {
    let n = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    match s {
        Source::Indicator { code } => format!("企业库“{}”年度值", n(code)),
        Source::Growth { code } => format!("“{}”比上年增长率", n(code)),
        Source::ChainShare { code } => format!("“{}”占本链参评企业合计的比重", n(code)),
        Source::Ratio { numerator, denominator } => format!("“{}”÷“{}”", n(numerator), n(denominator)),
        Source::LocalPartners => "本年本地配套（购销）企业数".into(),
        Source::LocalPurchase => "本年从本地企业采购额（万元）".into(),
        Source::Honours => "本年有效荣誉数".into(),
    }
}

pub fn missing_label(m: Missing) -> &'static str {
    match m {
        Missing::Exclude => "缺失则不参评",
        Missing::Zero => "缺失按 0 计",
        Missing::Mean => "缺失按均值计",
        Missing::Min => "缺失按最小值计",
    }
}

/// The weighting and aggregation in words.
pub fn method_label(d: &SchemeDef) -> String {
    let w = match &d.weighting {
        Weighting::Entropy { shift: false } => "熵权法".to_string(),
        Weighting::Entropy { shift: true } => "熵权法（负值平移）".to_string(),
        Weighting::Critic => "CRITIC 法".to_string(),
        Weighting::Equal => "等权".to_string(),
        Weighting::Given(_) => "专家给定权重".to_string(),
        Weighting::Ahp { matrices, .. } => format!("层次分析法（{} 位专家判断矩阵几何平均）", matrices.len()),
    };
    let m = match d.method {
        Method::Topsis => {
            format!("TOPSIS（{}）", if d.normalization == Normalization::MinMax { "极差标准化" } else { "向量标准化" })
        }
        Method::Wsum => "加权求和（极差标准化）".to_string(),
    };
    format!("{w}赋权，{m}")
}

/// The weighting of a definition restricted to its quantitative indicators (a trial before
/// the experts have scored): given weights and AHP matrices lose the qualitative entries.
pub fn quantitative_weighting(d: &SchemeDef) -> Weighting {
    let keep: Vec<usize> = d
        .indicators()
        .enumerate()
        .filter(|(_, i)| matches!(i.measure, Measure::Quantitative { .. }))
        .map(|(k, _)| k)
        .collect();
    match &d.weighting {
        Weighting::Given(w) => Weighting::Given(keep.iter().filter_map(|k| w.get(*k).copied()).collect()),
        Weighting::Ahp { matrices, override_reason } => Weighting::Ahp {
            matrices: matrices
                .iter()
                .map(|a| {
                    keep.iter()
                        .map(|r| keep.iter().filter_map(|c| a.get(*r).and_then(|row| row.get(*c)).copied()).collect())
                        .collect()
                })
                .collect(),
            override_reason: override_reason.clone(),
        },
        other => other.clone(),
    }
}
