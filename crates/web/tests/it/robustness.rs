//! Random bodies to every write endpoint: never a 500, never a panic, nothing written.

use crate::{PW, env};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn bodies() -> impl Strategy<Value = (usize, Vec<u8>, bool)> {
    let json_like = prop_oneof![
        any::<Vec<u8>>(),
        "\\PC{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,20}"), 0..8).prop_map(|kv| {
            let m: serde_json::Map<String, serde_json::Value> =
                kv.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
            serde_json::to_vec(&m).unwrap()
        }),
        Just(
            br#"{"uscc":"91350100M000100Y43","name":"x","region_code":"511722","industry_code":"2614","employees":-1}"#
                .to_vec()
        ),
        Just(br#"{"version":"x"}"#.to_vec()),
    ];
    (0usize..7, json_like, any::<bool>())
}

#[test]
fn random_bodies_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (e, token) = rt.block_on(async {
        let e = env().await;
        let t = crate::token(&e, "office1").await;
        (e, t)
    });
    let c = reqwest::Client::new();
    let endpoints: [(&str, &str); 7] = [
        ("POST", "/api/v1/imports/enterprises"),
        ("POST", "/api/v1/enterprises"),
        ("PUT", "/api/v1/enterprises/1"),
        ("DELETE", "/api/v1/enterprises/1"),
        ("POST", "/api/v1/auth/token"),
        ("POST", "/enterprises"),
        ("POST", "/login"),
    ];
    let mut runner = TestRunner::new(Config { cases: 96, ..Config::default() });
    runner
        .run(&bodies(), |(i, body, json)| {
            let (method, path) = endpoints[i];
            let status = rt.block_on(async {
                let mut rq =
                    c.request(method.parse().unwrap(), format!("{}{path}", e.base)).bearer_auth(&token).body(body);
                rq = rq.header(
                    "content-type",
                    if json { "application/json" } else { "application/x-www-form-urlencoded" },
                );
                rq.send().await.unwrap().status().as_u16()
            });
            prop_assert!(status < 500, "{method} {path} gave {status}");
            Ok(())
        })
        .unwrap();
    // None of it wrote an enterprise.
    let count = rt.block_on(async {
        let s = e.app.login("office1", PW, app::account::SessionKind::Api, "t").await.unwrap();
        e.app.enterprise_count(&s.principal, &Default::default()).await.unwrap()
    });
    assert_eq!(count, 0);
}

/// Random form fields, sometimes with the session's valid CSRF token, to every page that
/// accepts a POST, signed in with a role that may use it.
#[test]
fn random_form_posts_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (e, sessions) = rt.block_on(async {
        let e = env().await;
        let mut sessions = Vec::new();
        for user in ["office1", "sys1", "sec1"] {
            let c = crate::client();
            let csrf = crate::web_login(&c, &e.base, user).await;
            sessions.push((c, csrf));
        }
        (e, sessions)
    });
    let endpoints: [(usize, &str); 10] = [
        (0, "/enterprises"),
        (0, "/enterprises/1"),
        (0, "/enterprises/1/delete"),
        (0, "/password"),
        (1, "/admin/accounts"),
        (1, "/admin/accounts/2/disable"),
        (1, "/admin/accounts/2/reset"),
        (2, "/admin/accounts/3/roles"),
        (2, "/admin/policy"),
        (2, "/admin/accounts/x/roles"),
    ];
    let fields = proptest::collection::vec(
        (
            prop_oneof![
                Just("uscc".to_string()),
                Just("name".to_string()),
                Just("region_code".to_string()),
                Just("industry_code".to_string()),
                Just("revenue_wan".to_string()),
                Just("version".to_string()),
                Just("roles".to_string()),
                Just("min_length".to_string()),
                Just("username".to_string()),
                Just("display_name".to_string()),
                "[a-z_]{1,10}",
            ],
            "\\PC{0,30}",
        ),
        0..10,
    );
    let mut runner = TestRunner::new(Config { cases: 128, ..Config::default() });
    runner
        .run(&(0usize..10, fields, any::<bool>()), |(i, fields, with_csrf)| {
            let (who, path) = endpoints[i];
            let (c, csrf) = &sessions[who];
            let mut form: Vec<(String, String)> = fields;
            if with_csrf {
                form.push(("csrf".into(), csrf.clone()));
            }
            let status = rt.block_on(async {
                c.post(format!("{}{path}", e.base)).form(&form).send().await.unwrap().status().as_u16()
            });
            prop_assert!(status < 500, "POST {path} gave {status}");
            Ok(())
        })
        .unwrap();
    let v = rt.block_on(e.app.audit_verify(None)).unwrap();
    assert!(v.first_broken.is_none());
}

