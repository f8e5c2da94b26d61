//! A chain map's workbook: written by [`map_xlsx`], read back whole by
//! [`App::import_chain_map`]: sheet 环节 (segments, matched by code), 环节关系 (segment edges, matched by their two codes) and
//! 企业布局 (placements, matched by segment code and USCC). The file is the map: segments it
//! leaves out are retired, edges it leaves out retired, placements it leaves out (on the
//! segments it lists, of the enterprises the importer may read) removed.
//!
//! Every row is checked by the rules of the single edits against the map the file describes;
//! one problem and nothing is written. Otherwise every change is written in one transaction,
//! each audited and kept in the field history as the single edit is, with one more audit row
//! that sums the import up.

use crate::account::Principal;
use crate::chainmap::{ChainMap, role_label, segment_json, stage_label, stored_segment};
use crate::chainmap_import_check::{
    EDGE_FIELDS, EdgeWrite, Mapped, PLACEMENT_FIELDS, PlaceWrite, SEGMENT_FIELDS, SegWrite, plan_edges,
};
use crate::import::{MAX_LISTED_ERRORS, PREVIEW, file_error};
use crate::{App, AppError, Result, audit_entry};
use domain::chainmap::{self as cm, Analysis};
use serde::Serialize;
use sm3::Digest;
use std::collections::HashMap;
use store::chainmap::ChainInfo;
use store::chainmap::SegmentRow;

/// Sheets of the chain map's workbook ([`map_xlsx`]), which an import reads back.
pub const SHEET_SEGMENTS: &str = "环节";
pub const SHEET_EDGES: &str = "环节关系";
pub const SHEET_PLACEMENTS: &str = "企业布局";

/// Columns of the sheet 环节: one row per segment, with its figures and the enterprises the
/// reader may see on it (the figures are read back by an import and ignored).
pub const MAP_XLSX_HEADERS: [&str; 15] = [
    "阶段",
    "环节编码",
    "环节",
    "上级环节",
    "上级环节编码",
    "排序",
    "关键产品",
    "关键技术",
    "行业代码",
    "本地企业（家）",
    "链主（家）",
    "HHI",
    "强弱",
    "状态",
    "企业（角色）",
];

/// Columns of the sheet 环节关系: the segment edges in use (`from` supplies `to`).
pub const EDGE_XLSX_HEADERS: [&str; 5] = ["供给环节编码", "供给环节", "需求环节编码", "需求环节", "供给产品"];

/// Columns of the sheet 企业布局: the placements of the enterprises the reader may see.
pub const PLACEMENT_XLSX_HEADERS: [&str; 5] = ["环节编码", "环节", "统一社会信用代码", "企业名称", "角色"];

