//! Re-verification of an evaluation (issue 5 part 2): a decision matrix (csv or xlsx: a header
//! row of criterion names, the alternative's id in the first column), criterion types, a weighting
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
                return Err(empty_value(line, &criteria[j]));
            }
            row.push(text_value(cell, line, &criteria[j])?);
        }
        ids.push(id);
        rows.push(row);
    }
    Ok(Table { criteria, ids, rows })
}

fn empty_value(line: usize, criterion: &str) -> AppError {
    bad(format!("第 {line} 行“{criterion}”为空：请补齐或在评价方案中说明缺失值的处理"))
}

/// A value written as text (trimmed, not empty): plain numbers parse directly, only the others
/// go through the lenient reader.
fn text_value(cell: &str, line: usize, criterion: &str) -> Result<f64> {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => parse_number(cell).ok_or_else(|| bad(format!("第 {line} 行“{criterion}”的值“{cell}”不是数值"))),
    }
}

/// The worksheet [`read_matrix_xlsx`] prefers.
pub const MATRIX_SHEET: &str = "矩阵";

fn office_err(e: office::OfficeError) -> AppError {
    AppError::invalid("matrix", e)
}

/// Read a decision matrix from an xlsx: the worksheet named “矩阵” if the workbook has one,
/// else its first worksheet with content; the layout and the refusals of [`read_matrix_csv`],
/// each naming the row as Excel numbers it. Number cells are taken exactly as stored (a run
/// exported to xlsx recomputes to identical numbers); text cells are read like the csv's.
pub fn read_matrix_xlsx(bytes: &[u8]) -> Result<Table> {
    read_matrix_xlsx_named(bytes, "矩阵.xlsx")
}

fn read_matrix_xlsx_named(bytes: &[u8], file_name: &str) -> Result<Table> {
    use office::CellValue;
    // A local file the user chose (the CLI): larger than an upload may be, still zip-checked.
    let limits = office::Limits { max_bytes: 1 << 30, ..office::Limits::default() };
    let rows = office::read_sheet_values(bytes, file_name, Some(MATRIX_SHEET), &limits).map_err(office_err)?;
    let mut rows = rows.into_iter();
    let header_msg = "表头应为：第一列为评价对象编号，其后每列一项指标";
    let Some((header_line, header)) = rows.next() else {
        return Err(bad(format!("工作表没有内容；{header_msg}")));
    };
    if header.len() < 2 {
        return Err(bad(header_msg.into()));
    }
    let criteria = header[1..]
        .iter()
        .enumerate()
        .map(|(j, c)| match c {
            CellValue::Empty => Err(bad(format!("第 {header_line} 行第 {} 列的指标名称为空", j + 2))),
            CellValue::Text(s) => Ok(s.clone()),
            CellValue::Number(f) => Ok(f.to_string()),
        })
        .collect::<Result<Vec<String>>>()?;
    let n = criteria.len();
    let mut ids = Vec::new();
    let mut values = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, cells) in rows {
        // The reader refuses cells right of the header already; kept for the contract.
        if cells.len() > n + 1 {
            return Err(bad(format!("第 {line} 行有 {} 列，应为 {} 列", cells.len(), n + 1)));
        }
        let id = match cells.first().unwrap_or(&CellValue::Empty) {
            CellValue::Empty => return Err(bad(format!("第 {line} 行缺少评价对象编号"))),
            CellValue::Text(s) => s.clone(),
            CellValue::Number(f) => f.to_string(),
        };
        if !seen.insert(id.clone()) {
            return Err(bad(format!("第 {line} 行的编号“{id}”重复")));
        }
        let mut row = Vec::with_capacity(n);
        for (j, criterion) in criteria.iter().enumerate() {
            let v = match cells.get(j + 1).unwrap_or(&CellValue::Empty) {
                CellValue::Empty => return Err(empty_value(line, criterion)),
                CellValue::Number(f) if f.is_finite() => *f,
                CellValue::Number(f) => return Err(bad(format!("第 {line} 行“{criterion}”的值“{f}”不是数值"))),
                CellValue::Text(s) => text_value(s, line, criterion)?,
            };
            row.push(v);
        }
        ids.push(id);
        values.push(row);
    }
    Ok(Table { criteria, ids, rows: values })
}

