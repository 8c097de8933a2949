//! Which key the database is under, and changing it.
//!
//! - **Key check**: `key_check` holds the check value of the key the data is encrypted under
//!   ([`Keyring::check_value`]). A store opens only with that key; a database without a check
//!   value (new, or from a release before it) adopts the key it is opened with, provided that
//!   key decrypts what is already stored. The value is inserted only if absent and read back,
//!   so of two processes adopting different keys at once exactly one wins.
//! - **No key file**: a new key is made only for an empty database, and written to its file
//!   before the database records it (a crash in between leaves a key for a still-empty
//!   database, which the next start adopts).
//! - **Rotation** ([`rotate`]): re-encrypts every sealed field, recomputes the blind indexes,
//!   re-keys import row keys and re-seals the audit chain under the next key, a batch per transaction that also records
//!   how far it has come (`key_rotation`), so a run that stops is continued by the next. The
//!   last transaction switches the check value to the next key. Stores refuse to open while a
//!   rotation is under way; on PostgreSQL an advisory lock (shared by every open store,
//!   exclusive for the rotation) keeps a rotation from starting beside a running server.
use pulang_domain::{AuditAction, LookupKind};
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::audit::head_text;
use crate::person_rows::replace_lookups;
use crate::{audit, connect, now_ms, rebind, Backend, KeyFile, Keyring, StoreError};

/// Every sealed column, by table; a field's ciphertext binds the row's `id` and the field's
/// name (its column). Rotation re-encrypts exactly these.
/// Sealed columns a rotation forgets instead of re-sealing: the answers kept for idempotent
/// retries (a day at most). A retry after the rotation is told its request was carried out
/// (409) and changes nothing twice; it only cannot see the first answer again.
pub const FORGOTTEN: [(&str, &str); 1] = [("idempotency_keys", "answer")];

pub const SEALED: [(&str, &[&str]); 5] = [
    (
        "people",
        &[
            "full_name",
            "aliases",
            "birth_date",
            "nik",
            "passport_no",
            "phones",
        ],
    ),
    ("person_history", &["changes"]),
    ("encounters", &["notes"]),
    ("screenings", &["input"]),
    ("import_batches", &["report"]),
];

/// The tables whose rows belong to a person: their fields also bind the row's `person_id`
/// (`Keyring::seal_owned`).
const OWNED: [&str; 3] = ["person_history", "encounters", "screenings"];

/// The audit events' part of a rotation, after the sealed tables.
const AUDIT_PART: &str = "audit_events";

/// Identifies Pulang's advisory lock on PostgreSQL ("pulang" in ASCII).
const LOCK_ID: i64 = 0x7075_6c61_6e67;

/// Takes the shared advisory lock that an open store holds (PostgreSQL), on a connection of
/// its own kept for the store's life.
pub(crate) async fn hold_shared(
    backend: Backend,
    pool: &AnyPool,
) -> Result<Option<AnyConnection>, StoreError> {
    if backend != Backend::Postgres {
        return Ok(None);
    }
    let mut conn = pool.acquire().await?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock_shared($1)")
        .bind(LOCK_ID)
        .fetch_one(&mut conn)
        .await?;
    if !got {
        return Err(StoreError::RotationUnderWay);
    }
    Ok(Some(conn))
}

async fn check_row(pool: &AnyPool) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT check_value, key_id FROM key_check WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("check_value")?, r.try_get("key_id")?)),
        None => None,
    })
}

async fn rotation_row(pool: &AnyPool) -> Result<Option<(String, String, String)>, StoreError> {
    let row = sqlx::query("SELECT next_check, part, after_key FROM key_rotation WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    Ok(match row {
        Some(r) => Some((
            r.try_get("next_check")?,
            r.try_get("part")?,
            r.try_get("after_key")?,
        )),
        None => None,
    })
}

