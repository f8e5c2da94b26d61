//! Imports: every bad input refused with a row/column message and nothing written; good
//! files written whole; csv in GBK; region names; updates keep columns the file lacks.

use crate::harness::{all, backends, count, principal, uscc};
use app::AppError;
use app::import::{ImportKind, ImportOptions, ImportReport};

async fn run(
    app: &app::App,
    p: &app::account::Principal,
    kind: ImportKind,
    bytes: &[u8],
    name: &str,
    dry: bool,
) -> Result<ImportReport, AppError> {
    app.import(
        p,
        kind,
        bytes::Bytes::copy_from_slice(bytes),
        name,
        &ImportOptions { dry_run: dry, ..Default::default() },
        &|_, _| {},
    )
    .await
}

async fn enterprise_count(app: &app::App, p: &app::account::Principal) -> i64 {
    app.enterprise_count(p, &Default::default()).await.expect("count")
}

#[tokio::test]
async fn enterprise_files_are_all_or_nothing() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = principal(app, "imp.office", "导入员", &["office"]).await;
        let (a, b) = (uscc("511722", 11), uscc("511702", 12));
        let good = format!(
            "统一社会信用代码,企业名称,所属区县,行业代码,营业收入（万元）,成立日期\n{a},甲导入有限公司,宣汉县,C2614,45000,2010/5/1\n{b},乙导入有限公司,通川,3061,800,2015年3月2日\n"
        );
        // One bad row (wrong check character) among good ones: nothing written, row and column named.
        let mut bad_code = b.clone();
        let last = bad_code.pop().unwrap();
        bad_code.push(if last == '0' { '1' } else { '0' });
        let bad = good.replace(&b, &bad_code);
        let r = run(app, &p, ImportKind::Enterprises, bad.as_bytes(), "bad.csv", false).await.expect("report");
        assert!(!r.committed, "{n}");
        assert_eq!(r.errors.len(), 1, "{n}: {:?}", r.errors);
        assert_eq!((r.errors[0].line, r.errors[0].column.as_str()), (3, "统一社会信用代码"), "{n}");
        assert!(r.errors[0].message.contains("第18位"), "{n}: {}", r.errors[0].message);
        assert_eq!(enterprise_count(app, &p).await, 0, "{n}");
        // Duplicate USCC inside the file.
        let dup = format!("{good}{a},甲重复有限公司,宣汉县,2614,1,\n");
        let r = run(app, &p, ImportKind::Enterprises, dup.as_bytes(), "dup.csv", false).await.expect("report");
        assert_eq!(r.errors.len(), 1, "{n}");
        assert!(r.errors[0].message.contains("第 2 行"), "{n}: {}", r.errors[0].message);
        assert_eq!(enterprise_count(app, &p).await, 0, "{n}");
        // A park named as the county: one message for that cell, naming the park's code.
        let park = good.replace("宣汉县", "达州高新区");
        let r = run(app, &p, ImportKind::Enterprises, park.as_bytes(), "park.csv", false).await.expect("report");
        assert_eq!(r.errors.len(), 1, "{n}: {:?}", r.errors);
        assert_eq!((r.errors[0].line, r.errors[0].column.as_str()), (2, "所属区县"), "{n}");
        assert!(r.errors[0].message.contains("5117P1") && r.errors[0].message.contains("所在园区"), "{n}");
        assert_eq!(enterprise_count(app, &p).await, 0, "{n}");
        // Dry run: counted, not written.
        let r = run(app, &p, ImportKind::Enterprises, good.as_bytes(), "good.csv", true).await.expect("dry");
        assert_eq!((r.created, r.committed), (2, false), "{n}");
        assert_eq!(enterprise_count(app, &p).await, 0, "{n}");
        // GBK csv of the same content: written whole.
        let (gbk, _, _) = encoding_rs::GBK.encode(&good);
        let r = run(app, &p, ImportKind::Enterprises, &gbk, "gbk.csv", false).await.expect("gbk");
        assert!(r.committed && r.errors.is_empty(), "{n}: {:?}", r.errors);
        assert_eq!(enterprise_count(app, &p).await, 2, "{n}");
        let all = store::enterprise::Filter { per_page: 100, ..Default::default() };
        let (rows, _) = app.enterprises(&p, &all).await.expect("list");
        let jia = rows.iter().find(|e| e.uscc == a).expect("imported");
        assert_eq!(
            (jia.region_code.as_str(), jia.size.as_deref(), jia.founded_on.map(|d| d.to_string())),
            ("511722", None, Some("2010-05-01".into())),
            "{n}"
        );
        // Size needs employees as well as revenue for industry: not computed yet.
        // Update by USCC: only the columns in the file change.
        let upd =
            format!("统一社会信用代码,企业名称,所属区县,行业代码,从业人员\n{a},甲导入有限公司,宣汉县,2614,1500\n");
        let r = run(app, &p, ImportKind::Enterprises, upd.as_bytes(), "upd.csv", false).await.expect("update");
        assert_eq!((r.created, r.updated), (0, 1), "{n}");
        let after = app.enterprise(&p, jia.id).await.expect("get");
        assert_eq!(
            (after.employees, after.name.as_str(), after.revenue_fen),
            (Some(1500), "甲导入有限公司", jia.revenue_fen),
            "{n}"
        );
        // File-level refusals, each with a Chinese message, none writing.
        for (bytes, name, needle) in [
            (b"".as_slice(), "empty.csv", "空"),
            ("统一社会信用代码,企业名称,所属区县,行业代码\n".as_bytes(), "header.csv", "没有数据"),
            ("甲,乙,丙\n1,2,3\n".as_bytes(), "unknown.csv", "表头"),
            ("统一社会信用代码,企业名称\n1,2\n".as_bytes(), "x.xlsx", "xlsx"),
            (b"%PDF-1.7\n\x00\x01binary".as_slice(), "x.csv", "不受支持"),
        ] {
            match run(app, &p, ImportKind::Enterprises, bytes, name, false).await {
                Err(AppError::Invalid(f)) => assert!(f[0].message.contains(needle), "{n} {name}: {}", f[0].message),
                other => panic!("{n} {name}: {other:?}"),
            }
        }
        assert_eq!(enterprise_count(app, &p).await, 2, "{n}");
        // A file where every row is wrong: all counted, the first 10,000 listed, none written.
        let mut many = String::from("统一社会信用代码,企业名称,所属区县,行业代码\n");
        for i in 0..10_050 {
            many.push_str(&format!("BAD{i},坏{i}有限公司,宣汉县,2614\n"));
        }
        let r = run(app, &p, ImportKind::Enterprises, many.as_bytes(), "many.csv", false).await.expect("report");
        assert_eq!(
            (r.error_total, r.errors.len(), r.committed),
            (10_050, app::import::MAX_LISTED_ERRORS, false),
            "{n}"
        );
        assert_eq!(enterprise_count(app, &p).await, 2, "{n}");
    }
}

