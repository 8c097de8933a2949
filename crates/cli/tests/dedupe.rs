//! `pulang dedupe` on small CSV files: the output contract, and failure without output.
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

fn dedupe(dir: &Path, input: &str, extra: &[&str]) -> std::process::Output {
    let inp = dir.join("in.csv");
    std::fs::write(&inp, input).unwrap();
    Command::new(env!("CARGO_BIN_EXE_pulang"))
        .arg("dedupe")
        .arg("--input")
        .arg(&inp)
        .arg("--output")
        .arg(dir.join("clusters.csv"))
        .args(extra)
        .output()
        .unwrap()
}

fn read_clusters(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("record_id,cluster_id"));
    lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.to_string(), b.to_string())
        })
        .collect()
}

const INPUT: &str = "\
record_id,source,full_name,sex,birth_date,age,phone,passport_no,nik,origin_province,address,notes
e1,embassy,Budi Santoso,M,1990-05-12,,0812-3456-7890,X1234567,3201011205900001,Jawa Barat,,extra column
p1,police_kh,SANTOSO BUDI,M,12/05/1990,,,,,,,
s1,shelter,Budi,M,,35,+855 12 345 678,,,,,
m1,bp2mi,Boedi Santoso,M,1990-05-12,,081234567890,XI234567,3201011205900001,Jabar,Kab. Bandung,
e2,embassy,Siti Aminah,F,1995-01-02,,,,,Jawa Timur,,
e3,embassy,\"Ni Luh Putu Ayu\",F,1999,,,,,Bali,,
e4,embassy,,,,,,,,,,
";

#[test]
fn every_record_exactly_once_and_pairs_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dedupe(
        dir.path(),
        INPUT,
        &["--pairs", dir.path().join("pairs.csv").to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_clusters(&dir.path().join("clusters.csv"));
    let mut ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["e1", "e2", "e3", "e4", "m1", "p1", "s1"]);
    let c: HashMap<&str, &str> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    // The same NIK, passport (OCR I/1) and phone: the same person.
    assert_eq!(c["e1"], c["m1"]);
    assert_ne!(c["e1"], c["e2"]);
    let pairs = std::fs::read_to_string(dir.path().join("pairs.csv")).unwrap();
    assert!(pairs.starts_with("record_id_l,record_id_r,match_probability\n"));
    assert!(pairs.lines().skip(1).all(|l| l.split(',').count() == 3));
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn only_record_id_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let out = dedupe(dir.path(), "record_id\na\nb\nc\n", &["--threshold", "0.95"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_clusters(&dir.path().join("clusters.csv"));
    assert_eq!(rows.len(), 3);
}

#[test]
fn malformed_row_fails_naming_the_row_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "record_id,full_name,birth_date\na,Budi,1990\nb,Siti\nc,Wati,1991\n";
    let out = dedupe(
        dir.path(),
        bad,
        &["--pairs", dir.path().join("pairs.csv").to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 2"), "{err}");
    assert!(!dir.path().join("clusters.csv").exists());
    assert!(!dir.path().join("pairs.csv").exists());

    for (input, why) in [
        ("full_name\nBudi\n", "record_id"),
        ("record_id,full_name\na,Budi\n,Siti\n", "row 2"),
        ("record_id,full_name\na,Budi\na,Siti\n", "duplicate"),
    ] {
        let out = dedupe(dir.path(), input, &[]);
        assert!(!out.status.success(), "{input}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{input}: {err}");
        assert!(!dir.path().join("clusters.csv").exists());
    }
}

#[test]
fn threshold_must_be_a_probability() {
    let dir = tempfile::tempdir().unwrap();
    let out = dedupe(dir.path(), "record_id\na\n", &["--threshold", "1.5"]);
    assert!(!out.status.success());
    assert!(!dir.path().join("clusters.csv").exists());
}

#[test]
fn values_that_spreadsheets_would_run_are_written_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dedupe(
        dir.path(),
        "record_id\n=HYPERLINK(\"http://evil.example\")\n+62812\n@SUM(A1)\nplain\n",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("clusters.csv")).unwrap();
    for line in text.lines().skip(1) {
        assert!(
            !line.starts_with(['=', '+', '-', '@']) && !line.starts_with("\"="),
            "a formula in the output: {line}"
        );
    }
    assert!(text.contains("'+62812"), "{text}");
    assert!(text.contains("plain,"), "{text}");
}
