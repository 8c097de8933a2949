//! One damaged record does not stop the register: the server starts, the record is left out of
//! search and matching, audited and listed for auditors, and everyone else is served.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{op, open, register, Backend, TestDb};
use pulang_app::domain::AuditAction;
use pulang_app::AppError;

async fn a_damaged_record_does_not_stop_the_register(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let app = open(&db).await;
    app.add_site(&op(), "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .expect("site");
    let siti = register(&app, "PNH", "Siti Aminah", "1998-01-12", "F", "2026-01-14").await;
    let dewi = register(&app, "PNH", "Dewi Rahayu", "1999-03-02", "F", "2026-01-14").await;
    // Someone moves another field's ciphertext into Siti's name (or the disk damages it).
    app.raw_execute_for_tests(&format!(
        "UPDATE people SET full_name = phones WHERE id = '{}'",
        siti.id
    ))
    .await
    .expect("damage");
    app.close().await;

    let app = open(&db).await;
    let found = app.search(&op(), "Dewi", 0, 50).await.expect("search");
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, dewi.id);
    assert!(app
        .search(&op(), "Siti", 0, 50)
        .await
        .expect("search")
        .items
        .is_empty());
    let damaged = app.damaged_records(&op()).expect("listed");
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(damaged[0].id, siti.id);
    assert!(damaged[0].problem.contains("full_name"), "{damaged:?}");
    let events = app
        .audit_events(&op(), Some(&siti.id), 50)
        .await
        .expect("audit");
    assert!(events
        .iter()
        .any(|e| e.action == AuditAction::RecordDamaged.name()));
    // Opening it is an internal error (a 500 with a request id), never a panic or "not found".
    assert!(matches!(
        app.person(&op(), &siti.id, false).await,
        Err(AppError::Internal(_))
    ));
    app.person(&op(), &dewi.id, false)
        .await
        .expect("Dewi opens");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_record_does_not_stop_the_register_sqlite() {
    a_damaged_record_does_not_stop_the_register(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_record_does_not_stop_the_register_postgres() {
    a_damaged_record_does_not_stop_the_register(Backend::Postgres).await;
}
