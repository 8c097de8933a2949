//! Import rows as stored: recording the person a row registered or matched (and the pairs it
//! sent for review), which single registrations and import chunks both do. A leaf: it imports
//! no feature module.
use pulang_domain::{ImportOutcome, ReviewOrigin};
use sqlx::AnyConnection;

use crate::review_queue::queue_review_in;
use crate::sql::{bulk_insert, BulkVal};
use crate::StoreError;

/// An import row being registered.
#[derive(Debug, Clone, Default)]
pub struct ImportRowRef {
    pub batch_id: String,
    pub row_key: String,
    pub line: i64,
    /// People the row's person may be, queued for review (origin `import`) in the same
    /// transaction as the registration; the row is then recorded with outcome `review`.
    pub review: Vec<ImportReview>,
}

/// A possible match of an imported row, to be decided by a person.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReview {
    pub person_id: String,
    pub probability: f64,
    /// Field levels and weights as JSON (no personal data).
    pub reasons_json: String,
}

const IMPORT_ROW_COLS: &str = "site_id, row_key, batch_id, line, person_id, outcome";

/// The outcome a row is recorded with: a registration with candidates is a row sent for
/// review, so that a kill between the registration and the queueing cannot lose the pair.
fn recorded_outcome(row: &ImportRowRef, outcome: ImportOutcome) -> ImportOutcome {
    if outcome == ImportOutcome::Created && !row.review.is_empty() {
        ImportOutcome::Review
    } else {
        outcome
    }
}

/// The `import_rows` row of `row`, in [`IMPORT_ROW_COLS`] order.
pub(crate) fn import_row(
    site_id: &str,
    row: &ImportRowRef,
    person_id: &str,
    outcome: ImportOutcome,
) -> Vec<BulkVal> {
    let t = |s: &str| BulkVal::Text(Some(s.to_string()));
    vec![
        t(site_id),
        t(&row.row_key),
        t(&row.batch_id),
        BulkVal::Int(Some(row.line)),
        t(person_id),
        t(recorded_outcome(row, outcome).as_str()),
    ]
}

/// Inserts import rows; a row key already recorded at the site is a `Conflict`.
pub(crate) async fn insert_import_rows(
    conn: &mut AnyConnection,
    rows: Vec<Vec<BulkVal>>,
) -> Result<(), StoreError> {
    bulk_insert(conn, "import_rows", IMPORT_ROW_COLS, rows)
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => StoreError::from_db(e, "import row"),
            other => other,
        })
}

/// Records that `row` registered or matched `person_id`, queueing its review pairs first.
pub(crate) async fn record_row(
    conn: &mut AnyConnection,
    site_id: &str,
    row: &ImportRowRef,
    person_id: &str,
    outcome: ImportOutcome,
) -> Result<(), StoreError> {
    for r in &row.review {
        queue_review_in(
            conn,
            site_id,
            &r.person_id,
            person_id,
            r.probability,
            &r.reasons_json,
            ReviewOrigin::Import,
        )
        .await?;
    }
    insert_import_rows(conn, vec![import_row(site_id, row, person_id, outcome)]).await
}
