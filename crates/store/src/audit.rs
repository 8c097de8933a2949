//! The tamper-evident audit log: one hash chain over every event.
//!
//! `hash(n) = SHA-256(hash(n-1) ‖ len-prefixed fields of event n)`; a head row keeps the last
//! sequence number and hash, so a deleted tail is detected too. Events never hold personal data:
//! the subject is a record id or case number.
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use pulang_domain::AuditAction;

use crate::sql::{bulk_insert, BulkVal};
use crate::{now_ms, SiteFilter, Store, StoreError};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub site: String,
    pub action: String,
    pub subject: String,
    pub prev_hash: String,
    pub hash: String,
    /// The seal of `hash` (HMAC under the audit key); `None` only if never sealed.
    pub seal: Option<String>,
}

tokio::task_local! {
    /// The keys of the store whose writer is running the current job: every event is appended
    /// inside the writer task (see `writer_loop`), which sets this around each job, so the
    /// chain is sealed without every feature passing keys through to `append`.
    pub(crate) static WRITER_KEYS: crate::Keyring;
}

/// What the head's seal covers.
pub(crate) fn head_text(seq: i64, hash: &str) -> String {
    format!("head:{seq}:{hash}")
}

/// The fields of an event that its hash covers (with its sequence number and time).
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub actor: &'a str,
    pub site: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
}

pub fn event_hash(prev: &str, seq: i64, at: i64, e: &NewEvent<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    for part in [
        seq.to_string().as_str(),
        at.to_string().as_str(),
        e.actor,
        e.site,
        e.action,
        e.subject,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction: `actor` did `action` to `subject` (a
/// record id, never personal data) at `site`. Returns its sequence number.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    actor: &str,
    site: &str,
    action: AuditAction,
    subject: &str,
) -> Result<i64, StoreError> {
    chain(
        conn,
        site,
        &[(actor.to_string(), action, subject.to_string())],
    )
    .await
}

/// Appends events at one site inside the caller's transaction, in order: as [`append`] for
/// each `(actor, action, subject)`, with three statements in all (an import's thousands).
pub(crate) async fn append_many(
    conn: &mut AnyConnection,
    site: &str,
    events: &[(String, AuditAction, String)],
) -> Result<(), StoreError> {
    if !events.is_empty() {
        chain(conn, site, events).await?;
    }
    Ok(())
}

/// Chains `events` (at least one) onto the log; returns the last one's sequence number.
async fn chain(
    conn: &mut AnyConnection,
    site: &str,
    events: &[(String, AuditAction, String)],
) -> Result<i64, StoreError> {
    let n = events.len() as i64;
    // Moving the head first takes the row's write lock, which orders concurrent writers
    // (PostgreSQL) before anyone reads the previous hash.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *conn)
        .await?;
    let last: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    let keys = WRITER_KEYS.try_with(Clone::clone).map_err(|_| {
        StoreError::Unavailable("audit events are appended by the writer only".into())
    })?;
    let at = now_ms();
    let mut rows = Vec::with_capacity(events.len());
    for (i, (actor, action, subject)) in events.iter().enumerate() {
        let seq = last - n + 1 + i as i64;
        let action = action.name();
        let e = NewEvent {
            actor,
            site,
            action: &action,
            subject,
        };
        let hash = event_hash(&prev, seq, at, &e);
        let t = |s: &str| BulkVal::Text(Some(s.to_string()));
        rows.push(vec![
            BulkVal::Int(Some(seq)),
            BulkVal::Int(Some(at)),
            t(e.actor),
            t(e.site),
            t(e.action),
            t(e.subject),
            t(&prev),
            t(&hash),
            t(&keys.audit_seal(&hash)),
        ]);
        prev = hash;
    }
    bulk_insert(conn, "audit_events", COLS, rows).await?;
    sqlx::query("UPDATE audit_head SET hash = $1, seal = $2 WHERE id = 1")
        .bind(&prev)
        .bind(keys.audit_seal(&head_text(last, &prev)))
        .execute(&mut *conn)
        .await?;
    Ok(last)
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq}: its content does not match its hash (edited)")]
    Edited { seq: i64 },
    #[error("event {seq}: does not follow event {prev} (missing or reordered events)")]
    Gap { seq: i64, prev: i64 },
    #[error("event {seq}: its link to the previous event is wrong (reordered or replaced)")]
    Link { seq: i64 },
    #[error("the log ends at event {last} but the head records {head} events (events deleted at the end)")]
    Truncated { last: i64, head: i64 },
    #[error("the head's hash does not match event {seq}")]
    Head { seq: i64 },
    #[error("event {seq}: its seal does not match (edited, replaced or forged by someone without the key)")]
    Forged { seq: i64 },
    #[error(
        "the head's seal does not match event {seq} (events deleted, truncated or rolled back)"
    )]
    HeadSeal { seq: i64 },
    #[error("the log ends at event {head} but this server recorded event {witnessed} (an older copy of the database was put back)")]
    RolledBack { witnessed: i64, head: i64 },
    #[error("event {seq} is not the event this server recorded (the log was replaced)")]
    Replaced { seq: i64 },
}

