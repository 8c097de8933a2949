//! The harness shared by the store's integration tests: a fresh store on a fresh SQLite database
//! in a temp dir, or on a fresh PostgreSQL database (`pulang_t_<random hex>`) created on the
//! server named by `PULANG_TEST_PG` and dropped afterwards. Without a usable `PULANG_TEST_PG`
//! the PostgreSQL runs print "skipping PostgreSQL: ..." and pass, unless `PULANG_REQUIRE_PG=1`,
//! in which case they fail.
#![allow(dead_code)] // each test file uses its own part

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use pulang_store::{Backend, Keyring, Store};
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

pub fn require_pg() -> bool {
    std::env::var("PULANG_REQUIRE_PG").is_ok_and(|v| v == "1")
}

/// PostgreSQL is not usable: fail under `PULANG_REQUIRE_PG=1`, otherwise skip.
pub fn pg_unavailable(why: &str) {
    if require_pg() {
        panic!("PULANG_REQUIRE_PG=1 but PostgreSQL is not usable: {why}");
    }
    println!("skipping PostgreSQL: {why}");
}

/// `url` with its database (path) replaced by `db`, keeping any query string.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

pub fn mask(url: &str) -> String {
    // postgres://user:secret@host → postgres://user:***@host
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn rethrow(result: Result<(), tokio::task::JoinError>) {
    if let Err(e) = result {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("check task failed: {e}");
    }
}

pub async fn run_sqlite<F, Fut>(check: F)
where
    F: FnOnce(Store, RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&Store::sqlite_url(dir.path()), random_keys())
        .await
        .expect("open the SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    let raw = RawDb::Sqlite {
        dir: dir.path().to_path_buf(),
    };
    let keep = store.clone();
    let result = tokio::spawn(check(store, raw)).await;
    keep.close().await;
    drop(dir);
    rethrow(result);
}

pub async fn run_pg<F, Fut>(check: F)
where
    F: FnOnce(Store, RawDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = match std::env::var("PULANG_TEST_PG") {
        Ok(u) if !u.trim().is_empty() => u.trim().to_string(),
        _ => return pg_unavailable("PULANG_TEST_PG is not set"),
    };
    let connect = sqlx::PgConnection::connect(&admin_url);
    let mut admin = match tokio::time::timeout(Duration::from_secs(15), connect).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            return pg_unavailable(&format!("cannot connect to {}: {e}", mask(&admin_url)))
        }
        Err(_) => {
            return pg_unavailable(&format!(
                "connecting to {} timed out after 15 s",
                mask(&admin_url)
            ))
        }
    };
    let name = format!("pulang_t_{:016x}", rand::random::<u64>());
    // template0: nobody connects to it, so concurrent CREATE DATABASEs do not collide.
    if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .execute(&mut admin)
        .await
    {
        return pg_unavailable(&format!(
            "cannot create a test database on {}: {e}",
            mask(&admin_url)
        ));
    }
    let url = with_database(&admin_url, &name);
    let drop_db = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let store = match Store::open(&url, random_keys()).await {
        Ok(s) => s,
        Err(e) => {
            let _ = sqlx::query(&drop_db).execute(&mut admin).await;
            panic!("opening the store on {}: {e}", mask(&url));
        }
    };
    assert_eq!(store.backend(), Backend::Postgres);
    let keep = store.clone();
    let result = tokio::spawn(check(store, RawDb::Postgres { url })).await;
    keep.close().await;
    // Best effort: a leftover database is harmless and named pulang_t_*.
    if let Err(e) = sqlx::query(&drop_db).execute(&mut admin).await {
        eprintln!("note: could not drop {name}: {e}");
    }
    let _ = admin.close().await;
    rethrow(result);
}
