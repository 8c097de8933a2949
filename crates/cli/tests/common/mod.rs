//! Helpers shared by the tests that drive the real `pulang` binary. Each test binary uses a
//! part of them.
#![allow(dead_code)]

use std::io::Write;
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

/// What one run of the binary ended with, as text.
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The non-empty lines of stderr.
    pub fn err_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `pulang ARGS --data-dir DIR` on the embedded database only (no database URL or data
/// directory from the environment), feeding `stdin` if given; quiet logs.
pub fn pulang_run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("PULANG_DATABASE_URL")
        .env_remove("PULANG_DATA_DIR")
        .env("PULANG_LOG", "warn");
    let out = run(cmd, stdin);
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd` to the end, feeding `stdin` if given (no standard input otherwise).
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pulang");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // pulang may exit without reading (e.g. a usage error): a broken pipe is fine.
        if let Err(e) = pipe.write_all(input.as_bytes()) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    child.wait_with_output().expect("wait for pulang")
}

/// The arguments of `pulang site add`.
pub fn site_add<'a>(code: &'a str, name: &'a str, timezone: &'a str) -> [&'a str; 8] {
    [
        "site",
        "add",
        "--code",
        code,
        "--name",
        name,
        "--timezone",
        timezone,
    ]
}

/// The arguments that add the site most tests use: PNH, KBRI Phnom Penh.
pub fn add_pnh() -> [&'static str; 8] {
    site_add("PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
}

/// A fresh data directory with one site, PNH.
pub fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = pulang(dir.path(), &add_pnh());
    assert!(out.status.success());
    dir
}
