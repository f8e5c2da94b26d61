//! The checking half of the chain map import ([`crate::chainmap_import`]): each sheet parsed,
//! every row checked by the rules of the single edits against the map the file describes,
//! and the writes it asks for planned, counted and listed in the report.

use crate::account::Principal;
use crate::chainmap::{ROLES, STAGES, SegmentInput, role_label, split_list, stage_label, stored_segment};
use crate::chainmap_import::{ChainImportReport, SHEET_EDGES, SHEET_PLACEMENTS, SHEET_SEGMENTS};
use crate::import::Known;
use crate::{App, AppError, Result};
use office::{FieldSpec, HeaderMap, Sheet};
use std::collections::{HashMap, HashSet};
use store::chainmap::{EdgeRow, NewSegment, PlacementRow, SegmentRow};

const USCC_ALIASES: &[&str] = &["信用代码", "社会信用代码", "统一代码", "纳税人识别号"];

/// Columns of the sheet 环节 (the export's figures are known and ignored).
pub(crate) const SEGMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "stage", label: "阶段", required: true, aliases: &["环节阶段", "所处阶段"] },
    FieldSpec { key: "code", label: "环节编码", required: true, aliases: &["编码"] },
    FieldSpec { key: "name", label: "环节", required: true, aliases: &["环节名称", "名称"] },
    FieldSpec { key: "parent_name", label: "上级环节", required: false, aliases: &["上级环节名称"] },
    FieldSpec { key: "parent_code", label: "上级环节编码", required: false, aliases: &[] },
    FieldSpec { key: "sort", label: "排序", required: false, aliases: &["顺序"] },
    FieldSpec {
        key: "key_products", label: "关键产品", required: false, aliases: &["重点产品", "主要产品"]
    },
    FieldSpec { key: "key_technologies", label: "关键技术", required: false, aliases: &["核心技术"] },
    FieldSpec { key: "industry_codes", label: "行业代码", required: false, aliases: &["国民经济行业代码"] },
    FieldSpec { key: "status", label: "状态", required: false, aliases: &[] },
    FieldSpec { key: "local_enterprises", label: "本地企业（家）", required: false, aliases: &[] },
    FieldSpec { key: "leaders", label: "链主（家）", required: false, aliases: &[] },
    FieldSpec { key: "hhi", label: "HHI", required: false, aliases: &[] },
    FieldSpec { key: "strength", label: "强弱", required: false, aliases: &[] },
    FieldSpec { key: "enterprises", label: "企业（角色）", required: false, aliases: &[] },
];

pub(crate) const EDGE_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "from_code", label: "供给环节编码", required: true, aliases: &[] },
    FieldSpec { key: "from_name", label: "供给环节", required: false, aliases: &[] },
    FieldSpec { key: "to_code", label: "需求环节编码", required: true, aliases: &[] },
    FieldSpec { key: "to_name", label: "需求环节", required: false, aliases: &[] },
    FieldSpec { key: "product", label: "供给产品", required: false, aliases: &["产品"] },
];

pub(crate) const PLACEMENT_FIELDS: &[FieldSpec] = &[
    FieldSpec { key: "segment_code", label: "环节编码", required: true, aliases: &[] },
    FieldSpec { key: "segment_name", label: "环节", required: false, aliases: &[] },
    FieldSpec { key: "uscc", label: "统一社会信用代码", required: true, aliases: USCC_ALIASES },
    FieldSpec { key: "name", label: "企业名称", required: false, aliases: &["单位名称"] },
    FieldSpec { key: "role", label: "角色", required: true, aliases: &["企业角色", "链主/链属"] },
];

/// A sheet's rows with the columns mapped, or the problems of its header.
pub(crate) struct Mapped<'a> {
    pub(crate) sheet: &'a Sheet,
    pub(crate) map: HeaderMap,
}

impl Mapped<'_> {
    fn cell<'r>(&self, cells: &'r [String], key: &str) -> &'r str {
        self.map.get(cells, key).map(str::trim).unwrap_or("")
    }
}

