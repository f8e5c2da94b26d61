//! The demo city: Dazhou's fields and chains with fictitious enterprises, all marked 示例,
//! generated from a seed so that the same seed gives the same city. One account per role.

use crate::{Actor, App, AppError, Result, audit_entry};
use domain::industry::IndustryCode;
use domain::role::{Grant, Role};
use domain::size::{SizeInputs, classify, is_above_scale};
use domain::uscc::Uscc;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;
use store::enterprise::EnterpriseData;

pub use crate::demo_problems::ProblemsSeeded;
pub use crate::demo_projects::{ProjectPlan, ProjectsSeeded};

const CHAINS_CSV: &str = include_str!("../../../data/chains.csv");
const WORDS_CSV: &str = include_str!("../../../data/demo/name_words.csv");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    City,
    Province,
}

impl Scale {
    pub fn enterprises(self) -> usize {
        match self {
            Scale::City => 3_000,
            Scale::Province => 300_000,
        }
    }
    /// Years of yearly indicator values and which indicators: ten per enterprise either way
    /// for a province (300,000 × 10 = 3,000,000 values), thirty for a city.
    pub fn indicator_plan(self) -> (i32, &'static [&'static str]) {
        const ALL: &[&str] = &[
            "revenue",
            "output_value",
            "added_value",
            "profit",
            "tax",
            "employees",
            "rd_expense",
            "invention_patents",
            "energy",
            "fixed_investment",
        ];
        match self {
            Scale::City => (3, ALL),
            Scale::Province => (2, &["revenue", "output_value", "tax", "employees", "rd_expense"]),
        }
    }
    /// Key projects and months of report history: about 300 over two years for a city;
    /// for a province 20,000, whose reports number about a million.
    pub fn project_plan(self) -> ProjectPlan {
        match self {
            Scale::City => ProjectPlan { projects: 300, months: 24 },
            Scale::Province => ProjectPlan { projects: 20_000, months: 70 },
        }
    }
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "city" => Some(Scale::City),
            "province" => Some(Scale::Province),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub role: String,
    pub scope: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    pub chains: usize,
    pub enterprises: usize,
    pub accounts: Vec<DemoAccount>,
    pub projects: ProjectsSeeded,
    pub problems: ProblemsSeeded,
}

struct ChainDef {
    code: String,
    name: String,
    field: String,
    lead: String,
    provincial_key: bool,
    carrying: Vec<String>,
    collaborating: Vec<String>,
    industries: Vec<String>,
    keywords: Vec<String>,
}

fn csv_rows(text: &str) -> Result<Vec<csv::StringRecord>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| AppError::Internal(format!("demo data: {e}")))
}

fn list(s: &str) -> Vec<String> {
    s.split(';').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()
}

fn chain_defs() -> Result<Vec<ChainDef>> {
    csv_rows(CHAINS_CSV)?
        .iter()
        .map(|r| {
            let g = |i: usize| r.get(i).unwrap_or("").trim().to_string();
            Ok(ChainDef {
                code: g(0),
                name: g(1),
                field: g(2),
                lead: g(3),
                provincial_key: g(4) == "true",
                carrying: list(&g(5)),
                collaborating: list(&g(6)),
                industries: list(&g(7)),
                keywords: list(&g(8)),
            })
        })
        .collect()
}

struct Words {
    brand: Vec<String>,
    suffix: Vec<String>,
    street: Vec<String>,
    surname: Vec<String>,
    given: Vec<String>,
}

fn words() -> Result<Words> {
    let mut w = Words { brand: vec![], suffix: vec![], street: vec![], surname: vec![], given: vec![] };
    for r in csv_rows(WORDS_CSV)? {
        let v = r.get(1).unwrap_or("").trim().to_string();
        match r.get(0).unwrap_or("") {
            "brand" => w.brand.push(v),
            "suffix" => w.suffix.push(v),
            "street" => w.street.push(v),
            "surname" => w.surname.push(v),
            "given" => w.given.push(v),
            _ => {}
        }
    }
    if w.brand.is_empty() || w.suffix.is_empty() || w.street.is_empty() || w.surname.is_empty() || w.given.is_empty() {
        return Err(AppError::Internal("demo word lists are incomplete".into()));
    }
    Ok(w)
}

