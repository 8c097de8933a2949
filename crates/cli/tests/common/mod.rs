//! Helpers shared by the `pulang import` tests: the real binary on a real data directory.
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_pulang");

/// Runs `pulang ARGS --data-dir DIR` with no standard input.
pub fn pulang(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .expect("pulang runs")
}

/// A fresh data directory with one site, PNH.
pub fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = pulang(
        dir.path(),
        &[
            "site",
            "add",
            "--code",
            "PNH",
            "--name",
            "KBRI Phnom Penh",
            "--timezone",
            "Asia/Phnom_Penh",
        ],
    );
    assert!(out.status.success());
    dir
}
