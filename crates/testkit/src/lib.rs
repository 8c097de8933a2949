//! Test support, used only as a dev-dependency: a throwaway database of either backend.
//! Must not: become a dependency of any library or binary.
//!
//! * [`TestDb::sqlite`]: a temp dir; the database is `pulang.sqlite3` in it (the file
//!   `Store::sqlite_url(dir)` names, so `DataConfig { data_dir: db.dir(), database_url: None }`
//!   opens this very database).
//! * [`TestDb::postgres`]: a fresh database `pulang_t_<random hex>` created on the server named
//!   by `PULANG_TEST_PG` (plus a temp dir for the key file), dropped when the `TestDb` is
//!   dropped. Without a usable `PULANG_TEST_PG` it prints "skipping PostgreSQL: …" and returns
//!   `None` (the test passes), unless `PULANG_REQUIRE_PG=1`, in which case it panics.
//! * [`TestDb::from_env`]: the backend named by `PULANG_TEST_BACKEND` (`sqlite`, the default,
//!   or `postgres`), for suites that run on one backend at a time.
//!
//! [`both_backends!`] expands one check into a `…_sqlite` and a `…_postgres` test.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Connection;
use tempfile::TempDir;

/// The server holding the throwaway PostgreSQL databases, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`.
pub const PG_ENV: &str = "PULANG_TEST_PG";
/// `1`: a test that needs PostgreSQL fails, rather than skips, when it cannot have it.
pub const REQUIRE_PG_ENV: &str = "PULANG_REQUIRE_PG";
/// `sqlite` (default) or `postgres`: the backend of [`TestDb::from_env`].
pub const BACKEND_ENV: &str = "PULANG_TEST_BACKEND";

/// How long connecting to the PostgreSQL server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `PULANG_TEST_BACKEND`: unset, empty or `sqlite` → SQLite; `postgres` (or `pg`,
    /// `postgresql`) → PostgreSQL. Anything else panics: a typo must not quietly test SQLite.
    pub fn from_env() -> Backend {
        let v = std::env::var(BACKEND_ENV).unwrap_or_default();
        match v.trim().to_ascii_lowercase().as_str() {
            "" | "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => Backend::Postgres,
            other => panic!("{BACKEND_ENV}={other}: expected `sqlite` or `postgres`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A throwaway database; dropping it deletes it (the temp dir, and the PostgreSQL database).
#[derive(Debug)]
pub struct TestDb {
    dir: TempDir,
    pg: Option<PgDb>,
}

#[derive(Debug)]
struct PgDb {
    /// The server URL from `PULANG_TEST_PG` (connected to for `CREATE`/`DROP DATABASE`).
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    /// A SQLite database in a fresh temp dir.
    pub fn sqlite() -> TestDb {
        TestDb {
            dir: tempfile::tempdir().expect("temp dir for the test database"),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database on the `PULANG_TEST_PG` server, or `None` (after printing
    /// "skipping PostgreSQL: …") when there is none; panics instead under `PULANG_REQUIRE_PG=1`.
    pub async fn postgres() -> Option<TestDb> {
        match create_pg().await {
            Ok(db) => Some(db),
            Err(why) => {
                if require_pg() {
                    panic!("{REQUIRE_PG_ENV}=1 but PostgreSQL is not usable: {why}");
                }
                println!("skipping PostgreSQL: {why}");
                None
            }
        }
    }

    /// A fresh PostgreSQL database; panics when there is none, whatever `PULANG_REQUIRE_PG`
    /// says (for a suite asked explicitly to run on PostgreSQL).
    pub async fn postgres_required() -> TestDb {
        match create_pg().await {
            Ok(db) => db,
            Err(why) => panic!("PostgreSQL was asked for but is not usable: {why}"),
        }
    }

    /// A database of `backend`: [`TestDb::sqlite`] or [`TestDb::postgres`].
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// A database of the backend named by `PULANG_TEST_BACKEND` (SQLite by default). Asked
    /// for PostgreSQL, it panics when there is none: the suite was asked to run there.
    pub async fn from_env() -> TestDb {
        match Backend::from_env() {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => match create_pg().await {
                Ok(db) => db,
                Err(why) => panic!("{BACKEND_ENV}=postgres but PostgreSQL is not usable: {why}"),
            },
        }
    }

    pub fn backend(&self) -> Backend {
        if self.pg.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A temp dir for this test, deleted with it: the SQLite database's directory, and the
    /// place for a data directory's key file on either backend.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SQLite database file (`dir()/pulang.sqlite3`); `None` on PostgreSQL.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.pg.is_none().then(|| self.dir().join("pulang.sqlite3"))
    }

    /// The URL to open the database with (`sqlite://…?mode=rwc` or `postgres://…`).
    pub fn url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.dir().join("pulang.sqlite3").display()
            ),
        }
    }

    /// What a `DataConfig` whose `data_dir` is [`TestDb::dir`] takes as `database_url`: the
    /// PostgreSQL URL, or `None` for the SQLite database in the data directory.
    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(|pg| pg.url.clone())
    }

    /// The URL with any password masked, for messages.
    pub fn display_url(&self) -> String {
        mask(&self.url())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.pg.take() else { return };
        // Dropping runs inside a test's runtime (which cannot be blocked on) or outside any:
        // a thread of its own with its own runtime works in both. Best effort: a leftover
        // database is harmless and named pulang_t_*.
        let done = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return Err(e.to_string()),
            };
            rt.block_on(drop_pg(&pg))
        })
        .join();
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("note: could not drop a test database: {e}"),
            Err(_) => eprintln!("note: dropping a test database panicked"),
        }
    }
}

