//! Idempotent requests. A request that carries an `Idempotency-Key` runs inside
//! [`with_claim`]; the first change it makes records the key in the same transaction, so a
//! change and its key commit together or not at all. The answer is kept afterwards (sealed) so
//! that a retry — after a lost answer or a crash — gets it again instead of a second change.
use std::cell::RefCell;
use std::future::Future;

use sqlx::{AnyConnection, Row};

use crate::{now_ms, Store, StoreError};

/// How long a key and its answer are kept.
const KEEP_MS: i64 = 24 * 3600 * 1000;

tokio::task_local! {
    /// The key of the request this task serves, until its first change takes it.
    static CLAIM: RefCell<Option<Claim>>;
}

/// A request's key: whose it is, the key's digest and the request's digest.
#[derive(Debug, Clone)]
pub struct Claim {
    pub user_id: String,
    pub key_hash: String,
    pub request_hash: String,
}

/// What is recorded for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The request was carried out and answered: the answer, if it was the same request.
    Answered {
        request_hash: String,
        answer: Vec<u8>,
    },
    /// The change committed but no answer was kept (a crash in between), or the request is
    /// still under way.
    Unanswered { request_hash: String },
}

/// Runs `f` (a request) so that its first change records `claim`.
pub async fn with_claim<F: Future>(claim: Claim, f: F) -> F::Output {
    CLAIM.scope(RefCell::new(Some(claim)), f).await
}

/// The current request's claim, once: the first change takes it.
pub(crate) fn take_claim() -> Option<Claim> {
    CLAIM.try_with(|c| c.borrow_mut().take()).ok().flatten()
}

/// Records `claim` in the change's transaction; a key already recorded (the same request
/// under way elsewhere) is a conflict, and the change is not made.
pub(crate) async fn record(conn: &mut AnyConnection, claim: &Claim) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key_hash, request_hash, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&claim.user_id)
    .bind(&claim.key_hash)
    .bind(&claim.request_hash)
    .bind(now_ms())
    .execute(conn)
    .await
    .map_err(|e| StoreError::from_db(e, "a request with this idempotency key"))?;
    Ok(())
}

fn sealed_as(user_id: &str, key_hash: &str) -> String {
    format!("{user_id}:{key_hash}")
}

impl Store {
    /// What is recorded for `user_id`'s key (none once a day has passed).
    pub async fn idempotent_record(
        &self,
        user_id: &str,
        key_hash: &str,
    ) -> Result<Option<Recorded>, StoreError> {
        let row = sqlx::query(
            "SELECT request_hash, answer FROM idempotency_keys \
             WHERE user_id = $1 AND key_hash = $2 AND created_at > $3",
        )
        .bind(user_id)
        .bind(key_hash)
        .bind(now_ms() - KEEP_MS)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let request_hash: String = row.try_get("request_hash")?;
        Ok(Some(match row.try_get::<Option<Vec<u8>>, _>("answer")? {
            Some(sealed) => Recorded::Answered {
                request_hash,
                answer: self
                    .keys()
                    .open(&sealed_as(user_id, key_hash), "answer", &sealed)?,
            },
            None => Recorded::Unanswered { request_hash },
        }))
    }

    /// Keeps the answer given to a request whose change recorded its key (nothing happens for
    /// a request that changed nothing); forgets keys older than a day.
    pub async fn keep_idempotent_answer(
        &self,
        user_id: &str,
        key_hash: &str,
        answer: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = self
            .keys()
            .seal(&sealed_as(user_id, key_hash), "answer", answer);
        let (user_id, key_hash) = (user_id.to_string(), key_hash.to_string());
        self.write_unclaimed(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE idempotency_keys SET answer = $1 \
                     WHERE user_id = $2 AND key_hash = $3 AND answer IS NULL",
                )
                .bind(sealed)
                .bind(&user_id)
                .bind(&key_hash)
                .execute(&mut *conn)
                .await?;
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at <= $1")
                    .bind(now_ms() - KEEP_MS)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }
}
