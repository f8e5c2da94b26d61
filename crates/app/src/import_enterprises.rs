//! The enterprise-list import, streamed: a worker thread parses and validates the file row by
//! row and hands validated rows over in small batches, while this task writes them into one
//! open transaction. Parsing and validation overlap the database work, and neither the file's
//! cells nor the validated rows are ever all in memory at once (a 1,000,000-row csv stays far
//! below 1 GiB). Any problem in any row stops the writing and rolls everything back: the
//! result is all rows or none, as with the other imports.

use crate::account::Principal;
use crate::enterprise::{EnterpriseInput, Refs, may_create_in, validate_with};
use crate::import::{ImportOptions, ImportReport, Known, PREVIEW, RowChange, RowProblem};
use crate::import_stream::{BATCH, finish, spawn_checked};
use store::enterprise::InsertBatch;

// Every batch from the checking thread becomes one INSERT.
const _: () = assert!(BATCH <= store::enterprise::INSERT_CHUNK);
use crate::{App, AppError, Result, audit_entry};
use bytes::Bytes;
use domain::role::EnterpriseScope;
use office::{HeaderMap, Row};
use std::collections::HashMap;
use store::enterprise::{EnterpriseData, EnterpriseRow};

/// What one row of the file turned out to be.
enum Item {
    Insert(usize, EnterpriseData),
    Update(usize, Box<EnterpriseRow>, EnterpriseData),
    Problems(Vec<RowProblem>),
}

/// Everything a row is checked against, owned so that it can move to the validating thread.
struct Checker {
    map: HeaderMap,
    refs: Refs,
    /// Counties and parks by code, by name and by name without its suffix (通川区 → 通川):
    /// (code, kind).
    by_name: HashMap<String, (String, String)>,
    known: Known,
    scope: EnterpriseScope,
    /// USCC → the line it first appeared on.
    seen: HashMap<String, usize>,
}

impl Checker {
    fn col(key: &str) -> String {
        match key {
            "region_code" => "所属区县".into(),
            "park_code" => "所在园区".into(),
            "contact_name" => "联系人".into(),
            k => office::ENTERPRISE_FIELDS.iter().find(|f| f.key == k).map_or(k, |f| f.label).to_string(),
        }
    }

    fn problem(line: usize, key: &str, value: &str, message: impl Into<String>) -> RowProblem {
        RowProblem { line, column: Self::col(key), value: value.to_string(), message: message.into() }
    }

