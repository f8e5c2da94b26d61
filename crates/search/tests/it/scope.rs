//! The security-critical part: what each scope sees, in the page and in the total.

use crate::fixtures::{DACHUAN, HIGH_TECH_PARK, TONGCHUAN, XUANHAN, all, doc, id_set, loaded, set};
use domain::role::{EnterpriseScope, Grant};
use search::{EnterpriseDoc, SearchIndex, SearchResult};
use std::collections::BTreeSet;

/// A query every enterprise of the ledger matches (all names end in 有限公司 or 有限责任公司).
const EVERYONE: &str = "公司";

fn scope_of(grants: &[&str]) -> EnterpriseScope {
    let grants: Vec<Grant> = grants.iter().map(|g| Grant::parse(g).unwrap()).collect();
    EnterpriseScope::from_grants(&grants)
}

fn visible(index: &SearchIndex, q: &str, scope: &EnterpriseScope) -> SearchResult {
    let r = index.search(q, scope, 100, 0).unwrap();
    assert_eq!(r.total, r.items.len(), "a page of 100 holds everything here");
    r
}

fn assert_sees(index: &SearchIndex, q: &str, scope: &EnterpriseScope, expected: &[i64]) {
    let r = visible(index, q, scope);
    assert_eq!(id_set(&r), set(expected), "{q:?} for {scope:?}");
    assert_eq!(r.total, expected.len(), "total of {q:?} for {scope:?}");
}

