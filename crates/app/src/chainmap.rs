//! The chain map use cases: read a chain's map (scope-filtered placements), analyse it
//! (`domain::chainmap`), what-if, and the lead department's edits (segments, edges,
//! placements), each checked, audited and kept in the field history.

use crate::account::Principal;
use crate::{App, AppError, Result, audit_entry};
use domain::chainmap::{self as cm, Analysis, ChainGraph, Change, Thresholds, WhatIf};
use domain::role::Role;
use serde::Serialize;
use store::chainmap::{ChainInfo, EdgeRow, NewSegment, PlacementRow, SegmentRow};

/// A chain's map as the API and the page show it.
#[derive(Clone, Debug, Serialize)]
pub struct ChainMap {
    pub chain: ChainInfo,
    /// (code, name, role: carrying | collaborating)
    pub regions: Vec<(String, String, String)>,
    /// (account id, name, role: chief | deputy)
    pub officers: Vec<(i64, String, String)>,
    /// (year, output target in fen)
    pub targets: Vec<(i64, i64)>,
    pub segments: Vec<SegmentRow>,
    pub edges: Vec<EdgeRow>,
    /// Only the enterprises the caller may read.
    pub placements: Vec<PlacementRow>,
}

/// What a segment edit carries (new or changed).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SegmentInput {
    pub code: String,
    pub name: String,
    /// upstream | midstream | downstream
    pub stage: String,
    pub parent_id: Option<i64>,
    pub sort: Option<i64>,
    #[serde(default)]
    pub key_products: String,
    #[serde(default)]
    pub key_technologies: String,
    /// GB/T 4754 class codes, separated by ; or ,
    #[serde(default)]
    pub industry_codes: String,
}

pub const STAGES: [(&str, &str); 3] = [("upstream", "上游"), ("midstream", "中游"), ("downstream", "下游")];
pub const ROLES: [(&str, &str); 2] = [("leader", "链主"), ("member", "链属")];

pub fn stage_label(code: &str) -> &'static str {
    STAGES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("未知")
}

