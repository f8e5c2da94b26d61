//! Multi-criteria evaluation methods for the chain-leader evaluation (SPEC capability C,
//! issue 5): normalisation, objective weights (entropy, CRITIC), subjective weights (AHP),
//! their combination, aggregation (TOPSIS, weighted sum) and ranks. The conventions below are
//! the ones the office defends in front of the enterprises it scores; anyone can recompute a
//! run from its exported matrix with `qianglian eval compute` and get identical numbers.
//!
//! A matrix has `m` alternatives (enterprises, rows) and `n` criteria (indicators, columns);
//! it is stored by column. Every criterion is a benefit (more is better) or a cost (less is
//! better).
//!
//! - **Normalisation.** vector: `x / ‖x‖₂` (a column of zeros stays 0); min-max:
//!   `(x − min) / (max − min)`, for a cost `(max − x) / (max − min)`, a constant column → 1;
//!   sum: `x / Σx` (a column summing to 0 → 0). Vector and sum normalisation keep the
//!   direction of a column; the criterion type enters later (TOPSIS's ideal points).
//! - **Entropy weights.** On the raw values, which must be non-negative (the type does not
//!   enter): `p_ij = x_ij / Σ_i x_ij`, `e_j = −(1/ln m)·Σ_i p_ij ln p_ij` with `0·ln 0 = 0`,
//!   `d_j = 1 − e_j`, `w_j = d_j / Σd`. A constant column has `e_j = 1` and weight 0; a column of
//!   zeros has weight 0. Negative values are refused unless the shift is asked for: then each
//!   column holding a negative value is shifted by its minimum (`x − min_j`), so that its
//!   smallest value becomes 0.
//! - **CRITIC weights.** Min-max normalisation by type; `σ_j` the sample standard deviation
//!   (divisor `m − 1`); `r_jk` Pearson's correlation (taken as 0 when either column is
//!   constant); `C_j = σ_j·Σ_k (1 − r_jk)`; `w_j = C_j / ΣC`. A constant column has weight 0.
//! - **AHP.** The principal eigenvector of a positive reciprocal pairwise matrix (by power
//!   iteration), scaled to sum to 1; `λmax` the mean of `(Aw)_i / w_i`; `CI = (λmax − n)/(n − 1)`;
//!   `CR = CI / RI` with Saaty's RI for n = 3…15 ([`RI`]); `CR = 0` for n < 3. A CR of 0.1 or
//!   more is refused unless overridden with a recorded reason. Several experts' matrices
//!   combine by the element-wise geometric mean. Reciprocity is checked to 1 % (a matrix typed
//!   with 0.333 for 1/3 passes).
//! - **Combination.** `α·subjective + (1 − α)·objective`, α in 0..1; given weights are rescaled
//!   to sum to 1 (negative ones refused; weights already summing to 1 within 1e-12 are kept
//!   as they are, so that a run's printed weights given back reproduce it bit for bit).
//! - **TOPSIS.** Vector normalisation by default (min-max on request), weighted; the ideal
//!   point takes each column's best value (the largest for a benefit, the smallest for a cost;
//!   after min-max normalisation every column is already a benefit), the anti-ideal the
//!   worst; Euclidean distances `D⁺`, `D⁻`; closeness `D⁻ / (D⁺ + D⁻)`, and 0.5 when both
//!   are 0 (all alternatives equal on every weighted criterion).
//! - **Weighted sum.** `Σ_j w_j·n_ij` on min-max-normalised values; its per-criterion terms
//!   are the contributions ([`wsum_contributions`]).
//! - **Ranks.** 1 = best (the highest score); tied scores share the average of their ranks.
//!
//! The same conventions are written for users in `docs/user-guide.md` (三、链主评价的计算约定).
//!
//! Errors carry Chinese messages for the user.

use serde::{Deserialize, Serialize};

/// Saaty's random consistency index for n = 1…15 (0 for n < 3).
pub const RI: [f64; 15] = [0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59];
/// The consistency ratio from which an AHP matrix is refused without an override.
pub const CR_LIMIT: f64 = 0.1;
/// Reciprocity tolerance of AHP entries: `a_ij·a_ji` within 1 % of 1.
pub const RECIPROCAL_TOLERANCE: f64 = 0.01;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Benefit,
    Cost,
}

