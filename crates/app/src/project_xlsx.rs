//! Files of key projects: the project list imported from and exported to the xlsx/csv layout
//! counties already use (with a header-mapping step for other layouts), and the monthly
//! scheduling report 调度 as an xlsx workbook and an official-style docx notice
//! (the `schedule` submodule; the export is in `export`).
//!
//! The import follows the other imports: every row checked (with `App::check_project`, the
//! same checks as the form), every problem reported by row and column, then either nothing
//! written or every row in one transaction.

mod export;
mod schedule;

pub use export::{ProjectExport, project_template_xlsx, projects_xlsx};
pub use schedule::{schedule_docx, schedule_xlsx};

use crate::account::Principal;
use crate::import::{MAX_LISTED_ERRORS, RowProblem, file_error};
use crate::project::ProjectInput;
use crate::{App, AppError, Result, audit_entry};
use chrono::Datelike;
use domain::project::{self as dp, Stage};
use office::{FieldSpec, HeaderMap, Limits};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use store::sql::Sql;

/// The columns of the county layout (重点项目清单) with the names other layouts give them.
/// Yearly plan columns (`2026年计划投资（万元）`, any number of years) are found by their
/// pattern, not here: see [`plan_year`].
pub const PROJECT_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "code", label: "项目编号", required: false, aliases: &["项目代码", "项目编码", "项目序号"]
    },
    FieldSpec { key: "name", label: "项目名称", required: true, aliases: &["项目"] },
    FieldSpec {
        key: "chain",
        label: "所属产业链",
        required: true,
        aliases: &["产业链", "重点产业链", "所属重点产业链", "产业链名称", "所属链条"],
    },
    FieldSpec {
        key: "segment", label: "产业链环节", required: false, aliases: &["环节", "所属环节", "链条环节"]
    },
    FieldSpec {
        key: "region",
        label: "所在县（市、区）/园区",
        required: true,
        aliases: &[
            "所在县（市、区）",
            "县（市、区）",
            "县（市、区）/园区",
            "所在区县",
            "所属区县",
            "区县",
            "所在地",
            "建设地点",
            "所在园区",
            "所属园区",
            "园区",
            "区域",
        ],
    },
    FieldSpec {
        key: "investor",
        label: "项目业主",
        required: false,
        aliases: &["业主单位", "项目业主单位", "项目单位", "建设单位", "投资主体", "业主", "投资方"],
    },
    FieldSpec {
        key: "uscc",
        label: "统一社会信用代码",
        required: false,
        aliases: &["业主统一社会信用代码", "信用代码", "社会信用代码", "统一代码"],
    },
    FieldSpec {
        key: "kind", label: "项目类型", required: true, aliases: &["类型", "项目类别", "项目性质"]
    },
    FieldSpec { key: "tag_effective", label: "有效投资", required: false, aliases: &["是否有效投资"] },
    FieldSpec { key: "tag_rooted", label: "有根产业", required: false, aliases: &["是否有根产业"] },
    FieldSpec {
        key: "tag_tax", label: "有持续税源", required: false, aliases: &["是否有持续税源", "持续税源"]
    },
    FieldSpec { key: "tags", label: "项目标签", required: false, aliases: &["三有标签", "标签", "三有"] },
    FieldSpec {
        key: "total_wan",
        label: "总投资（万元）",
        required: true,
        aliases: &["总投资", "计划总投资", "计划总投资（万元）", "项目总投资", "项目总投资（万元）"],
    },
    FieldSpec {
        key: "land_mu",
        label: "用地面积（亩）",
        required: false,
        aliases: &["用地面积", "用地", "占地面积", "占地面积（亩）", "用地规模", "用地规模（亩）"],
    },
    FieldSpec {
        key: "land_mode",
        label: "供地方式",
        required: false,
        aliases: &["用地方式", "土地供应方式", "供地类型"],
    },
    FieldSpec {
        key: "output_wan",
        label: "预计年产值（万元）",
        required: false,
        aliases: &["预计年产值", "达产后年产值", "达产后年产值（万元）", "达产年产值（万元）"],
    },
    FieldSpec {
        key: "tax_wan",
        label: "预计年税收（万元）",
        required: false,
        aliases: &["预计年税收", "达产后年税收", "达产后年税收（万元）", "达产年税收（万元）"],
    },
    FieldSpec {
        key: "content",
        label: "建设内容",
        required: false,
        aliases: &["建设内容及规模", "建设规模及内容", "主要建设内容", "项目简介"],
    },
    FieldSpec {
        key: "stage",
        label: "项目阶段",
        required: false,
        aliases: &["阶段", "当前阶段", "推进阶段", "项目进度阶段"],
    },
    FieldSpec {
        key: "planned_start",
        label: "计划开工日期",
        required: true,
        aliases: &["计划开工时间", "开工日期", "开工时间", "拟开工时间"],
    },
    FieldSpec {
        key: "planned_end",
        label: "计划竣工日期",
        required: false,
        aliases: &["计划竣工时间", "竣工日期", "竣工时间", "拟竣工时间"],
    },
    FieldSpec {
        key: "unit", label: "责任单位", required: true, aliases: &["牵头责任单位", "责任部门", "牵头单位"]
    },
    FieldSpec { key: "person", label: "责任人", required: true, aliases: &["项目责任人", "负责人"] },
    FieldSpec {
        key: "contact",
        label: "联系电话",
        required: false,
        aliases: &["联系方式", "电话", "手机", "联系人电话"],
    },
];