/// The map as a workbook of three sheets (环节, 环节关系, 企业布局) that
/// [`App::import_chain_map`] reads back unchanged.
pub fn map_xlsx(map: &ChainMap, analysis: &Analysis) -> Result<Vec<u8>> {
    use office::CellOut;
    let by_id: std::collections::HashMap<i64, &SegmentRow> = map.segments.iter().map(|s| (s.id, s)).collect();
    let text = |v: &str| CellOut::Text(v.to_string());
    let rows = map
        .segments
        .iter()
        .map(|s| {
            let f = analysis.segments.iter().find(|f| f.id == s.id);
            let placed: Vec<String> = map
                .placements
                .iter()
                .filter(|p| p.segment_id == s.id)
                .map(|p| format!("{}（{}）", p.enterprise_name, role_label(&p.role)))
                .collect();
            let parent = s.parent_id.and_then(|p| by_id.get(&p));
            vec![
                text(stage_label(&s.stage)),
                text(&s.code),
                text(&s.name),
                text(parent.map(|p| p.name.as_str()).unwrap_or("")),
                text(parent.map(|p| p.code.as_str()).unwrap_or("")),
                CellOut::Int(s.sort),
                text(&s.key_products.replace(';', "；")),
                text(&s.key_technologies.replace(';', "；")),
                text(&s.industry_codes.replace(';', "；")),
                f.map(|f| CellOut::Int(f.local_enterprises as i64)).unwrap_or(CellOut::Empty),
                f.map(|f| CellOut::Int(f.leaders as i64)).unwrap_or(CellOut::Empty),
                f.and_then(|f| f.hhi).map(CellOut::Number).unwrap_or(CellOut::Empty),
                text(match f.map(|f| &f.strength) {
                    Some(cm::Strength::Strong) => "强（锻长板）",
                    Some(cm::Strength::Weak) => "弱（补短板）",
                    Some(cm::Strength::Missing) => "缺（建新链）",
                    None => "",
                }),
                text(if s.retired { "已撤销" } else { "在用" }),
                text(&placed.join("；")),
            ]
        })
        .collect();
    let edges = map
        .edges
        .iter()
        .filter(|e| !e.retired)
        .filter_map(|e| {
            let (a, b) = (by_id.get(&e.from_id)?, by_id.get(&e.to_id)?);
            Some(vec![text(&a.code), text(&a.name), text(&b.code), text(&b.name), text(&e.product)])
        })
        .collect();
    let placements = map
        .placements
        .iter()
        .filter_map(|p| {
            let s = by_id.get(&p.segment_id)?;
            Some(vec![text(&s.code), text(&s.name), text(&p.uscc), text(&p.enterprise_name), text(role_label(&p.role))])
        })
        .collect();
    let sheet = |name: &str, headers: &[&str], rows| office::SheetOut {
        name: name.to_string(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    };
    office::write_xlsx_sheets(vec![
        sheet(SHEET_SEGMENTS, &MAP_XLSX_HEADERS, rows),
        sheet(SHEET_EDGES, &EDGE_XLSX_HEADERS, edges),
        sheet(SHEET_PLACEMENTS, &PLACEMENT_XLSX_HEADERS, placements),
    ])
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// What an import does (or would do) to one kind of the map's parts.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct MapCounts {
    pub added: usize,
    pub changed: usize,
    pub retired: usize,
    pub restored: usize,
    pub unchanged: usize,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PlacementCounts {
    pub added: usize,
    pub removed: usize,
    pub role_changed: usize,
    pub unchanged: usize,
    /// Placements of enterprises the importer may not read: not in their export, so not
    /// removed by their import.
    pub kept_outside_view: usize,
}

/// One problem of the file, where it is.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MapProblem {
    pub sheet: String,
    /// The row as Excel shows it; 0 for the sheet as a whole.
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

impl std::fmt::Display for MapProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "工作表“{}”", self.sheet)?;
        if self.line > 0 {
            write!(f, "第 {} 行", self.line)?;
        }
        if !self.column.is_empty() {
            write!(f, "“{}”列", self.column)?;
        }
        write!(f, "：{}", self.message)
    }
}

/// One change an import makes (or would make).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MapChange {
    pub sheet: String,
    /// The row that asks for it; 0 when the file leaves the part out.
    pub line: usize,
    /// 新增, 修改, 撤销, 恢复, 移除, 角色变更
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChainImportReport {
    pub chain_id: i64,
    pub chain: String,
    pub chain_name: String,
    /// True when the changes were written; a report with problems wrote nothing.
    pub applied: bool,
    pub segments: MapCounts,
    pub edges: MapCounts,
    pub placements: PlacementCounts,
    /// The first problems; `error_total` counts them all.
    pub errors: Vec<MapProblem>,
    pub error_total: usize,
    pub warnings: Vec<String>,
    /// The first changes; `change_total` counts them all.
    pub changes: Vec<MapChange>,
    pub change_total: usize,
    /// SM3 of the file, so that a confirmation can name the file it previewed.
    pub digest: String,
}

impl ChainImportReport {
    /// Whether the file changes anything.
    pub fn changes_anything(&self) -> bool {
        self.change_total > 0
    }

    pub(crate) fn problem(&mut self, sheet: &str, line: usize, column: &str, value: &str, message: impl Into<String>) {
        self.error_total += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(MapProblem {
                sheet: sheet.into(),
                line,
                column: column.into(),
                value: value.into(),
                message: message.into(),
            });
        }
    }

    pub(crate) fn change(&mut self, sheet: &str, line: usize, action: &str, subject: String, detail: String) {
        self.change_total += 1;
        if self.changes.len() < PREVIEW {
            self.changes.push(MapChange { sheet: sheet.into(), line, action: action.into(), subject, detail });
        }
    }

    /// A one-line summary of the counts, in Chinese.
    pub fn summary(&self) -> String {
        let (s, e, p) = (&self.segments, &self.edges, &self.placements);
        format!(
            "环节新增 {}、修改 {}、撤销 {}、恢复 {}；供给关系新增 {}、修改 {}、撤销 {}、恢复 {}；企业布局新增 {}、移除 {}、角色变更 {}",
            s.added,
            s.changed,
            s.retired,
            s.restored,
            e.added,
            e.changed,
            e.retired,
            e.restored,
            p.added,
            p.removed,
            p.role_changed
        )
    }
}

