//! Reference standards shipped under `data/` and loaded into the database after the
//! migrations: GB/T 2260 divisions of the city (with townships and the local park codes),
//! GB/T 4754-2017 with its 2011 concordance, the 2017 size thresholds, the fields and the
//! departments. Each file loads once, in one transaction, recorded in `reference_load`.

use crate::sql::Sql;
use crate::{Db, Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

pub const COUNTY_CSV: &str = include_str!("../../../data/dazhou_divisions_county.csv");
pub const TOWNSHIP_CSV: &str = include_str!("../../../data/dazhou_divisions_township.csv");
pub const PARKS_CSV: &str = include_str!("../../../data/parks.csv");
pub const INDUSTRY_CSV: &str = include_str!("../../../data/gbt4754_2017.csv");
pub const CONCORDANCE_CSV: &str = include_str!("../../../data/gbt4754_2017_to_2011.csv");
pub const SIZE_CSV: &str = include_str!("../../../data/size_thresholds_2017.csv");
pub const FIELDS_CSV: &str = include_str!("../../../data/fields.csv");
pub const DEPARTMENTS_CSV: &str = include_str!("../../../data/departments.csv");

type Row = Vec<String>;

fn rows(file: &'static str, text: &str, columns: &[&str]) -> Result<Vec<Row>> {
    let bad = |message: String| StoreError::Reference { file, message };
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| headers.iter().position(|h| h == *c).ok_or_else(|| bad(format!("missing column {c}"))))
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.to_string()))?;
        out.push(idx.iter().map(|&i| rec.get(i).unwrap_or("").trim().to_string()).collect());
    }
    Ok(out)
}