/// Columns the export adds that the import reads past (figures the system computes).
const EXPORT_ONLY: [&str; 2] = ["累计完成投资（万元）", "最近月报月份"];

/// The override value that maps a header to a year's plan: `plan:2026`.
pub const PLAN_PREFIX: &str = "plan:";

/// Rows shown in a preview.
pub const PREVIEW_ROWS: usize = 20;

#[derive(Clone, Debug, Default)]
pub struct ProjectImportOptions {
    /// Write the rows when every one passes; otherwise only check them and preview.
    pub apply: bool,
    /// Header text → field key (or `plan:YYYY`, or "" to ignore the column), from the mapping step.
    pub overrides: HashMap<String, String>,
    pub limits: Option<Limits>,
}

/// One row as the import reads it, for the preview.
#[derive(Clone, Debug, Serialize)]
pub struct PreviewRow {
    pub line: usize,
    /// Empty: generated when written.
    pub code: String,
    pub name: String,
    pub chain: String,
    pub segment: String,
    pub region: String,
    pub kind: String,
    pub total_wan: String,
    /// `2026年 5000；2027年 3000`
    pub plans: String,
    pub stage: String,
    pub unit: String,
    pub person: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProjectImportReport {
    pub file: String,
    pub rows: usize,
    /// Rows without any problem.
    pub valid: usize,
    /// Projects written (apply only).
    pub created: usize,
    /// The years of the plan columns found.
    pub plan_years: Vec<i64>,
    /// Each header of the file and how it is read (a field's label, a year's plan, or ignored).
    pub mapping: Vec<(String, String)>,
    /// Headers that match nothing (ignored unless mapped).
    pub unknown: Vec<String>,
    pub warnings: Vec<String>,
    /// The first [`MAX_LISTED_ERRORS`] problems; `error_total` counts them all.
    pub errors: Vec<RowProblem>,
    pub error_total: usize,
    pub preview: Vec<PreviewRow>,
    pub committed: bool,
}

impl ProjectImportReport {
    fn add_problems(&mut self, problems: Vec<RowProblem>) {
        self.error_total += problems.len();
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(problems.into_iter().take(room));
    }
}

/// A header as the matcher compares it: half-width, no spaces or stars, one bracket shape,
/// lower case.
fn norm(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '[' | '【' | '〔' => '(',
            ']' | '】' | '〕' => ')',
            c => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '\u{FEFF}' | '\u{200B}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The year of a yearly plan column: `2026年计划投资（万元）`, `2026年度计划投资`,
/// `2026计划完成投资`, `2026年投资计划（万元）`. `Some(Err)` for a plan column in another unit.
pub fn plan_year(header: &str) -> Option<std::result::Result<i64, String>> {
    let n = norm(header);
    let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let rest = &n[4..];
    let rest = rest.strip_prefix('年').unwrap_or(rest);
    let rest = rest.strip_prefix('度').unwrap_or(rest);
    let (words, unit) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
        Some((w, u)) => (w, Some(u)),
        None => (rest, None),
    };
    if !matches!(words, "计划投资" | "计划完成投资" | "投资计划" | "年度计划投资" | "计划投资额")
    {
        return None;
    }
    let year: i64 = digits.parse().ok()?;
    match unit {
        None | Some("万元") => Some(Ok(year)),
        Some(u) => Some(Err(format!("列“{header}”的单位为“{u}”，年度计划投资应以万元计，请换算后再导入"))),
    }
}

/// Which column holds what.
struct Layout {
    headers: Vec<String>,
    map: HeaderMap,
    /// (year, column)
    years: Vec<(i64, usize)>,
}

impl Layout {
    fn of(headers: &[String], overrides: &HashMap<String, String>) -> std::result::Result<Layout, String> {
        let by_norm: HashMap<String, &str> = overrides.iter().map(|(h, k)| (norm(h), k.as_str())).collect();
        let field_overrides: HashMap<String, String> = overrides
            .iter()
            .filter(|(_, k)| !k.starts_with(PLAN_PREFIX))
            .map(|(h, k)| (h.clone(), k.clone()))
            .collect();
        let mut masked = headers.to_vec();
        let mut years: Vec<(i64, usize)> = Vec::new();
        let mut problems = Vec::new();
        let export_only: Vec<String> = EXPORT_ONLY.iter().map(|h| norm(h)).collect();
        for (i, h) in headers.iter().enumerate() {
            let year = match by_norm.get(&norm(h)) {
                Some(k) if k.starts_with(PLAN_PREFIX) => match k[PLAN_PREFIX.len()..].parse::<i64>() {
                    Ok(y) if (2000..=2100).contains(&y) => Some(Ok(y)),
                    _ => Some(Err(format!("列“{h}”映射的年度“{}”无效", &k[PLAN_PREFIX.len()..]))),
                },
                // The mapping step decides this column.
                Some(_) => None,
                None if export_only.contains(&norm(h)) => {
                    masked[i].clear();
                    None
                }
                None => plan_year(h),
            };
            match year {
                None => {}
                Some(Ok(y)) => {
                    masked[i].clear();
                    if let Some((_, j)) = years.iter().find(|(yy, _)| *yy == y) {
                        problems.push(format!("列“{}”和“{h}”都是{y}年计划投资，请只保留一列", headers[*j]));
                    } else {
                        years.push((y, i));
                    }
                }
                Some(Err(m)) => {
                    masked[i].clear();
                    problems.push(m);
                }
            }
        }
        years.sort_unstable();
        let map = match office::map_headers(&masked, PROJECT_FIELDS, &field_overrides) {
            Ok(map) => Some(map),
            Err(e) => {
                problems.extend(e.problems.iter().map(ToString::to_string));
                None
            }
        };
        match map {
            Some(map) if problems.is_empty() => Ok(Layout { headers: headers.to_vec(), map, years }),
            _ => Err(problems.join("；")),
        }
    }