impl App {
    /// A citywide 链主 evaluation scheme (示例): industry position, innovation, chain
    /// integration, with the ledger bindings the plan names and one expert-scored indicator.
    async fn seed_demo_scheme(&self) -> Result<i64> {
        use crate::scheme::{Dimension, IndicatorDef, Level, Measure, Missing, NewScheme, SchemeDef, Source};
        use domain::eval::Kind;
        let q = |code: &str, name: &str, source: Source, missing: Missing| IndicatorDef {
            code: code.into(),
            name: name.into(),
            direction: Kind::Benefit,
            measure: Measure::Quantitative { source, missing },
        };
        let ind = |c: &str| Source::Indicator { code: c.into() };
        let def = SchemeDef {
            dimensions: vec![
                Dimension {
                    code: "position".into(),
                    name: "产业地位".into(),
                    indicators: vec![
                        q("output", "工业总产值", ind("output_value"), Missing::Zero),
                        q("output_growth", "产值增速", Source::Growth { code: "output_value".into() }, Missing::Zero),
                        q(
                            "output_share",
                            "产值占全链比重",
                            Source::ChainShare { code: "output_value".into() },
                            Missing::Zero,
                        ),
                        q("tax", "税收", ind("tax"), Missing::Zero),
                    ],
                },
                Dimension {
                    code: "innovation".into(),
                    name: "创新能力".into(),
                    indicators: vec![
                        q(
                            "rd_intensity",
                            "研发投入强度",
                            Source::Ratio { numerator: "rd_expense".into(), denominator: "revenue".into() },
                            Missing::Min,
                        ),
                        q("patents", "发明专利授权量", ind("invention_patents"), Missing::Zero),
                        IndicatorDef {
                            code: "tech_level".into(),
                            name: "技术水平（专家评分）".into(),
                            direction: Kind::Benefit,
                            measure: Measure::Qualitative {
                                scale_max: 10.0,
                                levels: vec![
                                    Level {
                                        score: 10.0, guidance: "主导产品技术国内领先，掌握核心专利".into()
                                    },
                                    Level { score: 7.0, guidance: "技术省内先进，有自主研发平台".into() },
                                    Level { score: 4.0, guidance: "技术行业一般水平".into() },
                                ],
                            },
                        },
                    ],
                },
                Dimension {
                    code: "integration".into(),
                    name: "链群带动".into(),
                    indicators: vec![
                        q("local_partners", "本地配套企业数", Source::LocalPartners, Missing::Zero),
                        q("local_purchase", "本地采购额", Source::LocalPurchase, Missing::Zero),
                        q("honours", "有效荣誉数", Source::Honours, Missing::Zero),
                    ],
                },
            ],
            weighting: crate::eval::Weighting::Entropy { shift: true },
            method: crate::eval::Method::Topsis,
            normalization: domain::eval::Normalization::Vector,
        };
        let s = NewScheme {
            code: "leader_city".into(),
            name: "链主企业评价方案（示例）".into(),
            target: "leader".into(),
            chain: None,
            definition: def,
            note: "示例方案：熵权法赋权（负值平移），TOPSIS 排序".into(),
        };
        self.create_scheme(&crate::account::Principal::console(), &s).await
    }
}

/// The demo's brand words (for fictitious names outside the city too).
pub(crate) fn brand_words() -> Vec<String> {
    words().map(|w| w.brand).unwrap_or_else(|_| vec!["示例".to_string()])
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> &'a T {
    &v[rng.random_range(0..v.len())]
}

/// A USCC for a fictitious company registered in `region`: department 9 (market
/// regulation), category 1 (enterprise), a random organisation code with its GB 11714
/// check digit, and the GB 32100 check character.
fn demo_uscc(rng: &mut ChaCha8Rng, region: &str) -> Result<String> {
    const ORG: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body: Vec<u8> = (0..8).map(|_| ORG[rng.random_range(0..ORG.len())]).collect();
    let val = |c: u8| if c.is_ascii_digit() { (c - b'0') as u32 } else { (c - b'A') as u32 + 10 };
    let sum: u32 = body.iter().zip([3, 7, 9, 10, 5, 8, 4, 2]).map(|(c, w)| val(*c) * w).sum();
    let check = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    };
    let first17 = format!("91{region}{}{check}", String::from_utf8_lossy(&body));
    Uscc::complete(&first17).map(|u| u.as_str().to_string()).map_err(|e| AppError::Internal(e.to_string()))
}

impl App {
    /// Seeds the demo city. Refuses when the database already holds a demo.
    pub async fn seed_demo(&self, scale: Scale, seed: u64) -> Result<DemoReport> {
        self.seed_demo_with(scale, seed, scale.project_plan()).await
    }

