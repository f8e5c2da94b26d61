//! Demo evaluation runs (示例): for the three busiest chains (天然气化工 first) the 2024 and
//! 2025 runs of the citywide 链主 scheme, scored by three fictitious experts (one declares a
//! conflict, one strays once and is flagged), computed and approved, so that the three-tier
//! ledger has two years of history, changed tiers and exit procedures in several states; a
//! fourth chain's 2025 run waits for the office's review and a fifth's for the experts (the
//! demo expert has it on its list).

use crate::account::Principal;
use crate::evalrun::{ExitAction, NewRun, ReviewAction, RunConfig, ScoreIn, TierRule};
use crate::{App, Result};
use domain::role::{EnterpriseScope, Grant, Role};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The demo's tier rules: TOPSIS closeness of a chain's skewed figures sits low, so the
/// thresholds are lower than the defaults; three demonstration places per chain.
fn demo_config() -> RunConfig {
    RunConfig {
        demonstration: TierRule { min_score: 0.3, quota: 3 },
        cultivation: TierRule { min_score: 0.15, quota: 8 },
        candidate: TierRule { min_score: 0.08, quota: 15 },
        bar: 0.08,
        ..RunConfig::default()
    }
}

pub(crate) fn expert_principal(account_id: i64, username: &str, display_name: &str) -> Principal {
    let grants = vec![Grant { role: Role::Expert, scope: None }];
    Principal {
        account_id,
        username: username.into(),
        display_name: display_name.into(),
        enterprise_scope: EnterpriseScope::from_grants(&grants),
        grants,
        must_change_password: false,
        csrf_token: String::new(),
        ip: "demo".into(),
    }
}

impl App {
    /// Seeds the runs; `experts` are three expert principals, the first the demo login.
    pub(crate) async fn seed_demo_runs(
        &self,
        scheme: i64,
        experts: &[Principal],
        rng: &mut ChaCha8Rng,
    ) -> Result<usize> {
        let office = Principal::console();
        let mut chains = self.chain_infos().await?;
        chains.sort_by_key(|c| (c.code != "gas_chemical", -c.placements));
        let mut runs = 0;
        for (k, chain) in chains.iter().take(5).enumerate() {
            let years: &[i64] = if k < 3 { &[2024, 2025] } else { &[2025] };
            for &year in years {
                let new = NewRun {
                    scheme_id: scheme,
                    version: None,
                    chain: Some(chain.code.clone()),
                    year,
                    config: Some(demo_config()),
                };
                let run = match self.create_run(&office, &new).await {
                    Ok(id) => id,
                    Err(e) => {
                        tracing::warn!("demo: no run for {} {year}: {}", chain.name, e.user_message());
                        continue;
                    }
                };
                runs += 1;
                // The fifth chain's run waits for the experts: the demo expert has not started.
                let scorers: &[Principal] = if k == 4 { &experts[1..] } else { experts };
                for x in experts {
                    self.assign_expert(&office, run, &x.username).await?;
                }
                let form = self.scoring_form(&scorers[0], run).await?;
                let n = form.enterprises.len();
                // Experts score around the enterprise's place in the list (the matrix is in id
                // order, so a little noise on a spread of levels), on the 10-point scale.
                let base: Vec<f64> = (0..n).map(|_| rng.random_range(3..=9) as f64).collect();
                for (j, x) in scorers.iter().enumerate() {
                    let conflicts: Vec<i64> = if j == 2 && n > 3 { vec![form.enterprises[1].0] } else { Vec::new() };
                    let words =
                        if conflicts.is_empty() { "" } else { "曾为该企业提供技术咨询服务（示例）" };
                    self.declare_conflicts(x, run, &conflicts, words, true).await?;
                    let scores: Vec<ScoreIn> = form
                        .enterprises
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| !conflicts.contains(&e.0))
                        .map(|(r, e)| {
                            let mut s = base[r] + rng.random_range(-1..=1) as f64;
                            if j == 1 && r == 0 {
                                s = 10.0 - s; // a stray score, flagged as an outlier
                            }
                            ScoreIn {
                                enterprise_id: e.0,
                                indicator: "tech_level".into(),
                                score: s.clamp(0.0, 10.0),
                                note: String::new(),
                            }
                        })
                        .collect();
                    let submit = !(k == 4 && j == scorers.len() - 1);
                    self.save_scores(x, run, &scores, submit).await?;
                }
                if k == 4 {
                    continue;
                }
                let v = self.run_view(&office, run).await?;
                self.compute_run(&office, run, v.run.row_version).await?;
                if k == 3 {
                    continue;
                }
                let v = self.run_view(&office, run).await?;
                if year == 2025 && k == 0 {
                    // On review the office takes one demonstration enterprise down a tier and
                    // another out of the ledger.
                    let mut demo = v.results.iter().filter(|r| r.tier.as_deref() == Some("demonstration"));
                    if let Some(r) = demo.next() {
                        self.set_run_tier(
                            &office,
                            run,
                            r.enterprise_id,
                            Some("cultivation"),
                            "年内发生一般安全生产事故，降一档（示例）",
                        )
                        .await?;
                    }
                    if let Some(r) =
                        v.results.iter().find(|r| r.current_tier.is_some() && r.tier.as_deref() == Some("candidate"))
                    {
                        self.set_run_tier(
                            &office,
                            run,
                            r.enterprise_id,
                            None,
                            "列入失信被执行人名单，不予保留（示例）",
                        )
                        .await?;
                    }
                }
                let v = self.run_view(&office, run).await?;
                self.review_run(&office, run, ReviewAction::Comment, "数据已与统计部门核对（示例）", v.run.row_version)
                    .await?;
                self.review_run(&office, run, ReviewAction::Approve, "同意（示例）", v.run.row_version).await?;
            }
        }
        // Exit procedures in several states: one initiated with an appeal waiting, one lifted.
        let ledger = self.tier_ledger(&office, Some("leader"), None).await?;
        let mut open = ledger.exits.iter().filter(|x| x.state == "warning");
        if let Some(x) = open.next() {
            self.exit_step(
                &office,
                x.id,
                &ExitAction::Initiate { reason: "年度评价未达标且未按期整改（示例）".into() },
                x.row_version,
            )
            .await?;
            self.exit_step(
                &office,
                x.id,
                &ExitAction::Appeal {
                    text: "企业来函申诉：已完成整改，请求保留（示例，融圈强链办代为登记）".into()
                },
                x.row_version + 1,
            )
            .await?;
        }
        if let Some(x) = open.next() {
            self.exit_step(
                &office,
                x.id,
                &ExitAction::Lift { reason: "经核查整改到位，解除预警（示例）".into() },
                x.row_version,
            )
            .await?;
        }
        Ok(runs)
    }
}
