//! Pulang's storage layer: one API over SQLite (embedded default) and PostgreSQL (central).
//!
//! - Personal fields are encrypted per field ([`crypto::Keyring`]); exact look-ups use blind
//!   indexes.
//! - Every write, and every read of a person, appends a hash-chained audit event in the same
//!   transaction ([`audit`]).
//! - All writes go through one writer task that commits concurrent requests together (group
//!   commit), each in its own savepoint, so one failing request never affects another and an
//!   acknowledged write is durable (SQLite `synchronous=FULL`).
//!
//! The store does not decide who may do what: callers pass the site filter and actor that the
//! application's access policy derived from an authenticated scope.
#![forbid(unsafe_code)]

// Feature modules: one per feature; they do not import each other.
pub mod accounts;
pub mod arrivals;
pub mod idempotency;
pub mod identity;
pub mod imports;
pub mod keys;
mod migrations;
pub mod people;
pub mod screenings;
pub mod signin;
mod witness;

// Leaf modules: what the features share. They import no feature module.
pub mod audit;
mod changes;
pub mod crypto;
mod encounter;
mod import_rows;
mod person_rows;
mod rebind;
mod review_queue;
mod sql;
mod tx;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Executor, Row};
use tokio::sync::{mpsc, oneshot};

pub use changes::Change;
pub use crypto::{KeyFile, Keyring};
pub use sql::date_str;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("key file: {0}")]
    KeyFile(String),
    /// The key does not match the database's key check value (or, where none is recorded
    /// yet, cannot decrypt the data already stored).
    #[error("{key} does not match this database (key check failed: {detail}); use the key file of this database from your key backup")]
    WrongKey { key: String, detail: String },
    /// There is no key file but the database already holds data (or a key check value).
    #[error("the database holds data encrypted under another key, but the key file {key_file} is missing: restore it from your key backup (no new key was written)")]
    KeyMissing { key_file: String },
    #[error("the key file {key_file} may be read or written by other users (mode {mode:03o}): run `chmod 600 {key_file}` (and check who could have copied it)")]
    KeyFileExposed { key_file: String, mode: u32 },
    /// The database was migrated by a newer release.
    #[error("the database's schema is version {found}, newer than this release of pulang knows (up to {known}): run the release that upgraded it")]
    SchemaNewer { found: i64, known: i64 },
    #[error(
        "a key rotation is under way: finish it with `pulang key rotate` before starting pulang"
    )]
    RotationUnderWay,
    /// Something else holds the database (a server, another command) where only one may.
    #[error("{0}")]
    InUse(String),
    #[error("could not decrypt field {0}: wrong key or tampered data")]
    Decrypt(String),
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("the record was changed by someone else (expected version {expected}, found {found})")]
    VersionConflict { expected: i64, found: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be reached or would not begin or commit a transaction.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

impl StoreError {
    fn from_db(e: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict(what.to_string());
            }
        }
        StoreError::Database(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// Which sites a call may see: derived by the application from an authenticated scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteFilter {
    All,
    Only(Vec<String>),
}

impl SiteFilter {
    pub fn allows(&self, site_id: &str) -> bool {
        match self {
            SiteFilter::All => true,
            SiteFilter::Only(ids) => ids.iter().any(|s| s == site_id),
        }
    }
}

/// A site (a mission receiving people), as registrations and imports name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    pub id: String,
    pub code: String,
    pub name: String,
    pub timezone: String,
}

/// Who is acting, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub username: String,
}

pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

trait Finish: Send {
    fn ok(&self) -> bool;
    fn deliver(self: Box<Self>, commit: Result<(), String>);
}

type Slot<T> = Arc<Mutex<Option<oneshot::Sender<Result<T, StoreError>>>>>;

struct Pending<T> {
    result: Result<T, StoreError>,
    slot: Slot<T>,
}

