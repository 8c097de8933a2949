//! The change feed: which records changed, in commit order, so that every process (several
//! servers on one PostgreSQL, the CLI beside a server) can bring its in-memory copies up to
//! date. A leaf: features call [`record`] inside the write that changes a record.
//!
//! Ordering: `seq` is `MAX(seq) + 1`, allocated inside the writer's transaction, which holds the
//! database's one write lock (`begin_write`) until it commits. So sequence numbers are
//! contiguous and committed in order: when a reader sees change `n`, every change before `n` is
//! committed and visible too, and "everything after the last one I applied" misses nothing.
use pulang_domain::ChangeKind;
use sqlx::{AnyConnection, Executor, Row};

use crate::sql::{bulk_insert, parse_term, BulkVal};
use crate::{now_ms, Store, StoreError};

/// The channel PostgreSQL notifies at the commit of every write that records a change.
pub(crate) const CHANNEL: &str = "pulang_changes";

/// One row of the feed: the record `record_id` of kind `kind` changed (was created, edited,
/// merged, unmerged or deleted); read it again to learn how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: ChangeKind,
    pub record_id: String,
}

/// Records, in the caller's transaction, that the records `ids` of `kind` changed.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    kind: ChangeKind,
    ids: &[String],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
        .fetch_one(&mut *conn)
        .await?
        .try_get("seq")?;
    let at = now_ms();
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            vec![
                BulkVal::Int(Some(last + 1 + i as i64)),
                BulkVal::Text(Some(kind.as_str().to_string())),
                BulkVal::Text(Some(id.clone())),
                BulkVal::Int(Some(at)),
            ]
        })
        .collect();
    bulk_insert(conn, "changes", "seq, kind, record_id, at", rows).await?;
    if conn.backend_name() == "PostgreSQL" {
        // Delivered at commit (once per transaction), never for a rolled-back one.
        conn.execute(format!("NOTIFY {CHANNEL}").as_str()).await?;
    }
    Ok(())
}

impl Store {
    /// The sequence number of the last committed change (0 before the first).
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
                .fetch_one(self.pool())
                .await?
                .try_get("seq")?,
        )
    }

    /// Up to `limit` committed changes after `seq`, oldest first.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, kind, record_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: r.try_get("seq")?,
                    kind: parse_term(&r.try_get::<String, _>("kind")?)?,
                    record_id: r.try_get("record_id")?,
                })
            })
            .collect()
    }

    /// Forgets changes recorded before `before` (Unix ms), keeping the last one (the next
    /// sequence number follows it). A process that has not caught up with what is forgotten
    /// sees a gap in the sequence and reloads everything.
    pub async fn prune_changes(&self, before: i64) -> Result<u64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                Ok(sqlx::query(
                    "DELETE FROM changes WHERE at < $1 AND seq < (SELECT MAX(seq) FROM changes)",
                )
                .bind(before)
                .execute(&mut *conn)
                .await?
                .rows_affected())
            })
        })
        .await
    }

    /// Wakes when another process (or this one) may have committed a change: on PostgreSQL at
    /// each `NOTIFY` received; never on SQLite, where followers poll. Notifications can be
    /// lost (a dropped connection), so a follower polls as well.
    pub async fn change_signalled(&self) {
        self.inner.signal.notified().await
    }
}

/// Listens for [`CHANNEL`] on PostgreSQL and wakes [`Store::change_signalled`]; reconnects after
/// an error; stops when the store closes or is dropped.
pub(crate) async fn listen(
    url: String,
    signal: std::sync::Weak<tokio::sync::Notify>,
    mut closed: tokio::sync::watch::Receiver<bool>,
) {
    use std::time::Duration;
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change feed: cannot listen; polling only");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                    _ = closed.changed() => return,
                }
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "change feed: LISTEN failed; polling only");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                _ = closed.changed() => return,
            }
        }
        loop {
            tokio::select! {
                got = listener.recv() => match got {
                    Ok(_) => match signal.upgrade() {
                        Some(s) => s.notify_one(),
                        None => return,
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "change feed: listener lost; reconnecting");
                        break;
                    }
                },
                _ = closed.changed() => return,
            }
        }
    }
}
