//! `pulang import` end to end: every row accounted for, a dry run writes nothing, importing the
//! same list twice registers nobody twice, and an import killed with SIGKILL part-way through
//! completes on the next run with no row lost or doubled.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

mod common;
use common::{pulang, setup, BIN};

fn counts(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("a last line")).expect("last line is JSON")
}

fn people(dir: &Path) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = SqliteConnectOptions::new()
            .filename(dir.join("pulang.sqlite3"))
            .connect()
            .await
            .unwrap();
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM people")
            .fetch_one(&mut c)
            .await
            .unwrap()
            .get(0);
        c.close().await.unwrap();
        n
    })
}

#[test]
fn every_row_accounted_for_dry_run_and_idempotent() {
    let dir = setup();
    let list = dir.path().join("handover.csv");
    std::fs::write(
        &list,
        "No;Nama Lengkap;L/P;Tgl Lahir;NIK;No HP\n\
         1;SITI RAHAYU;P;12/01/1998;3204105201980001;0812-3456-7890\n\
         2;BUDI SANTOSO;L;3 Mei 1995;;\n\
         ;;;;;\n\
         3;Andi;X;31/02/1999;;\n\
         4;SITI RAHAYU;P;1998-01-12;3204105201980001;0812-3456-7890\n",
    )
    .unwrap();
    let l = list.to_str().unwrap();
    let dry = counts(&pulang(dir.path(), &["import", l, "--dry-run", "--json"]));
    assert_eq!(dry["rows"], 4);
    assert_eq!(dry["rejected"], 1);
    let sum = |c: &serde_json::Value| {
        ["created", "matched", "review", "rejected"]
            .iter()
            .map(|k| c[k].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(sum(&dry), 4);
    assert_eq!(people(dir.path()), 0, "a dry run writes nothing");

    let first = counts(&pulang(dir.path(), &["import", l, "--json"]));
    assert_eq!(
        (
            first["created"].as_u64(),
            first["matched"].as_u64(),
            first["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(sum(&first), 4);
    assert_eq!(people(dir.path()), 2);

    let again = counts(&pulang(dir.path(), &["import", l, "--json"]));
    assert_eq!(
        again["created"], 0,
        "importing the same list twice registers nobody twice"
    );
    assert_eq!(again["matched"], 3);
    assert_eq!(people(dir.path()), 2);

    let out = pulang(dir.path(), &["audit", "verify"]);
    assert!(out.status.success());
}

#[test]
fn a_reverted_import_can_be_imported_again() {
    let dir = setup();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "Nama,Tgl Lahir,L/P\n\
         Siti Rahayu,1998-01-12,P\n\
         Budi Santoso,1995-05-03,L\n\
         SANTOSO BUDI,03/05/1995,L\n",
    )
    .unwrap();
    let l = list.to_str().unwrap();
    let first = counts(&pulang(dir.path(), &["import", l, "--json"]));
    assert_eq!(
        (first["created"].as_u64(), first["matched"].as_u64()),
        (Some(2), Some(1))
    );
    let batch = first["batch_id"].as_str().unwrap().to_string();
    assert_eq!(people(dir.path()), 2);

    let reverted = counts(&pulang(
        dir.path(),
        &["import", "--revert", &batch, "--json"],
    ));
    assert_eq!(reverted["removed"], 2);
    assert_eq!(reverted["unlinked"], 1);
    assert_eq!(people(dir.path()), 0);
    let twice = pulang(dir.path(), &["import", "--revert", &batch]);
    assert!(!twice.status.success(), "a batch is reverted once");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already been reverted"));

    let again = counts(&pulang(dir.path(), &["import", l, "--json"]));
    assert_eq!(
        (again["created"].as_u64(), again["matched"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(people(dir.path()), 2);
    assert!(pulang(dir.path(), &["audit", "verify"]).status.success());
}

/// A made-up name of three syllables, different for every `n` below 70³.
fn word(n: i64) -> String {
    const C: &[u8] = b"bdghklmnprstwy";
    const V: &[u8] = b"aiueo";
    let mut w = String::new();
    let mut n = n;
    for _ in 0..3 {
        let s = (n % 70) as usize;
        n /= 70;
        w.push(C[s / 5] as char);
        w.push(V[s % 5] as char);
    }
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

#[test]
fn an_import_killed_part_way_completes_on_the_next_run() {
    let dir = setup();
    let list = dir.path().join("big.csv");
    // Long enough that the import is still running when it is killed; every row a different
    // person (names that share no word).
    let n: i64 = 10_000;
    let mut csv = String::from("Name,DOB,Sex\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{} {},{}-{:02}-{:02},{}\n",
            word(i),
            word((i * 7919 + 104_729) % 343_000),
            1970 + (i / 336) % 30,
            1 + (i / 28) % 12,
            1 + i % 28,
            if i % 2 == 0 { "F" } else { "M" }
        ));
    }
    std::fs::write(&list, csv).unwrap();
    let mut child = Command::new(BIN)
        .args(["import", list.to_str().unwrap(), "--json", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut before_kill = 0;
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
        if dir.path().join("pulang.sqlite3").exists() {
            before_kill = people(dir.path());
            if before_kill > 50 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let after_kill = people(dir.path());
    assert!(after_kill > 0, "the import had started");
    assert!(
        after_kill < n,
        "the import was interrupted part-way (got {after_kill} of {n}); make the list longer"
    );

    let resumed = counts(&pulang(
        dir.path(),
        &["import", list.to_str().unwrap(), "--json"],
    ));
    assert_eq!(resumed["rows"], n);
    assert_eq!(resumed["resumed"], true, "the unfinished batch is resumed");
    assert_eq!(
        resumed["matched"].as_i64().unwrap(),
        after_kill,
        "rows registered before the kill are recognised"
    );
    // Made-up names can be alike enough for review: such rows are registered too.
    assert_eq!(
        resumed["created"].as_i64().unwrap() + resumed["review"].as_i64().unwrap(),
        n - after_kill
    );
    assert_eq!(people(dir.path()), n, "no row lost or doubled");
    let _ = before_kill;
}
