//! 图谱修改记录: a chain's map edits (segments, segment edges, placements, imports) as the
//! audit log recorded them, newest first, told in Chinese. Readable by whoever reads the
//! chain's map; an enterprise is named only where the reader may read it.

use crate::account::Principal;
use crate::chainmap::{role_label, stage_label};
use crate::{App, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One edit of a chain's map.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MapEdit {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The account that made it (its username; `cli` for the console).
    pub actor: String,
    /// The audit action (segment.create …).
    pub action: String,
    /// The action in Chinese: 新增环节, 修改环节 …
    pub label: String,
    /// What it touched: a segment, an edge, an enterprise on a segment.
    pub subject: String,
    /// What changed.
    pub detail: String,
}

fn action_label(action: &str) -> &'static str {
    match action {
        "segment.create" => "新增环节",
        "segment.update" => "修改环节",
        "segment_edge.create" => "新增供给关系",
        "segment_edge.retire" => "撤销供给关系",
        "segment_edge.restore" => "恢复供给关系",
        "segment_edge.update" => "修改供给关系",
        "placement.create" => "企业上链",
        "placement.update" => "调整企业角色",
        "placement.delete" => "企业移出环节",
        "chain_map.import" => "导入图谱",
        "chain_map.seed" => "生成示例图谱",
        _ => "其他",
    }
}

fn json(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}

fn text(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

impl App {
    /// A page of the chain's map edits, newest first, with their total.
    pub async fn chain_map_history(
        &self,
        p: &Principal,
        key: &str,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<MapEdit>, i64)> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let (rows, total) = store::chainmap::map_audit(&self.db, chain.id, &chain.code, page, per_page).await?;
        let segments: HashMap<i64, String> =
            store::chainmap::segments(&self.db, chain.id).await?.into_iter().map(|s| (s.id, s.name)).collect();
        let seg = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_i64)
                .map(|id| segments.get(&id).cloned().unwrap_or_else(|| format!("环节 {id}")))
                .unwrap_or_else(|| "（无）".into())
        };
        let mut enterprise_ids: Vec<i64> =
            rows.iter().filter(|r| r.entity == "placement").filter_map(|r| r.entity_id.parse().ok()).collect();
        enterprise_ids.sort_unstable();
        enterprise_ids.dedup();
        let names: HashMap<i64, String> =
            store::chainmap::enterprise_names(&self.db, &p.enterprise_scope, &enterprise_ids)
                .await?
                .into_iter()
                .collect();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let (before, after) = (json(row.before_json.as_deref()), json(row.after_json.as_deref()));
            let (subject, detail) = match row.action.as_str() {
                "segment.create" => (
                    format!("环节“{}”", text(&after, "name")),
                    format!("{}，上级：{}", stage_label(&text(&after, "stage")), seg(&after, "parent_id")),
                ),
                "segment.update" => {
                    let mut d = Vec::new();
                    let changed = |k: &str| before.get(k) != after.get(k);
                    if changed("name") {
                        d.push(format!("名称：{} → {}", text(&before, "name"), text(&after, "name")));
                    }
                    if changed("stage") {
                        d.push(format!(
                            "阶段：{} → {}",
                            stage_label(&text(&before, "stage")),
                            stage_label(&text(&after, "stage"))
                        ));
                    }
                    if changed("parent_id") {
                        d.push(format!("上级：{} → {}", seg(&before, "parent_id"), seg(&after, "parent_id")));
                    }
                    if changed("sort") {
                        d.push(format!("排序：{} → {}", text(&before, "sort"), text(&after, "sort")));
                    }
                    for (k, label) in
                        [("key_products", "关键产品"), ("key_technologies", "关键技术"), ("industry_codes", "行业代码")]
                    {
                        if changed(k) {
                            d.push(format!("{label}：{} → {}", text(&before, k), text(&after, k)));
                        }
                    }
                    if changed("retired") {
                        d.push(if after.get("retired") == Some(&Value::Bool(true)) { "撤销" } else { "恢复" }.into());
                    }
                    (format!("环节“{}”", text(&after, "name")), d.join("；"))
                }
                a if a.starts_with("segment_edge.") => {
                    let v = if after.is_null() { &before } else { &after };
                    let mut detail = text(&after, "product");
                    if a == "segment_edge.update" {
                        detail = format!("供给产品：{} → {}", text(&before, "product"), text(&after, "product"));
                    }
                    (format!("{} → {}", seg(v, "from"), seg(v, "to")), detail)
                }
                a if a.starts_with("placement.") => {
                    let v = if after.is_null() { &before } else { &after };
                    let who = row
                        .entity_id
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| names.get(&id).cloned())
                        .unwrap_or_else(|| format!("企业 {}（不在您的查看范围）", row.entity_id));
                    let role = |v: &Value| role_label(&text(v, "role"));
                    let detail = match a {
                        "placement.create" => format!("放上环节“{}”（{}）", seg(v, "segment_id"), role(&after)),
                        "placement.update" => {
                            format!("在环节“{}”的角色：{} → {}", seg(v, "segment_id"), role(&before), role(&after))
                        }
                        _ => format!("移出环节“{}”", seg(v, "segment_id")),
                    };
                    (who, detail)
                }
                "chain_map.import" => {
                    let n = |part: &str, k: &str| {
                        after.get(part).and_then(|p| p.get(k)).and_then(Value::as_u64).unwrap_or(0)
                    };
                    (
                        "图谱文件".to_string(),
                        format!(
                            "环节新增 {}、修改 {}、撤销 {}、恢复 {}；供给关系新增 {}、修改 {}、撤销 {}、恢复 {}；企业布局新增 {}、移除 {}、角色变更 {}",
                            n("segments", "added"),
                            n("segments", "changed"),
                            n("segments", "retired"),
                            n("segments", "restored"),
                            n("edges", "added"),
                            n("edges", "changed"),
                            n("edges", "retired"),
                            n("edges", "restored"),
                            n("placements", "added"),
                            n("placements", "removed"),
                            n("placements", "role_changed"),
                        ),
                    )
                }
                "chain_map.seed" => (
                    "示例数据".to_string(),
                    format!(
                        "环节 {}、供给关系 {}、企业布局 {}",
                        text(&after, "segments"),
                        text(&after, "edges"),
                        text(&after, "placements")
                    ),
                ),
                _ => (row.entity.clone(), String::new()),
            };
            out.push(MapEdit {
                seq: row.seq,
                at: row.at,
                label: action_label(&row.action).to_string(),
                actor: row.actor,
                action: row.action,
                subject,
                detail,
            });
        }
        Ok((out, total))
    }
}
