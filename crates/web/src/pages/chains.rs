//! Chain pages: the list of chains and a chain's interactive map (ECharts), with its
//! analytics and, for the office and the chain's lead department, the editing forms.

use super::{Nav, Opt, PageError, PageResult, XLSX_TYPE, checked_form, download, field, fmt_time, opts};
use crate::AppState;
use crate::auth::WebUser;
use app::AppError;
use app::chainmap::{
    LIST_KINDS, LIST_STATUSES, ListItemInput, ROLES, STAGES, SegmentInput, list_kind_label, list_status_label,
    stage_label,
};
use app::domain::chainmap::{SinglePoint, Strength};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template, WebTemplate)]
#[template(path = "chains.html")]
struct ChainsTpl {
    nav: Nav,
    chains: Vec<app::store::chainmap::ChainInfo>,
}

pub(super) async fn chains_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    Ok(ChainsTpl { nav: Nav::of(&u.p, "chains"), chains: s.app.chain_infos().await? }.into_response())
}

/// One segment's row on the page.
pub struct SegView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub stage: &'static str,
    pub stage_code: String,
    /// The parent's id, "" for a top-level segment (the move form's choice).
    pub parent_id: String,
    pub sort: i64,
    pub parent: String,
    pub products: String,
    pub technologies: String,
    pub industries: String,
    pub retired: bool,
    pub version: i64,
    pub local: usize,
    pub leaders: usize,
    pub strength: &'static str,
    pub strength_class: &'static str,
    pub hhi: String,
    pub sole: bool,
    /// (enterprise id, name, region, role label) of the enterprises the viewer may read.
    pub placed: Vec<(i64, String, String, &'static str)>,
}

/// One list item's row on the page.
pub struct ItemView {
    pub id: i64,
    pub version: i64,
    pub group: &'static str,
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub owner: String,
    pub status: String,
    pub status_label: &'static str,
    pub start: String,
    pub due: String,
    /// Past its due date and neither done nor dropped.
    pub overdue: bool,
    pub segment: String,
    pub enterprise: Option<(i64, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "chain.html")]
