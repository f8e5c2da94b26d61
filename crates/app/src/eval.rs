//! Re-verification of an evaluation (issue 5 part 2): a decision matrix (csv: a header row of
//! criterion names, the alternative's id in the first column), criterion types, a weighting
//! (entropy, CRITIC, equal, given weights, or AHP pairwise matrices) and an aggregation
//! (TOPSIS or weighted sum) give the weights and, per id, the score and the rank — the same
//! computation for `qianglian eval compute`, `POST /api/v1/evaluations/compute` and the yearly
//! runs, so that an exported run recomputes to identical numbers. The methods and their
//! conventions are in `domain::eval`.

use crate::{AppError, FieldError, Result};
use domain::eval::{self as ev, Ahp, Kind, Matrix, Normalization};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// `shift`: move columns holding negative values up by their minimum.
    Entropy {
        #[serde(default)]
        shift: bool,
    },
    Critic,
    Equal,
    /// Weights as given, rescaled to sum to 1.
    Given(Vec<f64>),
    /// One or several experts' pairwise matrices (combined by the geometric mean); a CR of
    /// 0.1 or more needs `override_reason`.
    Ahp {
        matrices: Vec<Vec<Vec<f64>>>,
        #[serde(default)]
        override_reason: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[default]
    Topsis,
    Wsum,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        match s.trim().to_lowercase().as_str() {
            "topsis" => Some(Method::Topsis),
            "wsum" | "weighted_sum" => Some(Method::Wsum),
            _ => None,
        }
    }
}

/// A decision matrix with its labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub criteria: Vec<String>,
    pub ids: Vec<String>,
    /// One row per id.
    pub rows: Vec<Vec<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub id: String,
    pub score: f64,
    /// 1 = best; tied scores share the average rank.
    pub rank: f64,
    /// Per criterion, its part of the score (when asked for): `w_j·n_ij` for the weighted sum,
    /// the closeness split by the criteria's shares of the squared distance from the
    /// anti-ideal point for TOPSIS; a row adds up to the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributions: Option<Vec<f64>>,
}

/// `{"weights": [...], "results": [{"id","score","rank"}]}`, with the criteria's names and,
/// for AHP, its consistency figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Computed {
    pub criteria: Vec<String>,
    pub weights: Vec<f64>,
    pub results: Vec<ResultRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahp: Option<Ahp>,
}

fn eval_err(e: ev::EvalError) -> AppError {
    AppError::invalid("matrix", e)
}

/// The weights of a weighting for a matrix.
pub fn weights(x: &Matrix, kinds: &[Kind], w: &Weighting) -> Result<(Vec<f64>, Option<Ahp>)> {
    let n = x.n();
    let check_len = |len: usize| {
        if len == n { Ok(()) } else { Err(eval_err(ev::EvalError::WeightsLen { given: len, expected: n })) }
    };
    Ok(match w {
        Weighting::Entropy { shift } => (ev::entropy_weights(x, *shift).map_err(eval_err)?, None),
        Weighting::Critic => (ev::critic_weights(x, kinds).map_err(eval_err)?, None),
        Weighting::Equal => (ev::equal_weights(n), None),
        Weighting::Given(g) => {
            check_len(g.len())?;
            (ev::rescale(g).map_err(eval_err)?, None)
        }
        Weighting::Ahp { matrices, override_reason } => {
            let a = if matrices.len() == 1 {
                matrices[0].clone()
            } else {
                ev::ahp_geometric_mean(matrices).map_err(eval_err)?
            };
            check_len(a.len())?;
            let r = ev::ahp_checked(&a, override_reason.as_deref()).map_err(eval_err)?;
            (r.weights.clone(), Some(r))
        }
    })
}

/// Weights, scores and ranks of a table.
pub fn compute(t: &Table, kinds: &[Kind], w: &Weighting, method: Method, how: Normalization) -> Result<Computed> {
    compute_with(t, kinds, w, method, how, false)
}