#[tokio::test]
async fn region_users_import_only_their_area_and_indicator_honour_files_validate() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "imp.office2", "导入员", &["office"]).await;
        let region = principal(app, "imp.region", "宣汉县", &["region:511722"]).await;
        let (a, b) = (uscc("511722", 21), uscc("511723", 22));
        let file = format!(
            "统一社会信用代码,企业名称,所属区县,行业代码\n{a},宣汉导入有限公司,511722,2614\n{b},开江导入有限公司,开江县,2614\n"
        );
        let r = run(app, &region, ImportKind::Enterprises, file.as_bytes(), "r.csv", false).await.expect("report");
        assert_eq!(r.errors.len(), 1, "{n}");
        assert_eq!(r.errors[0].line, 3, "{n}");
        assert_eq!(enterprise_count(app, &office).await, 0, "{n}");
        run(app, &office, ImportKind::Enterprises, file.as_bytes(), "o.csv", false).await.expect("office import");

        let ind = format!(
            "统一社会信用代码,指标,年份,月份,数值,单位\n{a},营业收入,2025,,1200.5,万元\n{a},营业收入,2025,3,100,万元\n{a},研发投入,2025,,60,万元\n"
        );
        let r = run(app, &office, ImportKind::Indicators, ind.as_bytes(), "i.csv", false).await.expect("indicators");
        assert!(r.committed && r.errors.is_empty(), "{n}: {:?}", r.errors);
        let all = store::enterprise::Filter { per_page: 100, ..Default::default() };
        let (rows, _) = app.enterprises(&office, &all).await.expect("list");
        let id = rows.iter().find(|e| e.uscc == a).expect("a").id;
        let v = app.enterprise_indicators(&office, id).await.expect("view");
        assert_eq!(v.rd_intensity.len(), 1, "{n}");
        assert!((v.rd_intensity[0].1 - 60.0 / 1200.5).abs() < 1e-9, "{n}");
        // Unknown indicator, wrong unit, a month on a yearly indicator, an outside enterprise for the region user.
        let bad = format!(
            "统一社会信用代码,指标,年份,月份,数值,单位\n{a},不存在的指标,2025,,1,\n{a},营业收入,2025,,1,元\n{a},研发投入,2025,5,1,万元\n{b},营业收入,2025,,1,万元\n"
        );
        let r = run(app, &region, ImportKind::Indicators, bad.as_bytes(), "bad.csv", false).await.expect("report");
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5], "{n}: {:?}", r.errors);
        // A good row written before a bad one is rolled back with it (the import streams).
        let values = count(app, "SELECT COUNT(*) FROM indicator_value").await;
        let mixed = format!("统一社会信用代码,指标,年份,数值\n{a},营业收入,2024,900\n{a},营业收入,2023,九百\n");
        let r = run(app, &office, ImportKind::Indicators, mixed.as_bytes(), "m.csv", false).await.expect("report");
        assert_eq!((r.errors.len(), r.errors[0].line, r.committed), (1, 3, false), "{n}: {:?}", r.errors);
        assert_eq!(count(app, "SELECT COUNT(*) FROM indicator_value").await, values, "{n}");

        let hon = format!(
            "统一社会信用代码,荣誉,级别,年份,有效期至\n{a},高新技术企业,国家级,2024,2027/12/31\n{a},专精特新中小企业,省级,2025年,\n"
        );
        let r = run(app, &office, ImportKind::Honours, hon.as_bytes(), "h.csv", false).await.expect("honours");
        assert!(r.committed && r.errors.is_empty(), "{n}: {:?}", r.errors);
        let hs = app
            .honours(&office, &store::gradient::HonourFilter { enterprise_id: Some(id), ..Default::default() })
            .await
            .expect("honours");
        assert_eq!(hs.len(), 2, "{n}");
        let bad = format!("统一社会信用代码,荣誉,级别,年份\n{a},诺贝尔奖,国家级,2024\n{a},高新技术企业,宇宙级,2024\n");
        let r = run(app, &office, ImportKind::Honours, bad.as_bytes(), "hb.csv", false).await.expect("report");
        assert_eq!(r.errors.len(), 2, "{n}");
        assert!(!r.committed, "{n}");

        // The listing reserve pool: stage and board by label or common word; the region
        // user cannot file an enterprise outside its county; nothing partial.
        let reserve = |app: &app::App| {
            let app = app.clone();
            let office = office.clone();
            async move { app.listing_reserve(&office, &Default::default()).await.expect("reserve") }
        };
        let res = format!(
            "统一社会信用代码,企业名称,所处阶段,拟上市板块,入库日期,备注
{a},宣汉导入有限公司,辅导备案,北交所,2025/6/30,示例
{b},开江导入有限公司,培育,,,
"
        );
        let r = run(app, &region, ImportKind::Reserve, res.as_bytes(), "res.csv", false).await.expect("report");
        assert_eq!(
            r.errors.iter().map(|e| (e.line, e.column.as_str())).collect::<Vec<_>>(),
            [(3, "统一社会信用代码")],
            "{n}"
        );
        assert!(!r.committed && reserve(app).await.is_empty(), "{n}");
        let r = run(app, &office, ImportKind::Reserve, res.as_bytes(), "res.csv", false).await.expect("reserve");
        assert!(r.committed && r.errors.is_empty(), "{n}: {:?}", r.errors);
        let mut got: Vec<(i64, String, String, Option<String>)> = reserve(app)
            .await
            .into_iter()
            .map(|e| (e.enterprise_id, e.stage, e.board, e.since.map(|d| d.to_string())))
            .collect();
        got.sort();
        let b_id = rows_id(app, &office, &b).await;
        let mut want = vec![
            (id, "tutoring".to_string(), "bse".to_string(), Some("2025-06-30".to_string())),
            (b_id, "cultivation".into(), "undecided".into(), None),
        ];
        want.sort();
        assert_eq!(got, want, "{n}");
        // Unknown stage, unknown board, the same enterprise twice, a date in the future.
        let bad = format!(
            "统一社会信用代码,阶段,板块,入库日期
{a},观望,科创板,
{a},上市,纳斯达克,
{b},申报,创业板,2099-01-01
{b},申报,创业板,
{b},上市,主板,
"
        );
        let r = run(app, &office, ImportKind::Reserve, bad.as_bytes(), "rb.csv", false).await.expect("report");
        let cells: Vec<(usize, &str)> = r.errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            cells,
            [(2, "阶段"), (3, "拟上市板块"), (4, "入库日期"), (6, "统一社会信用代码")],
            "{n}: {:?}",
            r.errors
        );
        assert!(!r.committed, "{n}");
        assert_eq!(reserve(app).await.len(), 2, "{n}: unchanged");
    }
}

