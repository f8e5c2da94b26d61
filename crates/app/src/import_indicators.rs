//! Import of indicator values (指标数据), streamed: checked row by row on a blocking thread
//! (see [`crate::import_stream`]) and upserted in batches into one open transaction, which is
//! dropped (rolled back) at the first problem.

use crate::account::Principal;
use crate::import::{ImportOptions, ImportReport, Known, RowProblem, writable_enterprise};
use crate::import_stream::{BATCH, finish, spawn_checked};
use crate::{App, Result};
use bytes::Bytes;
use office::{HeaderMap, Row};
use std::collections::HashMap;
use store::indicator::{IndicatorDef, NewValue};

/// Everything a row is checked against, owned so that it can move to the checking thread.
struct Checker {
    map: HeaderMap,
    catalogue: Vec<IndicatorDef>,
    known: Known,
    /// (enterprise, indicator, period) → the line it first appeared on.
    seen: HashMap<(i64, String, String), usize>,
    default_source: String,
    today: chrono::NaiveDate,
}

impl Checker {
    fn check(&mut self, row: Row) -> Result<NewValue, Vec<RowProblem>> {
        let c = |k: &str| self.map.get(&row.cells, k).unwrap_or("").trim().to_string();
        let err = |column: &str, value: String, message: String| RowProblem {
            line: row.line,
            column: column.into(),
            value,
            message,
        };
        let mut problems = Vec::new();
        let enterprise = match writable_enterprise(&self.known, &c("uscc")) {
            Ok(id) => Some(id),
            Err(m) => {
                problems.push(err("统一社会信用代码", c("uscc"), m));
                None
            }
        };
        let ind_text = c("indicator");
        let def = self.catalogue.iter().find(|d| d.code == ind_text || d.name == ind_text);
        if def.is_none() {
            problems.push(err("指标", ind_text.clone(), format!("未知指标“{ind_text}”，可用指标见指标目录")));
        }
        let period = {
            let y = c("year");
            let m = c("period");
            let text = if m.is_empty() {
                y.clone()
            } else if m.contains('年') || m.len() > 2 {
                m.clone()
            } else {
                format!("{y}年{m}月")
            };
            match office::dates::parse_period(&text) {
                Ok(per) => Some(per),
                Err(msg) => {
                    problems.push(err("年份", text, msg));
                    None
                }
            }
        };
        let value = match office::numbers::parse_number(&c("value")) {
            Ok(v) if v.is_finite() => Some(v),
            Ok(_) => None,
            Err(m) => {
                problems.push(err("数值", c("value"), m));
                None
            }
        };
        if let Some(d) = def {
            let unit = c("unit");
            if !unit.is_empty() && unit != d.unit {
                problems.push(err("单位", unit, format!("“{}”的单位应为 {}", d.name, d.unit)));
            }
            if let Some(per) = period
                && d.period_kind == "year"
                && per.month.is_some()
            {
                problems.push(err("月份", c("period"), format!("“{}”按年报送，不填月份", d.name)));
            }
        }
        let (Some(eid), Some(d), Some(per), Some(v), true) = (enterprise, def, period, value, problems.is_empty())
        else {
            return Err(problems);
        };
        let code = match per.month {
            Some(m) => format!("{}-{m:02}", per.year),
            None => per.year.to_string(),
        };
        if let Some(first) = self.seen.insert((eid, d.code.clone(), code.clone()), row.line) {
            return Err(vec![err("指标", ind_text, format!("与第 {first} 行重复（同一企业、指标、期别）"))]);
        }
        let src = c("source");
        Ok(NewValue {
            enterprise_id: eid,
            indicator_code: d.code.clone(),
            period: code,
            value: v,
            source: if src.is_empty() { self.default_source.clone() } else { src },
            reported_on: Some(self.today),
        })
    }
}

impl App {
    pub(crate) async fn import_indicators(
        &self,
        p: &Principal,
        bytes: Bytes,
        map: HeaderMap,
        opts: &ImportOptions,
        report: &mut ImportReport,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<()> {
        let (limits, file_name, total, known) = self.open_stream(p, &bytes, &map, opts, report).await?;
        let mut checker = Checker {
            map,
            catalogue: self.indicator_catalogue().await?,
            known,
            seen: HashMap::new(),
            default_source: format!("导入：{}", report.file),
            today: self.now().date_naive(),
        };
        let (mut rx, worker) = spawn_checked(bytes, file_name, limits, move |row: Row| checker.check(row));
        let now = self.now();
        let mut tx = if opts.dry_run { None } else { Some(self.db.begin().await?) };
        let mut pending: Vec<NewValue> = Vec::with_capacity(BATCH);
        let mut done = 0usize;
        progress(0, total);
        while let Some(batch) = rx.recv().await {
            for item in batch {
                done += 1;
                match item {
                    Ok(v) => {
                        report.created += 1;
                        if tx.is_some() {
                            pending.push(v);
                        }
                    }
                    Err(ps) => {
                        report.add_problems(ps);
                        tx = None;
                        pending = Vec::new();
                    }
                }
            }
            if let Some(t) = tx.as_mut()
                && pending.len() >= BATCH
            {
                store::indicator::upsert(t, &pending, now, p.by()).await?;
                pending.clear();
            }
            progress(done, total);
        }
        finish(worker).await?;
        let Some(mut tx) = tx.filter(|_| report.error_total == 0) else {
            return Ok(());
        };
        store::indicator::upsert(&mut tx, &pending, now, p.by()).await?;
        let after = serde_json::json!({"file": report.file, "rows": report.rows, "values": report.created});
        self.close_import(tx, p, "import.indicators", report, after).await
    }
}
