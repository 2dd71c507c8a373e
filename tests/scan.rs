//! Finding personal data on real pixels: `kuronuri scan` and `kuronuri redact` (which scans
//! when no box is given) over images of the shared dev set, checked against their ground truth.
//! Needs the OCR models (`./build.sh build` fetches them).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use kuronuri::imaging::decode;

const BIN: &str = env!("CARGO_BIN_EXE_kuronuri");

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .env(
            "KURONURI_MODELS",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models"),
        )
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn centre(quad: &serde_json::Value) -> [f64; 2] {
    let q = quad.as_array().unwrap();
    let mut c = [0.0, 0.0];
    for p in q {
        c[0] += p[0].as_f64().unwrap() / q.len() as f64;
        c[1] += p[1].as_f64().unwrap() / q.len() as f64;
    }
    c
}

fn inside(p: [f64; 2], quad: &serde_json::Value) -> bool {
    let q = quad.as_array().unwrap();
    let xs: Vec<f64> = q.iter().map(|v| v[0].as_f64().unwrap()).collect();
    let ys: Vec<f64> = q.iter().map(|v| v[1].as_f64().unwrap()).collect();
    let (x0, x1) = (
        xs.iter().cloned().fold(f64::MAX, f64::min),
        xs.iter().cloned().fold(f64::MIN, f64::max),
    );
    let (y0, y1) = (
        ys.iter().cloned().fold(f64::MAX, f64::min),
        ys.iter().cloned().fold(f64::MIN, f64::max),
    );
    p[0] >= x0 - 2.0 && p[0] <= x1 + 2.0 && p[1] >= y0 - 2.0 && p[1] <= y1 + 2.0
}

#[test]
fn scan_finds_a_tables_people_and_a_forms_fields_and_not_the_headers() {
    let dir = common::temp_dir("scan", "tables");
    let cases = [
        "eval/dev/dev_0002_hrEmployees.png",
        "eval/dev/dev_0033_kvForm.png",
        "eval/dev/dev_0006_decoyCatalog.jpg",
    ];
    let inputs: Vec<PathBuf> = cases.iter().map(|c| common::shared(c)).collect();
    let mut args = vec!["scan"];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    let out = dir.join("out");
    args.extend(["--out-dir", out.to_str().unwrap()]);
    let (code, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    for case in cases {
        let stem = Path::new(case).file_stem().unwrap().to_str().unwrap();
        let truth = json(&common::shared(
            &case.replace(".png", ".json").replace(".jpg", ".json"),
        ));
        let found = json(&out.join(format!("{stem}.json")));
        assert_eq!(found["width"], truth["width"]);
        let findings = found["findings"].as_array().unwrap();
        for f in findings {
            for key in ["category", "tier", "text", "quad", "score", "reason"] {
                assert!(f.get(key).is_some(), "{stem}: a finding without {key}: {f}");
            }
        }
        let must: Vec<&serde_json::Value> = truth["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["tier"] == "must")
            .collect();
        let hit = must
            .iter()
            .filter(|i| {
                findings
                    .iter()
                    .any(|f| inside(centre(&i["quad"]), &f["quad"]))
            })
            .count();
        assert!(
            hit as f64 >= must.len() as f64 * 0.97,
            "{stem}: {hit} of {} personal items found",
            must.len()
        );
        let decoys = truth["decoys"].as_array().unwrap();
        let masked = decoys
            .iter()
            .filter(|d| {
                findings
                    .iter()
                    .any(|f| inside(centre(&d["quad"]), &f["quad"]))
            })
            .count();
        assert!(
            masked as f64 <= decoys.len() as f64 * 0.05,
            "{stem}: {masked} of {} decoys (headers, labels, codes) found",
            decoys.len()
        );
    }
    // The product catalogue holds no personal data: nothing at all is found.
    assert_eq!(
        json(&out.join("dev_0006_decoyCatalog.json"))["findings"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn redact_without_boxes_scans_and_fills_the_findings_and_reports_them() {
    let dir = common::temp_dir("scan", "redact");
    let input = common::shared("eval/dev/dev_0033_kvForm.png");
    let before = std::fs::read(&input).unwrap();
    let (out, report) = (dir.join("out.png"), dir.join("report.json"));
    let (code, err) = run(&[
        "redact",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");
    let findings = json(&report)["findings"].as_array().unwrap().clone();
    assert!(findings.len() >= 7, "{} findings", findings.len());
    let image = decode(&std::fs::read(&out).unwrap()).unwrap();
    for f in &findings {
        let [x, y] = centre(&f["quad"]);
        let i = ((y.round() as u32 * image.width + x.round() as u32) * 4) as usize;
        assert_eq!(&image.rgba[i..i + 3], &[0, 0, 0], "not filled: {f}");
    }
    // "Identifiers only" leaves the attributes out; a category can be turned off.
    let report2 = dir.join("ids.json");
    let (code, err) = run(&[
        "redact",
        input.to_str().unwrap(),
        "-o",
        dir.join("o2.png").to_str().unwrap(),
        "--report",
        report2.to_str().unwrap(),
        "--policy",
        "identifiers,-email",
    ]);
    assert_eq!(code, 0, "{err}");
    let ids = json(&report2)["findings"].as_array().unwrap().clone();
    assert!(ids
        .iter()
        .all(|f| f["tier"] == "must" && f["category"] != "email"));
    assert!(findings.iter().any(|f| f["category"] == "email"));
}

/// Photographed sheets of small print that the reader gets only in part, every personal item
/// filled in the output (its centre pixel black):
/// - a grade sheet whose lower rows are read only in pieces (names cut up, the number column
///   read as one vertical line), so that the table it follows ends halfway: the name column is
///   still filled down to its last row (before, 15 of its 36 names were left readable);
/// - an HR table where some short cells were read upside down (さくら as `9）`): they are
///   cells of their columns all the same (before, 9 of its 126 items were left readable).
#[test]
fn every_personal_item_of_photographed_tables_is_filled() {
    let dir = common::temp_dir("scan", "photographed-tables");
    for case in [
        "eval/dev/dev_0050_gradeSheet",
        "eval/dev/dev_0023_hrEmployees",
    ] {
        let input = common::shared(&format!("{case}.jpg"));
        let out = dir.join("out.png");
        let (code, err) = run(&[
            "redact",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let image = decode(&std::fs::read(&out).unwrap()).unwrap();
        let truth = json(&common::shared(&format!("{case}.json")));
        let items: Vec<&serde_json::Value> = truth["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["tier"] == "must" && i["text"].as_str().is_some_and(|t| !t.is_empty()))
            .collect();
        assert!(
            items.len() >= 30,
            "{case}: {} items in the truth",
            items.len()
        );
        let readable: Vec<&str> = items
            .iter()
            .filter(|i| {
                let [x, y] = centre(&i["quad"]);
                let at = ((y.round() as u32 * image.width + x.round() as u32) * 4) as usize;
                image.rgba[at..at + 3] != [0, 0, 0]
            })
            .map(|i| i["text"].as_str().unwrap())
            .collect();
        assert!(readable.is_empty(), "{case}: not filled: {readable:?}");
    }
}
