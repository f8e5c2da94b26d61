//! A small Dazhou-like ledger shared by the tests.

use domain::role::EnterpriseScope;
use search::{EnterpriseDoc, SearchIndex, SearchResult};
use std::collections::BTreeSet;

pub const TONGCHUAN: &str = "511702";
pub const DACHUAN: &str = "511703";
pub const XUANHAN: &str = "511722";
pub const KAIJIANG: &str = "511723";
pub const HIGH_TECH_PARK: &str = "5117P1";

pub fn doc(id: i64, name: &str, region: &str) -> EnterpriseDoc {
    EnterpriseDoc {
        id,
        uscc: format!("91511700MA{id:08}"),
        name: name.to_string(),
        region: region.to_string(),
        ..EnterpriseDoc::default()
    }
}

/// Ten enterprises across four counties and one park, on several chains.
pub fn ledger() -> Vec<EnterpriseDoc> {
    vec![
        EnterpriseDoc {
            products: vec!["玄武岩纤维".into(), "短切纱".into(), "复合筋".into()],
            scope: "玄武岩纤维及制品的研发、生产、销售。".into(),
            address: "达州市达川区高新区玄武岩纤维产业园".into(),
            park: Some(HIGH_TECH_PARK.into()),
            chains: vec!["basalt_fiber".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(1, "四川玄武岩纤维新材料有限公司", DACHUAN)
        },
        EnterpriseDoc {
            products: vec!["土工布".into(), "玄武岩纤维布".into()],
            scope: "土工材料、纤维布制造与销售。".into(),
            address: "达州市通川区西外镇".into(),
            chains: vec!["basalt_fiber".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(2, "达州巴山建材有限公司", TONGCHUAN)
        },
        EnterpriseDoc {
            products: vec!["电池级碳酸锂".into(), "氢氧化锂".into()],
            scope: "卤水提锂，碳酸锂、氢氧化锂生产销售。".into(),
            address: "宣汉县普光镇".into(),
            chains: vec!["lithium_potassium".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(3, "宣汉锂盐化工有限公司", XUANHAN)
        },
        EnterpriseDoc {
            products: vec!["磷酸铁锂".into(), "正极材料".into()],
            scope: "锂电池正极材料研发；化工产品（不含危险化学品）销售。以碳酸锂为原料。".into(),
            address: "达州市达川区".into(),
            chains: vec!["lithium_battery".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(4, "达州碳酸锂科技有限公司", DACHUAN)
        },
        EnterpriseDoc {
            former_names: vec!["宣汉县天然气净化有限公司".into()],
            products: vec!["甲醇".into(), "合成氨".into()],
            scope: "天然气化工产品生产。".into(),
            address: "宣汉县普光经济开发区".into(),
            chains: vec!["gas_chemical".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(5, "普光天然气化工有限责任公司", XUANHAN)
        },
        EnterpriseDoc {
            products: vec!["页岩气".into(), "天然气".into()],
            scope: "天然气勘探、开采、集输。".into(),
            address: "开江县".into(),
            chains: vec!["natural_gas".into()],
            lead_departments: vec!["nycyj".into()],
            ..doc(6, "开江页岩气开发有限公司", KAIJIANG)
        },
        EnterpriseDoc {
            products: vec!["富硒茶".into(), "绿茶".into()],
            scope: "茶叶种植、加工、销售。".into(),
            address: "宣汉县漆碑乡".into(),
            chains: vec!["selenium_tea".into()],
            lead_departments: vec!["nyncj".into()],
            ..doc(7, "宣汉巴山富硒茶业有限公司", XUANHAN)
        },
        EnterpriseDoc {
            products: vec!["苎麻纱".into(), "麻布".into()],
            scope: "苎麻纺织、印染。".into(),
            address: "达州市达川区".into(),
            chains: vec!["ramie_textile".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(8, "达州苎麻纺织有限公司", DACHUAN)
        },
        EnterpriseDoc {
            products: vec!["白酒".into()],
            scope: "白酒生产、销售。".into(),
            address: "通川区".into(),
            chains: vec!["baijiu".into()],
            lead_departments: vec!["sww".into()],
            ..doc(9, "达州浓香酒业有限公司", TONGCHUAN)
        },
        EnterpriseDoc {
            products: vec!["植保无人机".into(), "飞控".into()],
            scope: "无人机研发、制造；航拍服务。".into(),
            address: "达州高新区".into(),
            park: Some(HIGH_TECH_PARK.into()),
            chains: vec!["drones".into()],
            lead_departments: vec!["jxj".into()],
            ..doc(10, "达州低空无人机科技有限公司", DACHUAN)
        },
    ]
}

pub fn loaded() -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.upsert(&ledger()).expect("upsert ledger");
    index
}

pub fn all() -> EnterpriseScope {
    EnterpriseScope { read_all: true, ..EnterpriseScope::default() }
}

pub fn ids(r: &SearchResult) -> Vec<i64> {
    r.items.iter().map(|h| h.id).collect()
}

pub fn id_set(r: &SearchResult) -> BTreeSet<i64> {
    r.items.iter().map(|h| h.id).collect()
}

pub fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}
