//! Drives the real `pulang` binary against a temporary `--data-dir` (embedded SQLite).
use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

mod common;
use common::{add_pnh, pulang_run, site_add, Run};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `pulang ARGS --data-dir DIR`, feeding `stdin` if given.
fn pulang(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    pulang_run(dir, args, stdin)
}

#[track_caller]
fn ok(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let r = pulang(dir, args, stdin);
    assert!(r.ok, "pulang {args:?} failed:\n{r:?}");
    r
}

/// Asserts a failure with exactly one line of error on stderr, and returns that line.
#[track_caller]
fn fails_with_one_line(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let r = pulang(dir, args, stdin);
    assert!(!r.ok, "pulang {args:?} should fail:\n{r:?}");
    let lines = r.err_lines();
    assert_eq!(lines.len(), 1, "one line of error expected:\n{r:?}");
    assert!(lines[0].starts_with("error: "), "{r:?}");
    lines[0].to_string()
}

/// The arguments of `pulang user add`, the password on standard input.
fn user_add<'a>(username: &'a str, role: &'a str, site: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec!["user", "add", "--username", username, "--role", role];
    if let Some(site) = site {
        args.extend(["--site", site]);
    }
    args.push("--password-stdin");
    args
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("data");
    (t, d)
}

/// A data dir with a site and a user: five audit events.
fn setup(dir: &Path) {
    ok(dir, &add_pnh(), None);
    ok(
        dir,
        &user_add("siti", "registrar", Some("PNH")),
        Some(&format!("{PASSWORD}\n")),
    );
    ok(dir, &["token", "create", "--username", "siti"], None);
    ok(
        dir,
        &["user", "grant", "--username", "siti", "--role", "auditor"],
        None,
    );
    ok(
        dir,
        &["user", "revoke-sessions", "--username", "siti"],
        None,
    );
    let v = ok(dir, &["audit", "verify"], None);
    assert_eq!(v.stdout.trim(), "audit log intact: 5 events");
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn connect(dir: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.join("pulang.sqlite3"))
        .connect()
        .await
        .expect("open pulang.sqlite3")
}

/// Executes statements directly on the SQLite file, as someone with file access could.
fn tamper(dir: &Path, statements: &[&str]) {
    block_on(async {
        let mut c = connect(dir).await;
        for s in statements {
            let n = sqlx::query(s)
                .execute(&mut c)
                .await
                .unwrap()
                .rows_affected();
            assert!(n > 0, "{s} changed nothing");
        }
        c.close().await.unwrap();
    })
}

/// Swaps the contents (everything but seq) of two audit events.
fn swap_events(dir: &Path, a: i64, b: i64) {
    block_on(async {
        let mut c = connect(dir).await;
        type Row = (i64, String, String, String, String, String, String);
        let get = "SELECT at, actor, site, action, subject, prev_hash, hash FROM audit_events WHERE seq = ?";
        let ra: Row = sqlx::query_as(get).bind(a).fetch_one(&mut c).await.unwrap();
        let rb: Row = sqlx::query_as(get).bind(b).fetch_one(&mut c).await.unwrap();
        for (seq, r) in [(a, rb), (b, ra)] {
            sqlx::query(
                "UPDATE audit_events SET at = ?, actor = ?, site = ?, action = ?, subject = ?, \
                 prev_hash = ?, hash = ? WHERE seq = ?",
            )
            .bind(r.0)
            .bind(r.1)
            .bind(r.2)
            .bind(r.3)
            .bind(r.4)
            .bind(r.5)
            .bind(r.6)
            .bind(seq)
            .execute(&mut c)
            .await
            .unwrap();
        }
        c.close().await.unwrap();
    })
}

/// `audit verify` fails (exit 1) and its one-line verdict contains every `needle`.
#[track_caller]
fn verify_reports(dir: &Path, needles: &[&str]) {
    let r = pulang(dir, &["audit", "verify"], None);
    assert_eq!(r.code, Some(1), "audit verify should exit 1:\n{r:?}");
    let lines = r.err_lines();
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(lines[0].starts_with("audit log BROKEN: "), "{r:?}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} not in {:?}", lines[0]);
    }
}