/// The SM3 digest of an upload, in hex.
pub fn file_digest(bytes: &[u8]) -> String {
    hex::encode(sm3::Sm3::digest(bytes))
}

impl App {
    /// Reads a chain map workbook (see the module) and, when `apply` and the file has no
    /// problem, makes the chain's map what the file says. Without `apply` it only reports
    /// what would change. Only the office or the chain's lead department may import.
    pub async fn import_chain_map(
        &self,
        p: &Principal,
        key: &str,
        bytes: &[u8],
        apply: bool,
    ) -> Result<ChainImportReport> {
        p.ensure_active()?;
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        // No extension to go by: text is refused as "not a workbook", not as a mislabelled csv.
        let sheets = office::read_workbook(bytes, "图谱文件", &office::Limits::default()).map_err(file_error)?;
        let mut r = ChainImportReport {
            chain_id: chain.id,
            chain: chain.code.clone(),
            chain_name: chain.name.clone(),
            applied: false,
            segments: MapCounts::default(),
            edges: MapCounts::default(),
            placements: PlacementCounts::default(),
            errors: vec![],
            error_total: 0,
            warnings: vec![],
            changes: vec![],
            change_total: 0,
            digest: file_digest(bytes),
        };
        let mut mapped = Vec::new();
        for (name, fields) in
            [(SHEET_SEGMENTS, SEGMENT_FIELDS), (SHEET_EDGES, EDGE_FIELDS), (SHEET_PLACEMENTS, PLACEMENT_FIELDS)]
        {
            let Some(sheet) = sheets.iter().find(|s| s.name.trim() == name) else {
                r.problem(name, 0, "", "", "文件中缺少该工作表：图谱文件须含“环节”“环节关系”“企业布局”三个工作表");
                continue;
            };
            if sheet.table.headers.is_empty() {
                r.problem(name, 0, "", "", "工作表没有表头行");
                continue;
            }
            match office::map_headers(&sheet.table.headers, fields, &HashMap::new()) {
                Ok(map) => {
                    r.warnings.extend(map.warnings().into_iter().map(|w| format!("工作表“{name}”：{w}")));
                    mapped.push(Mapped { sheet, map });
                }
                Err(e) => {
                    for problem in e.problems {
                        r.problem(name, sheet.header_line, "表头", "", problem.to_string());
                    }
                }
            }
        }
        let [seg_sheet, edge_sheet, place_sheet] = match <[Mapped<'_>; 3]>::try_from(mapped) {
            Ok(m) => m,
            Err(_) => return Ok(r),
        };
        let segments = store::chainmap::segments(&self.db, chain.id).await?;
        let lines = self.check_segments(&mut r, &seg_sheet, &segments);
        let seg_writes = self.plan_segments(&mut r, &lines, &segments);
        let edges = store::chainmap::edges(&self.db, chain.id).await?;
        let edge_writes = plan_edges(&mut r, &edge_sheet, &lines, &segments, &edges);
        let place_writes = self.plan_placements(p, &mut r, &place_sheet, &lines, &segments, chain.id).await?;
        if r.error_total > 0 || !apply || !r.changes_anything() {
            return Ok(r);
        }
        self.write_map(p, &chain, &mut r, seg_writes, edge_writes, place_writes).await?;
        r.applied = true;
        Ok(r)
    }

