use crate::fixtures::{DACHUAN, XUANHAN, all, doc, id_set, ids, ledger, loaded, set};
use proptest::prelude::*;
use search::{EnterpriseDoc, SearchIndex};

#[test]
fn product_words_find_the_right_enterprises_name_matches_first() {
    let index = loaded();
    let r = index.search("碳酸锂", &all(), 10, 0).unwrap();
    assert_eq!(id_set(&r), set(&[3, 4]), "{r:?}");
    assert_eq!(r.total, 2);
    // 4 has 碳酸锂 in its name, 3 only in products and scope.
    assert_eq!(ids(&r), vec![4, 3]);
    assert!(r.items[0].score > r.items[1].score);

    let r = index.search("玄武岩纤维", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r)[0], 1, "{r:?}");
    assert_eq!(id_set(&r), set(&[1, 2]));

    let r = index.search("无人机", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![10]);
    let hit = &r.items[0];
    assert_eq!(hit.kind, "enterprise");
    assert_eq!(hit.title, "达州低空无人机科技有限公司");
    assert_eq!(hit.region, DACHUAN);
    assert_eq!(hit.uscc, "91511700MA00000010");

    // A former name is found too, and an address.
    let r = index.search("天然气净化", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r)[0], 5, "{r:?}");
    let r = index.search("漆碑乡", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![7], "{r:?}");
}

#[test]
fn several_words_narrow_the_result() {
    let index = loaded();
    assert_eq!(ids(&index.search("苎麻 印染", &all(), 10, 0).unwrap()), vec![8]);
    assert_eq!(ids(&index.search("宣汉 富硒茶", &all(), 10, 0).unwrap()), vec![7]);
    assert_eq!(ids(&index.search("达州 碳酸锂", &all(), 10, 0).unwrap()), vec![4]);
    // Two unrelated products: no enterprise has both.
    assert_eq!(index.search("甲醇 白酒", &all(), 10, 0).unwrap().total, 0);
    // Of four words three must match: a stray word does not empty the result.
    let r = index.search("宣汉 富硒茶 绿茶 钢铁", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![7]);
}

#[test]
fn name_fragments_and_context_split_words_are_found() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[
            EnterpriseDoc {
                address: "宣汉县普光镇".into(), ..doc(1, "四川能投化学新材料有限公司", XUANHAN)
            },
            EnterpriseDoc {
                address: "达州市通川区西外镇".into(), ..doc(2, "宣汉正原微玻纤有限公司", XUANHAN)
            },
            EnterpriseDoc {
                scope: "生产碳酸锂电池和单水氢氧化锂".into(),
                products: vec!["玄武岩纤维布".into()],
                ..doc(3, "某电池公司", XUANHAN)
            },
        ])
        .unwrap();
    for (q, expected) in [
        ("普光", vec![1]),
        ("普光镇", vec![1]),
        ("通川", vec![2]),
        ("西外镇", vec![2]),
        ("能投化学", vec![1]),
        ("正原微玻纤", vec![2]),
        ("微玻纤", vec![2]),
        ("碳酸锂", vec![3]),
        ("氢氧化锂", vec![3]),
        ("玄武岩纤维", vec![3]),
        ("锂电池", vec![3]),
    ] {
        let r = index.search(q, &all(), 10, 0).unwrap();
        assert_eq!(ids(&r), expected, "{q}");
        assert!(r.items[0].highlight.contains("<em>"), "{q}: {}", r.items[0].highlight);
    }
    // A dictionary word matches only itself: 碳酸 is not 碳酸锂.
    assert_eq!(index.search("碳酸钙", &all(), 10, 0).unwrap().total, 0);
}

#[test]
fn highlight_marks_matches_and_escapes_the_rest() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[EnterpriseDoc {
            products: vec!["碳酸锂".into()],
            scope: "<script>alert(1)</script>生产电池级碳酸锂 & 氢氧化锂".into(),
            ..doc(1, "A&B<化工>有限公司", XUANHAN)
        }])
        .unwrap();
    let r = index.search("碳酸锂", &all(), 10, 0).unwrap();
    let h = &r.items[0].highlight;
    assert!(h.contains("<em>碳酸锂</em>"), "{h}");
    // Products matched before scope, so the snippet is the product list.
    assert_eq!(h, "<em>碳酸锂</em>");

    let r = index.search("氢氧化锂", &all(), 10, 0).unwrap();
    let h = &r.items[0].highlight;
    assert!(h.contains("<em>氢氧化锂</em>"), "{h}");
    assert!(h.contains("&amp;") && !h.contains("<script>") && h.contains("&lt;script&gt;"), "{h}");

    let r = index.search("化工", &all(), 10, 0).unwrap();
    let h = &r.items[0].highlight;
    assert!(h.contains("<em>化工</em>"), "{h}");
    assert!(h.contains("A&amp;B&lt;"), "{h}");
}