    fn cell<'r>(&self, cells: &'r [String], key: &str) -> &'r str {
        self.map.get(cells, key).map(str::trim).unwrap_or("")
    }

    /// The column a field is read from as the file names it, or the field's label.
    fn column(&self, key: &str) -> String {
        match self.map.index(key) {
            Some(i) => self.headers[i].clone(),
            None => PROJECT_FIELDS.iter().find(|f| f.key == key).map_or(key, |f| f.label).to_string(),
        }
    }

    /// Each header and how it is read.
    fn describe(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .map(|(i, h)| {
                let what = if let Some((key, _)) = self.map.columns().find(|(_, c)| *c == i) {
                    PROJECT_FIELDS.iter().find(|f| f.key == key).map_or(key, |f| f.label).to_string()
                } else if let Some((y, _)) = self.years.iter().find(|(_, c)| *c == i) {
                    format!("{y}年计划投资（万元）")
                } else if self.map.unknown.contains(h) {
                    "未识别，忽略".to_string()
                } else {
                    "忽略".to_string()
                };
                (h.clone(), what)
            })
            .collect()
    }
}

/// 是/否 as files write it: 是, √, ✓, Y, 有 … and 否, ×, N, 无, empty.
fn flag(s: &str) -> Option<bool> {
    match norm(s).as_str() {
        "" | "否" | "×" | "x" | "n" | "no" | "false" | "0" | "无" | "-" | "—" | "/" => Some(false),
        "是" | "√" | "✓" | "✔" | "y" | "yes" | "true" | "1" | "有" | "符合" => Some(true),
        _ => None,
    }
}

