use std::collections::HashMap;

use office::{ENTERPRISE_FIELDS, HONOUR_FIELDS, HeaderProblem, INDICATOR_VALUE_FIELDS, map_headers};

fn h(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn no_overrides() -> HashMap<String, String> {
    HashMap::new()
}

#[test]
fn standard_enterprise_headers() {
    let headers = h(&["统一社会信用代码", "企业名称", "所属区县", "行业代码"]);
    let map = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap();
    assert_eq!(map.index("uscc"), Some(0));
    assert_eq!(map.index("name"), Some(1));
    assert_eq!(map.index("region"), Some(2));
    assert_eq!(map.index("industry_code"), Some(3));
    assert_eq!(map.index("revenue_wan"), None);
    assert!(map.unknown.is_empty());
    let row = h(&["9151", "甲", "通川区", "3061"]);
    assert_eq!(map.get(&row, "region"), Some("通川区"));
    assert_eq!(map.get(&row, "park"), None);
}

#[test]
fn aliases_units_spaces_widths_case_and_stars() {
    let headers = h(&[
        "序号",
        "*社会信用代码",
        "单位 名称",
        "县（市、区）",
        "国民经济行业代码",
        "营业收入（万元）",
        "资产总额(万元)",
        "年末从业人员（人）",
        "成立时间",
        "注册地址【必填】",
        "电话",
        "经营范围",
        "所在园区",
        "联系人：",
        "USCC",
        "备注",
    ]);
    let mut headers = headers;
    headers.remove(14); // "USCC" would duplicate the code column; checked below
    let map = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap();
    let expect = [
        ("uscc", 1),
        ("name", 2),
        ("region", 3),
        ("industry_code", 4),
        ("revenue_wan", 5),
        ("assets_wan", 6),
        ("employees", 7),
        ("founded_on", 8),
        ("address", 9),
        ("contact_phone", 10),
        ("description", 11),
        ("park", 12),
        ("contact_person", 13),
    ];
    for (key, col) in expect {
        assert_eq!(map.index(key), Some(col), "{key}");
    }
    assert_eq!(map.unknown, ["备注"]);
    assert_eq!(map.warnings(), ["未识别的列“备注”，导入时将忽略"]);

    let keys = h(&["USCC", "Name", "REGION", "industry_code"]);
    assert!(map_headers(&keys, ENTERPRISE_FIELDS, &no_overrides()).is_ok());
}

#[test]
fn a_contradicting_unit_is_an_error() {
    let headers = h(&["统一社会信用代码", "企业名称", "所属区县", "行业代码", "营业收入（元）"]);
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap_err();
    assert_eq!(err.problems, [HeaderProblem::UnitMismatch { header: "营业收入（元）".into(), expected: vec!["万元"] }]);
    assert_eq!(err.to_string(), "列“营业收入（元）”的单位与要求的“万元”不一致，请换算后再导入");
}

#[test]
fn missing_required_columns_are_listed() {
    let headers = h(&["企业名称", "所属区县", "备注"]);
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap_err();
    assert_eq!(err.to_string(), "缺少必填列：统一社会信用代码、行业代码");
}

#[test]
fn duplicates_are_refused() {
    let headers = h(&["统一社会信用代码", "信用代码", "企业名称", "所属区县", "行业代码"]);
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap_err();
    assert_eq!(
        err.problems,
        [HeaderProblem::Duplicate {
            label: "统一社会信用代码",
            headers: vec!["统一社会信用代码".into(), "信用代码".into()]
        }]
    );
    assert!(err.to_string().contains("“统一社会信用代码”和“信用代码”"), "{err}");
}

#[test]
fn no_known_header_at_all() {
    let headers = h(&["2025年达州市重点企业名单", "", ""]);
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &no_overrides()).unwrap_err();
    assert_eq!(err.problems, [HeaderProblem::Unrecognised]);
    assert_eq!(err.to_string(), "无法识别表头，请检查第一行是否为列名");
}

#[test]
fn overrides_from_the_mapping_step() {
    let headers = h(&["代码", "公司", "区", "门类代码", "信用代码"]);
    let mut overrides = HashMap::new();
    overrides.insert("代码".to_owned(), "uscc".to_owned());
    overrides.insert("公司".to_owned(), "name".to_owned());
    overrides.insert("区".to_owned(), "region".to_owned());
    overrides.insert("门类代码".to_owned(), "industry_code".to_owned());
    // Without ignoring it, "信用代码" would map to uscc a second time.
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &overrides).unwrap_err();
    assert!(matches!(err.problems[0], HeaderProblem::Duplicate { .. }), "{err:?}");
    overrides.insert("信用代码".to_owned(), String::new());
    let map = map_headers(&headers, ENTERPRISE_FIELDS, &overrides).unwrap();
    assert_eq!(map.index("uscc"), Some(0));
    assert_eq!(map.index("industry_code"), Some(3));
    assert!(map.unknown.is_empty());

    overrides.insert("区".to_owned(), "county".to_owned());
    let err = map_headers(&headers, ENTERPRISE_FIELDS, &overrides).unwrap_err();
    assert!(err.problems.contains(&HeaderProblem::UnknownField { header: "区".into(), key: "county".into() }));
}

#[test]
fn indicator_and_honour_specs() {
    let headers = h(&["统一社会信用代码", "企业名称", "指标名称", "年度", "期别", "本期值", "计量单位", "来源"]);
    let map = map_headers(&headers, INDICATOR_VALUE_FIELDS, &no_overrides()).unwrap();
    let cols: Vec<(&str, usize)> = map.columns().collect();
    assert_eq!(
        cols,
        [
            ("uscc", 0),
            ("name", 1),
            ("indicator", 2),
            ("year", 3),
            ("period", 4),
            ("value", 5),
            ("unit", 6),
            ("source", 7)
        ]
    );
    let minimal = h(&["信用代码", "指标", "年份", "数值"]);
    assert!(map_headers(&minimal, INDICATOR_VALUE_FIELDS, &no_overrides()).is_ok());
    let err = map_headers(&h(&["信用代码", "指标", "年份"]), INDICATOR_VALUE_FIELDS, &no_overrides()).unwrap_err();
    assert_eq!(err.to_string(), "缺少必填列：数值");

    let honours = h(&["统一社会信用代码", "称号", "层级", "认定年份", "有效期"]);
    let map = map_headers(&honours, HONOUR_FIELDS, &no_overrides()).unwrap();
    assert_eq!(map.index("honour"), Some(1));
    assert_eq!(map.index("level"), Some(2));
    assert_eq!(map.index("year"), Some(3));
    assert_eq!(map.index("valid_until"), Some(4));
}
