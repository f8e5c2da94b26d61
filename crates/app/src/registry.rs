//! Registry discipline: near-duplicate names go to a merge-review queue; merging keeps both
//! histories; enterprises propose corrections to their own record, which their region or the
//! office reviews. The conflict rule is `domain::registry::CONFLICT_RULE`.

use crate::account::Principal;
use crate::enterprise::{EnterpriseInput, validate_with};
use crate::{App, AppError, FieldError, Result, audit_entry};
use chrono::{DateTime, Utc};
use domain::registry::name_key;
use domain::role::Role;
use serde_json::{Value, json};
use store::enterprise::Access;
use store::registry::{CandidateRow, CorrectionRow};

/// Fields an enterprise may propose to correct, with their labels.
pub const CORRECTABLE: [(&str, &str); 8] = [
    ("name", "企业名称"),
    ("address", "地址"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("employees", "从业人员"),
    ("revenue_wan", "营业收入（万元）"),
    ("founded_on", "成立日期"),
    ("description", "简介"),
];

/// The current text of a correctable field.
pub fn field_value(i: &EnterpriseInput, f: &str) -> String {
    match f {
        "name" => i.name.clone(),
        "address" => i.address.clone(),
        "contact_name" => i.contact_name.clone(),
        "contact_phone" => i.contact_phone.clone(),
        "employees" => i.employees.clone(),
        "revenue_wan" => i.revenue_wan.clone(),
        "founded_on" => i.founded_on.clone(),
        "description" => i.description.clone(),
        _ => String::new(),
    }
}

fn set(i: &mut EnterpriseInput, f: &str, v: String) {
    match f {
        "name" => i.name = v,
        "address" => i.address = v,
        "contact_name" => i.contact_name = v,
        "contact_phone" => i.contact_phone = v,
        "employees" => i.employees = v,
        "revenue_wan" => i.revenue_wan = v,
        "founded_on" => i.founded_on = v,
        "description" => i.description = v,
        _ => {}
    }
}

impl App {
    /// Queues every live enterprise whose name (or former name) has the same key as `id`'s.
    pub(crate) async fn flag_same_names(
        &self,
        tx: &mut store::Tx,
        id: i64,
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let key = name_key(name);
        for other in store::registry::same_name(tx, id, &key).await? {
            store::registry::add_candidate(tx, id, other, &format!("名称规范化后相同：{key}"), at).await?;
        }
        Ok(())
    }

    pub async fn merge_candidates(&self, p: &Principal) -> Result<Vec<CandidateRow>> {
        let scope = self.read_scope_of(p)?;
        Ok(store::registry::candidates(&self.db, scope).await?)
    }

    /// Decides a candidate pair: `keep` = the id to keep (the other is merged into it), or
    /// `None` for "different enterprises". Needs write access to both.
    pub async fn decide_merge(&self, p: &Principal, candidate: i64, keep: Option<i64>) -> Result<()> {
        p.ensure_active()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(c) = store::registry::candidate_for_write(&mut tx, &p.enterprise_scope, candidate).await? else {
            return Err(AppError::NotFound);
        };
        let (status, after) = match keep {
            None => ("distinct", json!({"a": c.a_id, "b": c.b_id, "decision": "distinct"})),
            Some(k) if k == c.a_id || k == c.b_id => {
                let drop = if k == c.a_id { c.b_id } else { c.a_id };
                store::registry::merge(&mut tx, k, drop, now, p.by()).await?;
                store::history::record(
                    &mut tx,
                    "enterprise",
                    k,
                    None,
                    &json!({"merged_from": format!("{}（{}）", if drop == c.a_id { &c.a_name } else { &c.b_name }, if drop == c.a_id { &c.a_uscc } else { &c.b_uscc })}),
                    &[],
                    "合并审核",
                    now,
                    p.by(),
                )
                .await?;
                ("merged", json!({"keep": k, "merged": drop}))
            }
            Some(_) => return Err(AppError::invalid("keep", "保留的企业须为该组中的一家")),
        };
        store::registry::decide(&mut tx, candidate, status, now, p.by()).await.map_err(|e| match e {
            store::StoreError::Stale => AppError::Conflict("该合并建议已被他人处理".into()),
            e => e.into(),
        })?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "registry.merge_decision",
                "merge_candidate",
                candidate,
                None,
                Some(after.clone()),
            ),
        )
        .await?;
        if let (Some(k), Some(d)) =
            (after.get("keep").and_then(Value::as_i64), after.get("merged").and_then(Value::as_i64))
        {
            store::feed::append(&mut tx, "enterprise", &[k], "upsert", now).await?;
            store::feed::append(&mut tx, "enterprise", &[d], "delete", now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An enterprise user proposes corrections to its own record. `proposed` maps field
    /// names of [`CORRECTABLE`] to new values; unchanged ones are ignored.
    pub async fn propose_correction(
        &self,
        p: &Principal,
        enterprise_id: i64,
        proposed: &[(String, String)],
        reason: &str,
    ) -> Result<i64> {
        p.ensure_active()?;
        let row = self.enterprise(p, enterprise_id).await?;
        if !p.grants.iter().any(|g| g.role == Role::Enterprise && g.scope.as_deref() == Some(row.uscc.as_str())) {
            return Err(AppError::Forbidden("只有本企业账号可以申请更正本企业信息".into()));
        }
        let current = EnterpriseInput::from_row(&row);
        let mut next = current.clone();
        let mut changes = serde_json::Map::new();
        for (f, v) in proposed {
            if !CORRECTABLE.iter().any(|(k, _)| k == f) {
                return Err(AppError::invalid(f, "该字段不能由企业申请更正"));
            }
            let v = v.trim().to_string();
            if v != field_value(&current, f) {
                changes.insert(f.clone(), json!({"from": field_value(&current, f), "to": v}));
                set(&mut next, f, v);
            }
        }
        if changes.is_empty() {
            return Err(AppError::invalid("changes", "没有需要更正的内容"));
        }
        if reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "请说明更正理由（如营业执照变更）"));
        }
        validate_with(&self.refs().await?, &next, row.is_demo)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let changes = Value::Object(changes);
        let id =
            store::registry::add_correction(&mut tx, enterprise_id, p.account_id, &changes, reason.trim(), now).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "correction.propose", "correction", id, None, Some(changes)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Corrections waiting for the caller's review.
    pub async fn pending_corrections(&self, p: &Principal) -> Result<Vec<CorrectionRow>> {
        p.ensure_active()?;
        Ok(store::registry::pending(&self.db, &p.enterprise_scope).await?)
    }

    pub async fn corrections_of(&self, p: &Principal, enterprise_id: i64) -> Result<Vec<CorrectionRow>> {
        self.enterprise(p, enterprise_id).await?;
        Ok(store::registry::of_enterprise(&self.db, enterprise_id).await?)
    }

    /// Approves (applying the proposed values to the current record) or rejects a correction.
    pub async fn review_correction(&self, p: &Principal, id: i64, approve: bool, note: &str) -> Result<()> {
        p.ensure_active()?;
        if !approve && note.trim().is_empty() {
            return Err(AppError::invalid("note", "驳回时请填写审核意见"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(c) = store::registry::pending_for_write(&mut tx, &p.enterprise_scope, id).await? else {
            return Err(AppError::NotFound);
        };
        if approve {
            let Some(row) =
                store::enterprise::get_tx(&mut tx, &p.enterprise_scope, c.enterprise_id, Access::Write).await?
            else {
                return Err(AppError::NotFound);
            };
            let changes: Value =
                serde_json::from_str(&c.changes_json).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut next = EnterpriseInput::from_row(&row);
            for (f, v) in changes.as_object().into_iter().flatten() {
                set(&mut next, f, v.get("to").and_then(Value::as_str).unwrap_or_default().to_string());
            }
            let d = validate_with(&self.refs().await?, &next, row.is_demo).map_err(|e| match e {
                AppError::Invalid(f) => AppError::Invalid(
                    f.into_iter()
                        .map(|f| FieldError::new(&f.field, format!("按现有数据更正后：{}", f.message)))
                        .collect(),
                ),
                e => e,
            })?;
            let before = serde_json::to_value(row.data()).map_err(|e| AppError::Internal(e.to_string()))?;
            let after = serde_json::to_value(&d).map_err(|e| AppError::Internal(e.to_string()))?;
            store::enterprise::update(&mut tx, &p.enterprise_scope, row.id, row.version, &d, now, p.by()).await?;
            store::history::record(
                &mut tx,
                "enterprise",
                row.id,
                Some(&before),
                &after,
                &["is_demo"],
                &format!("企业更正申请#{id}"),
                now,
                p.by(),
            )
            .await?;
            if d.name != row.name {
                store::registry::add_alias(&mut tx, row.id, "former_name", &row.name).await?;
                self.flag_same_names(&mut tx, row.id, &d.name, now).await?;
            }
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(&p.actor(), "enterprise.update", "enterprise", row.id, Some(before), Some(after)),
            )
            .await?;
        }
        store::registry::review(&mut tx, id, if approve { "approved" } else { "rejected" }, note.trim(), now, p.by())
            .await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "correction.review",
                "correction",
                id,
                None,
                Some(json!({"approved": approve, "note": note.trim()})),
            ),
        )
        .await?;
        if approve {
            store::feed::append(&mut tx, "enterprise", &[c.enterprise_id], "upsert", now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
