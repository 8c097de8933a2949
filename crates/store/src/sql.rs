//! Helpers every feature module shares: multi-row inserts, site clauses, and reading stored
//! text back into the domain's types. A leaf: it imports no feature module.
use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::Date;

use crate::{SiteFilter, StoreError};

/// A value of a multi-row insert.
pub(crate) enum BulkVal {
    Text(Option<String>),
    Int(Option<i64>),
    Real(f64),
    Blob(Option<Vec<u8>>),
}

/// Parameters per multi-row statement: binding slows down sharply with many more (sqlx resolves
/// each `$n` by name in SQLite).
const PARAMS: usize = 300;

/// `INSERT INTO {table} ({cols}) VALUES (...), (...)` for `rows`, in statements of at most
/// [`PARAMS`] parameters.
pub(crate) async fn bulk_insert(
    conn: &mut AnyConnection,
    table: &str,
    cols: &str,
    rows: Vec<Vec<BulkVal>>,
) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per = (PARAMS / width).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let part: Vec<Vec<BulkVal>> = rows.by_ref().take(per).collect();
        let values: Vec<String> = (0..part.len())
            .map(|r| {
                let ph: Vec<String> = (0..width)
                    .map(|c| format!("${}", r * width + c + 1))
                    .collect();
                format!("({})", ph.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {table} ({cols}) VALUES {}", values.join(", "));
        bind_values(sqlx::query(&sql), part.into_iter().flatten())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds `vals` to the next parameters of `q`, in order.
pub(crate) fn bind_values(
    mut q: AnyQuery<'_>,
    vals: impl IntoIterator<Item = BulkVal>,
) -> AnyQuery<'_> {
    for v in vals {
        q = match v {
            BulkVal::Text(t) => q.bind(t),
            BulkVal::Int(i) => q.bind(i),
            BulkVal::Real(f) => q.bind(f),
            BulkVal::Blob(b) => q.bind(b),
        };
    }
    q
}

pub(crate) fn site_clause(filter: &SiteFilter, first_param: usize) -> (String, Vec<String>) {
    match filter {
        SiteFilter::All => ("1=1".to_string(), Vec::new()),
        SiteFilter::Only(ids) if ids.is_empty() => ("1=0".to_string(), Vec::new()),
        SiteFilter::Only(ids) => {
            let ph: Vec<String> = (0..ids.len())
                .map(|i| format!("${}", first_param + i))
                .collect();
            (format!("site_id IN ({})", ph.join(", ")), ids.clone())
        }
    }
}

/// A date as stored: `YYYY-MM-DD` (sorts as text in both databases).
pub fn date_str(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Reads a stored `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str) -> Result<Date, StoreError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt).map_err(|_| StoreError::Corrupt(format!("stored date {s:?}")))
}

/// Reads column `col` of a row as a date.
pub(crate) fn date_at(r: &AnyRow, col: &str) -> Result<Date, StoreError> {
    parse_date(&r.try_get::<String, _>(col)?)
}

/// Reads stored text as a term of the domain's vocabulary; an unknown spelling is corrupt data.
pub(crate) fn parse_term<T>(s: &str) -> Result<T, StoreError>
where
    T: FromStr<Err = pulang_domain::UnknownTerm>,
{
    s.parse()
        .map_err(|e: pulang_domain::UnknownTerm| StoreError::Corrupt(e.to_string()))
}

/// Reads column `col` of a row as a term of the domain's vocabulary (stored as its spelling).
pub(crate) fn term_at<T>(r: &AnyRow, col: &str) -> Result<T, StoreError>
where
    T: FromStr<Err = pulang_domain::UnknownTerm>,
{
    parse_term(&r.try_get::<String, _>(col)?)
}

/// The person's site, when the filter allows it; `NotFound` otherwise (another site's person
/// and a missing one read the same).
pub(crate) async fn person_site(
    conn: &mut AnyConnection,
    filter: &SiteFilter,
    person_id: &str,
) -> Result<String, StoreError> {
    let site: Option<String> = sqlx::query("SELECT site_id FROM people WHERE id = $1")
        .bind(person_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("site_id"))
        .transpose()?;
    match site {
        Some(s) if filter.allows(&s) => Ok(s),
        _ => Err(StoreError::NotFound),
    }
}

impl crate::Store {
    /// The site of a person the filter allows; `NotFound` for another site's person, so that
    /// every read of personal data is scoped even where its query is by id.
    pub(crate) async fn allowed_person(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<String, StoreError> {
        let mut conn = self.pool().acquire().await?;
        person_site(&mut conn, filter, person_id).await
    }
}