/// One row of the sheet 环节, parsed.
pub(crate) struct SegLine {
    line: usize,
    id: i64,
    code: String,
    name: String,
    stage: String,
    parent: Option<(String, String)>,
    parent_id: Option<i64>,
    sort: Option<i64>,
    key_products: String,
    key_technologies: String,
    industry_codes: String,
    retired: bool,
    existing: Option<SegmentRow>,
}

/// A planned segment write.
pub(crate) enum SegWrite {
    Insert { temp: i64, new: NewSegment, line: usize },
    Update { old: SegmentRow, new: NewSegment, retired: bool, line: usize },
}

/// A planned edge write: `from`/`to` may be temporary ids of new segments.
pub(crate) enum EdgeWrite {
    Insert { from: i64, to: i64, product: String },
    Update { old: EdgeRow, product: String, retired: bool },
}

/// A planned placement write: `segment` may be a temporary id.
pub(crate) enum PlaceWrite {
    Insert { segment: i64, enterprise: i64, role: String },
    Role { old: PlacementRow, role: String },
    Remove { old: PlacementRow },
}

fn stage_code(text: &str) -> Option<&'static str> {
    let t = text.trim();
    STAGES.iter().find(|(c, l)| *c == t || *l == t || l.trim_end_matches('游') == t).map(|(c, _)| *c)
}

fn role_code(text: &str) -> Option<&'static str> {
    let t = text.trim();
    ROLES.iter().find(|(c, l)| *c == t || *l == t).map(|(c, _)| *c)
}

fn retired_of(text: &str) -> Option<bool> {
    match text.trim() {
        "" | "在用" | "正常" | "active" => Some(false),
        "已撤销" | "撤销" | "retired" => Some(true),
        _ => None,
    }
}

/// Key products, technologies and codes as stored, so that a file equal to the map compares
/// equal whatever separators it uses.
fn normal_list(s: &str) -> String {
    split_list(s).join(";")
}

fn normal_codes(s: &str) -> String {
    split_list(s)
        .iter()
        .map(|c| domain::industry::IndustryCode::parse(c).map(|ic| ic.as_str().to_string()).unwrap_or(c.clone()))
        .collect::<Vec<_>>()
        .join(";")
}

fn same_segment(old: &SegmentRow, new: &NewSegment) -> bool {
    old.name == new.name
        && old.stage == new.stage
        && old.parent_id == new.parent_id
        && old.sort == new.sort
        && normal_list(&old.key_products) == new.key_products
        && normal_list(&old.key_technologies) == new.key_technologies
        && normal_codes(&old.industry_codes) == new.industry_codes
}

/// The column a segment check's field stands for.
fn segment_column(field: &str) -> &'static str {
    match field {
        "code" => "环节编码",
        "name" => "环节",
        "stage" => "阶段",
        "parent_id" => "上级环节编码",
        "industry_codes" => "行业代码",
        "retired" => "状态",
        _ => "",
    }
}

