//! Once, at start-up: rows written before their sealed field was bound to its person, or
//! before import row keys were keyed (migration 0008 lists them in `rebind_pending`), are
//! redone with the key file. A leaf: it imports no feature module.
//!
//! Each row is redone and taken off the list in one transaction (a batch of them per
//! transaction), so a crash leaves every row in one form or the other and the next start
//! finishes the rest; a row already taken off the list (by another server starting at the same
//! time) is skipped, which makes the pass idempotent. Once the list is empty, start-up costs
//! one query.
use sqlx::{AnyConnection, AnyPool, Row};

use crate::{Keyring, StoreError};

/// Rows redone per transaction.
const BATCH: i64 = 2_000;

/// The person-owned sealed columns: (table, column, field name in the associated data).
const SEALED: [(&str, &str, &str); 3] = [
    ("encounters", "notes", "notes"),
    ("screenings", "input", "input"),
    ("person_history", "changes", "changes"),
];

pub(crate) async fn rebind_pending(pool: &AnyPool, keys: &Keyring) -> Result<(), StoreError> {
    let mut done = 0usize;
    loop {
        let rows = sqlx::query(
            "SELECT tbl, site_id, id FROM rebind_pending ORDER BY tbl, site_id, id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        if done == 0 {
            tracing::info!("binding rows written before 0008 to their person and key (once)");
        }
        let mut tx = pool.begin().await?;
        for r in &rows {
            let (tbl, site, id): (String, String, String) =
                (r.try_get("tbl")?, r.try_get("site_id")?, r.try_get("id")?);
            let taken = sqlx::query(
                "DELETE FROM rebind_pending WHERE tbl = $1 AND site_id = $2 AND id = $3",
            )
            .bind(&tbl)
            .bind(&site)
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 0 {
                continue;
            }
            rebind_row(&mut tx, keys, &tbl, &site, &id).await?;
        }
        tx.commit().await?;
        done += rows.len();
        tracing::info!(rows = done, "rows bound");
    }
    Ok(())
}

async fn rebind_row(
    conn: &mut AnyConnection,
    keys: &Keyring,
    tbl: &str,
    site: &str,
    id: &str,
) -> Result<(), StoreError> {
    if tbl == "import_rows" {
        // The old key is the row's content digest: exactly what the keyed form is made of.
        sqlx::query("UPDATE import_rows SET row_key = $1 WHERE site_id = $2 AND row_key = $3")
            .bind(keys.import_row_key(id))
            .bind(site)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let Some(&(table, column, field)) = SEALED.iter().find(|(t, _, _)| *t == tbl) else {
        return Err(StoreError::Corrupt(format!(
            "rebind_pending names table {tbl}"
        )));
    };
    let row = sqlx::query(&format!(
        "SELECT person_id, {column} AS sealed FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(()); // deleted since (a reverted import)
    };
    let owner: String = row.try_get("person_id")?;
    let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>("sealed")? else {
        return Ok(());
    };
    match keys.open_str(id, field, &sealed) {
        Ok(plain) => {
            sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                .bind(keys.seal_owned(&owner, id, field, &plain))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        // Already damaged: left as it is, it reads as unreadable, as it did before.
        Err(e) => {
            tracing::error!(table, record = id, error = %e, "a sealed field does not open; left as it is");
        }
    }
    Ok(())
}