#[test]
fn highlight_of_long_text_is_a_short_snippet() {
    let index = SearchIndex::in_memory().unwrap();
    let long = format!("{}玄武岩纤维{}", "一般项目：技术服务、技术开发。".repeat(30), "货物进出口。".repeat(30));
    index.upsert(&[EnterpriseDoc { scope: long, ..doc(1, "某某公司", XUANHAN) }]).unwrap();
    let r = index.search("玄武岩纤维", &all(), 10, 0).unwrap();
    let h = &r.items[0].highlight;
    assert!(h.contains("<em>玄武岩纤维</em>"), "{h}");
    assert!(h.chars().count() <= 120, "{} chars: {h}", h.chars().count());
}

#[test]
fn uscc_search_by_prefix_and_exact() {
    let index = loaded();
    let r = index.search("91511700MA00000003", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![3]);
    assert_eq!(r.total, 1);
    assert!(r.items[0].highlight.contains("<em>91511700MA00000003</em>"), "{}", r.items[0].highlight);
    // Lower case and a prefix work too; all ten share the prefix.
    let r = index.search("91511700ma", &all(), 20, 0).unwrap();
    assert_eq!(r.total, 10);
    let r = index.search("91511700MA0000001", &all(), 20, 0).unwrap();
    assert_eq!(id_set(&r), set(&[10]));
    let r = index.search("915117", &all(), 20, 0).unwrap();
    assert_eq!(r.total, 10);
    assert_eq!(index.search("92511700", &all(), 20, 0).unwrap().total, 0);
}

#[test]
fn ties_are_ordered_by_id_and_pages_are_consistent() {
    let index = SearchIndex::in_memory().unwrap();
    // Identical text: identical scores.
    let docs: Vec<EnterpriseDoc> = [7, 3, 9, 1, 5]
        .iter()
        .map(|&id| EnterpriseDoc { products: vec!["甲醇".into()], ..doc(id, "化工厂", XUANHAN) })
        .collect();
    index.upsert(&docs).unwrap();
    let r = index.search("甲醇", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![1, 3, 5, 7, 9]);
    assert_eq!(r.total, 5);
    let p1 = index.search("甲醇", &all(), 2, 0).unwrap();
    let p2 = index.search("甲醇", &all(), 2, 2).unwrap();
    let p3 = index.search("甲醇", &all(), 2, 4).unwrap();
    assert_eq!((ids(&p1), ids(&p2), ids(&p3)), (vec![1, 3], vec![5, 7], vec![9]));
    assert!([&p1, &p2, &p3].iter().all(|p| p.total == 5));
    let beyond = index.search("甲醇", &all(), 2, 100).unwrap();
    assert_eq!((beyond.total, beyond.items.len()), (5, 0));
    let zero = index.search("甲醇", &all(), 0, 0).unwrap();
    assert_eq!((zero.total, zero.items.len()), (5, 0));
    let huge = index.search("甲醇", &all(), usize::MAX, usize::MAX).unwrap();
    assert_eq!((huge.total, huge.items.len()), (5, 0));
}

#[test]
fn empty_and_wordless_queries_give_nothing() {
    let index = loaded();
    for q in ["", "   ", "\t\n", "，。！", "😀😀", "\"\"", "()"] {
        let r = index.search(q, &all(), 10, 0).unwrap();
        assert_eq!((r.total, r.items.len()), (0, 0), "{q:?}");
    }
}

#[test]
fn upsert_replaces_without_duplicates() {
    let index = loaded();
    assert_eq!(index.count(), 10);
    let mut changed = ledger()[2].clone();
    changed.name = "宣汉新能源材料有限公司".into();
    changed.products = vec!["硫酸钾".into()];
    changed.scope = "钾肥生产。".into();
    index.upsert(&[changed.clone()]).unwrap();
    index.upsert(&[changed.clone(), changed]).unwrap();
    assert_eq!(index.count(), 10);
    let r = index.search("硫酸钾", &all(), 10, 0).unwrap();
    assert_eq!((ids(&r), r.total), (vec![3], 1));
    assert_eq!(r.items[0].title, "宣汉新能源材料有限公司");
    // The old text is gone.
    let r = index.search("氢氧化锂", &all(), 10, 0).unwrap();
    assert_eq!(r.total, 0, "{r:?}");
    let r = index.search("碳酸锂", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![4]);
}

#[test]
fn delete_and_clear_remove() {
    let index = loaded();
    index.delete(&[4, 999]).unwrap();
    assert_eq!(index.count(), 9);
    let r = index.search("碳酸锂", &all(), 10, 0).unwrap();
    assert_eq!((ids(&r), r.total), (vec![3], 1));
    index.apply(&[doc(11, "新碳酸锂公司", XUANHAN)], &[3], Some(7)).unwrap();
    let r = index.search("碳酸锂", &all(), 10, 0).unwrap();
    assert_eq!(ids(&r), vec![11]);
    assert_eq!(index.last_applied(), Some(7));
    index.clear().unwrap();
    assert_eq!(index.count(), 0);
    assert_eq!(index.last_applied(), None);
    assert_eq!(index.search("碳酸锂", &all(), 10, 0).unwrap().total, 0);
}

