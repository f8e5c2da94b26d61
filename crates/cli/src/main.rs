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
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
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
            let app = open(&db).await?;
            if demo {
                match app.seed_demo(Scale::City, 42).await {
                    Ok(report) => {
                        let path = write_demo_accounts(&db.data_dir, &report.accounts)?;
                        eprintln!(
                            "演示模式：已生成示例城市（{} 条产业链、{} 家虚构企业），示例账号写入 {}",
                            report.chains,
                            report.enterprises,
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
            let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("无法监听 {bind}"))?;
            let addr = listener.local_addr()?;
            eprintln!("强链已启动：http://{addr}/ （数据库：{}）", app.db.backend().name());
            let cfg = web::WebConfig { secure_cookies, demo, ..Default::default() };
            web::serve(app, cfg, listener).await?;
            Ok(())
        }
        Cmd::Demo { db, scale, seed } => {
            let scale = scale_of(&scale)?;
            let app = open(&db).await?;
            let report = app.seed_demo(scale, seed).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let path = write_demo_accounts(&db.data_dir, &report.accounts)?;
            println!(
                "已生成示例城市：{} 条产业链，{} 家虚构企业（示例），{} 个示例账号（见 {}）",
                report.chains,
                report.enterprises,
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
                .map_err(|e| match e {
                    app::AppError::Invalid(f) => {
                        anyhow::anyhow!(f.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；"))
                    }
                    e => anyhow::anyhow!("{e}"),
                })?;
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