    fn check(&mut self, row: Row) -> Item {
        let line = row.line;
        let c = |k: &str| self.map.get(&row.cells, k).unwrap_or("").to_string();
        let mut problems: Vec<RowProblem> = Vec::new();
        let region_text = c("region");
        let region_code = match self.by_name.get(region_text.trim()) {
            Some((code, kind)) if kind == "county" => code.clone(),
            Some((code, kind)) if kind == "park" => {
                // A park named as the region: the park's county is unknown here. This one
                // message stands for the cell (the general one would only repeat it).
                problems.push(Self::problem(
                    line,
                    "region_code",
                    &region_text,
                    format!("“{region_text}”（{code}）是园区，请在“所属区县”填写县级区划，园区填在“所在园区”列"),
                ));
                String::new()
            }
            _ => region_text.clone(),
        };
        let park_text = c("park");
        let park_code = match self.by_name.get(park_text.trim()) {
            Some((code, _)) => code.clone(),
            None => park_text.clone(),
        };
        let founded = c("founded_on");
        let founded_on = if founded.trim().is_empty() {
            String::new()
        } else {
            match office::dates::parse_date(&founded) {
                Ok(d) => d.to_string(),
                Err(m) => {
                    problems.push(Self::problem(line, "founded_on", &founded, m));
                    String::new()
                }
            }
        };
        // A column the file does not have leaves an existing enterprise's value as it is.
        let prior = domain::uscc::Uscc::parse(&c("uscc"))
            .ok()
            .and_then(|u| self.known.get(u.as_str()))
            .map(|(r, _)| EnterpriseInput::from_row(r))
            .unwrap_or_default();
        let has = |k: &str| self.map.index(k).is_some();
        let pick = |k: &str, v: String, old: &str| if has(k) { v } else { old.to_string() };
        let input = EnterpriseInput {
            uscc: c("uscc"),
            name: pick("name", c("name"), &prior.name),
            region_code: pick("region", region_code, &prior.region_code),
            park_code: pick("park", park_code, &prior.park_code),
            industry_code: pick("industry_code", c("industry_code"), &prior.industry_code),
            employees: pick("employees", c("employees").replace([',', '，'], ""), &prior.employees),
            revenue_wan: pick("revenue_wan", c("revenue_wan"), &prior.revenue_wan),
            assets_wan: pick("assets_wan", c("assets_wan"), &prior.assets_wan),
            founded_on: pick("founded_on", founded_on, &prior.founded_on),
            address: pick("address", c("address"), &prior.address),
            contact_name: pick("contact_person", c("contact_person"), &prior.contact_name),
            contact_phone: pick("contact_phone", c("contact_phone"), &prior.contact_phone),
            description: pick("description", c("description"), &prior.description),
        };
        let data = match validate_with(&self.refs, &input, false) {
            Ok(d) => Some(d),
            Err(AppError::Invalid(fs)) => {
                for f in fs {
                    // The region cell already has its own message when it named a park.
                    if f.field == "region_code" && problems.iter().any(|p| p.column == Self::col("region_code")) {
                        continue;
                    }
                    let value = match f.field.as_str() {
                        "uscc" => input.uscc.clone(),
                        "name" => input.name.clone(),
                        "region_code" => region_text.clone(),
                        "park_code" => park_text.clone(),
                        "industry_code" => input.industry_code.clone(),
                        "employees" => input.employees.clone(),
                        "revenue_wan" => input.revenue_wan.clone(),
                        "assets_wan" => input.assets_wan.clone(),
                        "founded_on" => founded.clone(),
                        _ => String::new(),
                    };
                    problems.push(RowProblem { line, column: Self::col(&f.field), value, message: f.message });
                }
                None
            }
            Err(e) => {
                problems.push(Self::problem(line, "uscc", &input.uscc, e.user_message()));
                None
            }
        };
        let Some(d) = data.filter(|_| problems.is_empty()) else {
            return Item::Problems(problems);
        };
        if let Some(first) = self.seen.insert(d.uscc.clone(), line) {
            return Item::Problems(vec![Self::problem(
                line,
                "uscc",
                &d.uscc,
                format!("与第 {first} 行的统一社会信用代码重复"),
            )]);
        }
        match self.known.get(&d.uscc) {
            Some((_, false)) => Item::Problems(vec![Self::problem(
                line,
                "uscc",
                &d.uscc,
                "该企业已在库中，但不在您的管辖范围内，不能修改",
            )]),
            Some((old, true)) => {
                let s = &self.scope;
                let moved = old.region_code != d.region_code || old.park_code != d.park_code;
                if moved && !s.write_all && !s.regions.is_empty() && !may_create_in(s, &d) {
                    Item::Problems(vec![Self::problem(line, "region_code", &region_text, "不能把企业移出本辖区")])
                } else {
                    let mut d = d;
                    d.is_demo = old.is_demo;
                    Item::Update(line, Box::new(old.clone()), d)
                }
            }
            None if !may_create_in(&self.scope, &d) => {
                Item::Problems(vec![Self::problem(line, "region_code", &region_text, "只能新增本辖区内的企业")])
            }
            None => Item::Insert(line, d),
        }
    }
}

impl ImportReport {
    /// Lists a change for the preview (the first few hundred).
    fn preview(&mut self, line: usize, d: &EnterpriseData, action: &str, fields: Vec<(String, String, String)>) {
        if self.changes.len() < PREVIEW {
            self.changes.push(RowChange {
                line,
                key: d.uscc.clone(),
                name: d.name.clone(),
                action: action.into(),
                fields,
            });
        }
    }
}

/// The fields that changed between a stored enterprise and its new data, as
/// (column label, before, after); with both as JSON for the history.
type Diff = (Vec<(String, String, String)>, serde_json::Value, serde_json::Value);

fn diff(old: &EnterpriseRow, new: &EnterpriseData) -> Diff {
    let before = serde_json::to_value(old.data()).unwrap_or_default();
    let after = serde_json::to_value(new).unwrap_or_default();
    let show = |x: Option<&serde_json::Value>| match x {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    };
    let fields = after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| before.get(k.as_str()) != Some(v) && k.as_str() != "is_demo")
        .map(|(k, v)| (Checker::col(k), show(before.get(k.as_str())), show(Some(v))))
        .collect();
    (fields, before, after)
}

