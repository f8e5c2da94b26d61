//! Demo key projects 重点项目 (示例), and the benchmark generator of the same data at any size.
//!
//! Every project is fictitious and named “示例·…”. They spread over every chain (each gets
//! some), its carrying and collaborating counties and parks, every kind, tag and land mode,
//! and every stage (谋划 … 投产, a few 终止 with reasons). Each has the milestones of its
//! kind's template (done up to its stage, some adjusted with a reason, some overdue), yearly
//! plans, a responsible unit (a department or a county) and person — some of them demo
//! accounts, so that their to-do lists show something —, monthly reports from the month it
//! entered the library (at most `months` back; some late, some missing), its timeline
//! (entry, stage changes with their evidence, milestones, reports) and supervision orders
//! (some answered, some overdue). Projects entered the library between half and five
//! quarters of `months` ago, so its history is backdated from the clock's today.
//!
//! Each project's story is drawn backwards from today: first what it should look like now
//! (its stage, and whether it is on time, a milestone overdue, reports missing or a
//! supervision order unanswered), then the dates that lead there. The codes 赋码 are never
//! stored; they follow from those facts.
//!
//! Rows go in through bulk statements, a few hundred projects per transaction, each project
//! with one audit row (`project.seed`) and a change-feed entry.

use crate::{Actor, App, AppError, Result, audit_entry};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::project::{self as dp, Stage};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;
use store::project::{self as sp, MilestoneRow};
use store::sql::{Arg, Sql};
use story::{Gen, Generator};

mod story;
mod texts;

const WORDS_CSV: &str = include_str!("../../../data/demo/name_words.csv");

/// Projects written per transaction.
const BATCH: usize = 500;
/// Projects whose stage changes get evidence rows (files and texts): the whole city demo.
pub(super) const EVIDENCE_PROJECTS: usize = 400;
/// Projects whose monthly reports also get a timeline entry each: the whole city demo (a
/// benchmark's million reports would double the events for nothing the pages need).
pub(super) const REPORT_EVENT_PROJECTS: usize = 1_000;

/// How many projects the generator writes and how far back their reports go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectPlan {
    pub projects: usize,
    /// Months of report history before the current month: projects entered the library
    /// between `months / 2` and `months * 5 / 4` months ago and report from then, or from
    /// `months` back when they entered earlier.
    pub months: u32,
}

/// What the generator wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProjectsSeeded {
    pub projects: usize,
    pub reports: usize,
}

// ---------------------------------------------------------------- the city as the generator sees it

pub(super) struct ChainCtx {
    pub(super) id: i64,
    pub(super) lead: String,
    pub(super) carrying: Vec<String>,
    pub(super) collaborating: Vec<String>,
    /// (segment id, a key product or the segment's name)
    pub(super) segments: Vec<(i64, String)>,
    pub(super) name: String,
    /// Some of the chain's enterprises: (id, name, region).
    pub(super) owners: Vec<(i64, String, String)>,
}

/// A demo account that may be a project's responsible person.
pub(super) struct Linked {
    pub(super) id: i64,
    pub(super) name: String,
    /// The region or unit the account's grant covers.
    pub(super) scope: String,
}

pub(super) struct Ctx {
    pub(super) today: NaiveDate,
    pub(super) now: DateTime<Utc>,
    pub(super) chains: Vec<ChainCtx>,
    /// Counties and parks: (code, name).
    pub(super) places: Vec<(String, String)>,
    pub(super) unit_names: HashMap<String, String>,
    pub(super) linked: Vec<Linked>,
    pub(super) office: Option<(i64, String)>,
    pub(super) brand: Vec<String>,
    pub(super) surname: Vec<String>,
    pub(super) given: Vec<String>,
}

// ---------------------------------------------------------------- evidence files

/// A minimal one-page PDF (with a correct cross-reference table) saying `text` (ASCII).
fn tiny_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 20 50 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A 1×1 PNG (a site photo stands in as the smallest valid image).
const TINY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn sm3_hex(data: &[u8]) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(data))
}

// ---------------------------------------------------------------- writing

/// `INSERT … VALUES (…), (…)` in statements of at most 1,000 rows and 30,000 values.
async fn insert_rows(tx: &mut store::Tx, head: &str, cols: usize, rows: Vec<Vec<Arg>>) -> Result<()> {
    let per = (30_000 / cols.max(1)).clamp(1, 1_000);
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut q = Sql::new(head);
        for (i, row) in it.by_ref().take(per).enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.into_iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                q.bind(v);
            }
            q.push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

fn text(s: &str) -> Arg {
    Arg::Text(s.to_string())
}