    /// [`App::seed_demo`] with another number of key projects or months of reports (the
    /// benchmark generator).
    pub async fn seed_demo_with(&self, scale: Scale, seed: u64, projects: ProjectPlan) -> Result<DemoReport> {
        if store::account::setting(&self.db, "demo_seed").await?.is_some() {
            return Err(AppError::Conflict("数据库中已有示例数据".into()));
        }
        let actor = Actor { id: None, name: "demo".into(), ip: "local".into() };
        let now = self.now();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let chains = chain_defs()?;
        let w = words()?;
        let counties: Vec<(String, String)> =
            self.regions().await?.into_iter().filter(|r| r.kind == "county").map(|r| (r.code, r.name)).collect();
        let mut tx = self.db.begin().await?;
        let mut chain_ids = Vec::new();
        for c in &chains {
            let nc = store::chain::NewChain {
                code: c.code.clone(),
                name: c.name.clone(),
                field_code: c.field.clone(),
                lead_department_code: c.lead.clone(),
                provincial_key: c.provincial_key,
                carrying_regions: c.carrying.clone(),
                collaborating_regions: c.collaborating.clone(),
            };
            let id = store::chain::insert(&mut tx, &nc, now, None).await?;
            let after =
                serde_json::json!({"code": c.code, "name": c.name, "field": c.field, "lead_department": c.lead});
            store::audit::append(&mut tx, now, &audit_entry(&actor, "chain.create", "chain", id, None, Some(after)))
                .await?;
            chain_ids.push(id);
        }
        let mut values: Vec<store::indicator::NewValue> = Vec::new();
        let honour_kinds = [
            "specialised_sme",
            "high_tech",
            "tech_sme",
            "little_giant",
            "gazelle",
            "innovative_sme",
            "smart_factory",
            "green_factory",
        ];
        let mut reserve_left = 30usize;
        let mut all_ids = Vec::with_capacity(scale.enterprises());
        let mut names = HashSet::new();
        let mut usccs = HashSet::new();
        let mut first_in_xuanhan = None;
        let n = scale.enterprises();
        for k in 0..n {
            let ci = rng.random_range(0..chains.len());
            let c = &chains[ci];
            let roll: f64 = rng.random();
            let place = if roll < 0.65 && !c.carrying.is_empty() {
                pick(&mut rng, &c.carrying).clone()
            } else if roll < 0.9 && !c.collaborating.is_empty() {
                pick(&mut rng, &c.collaborating).clone()
            } else {
                pick(&mut rng, &counties).0.clone()
            };
            let (region, park) = if place.contains('P') { ("511703".to_string(), Some(place)) } else { (place, None) };
            let county_name = counties.iter().find(|(c, _)| *c == region).map(|(_, n)| n.as_str()).unwrap_or("达州");
            let short = county_name.trim_end_matches(['区', '县', '市']);
            let keyword = pick(&mut rng, &c.keywords).clone();
            let mut name = String::new();
            for attempt in 0..20 {
                let brand = pick(&mut rng, &w.brand);
                let suffix = pick(&mut rng, &w.suffix);
                let prefix = if attempt > 2 { short } else { "" };
                name = format!("{prefix}{brand}{keyword}{suffix}（示例）");
                if names.insert(name.clone()) {
                    break;
                }
            }
            let mut uscc = demo_uscc(&mut rng, &region)?;
            while !usccs.insert(uscc.clone()) {
                uscc = demo_uscc(&mut rng, &region)?;
            }
            let industry = IndustryCode::parse(pick(&mut rng, &c.industries).as_str())
                .map_err(|e| AppError::Internal(format!("chains.csv: {e}")))?;
            let band: f64 = rng.random();
            let (emp, rev) = if band < 0.03 {
                (rng.random_range(1000..5000), rng.random_range(40_000.0..500_000.0))
            } else if band < 0.18 {
                (rng.random_range(300..1000), rng.random_range(2_000.0..40_000.0))
            } else if band < 0.63 {
                (rng.random_range(20..300), rng.random_range(300.0..2_000.0))
            } else {
                (rng.random_range(3..20), rng.random_range(20.0..300.0))
            };
            let rev_fen = ((rev * 100.0f64).round() as i64) * 10_000;
            let assets_fen = ((rev * rng.random_range(0.8..2.0) * 100.0).round() as i64) * 10_000;
            let inputs = SizeInputs {
                employees: Some(emp),
                revenue_wan: Some(rev_fen as f64 / 1e6),
                assets_wan: Some(assets_fen as f64 / 1e6),
            };
            let year = rng.random_range(1990..2025);
            let d = EnterpriseData {
                uscc,
                name,
                region_code: region.clone(),
                park_code: park,
                industry_code: industry.as_str().to_string(),
                employees: Some(emp),
                revenue_fen: Some(rev_fen),
                assets_fen: Some(assets_fen),
                size: classify(&industry, &inputs).ok().map(|s| s.code().to_string()),
                above_scale: is_above_scale(&industry, rev_fen / 100),
                founded_on: chrono::NaiveDate::from_ymd_opt(year, rng.random_range(1..13), rng.random_range(1..29)),
                address: format!("{county_name}{}{}号", pick(&mut rng, &w.street), rng.random_range(1..400)),
                contact_name: format!("{}{}", pick(&mut rng, &w.surname), pick(&mut rng, &w.given)),
                contact_phone: format!("0818-{}", rng.random_range(2_000_000..2_999_999)),
                description: format!("示例数据：虚构企业，主营{keyword}，属{}。", c.name),
                is_demo: true,
            };
            let id = store::enterprise::insert(&mut tx, &d, now, None).await?;
            let after = serde_json::to_value(&d).map_err(|e| AppError::Internal(e.to_string()))?;
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(&actor, "enterprise.create", "enterprise", id, None, Some(after)),
            )
            .await?;
            store::chain::add_enterprise(&mut tx, chain_ids[ci], id).await?;
            all_ids.push(id);
            if rng.random_bool(0.1) {
                let same_field: Vec<usize> =
                    (0..chains.len()).filter(|&j| j != ci && chains[j].field == c.field).collect();
                if !same_field.is_empty() {
                    let j = *pick(&mut rng, &same_field);
                    store::chain::add_enterprise(&mut tx, chain_ids[j], id).await?;
                }
            }
            // Yearly figures grown from this year's revenue backwards: three years of all ten
            // indicators for a city; two years of five for a province (≈3,000,000 values).
            let base_year = 2025;
            let mut rev_y = rev;
            let (years, keep) = scale.indicator_plan();
            for k in 0..years {
                let year = base_year - k;
                let v = |code: &str, value: f64| store::indicator::NewValue {
                    enterprise_id: id,
                    indicator_code: code.into(),
                    period: year.to_string(),
                    value: (value * 100.0).round() / 100.0,
                    source: "示例数据".into(),
                    reported_on: None,
                };
                let out = rev_y * rng.random_range(0.9..1.15);
                let year_values = [
                    v("revenue", rev_y),
                    v("output_value", out),
                    v("added_value", out * rng.random_range(0.2..0.35)),
                    v("profit", rev_y * rng.random_range(-0.03..0.12)),
                    v("tax", rev_y * rng.random_range(0.02..0.06)),
                    v("employees", (emp as f64 * rng.random_range(0.9..1.05)).round()),
                    v("rd_expense", rev_y * rng.random_range(0.005..0.05)),
                    v("invention_patents", rng.random_range(0..(emp / 50 + 2)) as f64),
                    v("energy", out * rng.random_range(0.05..0.6)),
                    v("fixed_investment", rev_y * rng.random_range(0.02..0.3)),
                ];
                values.extend(year_values.into_iter().filter(|x| keep.contains(&x.indicator_code.as_str())));
                rev_y /= rng.random_range(0.95..1.25);
            }
            if values.len() >= 20_000 {
                store::indicator::upsert(&mut tx, &values, now, None).await?;
                values.clear();
            }
            if rng.random_bool(0.08) {
                let h = store::gradient::NewHonour {
                    enterprise_id: id,
                    kind_code: pick(&mut rng, &honour_kinds).to_string(),
                    level: if rng.random_bool(0.2) {
                        "national"
                    } else if rng.random_bool(0.5) {
                        "provincial"
                    } else {
                        "city"
                    }
                    .into(),
                    year: rng.random_range(2019..2026),
                    valid_until: None,
                    source: "示例数据".into(),
                };
                store::gradient::upsert_honour(&mut tx, &h, now, None).await?;
            }
            if d.above_scale {
                store::gradient::set_gradient(&mut tx, id, 2025, "above_scale", false, true, "示例", now, None).await?;
            } else if rev > 1_500.0 && industry.is_industrial() {
                store::gradient::set_gradient(
                    &mut tx,
                    id,
                    2026,
                    "above_scale",
                    true,
                    false,
                    "示例：年度上规培育目标",
                    now,
                    None,
                )
                .await?;
            }
            if reserve_left > 0 && rev > 20_000.0 && rng.random_bool(0.3) {
                reserve_left -= 1;
                let r = store::gradient::ReserveEntry {
                    enterprise_id: id,
                    kind: if rng.random_bool(0.8) { "listing" } else { "merger_target" }.into(),
                    stage: pick(&mut rng, &["cultivation", "cultivation", "tutoring", "filing"]).to_string(),
                    board: pick(&mut rng, &["main", "star", "chinext", "bse", "neeq", "undecided"]).to_string(),
                    since: chrono::NaiveDate::from_ymd_opt(rng.random_range(2021..2026), 1, 1),
                    note: "示例".into(),
                };
                store::gradient::upsert_reserve(&mut tx, &r, now, None).await?;
            }
            if first_in_xuanhan.is_none() && region == "511722" {
                first_in_xuanhan = Some(d.uscc.clone());
            }
            if k % 1000 == 999 {
                tracing::info!("demo: {} enterprises", k + 1);
            }
        }
        store::indicator::upsert(&mut tx, &values, now, None).await?;
        store::feed::append(&mut tx, "enterprise", &all_ids, "upsert", now).await?;
        store::account::set_setting(&mut tx, "demo_seed", &format!("{scale:?}:{seed}")).await?;
        tx.commit().await?;
        let placed = self.seed_chain_maps(&actor, &mut rng, now).await?;
        tracing::info!("demo: {placed} enterprises placed on chain maps");
        let graph = self.seed_product_graph(&actor, &mut rng).await?;
        let scheme = self.seed_demo_scheme().await?;
        tracing::info!(
            "demo: reference product graph of {} products, {} companies ({} proposals)",
            graph.products,
            graph.companies,
            graph.proposals
        );