/// Random form fields to the chain-map, mapping-review, target and follow-up forms, as the
/// office and as a county, with and without the CSRF token: never a 500, the audit chain
/// intact.
#[test]
fn random_chain_and_target_forms_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (e, sessions, cid) = rt.block_on(async {
        let e = env().await;
        let (cid, _) = crate::targets::setup(&e).await;
        let mut sessions = Vec::new();
        for user in ["office1", "region1"] {
            let c = crate::client();
            let csrf = crate::web_login(&c, &e.base, user).await;
            sessions.push((c, csrf));
        }
        (e, sessions, cid)
    });
    let paths: Vec<String> = [
        "segments",
        "retire-segment",
        "move-segment",
        "edges",
        "retire-edge",
        "place",
        "unplace",
        "list-add",
        "list-status",
        "officer",
        "officer-remove",
        "output-target",
        "targets/push",
        "products/review",
        "products/add",
        "products/remap",
    ]
    .iter()
    .map(|a| format!("/chains/{cid}/{a}"))
    .chain([
        "/targets/1/follow-up".to_string(),
        "/targets/x/follow-up".to_string(),
        "/chains/nope/targets/push".to_string(),
    ])
    .collect();
    let names = [
        "segment_id",
        "company_code",
        "regions",
        "mapping_id",
        "version",
        "status",
        "product",
        "note",
        "reason",
        "username",
        "role",
        "year",
        "output",
        "code",
        "name",
        "stage",
        "parent_id",
        "from",
        "to",
        "edge_id",
        "enterprise_id",
        "item_id",
        "kind",
        "title",
        "account_id",
        "sort",
    ];
    let fields = proptest::collection::vec(
        (
            prop_oneof![proptest::sample::select(names.to_vec()).prop_map(String::from), "[a-z_]{1,10}"],
            prop_oneof!["\\PC{0,20}", "-?[0-9]{1,20}", Just("511722".to_string()), Just("600001".to_string())],
        ),
        0..8,
    );
    let mut runner = TestRunner::new(Config { cases: 160, ..Config::default() });
    runner
        .run(&(0usize..paths.len(), fields, any::<bool>(), 0usize..2), |(i, fields, with_csrf, who)| {
            let path = &paths[i];
            let (c, csrf) = &sessions[who];
            let mut form: Vec<(String, String)> = fields;
            if with_csrf {
                form.push(("csrf".into(), csrf.clone()));
            }
            let status = rt.block_on(async {
                c.post(format!("{}{path}", e.base)).form(&form).send().await.unwrap().status().as_u16()
            });
            prop_assert!(status < 500, "POST {path} {form:?} gave {status}");
            Ok(())
        })
        .unwrap();
    let v = rt.block_on(e.app.audit_verify(None)).unwrap();
    assert!(v.first_broken.is_none());
}

/// Random form fields to every key-project form (new, edit, report, milestones, stage
/// change, supervision, saved filters), as the office and as a county, with and without
/// the CSRF token: never a 500, the audit chain intact.
#[test]
fn random_project_forms_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (e, sessions, pid, mid) = rt.block_on(async {
        let e = env().await;
        let (cid, _) = crate::targets::setup(&e).await;
        let office = app::account::Principal::console();
        let input = app::project::ProjectInput {
            name: "示例·随机表单项目".into(),
            chain: cid.to_string(),
            region: "511722".into(),
            investor: "示例业主".into(),
            kind: "upgrade".into(),
            total_wan: "1000".into(),
            unit: "jxj".into(),
            person: "张三".into(),
            planned_start: "2026-12-01".into(),
            ..Default::default()
        };
        let pid = e.app.create_project(&office, &input).await.unwrap();
        let mid = e.app.project(&office, pid).await.unwrap().milestones[1].id;
        let mut sessions = Vec::new();
        for user in ["office1", "region1"] {
            let c = crate::client();
            let csrf = crate::web_login(&c, &e.base, user).await;
            sessions.push((c, csrf));
        }
        (e, sessions, pid, mid)
    });
    let paths: Vec<String> = vec![
        "/projects/new".into(),
        format!("/projects/{pid}/edit"),
        format!("/projects/{pid}/reports"),
        format!("/projects/{pid}/milestones/{mid}/done"),
        format!("/projects/{pid}/milestones/{mid}/adjust"),
        format!("/projects/{pid}/milestones/999999/adjust"),
        format!("/projects/{pid}/transition"),
        format!("/projects/{pid}/supervisions"),
        format!("/projects/{pid}/supervisions/1/respond"),
        "/projects/filters".into(),
        "/projects/filters/1/delete".into(),
        "/projects/abc/reports".into(),
        "/projects/999999/edit".into(),
    ];
    let names = [
        "name",
        "chain",
        "region",
        "segment_id",
        "enterprise_uscc",
        "investor",
        "kind",
        "tag_effective",
        "total_wan",
        "plan_year_0",
        "plan_wan_0",
        "land_mu",
        "land_mode",
        "output_wan",
        "tax_wan",
        "unit",
        "person",
        "person_username",
        "planned_start",
        "planned_end",
        "stage",
        "version",
        "month",
        "amount_wan",
        "progress",
        "problems",
        "on",
        "due_on",
        "reason",
        "to",
        "title",
        "content",
        "response",
        "query",
        "filing_no",
    ];
    let fields = proptest::collection::vec(
        (
            prop_oneof![proptest::sample::select(names.to_vec()).prop_map(String::from), "[a-z_]{1,10}"],
            prop_oneof![
                "\\PC{0,20}",
                "-?[0-9]{1,20}",
                Just("2026-11".to_string()),
                Just("2026-12-31".to_string()),
                Just("511722".to_string()),
                Just("1".to_string())
            ],
        ),
        0..10,
    );
    let mut runner = TestRunner::new(Config { cases: 160, ..Config::default() });
    runner
        .run(&(0usize..paths.len(), fields, any::<bool>(), 0usize..2), |(i, fields, with_csrf, who)| {
            let path = &paths[i];
            let (c, csrf) = &sessions[who];
            let mut form: Vec<(String, String)> = fields;
            if with_csrf {
                form.push(("csrf".into(), csrf.clone()));
            }
            let status = rt.block_on(async {
                c.post(format!("{}{path}", e.base)).form(&form).send().await.unwrap().status().as_u16()
            });
            prop_assert!(status < 500, "POST {path} {form:?} gave {status}");
            Ok(())
        })
        .unwrap();
    let v = rt.block_on(e.app.audit_verify(None)).unwrap();
    assert!(v.first_broken.is_none());
}
