//! The project list as an xlsx in the county layout: it imports back unchanged.

use super::{EXPORT_ONLY, PROJECT_FIELDS};
use crate::account::Principal;
use crate::{App, AppError, Result};
use domain::money::plain_wan;
use domain::project::{self as dp, Stage};
use domain::role::Role;
use office::{CellOut, OfficeError};
use std::collections::{HashMap, HashSet};
use store::project::{self as sp, ProjectRow};
use store::sql::Sql;

impl App {
    /// The projects `p` may read under `f`, with their yearly plans and owners' USCCs, for
    /// [`projects_xlsx`].
    pub async fn project_export(&self, p: &Principal, f: &sp::Filter) -> Result<ProjectExport> {
        p.ensure_active()?;
        if p.grants.iter().any(|g| g.role.is_system() || g.role == Role::Bank || g.role == Role::Expert) {
            return Err(AppError::Forbidden("无权查看重点项目".into()));
        }
        let rows = sp::all(&self.db, &p.enterprise_scope, p.account_id, f).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut plans: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut q = Sql::new("SELECT project_id, year, plan_fen FROM project_plan WHERE project_id IN ");
            q.bind_list(chunk.iter().copied()).push(" ORDER BY project_id, year");
            for (id, year, fen) in q.fetch_all::<(i64, i64, i64)>(&self.db).await? {
                plans.entry(id).or_default().push((year, fen));
            }
        }
        let owners: Vec<i64> =
            rows.iter().filter_map(|r| r.enterprise_id).collect::<HashSet<_>>().into_iter().collect();
        let mut usccs = HashMap::new();
        for chunk in owners.chunks(500) {
            let mut q = Sql::new("SELECT id, uscc FROM enterprise WHERE id IN ");
            q.bind_list(chunk.iter().copied());
            usccs.extend(q.fetch_all::<(i64, String)>(&self.db).await?);
        }
        Ok(ProjectExport { rows, plans, usccs })
    }

    /// The projects `p` may read under `f` as an xlsx in the county layout.
    pub async fn export_projects_xlsx(&self, p: &Principal, f: &sp::Filter) -> Result<Vec<u8>> {
        let e = self.project_export(p, f).await?;
        projects_xlsx(&e.rows, &e.plans, &e.usccs)
    }
}

/// What an export writes: the rows, their yearly plans (year, fen) and their owners' USCCs
/// by enterprise id.
#[derive(Clone, Debug, Default)]
pub struct ProjectExport {
    pub rows: Vec<ProjectRow>,
    pub plans: HashMap<i64, Vec<(i64, i64)>>,
    pub usccs: HashMap<i64, String>,
}

/// An amount of fen as an xlsx number in 万元 (exact: at most 15 significant digits).
fn wan_cell(fen: i64) -> CellOut {
    plain_wan(fen).parse::<f64>().map_or_else(|_| CellOut::Text(plain_wan(fen)), CellOut::Number)
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// The projects in the county layout, one column per plan year found; it imports back
/// unchanged (the computed columns at the end are read past).
pub fn projects_xlsx(
    rows: &[ProjectRow],
    plans: &HashMap<i64, Vec<(i64, i64)>>,
    usccs: &HashMap<i64, String>,
) -> Result<Vec<u8>> {
    let years: Vec<i64> = plans
        .values()
        .flat_map(|v| v.iter().map(|(y, _)| *y))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    write_projects(rows, plans, usccs, &years)
}

/// An empty list in the county layout with plan columns for `years`: the import template.
pub fn project_template_xlsx(years: &[i64]) -> Result<Vec<u8>> {
    write_projects(&[], &HashMap::new(), &HashMap::new(), years)
}

fn write_projects(
    rows: &[ProjectRow],
    plans: &HashMap<i64, Vec<(i64, i64)>>,
    usccs: &HashMap<i64, String>,
    years: &[i64],
) -> Result<Vec<u8>> {
    let label = |key: &str| PROJECT_FIELDS.iter().find(|f| f.key == key).map_or(key, |f| f.label).to_string();
    let mut headers: Vec<String> = vec!["序号".into()];
    headers.extend(
        [
            "code",
            "name",
            "chain",
            "segment",
            "region",
            "investor",
            "uscc",
            "kind",
            "tag_effective",
            "tag_rooted",
            "tag_tax",
            "total_wan",
        ]
        .map(label),
    );
    headers.extend(years.iter().map(|y| format!("{y}年计划投资（万元）")));
    headers.extend(
        [
            "land_mu",
            "land_mode",
            "output_wan",
            "tax_wan",
            "content",
            "stage",
            "planned_start",
            "planned_end",
            "unit",
            "person",
            "contact",
        ]
        .map(label),
    );
    headers.extend(EXPORT_ONLY.iter().map(|h| h.to_string()));
    let out = rows.iter().enumerate().map(|(n, r)| {
        let mut cells: Vec<CellOut> = vec![
            CellOut::Int(i64::try_from(n + 1).unwrap_or(i64::MAX)),
            r.code.as_str().into(),
            r.name.as_str().into(),
            r.chain_name.as_str().into(),
            r.segment_name.clone().unwrap_or_default().into(),
            r.region_name.as_str().into(),
            r.investor.as_str().into(),
            r.enterprise_id.and_then(|e| usccs.get(&e).cloned()).unwrap_or_default().into(),
            dp::kind_label(&r.kind).into(),
            yes_no(r.tag_effective).into(),
            yes_no(r.tag_rooted).into(),
            yes_no(r.tag_tax).into(),
            wan_cell(r.total_fen),
        ];
        let mine = plans.get(&r.id);
        for y in years {
            cells.push(
                mine.and_then(|v| v.iter().find(|(py, _)| py == y)).map_or(CellOut::Empty, |(_, f)| wan_cell(*f)),
            );
        }
        let optional_wan = |fen: i64| if fen == 0 { CellOut::Empty } else { wan_cell(fen) };
        cells.extend([
            if r.land_mu.is_empty() { CellOut::Empty } else { r.land_mu.as_str().into() },
            r.land_mode.as_deref().map(dp::land_mode_label).unwrap_or("").into(),
            optional_wan(r.output_fen),
            optional_wan(r.tax_fen),
            r.content.as_str().into(),
            CellOut::Text(Stage::parse(&r.stage).map_or_else(|| r.stage.clone(), |st| st.label().to_string())),
            r.planned_start.to_string().into(),
            r.planned_end.map(|d| d.to_string()).unwrap_or_default().into(),
            r.unit_name.as_str().into(),
            r.person.as_str().into(),
            r.contact.as_str().into(),
            wan_cell(r.completed_fen),
            r.last_month.clone().unwrap_or_default().into(),
        ]);
        cells
    });
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    office::write_xlsx("重点项目", &header_refs, out).map_err(office_error)
}

/// A file that could not be written: too many rows is the user's to fix, the rest is ours.
pub(crate) fn office_error(e: OfficeError) -> AppError {
    match e {
        e @ OfficeError::TooManyRowsForXlsx { .. } => AppError::invalid("export", e),
        e => AppError::Internal(e.to_string()),
    }
}