impl Kind {
    /// `b`/`c`, `benefit`/`cost`, `+`/`-`, 正向/负向, 效益/成本.
    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_lowercase().as_str() {
            "b" | "benefit" | "+" | "正向" | "效益" | "效益型" => Some(Kind::Benefit),
            "c" | "cost" | "-" | "负向" | "成本" | "成本型" => Some(Kind::Cost),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    #[default]
    Vector,
    #[serde(rename = "minmax")]
    MinMax,
    Sum,
}

impl Normalization {
    pub fn parse(s: &str) -> Option<Normalization> {
        match s.trim().to_lowercase().as_str() {
            "vector" => Some(Normalization::Vector),
            "minmax" | "min-max" => Some(Normalization::MinMax),
            "sum" => Some(Normalization::Sum),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("至少需要 2 个评价对象（现有 {0} 个）")]
    TooFewAlternatives(usize),
    #[error("至少需要 1 项指标")]
    NoCriteria,
    #[error("第 {row} 个评价对象有 {len} 个指标值，应为 {expected} 个")]
    Ragged { row: usize, len: usize, expected: usize },
    #[error("第 {row} 个评价对象的第 {col} 项指标不是有限数值")]
    NotFinite { row: usize, col: usize },
    #[error("第 {col} 项指标有负值（第 {row} 个评价对象），熵权法要求非负数据；如需平移请选择“负值平移”")]
    Negative { row: usize, col: usize },
    #[error("指标类型有 {given} 个，应与指标数 {expected} 相同")]
    KindsLen { given: usize, expected: usize },
    #[error("权重有 {given} 个，应与指标数 {expected} 相同")]
    WeightsLen { given: usize, expected: usize },
    #[error("第 {0} 个权重为负数或不是有限数值")]
    BadWeight(usize),
    #[error("权重之和为 0")]
    ZeroWeights,
    #[error("所有指标在各评价对象间都没有差异，无法用客观赋权法确定权重")]
    AllConstant,
    #[error("组合系数 α 应在 0 到 1 之间（现为 {0}）")]
    Alpha(f64),
    #[error("判断矩阵应为方阵：第 {row} 行有 {len} 个数，应为 {n} 个")]
    AhpNotSquare { row: usize, len: usize, n: usize },
    #[error("判断矩阵第 {row} 行第 {col} 列应为正数")]
    AhpNotPositive { row: usize, col: usize },
    #[error("判断矩阵不互反：第 {row} 行第 {col} 列为 {a}，而第 {col} 行第 {row} 列为 {b}（两者之积应为 1）")]
    AhpNotReciprocal { row: usize, col: usize, a: f64, b: f64 },
    #[error("判断矩阵对角线（第 {0} 行）应为 1")]
    AhpDiagonal(usize),
    #[error("判断矩阵为 {0} 阶，超出 1 至 15 阶（平均随机一致性指标 RI 只列到 15 阶）")]
    AhpSize(usize),
    #[error("各专家的判断矩阵阶数不同（{0} 与 {1}）")]
    AhpExperts(usize, usize),
    #[error("判断矩阵一致性比率 CR = {0:.4}，不小于 0.1，未通过一致性检验；请调整判断，或注明理由后强制采用")]
    Inconsistent(f64),
}

/// A decision matrix by column: `cols[j][i]` is alternative i on criterion j.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub m: usize,
    pub cols: Vec<Vec<f64>>,
}

impl Matrix {
    /// From rows (one per alternative); at least two alternatives and one criterion, every
    /// value finite.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Matrix, EvalError> {
        let n = rows.first().map(Vec::len).unwrap_or(0);
        let mut cols = vec![Vec::with_capacity(rows.len()); n];
        for (i, r) in rows.iter().enumerate() {
            if r.len() != n {
                return Err(EvalError::Ragged { row: i + 1, len: r.len(), expected: n });
            }
            for (j, v) in r.iter().enumerate() {
                cols[j].push(*v);
            }
        }
        Matrix::from_cols(rows.len(), cols)
    }

    pub fn from_cols(m: usize, cols: Vec<Vec<f64>>) -> Result<Matrix, EvalError> {
        if m < 2 {
            return Err(EvalError::TooFewAlternatives(m));
        }
        if cols.is_empty() {
            return Err(EvalError::NoCriteria);
        }
        for (j, c) in cols.iter().enumerate() {
            if c.len() != m {
                return Err(EvalError::Ragged { row: c.len().min(m) + 1, len: c.len(), expected: m });
            }
            if let Some(i) = c.iter().position(|v| !v.is_finite()) {
                return Err(EvalError::NotFinite { row: i + 1, col: j + 1 });
            }
        }
        Ok(Matrix { m, cols })
    }

    pub fn n(&self) -> usize {
        self.cols.len()
    }
}

fn check_kinds(x: &Matrix, kinds: &[Kind]) -> Result<(), EvalError> {
    if kinds.len() != x.n() {
        return Err(EvalError::KindsLen { given: kinds.len(), expected: x.n() });
    }
    Ok(())
}

fn check_weights(x: &Matrix, w: &[f64]) -> Result<(), EvalError> {
    if w.len() != x.n() {
        return Err(EvalError::WeightsLen { given: w.len(), expected: x.n() });
    }
    Ok(())
}

