//! The key file, driven through the real binary: each refusal at start-up names its cause
//! (never "internal error") and exits non-zero, and `pulang key rotate` re-encrypts the data.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

mod common;
use common::{add_pnh, pulang_run, Run, BIN};

fn pulang(dir: &Path, args: &[&str]) -> Run {
    pulang_run(dir, args, None)
}

#[track_caller]
fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = pulang(dir, args);
    assert!(r.ok, "pulang {args:?} failed:\n{r:?}");
    r
}

/// Asserts that `args` fails with one line naming the cause (every `needle`), never
/// "internal error".
#[track_caller]
fn refused(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let r = pulang(dir, args);
    assert!(!r.ok, "pulang {args:?} should fail:\n{r:?}");
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line of error expected:\n{r:?}");
    assert!(!lines[0].contains("internal error"), "{r:?}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in {:?}", lines[0]);
    }
    lines[0].to_string()
}

/// A data directory with ten demo people.
fn with_people() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    ok(&dir, &["demo", "--people", "10"]);
    (t, dir)
}

fn key(dir: &Path) -> PathBuf {
    dir.join("pulang.key")
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Writes another valid key (mode 0600) to `p`.
fn write_other_key(p: &Path) {
    std::fs::write(p, format!("{}\n", "ab".repeat(32))).unwrap();
    #[cfg(unix)]
    chmod(p, 0o600);
}

fn tamper(dir: &Path, sql: &str) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut c: SqliteConnection = SqliteConnectOptions::new()
                .filename(dir.join("pulang.sqlite3"))
                .connect()
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        })
}

/// The files in `dir`, but SQLite's own (`pulang.sqlite3`, its WAL and shared memory).
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("pulang.sqlite3"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_wrong_key_file_is_refused_by_name() {
    let (_t, dir) = with_people();
    write_other_key(&key(&dir));
    refused(
        &dir,
        &["site", "list"],
        &[
            "pulang.key",
            "does not match this database (key check failed",
        ],
    );
    // serve refuses the same way, before listening.
    refused(
        &dir,
        &["serve", "--listen", "127.0.0.1:0"],
        &["key check failed"],
    );
}

#[test]
fn a_missing_key_file_with_data_is_refused_and_not_recreated() {
    let (_t, dir) = with_people();
    std::fs::remove_file(key(&dir)).unwrap();
    let before = files(&dir);
    refused(
        &dir,
        &["serve", "--listen", "127.0.0.1:0"],
        &["pulang.key is missing", "restore it from your key backup"],
    );
    assert!(!key(&dir).exists(), "no new key beside existing data");
    assert_eq!(files(&dir), before);
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    let (_t, dir) = with_people();
    chmod(&key(&dir), 0o644);
    refused(&dir, &["site", "list"], &["pulang.key", "chmod 600"]);
    chmod(&key(&dir), 0o600);
    ok(&dir, &["site", "list"]);
}

#[test]
fn a_newer_schema_is_named() {
    let (_t, dir) = with_people();
    tamper(
        &dir,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, X'00', 0)",
    );
    refused(
        &dir,
        &["site", "list"],
        &["schema is version 9999", "newer than this release"],
    );
}

#[test]
fn undecryptable_data_is_named() {
    let (_t, dir) = with_people();
    tamper(
        &dir,
        "UPDATE people SET full_name = X'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' \
         WHERE id = (SELECT MIN(id) FROM people)",
    );
    // One damaged record does not stop the register: the command runs and the log names the
    // record and the field (the record is listed as damaged; see crates/app/tests/damaged.rs).
    let r = ok(&dir, &["site", "list"]);
    assert!(r.stderr.contains("cannot be read"), "{r:?}");
    assert!(
        r.stderr.contains("could not decrypt field full_name"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("internal error"), "{r:?}");
}

#[test]
fn an_empty_data_dir_gets_a_key() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    let r = ok(&dir, &add_pnh());
    assert!(r.stderr.contains("Created a new key file"), "{r:?}");
    let r = ok(&dir, &["site", "list"]);
    assert!(!r.stderr.contains("Created a new key file"), "{r:?}");
}

#[test]
fn key_rotate_re_encrypts_and_retires_the_old_key() {
    let (_t, dir) = with_people();
    let old = std::fs::read_to_string(key(&dir)).unwrap();
    let r = ok(&dir, &["key", "rotate"]);
    assert!(r.stdout.contains("Key rotated"), "{r:?}");
    let new = std::fs::read_to_string(key(&dir)).unwrap();
    assert_ne!(old, new);
    let retired: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| f.starts_with("pulang.key.retired-"))
        .collect();
    assert_eq!(retired.len(), 1, "{:?}", files(&dir));
    assert_eq!(std::fs::read_to_string(dir.join(&retired[0])).unwrap(), old);
    assert!(!dir.join("pulang.key.next").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key(&dir)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The data reads under the new key (opening builds the name index from every person),
    // the audit chain is intact, and a look-up by blind index still finds people.
    let v = ok(&dir, &["audit", "verify"]);
    assert!(v.stdout.starts_with("audit log intact"), "{v:?}");
    let scan = ok(&dir, &["dedupe", "--register"]);
    assert!(scan.stdout.contains("pairs"), "{scan:?}");
    // The old key is refused now.
    std::fs::copy(dir.join(&retired[0]), key(&dir)).unwrap();
    refused(&dir, &["site", "list"], &["key check failed"]);

    // A rotation that stopped after the database switched but before the key files moved:
    // starts are refused with the way out, and running it again finishes it.
    std::fs::write(dir.join("pulang.key.next"), &new).unwrap();
    #[cfg(unix)]
    chmod(&dir.join("pulang.key.next"), 0o600);
    refused(
        &dir,
        &["site", "list"],
        &["finish it with `pulang key rotate`"],
    );
    let r = ok(&dir, &["key", "rotate"]);
    assert!(r.stdout.contains("0 fields re-encrypted"), "{r:?}");
    assert_eq!(std::fs::read_to_string(key(&dir)).unwrap(), new);
    ok(&dir, &["site", "list"]);
}

#[test]
fn key_rotate_refuses_while_a_server_runs() {
    let (_t, dir) = with_people();
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("PULANG_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("Pulang is running") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the server stopped");
    }
    refused(&dir, &["key", "rotate"], &["stop it before rotating"]);
    assert!(
        !dir.join("pulang.key.next").exists(),
        "a refused rotation leaves no key"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    ok(&dir, &["key", "rotate"]);
    ok(&dir, &["site", "list"]);
}

/// The fault campaign's case: a second data directory (no key file) on the PostgreSQL of a
/// running register is refused and writes no key; the first keeps working.
#[test]
fn a_second_data_dir_on_a_shared_postgres_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(pulang_testkit::TestDb::postgres()) else {
        return;
    };
    let url = db.url();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let with_db = |dir: &Path, args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database", url.as_str()]);
        pulang(dir, &all)
    };
    let r = with_db(a.path(), &add_pnh());
    assert!(r.ok, "{r:?}");
    let r = with_db(b.path(), &["site", "list"]);
    assert!(!r.ok, "{r:?}");
    assert!(
        r.stderr
            .contains("is missing: restore it from your key backup"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("internal error"), "{r:?}");
    assert!(!b.path().join("pulang.key").exists());
    let r = with_db(a.path(), &["site", "list"]);
    assert!(r.ok && r.stdout.contains("PNH"), "{r:?}");
    drop(db);
}