/// Every file in `dir`, concatenated.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            all.extend(std::fs::read(e.path()).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn site_add_accepts_iana_zones_and_rejects_bad_ones() {
    let (_t, dir) = data_dir();
    let r = ok(
        &dir,
        &site_add("pnh", "KBRI Phnom Penh", "Asia/Phnom_Penh"),
        None,
    );
    assert_eq!(
        r.stdout.trim(),
        "Added site PNH (KBRI Phnom Penh, Asia/Phnom_Penh)"
    );
    assert!(
        r.stderr.contains("Created a new key file"),
        "the first run announces the key file:\n{r:?}"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir.join("pulang.key")), 0o600, "key file mode");
        assert_eq!(mode(&dir), 0o700, "data dir mode");
    }
    let key = std::fs::read_to_string(dir.join("pulang.key")).unwrap();
    assert_eq!(key.trim().len(), 64, "32 bytes of hex");

    for tz in [
        "Asia Jakarta",
        "Jakarta",
        "asia/jakarta",
        "Asia//Jakarta",
        "",
    ] {
        let line = fails_with_one_line(&dir, &site_add("JKT", "Jakarta", tz), None);
        assert!(line.contains("time zone"), "{line}");
        assert!(
            line.contains(&format!("{tz:?}")),
            "names the bad zone: {line}"
        );
    }
    let line = fails_with_one_line(&dir, &site_add("PNH", "Again", "UTC"), None);
    assert!(line.contains("already exists"), "{line}");
    let line = fails_with_one_line(&dir, &site_add("P", "X", "UTC"), None);
    assert!(line.contains("site code"), "{line}");

    let list = ok(&dir, &["site", "list"], None);
    assert_eq!(list.stdout, "PNH\tKBRI Phnom Penh\tAsia/Phnom_Penh\n");
    // The key file is reused, not replaced.
    assert_eq!(
        std::fs::read_to_string(dir.join("pulang.key")).unwrap(),
        key
    );
    assert!(!list.stderr.contains("Created a new key file"));
}

