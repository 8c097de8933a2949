//! Shared set-up for the app's integration tests: a real [`App`] on a throwaway database of
//! either backend (from `pulang-testkit`), with two sites, PNH and BKK, acting as the local
//! operator the way the CLI does.
#![allow(dead_code, clippy::disallowed_methods)]

use std::future::Future;

use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::{AccessScope, App, DataConfig, PersonRecord, Submission};
pub use pulang_testkit::{Backend, TestDb};

/// The local operator: every permission at every site.
pub fn op() -> AccessScope {
    AccessScope::local_operator()
}

/// Opens an App on `db` (its data directory holds the key file, and the SQLite database).
pub async fn open(db: &TestDb) -> App {
    App::open(&DataConfig {
        data_dir: db.dir().to_path_buf(),
        database_url: db.database_url(),
    })
    .await
    .unwrap_or_else(|e| panic!("opening the app on {}: {e}", db.display_url()))
    .app
}

/// Runs `check` on a fresh App of `backend` with sites PNH and BKK; returns at once when
/// PostgreSQL is skipped (see `pulang_testkit::TestDb::postgres`). The database is dropped
/// afterwards, also when the check panics.
pub async fn run<F, Fut>(backend: Backend, check: F)
where
    F: FnOnce(App) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let app = open(&db).await;
    let expected = match backend {
        Backend::Sqlite => pulang_app::Backend::Sqlite,
        Backend::Postgres => pulang_app::Backend::Postgres,
    };
    assert_eq!(app.backend(), expected);
    app.add_site(&op(), "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .expect("site PNH");
    app.add_site(&op(), "BKK", "KBRI Bangkok", "Asia/Bangkok")
        .await
        .expect("site BKK");
    check(app.clone()).await;
    app.close().await;
    drop(db);
}

/// Registers a person through the ordinary form at `site`, arrived on `arrived_on`.
pub async fn register(
    app: &App,
    site: &str,
    name: &str,
    birth: &str,
    sex: &str,
    arrived_on: &str,
) -> PersonRecord {
    app.register_person(
        &op(),
        Submission {
            person: PersonForm {
                full_name: name.into(),
                birth_date: Some(birth.into()),
                sex: Some(sex.into()),
                ..Default::default()
            },
            encounter: EncounterForm {
                site: Some(site.into()),
                arrived_on: Some(arrived_on.into()),
                ..Default::default()
            },
            confirm_warnings: true,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("registering {name}: {e}"))
}

/// People not merged into another record, counted through the statistics (read from the
/// database, not the in-memory index).
pub async fn people(app: &App) -> i64 {
    app.stats(&op())
        .await
        .expect("stats")
        .by_site
        .iter()
        .map(|(_, n)| n)
        .sum()
}

/// The audit chain is intact.
pub async fn audit_intact(app: &App) {
    match app.verify_audit(&op()).await.expect("verify audit") {
        Ok(n) => assert!(n > 0, "an empty audit log"),
        Err(b) => panic!("the audit chain is broken: {b:?}"),
    }
}

/// Search hits for `q` across every site.
pub async fn hits(app: &App, q: &str) -> usize {
    app.search(&op(), q, 0, 50).await.expect("search").total
}
