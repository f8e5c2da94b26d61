//! Bulk import of enterprises, indicator values and honours from xlsx or csv: every row
//! validated first, a report by row and column, then all rows in one transaction or none.

use crate::account::Principal;
use crate::{App, AppError, Result};
use office::{FieldSpec, HeaderMap, Limits, Table};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Enterprises,
    Indicators,
    Honours,
    /// Entries of the listing reserve pool (上市后备企业资源库).
    Reserve,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<ImportKind> {
        match s {
            "enterprises" => Some(ImportKind::Enterprises),
            "indicators" => Some(ImportKind::Indicators),
            "honours" => Some(ImportKind::Honours),
            "reserve" => Some(ImportKind::Reserve),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Enterprises => "enterprises",
            ImportKind::Indicators => "indicators",
            ImportKind::Honours => "honours",
            ImportKind::Reserve => "reserve",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Enterprises => "企业名录",
            ImportKind::Indicators => "指标数据",
            ImportKind::Honours => "荣誉认定",
            ImportKind::Reserve => "上市后备库",
        }
    }
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            ImportKind::Enterprises => office::ENTERPRISE_FIELDS,
            ImportKind::Indicators => office::INDICATOR_VALUE_FIELDS,
            ImportKind::Honours => office::HONOUR_FIELDS,
            ImportKind::Reserve => office::RESERVE_FIELDS,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    /// Header text → field key, from the mapping step.
    pub overrides: HashMap<String, String>,
    pub limits: Option<Limits>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// One row's effect, shown before commit.
#[derive(Clone, Debug, Serialize)]
pub struct RowChange {
    pub line: usize,
    pub key: String,
    pub name: String,
    /// 新增 or 更新.
    pub action: String,
    /// (field label, old, new)
    pub fields: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub file: String,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The first [`MAX_LISTED_ERRORS`] problems; `error_total` counts them all.
    pub errors: Vec<RowProblem>,
    pub error_total: usize,
    pub warnings: Vec<String>,
    /// The first few hundred changes.
    pub changes: Vec<RowChange>,
    pub committed: bool,
}

pub(crate) const PREVIEW: usize = 300;
/// Problems kept in a report (a file where every row is wrong must not fill the memory).
pub const MAX_LISTED_ERRORS: usize = 10_000;

impl ImportReport {
    pub(crate) fn add_problems(&mut self, problems: Vec<RowProblem>) {
        self.error_total += problems.len();
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(problems.into_iter().take(room));
    }
}

pub(crate) fn cell<'a>(map: &HeaderMap, cells: &'a [String], key: &str) -> &'a str {
    map.get(cells, key).unwrap_or("")
}