/// [`compute`], with each result's per-criterion contributions when `contributions`.
pub fn compute_with(
    t: &Table,
    kinds: &[Kind],
    w: &Weighting,
    method: Method,
    how: Normalization,
    contributions: bool,
) -> Result<Computed> {
    if t.ids.len() != t.rows.len() {
        return Err(AppError::invalid("matrix", "评价对象编号与数据行数不一致"));
    }
    if t.criteria.len() != kinds.len() {
        return Err(eval_err(ev::EvalError::KindsLen { given: kinds.len(), expected: t.criteria.len() }));
    }
    let x = Matrix::from_rows(&t.rows).map_err(eval_err)?;
    if x.n() != t.criteria.len() {
        return Err(AppError::invalid("matrix", "指标名称数与数据列数不一致"));
    }
    let (weights, ahp) = weights(&x, kinds, w)?;
    let (scores, parts) = match (method, contributions) {
        (Method::Topsis, false) => (ev::topsis(&x, kinds, &weights, how), None),
        (Method::Topsis, true) => match ev::topsis_with_contributions(&x, kinds, &weights, how) {
            Ok((s, p)) => (Ok(s), Some(p)),
            Err(e) => (Err(e), None),
        },
        (Method::Wsum, false) => (ev::wsum(&x, kinds, &weights), None),
        (Method::Wsum, true) => {
            (ev::wsum(&x, kinds, &weights), Some(ev::wsum_contributions(&x, kinds, &weights).map_err(eval_err)?))
        }
    };
    let scores = scores.map_err(eval_err)?;
    let ranks = ev::ranks(&scores);
    let mut parts: Vec<Option<Vec<f64>>> = match parts {
        Some(p) => p.into_iter().map(Some).collect(),
        None => vec![None; scores.len()],
    };
    let results = t
        .ids
        .iter()
        .zip(scores)
        .zip(ranks)
        .zip(parts.iter_mut())
        .map(|(((id, score), rank), c)| ResultRow { id: id.clone(), score, rank, contributions: c.take() })
        .collect();
    Ok(Computed { criteria: t.criteria.clone(), weights, results, ahp })
}

/// A number as people type it: `1,234.5`, full-width digits, a fraction `1/3` (for pairwise
/// judgements).
pub fn parse_number(s: &str) -> Option<f64> {
    let s: String = s.chars().map(domain::registry::half_width).filter(|c| *c != ',' && !c.is_whitespace()).collect();
    if let Some((a, b)) = s.split_once('/') {
        let (a, b) = (a.parse::<f64>().ok()?, b.parse::<f64>().ok()?);
        return (b != 0.0).then(|| a / b).filter(|v| v.is_finite());
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn bad(msg: String) -> AppError {
    AppError::Invalid(vec![FieldError::new("matrix", msg)])
}

/// Read a decision matrix from csv (UTF-8, a BOM allowed): a header of criterion names after
/// the id column, then one row per alternative. Every problem names its line and column.
pub fn read_matrix_csv(bytes: &[u8]) -> Result<Table> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("矩阵文件应为 UTF-8 编码的 csv".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header = rdr.headers().map_err(|e| bad(format!("无法读取表头：{e}")))?.clone();
    if header.len() < 2 {
        return Err(bad("表头应为：第一列为评价对象编号，其后每列一项指标".into()));
    }
    let criteria: Vec<String> = header.iter().skip(1).map(|h| h.trim().to_string()).collect();
    if let Some(j) = criteria.iter().position(|c| c.is_empty()) {
        return Err(bad(format!("第 1 行第 {} 列的指标名称为空", j + 2)));
    }
    let n = criteria.len();
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(format!("第 {} 行无法读取：{e}", line + 1))),
        }
        line += 1;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() != n + 1 {
            return Err(bad(format!("第 {line} 行有 {} 列，应为 {} 列", record.len(), n + 1)));
        }
        let id = record[0].trim().to_string();
        if id.is_empty() {
            return Err(bad(format!("第 {line} 行缺少评价对象编号")));
        }
        if !seen.insert(id.clone()) {
            return Err(bad(format!("第 {line} 行的编号“{id}”重复")));
        }
        let mut row = Vec::with_capacity(n);
        for (j, cell) in record.iter().skip(1).enumerate() {
            let cell = cell.trim();
            if cell.is_empty() {
                return Err(bad(format!("第 {line} 行“{}”为空：请补齐或在评价方案中说明缺失值的处理", criteria[j])));
            }
            // Plain numbers parse directly; only the others go through the lenient reader.
            let v = match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => parse_number(cell)
                    .ok_or_else(|| bad(format!("第 {line} 行“{}”的值“{cell}”不是数值", criteria[j])))?,
            };
            row.push(v);
        }
        ids.push(id);
        rows.push(row);
    }
    Ok(Table { criteria, ids, rows })
}

