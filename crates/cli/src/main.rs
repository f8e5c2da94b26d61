//! The `qianglian` binary: serve, demo, user, audit.

use anyhow::{Context, Result, bail};
use app::App;
use app::demo::Scale;
use clap::{Args, Parser, Subcommand};
use domain::clock::SystemClock;
use domain::role::Grant;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// mimalloc: glibc's allocator spent a third of a bulk import in malloc/free (fragmentation).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "qianglian", version, about = "强链 重点产业链工作平台 / Qianglian industrial-chain platform")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Data directory (SQLite file, demo accounts).
    #[arg(long, default_value = "./qianglian-data", env = "QIANGLIAN_DATA_DIR")]
    data_dir: PathBuf,
    /// postgres://… to run on PostgreSQL instead of the embedded SQLite.
    #[arg(long, env = "QIANGLIAN_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the web server.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seed the demo city on first start and write demo-accounts.json.
        #[arg(long)]
        demo: bool,
        /// Served behind a TLS proxy: Secure __Host- cookies and HSTS.
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Seed the demo city (fictitious enterprises marked 示例) and one account per role.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value = "city")]
        scale: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Key projects to generate (default: 300 for a city, 20,000 for a province).
        #[arg(long)]
        projects: Option<usize>,
        /// Months of monthly reports back from this month (default: 24 for a city, 70 for a
        /// province, which gives about a million reports).
        #[arg(long)]
        report_months: Option<u32>,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Import enterprises, indicator values or honours from an xlsx or csv file: every row is
    /// validated first; one invalid row imports nothing and the report names row and column.
    /// `import product-graph DIR` reads a reference product graph (JSON lines: products.jsonl,
    /// product_relations.jsonl, companies.jsonl, company_products.jsonl and optionally
    /// company_industries.jsonl), cleans it and replaces the stored one.
    Import {
        /// enterprises, indicators, honours, reserve, projects or product-graph
        kind: String,
        file: PathBuf,
        /// Validate and show what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// projects: write the projects (without it, only check and preview).
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export enterprises to FILE.xlsx or FILE.csv (the extension decides), or projects to
    /// FILE.xlsx in the county layout.
    Export {
        /// enterprises or projects
        kind: String,
        file: PathBuf,
        /// Only this county or park.
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Rebuild this instance's search index from the database.
    Reindex {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Chain maps: analytics.
    Chain {
        #[command(subcommand)]
        cmd: ChainCmd,
    },
    /// Recompute an evaluation from its matrix (no database): weights, scores, ranks.
    Eval {
        #[command(subcommand)]
        cmd: EvalCmd,
    },
}

#[derive(Subcommand)]
enum EvalCmd {
    /// Weights, and per alternative score and rank, of a decision matrix: the csv or xlsx has a
    /// header row of criterion names and the alternative's id in the first column.
    Compute {
        /// The decision matrix, .csv (UTF-8) or .xlsx (the sheet named 矩阵, else the first with
        /// content; numbers read exactly as stored), told apart by content: a header row of
        /// criterion names after the id column, then one row per alternative.
        #[arg(long)]
        matrix: PathBuf,
        /// Criterion types in column order: b (benefit) or c (cost), e.g. b,b,c.
        #[arg(long)]
        types: String,
        /// entropy | entropy-shift | critic | equal | given:w1,w2,… | ahp:PAIRWISE.csv[;MORE.csv]
        #[arg(long)]
        weighting: String,
        /// topsis | wsum
        #[arg(long, default_value = "topsis")]
        method: String,
        /// vector | minmax (TOPSIS; the weighted sum is always on min-max values)
        #[arg(long, default_value = "vector")]
        normalization: String,
        /// Accept an AHP matrix whose CR is 0.1 or more, for this recorded reason.
        #[arg(long)]
        cr_override: Option<String>,
        /// Also each result's per-criterion contributions (adding up to its score).
        #[arg(long)]
        contributions: bool,
        /// Print {"weights":[…],"results":[{"id","score","rank"}]}.
        #[arg(long)]
        json: bool,
    },
    /// The decision matrix of an evaluation scheme's quantitative indicators for a chain's
    /// enterprises and a year, as the csv `eval compute --matrix` reads (notes and the
    /// --types to use on stderr).
    Matrix {
        #[arg(long)]
        scheme: i64,
        #[arg(long)]
        year: i64,
        /// Chain id or code (default: the scheme's chain).
        #[arg(long)]
        chain: Option<String>,
        /// Version number (default: the latest).
        #[arg(long)]
        version: Option<i64>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Weights, λmax, CI and CR of an AHP pairwise matrix (csv).
    Ahp {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ChainCmd {
    /// Analyse a chain's map (coverage, strength, local supporting rate, single points of
    /// failure, concentration, cross-chain links): the figures of
    /// GET /api/v1/chains/{id}/analysis.
    Analyze {
        /// Chain id or code (e.g. 2 or gas_chemical).
        chain: String,
        /// Print the analysis as JSON (the API's format).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Analyse a chain map given as a JSON file (segments, edges, placements, supplies), with
    /// no database: for re-verification and benchmarks.
    AnalyzeFile {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Import a whole chain map from the workbook the export writes (sheets 环节, 环节关系,
    /// 企业布局): checks every row and shows what would change; writes only with --apply and
    /// only when the file has no problem.
    ImportMap {
        /// Chain id or code.
        chain: String,
        file: PathBuf,
        /// Write the changes (without it: a preview, nothing written).
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The analysis as a table for a person.
fn print_analysis(a: &app::domain::chainmap::Analysis, names: &std::collections::HashMap<i64, String>) {
    use app::domain::chainmap::Strength;
    let label = |s: &Strength| match s {
        Strength::Strong => "强（锻长板）",
        Strength::Weak => "弱（补短板）",
        Strength::Missing => "缺（建新链）",
    };
    println!("{:<24} {:>6} {:>6} {:>6} {:>8} {:>6}  强弱", "环节", "企业", "本地", "链主", "覆盖度", "HHI");
    for s in &a.segments {
        let name = names.get(&s.id).cloned().unwrap_or_else(|| s.name.clone());
        let hhi = s.hhi.map(|h| format!("{h:.3}")).unwrap_or_else(|| "-".into());
        println!(
            "{:<24} {:>6} {:>6} {:>6} {:>8.2} {:>6}  {}",
            name,
            s.enterprises,
            s.local_enterprises,
            s.leaders,
            s.coverage,
            hhi,
            label(&s.strength)
        );
    }
    match a.local_supporting_rate {
        Some(r) => println!("本地配套率：{:.1}%", r * 100.0),
        None => println!("本地配套率：无配套数据"),
    }
    println!("单点风险：{} 处", a.single_points_of_failure.len());
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account. The password is read from standard input when it is not a
    /// terminal; otherwise one is generated and printed once.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Role code (office, chief, lead_dept, unit, region, enterprise, bank, expert, viewer,
        /// sysadmin, secadmin, auditor), optionally with its scope as role:scope.
        #[arg(long)]
        role: String,
        /// Scope of the role (chain code, department code, region code, USCC, institution).
        #[arg(long)]
        scope: Option<String>,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Recompute the audit hash chain; exits non-zero naming the first broken row.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn join_lines(lines: &[usize]) -> String {
    lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("、")
}

fn database_url(db: &DbArgs) -> Result<String> {
    if let Some(u) = &db.database_url {
        return Ok(u.clone());
    }
    std::fs::create_dir_all(&db.data_dir).with_context(|| format!("无法创建数据目录 {}", db.data_dir.display()))?;
    Ok(format!("sqlite://{}", db.data_dir.join("qianglian.db").display()))
}

async fn open(db: &DbArgs) -> Result<App> {
    let url = database_url(db)?;
    App::open(&url, Arc::new(SystemClock), &Default::default())
        .await
        .map_err(|e| anyhow::anyhow!("无法打开数据库：{e}"))
}

/// Opens the database and this instance's search index under the data directory.
async fn open_with_search(db: &DbArgs) -> Result<App> {
    let app = open(db).await?;
    let dir = db.data_dir.join("search-index");
    std::fs::create_dir_all(&dir).with_context(|| format!("无法创建索引目录 {}", dir.display()))?;
    let index = search::SearchIndex::open(&dir).map_err(|e| anyhow::anyhow!("无法打开搜索索引：{e}"))?;
    Ok(app.with_search(index))
}

fn write_demo_accounts(dir: &Path, accounts: &[app::demo::DemoAccount]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("demo-accounts.json");
    std::fs::write(&path, serde_json::to_string_pretty(accounts)?)?;
    Ok(path)
}

fn scale_of(s: &str) -> Result<Scale> {
    Scale::parse(s).with_context(|| format!("未知规模“{s}”，应为 city 或 province"))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Serve { db, bind, demo, secure_cookies } => {
            let app = open_with_search(&db).await?;
            if demo {
                match app.seed_demo(Scale::City, 42).await {
                    Ok(report) => {
                        let path = write_demo_accounts(&db.data_dir, &report.accounts)?;
                        eprintln!(
                            "演示模式：已生成示例城市（{} 条产业链、{} 家虚构企业、{} 个重点项目），示例账号写入 {}",
                            report.chains,
                            report.enterprises,
                            report.projects.projects,
                            path.display()
                        );
                    }
                    Err(app::AppError::Conflict(_)) => {
                        eprintln!(
                            "演示模式：示例数据已存在，示例账号见 {}",
                            db.data_dir.join("demo-accounts.json").display()
                        );
                    }
                    Err(e) => bail!("生成示例数据失败：{e}"),
                }
            }
            app.sync_search().await.map_err(|e| anyhow::anyhow!("搜索索引同步失败：{e}"))?;
            // Follow the change feed so that writes made through other instances are found too,
            // and keep today's project codes current (a request then rarely waits for them).
            let follower = app.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
                let mut swept: Option<std::time::Instant> = None;
                loop {
                    tick.tick().await;
                    if let Err(e) = follower.sync_search().await {
                        tracing::warn!("search sync: {e}");
                    }
                    if let Err(e) = follower.refresh_project_codes().await {
                        tracing::warn!("project codes: {e}");
                    }
                    // Problems whose level's deadline passed escalate, unrated answers close:
                    // at start and every ten minutes (each step guarded by the row's version,
                    // so several instances sweeping at once do each step once).
                    if swept.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(600)) {
                        swept = Some(std::time::Instant::now());
                        match follower.sweep_problems().await {
                            Ok(r) if r.escalated + r.closed > 0 => {
                                tracing::info!("problems: {} escalated, {} closed unrated", r.escalated, r.closed)
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!("problem sweep: {e}"),
                        }
                    }
                }
            });
            let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("无法监听 {bind}"))?;
            let addr = listener.local_addr()?;
            eprintln!("强链已启动：http://{addr}/ （数据库：{}）", app.db.backend().name());
            let cfg = web::WebConfig { secure_cookies, demo, ..Default::default() };
            web::serve(app, cfg, listener).await?;
            Ok(())
        }
        Cmd::Demo { db, scale, seed, projects, report_months } => {
            let scale = scale_of(&scale)?;
            let mut plan = scale.project_plan();
            plan.projects = projects.unwrap_or(plan.projects);
            if let Some(m) = report_months {
                if !(2..=240).contains(&m) {
                    bail!("--report-months 应在 2 到 240 之间");
                }
                plan.months = m;
            }
            let app = open(&db).await?;
            let report = app.seed_demo_with(scale, seed, plan).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let path = write_demo_accounts(&db.data_dir, &report.accounts)?;
            println!(
                "已生成示例城市：{} 条产业链，{} 家虚构企业（示例），{} 个重点项目（{} 条月报），{} 个示例账号（见 {}）",
                report.chains,
                report.enterprises,
                report.projects.projects,
                report.projects.reports,
                report.accounts.len(),
                path.display()
            );
            Ok(())
        }
        Cmd::User { cmd: UserCmd::Add { db, username, display_name, role, scope } } => {
            let spec = match scope {
                Some(s) if !role.contains(':') => format!("{role}:{s}"),
                _ => role,
            };
            let grant = Grant::parse(&spec).map_err(|e| anyhow::anyhow!("{e}"))?;
            let password = if std::io::stdin().is_terminal() {
                None
            } else {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                let s = s.lines().next().unwrap_or("").to_string();
                (!s.is_empty()).then_some(s)
            };
            let app = open(&db).await?;
            let name = display_name.unwrap_or_else(|| username.clone());
            let (id, generated) = app
                .create_account(&app::Actor::cli(), None, &username, &name, &[grant], password.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            println!("已创建账号 {username}（编号 {id}）");
            if let Some(pw) = generated {
                println!("初始密码（仅显示一次，首次登录须修改）：{pw}");
            }
            Ok(())
        }
        Cmd::User { cmd: UserCmd::List { db } } => {
            let app = open(&db).await?;
            let all = app::store::account::list(&app.db).await?;
            let grants = app::store::account::all_grants(&app.db).await?;
            for a in all {
                let g: Vec<String> = grants
                    .iter()
                    .filter(|(id, _)| *id == a.id)
                    .map(|(_, g)| match &g.scope {
                        Some(s) => format!("{}:{s}", g.role.code()),
                        None => g.role.code().to_string(),
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    a.username,
                    a.display_name,
                    g.join(" "),
                    if a.disabled { "停用" } else { "正常" }
                );
            }
            Ok(())
        }
        Cmd::Import { kind, file, dry_run, db, .. } if kind == "product-graph" => {
            let report = if dry_run {
                let raw = app::productgraph::read_graph_dir(&file).map_err(|e| anyhow::anyhow!(e.user_message()))?;
                let (g, report) = app::productgraph::clean_graph(&raw);
                println!(
                    "校验通过（未写入）：产品 {} 个，关系 {} 条，公司 {} 家，公司产品 {} 条，公司行业 {} 条；清洗删除 {} 条",
                    g.products.len(),
                    g.supplies.len() + g.subcategories.len(),
                    g.companies.len(),
                    g.company_products.len(),
                    g.company_industries.len(),
                    report.dropped()
                );
                report
            } else {
                let app = open(&db).await?;
                let r = app
                    .import_product_graph(&app::account::Principal::console(), &file)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.user_message()))?;
                println!(
                    "已导入参考产品图谱：产品 {} 个，关系 {} 条，公司 {} 家，公司产品 {} 条，公司行业 {} 条；清洗删除 {} 条；提出环节产品匹配建议 {} 条",
                    r.products,
                    r.relations,
                    r.companies,
                    r.company_products,
                    r.company_industries,
                    r.dropped,
                    r.proposals
                );
                r.report
            };
            for f in &report.files {
                println!("{}：读入 {} 行，保留 {} 行", f.file, f.read, f.kept);
                for d in &f.dropped {
                    println!("  删除 {} 行：{}（如第 {} 行）", d.count, d.reason, join_lines(&d.lines));
                }
                for d in &f.repaired {
                    println!("  修正 {} 行：{}（如第 {} 行）", d.count, d.reason, join_lines(&d.lines));
                }
            }
            Ok(())
        }
        Cmd::Import { kind, file, apply, db, .. } if kind == "projects" => {
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let app = open(&db).await?;
            let opts = app::project_xlsx::ProjectImportOptions { apply, ..Default::default() };
            let r = app
                .import_projects(&app::account::Principal::console(), &bytes, &name, &opts)
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            for w in &r.warnings {
                eprintln!("提示：{w}");
            }
            if !r.errors.is_empty() {
                for e in r.errors.iter().take(200) {
                    eprintln!("第 {} 行 [{}] “{}”：{}", e.line, e.column, e.value, e.message);
                }
                bail!("{} 行中有 {} 处错误，未导入任何项目", r.rows, r.error_total);
            }
            if r.committed {
                println!("已导入 {} 个重点项目", r.created);
            } else {
                let years: Vec<String> = r.plan_years.iter().map(|y| format!("{y}年")).collect();
                println!("校验通过（未写入，加 --apply 导入）：{} 行，年度计划列：{}", r.rows, years.join("、"));
                for p in &r.preview {
                    let code = if p.code.is_empty() { "（编号自动生成）" } else { p.code.as_str() };
                    println!(
                        "第 {} 行：{code} {}（{}，{}，总投资 {} 万元）",
                        p.line, p.name, p.chain, p.region, p.total_wan
                    );
                }
            }
            Ok(())
        }
        Cmd::Import { kind, file, dry_run, db, .. } => {
            let kind = app::import::ImportKind::parse(&kind)
                .with_context(|| format!("未知导入类型“{kind}”，应为 enterprises、indicators、honours 或 reserve"))?;
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let app = open(&db).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} 行")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message("校验");
            let opts = app::import::ImportOptions {
                dry_run,
                limits: Some(office::Limits { max_bytes: 1 << 30, max_uncompressed: 4 << 30, ..Default::default() }),
                ..Default::default()
            };
            let report = app
                .import(&app::account::Principal::console(), kind, bytes.into(), &name, &opts, &|n, total| {
                    bar.set_length(total as u64);
                    bar.set_position(n as u64);
                })
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            bar.finish_and_clear();
            for w in &report.warnings {
                eprintln!("提示：{w}");
            }
            if !report.errors.is_empty() {
                for e in report.errors.iter().take(200) {
                    eprintln!("第 {} 行 [{}] “{}”：{}", e.line, e.column, e.value, e.message);
                }
                if report.error_total > 200 {
                    eprintln!("……共 {} 处错误", report.error_total);
                }
                bail!("{} 行中有 {} 处错误，未导入任何数据", report.rows, report.error_total);
            }
            let verb = if report.committed { "已导入" } else { "校验通过（--dry-run，未写入）" };
            println!(
                "{verb}：{} 行，新增 {}，更新 {}，未变 {}",
                report.rows, report.created, report.updated, report.unchanged
            );
            Ok(())
        }
        Cmd::Export { kind, file, region, db } if kind == "projects" => {
            let app = open(&db).await?;
            let f = app::store::project::Filter { region, ..Default::default() };
            let bytes = app
                .export_projects_xlsx(&app::account::Principal::console(), &f)
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            std::fs::write(&file, bytes).with_context(|| format!("无法写入 {}", file.display()))?;
            println!("已导出重点项目清单到 {}", file.display());
            Ok(())
        }
        Cmd::Export { kind, file, region, db } => {
            if kind != "enterprises" {
                bail!("未知导出类型“{kind}”，应为 enterprises 或 projects");
            }
            let app = open(&db).await?;
            let f = app::store::enterprise::Filter { region, ..Default::default() };
            let rows = app
                .enterprise_export(&app::account::Principal::console(), &f)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                Some("xlsx") => app::export::enterprises_xlsx(&rows).map_err(|e| anyhow::anyhow!("{e}"))?,
                Some("csv") => app::export::enterprises_csv(&rows).map_err(|e| anyhow::anyhow!("{e}"))?,
                _ => bail!("导出文件的扩展名应为 .xlsx 或 .csv"),
            };
            std::fs::write(&file, bytes).with_context(|| format!("无法写入 {}", file.display()))?;
            println!("已导出 {} 家企业到 {}", rows.len(), file.display());
            Ok(())
        }
        Cmd::Reindex { db } => {
            let app = open_with_search(&db).await?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message("重建搜索索引");
            let n = app.reindex(&|n| bar.set_position(n as u64)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            println!("搜索索引已重建：{n} 家企业");
            Ok(())
        }
        Cmd::Chain { cmd: ChainCmd::Analyze { chain, json, db } } => {
            let app = open(&db).await?;
            let console = app::account::Principal::console();
            let a = app.chain_analysis(&console, &chain).await.map_err(|e| anyhow::anyhow!("{}", e.user_message()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                let info = app.chain_info(&chain).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("{}（{}）", info.name, info.code);
                print_analysis(&a, &Default::default());
            }
            Ok(())
        }
        Cmd::Chain { cmd: ChainCmd::ImportMap { chain, file, apply, db } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let app = open(&db).await?;
            let r = app
                .import_chain_map(&app::account::Principal::console(), &chain, &bytes, apply)
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            for w in &r.warnings {
                eprintln!("提示：{w}");
            }
            if r.error_total > 0 {
                for e in r.errors.iter().take(200) {
                    if e.value.is_empty() {
                        eprintln!("{e}");
                    } else {
                        eprintln!("{e}（值：“{}”）", e.value);
                    }
                }
                bail!("{} 处错误，未导入任何内容", r.error_total);
            }
            for c in r.changes.iter().take(50) {
                let line = if c.line > 0 { format!("第 {} 行", c.line) } else { "文件中没有".into() };
                println!("[{}·{line}] {} {}：{}", c.sheet, c.action, c.subject, c.detail);
            }
            let verb = if r.applied {
                "已导入"
            } else if !r.changes_anything() {
                "文件与当前图谱一致，无需导入"
            } else {
                "校验通过（未加 --apply，未写入）"
            };
            println!("{verb}：{}（{}）：{}", r.chain_name, r.chain, r.summary());
            Ok(())
        }
        Cmd::Chain { cmd: ChainCmd::AnalyzeFile { file, json } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let g: app::domain::chainmap::ChainGraph =
                serde_json::from_str(&text).with_context(|| format!("{} 不是产业链图谱 JSON", file.display()))?;
            let a = app::domain::chainmap::analyze(&g, &Default::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string(&a)?);
            } else {
                print_analysis(&a, &Default::default());
            }
            Ok(())
        }
        Cmd::Eval {
            cmd: EvalCmd::Compute { matrix, types, weighting, method, normalization, cr_override, contributions, json },
        } => {
            let fail = |e: app::AppError| anyhow::anyhow!(e.user_message());
            let read = |f: &str| -> app::Result<Vec<u8>> {
                std::fs::read(f).map_err(|e| app::AppError::invalid("weighting", format!("无法读取 {f}：{e}")))
            };
            let bytes = std::fs::read(&matrix).with_context(|| format!("无法读取 {}", matrix.display()))?;
            let name = matrix.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            let table = app::eval::read_matrix(&bytes, &name).map_err(fail)?;
            let kinds = app::eval::parse_kinds(&types).map_err(fail)?;
            let mut w = app::eval::parse_weighting(&weighting, &read).map_err(fail)?;
            if let app::eval::Weighting::Ahp { override_reason, .. } = &mut w {
                *override_reason = cr_override;
            }
            let method =
                app::eval::Method::parse(&method).with_context(|| format!("--method “{method}”应为 topsis 或 wsum"))?;
            let how = app::domain::eval::Normalization::parse(&normalization)
                .with_context(|| format!("--normalization “{normalization}”应为 vector 或 minmax"))?;
            let r = app::eval::compute_with(&table, &kinds, &w, method, how, contributions).map_err(fail)?;
            use std::io::Write;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            if json {
                serde_json::to_writer(&mut out, &r)?;
                writeln!(out)?;
            } else {
                writeln!(out, "权重：")?;
                for (c, w) in r.criteria.iter().zip(&r.weights) {
                    writeln!(out, "  {c}\t{w:.6}")?;
                }
                if let Some(a) = &r.ahp {
                    writeln!(out, "λmax {:.6}  CI {:.6}  CR {:.6}", a.lambda_max, a.ci, a.cr)?;
                }
                writeln!(out, "编号\t得分\t名次")?;
                for x in &r.results {
                    write!(out, "{}\t{:.6}\t{}", x.id, x.score, x.rank)?;
                    for c in x.contributions.iter().flatten() {
                        write!(out, "\t{c:.6}")?;
                    }
                    writeln!(out)?;
                }
            }
            out.flush()?;
            Ok(())
        }
        Cmd::Eval { cmd: EvalCmd::Matrix { scheme, year, chain, version, db } } => {
            let app = open(&db).await?;
            let m = app
                .scheme_matrix(&app::account::Principal::console(), scheme, version, chain.as_deref(), year)
                .await
                .map_err(|e| anyhow::anyhow!(e.user_message()))?;
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            let mut header = vec!["id".to_string()];
            header.extend(m.table.criteria.iter().cloned());
            w.write_record(&header)?;
            for (id, row) in m.table.ids.iter().zip(&m.table.rows) {
                let mut rec = vec![id.clone()];
                rec.extend(row.iter().map(|v| v.to_string()));
                w.write_record(&rec)?;
            }
            w.flush()?;
            for n in &m.notes {
                eprintln!("说明：{n}");
            }
            if !m.qualitative.is_empty() {
                eprintln!("定性指标（由专家评分，不在本矩阵中）：{}", m.qualitative.join("、"));
            }
            eprintln!(
                "方案 {} 第 {} 版，{} 年；复算：qianglian eval compute --matrix 文件.csv --types {}",
                scheme,
                m.version,
                year,
                m.types.join(",")
            );
            Ok(())
        }
        Cmd::Eval { cmd: EvalCmd::Ahp { file, json } } => {
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let a = app::eval::read_pairwise_csv(&bytes).map_err(|e| anyhow::anyhow!(e.user_message()))?;
            let r = app::domain::eval::ahp(&a).map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                let w: Vec<String> = r.weights.iter().map(|w| format!("{w:.6}")).collect();
                println!("权重：{}", w.join("  "));
                println!("λmax {:.6}  CI {:.6}  CR {:.6}", r.lambda_max, r.ci, r.cr);
                if r.cr >= app::domain::eval::CR_LIMIT {
                    println!("CR 不小于 0.1：未通过一致性检验");
                } else {
                    println!("通过一致性检验（CR < 0.1）");
                }
            }
            Ok(())
        }
        Cmd::Audit { cmd: AuditCmd::Verify { db } } => {
            let app = open(&db).await?;
            let v = app.audit_verify(None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            match v.first_broken {
                None => {
                    println!("审计日志完整：{} 条记录的哈希链校验通过", v.rows);
                    Ok(())
                }
                Some((seq, why)) => bail!("审计日志第 {seq} 条记录校验失败：{why}"),
            }
        }
    }
}