#[test]
fn last_applied_survives_reopening_a_directory_index() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.last_applied(), None);
        index.upsert(&ledger()).unwrap();
        index.set_last_applied(41).unwrap();
        // A later write keeps the recorded number.
        index.delete(&[1]).unwrap();
        assert_eq!(index.last_applied(), Some(41));
    }
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.last_applied(), Some(41));
        assert_eq!(index.count(), 9);
        assert_eq!(ids(&index.search("碳酸锂", &all(), 10, 0).unwrap()), vec![4, 3]);
        index.apply(&[], &[2], Some(42)).unwrap();
    }
    let index = SearchIndex::open(&dir.path().join(".")).unwrap();
    assert_eq!(index.last_applied(), Some(42));
    assert_eq!(index.count(), 8);
}

#[test]
fn an_index_with_another_schema_is_replaced_by_an_empty_one() {
    use tantivy::schema::{Schema, TEXT};
    let dir = tempfile::tempdir().unwrap();
    {
        let mut b = Schema::builder();
        let title = b.add_text_field("title", TEXT);
        let old = tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
        let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
        let mut d = tantivy::TantivyDocument::default();
        d.add_text(title, "old");
        writer.add_document(d).unwrap();
        let mut commit = writer.prepare_commit().unwrap();
        commit.set_payload("last_applied=99");
        commit.commit().unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((index.count(), index.last_applied()), (0, None));
    index.upsert(&ledger()).unwrap();
    index.set_last_applied(1).unwrap();
    drop(index);
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((index.count(), index.last_applied()), (10, Some(1)));
}

#[test]
fn a_directory_index_has_one_writer() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SearchIndex::open(dir.path()).unwrap();
    assert!(SearchIndex::open(dir.path()).is_err());
}

#[test]
fn searches_run_while_writing() {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();
    let index = std::sync::Arc::new(loaded());
    let writer = {
        let index = index.clone();
        std::thread::spawn(move || {
            for i in 0..20 {
                index.upsert(&[doc(100 + i, "并发碳酸锂有限公司", XUANHAN)]).unwrap();
            }
        })
    };
    for _ in 0..50 {
        let r = index.search("碳酸锂", &all(), 5, 0).unwrap();
        assert!(r.total >= 2 && r.items.len() <= 5);
    }
    writer.join().unwrap();
    assert_eq!(index.search("碳酸锂", &all(), 50, 0).unwrap().total, 22);
}

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/search");
    let index = SearchIndex::open(&nested).unwrap();
    index.upsert(&[doc(1, "达州苎麻纺织有限公司", XUANHAN)]).unwrap();
    assert_eq!(index.count(), 1);
}

#[test]
fn hostile_queries_do_not_panic() {
    let index = loaded();
    let long = "碳酸锂".repeat(3400);
    for q in [
        "\"碳酸锂",
        "碳酸锂\"",
        "(碳酸锂",
        "[玄武岩",
        "{",
        "AND",
        "OR NOT",
        "a AND b OR",
        "name:碳酸锂",
        "*",
        "?",
        "碳酸锂~2",
        "+-!^",
        "\\",
        "\u{0}",
        "\u{FEFF}碳酸锂",
        "<script>",
        "'; DROP TABLE x; --",
        "🧪碳酸锂🧪",
        "９１５１１７００",
        "………",
        "91511700MA.*",
        "9151170[",
        long.as_str(),
    ] {
        let r = index.search(q, &all(), 10, 0).unwrap();
        assert!(r.items.len() <= r.total, "{q:?}");
    }
    let spaced = "碳酸锂 ".repeat(2000);
    assert_eq!(ids(&index.search(&spaced, &all(), 10, 0).unwrap()), vec![4, 3]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_queries_never_panic(q in any::<String>(), limit in 0usize..30, offset in 0usize..30) {
        let index = shared();
        let r = index.search(&q, &all(), limit, offset).unwrap();
        prop_assert!(r.items.len() <= limit.min(r.total.saturating_sub(offset)));
    }

    #[test]
    fn arbitrary_chinese_queries_never_panic(q in "[\\u4e00-\\u9fa5 ，。a-zA-Z0-9()\"*:~^-]{0,60}") {
        let index = shared();
        let r = index.search(&q, &all(), 10, 0).unwrap();
        prop_assert!(r.items.len() <= r.total);
        for hit in &r.items {
            prop_assert!(!hit.highlight.contains("<script"));
        }
    }
}

fn shared() -> &'static SearchIndex {
    static INDEX: std::sync::OnceLock<SearchIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(loaded)
}