async fn rows_id(app: &app::App, p: &app::account::Principal, code: &str) -> i64 {
    let (rows, _) = app.enterprises(p, &all()).await.expect("list");
    rows.iter().find(|e| e.uscc == code).expect("listed").id
}

#[tokio::test]
async fn search_follows_writes_and_scope() {
    for t in backends().await {
        let app = t.app.clone().with_search(search::SearchIndex::in_memory().expect("index"));
        let n = t.name();
        let office = principal(&app, "s.office", "办", &["office"]).await;
        let region = principal(&app, "s.region", "宣汉", &["region:511722"]).await;
        let file = format!(
            "统一社会信用代码,企业名称,所属区县,行业代码,简介\n{},宣汉玄武岩纤维有限公司,宣汉县,3061,生产玄武岩纤维布\n{},开江玄武岩纤维有限公司,开江县,3061,玄武岩纤维\n",
            uscc("511722", 31),
            uscc("511723", 32)
        );
        run(&app, &office, ImportKind::Enterprises, file.as_bytes(), "s.csv", false).await.expect("import");
        let all = app.search(&office, "玄武岩纤维", 20, 0).await.expect("search");
        assert_eq!(all.total, 2, "{n}");
        let mine = app.search(&region, "玄武岩纤维", 20, 0).await.expect("search");
        assert_eq!(mine.total, 1, "{n}");
        assert_eq!(mine.items[0].title, "宣汉玄武岩纤维有限公司", "{n}");
        assert!(mine.items[0].highlight.contains("<em>"), "{n}");
        // An update is found at once; a delete disappears.
        let id = mine.items[0].id;
        let row = app.enterprise(&office, id).await.expect("get");
        let mut i = app::enterprise::EnterpriseInput::from_row(&row);
        i.description = "主营碳酸锂".into();
        app.update_enterprise(&office, id, row.version, &i).await.expect("update");
        assert_eq!(app.search(&region, "碳酸锂", 20, 0).await.expect("search").total, 1, "{n}");
        app.delete_enterprise(&office, id, row.version + 1).await.expect("delete");
        assert_eq!(app.search(&office, "碳酸锂", 20, 0).await.expect("search").total, 0, "{n}");
    }
}