struct ChainTpl {
    nav: Nav,
    chain: app::store::chainmap::ChainInfo,
    regions: String,
    officers: String,
    /// (account id, name, post) for the office's remove buttons.
    officer_list: Vec<(i64, String, &'static str)>,
    /// The viewer is the office (appoints officers).
    office: bool,
    targets: Vec<(i64, String)>,
    segs: Vec<SegView>,
    strong: usize,
    weak: usize,
    missing: usize,
    supporting: String,
    spof: Vec<String>,
    graph_json: String,
    editor: bool,
    region_opts: Vec<Opt>,
    role_opts: Vec<Opt>,
    stage_opts: Vec<Opt>,
    parent_opts: Vec<Opt>,
    seg_opts: Vec<Opt>,
    edges: Vec<(i64, String, String, String)>,
    /// Top-level segments in use, for the move form (value, label).
    move_parent_opts: Vec<Opt>,
    /// The latest map edits and how many there are.
    history: Vec<EditView>,
    history_total: i64,
    items: Vec<ItemView>,
    kind_opts: Vec<Opt>,
    status_opts: Vec<Opt>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct MapParams {
    #[serde(default)]
    region: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    msg: String,
}

pub(super) fn chain_key(p: Result<Path<String>, PathRejection>) -> Result<String, PageError> {
    p.map(|Path(k)| k).map_err(|_| PageError(AppError::NotFound))
}

pub(super) fn strength_view(s: &Strength) -> (&'static str, &'static str) {
    match s {
        Strength::Strong => ("强·锻长板", "strong"),
        Strength::Weak => ("弱·补短板", "weak"),
        Strength::Missing => ("缺·建新链", "missing"),
    }
}

fn yuan_yi(fen: i64) -> String {
    format!("{:.1}", fen as f64 / 1e10)
}

async fn render(s: &AppState, u: &WebUser, key: &str, mp: &MapParams, error: Option<String>) -> PageResult {
    let (map, analysis) = s.app.chain_view(&u.p, key).await?;
    let editor = s.app.may_edit_chain(&u.p, &map.chain);
    let figures: HashMap<i64, &app::domain::chainmap::SegmentFigures> =
        analysis.segments.iter().map(|f| (f.id, f)).collect();
    let names: HashMap<i64, String> = map.segments.iter().map(|x| (x.id, x.name.clone())).collect();
    let role_label = |r: &str| ROLES.iter().find(|(c, _)| *c == r).map(|(_, l)| *l).unwrap_or("链属");
    let mut placed: HashMap<i64, Vec<(i64, String, String, &'static str)>> = HashMap::new();
    for p in &map.placements {
        if (!mp.region.is_empty() && p.region_code != mp.region) || (!mp.role.is_empty() && p.role != mp.role) {
            continue;
        }
        placed.entry(p.segment_id).or_default().push((
            p.enterprise_id,
            p.enterprise_name.clone(),
            p.region_name.clone(),
            role_label(&p.role),
        ));
    }
    let mut segs = Vec::new();
    let (mut strong, mut weak, mut missing) = (0, 0, 0);
    for x in &map.segments {
        let f = figures.get(&x.id);
        let (label, class) = match f {
            Some(f) => strength_view(&f.strength),
            None => ("已撤销", "retired"),
        };
        match class {
            "strong" => strong += 1,
            "weak" => weak += 1,
            "missing" => missing += 1,
            _ => {}
        }
        segs.push(SegView {
            id: x.id,
            code: x.code.clone(),
            name: x.name.clone(),
            stage: stage_label(&x.stage),
            stage_code: x.stage.clone(),
            parent_id: x.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            sort: x.sort,
            parent: x.parent_id.and_then(|p| names.get(&p).cloned()).unwrap_or_default(),
            products: x.key_products.replace(';', "、"),
            technologies: x.key_technologies.replace(';', "、"),
            industries: x.industry_codes.replace(';', "、"),
            retired: x.retired,
            version: x.version,
            local: f.map(|f| f.local_enterprises).unwrap_or(0),
            leaders: f.map(|f| f.leaders).unwrap_or(0),
            strength: label,
            strength_class: class,
            hhi: f.and_then(|f| f.hhi).map(|h| format!("{h:.2}")).unwrap_or_else(|| "—".into()),
            sole: f.is_some_and(|f| f.sole_holder.is_some()),
            placed: placed.remove(&x.id).unwrap_or_default(),
        });
    }
    let enterprise_names: HashMap<i64, String> =
        map.placements.iter().map(|p| (p.enterprise_id, p.enterprise_name.clone())).collect();
    let who = |id: &i64| enterprise_names.get(id).cloned().unwrap_or_else(|| format!("企业 {id}（不在您的查看范围）"));
    let spof = analysis
        .single_points_of_failure
        .iter()
        .map(|p| match p {
            SinglePoint::Segment { segment_id, enterprise_id } => format!(
                "环节“{}”仅由{}一家本地企业承担",
                names.get(segment_id).cloned().unwrap_or_default(),
                who(enterprise_id)
            ),
            SinglePoint::Enterprise { enterprise_id, cut_paths, .. } => {
                if *cut_paths > 0 {
                    format!("{}一旦退出，本链企业间的配套网络将断成 {} 块", who(enterprise_id), cut_paths + 1)
                } else {
                    format!("{}独家承担上下游贯通路径上的环节，一旦退出将切断上下游", who(enterprise_id))
                }
            }
        })
        .collect();
    // The graph: stages as columns, segments stacked in each; children beside their parent.
    // (regions, roles) of each segment's enterprises, for the graph's filters.
    let mut seg_filters: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
    for p in &map.placements {
        let e = seg_filters.entry(p.segment_id).or_default();
        e.0.push(p.region_code.clone());
        e.1.push(p.role.clone());
    }
    let mut row = [0usize; 3];
    let mut nodes = Vec::new();
    for x in map.segments.iter().filter(|x| !x.retired) {
        let col = STAGES.iter().position(|(c, _)| *c == x.stage).unwrap_or(1);
        let f = figures.get(&x.id);
        let (label, class) = f.map(|f| strength_view(&f.strength)).unwrap_or(("", "missing"));
        nodes.push(serde_json::json!({
            "id": x.id.to_string(), "name": x.name, "x": col as f64 * 320.0 + if x.parent_id.is_some() { 60.0 } else { 0.0 },
            "y": row[col] as f64 * 56.0, "count": f.map(|f| f.local_enterprises).unwrap_or(0), "strength": class,
            "strength_label": label, "stage": stage_label(&x.stage),
            "regions": seg_filters.get(&x.id).map(|f| f.0.as_slice()).unwrap_or_default(),
            "roles": seg_filters.get(&x.id).map(|f| f.1.as_slice()).unwrap_or_default(),
        }));
        row[col] += 1;
    }
    let links: Vec<_> = map
        .edges
        .iter()
        .filter(|e| !e.retired)
        .map(|e| serde_json::json!({"source": e.from_id.to_string(), "target": e.to_id.to_string(), "product": e.product}))
        .collect();
    let graph_json = serde_json::json!({"nodes": nodes, "links": links}).to_string();
    let live: Vec<&app::store::chainmap::SegmentRow> = map.segments.iter().filter(|x| !x.retired).collect();
    let mut region_codes: Vec<(String, String)> =
        map.placements.iter().map(|p| (p.region_code.clone(), p.region_name.clone())).collect();
    region_codes.sort();
    region_codes.dedup();
    let today = (s.app.now() + chrono::Duration::hours(8)).date_naive();
    let items = s
        .app
        .chain_list_items(&u.p, key, None)
        .await?
        .into_iter()
        .map(|i| ItemView {
            id: i.id,
            version: i.version,
            group: LIST_KINDS.iter().find(|k| k.0 == i.kind).map(|k| k.2).unwrap_or(""),
            kind: list_kind_label(&i.kind),
            overdue: i.due_on.is_some_and(|d| d < today) && !matches!(i.status.as_str(), "done" | "dropped"),
            status_label: list_status_label(&i.status),
            title: i.title,
            detail: i.detail,
            owner: i.owner,
            status: i.status,
            start: i.start_on.map(|d| d.to_string()).unwrap_or_default(),
            due: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
            segment: i.segment_name.unwrap_or_default(),
            enterprise: i.enterprise_id.zip(i.enterprise_name),
        })
        .collect();
    let (history, history_total) = s.app.chain_map_history(&u.p, key, 1, 10).await?;
    Ok(ChainTpl {
        move_parent_opts: opts(
            live.iter()
                .filter(|x| x.parent_id.is_none())
                .map(|x| (x.id.to_string(), format!("{}·{}", stage_label(&x.stage), x.name))),
            "",
        ),
        history: history.into_iter().map(EditView::from).collect(),
        history_total,
        items,
        kind_opts: opts(LIST_KINDS.iter().map(|(c, l, g)| (c.to_string(), format!("{g}·{l}"))), ""),
        status_opts: opts(LIST_STATUSES.iter().map(|(c, l)| (c.to_string(), l.to_string())), ""),
        nav: Nav::of(&u.p, "chains"),
        regions: map
            .regions
            .iter()
            .map(|(_, n, r)| format!("{n}（{}）", if r == "carrying" { "主承载区" } else { "协同区" }))
            .collect::<Vec<_>>()
            .join("、"),
        officers: map
            .officers
            .iter()
            .map(|(_, n, r)| format!("{}：{n}", if r == "chief" { "链长" } else { "副链长" }))
            .collect::<Vec<_>>()
            .join("；"),
        officer_list: map
            .officers
            .iter()
            .map(|(id, n, r)| (*id, n.clone(), if r == "chief" { "链长" } else { "副链长" }))
            .collect(),
        office: u.p.has(app::domain::role::Role::Office),
        targets: map.targets.iter().map(|(y, f)| (*y, yuan_yi(*f))).collect(),
        strong,
        weak,
        missing,
        supporting: analysis
            .local_supporting_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "暂无配套数据".into()),
        spof,
        graph_json,
        editor,
        region_opts: opts(region_codes, &mp.region),
        role_opts: opts(ROLES.iter().map(|(c, l)| (c.to_string(), l.to_string())), &mp.role),
        stage_opts: opts(STAGES.iter().map(|(c, l)| (c.to_string(), l.to_string())), ""),
        parent_opts: opts(
            live.iter()
                .filter(|x| x.parent_id.is_none())
                .map(|x| (x.id.to_string(), format!("{}·{}", stage_label(&x.stage), x.name))),
            "",
        ),
        seg_opts: opts(live.iter().map(|x| (x.id.to_string(), format!("{}·{}", stage_label(&x.stage), x.name))), ""),
        edges: map
            .edges
            .iter()
            .filter(|e| !e.retired)
            .map(|e| {
                (
                    e.id,
                    names.get(&e.from_id).cloned().unwrap_or_default(),
                    names.get(&e.to_id).cloned().unwrap_or_default(),
                    e.product.clone(),
                )
            })
            .collect(),
        segs,
        chain: map.chain,
        error,
        notice: (!mp.msg.is_empty()).then(|| mp.msg.clone()),
    }
    .into_response())
}

pub(super) async fn chain_page(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    Query(mp): Query<MapParams>,
) -> PageResult {
    render(&s, &u, &chain_key(key)?, &mp, None).await
}

/// The map and its analysis in the open JSON format (download).
pub(super) async fn chain_json(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
) -> PageResult {
    let key = chain_key(key)?;
    let (map, analysis) = s.app.chain_view(&u.p, &key).await?;
    let body = serde_json::to_string_pretty(
        &serde_json::json!({"format": "qianglian-chain-map/1", "map": map, "analysis": analysis}),
    )
    .map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(download("application/json; charset=utf-8", &format!("{}-产业链图谱.json", map.chain.name), body))
}

/// The map's segments with their figures and enterprises as an xlsx (download).
pub(super) async fn chain_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
) -> PageResult {
    let key = chain_key(key)?;
    let (map, analysis) = s.app.chain_view(&u.p, &key).await?;
    let bytes = app::chainmap_import::map_xlsx(&map, &analysis)?;
    Ok(download(XLSX_TYPE, &format!("{}-产业链图谱.xlsx", map.chain.name), bytes))
}

/// The chain's lists (协作需求表, 一链N清单, 6个关键) as an xlsx (download).
pub(super) async fn chain_lists_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
) -> PageResult {
    let key = chain_key(key)?;
    let chain = s.app.chain_info(&key).await?;
    let items = s.app.chain_list_items(&u.p, &key, None).await?;
    let bytes = app::chainmap::list_items_xlsx(&chain.name, &items)?;
    Ok(download(XLSX_TYPE, &format!("{}-清单.xlsx", chain.name), bytes))
}