#[test]
fn user_add_reads_the_password_from_stdin() {
    let (_t, dir) = data_dir();
    ok(&dir, &add_pnh(), None);
    let add = |user: &str, stdin: Option<&str>| {
        pulang(&dir, &user_add(user, "registrar", Some("PNH")), stdin)
    };
    let r = add("siti", Some(&format!("{PASSWORD}\r\n")));
    assert!(r.ok, "{r:?}");
    assert_eq!(r.stdout.trim(), "Added user siti as registrar at PNH");

    let r = add("budi", Some("short\n"));
    assert!(!r.ok, "{r:?}");
    assert_eq!(r.err_lines().len(), 1, "{r:?}");
    assert!(r.stderr.contains("at least 10 characters"), "{r:?}");

    // Long enough but guessable: refused, saying why (zxcvbn's warning).
    let r = add("budi", Some("password123\n"));
    assert!(!r.ok, "{r:?}");
    assert_eq!(r.err_lines().len(), 1, "{r:?}");
    assert!(r.stderr.contains("too easy to guess"), "{r:?}");
    assert!(r.stderr.contains("very common password"), "{r:?}");

    let r = add("budi", Some(""));
    assert!(!r.ok, "{r:?}");
    assert!(r.stderr.contains("no password on standard input"), "{r:?}");

    // The flag is required: passwords never go on the command line.
    let r = pulang(
        &dir,
        &["user", "add", "--username", "budi", "--role", "registrar"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!r.ok, "{r:?}");
    assert!(r.stderr.contains("--password-stdin"), "{r:?}");

    let line = fails_with_one_line(
        &dir,
        &user_add("siti", "registrar", None),
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(line.contains("already exists"), "{line}");
    let line = fails_with_one_line(
        &dir,
        &user_add("budi", "wizard", None),
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(line.contains("unknown role"), "{line}");

    let list = ok(&dir, &["user", "list"], None);
    assert_eq!(list.stdout, "siti\tregistrar@PNH\n");
    // Only a hash of the password is stored.
    assert!(!contains(&all_bytes(&dir), PASSWORD));
    assert!(!contains(&all_bytes(&dir), "short"));
}

#[test]
fn tokens_are_listed_without_secrets_and_revoked_one_by_one() {
    let (_t, dir) = data_dir();
    setup(&dir);
    let made = ok(
        &dir,
        &[
            "token",
            "create",
            "--username",
            "siti",
            "--label",
            "laptop script",
            "--days",
            "7",
        ],
        None,
    );
    let secret = made.stdout.trim().to_string();
    let id = made
        .stderr
        .split_whitespace()
        .nth(1)
        .expect("the token's id on standard error")
        .to_string();
    let list = ok(&dir, &["token", "list", "--username", "siti"], None);
    let line = list
        .stdout
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} not listed: {list:?}"));
    let cols: Vec<&str> = line.split('\t').collect();
    assert_eq!(cols[1..3], ["siti", "laptop script"], "{line}");
    assert_eq!(cols[5], "never", "{line}");
    assert!(!list.stdout.contains(&secret), "a secret listed");
    let r = ok(&dir, &["token", "revoke", &id], None);
    assert!(r.stdout.contains("Revoked token"), "{r:?}");
    let list = ok(&dir, &["token", "list"], None);
    assert!(!list.stdout.contains(&id), "{list:?}");
    let line = fails_with_one_line(&dir, &["token", "revoke", &id], None);
    assert!(line.contains("not found"), "{line}");
    let log = ok(&dir, &["audit", "log", "--limit", "3"], None);
    assert!(
        log.stdout.contains("\"action\":\"token.revoke\""),
        "{log:?}"
    );
}

#[test]
fn token_create_prints_the_token_once() {
    let (_t, dir) = data_dir();
    setup(&dir);
    let first = ok(&dir, &["token", "create", "--username", "siti"], None);
    let lines: Vec<&str> = first.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{first:?}");
    let token = lines[0];
    assert!(token.starts_with("pul_") && token.len() > 20, "{token}");
    let second = ok(&dir, &["token", "create", "--username", "siti"], None);
    assert_ne!(second.stdout.trim(), token, "every token is new");
    // Stored only as a digest.
    let bytes = all_bytes(&dir);
    assert!(!contains(&bytes, token));
    assert!(!contains(&bytes, &token["pul_".len()..]));
    let line = fails_with_one_line(&dir, &["token", "create", "--username", "nobody"], None);
    assert!(line.contains("no user named nobody"), "{line}");
    let line = fails_with_one_line(
        &dir,
        &["token", "create", "--username", "siti", "--days", "366"],
        None,
    );
    assert!(line.contains("365 days"), "{line}");
    let log = ok(&dir, &["audit", "log", "--limit", "2"], None);
    assert_eq!(log.stdout.lines().count(), 2);
    assert!(
        log.stdout.contains("\"action\":\"token.create\""),
        "{log:?}"
    );
    assert!(!log.stdout.contains(token));
}

#[test]
fn audit_verify_detects_an_edited_event() {
    let (_t, dir) = data_dir();
    setup(&dir);
    tamper(
        &dir,
        &["UPDATE audit_events SET subject = 'x' WHERE seq = 2"],
    );
    verify_reports(&dir, &["event 2", "edited"]);
}

#[test]
fn audit_verify_detects_deleted_events() {
    let (_t, dir) = data_dir();
    setup(&dir);
    tamper(&dir, &["DELETE FROM audit_events WHERE seq = 3"]);
    verify_reports(&dir, &["event 4", "event 2"]);

    let (_t2, dir) = data_dir();
    setup(&dir);
    tamper(&dir, &["DELETE FROM audit_events WHERE seq = 5"]);
    verify_reports(&dir, &["event 4", "5 events"]);
}

#[test]
fn audit_verify_detects_reordered_events() {
    let (_t, dir) = data_dir();
    setup(&dir);
    swap_events(&dir, 2, 3);
    verify_reports(&dir, &["event 2"]);
}

#[test]
fn demo_data_is_encrypted_at_rest() {
    let (_t, dir) = data_dir();
    let r = ok(&dir, &["demo", "--people", "40"], None);
    assert!(r.stdout.contains("Demo surge loaded at PNH"), "{r:?}");
    assert!(r.stdout.contains("Caseworker 'demo'"), "{r:?}");
    let v = ok(&dir, &["audit", "verify"], None);
    assert!(v.stdout.starts_with("audit log intact: "), "{v:?}");
    let again = ok(&dir, &["demo", "--people", "40"], None);
    assert!(again.stdout.contains("nothing added"), "{again:?}");
    // Looking for duplicates over the whole register queues pairs for review, once.
    let scan = ok(&dir, &["dedupe", "--register"], None);
    assert!(scan.stdout.contains("queued for review"), "{scan:?}");
    let rescan = ok(&dir, &["dedupe", "--register"], None);
    assert!(rescan.stdout.starts_with("0 new pairs"), "{rescan:?}");

    // The same synthetic surge the binary generated.
    let surge = pulang_demo::surge(2026, 40.0 / 1440.0, pulang_demo::JANUARY_2026);
    let today = surge.as_of;
    let mut secrets = Vec::new();
    for a in &surge.arrivals {
        let (details, _) = a.person.validate(today);
        let d = details.expect("demo people validate");
        secrets.push(d.full_name.clone());
        secrets.extend(d.aliases.iter().filter(|a| a.len() >= 6).cloned());
        secrets.extend(d.nik.as_ref().map(|n| n.to_string()));
        secrets.extend(d.passport_no.clone());
        secrets.extend(d.phones.iter().cloned());
        secrets.extend(a.person.phones.iter().filter(|p| p.len() >= 8).cloned());
    }
    assert!(secrets.len() >= 40, "{secrets:?}");

    let bytes = all_bytes(&dir);
    // Positive control: the database is there and holds its plain columns.
    assert!(
        contains(&bytes, "PNH-2026-"),
        "no case numbers in the data dir"
    );
    assert!(contains(&bytes, "KBRI Phnom Penh (demo)"));
    for s in &secrets {
        assert!(
            !contains(&bytes, s),
            "the data dir holds the plaintext {s:?}"
        );
    }

    // Positive control: these are the people the binary stored (found by name, and by NIK
    // through the blind index), so the absence above means something.
    let first = surge
        .arrivals
        .iter()
        .filter(|a| a.duplicate_of.is_none())
        .filter_map(|a| a.person.validate(today).0)
        .find(|d| d.nik.is_some())
        .expect("someone with a NIK");
    block_on(async {
        let cfg = pulang_app::DataConfig {
            data_dir: dir.clone(),
            database_url: None,
        };
        let app = pulang_app::App::open(&cfg).await.expect("open").app;
        // The test acts as the operator at the console, as the CLI does.
        #[allow(clippy::disallowed_methods)]
        let op = pulang_app::AccessScope::local_operator();
        // The police lists add the people they name who never reached the desk.
        assert!(app.indexed_people().await >= surge.arrivals.len());
        for q in [
            first.full_name.clone(),
            first.nik.as_ref().expect("demo NIK").to_string(),
        ] {
            let page = app.search(&op, &q, 0, 50).await.expect("search");
            assert!(
                page.items.iter().any(|h| h.full_name == first.full_name),
                "searching {q:?} does not find {:?}",
                first.full_name
            );
        }
        app.close().await;
    });
}

/// What an attacker who can write the database file but not read the key file can compute:
/// the plain SHA-256 chain (its recipe is public), never a seal.
mod attacker {
    use super::*;
    use pulang_store::audit::{event_hash, NewEvent};

    pub type Event = (i64, i64, String, String, String, String);

    pub async fn events(c: &mut SqliteConnection) -> Vec<Event> {
        sqlx::query_as(
            "SELECT seq, at, actor, site, action, subject FROM audit_events ORDER BY seq",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap()
    }

    /// Rewrites the whole log as `events` (renumbered from 1), every plain hash recomputed and
    /// the head fixed; seals copied from whatever event held the number before.
    pub async fn rewrite(c: &mut SqliteConnection, events: &[Event]) {
        let seals: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT seq, seal FROM audit_events ORDER BY seq")
                .fetch_all(&mut *c)
                .await
                .unwrap();
        sqlx::query("DELETE FROM audit_events")
            .execute(&mut *c)
            .await
            .unwrap();
        let mut prev = "0".repeat(64);
        for (i, (_, at, actor, site, action, subject)) in events.iter().enumerate() {
            let seq = i as i64 + 1;
            let e = NewEvent {
                actor,
                site,
                action,
                subject,
            };
            let hash = event_hash(&prev, seq, *at, &e);
            let seal = seals
                .iter()
                .find(|(s, _)| *s == seq)
                .and_then(|(_, s)| s.clone());
            sqlx::query(
                "INSERT INTO audit_events (seq, at, actor, site, action, subject, prev_hash, hash, seal) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(seq)
            .bind(at)
            .bind(actor)
            .bind(site)
            .bind(action)
            .bind(subject)
            .bind(&prev)
            .bind(&hash)
            .bind(seal)
            .execute(&mut *c)
            .await
            .unwrap();
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")
            .bind(events.len() as i64)
            .bind(&prev)
            .execute(&mut *c)
            .await
            .unwrap();
    }
}

/// The eleven ways of rewriting history that the security review tried, each by someone who
/// can write the database but not read the key file: `audit verify` must catch every one.
#[test]
fn audit_verify_catches_eleven_attacks_without_the_key() {
    type Attack = fn(&Path);
    fn with_db(dir: &Path, f: impl AsyncFnOnce(&mut SqliteConnection)) {
        block_on(async {
            let mut c = connect(dir).await;
            f(&mut c).await;
            c.close().await.unwrap();
        })
    }
    fn files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("pulang.sqlite3"))
            .collect()
    }
    let attacks: [(&str, Attack); 11] = [
        ("edit an event", |d| {
            tamper(
                d,
                &["UPDATE audit_events SET action = 'user.add' WHERE seq = 3"],
            )
        }),
        ("edit an event and recompute every hash", |d| {
            with_db(d, async |c| {
                let mut ev = attacker::events(c).await;
                ev[2].5 = "someone-else".into();
                attacker::rewrite(c, &ev).await;
            })
        }),
        ("delete an event in the middle", |d| {
            tamper(d, &["DELETE FROM audit_events WHERE seq = 3"])
        }),
        ("delete the newest events and fix the head", |d| {
            with_db(d, async |c| {
                let ev = attacker::events(c).await;
                attacker::rewrite(c, &ev[..ev.len() - 2]).await;
            })
        }),
        ("truncate to genesis", |d| {
            tamper(
                d,
                &[
                    "DELETE FROM audit_events",
                    "UPDATE audit_head SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000', seal = NULL WHERE id = 1",
                ],
            )
        }),
        ("delete every event about one subject and renumber", |d| {
            with_db(d, async |c| {
                let ev = attacker::events(c).await;
                let subject = ev[1].5.clone();
                let kept: Vec<_> = ev.into_iter().filter(|e| e.5 != subject).collect();
                attacker::rewrite(c, &kept).await;
            })
        }),
        ("swap two events", |d| swap_events(d, 2, 4)),
        ("append a forged event", |d| {
            with_db(d, async |c| {
                let mut ev = attacker::events(c).await;
                let mut forged = ev[ev.len() - 1].clone();
                forged.1 += 1000;
                forged.4 = "person.read".into();
                ev.push(forged);
                attacker::rewrite(c, &ev).await;
            })
        }),
        ("edit an event and give it another event's seal", |d| {
            tamper(
                d,
                &[
                    "UPDATE audit_events SET seal = (SELECT seal FROM audit_events WHERE seq = 4) WHERE seq = 3",
                ],
            )
        }),
        ("put back an older copy of the whole database", |d| {
            let saved = tempfile::tempdir().unwrap();
            for f in files(d) {
                std::fs::copy(&f, saved.path().join(f.file_name().unwrap())).unwrap();
            }
            ok(d, &["user", "revoke-sessions", "--username", "siti"], None);
            for f in files(d) {
                std::fs::remove_file(f).unwrap();
            }
            for f in std::fs::read_dir(saved.path()).unwrap() {
                let f = f.unwrap().path();
                std::fs::copy(&f, d.join(f.file_name().unwrap())).unwrap();
            }
        }),
        ("rewind the log to an older head, seal and all", |d| {
            let head: (i64, String, Option<String>) = block_on(async {
                let mut c = connect(d).await;
                let h = sqlx::query_as("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
                c.close().await.unwrap();
                h
            });
            ok(d, &["user", "revoke-sessions", "--username", "siti"], None);
            with_db(d, async |c| {
                sqlx::query("DELETE FROM audit_events WHERE seq > ?")
                    .bind(head.0)
                    .execute(&mut *c)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit_head SET seq = ?, hash = ?, seal = ? WHERE id = 1")
                    .bind(head.0)
                    .bind(&head.1)
                    .bind(&head.2)
                    .execute(&mut *c)
                    .await
                    .unwrap();
            })
        }),
    ];
    let mut missed = Vec::new();
    for (name, attack) in attacks {
        let (_t, dir) = data_dir();
        setup(&dir);
        attack(&dir);
        let r = pulang(&dir, &["audit", "verify"], None);
        let caught = r.code == Some(1) && r.stderr.contains("audit log BROKEN");
        println!("{name:<55} {}", if caught { "caught" } else { "MISSED" });
        if !caught {
            missed.push(format!("{name}: {r:?}"));
        }
    }
    println!("tamper cases caught: {} of 11", 11 - missed.len());
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}