        let chief_chain = chains.iter().find(|c| c.code == "gas_chemical").unwrap_or(&chains[0]).code.clone();
        let plan: [(&str, &str, Role, Option<String>); 14] = [
            ("demo.office", "示例·融圈强链办", Role::Office, None),
            ("demo.chief", "示例·链长", Role::Chief, Some(chief_chain.clone())),
            ("demo.leaddept", "示例·市经信局", Role::LeadDept, Some("jxj".into())),
            ("demo.unit", "示例·市科技局", Role::Unit, Some("kjj".into())),
            ("demo.region", "示例·宣汉县", Role::Region, Some("511722".into())),
            ("demo.enterprise", "示例·企业用户", Role::Enterprise, first_in_xuanhan),
            ("demo.bank", "示例·银行", Role::Bank, Some("示例银行达州分行".into())),
            ("demo.expert", "示例·专家", Role::Expert, None),
            ("demo.expert2", "示例·专家二", Role::Expert, None),
            ("demo.expert3", "示例·专家三", Role::Expert, None),
            ("demo.viewer", "示例·市领导", Role::Viewer, None),
            ("demo.sysadmin", "示例·系统管理员", Role::Sysadmin, None),
            ("demo.secadmin", "示例·安全管理员", Role::Secadmin, None),
            ("demo.auditor", "示例·安全审计员", Role::Auditor, None),
        ];
        let mut accounts = Vec::new();
        let mut experts = Vec::new();
        for (username, display, role, scope) in plan {
            let grant = Grant::new(role, scope.clone()).map_err(|e| AppError::Internal(e.to_string()))?;
            let password = crate::secret::random_password();
            let (account_id, _) =
                self.create_account(&actor, None, username, display, &[grant], Some(&password)).await?;
            if role == Role::Chief
                && let Some(chain) = store::chain::id_by_code(&self.db, &chief_chain).await?
            {
                let mut tx = self.db.begin().await?;
                store::chainmap::set_officer(&mut tx, chain, account_id, "chief").await?;
                let after = serde_json::json!({"chain_id": chain, "account_id": account_id, "role": "chief"});
                store::audit::append(
                    &mut tx,
                    now,
                    &audit_entry(&actor, "chain_officer.set", "chain", chain, None, Some(after)),
                )
                .await?;
                tx.commit().await?;
            }
            if role == Role::Expert {
                experts.push(crate::demo_runs::expert_principal(account_id, username, display));
            }
            accounts.push(DemoAccount { username: username.into(), password, role: role.code().into(), scope });
        }
        let runs = self.seed_demo_runs(scheme, &experts, &mut rng).await?;
        tracing::info!("demo: {runs} evaluation runs");
        let projects = self.seed_demo_projects(&actor, projects, seed).await?;
        tracing::info!("demo: {} key projects, {} monthly reports", projects.projects, projects.reports);
        let problems = self.seed_demo_problems(&actor, seed).await?;
        tracing::info!(
            "demo: {} problems ({} chain-wide groups), {} visits, {} meetings, {} tasks, {} plan items",
            problems.problems,
            problems.groups,
            problems.visits,
            problems.meetings,
            problems.tasks,
            problems.plan_items
        );
        Ok(DemoReport { chains: chains.len(), enterprises: n, accounts, projects, problems })
    }
}