impl App {
    pub(crate) async fn import_enterprises(
        &self,
        p: &Principal,
        bytes: Bytes,
        map: HeaderMap,
        opts: &ImportOptions,
        report: &mut ImportReport,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<()> {
        let (limits, file_name, total, known) = self.open_stream(p, &bytes, &map, opts, report).await?;
        let regions = self.regions().await?;
        let mut by_name: HashMap<String, (String, String)> = HashMap::new();
        for r in &regions {
            for k in [r.code.clone(), r.name.clone(), r.name.trim_end_matches(['区', '县', '市']).to_string()] {
                by_name.entry(k).or_insert((r.code.clone(), r.kind.clone()));
            }
        }
        let mut checker = Checker {
            map,
            refs: self.refs().await?,
            by_name,
            known,
            scope: p.enterprise_scope.clone(),
            seen: HashMap::new(),
        };
        let (mut rx, worker) = spawn_checked(bytes, file_name, limits, move |row: Row| checker.check(row));

        let now = self.now();
        let source = format!("导入：{}", report.file);
        // The transaction opens before the first row arrives and closes (rolled back) at the
        // first problem; a dry run never opens one.
        let mut tx = if opts.dry_run { None } else { Some(self.db.begin().await?) };
        let by = p.by();
        let mut ids: Vec<i64> = Vec::new();
        let mut done = 0usize;
        // A pipeline of two: the INSERT built from one batch runs on the database's thread
        // while the next batch is received, reported and built into the following statement.
        let mut inflight: Option<InsertBatch> = None;
        progress(0, total);
        loop {
            let writing = tx.is_some();
            let next = async {
                let batch = rx.recv().await?;
                let mut inserts = Vec::with_capacity(batch.len());
                let mut updates = Vec::new();
                let mut failed = false;
                for item in batch {
                    done += 1;
                    match item {
                        Item::Problems(ps) => {
                            report.add_problems(ps);
                            failed = true;
                        }
                        Item::Insert(line, d) => {
                            report.created += 1;
                            report.preview(line, &d, "新增", vec![]);
                            inserts.push(d);
                        }
                        Item::Update(line, old, new) => {
                            let (fields, before, after) = diff(&old, &new);
                            if fields.is_empty() {
                                report.unchanged += 1;
                                continue;
                            }
                            report.updated += 1;
                            report.preview(line, &new, "更新", fields);
                            updates.push((old, new, before, after));
                        }
                    }
                }
                // Rows of a batch all fit one statement (BATCH ≤ INSERT_CHUNK).
                let insert = (writing && !failed).then(|| InsertBatch::new(inserts, now, by));
                Some((insert, updates, failed))
            };
            let (written, next) = match (tx.as_mut(), inflight.take()) {
                (Some(t), Some(ins)) => tokio::join!(ins.run(t), next),
                _ => (Ok(Vec::new()), next.await),
            };
            ids.extend(written?);
            let Some((insert, updates, failed)) = next else { break };
            if failed {
                // The first problem ends the writing (the transaction rolls back when
                // dropped); the rest of the file is still checked for the report.
                tx = None;
            }
            if let Some(t) = tx.as_mut() {
                for (old, new, before, after) in updates {
                    self.write_update(t, p, &old, &new, before, after, &source, now).await?;
                    ids.push(old.id);
                }
                inflight = insert;
            }
            progress(done, total);
        }
        finish(worker).await?;
        let Some(mut tx) = tx.filter(|_| report.error_total == 0) else {
            return Ok(());
        };
        for (a, b) in store::registry::same_name_pairs(&mut tx, &ids).await? {
            store::registry::add_candidate(&mut tx, a, b, "名称规范化后相同（导入）", now).await?;
        }
        let after = serde_json::json!({"file": report.file, "rows": report.rows, "created": report.created,
            "updated": report.updated, "unchanged": report.unchanged,
            "first_id": ids.iter().min(), "last_id": ids.iter().max()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "import.enterprises", "import", &report.file, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "enterprise", &ids, "upsert", now).await?;
        tx.commit().await?;
        report.committed = true;
        Ok(())
    }

    /// One changed enterprise of an import: the row, its history, its former name.
    #[allow(clippy::too_many_arguments)]
    async fn write_update(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        old: &EnterpriseRow,
        new: &EnterpriseData,
        before: serde_json::Value,
        after: serde_json::Value,
        source: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        store::enterprise::update(tx, &p.enterprise_scope, old.id, old.version, new, now, p.by()).await.map_err(
            |e| match e {
                store::StoreError::Stale => {
                    AppError::Conflict(format!("企业“{}”在导入期间被他人修改，请重新导入", old.name))
                }
                e => e.into(),
            },
        )?;
        store::history::record(tx, "enterprise", old.id, Some(&before), &after, &["is_demo"], source, now, p.by())
            .await?;
        if new.name != old.name {
            store::registry::add_alias(tx, old.id, "former_name", &old.name).await?;
        }
        Ok(())
    }
}