impl App {
    /// Parses the sheet 环节 and checks every row as the single edit would, against the map
    /// the file describes.
    pub(crate) fn check_segments(
        &self,
        r: &mut ChainImportReport,
        m: &Mapped<'_>,
        stored: &[SegmentRow],
    ) -> Vec<SegLine> {
        let sheet = SHEET_SEGMENTS;
        let by_code: HashMap<&str, &SegmentRow> = stored.iter().map(|s| (s.code.as_str(), s)).collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut lines: Vec<SegLine> = Vec::new();
        let mut next_temp = -1;
        for row in &m.sheet.table.rows {
            let c = |k: &str| m.cell(&row.cells, k).to_string();
            let code = c("code");
            if let Some(first) = seen.get(&code) {
                r.problem(sheet, row.line, "环节编码", &code, format!("环节编码“{code}”与第 {first} 行重复"));
                continue;
            }
            if !code.is_empty() {
                seen.insert(code.clone(), row.line);
            }
            // An unknown stage stays as written: the segment check names it.
            let stage = stage_code(&c("stage")).map(str::to_string).unwrap_or_else(|| c("stage"));
            let sort = match c("sort") {
                s if s.is_empty() => None,
                s => match s.parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        r.problem(sheet, row.line, "排序", &s, "排序须为整数");
                        None
                    }
                },
            };
            let retired = retired_of(&c("status")).unwrap_or_else(|| {
                r.problem(sheet, row.line, "状态", &c("status"), "状态须为“在用”或“已撤销”");
                false
            });
            let existing = by_code.get(code.as_str()).map(|s| (*s).clone());
            if existing.is_none() && retired {
                r.problem(sheet, row.line, "状态", &c("status"), "新增的环节不能标为已撤销");
            }
            let parent = if m.map.index("parent_code").is_some() {
                Some(c("parent_code")).filter(|x| !x.is_empty()).map(|x| (x, "上级环节编码".to_string()))
            } else {
                Some(c("parent_name")).filter(|x| !x.is_empty()).map(|x| (x, "上级环节".to_string()))
            };
            let id = match &existing {
                Some(s) => s.id,
                None => {
                    next_temp -= 1;
                    next_temp
                }
            };
            lines.push(SegLine {
                line: row.line,
                id,
                code,
                name: c("name"),
                stage,
                parent,
                parent_id: None,
                sort,
                key_products: c("key_products"),
                key_technologies: c("key_technologies"),
                industry_codes: c("industry_codes"),
                retired,
                existing,
            });
        }
        // Parents by code (or by name, when the sheet has no code column).
        let in_file: HashMap<&str, i64> = lines.iter().map(|l| (l.code.as_str(), l.id)).collect();
        let mut parents = Vec::with_capacity(lines.len());
        for l in &lines {
            let Some((text, column)) = &l.parent else {
                parents.push(None);
                continue;
            };
            let found = if column == "上级环节编码" {
                match in_file.get(text.as_str()) {
                    Some(id) => Ok(*id),
                    None if by_code.contains_key(text.as_str()) => {
                        Err(format!("上级环节“{text}”不在“环节”表中（导入后将被撤销）"))
                    }
                    None => Err(format!("上级环节编码“{text}”既不在“环节”表中，也不是本产业链的环节")),
                }
            } else {
                let named: Vec<&SegLine> = lines.iter().filter(|x| x.name == *text).collect();
                match named.as_slice() {
                    [one] => Ok(one.id),
                    [] => Err(format!("上级环节“{text}”不在“环节”表中")),
                    _ => Err(format!("有多个环节名为“{text}”，请改用“上级环节编码”列")),
                }
            };
            match found {
                Ok(id) => parents.push(Some(id)),
                Err(m) => {
                    r.problem(sheet, l.line, column, text, m);
                    parents.push(None);
                }
            }
        }
        for (l, pid) in lines.iter_mut().zip(parents) {
            l.parent_id = pid;
        }
        // Sort: as written, else as stored, else after the last.
        let mut last = stored.iter().map(|s| s.sort).chain(lines.iter().filter_map(|l| l.sort)).max().unwrap_or(0);
        for l in &mut lines {
            if l.sort.is_none() {
                l.sort = match &l.existing {
                    Some(s) => Some(s.sort),
                    None => {
                        last += 1;
                        Some(last)
                    }
                };
            }
        }
        // The map as the file leaves it: its rows, and the chain's other segments retired.
        let listed: HashSet<&str> = lines.iter().map(|l| l.code.as_str()).collect();
        let all: Vec<SegmentRow> = lines
            .iter()
            .map(|l| SegmentRow {
                id: l.id,
                chain_id: 0,
                code: l.code.clone(),
                name: l.name.clone(),
                stage: l.stage.clone(),
                parent_id: l.parent_id,
                sort: l.sort.unwrap_or(0),
                key_products: l.key_products.clone(),
                key_technologies: l.key_technologies.clone(),
                industry_codes: l.industry_codes.clone(),
                retired: l.retired,
                version: 0,
            })
            .chain(
                stored
                    .iter()
                    .filter(|s| !listed.contains(s.code.as_str()))
                    .map(|s| SegmentRow { retired: true, ..s.clone() }),
            )
            .collect();
        let parent_of: HashMap<i64, i64> = all.iter().filter_map(|s| Some((s.id, s.parent_id?))).collect();
        for l in &lines {
            let value = |column: &str| match column {
                "环节编码" => l.code.clone(),
                "环节" => l.name.clone(),
                "阶段" => l.stage.clone(),
                "上级环节编码" => l.parent.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
                "行业代码" => l.industry_codes.clone(),
                _ => String::new(),
            };
            // A cycle of parents is named as such (the two-level rule would also refuse it).
            let mut path = vec![l.id];
            let mut in_cycle = false;
            for _ in 0..all.len() {
                let Some(&up) = parent_of.get(path.last().unwrap_or(&l.id)) else { break };
                if up == l.id {
                    in_cycle = path.len() > 1;
                    break;
                }
                if path.contains(&up) {
                    break;
                }
                path.push(up);
            }
            let mut parent_id = l.parent_id;
            if in_cycle {
                let names: Vec<&str> = path
                    .iter()
                    .chain(std::iter::once(&l.id))
                    .filter_map(|id| all.iter().find(|s| s.id == *id).map(|s| s.code.as_str()))
                    .collect();
                r.problem(
                    sheet,
                    l.line,
                    "上级环节编码",
                    &value("上级环节编码"),
                    format!("上级环节形成循环：{}", names.join(" → ")),
                );
                parent_id = None;
            }
            let input = SegmentInput {
                code: l.code.clone(),
                name: l.name.clone(),
                stage: l.stage.clone(),
                parent_id,
                sort: l.sort,
                key_products: l.key_products.clone(),
                key_technologies: l.key_technologies.clone(),
                industry_codes: l.industry_codes.clone(),
            };
            if let Err(AppError::Invalid(fields)) = self.check_segment(&all, Some(l.id), &input, l.retired) {
                for f in fields {
                    let column = segment_column(&f.field);
                    r.problem(sheet, l.line, column, &value(column), f.message);
                }
            }
            if l.retired && all.iter().any(|x| x.parent_id == Some(l.id) && !x.retired) {
                r.problem(sheet, l.line, "状态", "已撤销", "环节下有未撤销的子环节：请先撤销或移走其子环节");
            }
        }
        lines
    }

    /// The segment writes the file asks for, counted and listed.
    pub(crate) fn plan_segments(
        &self,
        r: &mut ChainImportReport,
        lines: &[SegLine],
        stored: &[SegmentRow],
    ) -> Vec<SegWrite> {
        let sheet = SHEET_SEGMENTS;
        let mut writes = Vec::new();
        let name_of = |id: Option<i64>| {
            id.and_then(|id| lines.iter().find(|l| l.id == id).map(|l| l.name.clone()))
                .unwrap_or_else(|| "（无）".into())
        };
        for l in lines {
            let new = NewSegment {
                code: l.code.clone(),
                name: l.name.clone(),
                stage: l.stage.clone(),
                parent_id: l.parent_id,
                sort: l.sort.unwrap_or(0),
                key_products: normal_list(&l.key_products),
                key_technologies: normal_list(&l.key_technologies),
                industry_codes: normal_codes(&l.industry_codes),
            };
            let subject = format!("{}（{}）", l.name, l.code);
            match &l.existing {
                None => {
                    r.segments.added += 1;
                    let detail = format!("{}，上级：{}", stage_label(&l.stage), name_of(l.parent_id));
                    r.change(sheet, l.line, "新增", subject, detail);
                    writes.push(SegWrite::Insert { temp: l.id, new, line: l.line });
                }
                Some(old) => {
                    let same = same_segment(old, &new);
                    let action = match (old.retired, l.retired) {
                        (false, true) => {
                            r.segments.retired += 1;
                            "撤销"
                        }
                        (true, false) => {
                            r.segments.restored += 1;
                            "恢复"
                        }
                        _ if same => {
                            r.segments.unchanged += 1;
                            continue;
                        }
                        _ => {
                            r.segments.changed += 1;
                            "修改"
                        }
                    };
                    let mut detail = Vec::new();
                    if old.name != new.name {
                        detail.push(format!("名称：{} → {}", old.name, new.name));
                    }
                    if old.stage != new.stage {
                        detail.push(format!("阶段：{} → {}", stage_label(&old.stage), stage_label(&new.stage)));
                    }
                    if old.parent_id != new.parent_id {
                        let old_parent = old
                            .parent_id
                            .and_then(|p| stored.iter().find(|s| s.id == p))
                            .map(|s| s.name.clone())
                            .unwrap_or_else(|| "（无）".into());
                        detail.push(format!("上级：{old_parent} → {}", name_of(new.parent_id)));
                    }
                    if old.sort != new.sort {
                        detail.push(format!("排序：{} → {}", old.sort, new.sort));
                    }
                    if normal_list(&old.key_products) != new.key_products {
                        detail.push("关键产品".into());
                    }
                    if normal_list(&old.key_technologies) != new.key_technologies {
                        detail.push("关键技术".into());
                    }
                    if normal_codes(&old.industry_codes) != new.industry_codes {
                        detail.push(format!("行业代码：{} → {}", old.industry_codes, new.industry_codes));
                    }
                    r.change(sheet, l.line, action, subject, detail.join("；"));
                    writes.push(SegWrite::Update { old: old.clone(), new, retired: l.retired, line: l.line });
                }
            }
        }
        let listed: HashSet<&str> = lines.iter().map(|l| l.code.as_str()).collect();
        for s in stored.iter().filter(|s| !s.retired && !listed.contains(s.code.as_str())) {
            r.segments.retired += 1;
            r.change(sheet, 0, "撤销", format!("{}（{}）", s.name, s.code), "文件中没有该环节".into());
            writes.push(SegWrite::Update { old: s.clone(), new: stored_segment(s), retired: true, line: 0 });
        }
        writes
    }

    /// The placement writes the sheet 企业布局 asks for.
    pub(crate) async fn plan_placements(
        &self,
        p: &Principal,
        r: &mut ChainImportReport,
        m: &Mapped<'_>,
        lines: &[SegLine],
        stored: &[SegmentRow],
        chain_id: i64,
    ) -> Result<Vec<PlaceWrite>> {
        let sheet = SHEET_PLACEMENTS;
        let usccs: Vec<String> = m
            .sheet
            .table
            .rows
            .iter()
            .filter_map(|row| domain::uscc::Uscc::parse(m.cell(&row.cells, "uscc")).ok())
            .map(|u| u.as_str().to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let known: Known = self.known(p, &usccs).await?;
        let all = store::chainmap::all_placements(&self.db, chain_id).await?;
        let readable: HashSet<i64> =
            store::chainmap::placements(&self.db, &p.enterprise_scope, chain_id).await?.iter().map(|x| x.id).collect();
        let existing: HashMap<(i64, i64), &PlacementRow> =
            all.iter().map(|x| ((x.segment_id, x.enterprise_id), x)).collect();
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        let mut kept: HashSet<i64> = HashSet::new();
        let mut writes = Vec::new();
        for row in &m.sheet.table.rows {
            let c = |k: &str| m.cell(&row.cells, k).to_string();
            let code = c("segment_code");
            let seg = segment_by_code(r, sheet, row.line, "环节编码", &code, lines, stored);
            let uscc_text = c("uscc");
            let enterprise = match domain::uscc::Uscc::parse(&uscc_text) {
                Err(e) => {
                    r.problem(sheet, row.line, "统一社会信用代码", &uscc_text, e.to_string());
                    None
                }
                Ok(u) => match known.get(u.as_str()) {
                    None => {
                        r.problem(
                            sheet,
                            row.line,
                            "统一社会信用代码",
                            &uscc_text,
                            "企业库中没有该企业，请先导入或登记企业",
                        );
                        None
                    }
                    Some((e, writable)) => match seen.entry((code.clone(), e.uscc.clone())) {
                        std::collections::hash_map::Entry::Occupied(first) => {
                            r.problem(
                                sheet,
                                row.line,
                                "统一社会信用代码",
                                &uscc_text,
                                format!("该企业在环节“{code}”上已见于第 {} 行", first.get()),
                            );
                            None
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(row.line);
                            Some((e, *writable))
                        }
                    },
                },
            };
            let role = role_code(&c("role"));
            if role.is_none() {
                r.problem(sheet, row.line, "角色", &c("role"), "角色须为链主或链属");
            }
            let (Some(seg), Some((e, writable)), Some(role)) = (seg, enterprise, role) else { continue };
            let name = c("name");
            if writable && !name.is_empty() && name != e.name {
                r.warnings.push(format!(
                    "工作表“{sheet}”第 {} 行：企业名称“{name}”与企业库中的“{}”不同，以统一社会信用代码为准",
                    row.line, e.name
                ));
            }
            let subject = format!("{}（{}）", e.name, seg.name);
            match existing.get(&(seg.id, e.id)) {
                Some(old) => {
                    kept.insert(old.id);
                    if old.role == role {
                        r.placements.unchanged += 1;
                    } else if !writable {
                        r.problem(sheet, row.line, "角色", &c("role"), "该企业不在您的管理范围内，不能修改其角色");
                    } else {
                        r.placements.role_changed += 1;
                        let detail = format!("{} → {}", role_label(&old.role), role_label(role));
                        r.change(sheet, row.line, "角色变更", subject, detail);
                        writes.push(PlaceWrite::Role { old: (*old).clone(), role: role.into() });
                    }
                }
                None => {
                    if !writable {
                        r.problem(
                            sheet,
                            row.line,
                            "统一社会信用代码",
                            &uscc_text,
                            "该企业不在您的管理范围内，不能放上本链环节",
                        );
                    } else if seg.retired {
                        r.problem(
                            sheet,
                            row.line,
                            "环节编码",
                            &code,
                            format!("环节“{}”已撤销，不能放入企业", seg.name),
                        );
                    } else {
                        r.placements.added += 1;
                        r.change(sheet, row.line, "新增", subject, role_label(role).into());
                        writes.push(PlaceWrite::Insert { segment: seg.id, enterprise: e.id, role: role.into() });
                    }
                }
            }
        }
        // Placements left out: on the segments the file lists, those the importer reads are
        // removed; the others are kept.
        let listed: HashSet<i64> = lines.iter().map(|l| l.id).collect();
        for old in all.iter().filter(|x| listed.contains(&x.segment_id) && !kept.contains(&x.id)) {
            if readable.contains(&old.id) {
                r.placements.removed += 1;
                let seg = lines.iter().find(|l| l.id == old.segment_id).map(|l| l.name.as_str()).unwrap_or("");
                r.change(sheet, 0, "移除", format!("{}（{seg}）", old.enterprise_name), "文件中没有该企业布局".into());
                writes.push(PlaceWrite::Remove { old: old.clone() });
            } else {
                r.placements.kept_outside_view += 1;
            }
        }
        Ok(writes)
    }
}