fn to_event(r: &sqlx::any::AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        site: r.try_get("site")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        seal: r.try_get("seal")?,
    })
}

const COLS: &str = "seq, at, actor, site, action, subject, prev_hash, hash, seal";

/// Seals what was written before the chain had seals (once, when a store first opens with
/// them): from then on nobody without the key can change those events unnoticed.
pub(crate) async fn seal_unsealed(
    pool: &sqlx::AnyPool,
    keys: &crate::Keyring,
) -> Result<(), StoreError> {
    // The head is sealed last: once it is, every event is, and start-up skips the scan.
    let head_sealed: Option<String> = sqlx::query("SELECT seal FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await?
        .try_get("seal")?;
    if head_sealed.is_some() {
        return Ok(());
    }
    loop {
        let rows = sqlx::query(
            "SELECT seq, hash FROM audit_events WHERE seal IS NULL ORDER BY seq LIMIT 5000",
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut tx = pool.begin().await?;
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            let hash: String = r.try_get("hash")?;
            sqlx::query("UPDATE audit_events SET seal = $1 WHERE seq = $2 AND seal IS NULL")
                .bind(keys.audit_seal(&hash))
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 AND seal IS NULL")
        .fetch_optional(pool)
        .await?;
    if let Some(h) = head {
        let (seq, hash): (i64, String) = (h.try_get("seq")?, h.try_get("hash")?);
        sqlx::query("UPDATE audit_head SET seal = $1 WHERE id = 1 AND seal IS NULL AND seq = $2")
            .bind(keys.audit_seal(&head_text(seq, &hash)))
            .bind(seq)
            .execute(pool)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Appends an event in its own transaction (for actions with no other write, e.g. sign-in).
    pub async fn audit(
        &self,
        actor: &str,
        site: &str,
        action: AuditAction,
        subject: &str,
    ) -> Result<i64, StoreError> {
        let (actor, site, subject) = (actor.to_string(), site.to_string(), subject.to_string());
        self.write_unclaimed(move |conn| {
            Box::pin(async move { append(conn, &actor, &site, action, &subject).await })
        })
        .await
    }

    /// The newest events first, optionally only those about `subject`.
    pub async fn audit_events(
        &self,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.audit_events_at(&SiteFilter::All, subject, limit).await
    }

    /// The newest events about the given sites (events recorded with a site id), optionally only
    /// those about `subject`. `SiteFilter::All` also includes events not tied to a site (`*`).
    pub async fn audit_events_at(
        &self,
        sites: &SiteFilter,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let mut clauses = Vec::new();
        let mut params: Vec<String> = Vec::new();
        if let Some(s) = subject {
            params.push(s.to_string());
            clauses.push(format!("subject = ${}", params.len()));
        }
        if let SiteFilter::Only(ids) = sites {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut ph = Vec::new();
            for id in ids {
                params.push(id.clone());
                ph.push(format!("${}", params.len()));
            }
            clauses.push(format!("site IN ({})", ph.join(", ")));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLS} FROM audit_events {filter} ORDER BY seq DESC LIMIT ${}",
            params.len() + 1
        );
        let mut q = sqlx::query(&sql);
        for p in params {
            q = q.bind(p);
        }
        let rows = q.bind(limit).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(to_event).collect::<Result<_, _>>()?)
    }

    /// Walks the whole chain. Returns the number of events on success.
    pub async fn verify_audit(&self) -> Result<Result<i64, ChainBreak>, StoreError> {
        // The witness first: it is written after each commit, so read before the head it can
        // only lag behind an honest database, never run ahead of it.
        let witnessed = self.inner.witness.get().and_then(|w| w.read());
        let head = sqlx::query("SELECT seq, hash, seal FROM audit_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_hash: String = head.try_get("hash")?;
        let head_seal: Option<String> = head.try_get("seal")?;
        let keys = self.keys();
        let mut prev_seq = 0i64;
        let mut prev_hash = GENESIS.to_string();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 10000"
            ))
            .bind(after)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = to_event(r)?;
                if let Err(b) = check_link(&e, prev_seq, &prev_hash) {
                    return Ok(Err(b));
                }
                if !e
                    .seal
                    .as_deref()
                    .is_some_and(|s| keys.audit_seal_matches(&e.hash, s))
                {
                    return Ok(Err(ChainBreak::Forged { seq: e.seq }));
                }
                if witnessed
                    .as_ref()
                    .is_some_and(|(seq, hash)| *seq == e.seq && *hash != e.hash)
                {
                    return Ok(Err(ChainBreak::Replaced { seq: e.seq }));
                }
                prev_seq = e.seq;
                prev_hash = e.hash;
            }
            after = prev_seq;
        }
        if let Some((seq, _)) = witnessed.as_ref().filter(|(seq, _)| *seq > head_seq) {
            return Ok(Err(ChainBreak::RolledBack {
                witnessed: *seq,
                head: head_seq,
            }));
        }
        if prev_seq != head_seq {
            return Ok(Err(ChainBreak::Truncated {
                last: prev_seq,
                head: head_seq,
            }));
        }
        if prev_hash != head_hash {
            return Ok(Err(ChainBreak::Head { seq: prev_seq }));
        }
        if !head_seal
            .as_deref()
            .is_some_and(|s| keys.audit_seal_matches(&head_text(head_seq, &head_hash), s))
        {
            return Ok(Err(ChainBreak::HeadSeal { seq: head_seq }));
        }
        Ok(Ok(prev_seq))
    }
}

