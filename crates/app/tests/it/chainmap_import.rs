//! A whole chain map in and out of xlsx: the export re-imports unchanged; an edited workbook
//! adds, moves, retires and places as the single edits would, audited and in the history; a
//! workbook with problems names each by sheet, row and column and writes nothing.

use crate::harness::{audit_actions, audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::chainmap::SegmentInput;
use app::chainmap_import::map_xlsx;
use app::demo::Scale;
use office::{CellOut, SheetOut};
use store::chain::NewChain;

/// The workbook's sheets as text cells, to edit.
fn sheets_of(bytes: &[u8]) -> Vec<SheetOut> {
    office::read_workbook(bytes, "map.xlsx", &office::Limits::default())
        .expect("workbook")
        .into_iter()
        .map(|s| SheetOut {
            name: s.name,
            headers: s.table.headers,
            rows: s.table.rows.into_iter().map(|r| r.cells.into_iter().map(CellOut::Text).collect()).collect(),
        })
        .collect()
}

fn sheet<'a>(book: &'a mut [SheetOut], name: &str) -> &'a mut SheetOut {
    book.iter_mut().find(|s| s.name == name).unwrap_or_else(|| panic!("no sheet {name}"))
}

fn col(s: &SheetOut, header: &str) -> usize {
    s.headers.iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header} in {}", s.name))
}

fn text(c: &CellOut) -> &str {
    match c {
        CellOut::Text(t) => t,
        _ => "",
    }
}

/// Appends a row given by (header, value); returns its line as Excel shows it.
fn push(s: &mut SheetOut, values: &[(&str, &str)]) -> usize {
    let mut row = vec![CellOut::Text(String::new()); s.headers.len()];
    for (h, v) in values {
        row[col(s, h)] = CellOut::Text((*v).into());
    }
    s.rows.push(row);
    s.rows.len() + 1
}

fn write(book: Vec<SheetOut>) -> Vec<u8> {
    office::write_xlsx_sheets(book).expect("write workbook")
}

async fn snapshot(app: &app::App, p: &app::account::Principal, key: &str) -> serde_json::Value {
    let m = app.chain_map(p, key).await.expect("map");
    serde_json::json!({"segments": m.segments, "edges": m.edges, "placements": m.placements})
}

