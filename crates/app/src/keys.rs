//! The key file: the data directory's lock and key rotation (`pulang key rotate`).
//!
//! Rotation, resumable at every step:
//! 1. the next key is written to `pulang.key.next` (mode 0600, synced) unless it is there;
//! 2. the store re-encrypts everything under it, a batch per transaction, and in its last
//!    transaction records it as the database's key (`pulang_store::keys::rotate`);
//! 3. the old key file is linked to `pulang.key.retired-<time>` and `pulang.key.next` renamed
//!    over `pulang.key`, so there is always a `pulang.key`.
//!
//! A run that stops anywhere is finished by running it again. Nothing else may use the data
//! meanwhile: the rotation holds the data directory's lock exclusively (every open app holds
//! it shared) and, on PostgreSQL, the store's advisory lock.
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use pulang_store::keys::Rotated;
use pulang_store::{KeyFile, SiteFilter, StoreError};

use crate::{AccessScope, AppError, DataConfig, Permission};

/// Takes the data directory's lock (`pulang.lock`): shared for a server or a command,
/// exclusive for a key rotation.
pub(crate) fn lock_dir(dir: &Path, exclusive: bool) -> Result<File, StoreError> {
    let path = dir.join("pulang.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::KeyFile(format!("{}: {e}", path.display())))?;
    let taken = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match taken {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) if exclusive => Err(StoreError::InUse(format!(
            "a server or another pulang command is using {}: stop it before rotating the key",
            dir.display()
        ))),
        Err(TryLockError::WouldBlock) => Err(StoreError::RotationUnderWay),
        Err(TryLockError::Error(e)) => Err(StoreError::KeyFile(format!("{}: {e}", path.display()))),
    }
}

/// What a key rotation did.
#[derive(Debug, Clone)]
pub struct KeyRotation {
    /// Sealed fields re-encrypted and audit seals renewed in this run (0 when an earlier run
    /// had finished the database's part).
    pub fields: u64,
    pub events: u64,
    /// Where the old key file now is.
    pub retired: PathBuf,
    /// The new key file (`pulang.key`).
    pub key_file: PathBuf,
}

/// Re-encrypts the data under a new key and retires the old key file, or finishes a rotation
/// that stopped. `on_batch(part, done)` hears of each committed batch. The operator's console
/// only.
pub async fn rotate_key(
    scope: &AccessScope,
    cfg: &DataConfig,
    on_batch: &(dyn Fn(&str, u64) + Sync),
) -> Result<KeyRotation, AppError> {
    // Whoever holds the key file administers every site; only such a scope may rotate it.
    if scope.sites_for(Permission::ManageSites) != SiteFilter::All {
        return Err(AppError::Forbidden);
    }
    let _lock = lock_dir(&cfg.data_dir, true)?;
    let current = KeyFile::at(&cfg.key_path());
    let next = KeyFile::at(&cfg.next_key_path());
    let old = current.load()?.ok_or_else(|| StoreError::KeyMissing {
        key_file: current.path().display().to_string(),
    })?;
    let (new, made) = match next.load()? {
        Some(k) => (k, false),
        None => (next.create()?, true),
    };
    let names = (
        format!("the key file {}", current.path().display()),
        format!("the key file {}", next.path().display()),
    );
    let rotated = pulang_store::keys::rotate(
        &cfg.url(),
        scope.username(),
        (&old, &new),
        (&names.0, &names.1),
        on_batch,
    )
    .await;
    let (fields, events) = match rotated {
        Ok(Rotated::Done { fields, events }) => (fields, events),
        Ok(Rotated::AlreadyDone) => (0, 0),
        Err(e) => {
            // Refused before anything was re-encrypted: leave no unused key behind.
            let refused = matches!(
                e,
                StoreError::WrongKey { .. }
                    | StoreError::KeyMissing { .. }
                    | StoreError::InUse(_)
                    | StoreError::RotationUnderWay
                    | StoreError::SchemaNewer { .. }
            );
            if made && refused {
                let _ = next.remove();
            }
            return Err(e.into());
        }
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let retired = cfg.data_dir.join(format!("pulang.key.retired-{stamp}"));
    match std::fs::hard_link(current.path(), &retired) {
        // A rerun within the same second that already kept this very key.
        Err(e)
            if e.kind() == std::io::ErrorKind::AlreadyExists
                && std::fs::read(&retired).ok() == std::fs::read(current.path()).ok() => {}
        Err(e) => return Err(StoreError::KeyFile(format!("{}: {e}", retired.display())).into()),
        Ok(()) => {}
    }
    next.rename_to(current.path())?;
    Ok(KeyRotation {
        fields,
        events,
        retired,
        key_file: current.path().to_path_buf(),
    })
}