fn opt_stage(s: Option<Stage>) -> Arg {
    s.map_or(Arg::NullText, |s| text(s.code()))
}

impl App {
    /// The chains, places, units and demo accounts the generator draws on.
    async fn project_context(&self) -> Result<Ctx> {
        let db = &self.db;
        let chains = self.chains().await?;
        let roles: Vec<(i64, String, String)> =
            Sql::new("SELECT chain_id, region_code, role FROM chain_region ORDER BY chain_id, region_code")
                .fetch_all(db)
                .await?;
        let segments: Vec<(i64, i64, String, String)> = Sql::new(
            "SELECT chain_id, id, name, key_products FROM segment WHERE retired = FALSE ORDER BY chain_id, sort, id",
        )
        .fetch_all(db)
        .await?;
        // Up to 400 enterprises per chain may own a project.
        let owners: Vec<(i64, i64, String, String)> = Sql::new(
            "SELECT chain_id, id, name, region_code FROM (SELECT ec.chain_id, e.id, e.name, e.region_code, \
             ROW_NUMBER() OVER (PARTITION BY ec.chain_id ORDER BY e.id) AS rn FROM enterprise_chain ec \
             JOIN enterprise e ON e.id = ec.enterprise_id WHERE e.archived = FALSE) x WHERE rn <= 400 ORDER BY chain_id, id",
        )
        .fetch_all(db)
        .await?;
        let chains: Vec<ChainCtx> = chains
            .into_iter()
            .map(|c| {
                let of = |role: &str| -> Vec<String> {
                    roles.iter().filter(|r| r.0 == c.id && r.2 == role).map(|r| r.1.clone()).collect()
                };
                ChainCtx {
                    id: c.id,
                    lead: c.lead_department_code.clone(),
                    carrying: of("carrying"),
                    collaborating: of("collaborating"),
                    segments: segments
                        .iter()
                        .filter(|s| s.0 == c.id)
                        .map(|s| {
                            let p = s.3.split(';').map(str::trim).find(|p| !p.is_empty()).unwrap_or(&s.2);
                            (s.1, p.to_string())
                        })
                        .collect(),
                    owners: owners.iter().filter(|o| o.0 == c.id).map(|o| (o.1, o.2.clone(), o.3.clone())).collect(),
                    name: c.name,
                }
            })
            .collect();
        if chains.is_empty() {
            return Err(AppError::Internal("demo projects need the demo chains".into()));
        }
        let regions = self.regions().await?;
        let places: Vec<(String, String)> = regions
            .iter()
            .filter(|r| r.kind == "county" || r.kind == "park")
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect();
        let mut unit_names: HashMap<String, String> = places.iter().cloned().collect();
        unit_names.extend(self.departments().await?.into_iter().map(|d| (d.code, d.name)));
        // Demo accounts with a region or unit scope answer for some of the projects there.
        let mut linked = Vec::new();
        let mut office = None;
        for username in ["demo.region", "demo.unit", "demo.leaddept", "demo.office"] {
            let Some(a) = store::account::by_username(db, username).await? else { continue };
            if username == "demo.office" {
                office = Some((a.id, a.display_name.clone()));
                continue;
            }
            for g in store::account::grants(db, a.id).await? {
                if let Some(scope) = g.scope {
                    linked.push(Linked { id: a.id, name: a.display_name.clone(), scope });
                }
            }
        }
        let (mut brand, mut surname, mut given) = (Vec::new(), Vec::new(), Vec::new());
        for line in WORDS_CSV.lines().skip(1) {
            let (k, w) = line.split_once(',').unwrap_or(("", ""));
            match k.trim() {
                "brand" => brand.push(w.trim().to_string()),
                "surname" => surname.push(w.trim().to_string()),
                "given" => given.push(w.trim().to_string()),
                _ => {}
            }
        }
        if brand.is_empty() || surname.is_empty() || given.is_empty() {
            return Err(AppError::Internal("demo word lists are incomplete".into()));
        }
        Ok(Ctx {
            today: self.today(),
            now: self.now(),
            chains,
            places,
            unit_names,
            linked,
            office,
            brand,
            surname,
            given,
        })
    }