/// Who reads chain maps: staff who read any part of the ledger (not enterprise users), and
/// the office. The menu shows the chain pages by the same rule.
pub fn may_read_chains(p: &Principal) -> bool {
    p.enterprise_scope.reads_anything() && !p.has(Role::Enterprise) || p.has(Role::Office)
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split([';', '；', ',', '，', '、']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

pub(crate) fn stage_of(s: &str) -> Option<cm::Stage> {
    match s {
        "upstream" => Some(cm::Stage::Upstream),
        "midstream" => Some(cm::Stage::Midstream),
        "downstream" => Some(cm::Stage::Downstream),
        _ => None,
    }
}

impl App {
    /// Every chain with its counts.
    pub async fn chain_infos(&self) -> Result<Vec<ChainInfo>> {
        Ok(store::chainmap::chains(&self.db).await?)
    }

    /// A chain by id or code.
    pub async fn chain_info(&self, key: &str) -> Result<ChainInfo> {
        let id = match key.parse::<i64>() {
            Ok(id) => id,
            Err(_) => store::chain::id_by_code(&self.db, key).await?.ok_or(AppError::NotFound)?,
        };
        store::chainmap::chain(&self.db, id).await?.ok_or(AppError::NotFound)
    }

    pub(crate) fn require_staff(&self, p: &Principal) -> Result<()> {
        if may_read_chains(p) { Ok(()) } else { Err(AppError::Forbidden("无权查看产业链图谱".into())) }
    }

    /// Whether `p` may edit this chain's map: the office, or the chain's lead department.
    pub fn may_edit_chain(&self, p: &Principal, c: &ChainInfo) -> bool {
        p.has(Role::Office)
            || p.grants
                .iter()
                .any(|g| g.role == Role::LeadDept && g.scope.as_deref() == Some(c.lead_department_code.as_str()))
    }

    pub(crate) fn require_editor(&self, p: &Principal, c: &ChainInfo) -> Result<()> {
        if self.may_edit_chain(p, c) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("只有融圈强链办或“{}”的牵头部门可以编辑该产业链图谱", c.name)))
        }
    }

    pub async fn chain_map(&self, p: &Principal, key: &str) -> Result<ChainMap> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let id = chain.id;
        Ok(ChainMap {
            regions: store::chainmap::chain_regions(&self.db, id).await?,
            officers: store::chainmap::officers(&self.db, id).await?,
            targets: store::chainmap::targets(&self.db, id).await?,
            segments: store::chainmap::segments(&self.db, id).await?,
            edges: store::chainmap::edges(&self.db, id).await?,
            placements: store::chainmap::placements(&self.db, &p.enterprise_scope, id).await?,
            chain,
        })
    }

    /// The chain as the analytics read it: every placement (counts are aggregates), the
    /// supplies bought by the chain's enterprises, and their places on other chains.
    pub async fn chain_graph(&self, chain_id: i64) -> Result<ChainGraph> {
        let segments = store::chainmap::segments(&self.db, chain_id).await?;
        let edges = store::chainmap::edges(&self.db, chain_id).await?;
        let placements = store::chainmap::all_placements(&self.db, chain_id).await?;
        self.graph_of(chain_id, &segments, &edges, &placements).await
    }

    /// [`App::chain_graph`] from the segments, edges and (all) placements already read.
    async fn graph_of(
        &self,
        chain_id: i64,
        segments: &[SegmentRow],
        edges: &[EdgeRow],
        placements: &[PlacementRow],
    ) -> Result<ChainGraph> {
        let supplies = store::chainmap::supplies(&self.db, chain_id).await?;
        let others = store::chainmap::other_chain_placements(&self.db, chain_id).await?;
        Ok(ChainGraph {
            segments: segments
                .iter()
                .map(|s| cm::Segment {
                    id: s.id,
                    name: s.name.clone(),
                    stage: stage_of(&s.stage).unwrap_or(cm::Stage::Midstream),
                    parent_id: s.parent_id,
                    retired: s.retired,
                })
                .collect(),
            edges: edges
                .iter()
                .filter(|e| !e.retired)
                .map(|e| cm::SegmentEdge { from: e.from_id, to: e.to_id })
                .collect(),
            placements: placements
                .iter()
                .map(|pl| cm::Placement {
                    segment_id: pl.segment_id,
                    enterprise_id: pl.enterprise_id,
                    role: if pl.role == "leader" { cm::Role::Leader } else { cm::Role::Member },
                    // Enterprises of the ledger are the city's own.
                    local: true,
                    weight: pl.revenue_fen.unwrap_or(0).max(0),
                })
                .collect(),
            supplies: supplies
                .iter()
                .map(|s| cm::Supply {
                    // A supplier outside the ledger gets a negative id of its own row, so it
                    // never coincides with an enterprise.
                    from: s.supplier_id.unwrap_or(-s.id),
                    to: s.buyer_id,
                    amount: s.amount_fen.max(0),
                    local: s.local,
                })
                .collect(),
            other_chains: others
                .into_iter()
                .map(|(enterprise_id, chain_id)| cm::OtherChainPlacement { enterprise_id, chain_id })
                .collect(),
        })
    }

    /// A chain's map and its analysis for one page, each table read once (the placements a
    /// second time, unscoped for the analysis, only when the reader's scope is narrower).
    pub async fn chain_view(&self, p: &Principal, key: &str) -> Result<(ChainMap, Analysis)> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let id = chain.id;
        let segments = store::chainmap::segments(&self.db, id).await?;
        let edges = store::chainmap::edges(&self.db, id).await?;
        let placements = store::chainmap::placements(&self.db, &p.enterprise_scope, id).await?;
        let g = if p.enterprise_scope.read_all {
            self.graph_of(id, &segments, &edges, &placements).await?
        } else {
            self.graph_of(id, &segments, &edges, &store::chainmap::all_placements(&self.db, id).await?).await?
        };
        let analysis = cm::analyze(&g, &Thresholds::default()).map_err(|e| AppError::invalid("chain", e))?;
        let map = ChainMap {
            regions: store::chainmap::chain_regions(&self.db, id).await?,
            officers: store::chainmap::officers(&self.db, id).await?,
            targets: store::chainmap::targets(&self.db, id).await?,
            segments,
            edges,
            placements,
            chain,
        };
        Ok((map, analysis))
    }

    pub async fn chain_analysis(&self, p: &Principal, key: &str) -> Result<Analysis> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let g = self.chain_graph(chain.id).await?;
        cm::analyze(&g, &Thresholds::default()).map_err(|e| AppError::invalid("chain", e))
    }

    pub async fn chain_what_if(&self, p: &Principal, key: &str, change: &Change) -> Result<WhatIf> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let g = self.chain_graph(chain.id).await?;
        cm::what_if(&g, &Thresholds::default(), change).map_err(|e| AppError::invalid("change", e))
    }

    /// Checks a segment edit against the chain's other segments.
    /// `all`: the chain's segments as read by the caller (or as an imported map would leave
    /// them); `retired`: whether the segment is (or stays) retired, which may keep a retired
    /// parent.
    pub(crate) fn check_segment(
        &self,
        all: &[SegmentRow],
        own: Option<i64>,
        s: &SegmentInput,
        retired: bool,
    ) -> Result<NewSegment> {
        let mut errors = Vec::new();
        let code = s.code.trim().to_string();
        if code.is_empty()
            || code.len() > 64
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(crate::error::FieldError::new("code", "环节编码须为 1–64 位字母、数字、下划线或连字符"));
        }
        let name = s.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            errors.push(crate::error::FieldError::new("name", "环节名称不能为空，且不超过 60 字"));
        }
        if stage_of(&s.stage).is_none() {
            errors.push(crate::error::FieldError::new("stage", "环节阶段须为上游、中游或下游"));
        }
        if all.iter().any(|x| x.code == code && Some(x.id) != own) {
            errors.push(crate::error::FieldError::new("code", format!("环节编码“{code}”已在本产业链中使用")));
        }
        if let Some(pid) = s.parent_id {
            match all.iter().find(|x| x.id == pid) {
                None => {
                    errors.push(crate::error::FieldError::new("parent_id", format!("上级环节 {pid} 不在本产业链中")))
                }
                Some(parent) => {
                    if Some(pid) == own {
                        errors.push(crate::error::FieldError::new("parent_id", "环节不能以自身为上级"));
                    } else if parent.parent_id.is_some() {
                        errors.push(crate::error::FieldError::new(
                            "parent_id",
                            format!("上级环节“{}”本身是子环节：环节层级只有两级", parent.name),
                        ));
                    } else if parent.stage != s.stage {
                        errors.push(crate::error::FieldError::new(
                            "parent_id",
                            format!("上级环节“{}”属于{}，与本环节阶段不同", parent.name, stage_label(&parent.stage)),
                        ));
                    } else if parent.retired && !retired {
                        errors.push(crate::error::FieldError::new(
                            "parent_id",
                            format!("上级环节“{}”已撤销", parent.name),
                        ));
                    }
                    if let Some(me) = own
                        && all.iter().any(|x| x.parent_id == Some(me) && !x.retired)
                    {
                        errors.push(crate::error::FieldError::new(
                            "parent_id",
                            "本环节下有子环节，不能再挂到其他环节之下",
                        ));
                    }
                }
            }
        }
        let mut codes = Vec::new();
        for c in split_list(&s.industry_codes) {
            match domain::industry::IndustryCode::parse(&c) {
                Ok(ic) if ic.level() == domain::industry::IndustryLevel::Class => codes.push(ic.as_str().to_string()),
                _ => errors.push(crate::error::FieldError::new(
                    "industry_codes",
                    format!("行业代码“{c}”不是 GB/T 4754-2017 的小类代码"),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let sort = s.sort.unwrap_or_else(|| all.iter().map(|x| x.sort).max().unwrap_or(0) + 1);
        Ok(NewSegment {
            code,
            name,
            stage: s.stage.clone(),
            parent_id: s.parent_id,
            sort,
            key_products: split_list(&s.key_products).join(";"),
            key_technologies: split_list(&s.key_technologies).join(";"),
            industry_codes: codes.join(";"),
        })
    }

    pub async fn add_segment(&self, p: &Principal, key: &str, s: &SegmentInput) -> Result<i64> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let all = store::chainmap::segments(&self.db, chain.id).await?;
        let new = self.check_segment(&all, None, s, false)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::chainmap::insert_segment(&mut tx, chain.id, &new, now, p.by()).await?;
        let after = segment_json(&new, false);
        log_edit(&mut tx, p, "segment.create", id, None, after, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a segment (rename, move to another parent or stage, retire or restore) if it
    /// is still at `version`.
    pub async fn update_segment(
        &self,
        p: &Principal,
        key: &str,
        id: i64,
        version: i64,
        s: &SegmentInput,
        retired: bool,
    ) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let all = store::chainmap::segments(&self.db, chain.id).await?;
        let old = all.iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
        let mut input = s.clone();
        input.code = old.code.clone();
        let new = self.check_segment(&all, Some(id), &input, retired)?;
        if retired && all.iter().any(|x| x.parent_id == Some(id) && !x.retired) {
            return Err(AppError::invalid("retired", "请先撤销或移走其子环节"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::update_segment(&mut tx, id, version, &new, retired, now, p.by()).await? {
            return Err(AppError::Conflict("该环节已被他人修改，请刷新后重试".into()));
        }
        let before = segment_json(&stored_segment(old), old.retired);
        let after = segment_json(&new, retired);
        log_edit(&mut tx, p, "segment.update", id, Some(before), after, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links two segments of the chain (`from` supplies `to`). Supply may run in cycles.
    pub async fn add_segment_edge(&self, p: &Principal, key: &str, from: i64, to: i64, product: &str) -> Result<i64> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let all = store::chainmap::segments(&self.db, chain.id).await?;
        let find = |id: i64| all.iter().find(|x| x.id == id && !x.retired);
        let (Some(a), Some(b)) = (find(from), find(to)) else {
            return Err(AppError::invalid("from", "连线两端的环节须是本产业链中未撤销的环节"));
        };
        if from == to {
            return Err(AppError::invalid("to", "环节不能连向自身"));
        }
        let edges = store::chainmap::edges(&self.db, chain.id).await?;
        if let Some(e) = edges.iter().find(|e| e.from_id == from && e.to_id == to) {
            if !e.retired {
                return Err(AppError::Conflict(format!("“{}”到“{}”的供给关系已存在", a.name, b.name)));
            }
            let now = self.now();
            let mut tx = self.db.begin().await?;
            store::chainmap::set_edge_retired(&mut tx, e.id, false).await?;
            let after = serde_json::json!({"from": from, "to": to, "retired": false});
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(&p.actor(), "segment_edge.restore", "segment_edge", e.id, None, Some(after)),
            )
            .await?;
            tx.commit().await?;
            return Ok(e.id);
        }
        let product = product.trim();
        if product.chars().count() > 60 {
            return Err(AppError::invalid("product", "供给产品不超过 60 字"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::chainmap::insert_edge(&mut tx, chain.id, from, to, product, now, p.by()).await?;
        let after = serde_json::json!({"from": from, "to": to, "product": product});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "segment_edge.create", "segment_edge", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn retire_segment_edge(&self, p: &Principal, key: &str, edge_id: i64) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let edges = store::chainmap::edges(&self.db, chain.id).await?;
        let e = edges.iter().find(|e| e.id == edge_id && !e.retired).ok_or(AppError::NotFound)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::chainmap::set_edge_retired(&mut tx, e.id, true).await?;
        let before = serde_json::json!({"from": e.from_id, "to": e.to_id, "retired": false});
        let after = serde_json::json!({"from": e.from_id, "to": e.to_id, "retired": true});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "segment_edge.retire", "segment_edge", e.id, Some(before), Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Places an enterprise the editor may write on a segment of the chain.
    pub async fn place_enterprise(
        &self,
        p: &Principal,
        key: &str,
        segment_id: i64,
        enterprise_id: i64,
        role: &str,
    ) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        if !ROLES.iter().any(|(c, _)| *c == role) {
            return Err(AppError::invalid("role", "角色须为链主或链属"));
        }
        let all = store::chainmap::segments(&self.db, chain.id).await?;
        let seg = all
            .iter()
            .find(|x| x.id == segment_id && !x.retired)
            .ok_or_else(|| AppError::invalid("segment_id", format!("环节 {segment_id} 不在本产业链中或已撤销")))?;
        // The enterprise must be one the editor may write (the storage layer's scope).
        let mut probe = store::sql::Sql::new("SELECT COUNT(*) FROM enterprise e WHERE e.archived = FALSE AND e.id = ");
        probe.bind(enterprise_id);
        store::enterprise::push_scope(&mut probe, &p.enterprise_scope, store::enterprise::Access::Write);
        if probe.fetch_i64(&self.db).await? == 0 {
            return Err(AppError::Forbidden("该企业不存在或不在您的管理范围内".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::place(&mut tx, chain.id, segment_id, enterprise_id, role, now, p.by()).await? {
            return Err(AppError::Conflict(format!("该企业已在环节“{}”上", seg.name)));
        }
        let after = serde_json::json!({"chain": chain.code, "segment_id": segment_id, "enterprise_id": enterprise_id, "role": role});
        store::history::record(
            &mut tx,
            "enterprise",
            enterprise_id,
            None,
            &serde_json::json!({ format!("placement:{segment_id}"): role }),
            &[],
            "产业链图谱",
            now,
            p.by(),
        )
        .await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "placement.create", "placement", enterprise_id, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "enterprise", &[enterprise_id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unplace_enterprise(
        &self,
        p: &Principal,
        key: &str,
        segment_id: i64,
        enterprise_id: i64,
    ) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let all = store::chainmap::segments(&self.db, chain.id).await?;
        if !all.iter().any(|x| x.id == segment_id) {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::unplace(&mut tx, segment_id, enterprise_id).await? {
            return Err(AppError::NotFound);
        }
        let before = serde_json::json!({"chain": chain.code, "segment_id": segment_id, "enterprise_id": enterprise_id});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "placement.delete", "placement", enterprise_id, Some(before), None),
        )
        .await?;
        store::feed::append(&mut tx, "enterprise", &[enterprise_id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One edit of a map entity in its transaction: the field history (source 编辑) and the
/// audit row. `action` is `entity.verb`; the entity is its first part.
async fn log_edit(
    tx: &mut store::Tx,
    p: &Principal,
    action: &str,
    id: i64,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let entity = action.split('.').next().unwrap_or(action);
    store::history::record(tx, entity, id, before.as_ref(), &after, &[], "编辑", now, p.by()).await?;
    store::audit::append(tx, now, &audit_entry(&p.actor(), action, entity, id, before, Some(after))).await?;
    Ok(())
}

/// A stored segment as an edit of it.
pub(crate) fn stored_segment(old: &SegmentRow) -> NewSegment {
    NewSegment {
        code: old.code.clone(),
        name: old.name.clone(),
        stage: old.stage.clone(),
        parent_id: old.parent_id,
        sort: old.sort,
        key_products: old.key_products.clone(),
        key_technologies: old.key_technologies.clone(),
        industry_codes: old.industry_codes.clone(),
    }
}

pub(crate) fn segment_json(s: &NewSegment, retired: bool) -> serde_json::Value {
    serde_json::json!({
        "code": s.code, "name": s.name, "stage": s.stage, "parent_id": s.parent_id, "sort": s.sort,
        "key_products": s.key_products, "key_technologies": s.key_technologies,
        "industry_codes": s.industry_codes, "retired": retired,
    })
}

pub fn role_label(code: &str) -> &'static str {
    ROLES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("链属")
}

/// Kinds of list items on a chain: (code, label, list it belongs to). The collaboration
/// demand table, the 一链N清单 and the 6 keys (SPEC glossary: `chain_list` kinds; the key
/// items are the kinds starting with `key_`).
pub const LIST_KINDS: [(&str, &str, &str); 12] = [
    ("demand", "协作需求", "协作需求表"),
    ("tech_route", "技术路线", "一链N清单"),
    ("layout", "产业布局", "一链N清单"),
    ("cultivation", "企业培育", "一链N清单"),
    ("platform", "重点平台", "一链N清单"),
    ("scenario", "应用场景", "一链N清单"),
    ("key_enterprise", "重点企业", "6个关键"),
    ("key_product", "重点产品", "6个关键"),
    ("key_park", "重点园区", "6个关键"),
    ("key_technology", "关键技术", "6个关键"),
    ("key_team", "重点团队", "6个关键"),
    ("key_project", "重点项目", "6个关键"),
];

pub const LIST_STATUSES: [(&str, &str); 4] =
    [("planned", "计划"), ("in_progress", "推进中"), ("done", "已完成"), ("dropped", "已取消")];

pub fn list_kind_label(code: &str) -> &'static str {
    LIST_KINDS.iter().find(|k| k.0 == code).map(|k| k.1).unwrap_or("其他")
}

pub fn list_status_label(code: &str) -> &'static str {
    LIST_STATUSES.iter().find(|k| k.0 == code).map(|k| k.1).unwrap_or("未知")
}

/// A list item as entered (form or API): dates as written (2025-01-03, 2025/1/3, 2025年1月3日).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ListItemInput {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub start_on: String,
    #[serde(default)]
    pub due_on: String,
    pub segment_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

impl From<&store::chainmap::ListItemRow> for ListItemInput {
    /// The item as stored, to edit one field of it.
    fn from(r: &store::chainmap::ListItemRow) -> Self {
        ListItemInput {
            kind: r.kind.clone(),
            title: r.title.clone(),
            detail: r.detail.clone(),
            owner: r.owner.clone(),
            status: r.status.clone(),
            start_on: r.start_on.map(|d| d.to_string()).unwrap_or_default(),
            due_on: r.due_on.map(|d| d.to_string()).unwrap_or_default(),
            segment_id: r.segment_id,
            enterprise_id: r.enterprise_id,
        }
    }
}

impl App {
    /// Checks an item: kind, title, owner, status, dates in order, the segment on this chain,
    /// the enterprise one the editor may read (when the link is new: `linked` is the item's
    /// current enterprise, which an editor may keep without reading it).
    async fn check_item(
        &self,
        p: &Principal,
        chain_id: i64,
        i: &ListItemInput,
        linked: Option<i64>,
    ) -> Result<store::chainmap::NewListItem> {
        use crate::error::FieldError;
        let mut errors = Vec::new();
        if !LIST_KINDS.iter().any(|k| k.0 == i.kind) {
            errors.push(FieldError::new("kind", "清单类别无效"));
        }
        let title = i.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new("title", "事项名称不能为空，且不超过 100 字"));
        }
        if i.detail.chars().count() > 2000 {
            errors.push(FieldError::new("detail", "内容说明不超过 2000 字"));
        }
        if i.owner.chars().count() > 60 {
            errors.push(FieldError::new("owner", "责任单位/责任人不超过 60 字"));
        }
        let status = if i.status.trim().is_empty() { "planned".to_string() } else { i.status.trim().to_string() };
        if !LIST_STATUSES.iter().any(|s| s.0 == status) {
            errors.push(FieldError::new("status", "状态须为计划、推进中、已完成或已取消"));
        }
        let mut date = |field: &str, label: &str, v: &str| match v.trim() {
            "" => None,
            v => match office::parse_date(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError::new(field, format!("{label}：{e}")));
                    None
                }
            },
        };
        let start_on = date("start_on", "开始日期", &i.start_on);
        let due_on = date("due_on", "完成时限", &i.due_on);
        if let (Some(a), Some(b)) = (start_on, due_on)
            && b < a
        {
            errors.push(FieldError::new("due_on", "完成时限不能早于开始日期"));
        }
        if let Some(sid) = i.segment_id
            && !store::chainmap::segments(&self.db, chain_id).await?.iter().any(|s| s.id == sid && !s.retired)
        {
            errors.push(FieldError::new("segment_id", format!("环节 {sid} 不在本产业链中或已撤销")));
        }
        if let Some(eid) = i.enterprise_id.filter(|e| Some(*e) != linked) {
            let mut probe =
                store::sql::Sql::new("SELECT COUNT(*) FROM enterprise e WHERE e.archived = FALSE AND e.id = ");
            probe.bind(eid);
            store::enterprise::push_scope(&mut probe, &p.enterprise_scope, store::enterprise::Access::Read);
            if probe.fetch_i64(&self.db).await? == 0 {
                errors.push(FieldError::new("enterprise_id", "关联企业不存在或不在您的查看范围内"));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(store::chainmap::NewListItem {
            kind: i.kind.clone(),
            title,
            detail: i.detail.trim().to_string(),
            owner: i.owner.trim().to_string(),
            status,
            start_on,
            due_on,
            segment_id: i.segment_id,
            enterprise_id: i.enterprise_id,
        })
    }

    pub async fn chain_list_items(
        &self,
        p: &Principal,
        key: &str,
        kind: Option<&str>,
    ) -> Result<Vec<store::chainmap::ListItemRow>> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        if let Some(k) = kind
            && !LIST_KINDS.iter().any(|x| x.0 == k)
        {
            return Err(AppError::invalid("kind", format!("未知清单类别“{k}”")));
        }
        Ok(store::chainmap::list_items(&self.db, &p.enterprise_scope, chain.id, kind).await?)
    }

    pub async fn add_list_item(&self, p: &Principal, key: &str, i: &ListItemInput) -> Result<i64> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let new = self.check_item(p, chain.id, i, None).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::chainmap::insert_item(&mut tx, chain.id, &new, now, p.by()).await?;
        let after = item_json(&new);
        log_edit(&mut tx, p, "chain_list.create", id, None, after, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_list_item(
        &self,
        p: &Principal,
        key: &str,
        id: i64,
        version: i64,
        i: &ListItemInput,
    ) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let old = store::chainmap::list_items(&self.db, &p.enterprise_scope, chain.id, None)
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(AppError::NotFound)?;
        let new = self.check_item(p, chain.id, i, old.enterprise_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::update_item(&mut tx, chain.id, id, version, &new, now, p.by()).await? {
            return Err(AppError::Conflict("该清单事项已被他人修改，请刷新后重试".into()));
        }
        let before = item_json(&(&old).into());
        let after = item_json(&new);
        log_edit(&mut tx, p, "chain_list.update", id, Some(before), after, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_list_item(&self, p: &Principal, key: &str, id: i64) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let old = store::chainmap::list_items(&self.db, &p.enterprise_scope, chain.id, None)
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(AppError::NotFound)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::delete_item(&mut tx, chain.id, id).await? {
            return Err(AppError::NotFound);
        }
        let before = serde_json::json!({"kind": old.kind, "title": old.title, "status": old.status});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "chain_list.delete", "chain_list", id, Some(before), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn item_json(i: &store::chainmap::NewListItem) -> serde_json::Value {
    serde_json::json!({
        "kind": i.kind, "title": i.title, "detail": i.detail, "owner": i.owner, "status": i.status,
        "start_on": i.start_on, "due_on": i.due_on, "segment_id": i.segment_id, "enterprise_id": i.enterprise_id,
    })
}

pub const LIST_XLSX_HEADERS: [&str; 10] =
    ["清单", "类别", "事项", "内容说明", "责任单位/责任人", "状态", "开始日期", "完成时限", "关联环节", "关联企业"];

/// A chain's list items as an xlsx sheet (`LIST_XLSX_HEADERS`).
pub fn list_items_xlsx(chain_name: &str, items: &[store::chainmap::ListItemRow]) -> Result<Vec<u8>> {
    use office::CellOut;
    let rows = items.iter().map(|i| {
        let text = |v: &str| CellOut::Text(v.to_string());
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| CellOut::Text(d.to_string())).unwrap_or(CellOut::Empty);
        vec![
            text(LIST_KINDS.iter().find(|k| k.0 == i.kind).map(|k| k.2).unwrap_or("")),
            text(list_kind_label(&i.kind)),
            text(&i.title),
            text(&i.detail),
            text(&i.owner),
            text(list_status_label(&i.status)),
            date(i.start_on),
            date(i.due_on),
            text(i.segment_name.as_deref().unwrap_or("")),
            text(i.enterprise_name.as_deref().unwrap_or("")),
        ]
    });
    office::write_xlsx(&format!("{chain_name}清单"), &LIST_XLSX_HEADERS, rows)
        .map_err(|e| AppError::Internal(e.to_string()))
}

impl App {
    /// Appoint a chain's chief (链长) or a deputy (副链长): an existing, enabled account, by
    /// username. The office only (appointments are the city's). A chain has one chief: a new
    /// chief replaces the former one.
    pub async fn set_chain_officer(&self, p: &Principal, key: &str, username: &str, role: &str) -> Result<()> {
        let chain = self.chain_info(key).await?;
        if !p.has(Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以设置链长、副链长".into()));
        }
        if role != "chief" && role != "deputy" {
            return Err(AppError::invalid("role", "职务应为链长（chief）或副链长（deputy）"));
        }
        let account = store::account::by_username(&self.db, username.trim())
            .await?
            .filter(|a| !a.disabled)
            .ok_or_else(|| AppError::invalid("username", format!("账号“{}”不存在或已停用", username.trim())))?;
        let before = store::chainmap::officers(&self.db, chain.id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if role == "chief" {
            for (id, _, r) in &before {
                if r == "chief" && *id != account.id {
                    store::chainmap::remove_officer(&mut tx, chain.id, *id).await?;
                }
            }
        }
        store::chainmap::set_officer(&mut tx, chain.id, account.id, role).await?;
        let list =
            |v: &[(i64, String, String)]| v.iter().map(|(i, n, r)| serde_json::json!([i, n, r])).collect::<Vec<_>>();
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "chain_officer.set",
                "chain",
                chain.id,
                Some(serde_json::json!({"officers": list(&before)})),
                Some(serde_json::json!({"account_id": account.id, "username": account.username, "role": role})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_chain_officer(&self, p: &Principal, key: &str, account_id: i64) -> Result<()> {
        let chain = self.chain_info(key).await?;
        if !p.has(Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以设置链长、副链长".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::chainmap::remove_officer(&mut tx, chain.id, account_id).await? {
            return Err(AppError::NotFound);
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "chain_officer.remove",
                "chain",
                chain.id,
                Some(serde_json::json!({"account_id": account_id})),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Set a chain's yearly output target, given in 亿元 as people write it (e.g. 120 or
    /// 85.5). The office or the chain's lead department.
    pub async fn set_chain_output_target(&self, p: &Principal, key: &str, year: &str, yi: &str) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let mut errors = Vec::new();
        let year = match year.trim().trim_end_matches('年').parse::<i64>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                errors.push(crate::FieldError::new("year", "年份应为 2000 至 2100 之间的整数"));
                None
            }
        };
        let yi = yi.trim().trim_end_matches("亿元").replace([',', '，'], "");
        let fen = match yi.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=1_000_000.0).contains(&v) => Some((v * 10_000_000_000.0).round() as i64),
            _ => {
                errors.push(crate::FieldError::new("output", "产值目标应为不小于 0 的数（亿元）"));
                None
            }
        };
        let (Some(year), Some(fen)) = (year, fen) else { return Err(AppError::Invalid(errors)) };
        let before = store::chainmap::targets(&self.db, chain.id).await?.into_iter().find(|t| t.0 == year);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::chainmap::set_target(&mut tx, chain.id, year, fen).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "chain_target.set",
                "chain",
                chain.id,
                before.map(|b| serde_json::json!({"year": b.0, "output_fen": b.1})),
                Some(serde_json::json!({"year": year, "output_fen": fen})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