#[tokio::test]
async fn exported_map_reimports_unchanged_and_edits_apply() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        app.seed_demo(Scale::City, 7).await.expect("seed");
        let office = principal(app, "office", "强链办", &["office"]).await;
        let key = "gas_chemical";
        let (map, analysis) = app.chain_view(&office, key).await.expect("view");
        let bytes = map_xlsx(&map, &analysis).expect("export");
        let names: Vec<String> = sheets_of(&bytes).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["环节", "环节关系", "企业布局"], "{n}");

        // Unchanged: nothing to do, nothing written, in preview and with apply.
        let before = snapshot(app, &office, key).await;
        let audit = audit_rows(app).await;
        let history = count(app, "SELECT COUNT(*) FROM field_history").await;
        for apply in [false, true] {
            let r = app.import_chain_map(&office, key, &bytes, apply).await.expect("import");
            assert_eq!(r.error_total, 0, "{n}: {:?}", r.errors);
            assert!(!r.changes_anything(), "{n}: {:?}", r.changes);
            assert!(!r.applied, "{n}");
            assert_eq!(r.segments.unchanged, map.segments.len(), "{n}");
            assert_eq!(r.edges.unchanged, map.edges.iter().filter(|e| !e.retired).count(), "{n}");
            assert_eq!(r.placements.unchanged, map.placements.len(), "{n}");
        }
        assert_eq!(snapshot(app, &office, key).await, before, "{n}");
        assert_eq!(audit_rows(app).await, audit, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM field_history").await, history, "{n}");

        // Edited: a new segment, a child moved to the top level, an edge dropped, an
        // enterprise placed on the new segment.
        let mut book = sheets_of(&bytes);
        let child = map.segments.iter().find(|s| s.parent_id.is_some() && !s.retired).expect("a child segment");
        let placed = map.placements.first().expect("a placement").clone();
        {
            let segs = sheet(&mut book, "环节");
            push(
                segs,
                &[
                    ("阶段", "中游"),
                    ("环节编码", "new_seg"),
                    ("环节", "新增测试环节"),
                    ("行业代码", "2614"),
                    ("关键产品", "甲醇、乙二醇"),
                ],
            );
            let (code_col, parent_col) = (col(segs, "环节编码"), col(segs, "上级环节编码"));
            let row = segs.rows.iter_mut().find(|r| text(&r[code_col]) == child.code).expect("child row");
            row[parent_col] = CellOut::Text(String::new());
        }
        let dropped = {
            let edges = sheet(&mut book, "环节关系");
            let (a, b) = (col(edges, "供给环节编码"), col(edges, "需求环节编码"));
            let row = edges.rows.remove(0);
            (text(&row[a]).to_string(), text(&row[b]).to_string())
        };
        push(
            sheet(&mut book, "企业布局"),
            &[
                ("环节编码", "new_seg"),
                ("统一社会信用代码", &placed.uscc),
                ("企业名称", &placed.enterprise_name),
                ("角色", "链属"),
            ],
        );
        let edited = write(book);
        let preview = app.import_chain_map(&office, key, &edited, false).await.expect("preview");
        assert_eq!(preview.error_total, 0, "{n}: {:?}", preview.errors);
        assert_eq!((preview.segments.added, preview.segments.changed, preview.segments.retired), (1, 1, 0), "{n}");
        assert_eq!((preview.edges.added, preview.edges.retired), (0, 1), "{n}");
        assert_eq!(
            (preview.placements.added, preview.placements.removed, preview.placements.role_changed),
            (1, 0, 0),
            "{n}"
        );
        assert!(!preview.applied, "{n}");
        assert_eq!(snapshot(app, &office, key).await, before, "{n}: a preview writes nothing");
        assert_eq!(audit_rows(app).await, audit, "{n}");

        let r = app.import_chain_map(&office, key, &edited, true).await.expect("apply");
        assert!(r.applied, "{n}");
        assert_eq!(r.segments, preview.segments, "{n}");
        let after = app.chain_map(&office, key).await.expect("map");
        let new_seg = after.segments.iter().find(|s| s.code == "new_seg").expect("new segment");
        assert_eq!((new_seg.stage.as_str(), new_seg.parent_id), ("midstream", None), "{n}");
        assert_eq!(new_seg.key_products, "甲醇;乙二醇", "{n}");
        assert_eq!(after.segments.iter().find(|s| s.id == child.id).expect("moved").parent_id, None, "{n}");
        let code_of = |id: i64| after.segments.iter().find(|s| s.id == id).map(|s| s.code.clone()).unwrap_or_default();
        let gone = after.edges.iter().find(|e| (code_of(e.from_id), code_of(e.to_id)) == dropped).expect("edge");
        assert!(gone.retired, "{n}: the dropped edge is retired, not deleted");
        assert!(
            after.placements.iter().any(|p| p.segment_id == new_seg.id && p.enterprise_id == placed.enterprise_id),
            "{n}"
        );
        let actions: Vec<String> = audit_actions(app).await.into_iter().skip(audit as usize).map(|a| a.0).collect();
        for want in ["segment.create", "segment.update", "segment_edge.retire", "placement.create", "chain_map.import"]
        {
            assert!(actions.iter().any(|a| a == want), "{n}: no {want} in {actions:?}");
        }
        assert_eq!(actions.len(), 5, "{n}: one row per change and one for the import: {actions:?}");
        assert!(count(app, "SELECT COUNT(*) FROM field_history").await > history, "{n}");

        // The history of the map: newest first, the import on top.
        let (edits, total) = app.chain_map_history(&office, key, 1, 50).await.expect("history");
        assert_eq!(total, 6, "{n}: the import's five rows and the demo's seeding: {edits:#?}");
        assert_eq!(edits[5].label, "生成示例图谱", "{n}");
        assert_eq!(edits[0].label, "导入图谱", "{n}");
        assert!(edits[0].detail.contains("环节新增 1"), "{n}: {}", edits[0].detail);
        assert!(edits.iter().any(|e| e.label == "新增环节" && e.subject.contains("新增测试环节")), "{n}: {edits:?}");
        assert!(edits.iter().any(|e| e.label == "企业上链" && e.subject == placed.enterprise_name), "{n}");
        assert!(edits.iter().any(|e| e.label == "修改环节" && e.detail.contains("上级")), "{n}: {edits:?}");

        // The new map exports and re-imports unchanged.
        let (map2, an2) = app.chain_view(&office, key).await.expect("view");
        let again =
            app.import_chain_map(&office, key, &map_xlsx(&map2, &an2).expect("export"), true).await.expect("import");
        assert!(!again.changes_anything() && again.error_total == 0, "{n}: {:?} {:?}", again.changes, again.errors);
    }
}

fn seg(code: &str, name: &str, stage: &str, parent: Option<i64>) -> SegmentInput {
    SegmentInput { code: code.into(), name: name.into(), stage: stage.into(), parent_id: parent, ..Default::default() }
}