/// The segment a row of 环节关系 or 企业布局 names by code: one of the sheet 环节.
fn segment_by_code<'l>(
    r: &mut ChainImportReport,
    sheet: &str,
    line: usize,
    column: &str,
    code: &str,
    lines: &'l [SegLine],
    stored: &[SegmentRow],
) -> Option<&'l SegLine> {
    if let Some(l) = lines.iter().find(|l| l.code == code) {
        return Some(l);
    }
    let message = if code.is_empty() {
        "请填写环节编码".to_string()
    } else if stored.iter().any(|s| s.code == code) {
        format!("环节“{code}”不在“环节”表中（导入后将被撤销）")
    } else {
        format!("环节编码“{code}”既不在“环节”表中，也不是本产业链的环节")
    };
    r.problem(sheet, line, column, code, message);
    None
}

/// The edge writes the sheet 环节关系 asks for.
pub(crate) fn plan_edges(
    r: &mut ChainImportReport,
    m: &Mapped<'_>,
    lines: &[SegLine],
    stored: &[SegmentRow],
    edges: &[EdgeRow],
) -> Vec<EdgeWrite> {
    let sheet = SHEET_EDGES;
    let existing: HashMap<(i64, i64), &EdgeRow> = edges.iter().map(|e| ((e.from_id, e.to_id), e)).collect();
    let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
    let mut writes = Vec::new();
    for row in &m.sheet.table.rows {
        let c = |k: &str| m.cell(&row.cells, k).to_string();
        let a = segment_by_code(r, sheet, row.line, "供给环节编码", &c("from_code"), lines, stored);
        let b = segment_by_code(r, sheet, row.line, "需求环节编码", &c("to_code"), lines, stored);
        let product = c("product");
        if product.chars().count() > 60 {
            r.problem(sheet, row.line, "供给产品", &product, "供给产品不超过 60 字");
        }
        let (Some(a), Some(b)) = (a, b) else { continue };
        if a.id == b.id {
            r.problem(sheet, row.line, "需求环节编码", &b.code, "环节不能连向自身");
            continue;
        }
        if let Some(first) = seen.insert((a.id, b.id), row.line) {
            r.problem(
                sheet,
                row.line,
                "需求环节编码",
                &b.code,
                format!("“{}”到“{}”的供给关系与第 {first} 行重复", a.name, b.name),
            );
            continue;
        }
        let subject = format!("{} → {}", a.name, b.name);
        let old = existing.get(&(a.id, b.id));
        let live = old.is_some_and(|e| !e.retired);
        if !live && (a.retired || b.retired) {
            let retired = if a.retired { a } else { b };
            r.problem(
                sheet,
                row.line,
                if a.retired { "供给环节编码" } else { "需求环节编码" },
                &retired.code,
                format!("环节“{}”已撤销：连线两端须是未撤销的环节", retired.name),
            );
            continue;
        }
        match old {
            None => {
                r.edges.added += 1;
                r.change(sheet, row.line, "新增", subject, product.clone());
                writes.push(EdgeWrite::Insert { from: a.id, to: b.id, product });
            }
            Some(e) if e.retired => {
                r.edges.restored += 1;
                r.change(sheet, row.line, "恢复", subject, product.clone());
                writes.push(EdgeWrite::Update { old: (*e).clone(), product, retired: false });
            }
            Some(e) if e.product != product => {
                r.edges.changed += 1;
                r.change(sheet, row.line, "修改", subject, format!("供给产品：{} → {product}", e.product));
                writes.push(EdgeWrite::Update { old: (*e).clone(), product, retired: false });
            }
            Some(_) => r.edges.unchanged += 1,
        }
    }
    let listed: HashSet<(i64, i64)> = seen.keys().copied().collect();
    let name = |id: i64| stored.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    for e in edges.iter().filter(|e| !e.retired && !listed.contains(&(e.from_id, e.to_id))) {
        r.edges.retired += 1;
        r.change(sheet, 0, "撤销", format!("{} → {}", name(e.from_id), name(e.to_id)), "文件中没有该供给关系".into());
        writes.push(EdgeWrite::Update { old: e.clone(), product: e.product.clone(), retired: true });
    }
    writes
}
