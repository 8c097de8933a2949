//! The review queue of possible duplicates, as stored: queueing a pair inside the caller's
//! transaction (a desk, an import or a scan). A leaf: it imports no feature module.
use pulang_domain::{AuditAction, ReviewOrigin, ReviewStatus};
use sqlx::{AnyConnection, Row};

use crate::audit::append;
use crate::sql::BulkVal;
use crate::{new_id, now_ms, StoreError};

pub(crate) const REVIEW_COLS: &str = "id, site_id, left_id, right_id, probability, reasons, origin, status, created_at, decided_by, decided_at";

/// A new pending pair, in [`REVIEW_COLS`] order, its ids in the stored order (the smaller
/// first). Returns the new review's id with the row.
pub(crate) fn review_row(
    site_id: &str,
    a: &str,
    b: &str,
    probability: f64,
    reasons_json: &str,
    origin: ReviewOrigin,
) -> (String, Vec<BulkVal>) {
    let (l, r) = if a <= b { (a, b) } else { (b, a) };
    let id = new_id();
    let t = |s: &str| BulkVal::Text(Some(s.to_string()));
    let row = vec![
        t(&id),
        t(site_id),
        t(l),
        t(r),
        BulkVal::Real(probability),
        t(reasons_json),
        t(origin.as_str()),
        t(ReviewStatus::Pending.as_str()),
        BulkVal::Int(Some(now_ms())),
        BulkVal::Text(None),
        BulkVal::Int(None),
    ];
    (id, row)
}

/// Queues the pair `a`, `b` for review inside the caller's transaction, unless it is already
/// known (in either order, in any state) or is one record twice. Audited as done by `system`.
/// Returns the new review's id.
pub(crate) async fn queue_review_in(
    conn: &mut AnyConnection,
    site_id: &str,
    a: &str,
    b: &str,
    probability: f64,
    reasons_json: &str,
    origin: ReviewOrigin,
) -> Result<Option<String>, StoreError> {
    let (l, r) = if a <= b { (a, b) } else { (b, a) };
    if l == r {
        return Ok(None);
    }
    let known: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM match_reviews WHERE left_id = $1 AND right_id = $2")
            .bind(l)
            .bind(r)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    if known > 0 {
        return Ok(None);
    }
    let (id, row) = review_row(site_id, l, r, probability, reasons_json, origin);
    crate::sql::bulk_insert(conn, "match_reviews", REVIEW_COLS, vec![row]).await?;
    append(conn, "system", site_id, AuditAction::ReviewQueue, &id).await?;
    Ok(Some(id))
}
