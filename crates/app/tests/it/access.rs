//! The access matrix of issue §5: every role × {inside its scope, outside} × {list, get,
//! create, update, delete, export} on the enterprise ledger, against a table written out
//! here from `EnterpriseScope::from_grants` and the rules of `app::enterprise`.

use crate::harness::{all, audit_rows, backends, input, principal, uscc};
use app::account::Principal;
use app::enterprise::EnterpriseInput;
use app::{App, AppError};
use std::collections::BTreeSet;
use store::sql::Sql;

/// What one operation should come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exp {
    /// Done (list/export: the row is in the result).
    Allow,
    /// list/export succeed but the row is not in them.
    Hidden,
    /// `AppError::Forbidden`.
    Forbidden,
    /// `AppError::NotFound`, exactly as for a missing id.
    NotFound,
    /// `AppError::Invalid` (a region creating outside its area).
    Invalid,
}
use Exp::*;

/// (inside = enterprise A in 宣汉县 on chain gas_chemical led by jxj,
///  outside = enterprise B in 开江县 on chain electronics led by kjj)
struct Row {
    role: &'static str,
    grant: &'static str,
    list: (Exp, Exp),
    get: (Exp, Exp),
    create: (Exp, Exp),
    update: (Exp, Exp),
    delete: (Exp, Exp),
    export: (Exp, Exp),
}

/// Roles that see nothing of the ledger. Reads are refused outright; a write finds nothing
/// to write (404, the same as a missing id, so nothing leaks either way).
const fn nothing(role: &'static str, grant: &'static str) -> Row {
    Row {
        role,
        grant,
        list: (Forbidden, Forbidden),
        get: (Forbidden, Forbidden),
        create: (Forbidden, Forbidden),
        update: (NotFound, NotFound),
        delete: (NotFound, NotFound),
        export: (Forbidden, Forbidden),
    }
}

const MATRIX: [Row; 12] = [
    // The office: the whole city, read, write, create, delete.
    Row {
        role: "office",
        grant: "office",
        list: (Allow, Allow),
        get: (Allow, Allow),
        create: (Allow, Allow),
        update: (Allow, Allow),
        delete: (Allow, Allow),
        export: (Allow, Allow),
    },
    // 链长: reads the enterprises of its chain, writes nothing.
    Row {
        role: "chief",
        grant: "chief:gas_chemical",
        list: (Allow, Hidden),
        get: (Allow, NotFound),
        create: (Forbidden, Forbidden),
        update: (Forbidden, NotFound),
        delete: (Forbidden, NotFound),
        export: (Allow, Hidden),
    },
    // 牵头部门: reads and updates the enterprises of the chains it leads; no create, no delete.
    Row {
        role: "lead_dept",
        grant: "lead_dept:jxj",
        list: (Allow, Hidden),
        get: (Allow, NotFound),
        create: (Forbidden, Forbidden),
        update: (Allow, NotFound),
        delete: (Forbidden, NotFound),
        export: (Allow, Hidden),
    },
    // 责任单位: not the ledger (it sees items assigned to it), even though B's chain is led
    // by its department.
    nothing("unit", "unit:kjj"),
    // 县市区: reads, updates and creates inside its area; no delete.
    Row {
        role: "region",
        grant: "region:511722",
        list: (Allow, Hidden),
        get: (Allow, NotFound),
        create: (Allow, Invalid),
        update: (Allow, NotFound),
        delete: (Forbidden, NotFound),
        export: (Allow, Hidden),
    },
    // 企业: reads its own record only; corrections go through review.
    Row {
        role: "enterprise",
        grant: "enterprise:A",
        list: (Allow, Hidden),
        get: (Allow, NotFound),
        create: (Forbidden, Forbidden),
        update: (Forbidden, NotFound),
        delete: (Forbidden, NotFound),
        export: (Allow, Hidden),
    },
    nothing("bank", "bank:某银行"),
    nothing("expert", "expert"),
    // 领导查阅: reads and exports everything, writes nothing.
    Row {
        role: "viewer",
        grant: "viewer",
        list: (Allow, Allow),
        get: (Allow, Allow),
        create: (Forbidden, Forbidden),
        update: (Forbidden, Forbidden),
        delete: (Forbidden, Forbidden),
        export: (Allow, Allow),
    },
    // 三权分立: none of them touches business data.
    nothing("sysadmin", "sysadmin"),
    nothing("secadmin", "secadmin"),
    nothing("auditor", "auditor"),
];