fn item_input(form: &HashMap<String, String>) -> ListItemInput {
    ListItemInput {
        kind: field(form, "kind"),
        title: field(form, "title"),
        detail: field(form, "detail"),
        owner: field(form, "owner"),
        status: field(form, "status"),
        start_on: field(form, "start_on"),
        due_on: field(form, "due_on"),
        segment_id: field(form, "segment_id").trim().parse().ok(),
        enterprise_id: field(form, "enterprise_id").trim().parse().ok(),
    }
}

fn id_field(form: &HashMap<String, String>, k: &str) -> Result<i64, PageError> {
    field(form, k).trim().parse().map_err(|_| PageError(AppError::invalid(k, "请选择或填写有效的编号")))
}

/// One editing action from the page's forms; on invalid input the page shows the message.
pub(super) async fn chain_edit(
    State(s): State<AppState>,
    u: WebUser,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let Ok(Path((key, action))) = path else { return Err(PageError(AppError::NotFound)) };
    let form = checked_form(&u.p, form)?;
    let result: Result<&str, PageError> = async {
        match action.as_str() {
            "segments" => {
                let input = SegmentInput {
                    code: field(&form, "code"),
                    name: field(&form, "name"),
                    stage: field(&form, "stage"),
                    parent_id: field(&form, "parent_id").trim().parse().ok(),
                    sort: None,
                    key_products: field(&form, "key_products"),
                    key_technologies: field(&form, "key_technologies"),
                    industry_codes: field(&form, "industry_codes"),
                };
                s.app.add_segment(&u.p, &key, &input).await?;
                Ok("已添加环节")
            }
            "retire-segment" => {
                let id = id_field(&form, "segment_id")?;
                let map = s.app.chain_map(&u.p, &key).await?;
                let x = map.segments.iter().find(|x| x.id == id).ok_or(PageError(AppError::NotFound))?;
                let input = SegmentInput {
                    code: x.code.clone(),
                    name: x.name.clone(),
                    stage: x.stage.clone(),
                    parent_id: x.parent_id,
                    sort: Some(x.sort),
                    key_products: x.key_products.clone(),
                    key_technologies: x.key_technologies.clone(),
                    industry_codes: x.industry_codes.clone(),
                };
                s.app.update_segment(&u.p, &key, id, id_field(&form, "version")?, &input, true).await?;
                Ok("已撤销环节")
            }
            "move-segment" => {
                let id = id_field(&form, "segment_id")?;
                let map = s.app.chain_map(&u.p, &key).await?;
                let x = map.segments.iter().find(|x| x.id == id).ok_or(PageError(AppError::NotFound))?;
                let sort = match field(&form, "sort").trim() {
                    "" => Some(x.sort),
                    v => Some(v.parse().map_err(|_| PageError(AppError::invalid("sort", "排序须为整数")))?),
                };
                let input = SegmentInput {
                    code: x.code.clone(),
                    name: x.name.clone(),
                    stage: field(&form, "stage"),
                    parent_id: field(&form, "parent_id").trim().parse().ok(),
                    sort,
                    key_products: x.key_products.clone(),
                    key_technologies: x.key_technologies.clone(),
                    industry_codes: x.industry_codes.clone(),
                };
                s.app.update_segment(&u.p, &key, id, id_field(&form, "version")?, &input, x.retired).await?;
                Ok("已移动环节")
            }
            "edges" => {
                s.app
                    .add_segment_edge(
                        &u.p,
                        &key,
                        id_field(&form, "from")?,
                        id_field(&form, "to")?,
                        &field(&form, "product"),
                    )
                    .await?;
                Ok("已添加供给关系")
            }
            "retire-edge" => {
                s.app.retire_segment_edge(&u.p, &key, id_field(&form, "edge_id")?).await?;
                Ok("已撤销供给关系")
            }
            "place" => {
                s.app
                    .place_enterprise(
                        &u.p,
                        &key,
                        id_field(&form, "segment_id")?,
                        id_field(&form, "enterprise_id")?,
                        &field(&form, "role"),
                    )
                    .await?;
                Ok("已将企业放上环节")
            }
            "unplace" => {
                s.app
                    .unplace_enterprise(&u.p, &key, id_field(&form, "segment_id")?, id_field(&form, "enterprise_id")?)
                    .await?;
                Ok("已将企业移出环节")
            }
            "list-add" => {
                let input = item_input(&form);
                if !field(&form, "enterprise_id").trim().is_empty() && input.enterprise_id.is_none() {
                    return Err(PageError(AppError::invalid("enterprise_id", "关联企业编号应为数字")));
                }
                s.app.add_list_item(&u.p, &key, &input).await?;
                Ok("已添加清单事项")
            }
            "list-status" => {
                let id = id_field(&form, "item_id")?;
                let items = s.app.chain_list_items(&u.p, &key, None).await?;
                let i = items.into_iter().find(|i| i.id == id).ok_or(PageError(AppError::NotFound))?;
                let input = ListItemInput { status: field(&form, "status"), ..ListItemInput::from(&i) };
                s.app.update_list_item(&u.p, &key, id, id_field(&form, "version")?, &input).await?;
                Ok("已更新事项状态")
            }
            "list-delete" => {
                s.app.delete_list_item(&u.p, &key, id_field(&form, "item_id")?).await?;
                Ok("已删除清单事项")
            }
            "officer" => {
                s.app.set_chain_officer(&u.p, &key, &field(&form, "username"), &field(&form, "role")).await?;
                Ok("已设置链长/副链长")
            }
            "officer-remove" => {
                s.app.remove_chain_officer(&u.p, &key, id_field(&form, "account_id")?).await?;
                Ok("已免去")
            }
            "output-target" => {
                s.app.set_chain_output_target(&u.p, &key, &field(&form, "year"), &field(&form, "output")).await?;
                Ok("已设置产值目标")
            }
            _ => Err(PageError(AppError::NotFound)),
        }
    }
    .await;
    match result {
        Ok(msg) => {
            Ok(Redirect::to(&format!("/chains/{}?msg={}", crate::view::urlencode(&key), crate::view::urlencode(msg)))
                .into_response())
        }
        Err(PageError(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_)))) => {
            let mut r = render(&s, &u, &key, &MapParams::default(), Some(e.user_message())).await?;
            *r.status_mut() = crate::error::status_of(&e).0;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

/// One map edit on the page.
pub struct EditView {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub subject: String,
    pub detail: String,
}

impl From<app::chainmap_history::MapEdit> for EditView {
    fn from(e: app::chainmap_history::MapEdit) -> Self {
        EditView { at: fmt_time(&e.at), actor: e.actor, label: e.label, subject: e.subject, detail: e.detail }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_history.html")]
struct HistoryTpl {
    nav: Nav,
    chain: app::store::chainmap::ChainInfo,
    edits: Vec<EditView>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct HistoryParams {
    #[serde(default)]
    page: Option<i64>,
}

const HISTORY_PER_PAGE: i64 = 50;

/// 图谱修改记录: every edit of the chain's map, newest first, 50 a page.
pub(super) async fn chain_history(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    q: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let key = chain_key(key)?;
    let page = q.map(|Query(q)| q.page.unwrap_or(1)).unwrap_or(1).max(1);
    let chain = s.app.chain_info(&key).await?;
    let (edits, total) = s.app.chain_map_history(&u.p, &key, page, HISTORY_PER_PAGE).await?;
    let pages = ((total + HISTORY_PER_PAGE - 1) / HISTORY_PER_PAGE).max(1);
    let url = |p: i64| format!("/chains/{}/history?page={p}", chain.id);
    Ok(HistoryTpl {
        nav: Nav::of(&u.p, "chains"),
        edits: edits.into_iter().map(EditView::from).collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
        chain,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "chain_import.html")]
struct ImportTpl {
    nav: Nav,
    chain: app::store::chainmap::ChainInfo,
    report: Option<app::chainmap_import::ChainImportReport>,
    file_error: Option<String>,
}

/// The map import: `mode=preview` checks the uploaded workbook and shows what it would
/// change (nothing written), with a confirmation form that names the previewed file by its
/// digest; `mode=commit` checks again and writes, if the file is the one previewed. CSRF
/// token in the multipart form as on every form.
pub(super) async fn map_import(
    State(s): State<AppState>,
    u: WebUser,
    key: Result<Path<String>, PathRejection>,
    mp: axum::extract::Multipart,
) -> PageResult {
    let key = chain_key(key)?;
    let (fields, file) = super::upload_form(&u.p, mp).await?;
    let file = file.map(|f| f.1);
    let chain = s.app.chain_info(&key).await?;
    if !s.app.may_edit_chain(&u.p, &chain) {
        return Err(PageError(AppError::Forbidden(format!(
            "只有融圈强链办或“{}”的牵头部门可以导入该产业链图谱",
            chain.name
        ))));
    }
    let render = |report: Option<app::chainmap_import::ChainImportReport>, file_error: Option<String>, status| {
        Ok((status, ImportTpl { nav: Nav::of(&u.p, "chains"), chain: chain.clone(), report, file_error })
            .into_response())
    };
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return render(None, Some("请选择要导入的图谱文件（.xlsx）".into()), StatusCode::BAD_REQUEST);
    };
    let commit = field(&fields, "mode") == "commit";
    let previewed = field(&fields, "digest");
    if commit && !previewed.is_empty() && previewed != app::chainmap_import::file_digest(&bytes) {
        return render(
            None,
            Some("所选文件与预览时的文件不同：请重新校验并预览后再确认导入".into()),
            StatusCode::CONFLICT,
        );
    }
    match s.app.import_chain_map(&u.p, &key, &bytes, commit).await {
        Ok(r) if r.applied => {
            let msg = format!("已导入图谱：{}", r.summary());
            Ok(Redirect::to(&format!("/chains/{}?msg={}", chain.id, crate::view::urlencode(&msg))).into_response())
        }
        Ok(r) => {
            let status = if r.error_total == 0 { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            render(Some(r), None, status)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = crate::error::status_of(&e).0;
            render(None, Some(e.user_message()), status)
        }
        Err(e) => Err(e.into()),
    }
}
