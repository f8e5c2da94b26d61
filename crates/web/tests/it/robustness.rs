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
    (0usize..6, json_like, any::<bool>())
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
    let endpoints: [(&str, &str); 6] = [
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