fn check(wrong: &mut Vec<String>, what: &str, role: &str, got: Exp, want: Exp) {
    if got != want {
        wrong.push(format!("{role} {what}: got {got:?}, want {want:?}"));
    }
}

/// Fails with every cell that differed so far.
fn settle(wrong: &[String], n: &str, phase: &str) {
    assert!(wrong.is_empty(), "{n}: the access matrix ({phase}) differs from the table:\n{}", wrong.join("\n"));
}

fn outcome<T: std::fmt::Debug>(r: &Result<T, AppError>) -> Exp {
    match r {
        Ok(_) => Allow,
        Err(AppError::Forbidden(_)) => Forbidden,
        Err(AppError::NotFound) => NotFound,
        Err(AppError::Invalid(_)) => Invalid,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

/// Everything a denied operation must leave as it was.
#[derive(Debug, PartialEq, Eq)]
struct State {
    enterprises: Vec<(i64, i64, bool, String)>,
    audit: i64,
    history: i64,
}

async fn state(app: &App) -> State {
    let enterprises = Sql::new("SELECT id, version, archived, address FROM enterprise ORDER BY id")
        .fetch_all(&app.db)
        .await
        .expect("enterprise rows");
    State {
        enterprises,
        audit: audit_rows(app).await,
        history: crate::harness::count(app, "SELECT COUNT(*) FROM field_history").await,
    }
}

async fn version(app: &App, id: i64) -> i64 {
    let mut q = Sql::new("SELECT version FROM enterprise WHERE id = ");
    q.bind(id);
    q.fetch_i64(&app.db).await.expect("version")
}

async fn current_input(app: &App, office: &Principal, id: i64) -> EnterpriseInput {
    EnterpriseInput::from_row(&app.enterprise(office, id).await.expect("office reads every enterprise"))
}

struct Fixture {
    a: i64,
    b: i64,
    a_uscc: String,
    office: Principal,
    people: Vec<(&'static Row, Principal)>,
}

async fn fixture(app: &App) -> Fixture {
    // Two chains, one led by 经信局 and one by 科技局.
    let mut tx = app.db.begin().await.expect("tx");
    let chain = |code: &str, name: &str, field: &str, lead: &str| store::chain::NewChain {
        code: code.into(),
        name: name.into(),
        field_code: field.into(),
        lead_department_code: lead.into(),
        provincial_key: true,
        carrying_regions: vec!["511722".into()],
        collaborating_regions: vec![],
    };
    let c1 = chain("gas_chemical", "天然气化工", "energy_chemical", "jxj");
    let c2 = chain("electronics", "电子信息", "digital_economy", "kjj");
    let c1 = store::chain::insert(&mut tx, &c1, app.now(), None).await.expect("chain 1");
    let c2 = store::chain::insert(&mut tx, &c2, app.now(), None).await.expect("chain 2");
    tx.commit().await.expect("commit chains");

    let office = principal(app, "u.office", "办公室甲", &["office"]).await;
    let a_uscc = uscc("511722", 1);
    let a = app.create_enterprise(&office, &input(&a_uscc, "宣汉甲化工有限公司", "511722", "2614")).await.expect("A");
    let b = app
        .create_enterprise(&office, &input(&uscc("511723", 2), "开江乙电子有限公司", "511723", "3982"))
        .await
        .expect("B");
    let mut tx = app.db.begin().await.expect("tx");
    store::chain::add_enterprise(&mut tx, c1, a).await.expect("A on chain 1");
    store::chain::add_enterprise(&mut tx, c2, b).await.expect("B on chain 2");
    tx.commit().await.expect("commit links");

    let mut people = Vec::new();
    for row in &MATRIX {
        let p = if row.role == "office" {
            office.clone()
        } else {
            let grant = row.grant.replace("enterprise:A", &format!("enterprise:{a_uscc}"));
            principal(app, &format!("u.{}", row.role), &format!("用户{}", row.role), &[grant.as_str()]).await
        };
        assert_eq!(p.grants.len(), 1, "{}", row.role);
        assert_eq!(p.grants[0].role.code(), row.role);
        people.push((row, p));
    }
    Fixture { a, b, a_uscc, office, people }
}

#[tokio::test]
async fn enterprise_access_matrix() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let f = fixture(app).await;
        let (a, b) = (f.a, f.b);
        let missing = 9_999_999;
        let mut wrong: Vec<String> = Vec::new();

        // ---- reads: list, count, get, export; the ledger holds exactly A and B ----
        for (row, p) in &f.people {
            let role = row.role;
            let before = state(app).await;
            let list = app.enterprises(p, &all()).await;
            let cnt = app.enterprise_count(p, &all()).await;
            match (&list, &cnt) {
                (Ok((items, total)), Ok(c)) => {
                    let ids: BTreeSet<i64> = items.iter().map(|e| e.id).collect();
                    check(&mut wrong, "list", role, if ids.contains(&a) { Allow } else { Hidden }, row.list.0);
                    check(&mut wrong, "list outside", role, if ids.contains(&b) { Allow } else { Hidden }, row.list.1);
                    let want: BTreeSet<i64> = [(a, row.list.0), (b, row.list.1)]
                        .into_iter()
                        .filter(|(_, e)| *e == Allow)
                        .map(|(id, _)| id)
                        .collect();
                    assert_eq!(ids, want, "{n} {role}: visible set");
                    assert_eq!(
                        (*total, *c),
                        (want.len() as i64, want.len() as i64),
                        "{n} {role}: list total and count"
                    );
                    let by_region = app.enterprise_counts_by_region(p).await.expect("counts by region");
                    assert_eq!(
                        by_region.iter().map(|r| r.enterprises).sum::<i64>(),
                        *c,
                        "{n} {role}: counts by region"
                    );
                }
                (Err(_), Err(_)) => {
                    check(&mut wrong, "list", role, outcome(&list), row.list.0);
                    check(&mut wrong, "list outside", role, outcome(&cnt), row.list.1);
                    assert!(app.enterprise_counts_by_region(p).await.is_err(), "{n} {role}: counts by region");
                }
                _ => panic!("{n} {role}: list {list:?} and count {cnt:?} disagree"),
            }
            let ga = app.enterprise(p, a).await;
            let gb = app.enterprise(p, b).await;
            check(&mut wrong, "get", role, outcome(&ga), row.get.0);
            check(&mut wrong, "get outside", role, outcome(&gb), row.get.1);
            if let Ok(r) = &ga {
                assert_eq!(r.uscc, f.a_uscc, "{n} {role}");
            }
            // Outside looks exactly like missing.
            let gm = app.enterprise(p, missing).await;
            if row.get.1 == NotFound {
                assert!(matches!(gm, Err(AppError::NotFound)), "{n} {role}: missing id gives {gm:?}");
                assert_eq!(gb.as_ref().unwrap_err().to_string(), gm.as_ref().unwrap_err().to_string(), "{n} {role}");
            }
            if row.get.0 != Allow {
                assert!(gm.is_err(), "{n} {role}");
                assert_eq!(outcome(&gm), outcome(&ga), "{n} {role}: missing and inside-but-unreadable look alike");
            }
            // Related reads follow the same scope.
            assert_eq!(outcome(&app.enterprise_history(p, b).await), outcome(&gb), "{n} {role}: history outside");
            assert_eq!(outcome(&app.enterprise_chains(p, b).await), outcome(&gb), "{n} {role}: chains outside");
            assert_eq!(state(app).await, before, "{n} {role}: reads wrote something");

            let ex = app.enterprise_export(p, &all()).await;
            let after = state(app).await;
            match &ex {
                Ok(rows) => {
                    let ids: BTreeSet<i64> = rows.iter().map(|e| e.id).collect();
                    check(&mut wrong, "export", role, if ids.contains(&a) { Allow } else { Hidden }, row.export.0);
                    check(
                        &mut wrong,
                        "export outside",
                        role,
                        if ids.contains(&b) { Allow } else { Hidden },
                        row.export.1,
                    );
                    let listed: BTreeSet<i64> = list.as_ref().expect("list").0.iter().map(|e| e.id).collect();
                    assert_eq!(ids, listed, "{n} {role}: export = list");
                    assert_eq!(after.audit, before.audit + 1, "{n} {role}: an export is audited");
                    let last = crate::harness::audit_actions(app).await.pop().expect("audit row");
                    assert_eq!(last, ("enterprise.export".to_string(), "*".to_string()));
                }
                Err(_) => {
                    check(&mut wrong, "export", role, outcome(&ex), row.export.0);
                    check(&mut wrong, "export outside", role, outcome(&ex), row.export.1);
                    assert_eq!(after, before, "{n} {role}: a refused export changed something");
                }
            }
        }

        settle(&wrong, n, "reads");

        // ---- create: inside = A's county, outside = B's county ----
        let mut k = 100;
        for (row, p) in &f.people {
            let role = row.role;
            for (region, want) in [("511722", row.create.0), ("511723", row.create.1)] {
                k += 1;
                let before = state(app).await;
                let i = input(&uscc(region, k), &format!("{role}新增{k}有限公司"), region, "2614");
                let r = app.create_enterprise(p, &i).await;
                check(&mut wrong, &format!("create in {region}"), role, outcome(&r), want);
                match r {
                    Ok(id) => {
                        let e = app.enterprise(&f.office, id).await.expect("created");
                        assert_eq!(
                            (e.region_code.as_str(), e.version, e.updated_by),
                            (region, 1, Some(p.account_id)),
                            "{n} {role}"
                        );
                        assert_eq!(state(app).await.audit, before.audit + 1, "{n} {role}: create is audited");
                        // Whoever creates can read what they created.
                        assert!(app.enterprise(p, id).await.is_ok(), "{n} {role}: reads own creation");
                    }
                    Err(AppError::Invalid(errs)) => {
                        assert_eq!(
                            errs,
                            vec![app::FieldError::new("region_code", "只能在本辖区内新增企业")],
                            "{n} {role}"
                        );
                        assert_eq!(state(app).await, before, "{n} {role}: refused create changed something");
                    }
                    Err(_) => assert_eq!(state(app).await, before, "{n} {role}: refused create changed something"),
                }
            }
        }

        settle(&wrong, n, "create");

        // ---- update ----
        for (row, p) in &f.people {
            let role = row.role;
            for (id, want) in [(a, row.update.0), (b, row.update.1)] {
                let before = state(app).await;
                let v = version(app, id).await;
                let mut i = current_input(app, &f.office, id).await;
                i.address = format!("{role}改过的地址");
                let r = app.update_enterprise(p, id, v, &i).await;
                check(&mut wrong, if id == a { "update" } else { "update outside" }, role, outcome(&r), want);
                if r.is_ok() {
                    let e = app.enterprise(&f.office, id).await.expect("updated");
                    assert_eq!(
                        (e.version, e.address.as_str(), e.updated_by),
                        (v + 1, i.address.as_str(), Some(p.account_id)),
                        "{n} {role}"
                    );
                    assert_eq!(state(app).await.audit, before.audit + 1, "{n} {role}: update is audited");
                } else {
                    assert_eq!(state(app).await, before, "{n} {role}: refused update changed something");
                }
            }
            // Updating a missing id is NotFound for everyone.
            let before = state(app).await;
            let i = current_input(app, &f.office, a).await;
            let r = app.update_enterprise(p, missing, 1, &i).await;
            assert!(matches!(r, Err(AppError::NotFound)), "{n} {role}: update missing gives {r:?}");
            let r = app.delete_enterprise(p, missing, 1).await;
            assert!(matches!(r, Err(AppError::NotFound)), "{n} {role}: delete missing gives {r:?}");
            assert_eq!(state(app).await, before, "{n} {role}");
        }

        settle(&wrong, n, "update");

        // ---- delete: every other role first, the office last ----
        let office_row = &f.people[0];
        let others_done = f.people.len() - 1;
        assert_eq!(office_row.0.role, "office");
        for (k, (row, p)) in f.people.iter().skip(1).chain(std::iter::once(office_row)).enumerate() {
            if k == others_done {
                settle(&wrong, n, "delete");
            }
            let role = row.role;
            for (id, want) in [(a, row.delete.0), (b, row.delete.1)] {
                let before = state(app).await;
                let v = version(app, id).await;
                if want == Allow {
                    // The version read is required: an old one is refused as stale.
                    let r = app.delete_enterprise(p, id, v - 1).await;
                    assert!(
                        matches!(r, Err(AppError::Stale { .. })),
                        "{n} {role}: delete with old version gives {r:?}"
                    );
                    assert_eq!(state(app).await, before, "{n} {role}: stale delete changed something");
                }
                let r = app.delete_enterprise(p, id, v).await;
                check(&mut wrong, if id == a { "delete" } else { "delete outside" }, role, outcome(&r), want);
                if r.is_ok() {
                    assert!(
                        matches!(app.enterprise(p, id).await, Err(AppError::NotFound)),
                        "{n} {role}: deleted is gone"
                    );
                    let after = state(app).await;
                    assert_eq!(after.audit, before.audit + 1, "{n} {role}: delete is audited");
                    let row = after.enterprises.iter().find(|e| e.0 == id).expect("archived, not erased");
                    assert_eq!((row.1, row.2), (v + 1, true), "{n} {role}");
                } else {
                    assert_eq!(state(app).await, before, "{n} {role}: refused delete changed something");
                }
            }
        }
        // Archived rows leave every list and count.
        let (items, total) = app.enterprises(&f.office, &all()).await.expect("office list");
        assert!(items.iter().all(|e| e.id != a && e.id != b), "{n}");
        assert_eq!(total, app.enterprise_count(&f.office, &all()).await.expect("count"), "{n}");
        assert!(
            matches!(
                app.update_enterprise(&f.office, a, version(app, a).await, &input(&f.a_uscc, "x", "511722", "2614"))
                    .await,
                Err(AppError::NotFound)
            ),
            "{n}"
        );

        settle(&wrong, n, "office delete");
        assert_eq!(f.people.len(), 12, "{n}");
    }
}

/// The region role may update inside but not move an enterprise out of its area.
#[tokio::test]
async fn region_cannot_move_enterprise_out() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let f = fixture(app).await;
        let region = &f.people.iter().find(|(r, _)| r.role == "region").expect("region").1;
        let before = state(app).await;
        let mut i = current_input(app, &f.office, f.a).await;
        i.region_code = "511723".into();
        let r = app.update_enterprise(region, f.a, 1, &i).await;
        match r {
            Err(AppError::Invalid(errs)) => {
                assert_eq!(errs, vec![app::FieldError::new("region_code", "不能把企业移出本辖区")], "{n}")
            }
            other => panic!("{n}: {other:?}"),
        }
        assert_eq!(state(app).await, before, "{n}");
        // The lead department's scope follows the chain, so it may move one.
        let lead = &f.people.iter().find(|(r, _)| r.role == "lead_dept").expect("lead").1;
        app.update_enterprise(lead, f.a, 1, &i).await.expect("lead department moves A");
        assert_eq!(app.enterprise(lead, f.a).await.expect("still on its chain").region_code, "511723", "{n}");
        assert!(matches!(app.enterprise(region, f.a).await, Err(AppError::NotFound)), "{n}: now outside the region");
    }
}
