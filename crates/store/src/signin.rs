//! Sign-in attempts per account and per client address, counted in the database so that every
//! server process on it shares one count. The check and the count happen in one write: writes
//! are serialised (one writer per process, and one write lock across processes), so a crowd of
//! simultaneous attempts, spread over processes or not, cannot all pass under the limit.
use sqlx::Row;

use crate::{new_id, now_ms, Store, StoreError};

/// How many attempts a counter allows in a window.
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimits {
    pub window_ms: i64,
    pub per_account: i64,
    pub per_address: i64,
}

/// An attempt that was counted: what a successful sign-in takes back.
#[derive(Debug, Clone)]
pub struct CountedAttempt {
    account: String,
    address_row: String,
}

impl Store {
    /// Counts an attempt against `account` and `address`, or says how many seconds to wait
    /// when either has used up its attempts in the window.
    pub async fn count_signin_attempt(
        &self,
        account: &str,
        address: &str,
        limits: AttemptLimits,
    ) -> Result<Result<CountedAttempt, u64>, StoreError> {
        let account = format!("u:{account}");
        let address = format!("a:{address}");
        self.write_unclaimed(move |conn| {
            Box::pin(async move {
                let now = now_ms();
                let since = now - limits.window_ms;
                let mut wait_ms: Option<i64> = None;
                for (counter, limit) in [(&account, limits.per_account), (&address, limits.per_address)] {
                    sqlx::query("DELETE FROM signin_attempts WHERE counter = $1 AND at <= $2")
                        .bind(counter.as_str())
                        .bind(since)
                        .execute(&mut *conn)
                        .await?;
                    let row = sqlx::query(
                        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM signin_attempts WHERE counter = $1",
                    )
                    .bind(counter.as_str())
                    .fetch_one(&mut *conn)
                    .await?;
                    let n: i64 = row.try_get("n")?;
                    if n >= limit {
                        let oldest: i64 = row.try_get::<Option<i64>, _>("oldest")?.unwrap_or(now);
                        let wait = oldest + limits.window_ms - now;
                        wait_ms = Some(wait_ms.map_or(wait, |w| w.max(wait)));
                    }
                }
                if let Some(ms) = wait_ms {
                    return Ok(Err((ms.max(0) as u64).div_ceil(1000).max(1)));
                }
                let address_row = new_id();
                for (id, counter) in [(new_id(), &account), (address_row.clone(), &address)] {
                    sqlx::query("INSERT INTO signin_attempts (id, counter, at) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(counter.as_str())
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(Ok(CountedAttempt {
                    account,
                    address_row,
                }))
            })
        })
        .await
    }

    /// A successful sign-in: the account starts afresh and the address gets its attempt back.
    pub async fn signin_succeeded(&self, attempt: CountedAttempt) -> Result<(), StoreError> {
        self.write_unclaimed(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM signin_attempts WHERE counter = $1 OR id = $2")
                    .bind(&attempt.account)
                    .bind(&attempt.address_row)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }
}