fn require_pg() -> bool {
    std::env::var(REQUIRE_PG_ENV).is_ok_and(|v| v.trim() == "1")
}

fn admin_url() -> Result<String, String> {
    match std::env::var(PG_ENV) {
        Ok(u) if !u.trim().is_empty() => Ok(u.trim().to_string()),
        _ => Err(format!("{PG_ENV} is not set")),
    }
}

async fn connect_admin(admin_url: &str) -> Result<sqlx::PgConnection, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect(admin_url)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(format!("cannot connect to {}: {e}", mask(admin_url))),
        Err(_) => Err(format!(
            "connecting to {} timed out after {} s",
            mask(admin_url),
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

async fn create_pg() -> Result<TestDb, String> {
    let admin_url = admin_url()?;
    let mut admin = connect_admin(&admin_url).await?;
    let name = format!("pulang_t_{:016x}", rand::random::<u64>());
    // template0: nobody connects to it, so concurrent CREATE DATABASEs do not collide.
    let mut created = sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .execute(&mut admin)
        .await
        .map(|_| ());
    if created.is_ok() {
        // Throwaway data: a commit need not wait for the disk (as on a server run with
        // fsync=off, like the one scripts/test starts).
        created = sqlx::query(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .execute(&mut admin)
        .await
        .map(|_| ());
    }
    let _ = admin.close().await;
    if let Err(e) = created {
        return Err(format!(
            "cannot create a test database on {}: {e}",
            mask(&admin_url)
        ));
    }
    let url = with_database(&admin_url, &name);
    Ok(TestDb {
        dir: tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?,
        pg: Some(PgDb {
            admin_url,
            name,
            url,
        }),
    })
}

async fn drop_pg(pg: &PgDb) -> Result<(), String> {
    let mut admin = connect_admin(&pg.admin_url).await?;
    // FORCE: connections a test left open (a pool not closed after a panic) are ended.
    let r = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
        .execute(&mut admin)
        .await
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", pg.name));
    let _ = admin.close().await;
    r
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

/// `postgres://user:secret@host/…` → `postgres://user:***@host/…`.
pub fn mask(url: &str) -> String {
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

/// One check, two tests: `$sqlite` runs `$run(Backend::Sqlite, $check)` and `$pg` runs
/// `$run(Backend::Postgres, $check)`, where `$run` is the test file's harness (it opens what
/// the check needs on a [`TestDb::new`], and returns early when that is `None`). The calling
/// crate needs `tokio` (with `macros`) among its dev-dependencies.
///
/// ```ignore
/// pulang_testkit::both_backends! {
///     run = run;
///     check_import => import_sqlite, import_postgres;
/// }
/// ```
#[macro_export]
macro_rules! both_backends {
    (run = $run:path; $($check:ident => $sqlite:ident, $pg:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $sqlite() {
                $run($crate::Backend::Sqlite, $check).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $pg() {
                $run($crate::Backend::Postgres, $check).await;
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_only_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
        assert_eq!(mask("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(mask("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn sqlite_is_a_file_in_a_temp_dir_removed_on_drop() {
        let db = TestDb::sqlite();
        assert_eq!(db.backend(), Backend::Sqlite);
        assert_eq!(db.database_url(), None);
        let dir = db.dir().to_path_buf();
        assert!(db.url().starts_with("sqlite://"));
        assert!(db
            .url()
            .contains(&*dir.join("pulang.sqlite3").to_string_lossy()));
        drop(db);
        assert!(!dir.exists());
    }

    /// Creates and drops a database on the `PULANG_TEST_PG` server (skips without one).
    #[tokio::test]
    async fn postgres_database_is_created_and_dropped() {
        let Some(db) = TestDb::postgres().await else {
            return;
        };
        assert_eq!(db.backend(), Backend::Postgres);
        let name = db.pg.as_ref().unwrap().name.clone();
        let mut c = sqlx::PgConnection::connect(&db.url())
            .await
            .expect("connect");
        let current: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(current, name);
        // Still open on purpose: dropping the database must end it.
        drop(db);
        drop(c);
        let mut admin = connect_admin(&admin_url().unwrap()).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert_eq!(left, 0, "{name} was dropped");
    }
}
