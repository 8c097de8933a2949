//! Two server processes on one database (two Apps with the same key file), on SQLite and on
//! PostgreSQL: what one commits, the other's name index, matching index and site list show
//! within a second, without a restart; the same edit from both at once is one edit and one 409.
#![allow(clippy::disallowed_methods)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{op, open, register, Backend, TestDb};
use pulang_app::desk::{DeskOutcome, DeskSubmission};
use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::{App, AppError, Submission};

pulang_testkit::both_backends! {
    run = run_two;
    check_registered_on_one_found_on_the_other => registered_on_one_found_on_the_other_sqlite, registered_on_one_found_on_the_other_postgres;
    check_edits_merges_and_sites_followed => edits_merges_and_sites_followed_sqlite, edits_merges_and_sites_followed_postgres;
    check_same_version_from_both => same_version_from_both_sqlite, same_version_from_both_postgres;
}

/// Runs `check` with two Apps on one fresh database (sites PNH and BKK made through the first).
async fn run_two<F, Fut>(backend: Backend, check: F)
where
    F: FnOnce(App, App) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let a = open(&db).await;
    let b = open(&db).await;
    a.add_site(&op(), "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .expect("site PNH");
    a.add_site(&op(), "BKK", "KBRI Bangkok", "Asia/Bangkok")
        .await
        .expect("site BKK");
    check(a.clone(), b.clone()).await;
    a.close().await;
    b.close().await;
    drop(db);
}

/// Waits up to a second for `ok` to hold on what `probe` returns; panics naming `what`.
async fn within_a_second<T, P, Fut>(what: &str, mut probe: P, ok: impl Fn(&T) -> bool) -> Duration
where
    T: std::fmt::Debug,
    P: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let start = Instant::now();
    loop {
        let got = probe().await;
        if ok(&got) {
            return start.elapsed();
        }
        if start.elapsed() > Duration::from_secs(1) {
            panic!("{what}: not seen within a second (last: {got:?})");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn names(app: &App, q: &str) -> Vec<String> {
    app.search(&op(), q, 0, 50)
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|h| h.full_name)
        .collect()
}

fn form(name: &str) -> PersonForm {
    PersonForm {
        full_name: name.into(),
        sex: Some("F".into()),
        birth_date: Some("1999-04-02".into()),
        ..Default::default()
    }
}

async fn check_registered_on_one_found_on_the_other(a: App, b: App) {
    // Both started before the registration: B learns of it only through the change feed.
    let siti = register(&a, "PNH", "Siti Nurhaliza", "1999-04-02", "F", "2026-01-10").await;
    within_a_second(
        "by name",
        || names(&b, "nurhaliza"),
        |n| n == &["Siti Nurhaliza"],
    )
    .await;
    within_a_second(
        "by case number",
        || names(&b, &siti.case_number),
        |n| n == &["Siti Nurhaliza"],
    )
    .await;
    let found = b
        .possible_matches(&op(), &form("Siti Nurhaliza"), 5)
        .await
        .expect("possible matches");
    assert_eq!(
        found.first().map(|m| m.person.id.as_str()),
        Some(siti.id.as_str()),
        "the match panel on B shows the person registered on A"
    );
    // So B's desk does not register her again without being asked to.
    let again = b
        .desk_register(
            &op(),
            DeskSubmission {
                person: form("Siti Nurhaliza"),
                site: Some("PNH".into()),
                arrived_on: Some("2026-01-11".into()),
                confirm_warnings: true,
                ..Default::default()
            },
        )
        .await
        .expect("desk");
    assert!(
        matches!(again, DeskOutcome::PossibleMatches { .. }),
        "B's desk shows the match instead of registering a duplicate: {again:?}"
    );
}

async fn check_edits_merges_and_sites_followed(a: App, b: App) {
    let dewi = register(&b, "BKK", "Dewi Lestari", "2001-02-03", "F", "2026-01-10").await;
    let other = register(
        &b,
        "BKK",
        "Dewi Lestari Putri",
        "2001-02-03",
        "F",
        "2026-01-11",
    )
    .await;
    within_a_second(
        "A sees B's people",
        || names(&a, "lestari"),
        |n| n.len() == 2,
    )
    .await;

    // An edit on A: B finds the new name, not the old one.
    let edit = Submission {
        person: PersonForm {
            full_name: "Dewi Anggraini".into(),
            ..form("")
        },
        encounter: EncounterForm::default(),
        confirm_warnings: true,
    };
    a.update_person(&op(), &dewi.id, Some(dewi.version), edit)
        .await
        .expect("edit on A");
    within_a_second(
        "the edit on B",
        || names(&b, "anggraini"),
        |n| n == &["Dewi Anggraini"],
    )
    .await;
    within_a_second(
        "the old name gone on B",
        || names(&b, "lestari"),
        |n| n == &["Dewi Lestari Putri"],
    )
    .await;

    // A merge on A: B's search shows the kept record for the merged one's name; an unmerge
    // on B is followed by A.
    let m = a
        .merge_people(&op(), &dewi.id, &other.id)
        .await
        .expect("merge on A");
    within_a_second(
        "the merge on B",
        || names(&b, "putri"),
        |n| n == &["Dewi Anggraini"],
    )
    .await;
    b.unmerge(&op(), &m.id).await.expect("unmerge on B");
    within_a_second(
        "the unmerge on A",
        || names(&a, "putri"),
        |n| n == &["Dewi Lestari Putri"],
    )
    .await;

    // A site added on A can be registered at on B.
    a.add_site(&op(), "KUL", "KBRI Kuala Lumpur", "Asia/Kuala_Lumpur")
        .await
        .expect("site KUL");
    let start = Instant::now();
    let ayu = loop {
        let sub = Submission {
            person: form("Ayu Wandira"),
            encounter: EncounterForm {
                site: Some("KUL".into()),
                arrived_on: Some("2026-01-12".into()),
                ..Default::default()
            },
            confirm_warnings: true,
        };
        match b.register_person(&op(), sub).await {
            Ok(r) => break r,
            Err(e) if start.elapsed() < Duration::from_secs(1) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("B does not know the site added on A within a second: {e}"),
        }
    };
    assert!(ayu.case_number.starts_with("KUL-"));
}

async fn check_same_version_from_both(a: App, b: App) {
    let mut people = Vec::new();
    for i in 0..10 {
        people.push(
            register(
                &a,
                "PNH",
                &format!("Rina {i}"),
                "1990-01-01",
                "F",
                "2026-01-10",
            )
            .await,
        );
    }
    let edit = |name: &str| Submission {
        person: form(name),
        encounter: EncounterForm::default(),
        confirm_warnings: true,
    };
    let scope = op();
    for p in &people {
        let (ra, rb) = tokio::join!(
            a.update_person(&scope, &p.id, Some(1), edit("Edited on A")),
            b.update_person(&scope, &p.id, Some(1), edit("Edited on B")),
        );
        let wins = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{}: one edit wins: {ra:?} / {rb:?}", p.case_number);
        for r in [ra, rb] {
            if let Err(e) = r {
                assert!(
                    matches!(e, AppError::Conflict(_)),
                    "the other is a conflict (409): {e}"
                );
            }
        }
    }
}
