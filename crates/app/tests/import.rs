//! The import pipeline through the public API, on SQLite and on PostgreSQL: a dry run reports
//! without writing, a real import creates, matches, sends to review and rejects as the dry run
//! said, importing the same list again registers nobody twice, and a revert removes what the
//! import registered (keeping people worked on since) so that the list imports anew.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{audit_intact, hits, op, people, register};
use pulang_app::domain::{ImportStatus, PersonFlag, ReviewOrigin, ReviewStatus};
use pulang_app::import::{ImportReport, ImportRequest, RowOutcome};
use pulang_app::{App, AppError};

pulang_testkit::both_backends! {
    run = common::run;
    check_dry_run_then_import => dry_run_then_import_sqlite, dry_run_then_import_postgres;
    check_reimport_registers_nobody_twice => reimport_registers_nobody_twice_sqlite, reimport_registers_nobody_twice_postgres;
    check_revert_and_import_again => revert_and_import_again_sqlite, revert_and_import_again_postgres;
    check_import_after_return_flags_retrafficking => import_after_return_flags_retrafficking_sqlite, import_after_return_flags_retrafficking_postgres;
}

/// Family name first in capitals with the day first (Budi, registered before: matched); the
/// same woman twice (created, then matched within the list); a possible Dewi (registered
/// before: review); a new man (created); an impossible birth date (rejected).
const LIST: &str = "Nama,Tgl Lahir,L/P,No HP\n\
    SANTOSO BUDI,12/05/1990,L,\n\
    Rina Kartika Sari,1993-03-03,P,081234567001\n\
    KARTIKA SARI RINA,03/03/1993,P,081234567001\n\
    Dewi Anggraini,1988-07-30,P,\n\
    Joko Prasetyo,1979-11-11,L,\n\
    Andi,31/02/1999,L,\n";

const EXPECTED: [RowOutcome; 6] = [
    RowOutcome::Matched,
    RowOutcome::Created,
    RowOutcome::Matched,
    RowOutcome::Review,
    RowOutcome::Created,
    RowOutcome::Rejected,
];

fn req(dry_run: bool) -> ImportRequest {
    ImportRequest {
        file_name: "police.csv".into(),
        source: "police".into(),
        site: Some("PNH".into()),
        dry_run,
        ..Default::default()
    }
}

/// Imports `list`, written to a file first and read back, as the CLI does.
async fn import(app: &App, list: &str, dry_run: bool) -> ImportReport {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("police.csv");
    std::fs::write(&file, list).expect("write the list");
    let bytes = std::fs::read(&file).expect("read the list");
    app.import_list(&op(), &bytes, req(dry_run), &|_, _| {})
        .await
        .unwrap_or_else(|e| panic!("import (dry run: {dry_run}): {e}"))
}

fn outcomes(r: &ImportReport) -> Vec<RowOutcome> {
    r.items.iter().map(|i| i.outcome).collect()
}

fn counts(r: &ImportReport) -> (usize, usize, usize, usize) {
    (r.created, r.matched, r.review, r.rejected)
}

/// The two people registered before the list arrives: Budi and Dewi.
async fn registered_before(app: &App) -> (String, String) {
    let budi = register(app, "PNH", "Budi Santoso", "1990-05-12", "M", "2025-01-10").await;
    let dewi = register(
        app,
        "PNH",
        "Dewi Anggraini Putri",
        "1988",
        "F",
        "2025-01-10",
    )
    .await;
    (budi.id, dewi.id)
}