fn min_max(c: &[f64]) -> (f64, f64) {
    c.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)))
}

/// One column normalised (see the module's conventions).
pub fn normalize_column(c: &[f64], kind: Kind, how: Normalization) -> Vec<f64> {
    match how {
        Normalization::Vector => {
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm == 0.0 { vec![0.0; c.len()] } else { c.iter().map(|v| v / norm).collect() }
        }
        Normalization::Sum => {
            let s: f64 = c.iter().sum();
            if s == 0.0 { vec![0.0; c.len()] } else { c.iter().map(|v| v / s).collect() }
        }
        Normalization::MinMax => {
            let (lo, hi) = min_max(c);
            let range = hi - lo;
            if range == 0.0 {
                vec![1.0; c.len()]
            } else {
                match kind {
                    Kind::Benefit => c.iter().map(|v| (v - lo) / range).collect(),
                    Kind::Cost => c.iter().map(|v| (hi - v) / range).collect(),
                }
            }
        }
    }
}

pub fn normalize(x: &Matrix, kinds: &[Kind], how: Normalization) -> Result<Matrix, EvalError> {
    check_kinds(x, kinds)?;
    Ok(Matrix { m: x.m, cols: x.cols.iter().zip(kinds).map(|(c, k)| normalize_column(c, *k, how)).collect() })
}

fn scale_to_one(d: Vec<f64>) -> Result<Vec<f64>, EvalError> {
    let s: f64 = d.iter().sum();
    if s <= 0.0 || !s.is_finite() {
        return Err(EvalError::AllConstant);
    }
    Ok(d.into_iter().map(|v| v / s).collect())
}

/// Entropy weights; `shift` moves columns holding negative values up by their minimum.
pub fn entropy_weights(x: &Matrix, shift: bool) -> Result<Vec<f64>, EvalError> {
    let k = 1.0 / (x.m as f64).ln();
    let mut d = Vec::with_capacity(x.n());
    for (j, c) in x.cols.iter().enumerate() {
        let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
        let offset = if lo < 0.0 {
            if !shift {
                let row = c.iter().position(|v| *v < 0.0).unwrap_or(0) + 1;
                return Err(EvalError::Negative { row, col: j + 1 });
            }
            -lo
        } else {
            0.0
        };
        let s: f64 = c.iter().map(|v| v + offset).sum();
        // A constant column (zeros included) carries no information: weight exactly 0.
        if s == 0.0 || c.iter().all(|v| *v == c[0]) {
            d.push(0.0);
            continue;
        }
        let mut h = 0.0;
        for v in c {
            let p = (v + offset) / s;
            if p > 0.0 {
                h -= p * p.ln();
            }
        }
        // e_j ≤ 1 in exact arithmetic; rounding may leave it a hair above.
        d.push((1.0 - k * h).max(0.0));
    }
    scale_to_one(d)
}

/// CRITIC weights.
pub fn critic_weights(x: &Matrix, kinds: &[Kind]) -> Result<Vec<f64>, EvalError> {
    let z = normalize(x, kinds, Normalization::MinMax)?;
    let m = x.m as f64;
    let means: Vec<f64> = z.cols.iter().map(|c| c.iter().sum::<f64>() / m).collect();
    let centred: Vec<Vec<f64>> = z.cols.iter().zip(&means).map(|(c, mu)| c.iter().map(|v| v - mu).collect()).collect();
    let ss: Vec<f64> = centred.iter().map(|c| c.iter().map(|v| v * v).sum::<f64>()).collect();
    let sigma: Vec<f64> = ss.iter().map(|s| (s / (m - 1.0)).sqrt()).collect();
    let n = x.n();
    let mut c = vec![0.0; n];
    for j in 0..n {
        if ss[j] == 0.0 {
            continue;
        }
        let mut conflict = 0.0;
        for k in 0..n {
            let r = if k == j {
                1.0
            } else if ss[k] == 0.0 {
                0.0
            } else {
                let cov: f64 = centred[j].iter().zip(&centred[k]).map(|(a, b)| a * b).sum();
                cov / (ss[j] * ss[k]).sqrt()
            };
            conflict += 1.0 - r;
        }
        c[j] = sigma[j] * conflict;
    }
    scale_to_one(c)
}

/// Equal weights.
pub fn equal_weights(n: usize) -> Vec<f64> {
    vec![1.0 / n as f64; n]
}

/// Given weights rescaled to sum to 1. Weights that already sum to 1 within 1e-12 are taken
/// as they are, so that weights printed by a run (shortest round-trip decimals) and given back
/// reproduce it bit for bit.
pub fn rescale(w: &[f64]) -> Result<Vec<f64>, EvalError> {
    if let Some(i) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(EvalError::BadWeight(i + 1));
    }
    let s: f64 = w.iter().sum();
    if s == 0.0 {
        return Err(EvalError::ZeroWeights);
    }
    if (s - 1.0).abs() <= 1e-12 {
        return Ok(w.to_vec());
    }
    Ok(w.iter().map(|v| v / s).collect())
}