/// The streamed import at size: one bad row near the end of 100,000 rolls back the tens of
/// thousands already written in the open transaction, names its line and column, and
/// leaves no enterprise, history, audit or feed row behind; the same file without it is
/// written whole.
#[tokio::test]
async fn one_bad_row_among_100000_writes_nothing() {
    const ROWS: u32 = 100_000;
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = principal(app, "imp.big", "导入员", &["office"]).await;
        let counties = ["通川区", "达川区", "万源市", "宣汉县", "开江县", "大竹县", "渠县"];
        let mut file = String::from("统一社会信用代码,企业名称,所属区县,行业代码,营业收入（万元）,从业人员\n");
        for k in 0..ROWS {
            let c = counties[(k % 7) as usize];
            file.push_str(&format!(
                "{},批量{k}号有限公司,{c},2614,{},{}\n",
                uscc("511702", k),
                100 + k % 5000,
                10 + k % 900
            ));
        }
        let line_of = |k: u32| k as usize + 2;
        let victim = ROWS - 10;
        // Its code loses the check character: 17 characters.
        let code = uscc("511702", victim);
        let bad = file.replace(&format!("{code},"), &format!("{},", &code[..17]));
        let before = (
            count(app, "SELECT COUNT(*) FROM enterprise").await,
            count(app, "SELECT COUNT(*) FROM audit_log").await,
            count(app, "SELECT COUNT(*) FROM change_feed").await,
        );
        let r = run(app, &p, ImportKind::Enterprises, bad.as_bytes(), "big.csv", false).await.expect("report");
        assert!(!r.committed, "{n}");
        assert_eq!(r.rows, ROWS as usize, "{n}");
        assert_eq!(r.error_total, 1, "{n}: {:?}", r.errors);
        assert_eq!((r.errors[0].line, r.errors[0].column.as_str()), (line_of(victim), "统一社会信用代码"), "{n}");
        let after = (
            count(app, "SELECT COUNT(*) FROM enterprise").await,
            count(app, "SELECT COUNT(*) FROM audit_log").await,
            count(app, "SELECT COUNT(*) FROM change_feed").await,
        );
        assert_eq!(before, after, "{n}: nothing written");

        let r = run(app, &p, ImportKind::Enterprises, file.as_bytes(), "big.csv", false).await.expect("report");
        assert!(r.committed && r.errors.is_empty(), "{n}: {:?}", r.errors.first());
        assert_eq!(r.created, ROWS as usize, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM enterprise").await, before.0 + ROWS as i64, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM change_feed").await, before.2 + ROWS as i64, "{n}");
        let (rows, total) = app
            .enterprises(&p, &store::enterprise::Filter { q: Some(format!("批量{victim}号")), ..all() })
            .await
            .expect("list");
        assert_eq!((rows.len(), total), (1, 1), "{n}");
        assert_eq!(rows[0].uscc, uscc("511702", victim), "{n}");
    }
}
