//! Import of the listing reserve pool (上市后备企业资源库): one entry per enterprise with
//! its stage and board, as the financial office keeps it in Excel. Same discipline as the
//! other imports: every row checked, a report by row and column, all rows or none.

use crate::account::Principal;
use crate::import::{ImportOptions, ImportReport, RowProblem, cell, file_usccs, writable_enterprise};
use crate::ledger::{BOARDS, STAGES};
use crate::{App, Result};
use office::{HeaderMap, Table};
use std::collections::HashMap;
use store::gradient::ReserveEntry;

/// Entry types by code and by the words a file uses.
const KINDS: [(&str, &[&str]); 2] =
    [("listing", &["上市后备", "上市后备企业", "后备"]), ("merger_target", &["并购标的", "并购", "并购重组"])];

/// Extra names for boards that files use besides the labels in [`BOARDS`].
const BOARD_WORDS: [(&str, &[&str]); 7] = [
    ("main", &["主板", "上交所主板", "深交所主板", "沪市主板", "深市主板"]),
    ("star", &["科创"]),
    ("chinext", &["创业"]),
    ("bse", &["北京证券交易所", "北交"]),
    ("neeq", &["全国股转系统", "新三板挂牌", "三板"]),
    ("hk", &["港股", "香港联交所", "香港"]),
    ("undecided", &["待定", "未确定", ""]),
];

fn code_of(
    text: &str,
    labels: &[(&'static str, &'static str)],
    words: &[(&'static str, &[&str])],
) -> Option<&'static str> {
    let t = text.trim();
    labels
        .iter()
        .find(|(code, label)| *code == t || *label == t)
        .map(|(code, _)| *code)
        .or_else(|| words.iter().find(|(_, ws)| ws.contains(&t)).map(|(code, _)| *code))
}

impl App {
    pub(crate) async fn import_reserve(
        &self,
        p: &Principal,
        table: Table,
        map: &HeaderMap,
        opts: &ImportOptions,
        report: &mut ImportReport,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<()> {
        let known = self.known(p, &file_usccs(&table, map)).await?;
        let today = self.now().date_naive();
        let mut seen: HashMap<i64, usize> = HashMap::new();
        let mut entries = Vec::new();
        let total = table.rows.len();
        for (n, row) in table.rows.into_iter().enumerate() {
            if n % 1000 == 0 {
                progress(n, total);
            }
            let c = |k: &str| cell(map, &row.cells, k).trim().to_string();
            let err = |column: &str, value: String, message: &str| RowProblem {
                line: row.line,
                column: column.into(),
                value,
                message: message.into(),
            };
            let mut problems = Vec::new();
            let enterprise = writable_enterprise(&known, &c("uscc"))
                .map_err(|m| problems.push(err("统一社会信用代码", c("uscc"), &m)))
                .ok();
            let stage = code_of(
                &c("stage"),
                &STAGES,
                &[("tutoring", &["辅导", "辅导备案期"]), ("filing", &["申报期", "已申报"])],
            );
            if stage.is_none() {
                problems.push(err("阶段", c("stage"), "阶段应为培育、辅导备案、申报或上市"));
            }
            let board = code_of(&c("board"), &BOARDS, &BOARD_WORDS);
            if board.is_none() {
                problems.push(err(
                    "拟上市板块",
                    c("board"),
                    "板块应为沪深主板、科创板、创业板、北交所、新三板、港交所、境外或未定",
                ));
            }
            let kind = if c("kind").is_empty() { Some("listing") } else { code_of(&c("kind"), &[], &KINDS) };
            if kind.is_none() {
                problems.push(err("类型", c("kind"), "类型应为上市后备或并购标的"));
            }
            let since = match c("since") {
                v if v.is_empty() => None,
                v => match office::dates::parse_date(&v) {
                    Ok(d) if d <= today => Some(d),
                    Ok(_) => {
                        problems.push(err("入库日期", v, "入库日期不能晚于今天"));
                        None
                    }
                    Err(m) => {
                        problems.push(err("入库日期", v, &m));
                        None
                    }
                },
            };
            let note = c("note");
            if note.chars().count() > 500 {
                problems.push(err("备注", note.chars().take(20).collect(), "备注不超过500个字"));
            }
            if let (Some(eid), Some(stage), Some(board), Some(kind), true) =
                (enterprise, stage, board, kind, problems.is_empty())
            {
                if let Some(first) = seen.insert(eid, row.line) {
                    problems.push(err("统一社会信用代码", c("uscc"), &format!("与第 {first} 行是同一企业")));
                } else {
                    entries.push(ReserveEntry {
                        enterprise_id: eid,
                        kind: kind.into(),
                        stage: stage.into(),
                        board: board.into(),
                        since,
                        note,
                    });
                }
            }
            report.add_problems(problems);
        }
        progress(total, total);
        report.created = entries.len();
        if !report.errors.is_empty() || opts.dry_run {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        for e in &entries {
            store::gradient::upsert_reserve(&mut tx, e, now, p.by()).await?;
        }
        let after = serde_json::json!({"file": report.file, "rows": report.rows, "entries": entries.len()});
        self.close_import(tx, p, "import.reserve", report, after).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_boards_and_kinds_by_label_code_or_common_word() {
        let stage = |t: &str| code_of(t, &STAGES, &[("tutoring", &["辅导"])]);
        assert_eq!(stage("辅导备案"), Some("tutoring"));
        assert_eq!(stage("辅导"), Some("tutoring"));
        assert_eq!(stage("listed"), Some("listed"));
        assert_eq!(stage("观望"), None);
        let board = |t: &str| code_of(t, &BOARDS, &BOARD_WORDS);
        assert_eq!(board("科创板"), Some("star"));
        assert_eq!(board(" 北交所 "), Some("bse"));
        assert_eq!(board("港股"), Some("hk"));
        assert_eq!(board(""), Some("undecided"));
        assert_eq!(board("纳斯达克"), None);
        assert_eq!(code_of("并购标的", &[], &KINDS), Some("merger_target"));
        assert_eq!(code_of("其他", &[], &KINDS), None);
    }
}
