//! The harness shared by the store's integration tests: a fresh store on a fresh database of
//! either backend from `pulang-testkit`: SQLite in a temp dir, or PostgreSQL
//! (`pulang_t_<random hex>`) created on the server named by `PULANG_TEST_PG` and dropped
//! afterwards. Without a usable `PULANG_TEST_PG` the PostgreSQL runs print "skipping
//! PostgreSQL: ..." and pass, unless `PULANG_REQUIRE_PG=1`, in which case they fail.
#![allow(dead_code)] // each test file uses its own part

use std::future::Future;
use std::path::PathBuf;

use pulang_store::{Backend, Keyring, Store};
use pulang_testkit::{Backend as TestBackend, TestDb};
use sqlx::Connection;

/// Direct access to the database behind a store, for looking underneath the API.
#[derive(Debug, Clone)]
pub enum RawDb {
    /// The data directory holding `pulang.sqlite3`.
    Sqlite { dir: PathBuf },
    /// The URL of this test's own PostgreSQL database.
    Postgres { url: String },
}

impl RawDb {
    pub fn url(&self) -> String {
        match self {
            RawDb::Sqlite { dir } => Store::sqlite_url(dir),
            RawDb::Postgres { url } => url.clone(),
        }
    }

    pub async fn connect(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url())
            .await
            .expect("raw connection to the test database")
    }

    /// Runs a query whose rows are one text column.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let mut c = self.connect().await;
        let v = sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = c.close().await;
        v
    }
}

pub fn random_keys() -> Keyring {
    Keyring::from_master(&rand::random::<[u8; 32]>())
}

pub fn rethrow(result: Result<(), tokio::task::JoinError>) {
    if let Err(e) = result {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("check task failed: {e}");
    }
}

/// Runs `check` on a fresh store of `backend` (returns at once when PostgreSQL is skipped).
pub async fn run<F, Fut>(backend: TestBackend, check: F)
where
    F: FnOnce(Store, RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = Store::open(&db.url(), random_keys())
        .await
        .unwrap_or_else(|e| panic!("opening the store on {}: {e}", db.display_url()));
    let raw = match backend {
        TestBackend::Sqlite => {
            assert_eq!(store.backend(), Backend::Sqlite);
            RawDb::Sqlite {
                dir: db.dir().to_path_buf(),
            }
        }
        TestBackend::Postgres => {
            assert_eq!(store.backend(), Backend::Postgres);
            RawDb::Postgres { url: db.url() }
        }
    };
    let keep = store.clone();
    let result = tokio::spawn(check(store, raw)).await;
    keep.close().await;
    drop(db);
    rethrow(result);
}

pub async fn run_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Store, RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run(TestBackend::Sqlite, check).await;
}

pub async fn run_pg<F, Fut>(check: F)
where
    F: FnOnce(Store, RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    run(TestBackend::Postgres, check).await;
}

/// Runs `check` on a fresh, empty database of `backend` with no store open on it (for what
/// happens at a store's first start).
pub async fn run_bare<F, Fut>(backend: TestBackend, check: F)
where
    F: FnOnce(RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let raw = match backend {
        TestBackend::Sqlite => RawDb::Sqlite {
            dir: db.dir().to_path_buf(),
        },
        TestBackend::Postgres => RawDb::Postgres { url: db.url() },
    };
    let result = tokio::spawn(check(raw)).await;
    drop(db);
    rethrow(result);
}