async fn check_dry_run_then_import(app: App) {
    let (budi, dewi) = registered_before(&app).await;

    let dry = import(&app, LIST, true).await;
    assert!(dry.dry_run);
    assert_eq!(dry.batch_id, None);
    assert_eq!(dry.rows, 6);
    assert_eq!(outcomes(&dry), EXPECTED);
    assert_eq!(counts(&dry), (2, 2, 1, 1));
    assert_eq!(dry.items[0].person_id.as_deref(), Some(budi.as_str()));
    assert!(
        dry.items[0].reasons[0].starts_with("score 0.99"),
        "{:?}",
        dry.items[0]
    );
    assert!(dry.items[0].reasons.contains(&"name: exact".to_string()));
    assert!(dry.items[2]
        .reasons
        .contains(&"same_person_as_line 3".to_string()));
    let dewi_case = app
        .person(&op(), &dewi, false)
        .await
        .unwrap()
        .person
        .case_number;
    assert_eq!(dry.items[3].candidate_case_number, Some(dewi_case));
    assert_eq!(people(&app).await, 2, "a dry run registers nobody");
    assert_eq!(hits(&app, "Rina Kartika").await, 0);
    assert!(app
        .reviews(&op(), &[ReviewStatus::Pending], 10)
        .await
        .unwrap()
        .is_empty());
    assert!(app.import_batches(&op()).await.unwrap().is_empty());

    let real = import(&app, LIST, false).await;
    assert!(!real.dry_run);
    assert_eq!(
        outcomes(&real),
        EXPECTED,
        "the dry run said what would happen"
    );
    assert_eq!(counts(&real), (2, 2, 1, 1));
    assert_eq!(real.site, "PNH");
    assert_eq!(real.items[0].person_id.as_deref(), Some(budi.as_str()));
    let rina = real.items[1].person_id.clone().expect("Rina registered");
    assert_eq!(real.items[2].person_id.as_deref(), Some(rina.as_str()));
    assert!(real.items[1]
        .case_number
        .as_deref()
        .is_some_and(|c| !c.is_empty()));
    let new_dewi = real.items[3]
        .person_id
        .clone()
        .expect("the possible Dewi registered");
    let rejected = &real.items[5];
    assert_eq!((rejected.person_id.as_ref(), rejected.line), (None, 7));
    assert!(
        rejected.reasons.iter().any(|r| r.contains("Tgl Lahir")),
        "the rejection names the column: {:?}",
        rejected.reasons
    );
    assert_eq!(people(&app).await, 5);
    assert_eq!(hits(&app, "Rina Kartika").await, 1);

    // The possible Dewi waits for a caseworker, paired with the Dewi registered before.
    let reviews = app
        .reviews(&op(), &[ReviewStatus::Pending], 10)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].origin, ReviewOrigin::Import);
    let mut pair = [
        reviews[0].left.person.id.clone(),
        reviews[0].right.person.id.clone(),
    ];
    pair.sort();
    let mut want = [dewi, new_dewi];
    want.sort();
    assert_eq!(pair, want);

    let batches = app.import_batches(&op()).await.unwrap();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(Some(&b.id), real.batch_id.as_ref());
    assert_eq!(
        (b.site.as_str(), b.status, b.file_name.as_str()),
        ("PNH", ImportStatus::Complete, "police.csv")
    );
    assert_eq!(
        (b.rows, b.created, b.matched, b.review, b.rejected),
        (6, 2, 2, 1, 1)
    );
    audit_intact(&app).await;
}

