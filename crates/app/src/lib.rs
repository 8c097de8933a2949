//! Pulang's use cases. Web handlers and the CLI call these; neither touches the store.
//! Every use case takes an [`AccessScope`], which only authentication creates.
//!
//! Must not: render HTML or speak HTTP (that is `pulang-web`), write SQL (that is
//! `pulang-store`), or read personal data without a site filter derived from the scope. Each
//! feature has its own view types, so web never sees store rows it did not ask for.
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
mod damaged;
pub mod desk;
mod error;
pub mod feed;
pub mod idempotency;
pub mod identity;
pub mod import;
pub mod index;
pub mod keys;
pub mod people;
mod scope;
pub mod screening;
pub mod surge;
pub mod tokens;
mod words;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pulang_store::accounts::Site;
use pulang_store::{KeyFile, Store, StoreError};
use tokio::sync::RwLock;

pub use error::AppError;
pub use people::{KeepIdentifiers, PersonPage, PersonView, SearchHit, SearchPage, Submission};
pub use pulang_domain as domain;
pub use pulang_screening as screening_engine;
pub use pulang_store::accounts::Grant;
pub use pulang_store::audit::{AuditEvent, ChainBreak};
pub use pulang_store::people::{Counts, DamagedRecord, HistoryEntry, PersonRecord};
pub use pulang_store::Backend;
pub use scope::{role_allows, AccessScope, Permission};

/// Records the desk and identity use cases return.
pub mod desk_types {
    pub use pulang_store::arrivals::{
        ArrivalGroup, Flag, GroupMember, GroupProgress, MilestoneReached,
    };
    pub use pulang_store::identity::{Merge, ReviewPair};
    pub use pulang_store::imports::RevertReport;
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub struct DataConfig {
    /// Holds the key file and, by default, the SQLite database.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; `None` for the embedded SQLite database in `data_dir`.
    pub database_url: Option<String>,
}

impl DataConfig {
    pub fn key_path(&self) -> PathBuf {
        self.data_dir.join("pulang.key")
    }
    /// The next key while `pulang key rotate` runs (see [`keys`]).
    pub fn next_key_path(&self) -> PathBuf {
        self.data_dir.join("pulang.key.next")
    }
    /// The audit witness: the chain's head as last committed, outside the database.
    pub fn witness_path(&self) -> PathBuf {
        self.data_dir.join("audit.witness")
    }
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Store::sqlite_url(&self.data_dir))
    }
}

/// The application: the store, the in-memory name index and sign-in throttling.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

pub struct AppInner {
    pub(crate) store: Store,
    pub(crate) index: RwLock<index::NameIndex>,
    pub(crate) throttle: auth::Throttle,
    pub(crate) dummy_hash: String,
    pub(crate) passwords: auth::PasswordPool,
    /// Lists being parsed at once (see `import::parse_list`).
    pub(crate) parsers: Arc<tokio::sync::Semaphore>,
    pub(crate) sites: RwLock<Option<Vec<Site>>>,
    /// The data directory's lock, held shared while the app is open (a key rotation takes it
    /// exclusively).
    _dir_lock: std::fs::File,
    /// The last change of the store's feed applied to the index and the site list.
    pub(crate) feed: tokio::sync::Mutex<i64>,
    /// Records found unreadable (see [`App::damaged_records`]), by id.
    pub(crate) damaged: std::sync::Mutex<std::collections::BTreeMap<String, DamagedRecord>>,
}

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.inner
    }
}

/// What opening found, for the operator.
pub struct Opened {
    pub app: App,
    pub key_created: bool,
}

/// How long the change feed keeps a change.
const CHANGES_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A UTC instant (Unix ms) as local time in an IANA zone, e.g. `2026-01-14 09:30 (Asia/Phnom_Penh)`.
pub fn local_time(ms: i64, timezone: &str) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => format!(
            "{} ({timezone})",
            utc.with_timezone(&tz).format("%Y-%m-%d %H:%M")
        ),
        Err(_) => format!("{} UTC", utc.format("%Y-%m-%d %H:%M")),
    }
}

pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

impl App {
    /// Opens (creating if needed) the key file and database, and builds the name index.
    pub async fn open(cfg: &DataConfig) -> Result<Opened, AppError> {
        std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
            AppError::from(StoreError::KeyFile(format!(
                "{}: {e}",
                cfg.data_dir.display()
            )))
        })?;
        restrict_dir(&cfg.data_dir);
        let dir_lock = keys::lock_dir(&cfg.data_dir, false)?;
        let (store, key_created) =
            match Store::open_with_key_file(&cfg.url(), &KeyFile::at(&cfg.key_path())).await {
                // The database already records the next key of a rotation whose last step
                // (putting the key file in place) did not happen: `key rotate` finishes it.
                Err(StoreError::WrongKey { .. }) if cfg.next_key_path().exists() => {
                    return Err(StoreError::RotationUnderWay.into())
                }
                opened => opened?,
            };
        // Changes older than a week are of no use to a running process (it follows within a
        // second) and one started later reads the register itself. Before the witness is kept:
        // a commit records the audit head there, and `audit verify` must compare the database
        // with the witness as the last real write left it.
        store.prune_changes(now_ms() - CHANGES_KEPT_MS).await?;
        store.keep_witness(&cfg.witness_path());
        // Read before the register: what commits while it is read is applied again, harmlessly.
        let seen = store.last_change().await?;
        let register = store
            .person_summaries(&pulang_store::SiteFilter::All)
            .await?;
        let index = index::NameIndex::build(register.people);
        let app = App {
            inner: Arc::new(AppInner {
                store,
                index: RwLock::new(index),
                throttle: auth::Throttle::new(Duration::from_secs(15 * 60), 5, 30),
                dummy_hash: auth::hash_password("pulang-timing-equaliser")?,
                passwords: auth::PasswordPool::for_this_machine().map_err(AppError::internal)?,
                parsers: Arc::new(tokio::sync::Semaphore::new(2)),
                sites: RwLock::new(None),
                _dir_lock: dir_lock,
                feed: tokio::sync::Mutex::new(seen),
                damaged: std::sync::Mutex::default(),
            }),
        };
        app.note_damaged(register.damaged).await?;
        feed::start(&app);
        Ok(Opened { app, key_created })
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    pub async fn ready(&self) -> Result<(), AppError> {
        Ok(self.store.ping().await?)
    }

    pub(crate) async fn sites_cached(&self) -> Result<Vec<Site>, AppError> {
        if let Some(s) = self.sites.read().await.as_ref() {
            return Ok(s.clone());
        }
        let s = self.store.sites().await?;
        *self.sites.write().await = Some(s.clone());
        Ok(s)
    }

    pub(crate) async fn forget_sites(&self) {
        *self.sites.write().await = None;
    }

    /// Number of people in the name index (for start-up messages).
    pub async fn indexed_people(&self) -> usize {
        self.index.read().await.len()
    }

    /// Waits for queued writes and closes the database.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Raw SQL, for tests that tamper with the database on purpose.
    #[doc(hidden)]
    pub async fn raw_execute_for_tests(&self, sql: &str) -> Result<u64, AppError> {
        Ok(self.store.raw_execute(sql).await?)
    }
}

fn restrict_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
}