/// Records `keys` as the database's key if none is recorded yet, then reads back the one that
/// is: whether it is `keys` (false: another process adopted another key first).
async fn record(pool: &AnyPool, keys: &Keyring) -> Result<bool, StoreError> {
    sqlx::query(
        "INSERT INTO key_check (id, check_value, key_id, adopted_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(keys.check_value())
    .bind(keys.key_id())
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(check_row(pool)
        .await?
        .is_some_and(|(check, _)| check == keys.check_value()))
}

/// Whether anything was ever written that a key protects: an audit event, or a row of a
/// table with sealed fields.
async fn holds_data(pool: &AnyPool) -> Result<bool, StoreError> {
    let seq: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    if seq > 0 {
        return Ok(true);
    }
    for (table, _) in SEALED {
        let any = sqlx::query(&format!("SELECT id FROM {table} LIMIT 1"))
            .fetch_optional(pool)
            .await?;
        if any.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `keys` reads what the database holds: the audit head's seal and one sealed field
/// of each table that has one. (For a database from before the key check.)
async fn reads_existing(pool: &AnyPool, keys: &Keyring) -> Result<bool, StoreError> {
    let head = sqlx::query("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let (seq, hash, seal): (i64, String, Option<String>) = (
        head.try_get("seq")?,
        head.try_get("hash")?,
        head.try_get("seal")?,
    );
    if seal.is_some_and(|s| !keys.audit_seal_matches(&head_text(seq, &hash), &s)) {
        return Ok(false);
    }
    for (table, fields) in SEALED {
        let field = fields[0];
        let owner = if OWNED.contains(&table) {
            "person_id"
        } else {
            "id"
        };
        let row = sqlx::query(&format!(
            "SELECT id, {owner} AS owner, {field} FROM {table} WHERE {field} IS NOT NULL ORDER BY id LIMIT 1"
        ))
        .fetch_optional(pool)
        .await?;
        if let Some(r) = row {
            let (id, owner): (String, String) = (r.try_get("id")?, r.try_get("owner")?);
            let sealed: Vec<u8> = r.try_get(field)?;
            // A person's row is bound to them, or not yet (waiting for `rebind`).
            let opens = keys.open(&id, field, &sealed).is_ok()
                || (OWNED.contains(&table) && keys.open_owned(&owner, &id, field, &sealed).is_ok());
            if !opens {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Decides whether `keys` (described as `who`, for the operator) may open the database,
/// recording it as the database's key when none is recorded and it reads the stored data.
pub(crate) async fn settle(pool: &AnyPool, keys: &Keyring, who: &str) -> Result<(), StoreError> {
    if rotation_row(pool).await?.is_some() {
        return Err(StoreError::RotationUnderWay);
    }
    verify(pool, keys, who).await
}

async fn verify(pool: &AnyPool, keys: &Keyring, who: &str) -> Result<(), StoreError> {
    let wrong = |detail: String| StoreError::WrongKey {
        key: who.to_string(),
        detail,
    };
    match check_row(pool).await? {
        Some((check, _)) if check == keys.check_value() => Ok(()),
        Some((_, key_id)) => Err(wrong(format!(
            "this database's key is {key_id}, this one is {}",
            keys.key_id()
        ))),
        None if !reads_existing(pool, keys).await? => Err(wrong(
            "it cannot decrypt the data this database already holds".into(),
        )),
        None if record(pool, keys).await? => Ok(()),
        None => Err(wrong(
            "another process has just recorded another key for this database".into(),
        )),
    }
}

/// There is no key file: makes a key, only if the database is empty, and records it. Returns
/// the key and whether this process made it (false: another process of the same data
/// directory made it first).
pub(crate) async fn adopt_new(
    pool: &AnyPool,
    key_file: &KeyFile,
) -> Result<(Keyring, bool), StoreError> {
    let missing = || StoreError::KeyMissing {
        key_file: key_file.path().display().to_string(),
    };
    if rotation_row(pool).await?.is_some() {
        return Err(StoreError::RotationUnderWay);
    }
    if check_row(pool).await?.is_some() || holds_data(pool).await? {
        return Err(missing());
    }
    let keys = match key_file.create() {
        Ok(keys) => keys,
        Err(e) => match key_file.load() {
            // Written meanwhile by another process starting in the same directory.
            Ok(Some(keys)) => {
                let who = format!("the key file {}", key_file.path().display());
                verify(pool, &keys, &who).await?;
                return Ok((keys, false));
            }
            _ => return Err(e),
        },
    };
    if record(pool, &keys).await? {
        Ok((keys, true))
    } else {
        // Another process (another data directory on the same PostgreSQL) won: leave no key
        // file that does not match.
        key_file.remove()?;
        Err(missing())
    }
}

/// How a rotation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotated {
    /// Every sealed field and seal is now under the next key, which the database records.
    Done { fields: u64, events: u64 },
    /// The database already records the next key (an earlier run finished its part).
    AlreadyDone,
}

/// Rows per transaction of a rotation.
const BATCH: i64 = 500;

/// Re-encrypts the database at `url` from `old` to `next` (see the module's notes), continuing
/// a rotation under way, and records it in the audit log as done by `actor`.
/// `on_batch(part, rows)` is told of each committed batch. Nothing else
/// may use the database meanwhile: on PostgreSQL the rotation takes Pulang's advisory lock
/// exclusively and stops if any store holds it; for SQLite the caller must ensure it.
pub async fn rotate(
    url: &str,
    actor: &str,
    (old, next): (&Keyring, &Keyring),
    names: (&str, &str),
    on_batch: &(dyn Fn(&str, u64) + Sync),
) -> Result<Rotated, StoreError> {
    let (pool, backend) = connect(url).await?;
    let result = rotate_on(&pool, backend, actor, (old, next), names, on_batch).await;
    pool.close().await;
    result
}

async fn rotate_on(
    pool: &AnyPool,
    backend: Backend,
    actor: &str,
    (old, next): (&Keyring, &Keyring),
    (old_name, next_name): (&str, &str),
    on_batch: &(dyn Fn(&str, u64) + Sync),
) -> Result<Rotated, StoreError> {
    let _lock = match backend {
        Backend::Postgres => {
            let mut conn = pool.acquire().await?.detach();
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(LOCK_ID)
                .fetch_one(&mut conn)
                .await?;
            if !got {
                let _ = conn.close().await;
                return Err(StoreError::InUse(
                    "a server or another pulang command has this database open: stop it before rotating the key".into(),
                ));
            }
            Some(conn)
        }
        Backend::Sqlite => None,
    };
    let under_way = rotation_row(pool).await?;
    if under_way.is_none()
        && check_row(pool)
            .await?
            .is_some_and(|(c, _)| c == next.check_value())
    {
        return Ok(Rotated::AlreadyDone);
    }
    // Until the last step the database records the old key.
    verify(pool, old, old_name).await?;
    let (mut part, mut after) = match under_way {
        Some((check, part, after)) => {
            if check != next.check_value() {
                return Err(StoreError::WrongKey {
                    key: next_name.to_string(),
                    detail: "the rotation under way is to another key; without that key file the fields it re-encrypted cannot be read".into(),
                });
            }
            (part, after)
        }
        None => {
            // An unfinished import resumes by its row keys, which the rotation changes.
            let running = sqlx::query(
                "SELECT id FROM import_batches WHERE status = 'running' ORDER BY id LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            if let Some(r) = running {
                let id: String = r.try_get("id")?;
                return Err(StoreError::InUse(format!(
                    "import batch {id} is unfinished: finish it (run the import again) or revert it before rotating the key"
                )));
            }
            // Everything in its current form first, so that one form is re-encrypted.
            audit::seal_unsealed(pool, old).await?;
            rebind::rebind_pending(pool, old).await?;
            sqlx::query(
                "INSERT INTO key_rotation (id, next_check, part, after_key, started_at) \
                 VALUES (1, $1, $2, '', $3)",
            )
            .bind(next.check_value())
            .bind(SEALED[0].0)
            .bind(now_ms())
            .execute(pool)
            .await?;
            (SEALED[0].0.to_string(), String::new())
        }
    };
    let parts: Vec<&str> = SEALED.iter().map(|(t, _)| *t).chain([AUDIT_PART]).collect();
    let Some(mut at) = parts.iter().position(|p| *p == part) else {
        return Err(StoreError::Corrupt(format!("key rotation part {part}")));
    };
    let (mut fields, mut events) = (0u64, 0u64);
    loop {
        let mut tx = pool.begin().await?;
        let done = if part == AUDIT_PART {
            let (n, last) = reseal_events(&mut tx, old, next, &after).await?;
            events += n;
            last
        } else {
            let (n, last) = reseal_rows(&mut tx, SEALED[at], old, next, &after).await?;
            fields += n;
            last
        };
        match done {
            Some(last) => {
                after = last;
            }
            None if at + 1 < parts.len() => {
                at += 1;
                part = parts[at].to_string();
                after = String::new();
            }
            None => {
                finish(&mut tx, actor, old, next).await?;
                tx.commit().await?;
                return Ok(Rotated::Done { fields, events });
            }
        }
        sqlx::query("UPDATE key_rotation SET part = $1, after_key = $2 WHERE id = 1")
            .bind(&part)
            .bind(&after)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        on_batch(&part, fields + events);
    }
}

/// Re-encrypts the next batch of `table`'s rows after id `after`; returns the fields done and
/// the last id (`None`: the table is done). People's look-up digests are recomputed.
async fn reseal_rows(
    conn: &mut AnyConnection,
    (table, cols): (&str, &[&str]),
    old: &Keyring,
    next: &Keyring,
    after: &str,
) -> Result<(u64, Option<String>), StoreError> {
    let owned = OWNED.contains(&table);
    let rows = sqlx::query(&format!(
        "SELECT id, {}, {} AS owner FROM {table} WHERE id > $1 ORDER BY id LIMIT {BATCH}",
        cols.join(", "),
        if owned { "person_id" } else { "id" }
    ))
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    let set: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let update = format!(
        "UPDATE {table} SET {} WHERE id = ${}",
        set.join(", "),
        cols.len() + 1
    );
    let mut n = 0u64;
    let mut last = None;
    for r in &rows {
        let (id, owner): (String, String) = (r.try_get("id")?, r.try_get("owner")?);
        let mut q = sqlx::query(&update);
        let mut digests = Vec::new();
        for col in cols {
            let sealed: Option<Vec<u8>> = r.try_get(*col)?;
            let plain = match sealed {
                Some(s) if owned => Some(old.open_owned(&owner, &id, col, &s)?.into_bytes()),
                Some(s) => Some(old.open(&id, col, &s)?),
                None => None,
            };
            if let Some(p) = &plain {
                n += 1;
                if table == "people" {
                    digests.extend(lookup_digests(next, col, p)?);
                }
            }
            q = q.bind(plain.map(|p| match std::str::from_utf8(&p) {
                Ok(text) if owned => next.seal_owned(&owner, &id, col, text),
                _ => next.seal(&id, col, &p),
            }));
        }
        q.bind(&id).execute(&mut *conn).await?;
        if table == "people" {
            replace_lookups(conn, &id, &digests).await?;
        }
        last = Some(id);
    }
    Ok((n, last))
}

/// The blind index digests of a person's identifier field under `keys` (as
/// `person_rows::encode_details` makes them).
fn lookup_digests(keys: &Keyring, col: &str, plain: &[u8]) -> Result<Vec<String>, StoreError> {
    let text = std::str::from_utf8(plain).map_err(|_| StoreError::Decrypt(col.to_string()))?;
    Ok(match col {
        "nik" => vec![keys.blind_index(LookupKind::Nik, text)],
        "passport_no" => vec![keys.blind_index(LookupKind::Passport, text)],
        "phones" => serde_json::from_str::<Vec<String>>(text)
            .map_err(|_| StoreError::Corrupt("person field phones".into()))?
            .iter()
            .map(|p| keys.blind_index(LookupKind::Phone, p))
            .collect(),
        _ => Vec::new(),
    })
}

/// Re-seals the next batch of audit events after sequence number `after` (checking each old
/// seal first: a rotation must not launder a forged event). Returns the events done and the
/// last sequence number (`None`: none left).
async fn reseal_events(
    conn: &mut AnyConnection,
    old: &Keyring,
    next: &Keyring,
    after: &str,
) -> Result<(u64, Option<String>), StoreError> {
    let after: i64 = if after.is_empty() {
        0
    } else {
        after
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("key rotation cursor {after}")))?
    };
    let rows = sqlx::query(&format!(
        "SELECT seq, hash, seal FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT {}",
        BATCH * 10
    ))
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    let mut last = None;
    for r in &rows {
        let seq: i64 = r.try_get("seq")?;
        let hash: String = r.try_get("hash")?;
        let seal: Option<String> = r.try_get("seal")?;
        if !seal.is_some_and(|s| old.audit_seal_matches(&hash, &s)) {
            return Err(StoreError::Corrupt(format!(
                "audit event {seq}: its seal does not match; run `pulang audit verify` before rotating the key"
            )));
        }
        sqlx::query("UPDATE audit_events SET seal = $1 WHERE seq = $2")
            .bind(next.audit_seal(&hash))
            .bind(seq)
            .execute(&mut *conn)
            .await?;
        last = Some(seq.to_string());
    }
    Ok((rows.len() as u64, last))
}

/// The last step, in one transaction: re-seal the audit head, record the next key, end the
/// rotation and log it (sealed with the next key).
async fn finish(
    conn: &mut AnyConnection,
    actor: &str,
    old: &Keyring,
    next: &Keyring,
) -> Result<(), StoreError> {
    let head = sqlx::query("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (seq, hash, seal): (i64, String, Option<String>) = (
        head.try_get("seq")?,
        head.try_get("hash")?,
        head.try_get("seal")?,
    );
    if let Some(s) = seal {
        if !old.audit_seal_matches(&head_text(seq, &hash), &s) {
            return Err(StoreError::Corrupt(
                "the audit head's seal does not match; run `pulang audit verify` before rotating the key".into(),
            ));
        }
        sqlx::query("UPDATE audit_head SET seal = $1 WHERE id = 1")
            .bind(next.audit_seal(&head_text(seq, &hash)))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE key_check SET check_value = $1, key_id = $2, adopted_at = $3 WHERE id = 1")
        .bind(next.check_value())
        .bind(next.key_id())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM key_rotation WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    rekey_import_rows(conn, next).await?;
    for (table, column) in FORGOTTEN {
        sqlx::query(&format!("UPDATE {table} SET {column} = NULL"))
            .execute(&mut *conn)
            .await?;
    }
    let key_id = next.key_id();
    audit::WRITER_KEYS
        .scope(
            next.clone(),
            audit::append(conn, actor, "*", AuditAction::KeyRotate, &key_id),
        )
        .await?;
    Ok(())
}

/// Import row keys are one-way (HMAC of a content digest that is not stored), so they cannot be
/// recomputed under the next key: each is replaced by an HMAC of itself under the next key,
/// which keeps rows distinct and stops the old key from confirming who was on a list. Lists
/// imported before the rotation are then not recognised as imported (documented).
async fn rekey_import_rows(conn: &mut AnyConnection, next: &Keyring) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT site_id, row_key FROM import_rows")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let (site, key): (String, String) = (r.try_get("site_id")?, r.try_get("row_key")?);
        sqlx::query("UPDATE import_rows SET row_key = $1 WHERE site_id = $2 AND row_key = $3")
            .bind(next.import_row_key(&format!("rotated:{key}")))
            .bind(&site)
            .bind(&key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