    /// Writes the planned changes in one transaction, each audited and recorded in the
    /// history as its single edit is, and one audit row for the import.
    async fn write_map(
        &self,
        p: &Principal,
        chain: &ChainInfo,
        r: &mut ChainImportReport,
        segs: Vec<SegWrite>,
        edges: Vec<EdgeWrite>,
        places: Vec<PlaceWrite>,
    ) -> Result<()> {
        const SOURCE: &str = "图谱导入";
        let now = self.now();
        let by = p.by();
        let actor = p.actor();
        let mut tx = self.db.begin().await?;
        // New segments first (parents before their children), then every update.
        let mut ids: HashMap<i64, i64> = HashMap::new();
        let (mut inserts, updates): (Vec<SegWrite>, Vec<SegWrite>) =
            segs.into_iter().partition(|w| matches!(w, SegWrite::Insert { .. }));
        inserts.sort_by_key(|w| match w {
            SegWrite::Insert { new, line, .. } => (new.parent_id.is_some_and(|p| p < 0), *line),
            SegWrite::Update { line, .. } => (true, *line),
        });
        let real = |ids: &HashMap<i64, i64>, id: i64| if id < 0 { ids.get(&id).copied().unwrap_or(id) } else { id };
        for w in inserts {
            let SegWrite::Insert { temp, mut new, .. } = w else { continue };
            new.parent_id = new.parent_id.map(|p| real(&ids, p));
            let id = store::chainmap::insert_segment(&mut tx, chain.id, &new, now, by).await?;
            ids.insert(temp, id);
            let after = segment_json(&new, false);
            store::history::record(&mut tx, "segment", id, None, &after, &[], SOURCE, now, by).await?;
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(&actor, "segment.create", "segment", id, None, Some(after)),
            )
            .await?;
        }
        for w in updates {
            let SegWrite::Update { old, mut new, retired, .. } = w else { continue };
            new.parent_id = new.parent_id.map(|p| real(&ids, p));
            if !store::chainmap::update_segment(&mut tx, old.id, old.version, &new, retired, now, by).await? {
                return Err(AppError::Conflict(format!("环节“{}”已被他人修改，请重新导出后再导入", old.name)));
            }
            let before = segment_json(&stored_segment(&old), old.retired);
            let after = segment_json(&new, retired);
            store::history::record(&mut tx, "segment", old.id, Some(&before), &after, &[], SOURCE, now, by).await?;
            let entry = audit_entry(&actor, "segment.update", "segment", old.id, Some(before), Some(after));
            store::audit::append(&mut tx, now, &entry).await?;
        }
        for w in edges {
            match w {
                EdgeWrite::Insert { from, to, product } => {
                    let (from, to) = (real(&ids, from), real(&ids, to));
                    let id = store::chainmap::insert_edge(&mut tx, chain.id, from, to, &product, now, by).await?;
                    let after = serde_json::json!({"from": from, "to": to, "product": product});
                    let entry = audit_entry(&actor, "segment_edge.create", "segment_edge", id, None, Some(after));
                    store::audit::append(&mut tx, now, &entry).await?;
                }
                EdgeWrite::Update { old, product, retired } => {
                    store::chainmap::update_edge(&mut tx, old.id, &product, retired).await?;
                    let action = match (old.retired, retired) {
                        (false, true) => "segment_edge.retire",
                        (true, false) => "segment_edge.restore",
                        _ => "segment_edge.update",
                    };
                    let before = serde_json::json!({"from": old.from_id, "to": old.to_id, "product": old.product, "retired": old.retired});
                    let after = serde_json::json!({"from": old.from_id, "to": old.to_id, "product": product, "retired": retired});
                    let entry = audit_entry(&actor, action, "segment_edge", old.id, Some(before), Some(after));
                    store::audit::append(&mut tx, now, &entry).await?;
                }
            }
        }
        let mut touched = Vec::new();
        for w in places {
            let (enterprise, segment, before_role, after_role, action) = match &w {
                PlaceWrite::Insert { segment, enterprise, role } => {
                    let segment = real(&ids, *segment);
                    store::chainmap::place(&mut tx, chain.id, segment, *enterprise, role, now, by).await?;
                    (*enterprise, segment, None, Some(role.clone()), "placement.create")
                }
                PlaceWrite::Role { old, role } => {
                    store::chainmap::set_placement_role(&mut tx, old.segment_id, old.enterprise_id, role).await?;
                    (old.enterprise_id, old.segment_id, Some(old.role.clone()), Some(role.clone()), "placement.update")
                }
                PlaceWrite::Remove { old } => {
                    store::chainmap::unplace(&mut tx, old.segment_id, old.enterprise_id).await?;
                    (old.enterprise_id, old.segment_id, Some(old.role.clone()), None, "placement.delete")
                }
            };
            let field = format!("placement:{segment}");
            let json = |role: &Option<String>| {
                role.as_ref().map(|role| {
                    serde_json::json!({"chain": chain.code, "segment_id": segment, "enterprise_id": enterprise, "role": role})
                })
            };
            store::history::record(
                &mut tx,
                "enterprise",
                enterprise,
                Some(&serde_json::json!({ field.clone(): before_role })),
                &serde_json::json!({ field: after_role }),
                &[],
                SOURCE,
                now,
                by,
            )
            .await?;
            let entry = audit_entry(&actor, action, "placement", enterprise, json(&before_role), json(&after_role));
            store::audit::append(&mut tx, now, &entry).await?;
            touched.push(enterprise);
        }
        if !touched.is_empty() {
            touched.sort_unstable();
            touched.dedup();
            store::feed::append(&mut tx, "enterprise", &touched, "upsert", now).await?;
        }
        let summary = serde_json::json!({
            "chain": chain.code, "digest": r.digest, "segments": r.segments, "edges": r.edges, "placements": r.placements,
        });
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&actor, "chain_map.import", "chain", chain.id, None, Some(summary)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
