//! `qianglian eval compute` and `qianglian eval ahp` as a user runs them: the JSON contract,
//! identical numbers on a second run from the printed output's inputs, clear refusals.

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qianglian")).args(args).output().expect("run qianglian");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn eval_compute_and_ahp() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.csv");
    std::fs::write(&m, "企业,产值,研发强度,能耗\nA,17,3.1,5\nB,10,4.5,2\nC,8,1.2,9\nD,10,4.5,2\n").unwrap();
    let p = dir.path().join("p.csv");
    std::fs::write(&p, ",产值,研发强度,能耗\n产值,1,3,5\n研发强度,1/3,1,3\n能耗,1/5,1/3,1\n").unwrap();
    let ms = m.to_str().unwrap();
    let (ok, out, err) = run(&[
        "eval",
        "compute",
        "--matrix",
        ms,
        "--types",
        "b,b,c",
        "--weighting",
        "entropy",
        "--method",
        "topsis",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w: Vec<f64> = v["weights"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(w.len(), 3);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    // B and D are the same row: the same score, the shared average rank.
    assert_eq!(results[1]["score"], results[3]["score"]);
    assert_eq!(results[1]["rank"], results[3]["rank"]);
    assert!(results[1]["rank"].as_f64().unwrap().fract() == 0.5, "{out}");
    // Contributions, when asked for, add up to each score.
    let (ok, parts, err) = run(&[
        "eval",
        "compute",
        "--matrix",
        ms,
        "--types",
        "b,b,c",
        "--weighting",
        "entropy",
        "--method",
        "topsis",
        "--contributions",
        "--json",
    ]);
    assert!(ok, "{err}");
    let with_parts: serde_json::Value = serde_json::from_str(&parts).unwrap();
    for r in with_parts["results"].as_array().unwrap() {
        let sum: f64 = r["contributions"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).sum();
        assert!((sum - r["score"].as_f64().unwrap()).abs() < 1e-12, "{r}");
    }
    assert!(v["results"][0].get("contributions").is_none(), "only when asked for");
    // The weights printed, given back, give the same scores to the last digit.
    let given = format!("given:{}", w.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","));
    let (ok, again, err) = run(&[
        "eval",
        "compute",
        "--matrix",
        ms,
        "--types",
        "b,b,c",
        "--weighting",
        &given,
        "--method",
        "topsis",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v2: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(v2["results"], v["results"]);

    // AHP from a labelled pairwise csv, and the weighted sum.
    let (ok, out, err) = run(&["eval", "ahp", p.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((a["cr"].as_f64().unwrap() - 0.0332).abs() < 5e-4, "{out}");
    assert!(a["lambda_max"].is_number() && a["ci"].is_number() && a["weights"].as_array().unwrap().len() == 3);
    let ahp = format!("ahp:{}", p.display());
    let (ok, out, err) =
        run(&["eval", "compute", "--matrix", ms, "--types", "b,b,c", "--weighting", &ahp, "--method", "wsum"]);
    assert!(ok, "{err}");
    assert!(out.contains("权重") && out.contains("CR 0.03"), "{out}");

    // Refusals name the problem.
    std::fs::write(&m, "企业,产值\nA,17\nB,\n").unwrap();
    let (ok, _, err) = run(&["eval", "compute", "--matrix", ms, "--types", "b", "--weighting", "equal"]);
    assert!(!ok && err.contains("第 3 行“产值”为空"), "{err}");
    std::fs::write(&m, "企业,产值,能耗\nA,17,1\nB,3,2\n").unwrap();
    let (ok, _, err) = run(&["eval", "compute", "--matrix", ms, "--types", "b", "--weighting", "equal"]);
    assert!(!ok && err.contains("指标类型有 1 个"), "{err}");
    let (ok, _, err) = run(&["eval", "compute", "--matrix", ms, "--types", "b,c", "--weighting", "given:1"]);
    assert!(!ok && err.contains("权重有 1 个"), "{err}");
}

/// A matrix as xlsx reads to the same numbers, bit for bit, as the csv that writes them in
/// shortest round-trip form: the two runs print identical JSON.
#[test]
fn eval_compute_xlsx_matches_csv() {
    use office::CellOut::{Number, Text};
    let criteria = ["产值", "研发强度", "能耗"];
    let ids = ["A", "B", "C", "D", "E"];
    let rows: Vec<Vec<f64>> = vec![
        vec![0.1 + 0.2, 1.0 / 3.0, 123_456.789_012_345_67],
        vec![17.0, 2.0 / 3.0, 1e-300],
        vec![10.123_456_789_012_345, 0.7 * 3.0, 5.0 / 7.0],
        vec![1e15 / 3.0, 4.5, 2.0_f64.sqrt()],
        vec![8.0, 1.2, 9.0],
    ];
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("m.csv");
    let mut text = format!("企业,{}\n", criteria.join(","));
    for (id, row) in ids.iter().zip(&rows) {
        text.push_str(&format!("{id},{}\n", row.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(",")));
    }
    std::fs::write(&csv, text).unwrap();
    let xlsx = dir.path().join("m.xlsx");
    let mut headers = vec!["企业".to_string()];
    headers.extend(criteria.iter().map(|c| c.to_string()));
    let sheets = vec![
        // A sheet before the matrix: the one named 矩阵 is read.
        office::SheetOut {
            name: "说明".into(), headers: vec!["说明".into()], rows: vec![vec![Text("导出".into())]]
        },
        office::SheetOut {
            name: "矩阵".into(),
            headers,
            rows: ids
                .iter()
                .zip(&rows)
                .map(|(id, row)| {
                    let mut cells = vec![Text((*id).into())];
                    cells.extend(row.iter().map(|v| Number(*v)));
                    cells
                })
                .collect(),
        },
    ];
    std::fs::write(&xlsx, office::write_xlsx_sheets(sheets).unwrap()).unwrap();

    for (weighting, method, extra) in
        [("entropy", "topsis", None), ("critic", "wsum", Some("--contributions")), ("equal", "topsis", None)]
    {
        let outputs: Vec<String> = [&csv, &xlsx]
            .iter()
            .map(|m| {
                let mut args = vec![
                    "eval",
                    "compute",
                    "--matrix",
                    m.to_str().unwrap(),
                    "--types",
                    "b,b,c",
                    "--weighting",
                    weighting,
                    "--method",
                    method,
                    "--json",
                ];
                args.extend(extra);
                let (ok, out, err) = run(&args);
                assert!(ok, "{}: {err}", m.display());
                out
            })
            .collect();
        let v: serde_json::Value = serde_json::from_str(&outputs[1]).unwrap();
        assert_eq!(v["results"].as_array().unwrap().len(), 5, "{}", outputs[1]);
        assert_eq!(outputs[0], outputs[1], "{weighting}/{method}: csv and xlsx differ");
    }

    // The xlsx's refusals name the row as Excel numbers it.
    let sheets = vec![office::SheetOut {
        name: "矩阵".into(),
        headers: vec!["企业".into(), "产值".into()],
        rows: vec![vec![Text("A".into()), Number(1.0)], vec![Text("B".into()), Text("很高".into())]],
    }];
    std::fs::write(&xlsx, office::write_xlsx_sheets(sheets).unwrap()).unwrap();
    let (ok, _, err) =
        run(&["eval", "compute", "--matrix", xlsx.to_str().unwrap(), "--types", "b", "--weighting", "equal"]);
    assert!(!ok && err.contains("第 3 行“产值”的值“很高”不是数值"), "{err}");
}