/// Inserts `rows` into `table(columns)` in multi-row statements. An empty `parent_code` is
/// inserted as NULL (`NULLIF`): '' would name no parent and fail the foreign key.
async fn insert(tx: &mut Tx, table: &str, columns: &[&str], rows: Vec<Vec<crate::sql::Arg>>) -> Result<()> {
    for chunk in rows.chunks(400) {
        let mut q = Sql::new(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
        for (i, row) in chunk.iter().enumerate() {
            q.push(if i > 0 { ", (" } else { "(" });
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                if columns.get(j) == Some(&"parent_code") {
                    q.push("NULLIF(").bind(v.clone()).push(", '')");
                } else {
                    q.bind(v.clone());
                }
            }
            q.push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// A few concordance rows pack several codes in one cell (`2454 / 2455` against
/// `2450 / 2450`, or `3964` against `3599 / 3855 / 3859`): they pair up in order, and a
/// cell with a single value applies to every pair.
fn split_packed(r: &[String]) -> Vec<Row> {
    let parts: Vec<Vec<&str>> = r.iter().map(|c| c.split(" / ").map(str::trim).collect()).collect();
    let n = parts.iter().map(Vec::len).max().unwrap_or(1);
    (0..n)
        .map(|k| {
            parts.iter().zip(r).map(|(p, whole)| if p.len() == n { p[k].to_string() } else { whole.clone() }).collect()
        })
        .collect()
}

async fn loaded(db: &Db, name: &str) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM reference_load WHERE name = ");
    q.bind(name);
    Ok(q.fetch_i64(db).await? > 0)
}

async fn mark(tx: &mut Tx, name: &str, n: usize, now: DateTime<Utc>) -> Result<()> {
    let mut q = Sql::new("INSERT INTO reference_load (name, rows, loaded_at) VALUES (");
    q.bind(name).push(", ").bind(n as i64).push(", ").bind(now).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

fn opt(s: &str) -> crate::sql::Arg {
    // Empty parent codes are NULL; Arg has no NULL, so `insert` uses NULLIF.
    crate::sql::Arg::Text(s.to_string())
}

pub async fn load_all(db: &Db, now: DateTime<Utc>) -> Result<()> {
    use crate::sql::Arg;
    if !loaded(db, "regions").await? {
        let mut tx = db.begin().await?;
        let mut all = Vec::new();
        let mut sort = 0i64;
        for r in rows("dazhou_divisions_county.csv", COUNTY_CSV, &["code", "name", "level", "parent_code"])? {
            sort += 1;
            all.push(vec![opt(&r[0]), opt(&r[1]), opt(&r[2]), opt(&r[3]), Arg::I64(sort)]);
        }
        for r in rows("parks.csv", PARKS_CSV, &["code", "name"])? {
            sort += 1;
            all.push(vec![opt(&r[0]), opt(&r[1]), opt("park"), opt("511700"), Arg::I64(sort)]);
        }
        for r in rows("dazhou_divisions_township.csv", TOWNSHIP_CSV, &["code", "name", "county_code"])? {
            sort += 1;
            all.push(vec![opt(&r[0]), opt(&r[1]), opt("township"), opt(&r[2]), Arg::I64(sort)]);
        }
        let n = all.len();
        // Parents come before children in the files, so one pass satisfies the foreign key;
        // empty parents become NULL.
        insert(&mut tx, "region", &["code", "name", "kind", "parent_code", "sort"], all).await?;
        mark(&mut tx, "regions", n, now).await?;
        tx.commit().await?;
    }
    if !loaded(db, "gbt4754_2017").await? {
        let mut tx = db.begin().await?;
        let all: Vec<_> = rows(
            "gbt4754_2017.csv",
            INDUSTRY_CSV,
            &["code", "level", "name", "parent_code", "section", "description"],
        )?
        .into_iter()
        .map(|r| r.into_iter().map(Arg::Text).collect())
        .collect();
        let n = all.len();
        insert(&mut tx, "industry", &["code", "level", "name", "parent_code", "section", "description"], all).await?;
        let mut seen = HashSet::new();
        let conc: Vec<_> =
            rows("gbt4754_2017_to_2011.csv", CONCORDANCE_CSV, &["code_2017", "code_2011", "name_2011", "note"])?
                .into_iter()
                .filter(|r| !r[1].is_empty())
                .flat_map(|r| split_packed(&r))
                .filter(|r| seen.insert((r[0].clone(), r[1].clone())))
                .map(|r| r.into_iter().map(Arg::Text).collect())
                .collect();
        insert(&mut tx, "industry_concordance", &["code_2017", "code_2011", "name_2011", "note"], conc).await?;
        mark(&mut tx, "gbt4754_2017", n, now).await?;
        tx.commit().await?;
    }
    if !loaded(db, "size_thresholds_2017").await? {
        let mut tx = db.begin().await?;
        let mut all = Vec::new();
        for r in rows(
            "size_thresholds_2017.csv",
            SIZE_CSV,
            &["industry", "gbt4754_2017_scope", "indicator", "unit", "large_min", "medium_min", "small_min"],
        )? {
            let num = |s: &str| {
                s.parse::<f64>().map_err(|e| StoreError::Reference {
                    file: "size_thresholds_2017.csv",
                    message: format!("{s}: {e}"),
                })
            };
            all.push(vec![
                opt(&r[0]),
                opt(&r[1]),
                opt(&r[2]),
                opt(&r[3]),
                Arg::F64(num(&r[4])?),
                Arg::F64(num(&r[5])?),
                Arg::F64(num(&r[6])?),
            ]);
        }
        let n = all.len();
        insert(
            &mut tx,
            "size_threshold",
            &["industry", "scope", "indicator", "unit", "large_min", "medium_min", "small_min"],
            all,
        )
        .await?;
        mark(&mut tx, "size_thresholds_2017", n, now).await?;
        tx.commit().await?;
    }
    if !loaded(db, "workday_calendar").await? {
        // China's holiday and adjusted-workday arrangement (data/cn_workday_adjustments_*.csv);
        // the administrator adds later years in the UI.
        let mut tx = db.begin().await?;
        let cal = domain::workday::Calendar::default_embedded();
        let days: Vec<_> = cal
            .entries()
            .map(|e| {
                vec![
                    Arg::Date(e.date),
                    Arg::Text(e.kind.code().to_string()),
                    Arg::Text(e.name.clone()),
                    Arg::Ts(now),
                    Arg::NullI64,
                ]
            })
            .collect();
        let n = days.len();
        insert(&mut tx, "workday_adjustment", &["day", "kind", "name", "added_at", "added_by"], days).await?;
        mark(&mut tx, "workday_calendar", n, now).await?;
        tx.commit().await?;
    }
    if !loaded(db, "fields_departments").await? {
        let mut tx = db.begin().await?;
        let fields: Vec<_> = rows("fields.csv", FIELDS_CSV, &["code", "name", "sort"])?
            .into_iter()
            .map(|r| vec![opt(&r[0]), opt(&r[1]), Arg::I64(r[2].parse().unwrap_or(0))])
            .collect();
        let deps: Vec<_> = rows("departments.csv", DEPARTMENTS_CSV, &["code", "name", "short_name", "kind"])?
            .into_iter()
            .map(|r| r.into_iter().map(Arg::Text).collect())
            .collect();
        let n = fields.len() + deps.len();
        insert(&mut tx, "field", &["code", "name", "sort"], fields).await?;
        insert(&mut tx, "department", &["code", "name", "short_name", "kind"], deps).await?;
        mark(&mut tx, "fields_departments", n, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct IndustryRow {
    pub code: String,
    pub level: String,
    pub name: String,
    pub section: String,
}

#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct NamedCode {
    pub code: String,
    pub name: String,
}

/// Regions that enterprises are registered in: the prefecture's counties and its parks.
pub async fn regions(db: &Db) -> Result<Vec<RegionRow>> {
    Sql::new(
        "SELECT code, name, kind, parent_code FROM region WHERE kind IN ('county', 'park', 'prefecture') ORDER BY sort",
    )
    .fetch_all(db)
    .await
}

pub async fn region(db: &Db, code: &str) -> Result<Option<RegionRow>> {
    let mut q = Sql::new("SELECT code, name, kind, parent_code FROM region WHERE code = ");
    q.bind(code);
    q.fetch_optional(db).await
}

/// Industry codes matching `q` by code prefix or name, classes first.
pub async fn search_industries(db: &Db, q: &str, limit: i64) -> Result<Vec<IndustryRow>> {
    let mut s = Sql::new("SELECT code, level, name, section FROM industry WHERE code LIKE ");
    s.bind(format!("{}%", q.trim())).push(" OR name LIKE ").bind(format!("%{}%", q.trim()));
    s.push(&format!(
        " ORDER BY CASE level WHEN 'class' THEN 0 WHEN 'group' THEN 1 WHEN 'division' THEN 2 ELSE 3 END, code LIMIT {}",
        limit.clamp(1, 200)
    ));
    s.fetch_all(db).await
}

pub async fn industry(db: &Db, code: &str) -> Result<Option<IndustryRow>> {
    let mut q = Sql::new("SELECT code, level, name, section FROM industry WHERE code = ");
    q.bind(code);
    q.fetch_optional(db).await
}

pub async fn fields(db: &Db) -> Result<Vec<NamedCode>> {
    Sql::new("SELECT code, name FROM field ORDER BY sort").fetch_all(db).await
}

pub async fn departments(db: &Db) -> Result<Vec<NamedCode>> {
    Sql::new("SELECT code, name FROM department ORDER BY code").fetch_all(db).await
}

pub async fn count(db: &Db, table: &'static str) -> Result<i64> {
    Sql::new(&format!("SELECT COUNT(*) FROM {table}")).fetch_i64(db).await
}