/// The distinct valid USCCs of a file.
pub(crate) fn file_usccs(table: &Table, map: &HeaderMap) -> Vec<String> {
    table
        .rows
        .iter()
        .filter_map(|r| domain::uscc::Uscc::parse(cell(map, &r.cells, "uscc")).ok())
        .map(|u| u.as_str().to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// USCC → (the stored row, whether the caller may write it).
pub(crate) type Known = HashMap<String, (store::enterprise::EnterpriseRow, bool)>;

/// The id of the enterprise a row of an indicator or honour file names, if the caller may
/// write it; otherwise the message for the row.
pub(crate) fn writable_enterprise(known: &Known, text: &str) -> std::result::Result<i64, String> {
    let u = domain::uscc::Uscc::parse(text).map_err(|e| e.to_string())?;
    match known.get(u.as_str()) {
        Some((r, true)) => Ok(r.id),
        Some((_, false)) => Err("该企业不在您的管辖范围内".into()),
        None => Err("企业库中没有该企业，请先导入企业名录".into()),
    }
}

pub(crate) fn file_error(e: impl std::fmt::Display) -> AppError {
    AppError::invalid("file", e)
}

impl App {
    /// Reads, validates and (unless `dry_run` or any row is invalid) writes one file.
    /// A report with errors has written nothing.
    pub async fn import(
        &self,
        p: &Principal,
        kind: ImportKind,
        bytes: bytes::Bytes,
        file_name: &str,
        opts: &ImportOptions,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<ImportReport> {
        p.ensure_active()?;
        if !p.enterprise_scope.writes_anything() {
            return Err(AppError::Forbidden("您的角色无权导入企业数据".into()));
        }
        let limits = opts.limits.clone().unwrap_or_default();
        let mut report = ImportReport {
            kind,
            file: file_name.to_string(),
            rows: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            errors: vec![],
            error_total: 0,
            warnings: vec![],
            changes: vec![],
            committed: false,
        };
        let read = |bytes: &[u8]| -> Result<(Table, HeaderMap)> {
            let table = office::read_table(bytes, file_name, &limits).map_err(file_error)?;
            let map = office::map_headers(&table.headers, kind.fields(), &opts.overrides).map_err(file_error)?;
            if table.rows.is_empty() {
                return Err(file_error("文件中没有数据行"));
            }
            Ok((table, map))
        };
        match kind {
            ImportKind::Enterprises => {
                // Streamed: the header first (with every upload check), then the rows.
                let headers = office::read_headers(&bytes, file_name, &limits).map_err(file_error)?;
                let map = office::map_headers(&headers, kind.fields(), &opts.overrides).map_err(file_error)?;
                report.warnings = map.warnings();
                self.import_enterprises(p, bytes, map, opts, &mut report, progress).await?;
            }
            ImportKind::Indicators => {
                // Streamed like the enterprise list: a province's yearly file runs to millions of rows.
                let headers = office::read_headers(&bytes, file_name, &limits).map_err(file_error)?;
                let map = office::map_headers(&headers, kind.fields(), &opts.overrides).map_err(file_error)?;
                report.warnings = map.warnings();
                self.import_indicators(p, bytes, map, opts, &mut report, progress).await?;
            }
            ImportKind::Honours => {
                let (table, map) = read(&bytes)?;
                (report.rows, report.warnings) = (table.rows.len(), map.warnings());
                self.import_honours(p, table, &map, opts, &mut report, progress).await?;
            }
            ImportKind::Reserve => {
                let (table, map) = read(&bytes)?;
                (report.rows, report.warnings) = (table.rows.len(), map.warnings());
                self.import_reserve(p, table, &map, opts, &mut report, progress).await?;
            }
        }
        Ok(report)
    }

    /// USCC → (id, writable) for the enterprises of a file.
    pub(crate) async fn known(
        &self,
        p: &Principal,
        usccs: &[String],
    ) -> Result<HashMap<String, (store::enterprise::EnterpriseRow, bool)>> {
        let rows = store::enterprise::by_usccs(&self.db, usccs).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let w = store::enterprise::writable_ids(&self.db, &p.enterprise_scope, &ids).await?;
        Ok(rows.into_iter().map(|r| (r.uscc.clone(), (r.clone(), w.contains(&r.id)))).collect())
    }

    async fn import_honours(
        &self,
        p: &Principal,
        table: Table,
        map: &HeaderMap,
        opts: &ImportOptions,
        report: &mut ImportReport,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<()> {
        let kinds = self.honour_kinds().await?;
        let known = self.known(p, &file_usccs(&table, map)).await?;
        let this_year: i32 = self.now().format("%Y").to_string().parse().unwrap_or(2100);
        let mut seen: HashMap<(i64, String, String, i64), usize> = HashMap::new();
        let mut honours = Vec::new();
        // Rows are consumed as they are validated, so their cells are freed while the
        // validated data grows: the peak is about one of the two, not both.
        let total = table.rows.len();
        for (n, row) in table.rows.into_iter().enumerate() {
            if n % 1000 == 0 {
                progress(n, total);
            }
            let c = |k: &str| cell(map, &row.cells, k).trim().to_string();
            let err = |column: &str, value: String, message: String| RowProblem {
                line: row.line,
                column: column.into(),
                value,
                message,
            };
            let mut problems = Vec::new();
            let enterprise = match writable_enterprise(&known, &c("uscc")) {
                Ok(id) => Some(id),
                Err(m) => {
                    problems.push(err("统一社会信用代码", c("uscc"), m));
                    None
                }
            };
            let h = c("honour");
            let norm = |s: &str| s.replace(['“', '”', '"', ' '], "");
            let kind =
                kinds.iter().find(|k| k.applies_to == "enterprise" && (k.code == h || norm(&k.name) == norm(&h)));
            if kind.is_none() {
                problems.push(err("荣誉", h.clone(), format!("未知的荣誉或认定“{h}”")));
            }
            let level_text = c("level");
            let level = crate::ledger::LEVELS
                .iter()
                .find(|(code, label)| {
                    *code == level_text || *label == level_text || label.trim_end_matches('级') == level_text
                })
                .map(|(code, _)| code.to_string());
            if level.is_none() {
                problems.push(err("级别", level_text.clone(), "级别应为国家级、省级、市级或县级".into()));
            }
            let year = match office::dates::parse_period(&c("year")) {
                Ok(per) if (1990..=this_year + 1).contains(&per.year) => Some(per.year as i64),
                Ok(_) => {
                    problems.push(err("年份", c("year"), "认定年份超出范围".into()));
                    None
                }
                Err(m) => {
                    problems.push(err("年份", c("year"), m));
                    None
                }
            };
            let valid_until = match c("valid_until") {
                v if v.is_empty() => None,
                v => match office::dates::parse_date(&v) {
                    Ok(d) => Some(d),
                    Err(m) => {
                        problems.push(err("有效期至", v, m));
                        None
                    }
                },
            };
            if let (Some(eid), Some(k), Some(l), Some(y), true) = (enterprise, kind, level, year, problems.is_empty()) {
                if let Some(first) = seen.insert((eid, k.code.clone(), l.clone(), y), row.line) {
                    problems.push(err("荣誉", h.clone(), format!("与第 {first} 行重复")));
                } else {
                    honours.push(store::gradient::NewHonour {
                        enterprise_id: eid,
                        kind_code: k.code.clone(),
                        level: l,
                        year: y,
                        valid_until,
                        source: format!("导入：{}", report.file),
                    });
                }
            }
            report.add_problems(problems);
        }
        progress(total, total);
        report.created = honours.len();
        if !report.errors.is_empty() || opts.dry_run {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        for h in &honours {
            store::gradient::upsert_honour(&mut tx, h, now, p.by()).await?;
        }
        let after = serde_json::json!({"file": report.file, "rows": report.rows, "honours": honours.len()});
        self.close_import(tx, p, "import.honours", report, after).await
    }
}

/// The error report as an xlsx workbook.
pub fn error_report_xlsx(errors: &[RowProblem]) -> Vec<u8> {
    let rows: Vec<office::RowError> = errors
        .iter()
        .map(|e| office::RowError {
            line: e.line,
            column: e.column.clone(),
            value: e.value.clone(),
            message: e.message.clone(),
        })
        .collect();
    office::error_report_xlsx(&rows)
}