impl<T: Send> Finish for Pending<T> {
    fn ok(&self) -> bool {
        self.result.is_ok()
    }
    fn deliver(self: Box<Self>, commit: Result<(), String>) {
        let result = match commit {
            Ok(()) => self.result,
            Err(msg) if self.result.is_ok() => {
                Err(StoreError::Unavailable(format!("commit failed: {msg}")))
            }
            Err(_) => self.result,
        };
        if let Some(tx) = self.slot.lock().ok().and_then(|mut s| s.take()) {
            let _ = tx.send(result);
        }
    }
}

/// A write: what runs in the writer's transaction (`move |conn| Box::pin(async move { … })`).
pub(crate) trait WriteFn<T>:
    for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static
{
}

impl<T, F> WriteFn<T> for F where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + 'static
{
}

type RunFn =
    Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Box<dyn Finish>> + Send>;

struct Job {
    run: RunFn,
    abort: Box<dyn FnOnce(String) + Send>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    keys: Keyring,
    writer: mpsc::Sender<Job>,
    witness: WitnessSlot,
    /// PostgreSQL: the connection holding this store's shared advisory lock, which keeps a
    /// key rotation from starting while the store is open (see `keys`).
    guard: Mutex<Option<AnyConnection>>,
    /// Woken when a change may have been committed (see [`Store::change_signalled`]).
    signal: Arc<tokio::sync::Notify>,
    /// Set when the store closes: stops the change listener.
    closed: tokio::sync::watch::Sender<bool>,
}

/// The audit witness, once the application names its file (shared with the writer).
type WitnessSlot = Arc<std::sync::OnceLock<witness::Witness>>;

/// A handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

const MAX_BATCH: usize = 128;

impl Store {
    /// Connects, applies the backend's migrations, checks that `keys` is this database's key
    /// (adopting it if the database has none yet and it can read what is stored) and starts
    /// the writer.
    pub async fn open(url: &str, keys: Keyring) -> Result<Store, StoreError> {
        let (pool, backend) = connect(url).await?;
        let decided = async {
            let guard = keys::hold_shared(backend, &pool).await?;
            keys::settle(&pool, &keys, "the key given").await?;
            Ok(guard)
        }
        .await;
        match decided {
            Ok(guard) => Store::start(url, pool, backend, keys, guard).await,
            Err(e) => Err(closing(pool, e).await),
        }
    }

    /// As [`Store::open`] with the key in `key_file`. Without a key file a new key is created,
    /// but only for an empty database: never beside data under another key. Returns whether
    /// the key was created.
    pub async fn open_with_key_file(
        url: &str,
        key_file: &KeyFile,
    ) -> Result<(Store, bool), StoreError> {
        let loaded = key_file.load()?;
        let (pool, backend) = connect(url).await?;
        let decided = async {
            let guard = keys::hold_shared(backend, &pool).await?;
            let (keys, created) = match loaded {
                Some(keys) => {
                    let who = format!("the key file {}", key_file.path().display());
                    keys::settle(&pool, &keys, &who).await?;
                    (keys, false)
                }
                None => keys::adopt_new(&pool, key_file).await?,
            };
            Ok((guard, keys, created))
        }
        .await;
        match decided {
            Ok((guard, keys, created)) => Ok((
                Store::start(url, pool, backend, keys, guard).await?,
                created,
            )),
            Err(e) => Err(closing(pool, e).await),
        }
    }

