//! `pulang screen`: the JSON contract through the real binary.
use std::process::{Command, Output};

mod common;
use common::{run, BIN};

fn screen(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("screen").args(args).env("PULANG_LOG", "warn");
    run(cmd, stdin)
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn prints_the_catalogue() {
    let cat = json(&screen(&["--catalogue"], None));
    assert_eq!(cat["version"], "1");
    let entries = cat["entries"].as_array().unwrap();
    assert_eq!(entries.iter().filter(|e| e["kind"] == "ilo_ec").count(), 67);
    let d51 = entries.iter().find(|e| e["id"] == "ilo.d5.1").unwrap();
    assert_eq!(
        (d51["dimension"].as_str(), d51["grade"].as_str()),
        (Some("d5"), Some("S"))
    );
}

#[test]
fn evaluates_a_file_and_standard_input() {
    let input = r#"{"age_at_recruitment": 24, "answers": {
        "ilo.d1.1": {"value": "present", "source": "self_report"},
        "fc.guarded_compound": {"value": "present", "source": "corroborated"},
        "fc.forced_to_scam": {"value": "present", "source": "device_content"}},
        "liabilities": ["participation_in_fraud"]}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.json");
    std::fs::write(&path, input).unwrap();
    let from_file = json(&screen(&["--input", path.to_str().unwrap()], None));
    let from_stdin = json(&screen(&["--input", "-"], Some(input)));
    assert_eq!(from_file, from_stdin);
    assert_eq!(from_file["outcome"], "presumed_victim");
    assert_eq!(from_file["catalogue_version"], "1");
    assert!(from_file["dimensions"]["d5"].is_boolean());
    assert_eq!(from_file["evaluators"]["palermo"]["verdict"], "met");
    assert!(from_file["evaluators"]["palermo"]["answers_used"].is_array());
    assert!(from_file["flags"].is_array());
}

#[test]
fn bad_input_is_one_line_and_a_non_zero_exit() {
    for bad in [
        r#"{"answers": {"ilo.d1.99": {"value": "present"}}}"#,
        r#"{"answers": {"ilo.d1.1": {"value": "yes"}}}"#,
        r#"{"answers": {"ilo.d1.1": {"value": "present", "source": "rumour"}}}"#,
        r#"{"liabilities": ["speeding"]}"#,
        r#"{"answers": "#,
    ] {
        let out = screen(&["--input", "-"], Some(bad));
        assert!(!out.status.success(), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{bad}: {err}");
        assert!(lines[0].starts_with("error: "), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = screen(&["--input", "/nonexistent/answers.json"], None);
    assert!(!out.status.success());
    assert!(
        !screen(&[], None).status.success(),
        "--catalogue or --input is required"
    );
}