/// `α·subjective + (1 − α)·objective`, each first rescaled to sum to 1.
pub fn combine(subjective: &[f64], objective: &[f64], alpha: f64) -> Result<Vec<f64>, EvalError> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(EvalError::Alpha(alpha));
    }
    if subjective.len() != objective.len() {
        return Err(EvalError::WeightsLen { given: subjective.len(), expected: objective.len() });
    }
    let (s, o) = (rescale(subjective)?, rescale(objective)?);
    Ok(s.iter().zip(&o).map(|(a, b)| alpha * a + (1.0 - alpha) * b).collect())
}

/// An AHP result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Ahp {
    pub weights: Vec<f64>,
    pub lambda_max: f64,
    pub ci: f64,
    pub cr: f64,
}

fn check_pairwise(a: &[Vec<f64>]) -> Result<usize, EvalError> {
    let n = a.len();
    if n == 0 || n > RI.len() {
        return Err(EvalError::AhpSize(n));
    }
    for (i, row) in a.iter().enumerate() {
        if row.len() != n {
            return Err(EvalError::AhpNotSquare { row: i + 1, len: row.len(), n });
        }
        for (j, v) in row.iter().enumerate() {
            if !v.is_finite() || *v <= 0.0 {
                return Err(EvalError::AhpNotPositive { row: i + 1, col: j + 1 });
            }
        }
    }
    for (i, row) in a.iter().enumerate() {
        if (row[i] - 1.0).abs() > RECIPROCAL_TOLERANCE {
            return Err(EvalError::AhpDiagonal(i + 1));
        }
        for (j, other) in a.iter().enumerate().skip(i + 1) {
            if (row[j] * other[i] - 1.0).abs() > RECIPROCAL_TOLERANCE {
                return Err(EvalError::AhpNotReciprocal { row: i + 1, col: j + 1, a: row[j], b: other[i] });
            }
        }
    }
    Ok(n)
}

/// The weights, λmax, CI and CR of a pairwise matrix (no CR limit applied: see [`ahp_checked`]).
pub fn ahp(a: &[Vec<f64>]) -> Result<Ahp, EvalError> {
    let n = check_pairwise(a)?;
    let mut w = vec![1.0 / n as f64; n];
    for _ in 0..100_000 {
        let mut next: Vec<f64> = (0..n).map(|i| (0..n).map(|j| a[i][j] * w[j]).sum()).collect();
        let s: f64 = next.iter().sum();
        next.iter_mut().for_each(|v| *v /= s);
        let diff = next.iter().zip(&w).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        w = next;
        if diff < 1e-15 {
            break;
        }
    }
    let aw: Vec<f64> = (0..n).map(|i| (0..n).map(|j| a[i][j] * w[j]).sum()).collect();
    let lambda_max = aw.iter().zip(&w).map(|(x, y)| x / y).sum::<f64>() / n as f64;
    let (ci, cr) = if n < 3 {
        (0.0, 0.0)
    } else {
        let ci = (lambda_max - n as f64) / (n as f64 - 1.0);
        (ci, ci / RI[n - 1])
    };
    Ok(Ahp { weights: w, lambda_max, ci, cr })
}

/// [`ahp`], refusing a CR of 0.1 or more unless `override_reason` is given (non-empty).
pub fn ahp_checked(a: &[Vec<f64>], override_reason: Option<&str>) -> Result<Ahp, EvalError> {
    let r = ahp(a)?;
    if r.cr >= CR_LIMIT && override_reason.is_none_or(|s| s.trim().is_empty()) {
        return Err(EvalError::Inconsistent(r.cr));
    }
    Ok(r)
}

/// Several experts' pairwise matrices combined by the element-wise geometric mean.
pub fn ahp_geometric_mean(ms: &[Vec<Vec<f64>>]) -> Result<Vec<Vec<f64>>, EvalError> {
    let Some(first) = ms.first() else { return Err(EvalError::AhpSize(0)) };
    let n = check_pairwise(first)?;
    for m in ms {
        let k = check_pairwise(m)?;
        if k != n {
            return Err(EvalError::AhpExperts(n, k));
        }
    }
    let e = ms.len() as f64;
    Ok((0..n).map(|i| (0..n).map(|j| (ms.iter().map(|m| m[i][j].ln()).sum::<f64>() / e).exp()).collect()).collect())
}

/// TOPSIS closeness of every alternative.
pub fn topsis(x: &Matrix, kinds: &[Kind], weights: &[f64], how: Normalization) -> Result<Vec<f64>, EvalError> {
    Ok(topsis_parts(x, kinds, weights, how, false)?.0)
}