#[test]
fn everyone_query_matches_the_whole_ledger() {
    assert_sees(&loaded(), EVERYONE, &all(), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_sees(&loaded(), EVERYONE, &scope_of(&["office"]), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_sees(&loaded(), EVERYONE, &scope_of(&["viewer"]), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn a_region_user_never_sees_another_regions_hits() {
    let index = loaded();
    let xuanhan = scope_of(&[&format!("region:{XUANHAN}")]);
    assert_sees(&index, EVERYONE, &xuanhan, &[3, 5, 7]);
    // 碳酸锂 matches 3 (宣汉) and 4 (达川): only 3, and the total says 1.
    assert_sees(&index, "碳酸锂", &xuanhan, &[3]);
    assert_sees(&index, "无人机", &xuanhan, &[]);
    // Not even by USCC.
    assert_sees(&index, "91511700MA00000004", &xuanhan, &[]);
    assert_sees(&index, "91511700MA", &xuanhan, &[3, 5, 7]);
    // Pages of a region user count only its own hits.
    let p = index.search(EVERYONE, &xuanhan, 1, 1).unwrap();
    assert_eq!((p.total, p.items.len()), (3, 1));
    assert!([3, 5, 7].contains(&p.items[0].id));

    let tongchuan = scope_of(&[&format!("region:{TONGCHUAN}")]);
    assert_sees(&index, EVERYONE, &tongchuan, &[2, 9]);
    assert_sees(&index, "玄武岩纤维", &tongchuan, &[2]);
}

#[test]
fn a_park_grant_sees_the_park_and_a_prefecture_grant_its_counties() {
    let index = loaded();
    assert_sees(&index, EVERYONE, &scope_of(&[&format!("region:{HIGH_TECH_PARK}")]), &[1, 10]);
    assert_sees(&index, EVERYONE, &scope_of(&[&format!("region:{DACHUAN}")]), &[1, 4, 8, 10]);
    assert_sees(&index, EVERYONE, &scope_of(&["region:511700"]), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_sees(&index, EVERYONE, &scope_of(&["region:510000"]), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Another prefecture sees nothing of Dazhou.
    assert_sees(&index, EVERYONE, &scope_of(&["region:511300"]), &[]);
    // Two grants: the union.
    assert_sees(
        &index,
        EVERYONE,
        &scope_of(&[&format!("region:{XUANHAN}"), &format!("region:{TONGCHUAN}")]),
        &[2, 3, 5, 7, 9],
    );
}

#[test]
fn a_chief_sees_the_chain() {
    let index = loaded();
    let chief = scope_of(&["chief:basalt_fiber"]);
    assert_sees(&index, EVERYONE, &chief, &[1, 2]);
    assert_sees(&index, "碳酸锂", &chief, &[]);
    let two = scope_of(&["chief:lithium_potassium", "chief:lithium_battery"]);
    assert_sees(&index, "碳酸锂", &two, &[3, 4]);
}

#[test]
fn a_lead_department_sees_the_chains_it_leads() {
    let index = loaded();
    assert_sees(&index, EVERYONE, &scope_of(&["lead_dept:nycyj"]), &[6]);
    assert_sees(&index, EVERYONE, &scope_of(&["lead_dept:sww"]), &[9]);
    assert_sees(&index, EVERYONE, &scope_of(&["lead_dept:jxj"]), &[1, 2, 3, 4, 5, 8, 10]);
    assert_sees(&index, "富硒茶", &scope_of(&["lead_dept:jxj"]), &[]);
}

#[test]
fn an_enterprise_sees_itself_only() {
    let index = loaded();
    let own = scope_of(&["enterprise:91511700MA00000007"]);
    assert_sees(&index, EVERYONE, &own, &[7]);
    assert_sees(&index, "富硒茶", &own, &[7]);
    assert_sees(&index, "碳酸锂", &own, &[]);
    // The USCC is compared in upper case.
    assert_sees(&index, EVERYONE, &scope_of(&["enterprise:91511700ma00000007"]), &[7]);
}

#[test]
fn grants_combine_as_a_union() {
    let index = loaded();
    let s = scope_of(&[&format!("region:{TONGCHUAN}"), "chief:drones", "enterprise:91511700MA00000006"]);
    assert_sees(&index, EVERYONE, &s, &[2, 6, 9, 10]);
}

#[test]
fn an_empty_scope_sees_nothing() {
    let index = loaded();
    for scope in [
        EnterpriseScope::default(),
        scope_of(&["auditor"]),
        scope_of(&["sysadmin"]),
        scope_of(&["bank:某银行"]),
        scope_of(&["unit:jxj"]),
        // Blank values are not wildcards.
        EnterpriseScope { regions: vec!["".into(), "  ".into()], ..EnterpriseScope::default() },
        EnterpriseScope { own_usccs: vec![String::new()], ..EnterpriseScope::default() },
    ] {
        for q in [EVERYONE, "碳酸锂", "91511700MA"] {
            let r = index.search(q, &scope, 100, 0).unwrap();
            assert_eq!((r.total, r.items.len()), (0, 0), "{q:?} for {scope:?}");
        }
    }
}

#[test]
fn enterprises_without_region_or_park_are_not_visible_to_blank_grants() {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(&[EnterpriseDoc { park: Some(String::new()), ..doc(1, "无区划有限公司", "") }]).unwrap();
    assert_sees(&index, "有限公司", &all(), &[1]);
    let blank = EnterpriseScope { regions: vec![String::new()], ..EnterpriseScope::default() };
    assert_eq!(index.search("有限公司", &blank, 10, 0).unwrap().total, 0);
}

#[test]
fn moving_an_enterprise_moves_its_visibility() {
    let index = loaded();
    let xuanhan = scope_of(&[&format!("region:{XUANHAN}")]);
    let mut moved = crate::fixtures::ledger()[3].clone();
    moved.region = XUANHAN.into();
    index.upsert(&[moved]).unwrap();
    assert_sees(&index, "碳酸锂", &xuanhan, &[3, 4]);
    assert_sees(&index, "碳酸锂", &scope_of(&[&format!("region:{DACHUAN}")]), &[]);
    let ids: BTreeSet<i64> = visible(&index, EVERYONE, &xuanhan).items.iter().map(|h| h.id).collect();
    assert_eq!(ids, set(&[3, 4, 5, 7]));
}