/// Checks one event against its predecessor.
pub fn check_link(e: &AuditEvent, prev_seq: i64, prev_hash: &str) -> Result<(), ChainBreak> {
    if e.seq != prev_seq + 1 {
        return Err(ChainBreak::Gap {
            seq: e.seq,
            prev: prev_seq,
        });
    }
    let recomputed = event_hash(
        &e.prev_hash,
        e.seq,
        e.at,
        &NewEvent {
            actor: &e.actor,
            site: &e.site,
            action: &e.action,
            subject: &e.subject,
        },
    );
    if recomputed != e.hash {
        return Err(ChainBreak::Edited { seq: e.seq });
    }
    if e.prev_hash != prev_hash {
        return Err(ChainBreak::Link { seq: e.seq });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, prev: &str, subject: &str) -> AuditEvent {
        let n = NewEvent {
            actor: "a",
            site: "PNH",
            action: "person.read",
            subject,
        };
        AuditEvent {
            seq,
            at: 1,
            actor: "a".into(),
            site: "PNH".into(),
            action: "person.read".into(),
            subject: subject.into(),
            prev_hash: prev.into(),
            hash: event_hash(prev, seq, 1, &n),
            seal: None,
        }
    }

    #[test]
    fn links_detect_edits_gaps_and_swaps() {
        let e1 = ev(1, GENESIS, "x");
        let e2 = ev(2, &e1.hash, "y");
        assert!(check_link(&e1, 0, GENESIS).is_ok());
        assert!(check_link(&e2, 1, &e1.hash).is_ok());
        let mut edited = e2.clone();
        edited.subject = "z".into();
        assert_eq!(
            check_link(&edited, 1, &e1.hash),
            Err(ChainBreak::Edited { seq: 2 })
        );
        assert_eq!(
            check_link(&e2, 0, GENESIS),
            Err(ChainBreak::Gap { seq: 2, prev: 0 })
        );
        // Field boundaries are length-prefixed: moving a character between fields changes the hash.
        let a = event_hash(
            GENESIS,
            1,
            1,
            &NewEvent {
                actor: "ab",
                site: "c",
                action: "d",
                subject: "e",
            },
        );
        let b = event_hash(
            GENESIS,
            1,
            1,
            &NewEvent {
                actor: "a",
                site: "bc",
                action: "d",
                subject: "e",
            },
        );
        assert_ne!(a, b);
    }
}