async fn check_reimport_registers_nobody_twice(app: App) {
    registered_before(&app).await;
    let first = import(&app, LIST, false).await;
    assert_eq!(counts(&first), (2, 2, 1, 1));

    let again = import(&app, LIST, false).await;
    assert_eq!(counts(&again), (0, 5, 0, 1));
    assert!(again.items[..5]
        .iter()
        .all(|i| i.reasons == ["already_imported"]));
    for (a, b) in first.items.iter().zip(&again.items) {
        assert_eq!(a.person_id, b.person_id, "line {}", a.line);
    }
    assert_eq!(people(&app).await, 5);
    assert_eq!(
        app.reviews(&op(), &[ReviewStatus::Pending], 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // An overlapping list: two rows imported before, one new person.
    let overlap = "Nama,Tgl Lahir,L/P,No HP\n\
        Joko Prasetyo,1979-11-11,L,\n\
        Rina Kartika Sari,1993-03-03,P,081234567001\n\
        Wahyu Hidayat,1985-09-09,L,\n";
    let third = import(&app, overlap, false).await;
    assert_eq!(counts(&third), (1, 2, 0, 0));
    assert_eq!(third.items[0].person_id, first.items[4].person_id);
    assert_eq!(third.items[1].person_id, first.items[1].person_id);
    assert_eq!(people(&app).await, 6);
    assert_eq!(app.import_batches(&op()).await.unwrap().len(), 3);
    audit_intact(&app).await;
}

async fn check_revert_and_import_again(app: App) {
    let (budi, _) = registered_before(&app).await;
    let first = import(&app, LIST, false).await;
    let batch = first.batch_id.clone().expect("a batch id");
    // Work done on Joko since the import: he stays.
    let joko = first.items[4].person_id.clone().expect("Joko registered");
    app.set_milestone(&op(), &joko, "sheltered", Some("2025-01-11"), false)
        .await
        .expect("milestone");

    let reverted = app.revert_import(&op(), &batch).await.expect("revert");
    assert_eq!((reverted.removed, reverted.unlinked), (2, 2));
    assert_eq!(
        reverted.kept,
        vec![(joko.clone(), "milestones recorded".to_string())]
    );
    assert_eq!(people(&app).await, 3, "Budi, Dewi and the kept Joko");
    assert_eq!(
        hits(&app, "Rina Kartika").await,
        0,
        "removed from the index too"
    );
    assert_eq!(hits(&app, "Joko Prasetyo").await, 1);
    assert!(app
        .reviews(&op(), &[ReviewStatus::Pending], 10)
        .await
        .unwrap()
        .is_empty());
    app.person(&op(), &budi, false)
        .await
        .expect("a matched person is not removed");
    let batches = app.import_batches(&op()).await.unwrap();
    assert_eq!(batches[0].status, ImportStatus::Reverted);
    assert!(matches!(
        app.revert_import(&op(), &batch).await,
        Err(AppError::Conflict(_))
    ));

    // Imported again: the rows are registered anew, Budi matched again; Joko, kept, is found.
    let after = import(&app, LIST, false).await;
    assert_ne!(after.batch_id, first.batch_id);
    assert_eq!(after.items[0].person_id.as_deref(), Some(budi.as_str()));
    assert_eq!(after.items[1].outcome, RowOutcome::Created);
    assert_ne!(after.items[1].person_id, first.items[1].person_id);
    assert_eq!(after.items[4].outcome, RowOutcome::Matched);
    assert_eq!(after.items[4].person_id.as_deref(), Some(joko.as_str()));
    assert_eq!(people(&app).await, 5);
    audit_intact(&app).await;
}

async fn check_import_after_return_flags_retrafficking(app: App) {
    let (budi, _) = registered_before(&app).await;
    app.set_milestone(&op(), &budi, "returned", Some("2025-02-01"), false)
        .await
        .expect("returned home");
    let list = "Nama,Tgl Lahir,L/P,Tgl Tiba\n\
        Budi Santoso,1990-05-12,L,2025-03-05\n";
    let r = import(&app, list, false).await;
    assert_eq!(counts(&r), (0, 1, 0, 0));
    assert_eq!(r.items[0].person_id.as_deref(), Some(budi.as_str()));
    assert!(
        r.items[0]
            .reasons
            .contains(&"arrived_again_after_return".to_string()),
        "{:?}",
        r.items[0].reasons
    );
    let flags: Vec<PersonFlag> = app
        .flags_of(&op(), &budi)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.flag)
        .collect();
    assert_eq!(flags, [PersonFlag::Retrafficking]);
    let page = app.person(&op(), &budi, false).await.unwrap();
    let days: Vec<&str> = page
        .encounters
        .iter()
        .map(|e| e.arrived_on.as_str())
        .collect();
    assert!(days.contains(&"2025-03-05"), "a new arrival: {days:?}");
    assert_eq!(page.encounters.len(), 2);
    audit_intact(&app).await;
}