/// Closeness and, when `parts`, each alternative's squared distances from the anti-ideal
/// point per criterion (one pass over the normalised columns).
fn topsis_parts(
    x: &Matrix,
    kinds: &[Kind],
    weights: &[f64],
    how: Normalization,
    parts: bool,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), EvalError> {
    check_kinds(x, kinds)?;
    check_weights(x, weights)?;
    let mut dplus = vec![0.0; x.m];
    let mut dminus = vec![0.0; x.m];
    let mut sq = if parts { vec![Vec::with_capacity(x.n()); x.m] } else { Vec::new() };
    for ((c, kind), w) in x.cols.iter().zip(kinds).zip(weights) {
        let v: Vec<f64> = normalize_column(c, *kind, how).into_iter().map(|r| r * w).collect();
        let (lo, hi) = min_max(&v);
        // After min-max normalisation every column reads as a benefit.
        let benefit = how == Normalization::MinMax || *kind == Kind::Benefit;
        let (best, worst) = if benefit { (hi, lo) } else { (lo, hi) };
        for (i, vi) in v.iter().enumerate() {
            let down = (vi - worst) * (vi - worst);
            dplus[i] += (vi - best) * (vi - best);
            dminus[i] += down;
            if parts {
                sq[i].push(down);
            }
        }
    }
    let closeness = dplus
        .into_iter()
        .zip(dminus)
        .map(|(p, q)| {
            let (p, q) = (p.sqrt(), q.sqrt());
            if p + q == 0.0 { 0.5 } else { q / (p + q) }
        })
        .collect();
    Ok((closeness, sq))
}

/// Per alternative and criterion (`out[i][j]`), TOPSIS closeness split in proportion to each
/// criterion's share of the squared distance from the anti-ideal point:
/// `c_i · (v_ij − a⁻_j)² / Σ_k (v_ik − a⁻_k)²`. A row sums to the closeness `c_i`; when the
/// alternative sits on the anti-ideal point its row is 0 (closeness 0), and when every
/// alternative is equal (closeness 0.5) the half is split equally.
pub fn topsis_contributions(
    x: &Matrix,
    kinds: &[Kind],
    weights: &[f64],
    how: Normalization,
) -> Result<Vec<Vec<f64>>, EvalError> {
    Ok(topsis_with_contributions(x, kinds, weights, how)?.1)
}

/// TOPSIS closeness and its contributions ([`topsis_contributions`]) in one pass.
pub fn topsis_with_contributions(
    x: &Matrix,
    kinds: &[Kind],
    weights: &[f64],
    how: Normalization,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), EvalError> {
    let n = x.n();
    let (closeness, parts) = topsis_parts(x, kinds, weights, how, true)?;
    let split = parts
        .into_iter()
        .zip(&closeness)
        .map(|(p, c)| {
            let total: f64 = p.iter().sum();
            if total == 0.0 {
                let share = if *c == 0.0 { 0.0 } else { c / n as f64 };
                vec![share; n]
            } else {
                p.into_iter().map(|d| c * d / total).collect()
            }
        })
        .collect();
    Ok((closeness, split))
}

/// Per alternative and criterion, `w_j·n_ij` on min-max-normalised values (by alternative:
/// `out[i][j]`); a weighted sum score is the sum of its row.
pub fn wsum_contributions(x: &Matrix, kinds: &[Kind], weights: &[f64]) -> Result<Vec<Vec<f64>>, EvalError> {
    check_kinds(x, kinds)?;
    check_weights(x, weights)?;
    let mut out = vec![Vec::with_capacity(x.n()); x.m];
    for ((c, kind), w) in x.cols.iter().zip(kinds).zip(weights) {
        for (i, z) in normalize_column(c, *kind, Normalization::MinMax).into_iter().enumerate() {
            out[i].push(w * z);
        }
    }
    Ok(out)
}

/// Weighted sum on min-max-normalised values.
pub fn wsum(x: &Matrix, kinds: &[Kind], weights: &[f64]) -> Result<Vec<f64>, EvalError> {
    check_kinds(x, kinds)?;
    check_weights(x, weights)?;
    let mut s = vec![0.0; x.m];
    for ((c, kind), w) in x.cols.iter().zip(kinds).zip(weights) {
        for (acc, z) in s.iter_mut().zip(normalize_column(c, *kind, Normalization::MinMax)) {
            *acc += w * z;
        }
    }
    Ok(s)
}