#[tokio::test]
async fn a_workbook_with_problems_names_them_and_writes_nothing() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let mut tx = app.db.begin().await.expect("tx");
        let cid = store::chain::insert(
            &mut tx,
            &NewChain {
                code: "import_test".into(),
                name: "导入测试链".into(),
                field_code: "energy_chemical".into(),
                lead_department_code: "jxj".into(),
                provincial_key: false,
                carrying_regions: vec!["511722".into()],
                collaborating_regions: vec![],
            },
            app.now(),
            None,
        )
        .await
        .expect("chain");
        tx.commit().await.expect("commit");
        let key = cid.to_string();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let other = principal(app, "other", "农业局", &["lead_dept:nyncj"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let gas = app.add_segment(&lead, &key, &seg("gas", "天然气", "upstream", None)).await.expect("gas");
        let syn = app.add_segment(&lead, &key, &seg("syngas", "合成气", "midstream", None)).await.expect("syngas");
        app.add_segment(&lead, &key, &seg("methanol", "甲醇", "midstream", Some(syn))).await.expect("child");
        app.add_segment_edge(&lead, &key, gas, syn, "天然气").await.expect("edge");
        let on_chain = app
            .create_enterprise(&office, &input(&uscc("511722", 21), "甲化工（示例）", "511722", "2614"))
            .await
            .expect("a");
        let off_chain_uscc = uscc("511702", 22);
        app.create_enterprise(&office, &input(&off_chain_uscc, "乙化工（示例）", "511702", "2614")).await.expect("b");
        app.place_enterprise(&office, &key, gas, on_chain, "leader").await.expect("place");

        let (map, analysis) = app.chain_view(&lead, &key).await.expect("view");
        let bytes = map_xlsx(&map, &analysis).expect("export");
        // Only the office or the lead department imports, even a preview.
        assert!(matches!(app.import_chain_map(&other, &key, &bytes, false).await, Err(AppError::Forbidden(_))), "{n}");
        assert!(matches!(app.import_chain_map(&county, &key, &bytes, false).await, Err(AppError::Forbidden(_))), "{n}");

        let mut book = sheets_of(&bytes);
        let segs = sheet(&mut book, "环节");
        let other_stage =
            push(segs, &[("阶段", "下游"), ("环节编码", "urea"), ("环节", "尿素"), ("上级环节编码", "syngas")]);
        let duplicate = push(segs, &[("阶段", "上游"), ("环节编码", "gas"), ("环节", "重复的天然气")]);
        let cycle = push(segs, &[("阶段", "上游"), ("环节编码", "c1"), ("环节", "甲"), ("上级环节编码", "c2")]);
        push(segs, &[("阶段", "上游"), ("环节编码", "c2"), ("环节", "乙"), ("上级环节编码", "c1")]);
        let bad_code = push(segs, &[("阶段", "上游"), ("环节编码", "coal"), ("环节", "煤"), ("行业代码", "9999")]);
        let missing_edge = push(
            sheet(&mut book, "环节关系"),
            &[("供给环节编码", "gas"), ("需求环节编码", "nowhere"), ("供给产品", "天然气")],
        );
        let places = sheet(&mut book, "企业布局");
        let unknown =
            push(places, &[("环节编码", "syngas"), ("统一社会信用代码", &uscc("511722", 99)), ("角色", "链属")]);
        let outside = push(places, &[("环节编码", "syngas"), ("统一社会信用代码", &off_chain_uscc), ("角色", "链属")]);
        let bad_role =
            push(places, &[("环节编码", "syngas"), ("统一社会信用代码", &uscc("511722", 21)), ("角色", "老板")]);
        let bad = write(book);

        let audit = audit_rows(app).await;
        let history = count(app, "SELECT COUNT(*) FROM field_history").await;
        let before = snapshot(app, &office, &key).await;
        let r = app.import_chain_map(&lead, &key, &bad, true).await.expect("report");
        assert!(!r.applied, "{n}");
        let has = |sheet: &str, line: usize, column: &str, words: &str| {
            r.errors
                .iter()
                .any(|e| e.sheet == sheet && e.line == line && e.column == column && e.message.contains(words))
        };
        for (sheet, line, column, words) in [
            ("环节", other_stage, "上级环节编码", "阶段不同"),
            ("环节", duplicate, "环节编码", "重复"),
            ("环节", cycle, "上级环节编码", "循环"),
            ("环节", bad_code, "行业代码", "9999"),
            ("环节关系", missing_edge, "需求环节编码", "nowhere"),
            ("企业布局", unknown, "统一社会信用代码", "企业库中没有该企业"),
            ("企业布局", outside, "统一社会信用代码", "管理范围"),
            ("企业布局", bad_role, "角色", "链主或链属"),
        ] {
            assert!(
                has(sheet, line, column, words),
                "{n}: no “{words}” at {sheet} line {line} [{column}] in {:#?}",
                r.errors
            );
        }
        let shown = r.errors.iter().find(|e| e.sheet == "企业布局" && e.line == unknown).expect("problem").to_string();
        assert!(shown.starts_with(&format!("工作表“企业布局”第 {unknown} 行“统一社会信用代码”列")), "{n}: {shown}");
        assert_eq!(r.error_total, r.errors.len(), "{n}");
        assert_eq!(snapshot(app, &office, &key).await, before, "{n}: nothing written");
        assert_eq!(audit_rows(app).await, audit, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM field_history").await, history, "{n}");

        // Not a workbook at all, or a broken one: refused as a file, nothing written.
        for (file, words) in [(&b"a,b\n1,2\n"[..], "xlsx"), (&b"PK\x03\x04 not really a zip"[..], "xlsx")] {
            match app.import_chain_map(&lead, &key, file, true).await {
                Err(e @ AppError::Invalid(_)) => assert!(e.user_message().contains(words), "{n}: {}", e.user_message()),
                r => panic!("{n}: {r:?}"),
            }
        }
        // A workbook without the placements sheet: named, nothing written.
        let mut book = sheets_of(&bytes);
        book.retain(|s| s.name != "企业布局");
        let r = app.import_chain_map(&lead, &key, &write(book), true).await.expect("report");
        assert!(
            r.errors.iter().any(|e| e.sheet == "企业布局" && e.message.contains("缺少该工作表")),
            "{n}: {:?}",
            r.errors
        );
        assert_eq!(audit_rows(app).await, audit, "{n}");

        // The lead department changes a role of an enterprise of its chain and retires a
        // segment by leaving it out (its child too, which it lists as retired).
        let mut book = sheets_of(&bytes);
        let places = sheet(&mut book, "企业布局");
        let role = col(places, "角色");
        places.rows[0][role] = CellOut::Text("链属".into());
        let segs = sheet(&mut book, "环节");
        let (code, status) = (col(segs, "环节编码"), col(segs, "状态"));
        segs.rows.retain(|r| text(&r[code]) != "syngas");
        for r in segs.rows.iter_mut().filter(|r| text(&r[code]) == "methanol") {
            r[status] = CellOut::Text("已撤销".into());
        }
        let edges = sheet(&mut book, "环节关系");
        let to = col(edges, "需求环节编码");
        edges.rows.retain(|r| text(&r[to]) != "syngas");
        let book_bytes = write(book);
        let r = app.import_chain_map(&lead, &key, &book_bytes, false).await.expect("report");
        // The child keeps its parent that leaves the sheet: named.
        assert!(
            r.errors.iter().any(|e| e.sheet == "环节" && e.message.contains("不在“环节”表中")),
            "{n}: {:?}",
            r.errors
        );
        let mut book = sheets_of(&book_bytes);
        let segs = sheet(&mut book, "环节");
        let parent = col(segs, "上级环节编码");
        for r in segs.rows.iter_mut().filter(|r| text(&r[code]) == "methanol") {
            r[parent] = CellOut::Text(String::new());
        }
        let r = app.import_chain_map(&lead, &key, &write(book), true).await.expect("import");
        assert!(r.applied, "{n}: {:?}", r.errors);
        assert_eq!((r.segments.retired, r.edges.retired, r.placements.role_changed), (2, 1, 1), "{n}: {r:?}");
        let now = app.chain_map(&office, &key).await.expect("map");
        assert!(now.segments.iter().filter(|s| s.code != "gas").all(|s| s.retired), "{n}");
        assert_eq!(now.placements[0].role, "member", "{n}");

        // The county reads the history; the enterprise is its own, so named.
        let (edits, _) = app.chain_map_history(&county, &key, 1, 50).await.expect("history");
        assert!(edits.iter().any(|e| e.label == "调整企业角色" && e.subject == "甲化工（示例）"), "{n}: {edits:?}");
        let grant = format!("enterprise:{}", uscc("511722", 21));
        let firm = principal(app, "firm", "企业", &[grant.as_str()]).await;
        assert!(
            matches!(app.chain_map_history(&firm, &key, 1, 10).await, Err(AppError::Forbidden(_))),
            "{n}: enterprise users do not read chain maps"
        );
    }
}