/// Read a decision matrix from an xlsx ([`read_matrix_xlsx`]) or a csv ([`read_matrix_csv`]),
/// whichever the content is (`file_name` only sharpens the message when the content does not
/// match its extension).
pub fn read_matrix(bytes: &[u8], file_name: &str) -> Result<Table> {
    if bytes.is_empty() {
        return Err(bad("矩阵文件为空".into()));
    }
    match office::sniff(bytes, file_name).map_err(office_err)? {
        office::FileKind::Xlsx => read_matrix_xlsx_named(bytes, file_name),
        office::FileKind::Csv => read_matrix_csv(bytes),
    }
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

    /// A worksheet to write: name, header, rows.
    type SheetSpec<'a> = (&'a str, &'a [&'a str], Vec<Vec<office::CellOut>>);

    fn xlsx(sheets: &[SheetSpec<'_>]) -> Vec<u8> {
        office::write_xlsx_sheets(
            sheets
                .iter()
                .map(|(name, headers, rows)| office::SheetOut {
                    name: (*name).into(),
                    headers: headers.iter().map(|h| (*h).into()).collect(),
                    rows: rows.clone(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn matrix_xlsx_exactly() {
        use office::CellOut::{Int, Number, Text};
        let values = [0.1 + 0.2, 1.0 / 3.0, 123_456.789_012_345_67, 1e-300, -2.0 / 3.0, 5e-324];
        let bytes = xlsx(&[(
            "Sheet1",
            &["企业", "产值", "能耗"],
            vec![
                vec![Text("A".into()), Number(values[0]), Number(values[1])],
                vec![],
                vec![Int(1002), Number(values[2]), Int(7)],
                vec![Text("C".into()), Number(values[3]), Text("1,200".into())],
                vec![Text("D".into()), Number(values[4]), Number(values[5])],
            ],
        )]);
        let t = read_matrix_xlsx(&bytes).unwrap();
        assert_eq!(t.criteria, vec!["产值", "能耗"]);
        assert_eq!(t.ids, vec!["A", "1002", "C", "D"]);
        let got: Vec<u64> = t.rows.iter().flatten().map(|v| v.to_bits()).collect();
        let want: Vec<u64> = [values[0], values[1], values[2], 7.0, values[3], 1200.0, values[4], values[5]]
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got, want);
        // The same by content, whatever the name says.
        assert_eq!(read_matrix(&bytes, "run.xlsx").unwrap(), t);
        assert_eq!(read_matrix(&bytes, "run.csv").unwrap(), t);
        let csv = read_matrix("id,产值\nA,0.30000000000000004\n".as_bytes(), "m.csv").unwrap();
        assert_eq!(csv.rows[0][0].to_bits(), (0.1_f64 + 0.2).to_bits());
        // 矩阵 is preferred to an earlier sheet; without it, the first sheet with content.
        let note = ("说明", &["说明"][..], vec![vec![Text("由系统导出".into())]]);
        let m = ("矩阵", &["id", "a"][..], vec![vec![Text("X".into()), Number(2.5)]]);
        let t = read_matrix_xlsx(&xlsx(&[note.clone(), m])).unwrap();
        assert_eq!((t.ids, t.rows), (vec!["X".to_string()], vec![vec![2.5]]));
        let other = ("数据", &["id", "b"][..], vec![vec![Text("Y".into()), Number(1.0)]]);
        let t = read_matrix_xlsx(&xlsx(&[other, note])).unwrap();
        assert_eq!(t.criteria, vec!["b"]);
    }

    #[test]
    fn matrix_xlsx_refusals() {
        use office::CellOut::{Empty, Number, Text};
        let err = |rows: Vec<Vec<office::CellOut>>| match read_matrix_xlsx(&xlsx(&[("矩阵", &["id", "a", "b"], rows)]))
        {
            Err(AppError::Invalid(e)) => e[0].message.clone(),
            other => panic!("{other:?}"),
        };
        let row = |id: &str, a: office::CellOut, b: office::CellOut| vec![Text(id.into()), a, b];
        let e = err(vec![row("A", Number(1.0), Number(2.0)), vec![], row("A", Number(3.0), Number(4.0))]);
        assert!(e.contains("第 4 行的编号“A”重复"), "{e}");
        let e = err(vec![row("A", Number(1.0), Number(2.0)), row("B", Empty, Number(4.0))]);
        assert!(e.contains("第 3 行“a”为空"), "{e}");
        let e = err(vec![row("A", Number(1.0), Empty)]);
        assert!(e.contains("第 2 行“b”为空"), "{e}");
        let e = err(vec![row("A", Number(1.0), Text("高".into()))]);
        assert!(e.contains("第 2 行“b”的值“高”不是数值"), "{e}");
        let e = err(vec![row("", Number(1.0), Number(2.0))]);
        assert!(e.contains("第 2 行缺少评价对象编号"), "{e}");
        let e = err(vec![vec![Text("A".into()), Number(1.0), Number(2.0), Number(3.0)]]);
        assert!(e.contains("第 2 行") && e.contains("共 3 列"), "{e}");
        let e = match read_matrix_xlsx(&xlsx(&[("矩阵", &["id"], vec![vec![Text("A".into())]])])) {
            Err(AppError::Invalid(e)) => e[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert!(e.contains("表头"), "{e}");
        let e = match read_matrix_xlsx(&xlsx(&[("矩阵", &["id", "", "b"], vec![])])) {
            Err(AppError::Invalid(e)) => e[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert!(e.contains("第 1 行第 2 列的指标名称为空"), "{e}");
        // Not a workbook: refused with the file reader's message, never a panic.
        for (bytes, name) in [(&b"id,a\nA,1\n"[..], "m.xlsx"), (b"PK\x03\x04garbage", "m.xlsx"), (b"", "m.csv")] {
            assert!(matches!(read_matrix(bytes, name), Err(AppError::Invalid(_))), "{name}");
        }
        assert!(matches!(read_matrix_xlsx(b"id,a\nA,1\n"), Err(AppError::Invalid(_))));
        let e = read_matrix(b"id,a\nA,1\n", "m.xlsx").unwrap_err().user_message();
        assert!(e.contains("扩展名为 .xlsx"), "{e}");
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