/// Read a pairwise matrix from csv: square numbers (fractions like `1/3` allowed); a header
/// row (no cell a number) and a label column (a first cell that is not a number) are skipped.
pub fn read_pairwise_csv(bytes: &[u8]) -> Result<Vec<Vec<f64>>> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad("判断矩阵文件应为 UTF-8 编码的 csv".into()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| bad(format!("第 {} 行无法读取：{e}", i + 1)))?;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        lines.push((i + 1, r.iter().map(|c| c.trim().to_string()).collect()));
    }
    // A header row: not one of its cells is a number.
    if lines.first().is_some_and(|(_, r)| r.iter().all(|c| parse_number(c).is_none())) {
        lines.remove(0);
    }
    let labelled = lines.first().is_some_and(|(_, r)| r.first().is_some_and(|c| parse_number(c).is_none()));
    let mut out = Vec::new();
    for (line, r) in lines {
        let cells = if labelled { &r[1..] } else { &r[..] };
        let row = cells
            .iter()
            .enumerate()
            .map(|(j, c)| {
                parse_number(c).ok_or_else(|| bad(format!("判断矩阵第 {line} 行第 {} 个值“{c}”不是数值", j + 1)))
            })
            .collect::<Result<Vec<f64>>>()?;
        out.push(row);
    }
    if out.is_empty() {
        return Err(bad("判断矩阵为空".into()));
    }
    Ok(out)
}

/// `b,c,…` (also benefit/cost, +/-, 正向/负向).
pub fn parse_kinds(s: &str) -> Result<Vec<Kind>> {
    s.split([',', '，'])
        .map(|k| {
            Kind::parse(k)
                .ok_or_else(|| AppError::invalid("types", format!("指标类型“{}”应为 b（正向）或 c（负向）", k.trim())))
        })
        .collect()
}