    async fn start(
        url: &str,
        pool: AnyPool,
        backend: Backend,
        keys: Keyring,
        guard: Option<AnyConnection>,
    ) -> Result<Store, StoreError> {
        audit::seal_unsealed(&pool, &keys).await?;
        rebind::rebind_pending(&pool, &keys).await?;
        let (tx, rx) = mpsc::channel::<Job>(4096);
        let witness = WitnessSlot::default();
        tokio::spawn(writer_loop(
            pool.clone(),
            backend,
            keys.clone(),
            witness.clone(),
            rx,
        ));
        let signal = Arc::new(tokio::sync::Notify::new());
        let (closed, closing) = tokio::sync::watch::channel(false);
        if backend == Backend::Postgres {
            tokio::spawn(changes::listen(
                url.to_string(),
                Arc::downgrade(&signal),
                closing,
            ));
        }
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                backend,
                keys,
                writer: tx,
                witness,
                guard: Mutex::new(guard),
                signal,
                closed,
            }),
        })
    }

    /// The SQLite URL for a data directory.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("pulang.sqlite3").display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Keeps the audit witness in `path` (beside the key file, outside the database): every
    /// commit records the chain's head there and `verify_audit` checks the database against
    /// it. Set once; later calls are ignored.
    pub fn keep_witness(&self, path: &std::path::Path) {
        let _ = self.inner.witness.set(witness::Witness::at(path));
    }

    pub fn keys(&self) -> &Keyring {
        &self.inner.keys
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Runs `f` inside the writer's current transaction, in its own savepoint.
    /// A request that carries an idempotency key (see [`idempotency`]) records it with its
    /// first change, in the same transaction.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteFn<T>,
    {
        match idempotency::take_claim() {
            None => self.write_unclaimed(f).await,
            Some(claim) => {
                self.write_unclaimed(move |conn| {
                    Box::pin(async move {
                        idempotency::record(&mut *conn, &claim).await?;
                        f(conn).await
                    })
                })
                .await
            }
        }
    }

    /// Runs `f` inside the writer's current transaction, in its own savepoint, leaving the
    /// request's idempotency key to a later change (for what only records that something was
    /// read or tried).
    pub(crate) async fn write_unclaimed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: WriteFn<T>,
    {
        let (tx, rx) = oneshot::channel();
        let slot: Slot<T> = Arc::new(Mutex::new(Some(tx)));
        let slot2 = slot.clone();
        let job = Job {
            run: Box::new(move |conn| {
                Box::pin(async move {
                    let result = f(conn).await;
                    Box::new(Pending { result, slot }) as Box<dyn Finish>
                })
            }),
            abort: Box::new(move |msg| {
                if let Some(tx) = slot2.lock().ok().and_then(|mut s| s.take()) {
                    let _ = tx.send(Err(StoreError::Unavailable(msg)));
                }
            }),
        };
        self.inner
            .writer
            .send(job)
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Whether [`Store::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.pool.is_closed()
    }

    /// Readiness: the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// Executes raw SQL: for tests that tamper with the database on purpose.
    #[doc(hidden)]
    pub async fn raw_execute(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(sql).execute(self.pool()).await?.rows_affected())
    }

    /// Stops accepting writes and waits for queued ones to commit.
    pub async fn close(&self) {
        let _ = self.inner.closed.send(true);
        self.inner.pool.close().await;
        let guard = self.inner.guard.lock().ok().and_then(|mut g| g.take());
        if let Some(c) = guard {
            let _ = sqlx::Connection::close(c).await;
        }
    }
}

/// Connects to `url` and applies the migrations.
pub(crate) async fn connect(url: &str) -> Result<(AnyPool, Backend), StoreError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let opts: AnyConnectOptions = url
        .parse::<AnyConnectOptions>()?
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
    let pool = AnyPoolOptions::new()
        .max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // A 64 MiB page cache per connection (the default is 2 MiB): a
                    // million people's look-up indexes take random inserts, which a
                    // small cache turns into page reads (import writes 12 % faster).
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                         PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                         PRAGMA cache_size=-65536;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await?;
    if let Err(e) = migrations::run(backend, &pool).await {
        return Err(closing(pool, e).await);
    }
    Ok((pool, backend))
}

/// Closes `pool` (a refused start leaves the database as it found it) and returns `e`.
async fn closing(pool: AnyPool, e: StoreError) -> StoreError {
    pool.close().await;
    e
}

async fn writer_loop(
    pool: AnyPool,
    backend: Backend,
    keys: Keyring,
    witness: WitnessSlot,
    mut rx: mpsc::Receiver<Job>,
) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut conn = match pool.acquire().await {
            Ok(c) => c,
            Err(e) => {
                let msg = e.to_string();
                for j in jobs {
                    (j.abort)(msg.clone());
                }
                continue;
            }
        };
        if let Err(e) = begin_write(&mut conn, backend).await {
            let msg = e.to_string();
            for j in jobs {
                (j.abort)(msg.clone());
            }
            continue;
        }
        let mut done: Vec<Box<dyn Finish>> = Vec::with_capacity(jobs.len());
        let mut broken: Option<String> = None;
        for j in jobs {
            if let Some(msg) = &broken {
                (j.abort)(msg.clone());
                continue;
            }
            if let Err(e) = conn.execute("SAVEPOINT job").await {
                broken = Some(e.to_string());
                (j.abort)(e.to_string());
                continue;
            }
            // The audit chain seals what it appends with these keys (`audit::WRITER_KEYS`).
            let fin = audit::WRITER_KEYS
                .scope(keys.clone(), (j.run)(&mut conn))
                .await;
            let end = if fin.ok() {
                conn.execute("RELEASE SAVEPOINT job").await.map(|_| ())
            } else {
                match conn.execute("ROLLBACK TO SAVEPOINT job").await {
                    Ok(_) => conn.execute("RELEASE SAVEPOINT job").await.map(|_| ()),
                    Err(e) => Err(e),
                }
            };
            if let Err(e) = end {
                broken = Some(e.to_string());
            }
            done.push(fin);
        }
        let commit = match broken {
            Some(msg) => {
                let _ = conn.execute("ROLLBACK").await;
                Err(msg)
            }
            None => match conn.execute("COMMIT").await {
                Ok(_) => {
                    if let Some(w) = witness.get() {
                        witness_head(&mut conn, w).await;
                    }
                    Ok(())
                }
                Err(e) => {
                    let _ = conn.execute("ROLLBACK").await;
                    Err(e.to_string())
                }
            },
        };
        for fin in done {
            fin.deliver(commit.clone());
        }
    }
}

/// The key of the PostgreSQL advisory lock that every writer transaction takes first ("pulangwr";
/// not the key rotation's lock, which every open store holds shared).
const WRITER_LOCK: i64 = 0x7075_6c61_6e67_7772;

/// Begins a write transaction that holds the database's one write lock until it ends.
///
/// Several processes (servers behind a load balancer, the CLI beside a server) each have a
/// writer. SQLite's `BEGIN IMMEDIATE` admits one writer at a time; on PostgreSQL a transaction
/// advisory lock, taken before anything else, does the same. So writers never wait for each
/// other's row locks in opposite orders (no deadlocks), the checks a write makes before it
/// writes (a version, a status, "already merged") hold until it commits, and transactions commit
/// in the order they took the lock: the change feed's sequence ([`changes`]) and the audit chain
/// are allocated in commit order. Writes from several processes are therefore serialised (a
/// batch at a time); reads and the in-memory searches are not.
async fn begin_write(conn: &mut AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
    match backend {
        Backend::Sqlite => {
            conn.execute("BEGIN IMMEDIATE").await?;
        }
        Backend::Postgres => {
            conn.execute("BEGIN").await?;
            // `pg_advisory_xact_lock` returns `void`, which the Any driver cannot decode.
            let locked =
                sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                    .bind(WRITER_LOCK)
                    .fetch_one(&mut *conn)
                    .await;
            if let Err(e) = locked {
                let _ = conn.execute("ROLLBACK").await;
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Records the committed head in the witness file; a failure is logged, not fatal (the
/// witness then lags, which verify tolerates).
async fn witness_head(conn: &mut AnyConnection, w: &witness::Witness) {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await;
    let recorded = match head {
        Ok(r) => match (r.try_get::<i64, _>("seq"), r.try_get::<String, _>("hash")) {
            (Ok(seq), Ok(hash)) => w.record(seq, &hash).map_err(|e| e.to_string()),
            _ => Err("unreadable audit head".to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the audit witness");
    }
}