/// Ranks, 1 = the highest score; ties share the average of their ranks (1, 2.5, 2.5, 4).
pub fn ranks(scores: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let mut out = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            out[*k] = avg;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn saaty_three_by_three_worked_example() {
        // The classic example of the AHP literature: weights 0.6370, 0.2583, 0.1047,
        // λmax 3.0385, CI 0.0193, CR 0.0332 with RI(3) = 0.58.
        let a = vec![vec![1.0, 3.0, 5.0], vec![1.0 / 3.0, 1.0, 3.0], vec![0.2, 1.0 / 3.0, 1.0]];
        let r = ahp(&a).unwrap();
        for (w, want) in r.weights.iter().zip([0.6370, 0.2583, 0.1047]) {
            assert!(close(*w, want, 5e-4), "{:?}", r.weights);
        }
        assert!(close(r.lambda_max, 3.0385, 5e-4), "{}", r.lambda_max);
        assert!(close(r.ci, 0.0193, 2e-4), "{}", r.ci);
        assert!(close(r.cr, 0.0332, 5e-4), "{}", r.cr);
        // Typed with three decimals, it still passes the reciprocity check.
        let typed = vec![vec![1.0, 3.0, 5.0], vec![0.333, 1.0, 3.0], vec![0.2, 0.333, 1.0]];
        assert!(ahp(&typed).is_ok());
    }

    #[test]
    fn ahp_refusals() {
        assert!(matches!(ahp(&[vec![1.0, 2.0], vec![0.5]]), Err(EvalError::AhpNotSquare { row: 2, .. })));
        assert!(matches!(ahp(&[vec![1.0, -2.0], vec![-0.5, 1.0]]), Err(EvalError::AhpNotPositive { row: 1, col: 2 })));
        assert!(matches!(
            ahp(&[vec![1.0, 2.0], vec![2.0, 1.0]]),
            Err(EvalError::AhpNotReciprocal { row: 1, col: 2, .. })
        ));
        assert!(matches!(ahp(&[vec![2.0, 2.0], vec![0.5, 1.0]]), Err(EvalError::AhpDiagonal(1))));
        assert!(matches!(ahp(&vec![vec![1.0; 16]; 16]), Err(EvalError::AhpSize(16))));
        // Inconsistent: a > b, b > c, c > a.
        let bad = vec![vec![1.0, 9.0, 1.0 / 9.0], vec![1.0 / 9.0, 1.0, 9.0], vec![9.0, 1.0 / 9.0, 1.0]];
        let cr = ahp(&bad).unwrap().cr;
        assert!(cr > 0.1, "{cr}");
        assert!(matches!(ahp_checked(&bad, None), Err(EvalError::Inconsistent(_))));
        assert!(matches!(ahp_checked(&bad, Some("  ")), Err(EvalError::Inconsistent(_))));
        assert!(ahp_checked(&bad, Some("专家组一致同意采用")).is_ok());
        // n < 3: CR 0.
        let two = ahp(&[vec![1.0, 3.0], vec![1.0 / 3.0, 1.0]]).unwrap();
        assert_eq!(two.cr, 0.0);
        assert!(close(two.weights[0], 0.75, 1e-12));
    }

    #[test]
    fn experts_combine_by_geometric_mean() {
        let a = vec![vec![1.0, 4.0], vec![0.25, 1.0]];
        let b = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        let g = ahp_geometric_mean(&[a, b]).unwrap();
        assert!(close(g[0][1], 2.0, 1e-12) && close(g[1][0], 0.5, 1e-12));
        assert!(matches!(
            ahp_geometric_mean(&[vec![vec![1.0]], vec![vec![1.0, 2.0], vec![0.5, 1.0]]]),
            Err(EvalError::AhpExperts(1, 2))
        ));
    }

    #[test]
    fn entropy_by_hand() {
        // Column 1: 1, 1, 2 → p = .25 .25 .5, H = 1.0397, e = H/ln 3 = 0.9464, d = 0.0536.
        // Column 2 constant → weight 0. Column 3: 0, 0, 5 → p = 0, 0, 1, e = 0, d = 1.
        let x = Matrix::from_rows(&[vec![1.0, 7.0, 0.0], vec![1.0, 7.0, 0.0], vec![2.0, 7.0, 5.0]]).unwrap();
        let w = entropy_weights(&x, false).unwrap();
        let h = -(0.25f64 * 0.25f64.ln() * 2.0 + 0.5 * 0.5f64.ln());
        let d1 = 1.0 - h / 3f64.ln();
        assert!(close(w[0], d1 / (d1 + 1.0), 1e-12), "{w:?}");
        assert_eq!(w[1], 0.0);
        assert!(close(w[2], 1.0 / (d1 + 1.0), 1e-12));
        // Negative values: refused, or shifted by the column minimum.
        let neg = Matrix::from_rows(&[vec![-1.0, 1.0], vec![1.0, 2.0], vec![3.0, 3.0]]).unwrap();
        assert!(matches!(entropy_weights(&neg, false), Err(EvalError::Negative { row: 1, col: 1 })));
        let shifted = entropy_weights(&neg, true).unwrap();
        let same =
            entropy_weights(&Matrix::from_rows(&[vec![0.0, 1.0], vec![2.0, 2.0], vec![4.0, 3.0]]).unwrap(), false);
        assert_eq!(shifted, same.unwrap());
        // Every column constant: no weights, a message, never NaN.
        let flat = Matrix::from_rows(&[vec![1.0, 0.0], vec![1.0, 0.0]]).unwrap();
        assert_eq!(entropy_weights(&flat, false), Err(EvalError::AllConstant));
        assert_eq!(critic_weights(&flat, &[Kind::Benefit, Kind::Cost]), Err(EvalError::AllConstant));
    }

    #[test]
    fn critic_by_hand() {
        // Two benefit columns perfectly anti-correlated, a third constant.
        let x = Matrix::from_rows(&[vec![1.0, 3.0, 5.0], vec![2.0, 2.0, 5.0], vec![3.0, 1.0, 5.0]]).unwrap();
        let k = [Kind::Benefit, Kind::Benefit, Kind::Cost];
        let w = critic_weights(&x, &k).unwrap();
        // Both normalised to 0, .5, 1 (reversed): σ = 0.5, r = −1: C = 0.5·((1−1)+(1+1)+(1−0)) = 1.5 each.
        assert!(close(w[0], 0.5, 1e-12) && close(w[1], 0.5, 1e-12) && w[2] == 0.0, "{w:?}");
    }

    #[test]
    fn topsis_published_two_criteria_example() {
        // Sennaroğlu, Decision Analysis (2009): weights 0.714 / 0.286, alternatives (17, 12),
        // (10, 9), (8, 6); weighted normalised matrix 0.5703 0.2124 / 0.3355 0.1593 / 0.2684 0.1062.
        let x = Matrix::from_rows(&[vec![17.0, 12.0], vec![10.0, 9.0], vec![8.0, 6.0]]).unwrap();
        let k = [Kind::Benefit, Kind::Benefit];
        let w = [0.714, 0.286];
        let z = normalize(&x, &k, Normalization::Vector).unwrap();
        for (got, want) in [(z.cols[0][0] * w[0], 0.5703), (z.cols[1][1] * w[1], 0.1593), (z.cols[0][2] * w[0], 0.2684)]
        {
            assert!(close(got, want, 5e-5), "{got} {want}");
        }
        let c = topsis(&x, &k, &w, Normalization::Vector).unwrap();
        // The first alternative is the ideal point itself, the last the anti-ideal one.
        assert_eq!(c[0], 1.0);
        assert_eq!(c[2], 0.0);
        let (dp, dm) = ((0.5703f64 - 0.3355).hypot(0.2124 - 0.1593), (0.3355f64 - 0.2684).hypot(0.1593 - 0.1062));
        assert!(close(c[1], dm / (dp + dm), 2e-4), "{}", c[1]);
        assert_eq!(ranks(&c), vec![1.0, 2.0, 3.0]);
        // A cost criterion turns the order round on that criterion.
        let c = topsis(&x, &[Kind::Cost, Kind::Cost], &w, Normalization::Vector).unwrap();
        assert_eq!(ranks(&c), vec![3.0, 2.0, 1.0]);
        // All alternatives equal: 0.5 each, tied ranks.
        let eq = Matrix::from_rows(&[vec![1.0, 1.0], vec![1.0, 1.0]]).unwrap();
        assert_eq!(topsis(&eq, &k, &w, Normalization::Vector).unwrap(), vec![0.5, 0.5]);
    }

    #[test]
    fn weighted_sum_and_contributions() {
        let x = Matrix::from_rows(&[vec![10.0, 100.0], vec![20.0, 50.0], vec![30.0, 0.0]]).unwrap();
        let k = [Kind::Benefit, Kind::Cost];
        let w = [0.25, 0.75];
        // min-max: col 1 → 0, .5, 1; col 2 as a cost → 0, .5, 1.
        assert_eq!(wsum(&x, &k, &w).unwrap(), vec![0.0, 0.5, 1.0]);
        let c = wsum_contributions(&x, &k, &w).unwrap();
        assert_eq!(c[1], vec![0.125, 0.375]);
        assert!(matches!(wsum(&x, &k, &[1.0]), Err(EvalError::WeightsLen { given: 1, expected: 2 })));
        assert!(matches!(wsum(&x, &[Kind::Cost], &w), Err(EvalError::KindsLen { given: 1, expected: 2 })));
    }

    #[test]
    fn topsis_contributions_add_up_to_the_closeness() {
        let x = Matrix::from_rows(&[vec![17.0, 12.0, 3.0], vec![10.0, 9.0, 1.0], vec![8.0, 6.0, 2.0]]).unwrap();
        let k = [Kind::Benefit, Kind::Benefit, Kind::Cost];
        let w = [0.5, 0.3, 0.2];
        for how in [Normalization::Vector, Normalization::MinMax] {
            let c = topsis(&x, &k, &w, how).unwrap();
            let parts = topsis_contributions(&x, &k, &w, how).unwrap();
            for (row, ci) in parts.iter().zip(&c) {
                assert!((row.iter().sum::<f64>() - ci).abs() < 1e-12, "{row:?} {ci}");
                assert!(row.iter().all(|p| *p >= 0.0));
            }
        }
        let eq = Matrix::from_rows(&[vec![1.0, 1.0], vec![1.0, 1.0]]).unwrap();
        let parts =
            topsis_contributions(&eq, &[Kind::Benefit, Kind::Benefit], &[0.5, 0.5], Normalization::Vector).unwrap();
        assert_eq!(parts[0], vec![0.25, 0.25]);
    }

    #[test]
    fn ranks_share_ties() {
        assert_eq!(ranks(&[0.9, 0.5, 0.5, 0.1]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(ranks(&[0.2, 0.2, 0.2]), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn bad_matrices() {
        assert_eq!(Matrix::from_rows(&[vec![1.0]]), Err(EvalError::TooFewAlternatives(1)));
        assert!(matches!(Matrix::from_rows(&[vec![1.0, 2.0], vec![1.0]]), Err(EvalError::Ragged { row: 2, .. })));
        assert!(matches!(
            Matrix::from_rows(&[vec![1.0], vec![f64::NAN]]),
            Err(EvalError::NotFinite { row: 2, col: 1 })
        ));
        assert_eq!(rescale(&[0.0, 0.0]), Err(EvalError::ZeroWeights));
        // Already summing to 1 (within 1e-12): kept bit for bit.
        let w = [0.1, 0.2, 0.7000000000000001];
        assert_eq!(rescale(&w).unwrap(), w.to_vec());
        assert_eq!(rescale(&[1.0, 3.0]).unwrap(), vec![0.25, 0.75]);
        assert_eq!(rescale(&[1.0, -1.0]), Err(EvalError::BadWeight(2)));
        assert_eq!(combine(&[1.0], &[1.0], 1.5), Err(EvalError::Alpha(1.5)));
        let c = combine(&[3.0, 1.0], &[0.5, 0.5], 0.4).unwrap();
        assert!(close(c[0], 0.4 * 0.75 + 0.6 * 0.5, 1e-12));
    }

    fn matrix() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<Kind>)> {
        (2usize..12, 1usize..6).prop_flat_map(|(m, n)| {
            (
                proptest::collection::vec(proptest::collection::vec(0.0f64..1000.0, n), m),
                proptest::collection::vec(prop_oneof![Just(Kind::Benefit), Just(Kind::Cost)], n),
            )
        })
    }

    proptest! {
        #[test]
        fn weights_are_non_negative_and_sum_to_one((rows, kinds) in matrix()) {
            let x = Matrix::from_rows(&rows).unwrap();
            for w in [entropy_weights(&x, false), critic_weights(&x, &kinds)].into_iter().flatten() {
                prop_assert!(w.iter().all(|v| *v >= 0.0 && v.is_finite()));
                prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
        }

        #[test]
        fn topsis_ranks_ignore_a_column_scaled_by_a_positive_constant(
            (rows, kinds) in matrix(), k in 0.001f64..1000.0, col in 0usize..6, minmax in any::<bool>()
        ) {
            let x = Matrix::from_rows(&rows).unwrap();
            let j = col % x.n();
            let mut y = x.clone();
            y.cols[j].iter_mut().for_each(|v| *v *= k);
            let w = equal_weights(x.n());
            let how = if minmax { Normalization::MinMax } else { Normalization::Vector };
            let a = topsis(&x, &kinds, &w, how).unwrap();
            let b = topsis(&y, &kinds, &w, how).unwrap();
            for (p, q) in a.iter().zip(&b) {
                prop_assert!((p - q).abs() < 1e-9, "{a:?} {b:?}");
            }
        }

        #[test]
        fn ahp_of_a_consistent_matrix_recovers_its_weights(raw in proptest::collection::vec(0.1f64..10.0, 1..10)) {
            let s: f64 = raw.iter().sum();
            let w: Vec<f64> = raw.iter().map(|v| v / s).collect();
            let a: Vec<Vec<f64>> = w.iter().map(|wi| w.iter().map(|wj| wi / wj).collect()).collect();
            let r = ahp(&a).unwrap();
            prop_assert!(r.cr.abs() < 1e-9, "{}", r.cr);
            prop_assert!((r.lambda_max - w.len() as f64).abs() < 1e-9);
            for (p, q) in r.weights.iter().zip(&w) {
                prop_assert!((p - q).abs() < 1e-9);
            }
        }
    }
}