/// `entropy`, `entropy-shift`, `critic`, `equal`, `given:w1,w2,…`, `ahp:FILE.csv[;FILE2.csv…]`
/// (`read` loads a file).
pub fn parse_weighting(spec: &str, read: &dyn Fn(&str) -> Result<Vec<u8>>) -> Result<Weighting> {
    let spec = spec.trim();
    let (head, rest) = spec.split_once(':').unwrap_or((spec, ""));
    Ok(match head.to_lowercase().as_str() {
        "entropy" => Weighting::Entropy { shift: false },
        "entropy-shift" => Weighting::Entropy { shift: true },
        "critic" => Weighting::Critic,
        "equal" => Weighting::Equal,
        "given" => Weighting::Given(
            rest.split([',', '，'])
                .map(|w| {
                    parse_number(w).ok_or_else(|| AppError::invalid("weighting", format!("权重“{}”不是数值", w.trim())))
                })
                .collect::<Result<Vec<f64>>>()?,
        ),
        "ahp" => {
            let mut matrices = Vec::new();
            for f in rest.split(';').map(str::trim).filter(|f| !f.is_empty()) {
                matrices.push(read_pairwise_csv(&read(f)?)?);
            }
            if matrices.is_empty() {
                return Err(AppError::invalid("weighting", "ahp: 后应给出判断矩阵文件"));
            }
            Weighting::Ahp { matrices, override_reason: None }
        }
        _ => {
            return Err(AppError::invalid(
                "weighting",
                format!("赋权方法“{spec}”应为 entropy、critic、equal、given:w1,w2,… 或 ahp:判断矩阵.csv"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_csv_and_its_refusals() {
        let t = read_matrix_csv("\u{feff}id,产值,能耗\nA,\"1,200\",3\nB,800,１\n\n".as_bytes()).unwrap();
        assert_eq!(t.criteria, vec!["产值", "能耗"]);
        assert_eq!(t.rows, vec![vec![1200.0, 3.0], vec![800.0, 1.0]]);
        let err = |s: &str| match read_matrix_csv(s.as_bytes()) {
            Err(AppError::Invalid(e)) => e[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert!(err("id,a\nA,1\nB,\n").contains("第 3 行“a”为空"));
        assert!(err("id,a\nA,1\nA,2\n").contains("第 3 行的编号“A”重复"));
        assert!(err("id,a\nA,x\n").contains("不是数值"));
        assert!(err("id,a\nA,1,2\n").contains("第 2 行有 3 列"));
        assert!(err("id\nA\n").contains("表头"));
    }

    #[test]
    fn pairwise_csv_with_labels_and_fractions() {
        let a = read_pairwise_csv(",规模,创新\n规模,1,3\n创新,1/3,1\n".as_bytes()).unwrap();
        assert_eq!(a, vec![vec![1.0, 3.0], vec![1.0 / 3.0, 1.0]]);
        let b = read_pairwise_csv("1,2\n0.5,1\n".as_bytes()).unwrap();
        assert_eq!(b, vec![vec![1.0, 2.0], vec![0.5, 1.0]]);
        assert!(read_pairwise_csv("1,x\n0.5,1\n".as_bytes()).is_err());
    }

    #[test]
    fn compute_end_to_end() {
        let t = Table {
            criteria: vec!["a".into(), "b".into()],
            ids: vec!["x".into(), "y".into(), "z".into()],
            rows: vec![vec![17.0, 12.0], vec![10.0, 9.0], vec![8.0, 6.0]],
        };
        let k = [Kind::Benefit, Kind::Benefit];
        let r = compute(&t, &k, &Weighting::Given(vec![5.0, 2.0]), Method::Topsis, Normalization::Vector).unwrap();
        assert!((r.weights[0] - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(r.results.iter().map(|x| x.rank).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
        assert!(matches!(
            compute(&t, &k, &Weighting::Given(vec![1.0]), Method::Wsum, Normalization::Vector),
            Err(AppError::Invalid(_))
        ));
        let ahp = Weighting::Ahp { matrices: vec![vec![vec![1.0, 3.0], vec![1.0 / 3.0, 1.0]]], override_reason: None };
        let r = compute(&t, &k, &ahp, Method::Wsum, Normalization::Vector).unwrap();
        assert_eq!(r.ahp.as_ref().map(|a| a.cr), Some(0.0));
        assert!((r.weights[0] - 0.75).abs() < 1e-12);
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["weights"].is_array() && json["results"][0]["id"] == "x" && json["results"][0]["rank"] == 1.0);
        let read = |_: &str| -> Result<Vec<u8>> { Ok(b"1,2\n0.5,1\n".to_vec()) };
        assert!(matches!(parse_weighting("ahp:p.csv", &read).unwrap(), Weighting::Ahp { .. }));
        assert_eq!(parse_weighting("given:1,3", &read).unwrap(), Weighting::Given(vec![1.0, 3.0]));
        assert!(parse_weighting("magic", &read).is_err());
        assert_eq!(parse_kinds("b,c,正向").unwrap(), vec![Kind::Benefit, Kind::Cost, Kind::Benefit]);
        assert!(parse_kinds("b,x").is_err());
    }
}