/// The field of a checked input → the import's field key.
fn import_key(field: &str) -> &str {
    match field {
        "segment_id" => "segment",
        "enterprise_uscc" => "uscc",
        f => f,
    }
}

/// Earliest and latest years a planned date may fall in, from this year.
fn date_years(this_year: i32) -> (i32, i32) {
    (2000, this_year + 10)
}

impl App {
    /// The city's name (the prefecture in the region table), for titles.
    pub async fn city_name(&self) -> Result<String> {
        Ok(self
            .regions()
            .await?
            .into_iter()
            .find(|r| r.kind == "prefecture")
            .map(|r| r.name)
            .unwrap_or_else(|| "达州市".to_string()))
    }

    /// Reads a project list (xlsx or csv), checks every row and, with `opts.apply` and no
    /// problem in any row, adds every project in one transaction. A report with errors has
    /// written nothing.
    pub async fn import_projects(
        &self,
        p: &Principal,
        bytes: &[u8],
        file_name: &str,
        opts: &ProjectImportOptions,
    ) -> Result<ProjectImportReport> {
        let options = self.project_options(p).await?;
        if options.chains.is_empty() || options.regions.is_empty() {
            return Err(AppError::Forbidden("您的角色无权登记重点项目".into()));
        }
        let limits = opts.limits.clone().unwrap_or_default();
        let table = office::read_table(bytes, file_name, &limits).map_err(file_error)?;
        let layout = Layout::of(&table.headers, &opts.overrides).map_err(file_error)?;
        if table.rows.is_empty() {
            return Err(file_error("文件中没有数据行"));
        }
        let mut report = ProjectImportReport {
            file: file_name.to_string(),
            rows: table.rows.len(),
            valid: 0,
            created: 0,
            plan_years: layout.years.iter().map(|(y, _)| *y).collect(),
            mapping: layout.describe(),
            unknown: layout.map.unknown.clone(),
            warnings: layout.map.warnings(),
            errors: Vec::new(),
            error_total: 0,
            preview: Vec::new(),
            committed: false,
        };
        let chains = self.chains().await?;
        let mut segments: HashMap<i64, Vec<store::chainmap::SegmentRow>> = HashMap::new();
        let existing = self.existing_codes(&table, &layout).await?;
        let today = self.today();
        let (min_year, max_year) = date_years(today.year());
        let mut first_line_of_code: HashMap<String, usize> = HashMap::new();
        let mut checked = Vec::new();
        for row in &table.rows {
            let c = |key: &str| layout.cell(&row.cells, key).to_string();
            let mut problems: Vec<RowProblem> = Vec::new();
            let mut problem = |key: &str, value: String, message: String| {
                problems.push(RowProblem { line: row.line, column: layout.column(key), value, message })
            };
            let mut input = ProjectInput {
                code: c("code"),
                name: c("name"),
                chain: c("chain"),
                region: c("region"),
                enterprise_uscc: c("uscc"),
                investor: c("investor"),
                kind: c("kind"),
                total_wan: c("total_wan"),
                land_mu: c("land_mu"),
                land_mode: c("land_mode"),
                output_wan: c("output_wan"),
                tax_wan: c("tax_wan"),
                content: c("content"),
                unit: c("unit"),
                person: c("person"),
                contact: c("contact"),
                planned_start: c("planned_start"),
                planned_end: c("planned_end"),
                stage: c("stage"),
                ..Default::default()
            };
            input.plans = layout
                .years
                .iter()
                .map(|(y, i)| (y.to_string(), row.cells.get(*i).map(|v| v.trim().to_string()).unwrap_or_default()))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            // The three tags, each in a column of its own or together in one.
            for (key, label) in [("tag_effective", "有效投资"), ("tag_rooted", "有根产业"), ("tag_tax", "有持续税源")]
            {
                let v = c(key);
                match flag(&v) {
                    Some(b) => match key {
                        "tag_effective" => input.tag_effective = b,
                        "tag_rooted" => input.tag_rooted = b,
                        _ => input.tag_tax = b,
                    },
                    None => problem(key, v, format!("“{label}”应填“是”或“否”（也可填 √ 或留空）")),
                }
            }
            let tags = c("tags");
            for part in tags.split(['、', ',', '，', ';', '；', '/', ' ']).map(str::trim).filter(|t| !t.is_empty()) {
                match dp::TAGS
                    .iter()
                    .find(|(code, label)| *code == part || *label == part || label.trim_start_matches('有') == part)
                {
                    Some(("effective_investment", _)) => input.tag_effective = true,
                    Some(("rooted_industry", _)) => input.tag_rooted = true,
                    Some(_) => input.tag_tax = true,
                    None => {
                        problem("tags", tags.clone(), format!("未知的标签“{part}”，应为有效投资、有根产业或有持续税源"))
                    }
                }
            }
            // The segment by name or code on the row's chain.
            let seg = c("segment");
            if !seg.is_empty()
                && let Some(chain) = chains
                    .iter()
                    .find(|ch| ch.code == input.chain || ch.name == input.chain || ch.id.to_string() == input.chain)
            {
                if let std::collections::hash_map::Entry::Vacant(e) = segments.entry(chain.id) {
                    e.insert(store::chainmap::segments(&self.db, chain.id).await?);
                }
                let found = segments[&chain.id].iter().find(|s| !s.retired && (s.name == seg || s.code == seg));
                match found {
                    Some(s) => input.segment_id = Some(s.id),
                    None => problem("segment", seg.clone(), format!("“{}”的产业链图谱中没有环节“{seg}”", chain.name)),
                }
            }
            // Dates people mistype into another century.
            for key in ["planned_start", "planned_end"] {
                let v = c(key);
                if let Ok(d) = office::parse_date(&v)
                    && !(min_year..=max_year).contains(&d.year())
                {
                    problem(key, v, format!("日期 {d} 不在合理范围内（{min_year}年至{max_year}年），请检查"));
                }
            }
            // Codes: unique in the file and new to the library.
            if !input.code.is_empty() {
                if let Some(first) = first_line_of_code.get(&input.code) {
                    problem("code", input.code.clone(), format!("与第 {first} 行的项目编号重复"));
                } else {
                    first_line_of_code.insert(input.code.clone(), row.line);
                    if existing.contains(&input.code) {
                        problem(
                            "code",
                            input.code.clone(),
                            "项目编号已存在于项目库中（已入库的项目请在项目页面修改）".into(),
                        );
                    }
                }
            }
            if report.preview.len() < PREVIEW_ROWS {
                report.preview.push(preview_row(row.line, &input, &seg));
            }
            match self.check_project(p, &input, None).await {
                Ok(checked_row) => {
                    if problems.is_empty() {
                        checked.push(checked_row);
                    }
                }
                Err(AppError::Invalid(fields)) => {
                    for f in fields {
                        let (key, value) = if f.field == "plans" {
                            plan_cell(&layout, &row.cells, &f.message)
                        } else {
                            let key = import_key(&f.field);
                            (key.to_string(), c(key))
                        };
                        problem(&key, value, f.message);
                    }
                }
                Err(e) => return Err(e),
            }
            report.add_problems(problems);
        }
        report.valid = checked.len();
        if report.error_total > 0 || !opts.apply {
            return Ok(report);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::with_capacity(checked.len());
        for (new, plans, stage) in checked {
            ids.push(self.insert_project(&mut tx, p, new, &plans, stage, today, now).await?);
        }
        let after = serde_json::json!({"file": report.file, "rows": report.rows, "projects": ids.len(), "ids": ids});
        let entry = audit_entry(&p.actor(), "import.projects", "import", &report.file, None, Some(after));
        store::audit::append(&mut tx, now, &entry).await?;
        tx.commit().await?;
        report.created = ids.len();
        report.committed = true;
        Ok(report)
    }

    /// The project codes of a file that are already in the library.
    async fn existing_codes(&self, table: &office::Table, layout: &Layout) -> Result<HashSet<String>> {
        let codes: Vec<String> = table
            .rows
            .iter()
            .map(|r| layout.cell(&r.cells, "code").to_string())
            .filter(|c| !c.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut out = HashSet::new();
        for chunk in codes.chunks(500) {
            let mut q = Sql::new("SELECT code FROM project WHERE code IN ");
            q.bind_list(chunk.iter().cloned());
            out.extend(q.fetch_all::<(String,)>(&self.db).await?.into_iter().map(|(c,)| c));
        }
        Ok(out)
    }
}

/// The column and value a plan problem is about: the year it names, or all plan columns.
fn plan_cell(layout: &Layout, cells: &[String], message: &str) -> (String, String) {
    let named = layout.years.iter().find(|(y, _)| message.contains(&format!("{y}年")));
    match named {
        Some((_, i)) => (layout.headers[*i].clone(), cells.get(*i).cloned().unwrap_or_default()),
        None => {
            // The plan cells the row fills.
            let filled: Vec<(&str, &str)> = layout
                .years
                .iter()
                .filter_map(|(_, i)| Some((layout.headers[*i].as_str(), cells.get(*i)?.trim())))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let cols: Vec<&str> = filled.iter().map(|(h, _)| *h).collect();
            let vals: Vec<&str> = filled.iter().map(|(_, v)| *v).collect();
            (if cols.is_empty() { "年度计划投资".into() } else { cols.join("、") }, vals.join("、"))
        }
    }
}

fn preview_row(line: usize, i: &ProjectInput, segment: &str) -> PreviewRow {
    PreviewRow {
        line,
        code: i.code.clone(),
        name: i.name.clone(),
        chain: i.chain.clone(),
        segment: segment.to_string(),
        region: i.region.clone(),
        kind: dp::code_of(&dp::KINDS, &i.kind).map_or_else(|| i.kind.clone(), |k| dp::kind_label(k).to_string()),
        total_wan: i.total_wan.clone(),
        plans: i.plans.iter().map(|(y, v)| format!("{y}年 {v}")).collect::<Vec<_>>().join("；"),
        stage: if i.stage.is_empty() {
            Stage::Planning.label().to_string()
        } else {
            Stage::parse(&i.stage).map_or_else(|| i.stage.clone(), |s| s.label().to_string())
        },
        unit: i.unit.clone(),
        person: i.person.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plan_columns_are_found_by_their_pattern() {
        assert_eq!(plan_year("2026年计划投资（万元）"), Some(Ok(2026)));
        assert_eq!(plan_year("2027年度计划投资"), Some(Ok(2027)));
        assert_eq!(plan_year(" 2028 年计划完成投资(万元) "), Some(Ok(2028)));
        assert_eq!(plan_year("２０２６年投资计划【万元】"), Some(Ok(2026)));
        assert!(matches!(plan_year("2026年计划投资（亿元）"), Some(Err(m)) if m.contains("亿元")));
        assert_eq!(plan_year("计划总投资（万元）"), None);
        assert_eq!(plan_year("2026年完成投资"), None);
        assert_eq!(plan_year("项目名称"), None);
    }

    #[test]
    fn the_county_layout_maps_without_help() {
        let headers = h(&[
            "序号",
            "项目编号",
            "项目名称*",
            "所属产业链*",
            "产业链环节",
            "所在县（市、区）/园区*",
            "项目业主",
            "统一社会信用代码",
            "项目类型*",
            "有效投资",
            "有根产业",
            "有持续税源",
            "总投资（万元）*",
            "2026年计划投资（万元）",
            "2027年计划投资（万元）",
            "用地面积（亩）",
            "供地方式",
            "预计年产值（万元）",
            "预计年税收（万元）",
            "建设内容",
            "项目阶段",
            "计划开工日期*",
            "计划竣工日期",
            "责任单位*",
            "责任人*",
            "联系电话",
            "累计完成投资（万元）",
        ]);
        let l = Layout::of(&headers, &HashMap::new()).expect("county layout");
        assert!(l.map.unknown.is_empty(), "{:?}", l.map.unknown);
        assert_eq!(l.years, vec![(2026, 13), (2027, 14)]);
        for f in PROJECT_FIELDS.iter().filter(|f| f.key != "tags") {
            assert!(l.map.index(f.key).is_some(), "{} mapped", f.key);
        }
        assert_eq!(l.column("region"), "所在县（市、区）/园区*");
        let described = l.describe();
        assert!(described.contains(&("2026年计划投资（万元）".into(), "2026年计划投资（万元）".into())));
        assert!(described.contains(&("序号".into(), "忽略".into())));
    }

    #[test]
    fn other_layouts_need_the_mapping_step() {
        let headers =
            h(&["项目名称", "产业链", "区县", "类型", "投资额", "计划开工时间", "牵头单位", "负责人", "今年计划"]);
        let e = Layout::of(&headers, &HashMap::new()).err().expect("total missing");
        assert!(e.contains("总投资"), "{e}");
        let overrides: HashMap<String, String> =
            [("投资额".to_string(), "total_wan".to_string()), ("今年计划".to_string(), "plan:2026".to_string())].into();
        let l = Layout::of(&headers, &overrides).expect("mapped");
        assert_eq!(l.map.index("total_wan"), Some(4));
        assert_eq!(l.years, vec![(2026, 8)]);
        // Ignoring a plan column found by pattern.
        let headers = h(&[
            "项目名称",
            "产业链",
            "区县",
            "类型",
            "总投资",
            "计划开工时间",
            "牵头单位",
            "负责人",
            "2026年计划投资",
        ]);
        let l = Layout::of(&headers, &[("2026年计划投资".to_string(), String::new())].into()).expect("ok");
        assert!(l.years.is_empty());
        // Two columns of one year; a unit in 亿元.
        let headers = h(&[
            "项目名称",
            "产业链",
            "区县",
            "类型",
            "总投资",
            "开工时间",
            "牵头单位",
            "负责人",
            "2026年计划投资",
            "2026年度计划投资",
        ]);
        assert!(Layout::of(&headers, &HashMap::new()).err().expect("twice").contains("都是2026年计划投资"));
        let headers = h(&["项目名称", "产业链", "区县", "类型", "总投资（亿元）", "开工时间", "牵头单位", "负责人"]);
        assert!(Layout::of(&headers, &HashMap::new()).err().expect("unit").contains("单位"));
    }

    #[test]
    fn flags_read_as_people_write_them() {
        for t in ["是", "√", "Y", "有", " 是 "] {
            assert_eq!(flag(t), Some(true), "{t}");
        }
        for t in ["否", "", "×", "无", "N"] {
            assert_eq!(flag(t), Some(false), "{t}");
        }
        assert_eq!(flag("也许"), None);
    }
}