    /// Seeds `plan.projects` demo projects with their history (see the module's note).
    /// Reproducible from `seed` and the clock's today.
    pub(crate) async fn seed_demo_projects(
        &self,
        actor: &Actor,
        plan: ProjectPlan,
        seed: u64,
    ) -> Result<ProjectsSeeded> {
        let mut out = ProjectsSeeded::default();
        if plan.projects == 0 {
            return Ok(out);
        }
        let ctx = self.project_context().await?;
        let mut g = Generator::new(ChaCha8Rng::seed_from_u64(seed ^ 0x5052_4f4a_4543_5453), ctx, plan);
        let mut k = 0;
        while k < plan.projects {
            let n = BATCH.min(plan.projects - k);
            let batch: Vec<Gen> = (k..k + n).map(|i| g.project(i)).collect();
            self.write_projects(actor, &mut g, &batch).await?;
            out.projects += n;
            out.reports += batch.iter().map(|p| p.reports.len()).sum::<usize>();
            k += n;
            if k % 5_000 == 0 {
                tracing::info!("demo: {k} projects");
            }
        }
        Ok(out)
    }

    async fn write_projects(&self, actor: &Actor, g: &mut Generator, batch: &[Gen]) -> Result<()> {
        let now = g.ctx.now;
        let office = g.ctx.office.clone();
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        for p in batch {
            let at = g.stamp(p.entered);
            let first = p.first_month.to_string();
            let id = sp::insert(&mut tx, &p.new, p.stage.code(), p.stage_on, &first, at, actor.id).await?;
            if !p.terminated_reason.is_empty() {
                let mut q = Sql::new("UPDATE project SET terminated_reason = ");
                q.bind(p.terminated_reason).push(" WHERE id = ").bind(id);
                q.execute_tx(&mut tx).await?;
            }
            ids.push(id);
        }
        let (lo, hi) = (ids[0], ids[ids.len() - 1]);

        let plans: Vec<Vec<Arg>> = batch
            .iter()
            .zip(&ids)
            .flat_map(|(p, id)| p.plans.iter().map(move |(y, f)| vec![Arg::I64(*id), Arg::I64(*y), Arg::I64(*f)]))
            .collect();
        insert_rows(&mut tx, "INSERT INTO project_plan (project_id, year, plan_fen) VALUES ", 3, plans).await?;

        let milestones: Vec<MilestoneRow> = batch
            .iter()
            .zip(&ids)
            .flat_map(|(p, id)| p.milestones.iter().map(move |m| MilestoneRow { project_id: *id, ..m.clone() }))
            .collect();
        sp::insert_milestones(&mut tx, &milestones).await?;

        let mut events = Vec::new();
        let mut reports = Vec::new();
        for (p, id) in batch.iter().zip(&ids) {
            for e in &p.events {
                let at = g.stamp(e.on);
                events.push(vec![
                    Arg::I64(*id),
                    text(e.kind),
                    Arg::Date(e.on),
                    opt_stage(e.from),
                    opt_stage(e.to),
                    text(&e.text),
                    Arg::Ts(at),
                    Arg::NullI64,
                    text(&p.new.person),
                ]);
            }
            for r in &p.reports {
                let submitted_at = g.stamp(r.on);
                reports.push(sp::BulkReport {
                    project_id: *id,
                    month: r.month.to_string(),
                    amount_fen: r.amount,
                    progress: r.progress.to_string(),
                    problems: r.problems.to_string(),
                    late: r.late,
                    submitted_at,
                    submitter: p.new.person.clone(),
                });
            }
        }
        insert_rows(
            &mut tx,
            "INSERT INTO project_event (project_id, kind, on_date, from_stage, to_stage, text, at, by_id, by_name) VALUES ",
            9,
            events,
        )
        .await?;
        sp::insert_reports_bulk(&mut tx, &reports).await?;
        // The sums the list and the schedules read (completed, latest month, months
        // reported, per-month totals), and the last change: the latest report.
        sp::rebuild_summaries(&mut tx, &ids).await?;
        let mut q = Sql::new(
            "UPDATE project SET updated_at = COALESCE((SELECT MAX(r.submitted_at) FROM project_report r \
             WHERE r.project_id = project.id), created_at) WHERE id >= ",
        );
        q.bind(lo).push(" AND id <= ").bind(hi);
        q.execute_tx(&mut tx).await?;

        // Evidence of the stage changes made after entry.
        let with_evidence: Vec<i64> = batch.iter().zip(&ids).filter(|(p, _)| p.evidence).map(|(_, id)| *id).collect();
        if !with_evidence.is_empty() {
            let mut q = Sql::new(
                "SELECT id, project_id, to_stage, on_date FROM project_event WHERE kind = 'transition' AND project_id >= ",
            );
            q.bind(with_evidence[0]).push(" AND project_id <= ").bind(with_evidence[with_evidence.len() - 1]);
            q.push(" ORDER BY id");
            let transitions: Vec<(i64, i64, String, NaiveDate)> = q.fetch_all_tx(&mut tx).await?;
            for (event_id, project_id, to, on) in transitions {
                let Some(stage) = Stage::parse(&to) else { continue };
                for r in dp::requirements(stage) {
                    let (label, file_type, data): (String, Option<&str>, Option<Vec<u8>>) = match r.proof {
                        dp::ProofKind::Text => {
                            let n = g.rng.random_range(100..999);
                            let t = match r.key {
                                "filing_no" => format!("达市发改备〔{}〕{n}号（示例）", on.year()),
                                _ => format!("5117{}{:02}{:02}{n}（示例）", on.year(), on.month(), on.day()),
                            };
                            (t, None, None)
                        }
                        dp::ProofKind::File(types) if types.contains(&dp::FileType::Pdf) => (
                            format!("{}（示例）.pdf", r.label),
                            Some("pdf"),
                            Some(tiny_pdf(&format!("Demo evidence {} {on}", r.key))),
                        ),
                        dp::ProofKind::File(_) => {
                            (format!("{}（示例）.png", r.label), Some("png"), Some(TINY_PNG.to_vec()))
                        }
                    };
                    let digest = sm3_hex(data.as_deref().unwrap_or(label.as_bytes()));
                    let e = sp::NewEvidence {
                        project_id,
                        event_id,
                        stage: stage.code(),
                        item: r.key,
                        text: &label,
                        file_type,
                        sm3: &digest,
                        data: data.as_deref(),
                    };
                    let at = g.stamp(on);
                    sp::insert_evidence(&mut tx, &e, at, actor.id).await?;
                }
            }
        }

        // Supervision orders, issued by the office (or the chain's lead department).
        for (p, id) in batch.iter().zip(&ids) {
            for v in &p.supervisions {
                let (by, issuer) = match (&office, g.rng.random_bool(0.6)) {
                    (Some((oid, oname)), true) => (Some(*oid), oname.clone()),
                    _ => {
                        let lead = g
                            .ctx
                            .chains
                            .iter()
                            .find(|c| c.id == p.new.chain_id)
                            .map(|c| c.lead.clone())
                            .unwrap_or_default();
                        (None, format!("{}（示例）", g.ctx.unit_names.get(&lead).cloned().unwrap_or(lead)))
                    }
                };
                let content = format!("请{}于 {} 前书面回复办理情况。（示例）", p.new.person, v.due);
                let at = g.stamp(v.issued);
                let sid = sp::insert_supervision(&mut tx, *id, v.title, &content, v.due, at, by, &issuer).await?;
                if let Some((response, on)) = v.response {
                    let at = g.stamp(on);
                    sp::respond_supervision(&mut tx, sid, 1, response, at, p.new.person_account_id, &p.new.person)
                        .await?;
                }
            }
        }

        // One audit row per project: what was seeded.
        for (p, id) in batch.iter().zip(&ids) {
            let after = serde_json::json!({
                "code": p.new.code, "name": p.new.name, "chain_id": p.new.chain_id, "region_code": p.new.region_code,
                "kind": p.new.kind, "stage": p.stage.code(), "stage_on": p.stage_on, "first_month": p.first_month.to_string(),
                "total_fen": p.new.total_fen, "unit_code": p.new.unit_code, "person": p.new.person,
                "plans": p.plans, "milestones": p.milestones.len(), "reports": p.reports.len(),
                "events": p.events.len(), "supervisions": p.supervisions.len(),
            });
            store::audit::append(&mut tx, now, &audit_entry(actor, "project.seed", "project", *id, None, Some(after)))
                .await?;
        }
        store::feed::append(&mut tx, "project", &ids, "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::story::{STAGE_WEIGHTS, back, round_fen, weighted};
    use super::*;
    use domain::project::Month;

    #[test]
    fn evidence_files_are_what_they_claim() {
        assert_eq!(dp::FileType::sniff(&TINY_PNG), Some(dp::FileType::Png));
        let pdf = tiny_pdf("Demo");
        assert_eq!(dp::FileType::sniff(&pdf), Some(dp::FileType::Pdf));
        let text = String::from_utf8(pdf).expect("ascii");
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .expect("xref");
        assert!(text[xref..].starts_with("xref"), "startxref points at the table");
        assert!(text.contains("4 0 obj"));
    }

    #[test]
    fn helpers() {
        let m = Month::new(2026, 3).expect("month");
        assert_eq!(back(m, 3).to_string(), "2025-12");
        assert_eq!(round_fen(123_456.0), 120_000);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let counts = (0..1000).fold([0; 8], |mut acc, _| {
            let s = weighted(&mut rng, &STAGE_WEIGHTS);
            acc[Stage::ALL.iter().position(|x| *x == s).expect("stage")] += 1;
            acc
        });
        assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
    }
}
