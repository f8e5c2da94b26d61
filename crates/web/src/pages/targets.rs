//! Investment-attraction pages: a chain's ranked target companies for its weak and missing
//! segments (push to regions), the review of the reference products mapped onto its
//! segments, and the follow-up list of pushed targets (per region, per chain), with export.

use super::{Nav, Opt, PageError, PageResult, XLSX_TYPE, bad_form, check_csrf, download, field, fmt_time, opts};
use crate::AppState;
use crate::auth::WebUser;
use app::AppError;
use app::productgraph::{
    FollowUp, MAPPING_STATUSES, PUSH_STATUSES, PushInput, mapping_status_label, push_status_label,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;

use super::chains::{chain_key as key_of, strength_view};

/// A form's outcome: on success, redirect to `to(message)`; on a refusal the user can act on
/// (invalid input, a conflict, no permission), the page again with the message and the
/// error's status; anything else as an error page.
pub(super) async fn answer<F, Fut>(
    result: Result<String, PageError>,
    to: impl FnOnce(&str) -> String,
    again: F,
) -> PageResult
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    match result {
        Ok(msg) => Ok(Redirect::to(&to(&msg)).into_response()),
        Err(PageError(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_)))) => {
            let mut r = again(e.user_message()).await?;
            *r.status_mut() = crate::error::status_of(&e).0;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

type Pairs = Vec<(String, String)>;

/// A posted form as pairs (checkboxes repeat a name), refused without this session's CSRF
/// token.
pub(super) fn checked_pairs(
    u: &WebUser,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<(HashMap<String, String>, Pairs), PageError> {
    let Form(pairs) = form.map_err(bad_form)?;
    let map: HashMap<String, String> = pairs.iter().cloned().collect();
    check_csrf(&u.p, &map)?;
    Ok((map, pairs))
}

fn id_field(form: &HashMap<String, String>, k: &str) -> Result<i64, PageError> {
    field(form, k).trim().parse().map_err(|_| PageError(AppError::invalid(k, "请选择或填写有效的编号")))
}

#[derive(Deserialize, Default)]
pub(super) struct MsgParams {
    #[serde(default)]
    msg: String,
    #[serde(default)]
    status: String,
    /// Products of the reference graph to look for (the review page's picker).
    #[serde(default)]
    find: String,
}

// ---- a chain's targets ----

pub struct TargetView {
    pub rank: usize,
    pub company: String,
    pub code: String,
    pub score: String,
    pub fill: String,
    pub demand: String,
    pub redundancy: String,
    pub evidence: Vec<String>,
    /// (region name, status label)
    pub pushes: Vec<(String, &'static str)>,
}

pub struct SegTargets {
    pub id: i64,
    pub name: String,
    pub strength: &'static str,
    pub class: &'static str,
    pub items: Vec<TargetView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_targets.html")]
struct ChainTargetsTpl {
    nav: Nav,
    chain: app::store::chainmap::ChainInfo,
    segs: Vec<SegTargets>,
    editor: bool,
    /// (code, name, checked by default: a region of the chain)
    regions: Vec<(String, String, bool)>,
    imported: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_targets(
    s: &AppState,
    u: &WebUser,
    key: &str,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let chain = s.app.chain_info(key).await?;
    let items = s.app.chain_targets(&u.p, key).await?;
    let mut segs: Vec<SegTargets> = Vec::new();
    for t in items {
        if segs.last().map(|x| x.id) != Some(t.segment_id) {
            let (strength, class) = strength_view(&t.strength);
            segs.push(SegTargets {
                id: t.segment_id,
                name: t.segment_name.clone(),
                strength,
                class,
                items: Vec::new(),
            });
        }
        let pct = |v: f64| format!("{:.0}", v * 100.0);
        if let Some(seg) = segs.last_mut() {
            seg.items.push(TargetView {
                rank: t.rank,
                company: t.company,
                code: t.company_code,
                score: format!("{:.1}", t.score * 100.0),
                fill: pct(t.fill),
                demand: pct(t.demand),
                redundancy: pct(t.redundancy),
                evidence: t.evidence,
                pushes: t.pushes.iter().map(|p| (p.region_name.clone(), push_status_label(&p.status))).collect(),
            });
        }
    }
    let chain_regions: Vec<String> = app::store::chainmap::chain_regions(&s.app.db, chain.id)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let regions = s
        .app
        .filter_regions()
        .await?
        .into_iter()
        .map(|(code, name)| {
            let on = chain_regions.contains(&code);
            (code, name, on)
        })
        .collect();
    let imported = s.app.product_graph_import(&u.p).await?.is_some();
    Ok(ChainTargetsTpl {
        nav: Nav::of(&u.p, "targets"),
        editor: s.app.may_edit_chain(&u.p, &chain),
        chain,
        segs,
        regions,
        imported,
        error,
        notice,
    }
    .into_response())
}

pub(super) async fn chain_targets_page(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let key = key_of(key)?;
    render_targets(&s, &u, &key, None, (!q.msg.is_empty()).then_some(q.msg)).await
}

/// The chain's ranked targets as an xlsx (download).
pub(super) async fn chain_targets_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
) -> PageResult {
    let key = key_of(key)?;
    let chain = s.app.chain_info(&key).await?;
    let items = s.app.chain_targets(&u.p, &key).await?;
    let bytes = app::productgraph::targets_xlsx(&items)?;
    Ok(download(XLSX_TYPE, &format!("{}-招引目标建议.xlsx", chain.name), bytes))
}

/// Push one ranked company to the regions ticked.
pub(super) async fn chain_targets_push(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let key = key_of(key)?;
    let (map, pairs) = checked_pairs(&u, form)?;
    let result: Result<String, PageError> = async {
        let input = PushInput {
            segment_id: id_field(&map, "segment_id")?,
            company_code: field(&map, "company_code"),
            regions: pairs.iter().filter(|(k, _)| k == "regions").map(|(_, v)| v.clone()).collect(),
        };
        let out = s.app.push_target(&u.p, &key, &input).await?;
        let mut msg = format!("已推送至 {} 个地区", out.ids.len());
        if !out.already.is_empty() {
            msg.push_str(&format!("；此前已推送给{}，未重复推送", out.already.join("、")));
        }
        Ok(msg)
    }
    .await;
    let to = |m: &str| format!("/chains/{}/targets?msg={}", crate::view::urlencode(&key), crate::view::urlencode(m));
    answer(result, to, |e| render_targets(&s, &u, &key, Some(e), None)).await
}

// ---- product mapping review ----

pub struct MappingView {
    pub id: i64,
    pub version: i64,
    pub product: String,
    pub score: String,
    pub evidence: Vec<String>,
    pub status: String,
    pub status_label: &'static str,
}

pub struct SegMappings {
    pub id: i64,
    pub name: String,
    pub stage: &'static str,
    pub items: Vec<MappingView>,
}

pub struct DropView {
    pub file: String,
    pub read: usize,
    pub kept: usize,
    /// (reason, count, first lines)
    pub dropped: Vec<(String, usize, String)>,
    pub repaired: Vec<(String, usize, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_products.html")]
struct ChainProductsTpl {
    nav: Nav,
    chain: app::store::chainmap::ChainInfo,
    segs: Vec<SegMappings>,
    editor: bool,
    status: String,
    status_opts: Vec<Opt>,
    seg_opts: Vec<Opt>,
    import: Option<(String, i64, i64, i64, i64, i64)>,
    report: Vec<DropView>,
    find: String,
    /// Products of the graph whose names contain `find`.
    found: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
}

type ImportFacts = Option<(String, i64, i64, i64, i64, i64)>;

/// The last import's facts (time, products, relations, companies, company products,
/// dropped) and its cleaning report per file.
fn import_view(last: Option<app::store::productgraph::GraphImport>) -> (ImportFacts, Vec<DropView>) {
    let lines = |v: &[usize]| v.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("、");
    let report: Vec<DropView> = last
        .as_ref()
        .and_then(|l| serde_json::from_str::<app::domain::productgraph::CleanReport>(&l.report).ok())
        .map(|r| {
            r.files
                .into_iter()
                .map(|f| DropView {
                    dropped: f.dropped.iter().map(|d| (d.reason.clone(), d.count, lines(&d.lines))).collect(),
                    repaired: f.repaired.iter().map(|d| (d.reason.clone(), d.count, lines(&d.lines))).collect(),
                    file: f.file,
                    read: f.read,
                    kept: f.kept,
                })
                .collect()
        })
        .unwrap_or_default();
    let facts =
        last.map(|l| (fmt_time(&l.imported_at), l.products, l.relations, l.companies, l.company_products, l.dropped));
    (facts, report)
}

#[derive(Template, WebTemplate)]
#[template(path = "product_graph.html")]
struct ProductGraphTpl {
    nav: Nav,
    office: bool,
    import: ImportFacts,
    report: Vec<DropView>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_graph(s: &AppState, u: &WebUser, error: Option<String>, notice: Option<String>) -> PageResult {
    let (import, report) = import_view(s.app.product_graph_import(&u.p).await?);
    Ok(ProductGraphTpl {
        nav: Nav::of(&u.p, "targets"),
        office: u.p.has(app::domain::role::Role::Office),
        import,
        report,
        error,
        notice,
    }
    .into_response())
}

pub(super) async fn product_graph_page(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<MsgParams>,
) -> PageResult {
    render_graph(&s, &u, None, (!q.msg.is_empty()).then_some(q.msg)).await
}

/// The office uploads the graph's files as one zip.
pub(super) async fn product_graph_upload(
    State(s): State<AppState>,
    u: WebUser,
    mp: axum::extract::Multipart,
) -> PageResult {
    let (_, file) = super::upload_form(&u.p, mp).await?;
    let file = file.map(|f| f.1);
    let result: Result<String, PageError> = async {
        let bytes = file.ok_or_else(|| PageError(AppError::invalid("file", "请选择 zip 文件")))?;
        let r = s.app.import_product_graph_zip(&u.p, bytes).await?;
        Ok(format!(
            "已导入：产品 {} 个，关系 {} 条，公司 {} 家，公司产品 {} 条；清洗删除 {} 条；提出环节产品匹配建议 {} 条",
            r.products, r.relations, r.companies, r.company_products, r.dropped, r.proposals
        ))
    }
    .await;
    let to = |m: &str| format!("/product-graph?msg={}", crate::view::urlencode(m));
    answer(result, to, |e| render_graph(&s, &u, Some(e), None)).await
}

async fn render_products(
    s: &AppState,
    u: &WebUser,
    key: &str,
    status: &str,
    find: &str,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let found = s.app.find_ref_products(&u.p, find).await?;
    let chain = s.app.chain_info(key).await?;
    let segments = app::store::chainmap::segments(&s.app.db, chain.id).await.map_err(AppError::from)?;
    let maps = s.app.product_mappings(&u.p, key).await?;
    let last = s.app.product_graph_import(&u.p).await?;
    let mut by_seg: HashMap<i64, Vec<MappingView>> = HashMap::new();
    for m in maps {
        if !status.is_empty() && m.status != status {
            continue;
        }
        by_seg.entry(m.segment_id).or_default().push(MappingView {
            id: m.id,
            version: m.version,
            product: m.product,
            score: format!("{:.2}", m.score),
            evidence: m.evidence.lines().map(String::from).collect(),
            status_label: mapping_status_label(&m.status),
            status: m.status,
        });
    }
    let live: Vec<_> = segments.iter().filter(|x| !x.retired).collect();
    let segs = live
        .iter()
        .map(|x| SegMappings {
            id: x.id,
            name: x.name.clone(),
            stage: app::chainmap::stage_label(&x.stage),
            items: by_seg.remove(&x.id).unwrap_or_default(),
        })
        .collect();
    let seg_opts = opts(live.iter().map(|x| (x.id.to_string(), x.name.clone())), "");
    let (import, report) = import_view(last);
    Ok(ChainProductsTpl {
        nav: Nav::of(&u.p, "targets"),
        editor: s.app.may_edit_chain(&u.p, &chain),
        chain,
        segs,
        status: status.to_string(),
        status_opts: opts(MAPPING_STATUSES.iter().map(|(c, l)| (c.to_string(), l.to_string())), status),
        seg_opts,
        import,
        report,
        find: find.to_string(),
        found,
        error,
        notice,
    }
    .into_response())
}

pub(super) async fn chain_products_page(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let key = key_of(key)?;
    render_products(&s, &u, &key, &q.status, &q.find, None, (!q.msg.is_empty()).then_some(q.msg)).await
}

/// review (mapping_id, version, status) | add (segment_id, product) | remap.
pub(super) async fn chain_products_edit(
    State(s): State<AppState>,
    u: WebUser,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let Ok(Path((key, action))) = path else { return Err(PageError(AppError::NotFound)) };
    let (form, _) = checked_pairs(&u, form)?;
    let back = field(&form, "back_status");
    let result: Result<String, PageError> = async {
        match action.as_str() {
            "review" => {
                let status = field(&form, "status");
                s.app
                    .review_mapping(&u.p, &key, id_field(&form, "mapping_id")?, id_field(&form, "version")?, &status)
                    .await?;
                Ok(format!("已标记为{}", mapping_status_label(&status)))
            }
            "add" => {
                s.app.add_product_mapping(&u.p, &key, id_field(&form, "segment_id")?, &field(&form, "product")).await?;
                Ok("已添加产品匹配".to_string())
            }
            "remap" => {
                let n = s.app.remap_chain_products(&u.p, &key).await?;
                Ok(format!("已重新匹配，待审核建议 {n} 条"))
            }
            _ => Err(PageError(AppError::NotFound)),
        }
    }
    .await;
    let to = |m: &str| {
        format!(
            "/chains/{}/products?status={}&msg={}",
            crate::view::urlencode(&key),
            crate::view::urlencode(&back),
            crate::view::urlencode(m)
        )
    };
    answer(result, to, |e| render_products(&s, &u, &key, &back, "", Some(e), None)).await
}

// ---- pushed targets and their follow-up ----

#[derive(Deserialize, Default)]
pub(super) struct PushParams {
    #[serde(default)]
    chain: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    msg: String,
}

impl PushParams {
    async fn filter(&self, s: &AppState) -> Result<app::store::productgraph::PushFilter, PageError> {
        let chain_id = if self.chain.is_empty() { None } else { Some(s.app.chain_info(&self.chain).await?.id) };
        Ok(app::store::productgraph::PushFilter {
            chain_id,
            region_code: (!self.region.is_empty()).then(|| self.region.clone()),
            status: (!self.status.is_empty()).then(|| self.status.clone()),
        })
    }
    fn query(&self) -> String {
        format!(
            "chain={}&region={}&status={}",
            crate::view::urlencode(&self.chain),
            crate::view::urlencode(&self.region),
            crate::view::urlencode(&self.status)
        )
    }
}

pub struct PushView {
    pub id: i64,
    pub version: i64,
    pub chain_id: i64,
    pub chain: String,
    pub segment: String,
    pub company: String,
    pub code: String,
    pub score: String,
    pub region: String,
    pub status: String,
    pub status_label: &'static str,
    pub reason: String,
    pub updated: String,
    /// Open (not landed or dropped) and the viewer may record follow-up.
    pub open: bool,
    pub evidence: Vec<String>,
    /// (time, who, status label, note)
    pub log: Vec<(String, String, &'static str, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "targets.html")]
struct TargetsTpl {
    nav: Nav,
    rows: Vec<PushView>,
    chain_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    status_opts: Vec<Opt>,
    /// Follow-up choices (all states).
    step_opts: Vec<Opt>,
    query: String,
    counts: Vec<(&'static str, usize)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_pushes(s: &AppState, u: &WebUser, q: &PushParams, error: Option<String>) -> PageResult {
    let f = q.filter(s).await?;
    let rows = s.app.target_pushes(&u.p, &f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let events = s.app.target_events(&u.p, &ids).await?;
    let mut log: HashMap<i64, Vec<(String, String, &'static str, String)>> = HashMap::new();
    for e in events {
        log.entry(e.push_id).or_default().push((
            fmt_time(&e.at),
            e.actor.unwrap_or_default(),
            push_status_label(&e.to_status),
            e.note,
        ));
    }
    let counts = PUSH_STATUSES.iter().map(|(c, l)| (*l, rows.iter().filter(|r| r.status == *c).count())).collect();
    let chains: HashMap<i64, app::store::chainmap::ChainInfo> =
        s.app.chain_infos().await?.into_iter().map(|c| (c.id, c)).collect();
    let mut may = HashMap::new();
    for r in &rows {
        let ok = match chains.get(&r.chain_id) {
            Some(c) => s.app.may_follow_up(&u.p, r, c).await?,
            None => false,
        };
        may.insert(r.id, ok);
    }
    let rows = rows
        .into_iter()
        .map(|r| PushView {
            open: r.status != "landed" && r.status != "dropped" && may.get(&r.id).copied().unwrap_or(false),
            status_label: push_status_label(&r.status),
            evidence: serde_json::from_str(&r.evidence).unwrap_or_default(),
            log: log.remove(&r.id).unwrap_or_default(),
            id: r.id,
            version: r.version,
            chain_id: r.chain_id,
            chain: r.chain_name,
            segment: r.segment_name,
            company: r.company_name,
            code: r.company_code,
            score: format!("{:.1}", r.score * 100.0),
            region: r.region_name,
            status: r.status,
            reason: r.reason,
            updated: fmt_time(&r.updated_at),
        })
        .collect();
    let mut chain_list: Vec<&app::store::chainmap::ChainInfo> = chains.values().collect();
    chain_list.sort_by_key(|c| c.id);
    let chain_opts = chain_list.iter().map(|c| (c.id.to_string(), c.name.clone()));
    Ok(TargetsTpl {
        nav: Nav::of(&u.p, "targets"),
        rows,
        chain_opts: opts(chain_opts, &q.chain),
        region_opts: opts(s.app.filter_regions().await?, &q.region),
        status_opts: opts(PUSH_STATUSES.iter().map(|(c, l)| (c.to_string(), l.to_string())), &q.status),
        step_opts: opts(PUSH_STATUSES.iter().map(|(c, l)| (c.to_string(), l.to_string())), ""),
        query: q.query(),
        counts,
        error,
        notice: (!q.msg.is_empty()).then(|| q.msg.clone()),
    }
    .into_response())
}

pub(super) async fn targets_page(State(s): State<AppState>, u: WebUser, Query(q): Query<PushParams>) -> PageResult {
    render_pushes(&s, &u, &q, None).await
}

pub(super) async fn targets_xlsx(State(s): State<AppState>, u: WebUser, Query(q): Query<PushParams>) -> PageResult {
    let f = q.filter(&s).await?;
    let rows = s.app.target_pushes(&u.p, &f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let events = s.app.target_events(&u.p, &ids).await?;
    let bytes = app::productgraph::pushes_xlsx(&rows, &events)?;
    Ok(download(XLSX_TYPE, "招引目标企业清单.xlsx", bytes))
}

/// A follow-up step on one push.
pub(super) async fn target_follow_up(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<PushParams>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let id = super::id_of(id)?;
    let (form, _) = checked_pairs(&u, form)?;
    let result: Result<String, PageError> = async {
        let step = FollowUp {
            status: field(&form, "status"),
            note: field(&form, "note"),
            reason: field(&form, "reason"),
            version: id_field(&form, "version")?,
        };
        s.app.follow_up_target(&u.p, id, &step).await?;
        Ok("已登记跟进".to_string())
    }
    .await;
    let to = |m: &str| format!("/targets?{}&msg={}#push-{id}", q.query(), crate::view::urlencode(m));
    answer(result, to, |e| render_pushes(&s, &u, &q, Some(e))).await
}
