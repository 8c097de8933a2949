//! A person's rows as stored: the one encoder of a person's details into `people` columns (for
//! a registration, a bulk registration and an update), its decoder, look-ups, history entries
//! and case numbers. A leaf: it imports no feature module.
use pulang_domain::nik::Nik;
use pulang_domain::{BirthDate, ChangeKind, LookupKind, PersonDetails, Sex};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::sql::{bulk_insert, BulkVal};
use crate::{new_id, Keyring, Site, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    pub id: String,
    pub site_id: String,
    pub case_number: String,
    pub version: i64,
    pub details: PersonDetails,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when this record was merged into another (the one to show instead).
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub(crate) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// Every column of `people`, for reading a record with [`open_person`].
pub(crate) const PERSON_COLS: &str = "id, site_id, case_number, version, sex, age, nationality, origin_province, \
     origin_regency, languages, full_name, aliases, birth_date, nik, passport_no, phones, created_at, updated_at, merged_into";

/// The columns of `people` that hold a person's details, in the order [`encode_details`]
/// encodes them.
pub(crate) const DETAIL_COLS: [&str; 12] = [
    "sex",
    "age",
    "nationality",
    "origin_province",
    "origin_regency",
    "languages",
    "full_name",
    "aliases",
    "birth_date",
    "nik",
    "passport_no",
    "phones",
];

/// A person's details as stored.
pub(crate) struct EncodedDetails {
    /// [`DETAIL_COLS`], personal fields sealed with the record id and field name.
    pub values: Vec<BulkVal>,
    /// Blind index digests of the NIK, passport and phones, for `person_lookup`.
    pub digests: Vec<String>,
}

/// The one encoder of a person's details into their columns.
pub(crate) fn encode_details(keys: &Keyring, id: &str, d: &PersonDetails) -> EncodedDetails {
    use BulkVal::{Blob, Int, Text};
    let mut digests = Vec::new();
    if let Some(n) = &d.nik {
        digests.push(keys.blind_index(LookupKind::Nik, n.as_str()));
    }
    if let Some(p) = &d.passport_no {
        digests.push(keys.blind_index(LookupKind::Passport, p));
    }
    for p in &d.phones {
        digests.push(keys.blind_index(LookupKind::Phone, p));
    }
    let seal = |field: &str, v: &str| keys.seal_str(id, field, v);
    let values = vec![
        Text(d.sex.map(|x| x.as_str().to_string())),
        Int(d.age.map(i64::from)),
        Text(Some(d.nationality.clone())),
        Text(d.origin_province.clone()),
        Text(d.origin_regency.clone()),
        Text(Some(json(&d.languages))),
        Blob(Some(seal("full_name", &d.full_name))),
        Blob(Some(seal("aliases", &json(&d.aliases)))),
        Blob(d.birth_date.map(|b| seal("birth_date", &b.to_string()))),
        Blob(d.nik.as_ref().map(|v| seal("nik", v.as_str()))),
        Blob(d.passport_no.as_deref().map(|v| seal("passport_no", v))),
        Blob(Some(seal("phones", &json(&d.phones)))),
    ];
    debug_assert_eq!(values.len(), DETAIL_COLS.len());
    EncodedDetails { values, digests }
}

fn corrupt(field: &str) -> StoreError {
    StoreError::Corrupt(format!("person field {field}"))
}

/// Decodes a row of [`PERSON_COLS`], opening the sealed fields.
pub(crate) fn open_person(keys: &Keyring, r: &AnyRow) -> Result<PersonRecord, StoreError> {
    let id: String = r.try_get("id")?;
    let open = |field: &str| -> Result<String, StoreError> {
        keys.open_str(&id, field, &r.try_get::<Vec<u8>, _>(field)?)
    };
    let open_opt = |field: &str| -> Result<Option<String>, StoreError> {
        let v: Option<Vec<u8>> = r.try_get(field)?;
        v.map(|b| keys.open_str(&id, field, &b)).transpose()
    };
    let list = |field: &str| -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&open(field)?).map_err(|_| corrupt(field))
    };
    let sex: Option<String> = r.try_get("sex")?;
    let age: Option<i64> = r.try_get("age")?;
    let languages: String = r.try_get("languages")?;
    Ok(PersonRecord {
        site_id: r.try_get("site_id")?,
        case_number: r.try_get("case_number")?,
        version: r.try_get("version")?,
        details: PersonDetails {
            full_name: open("full_name")?,
            aliases: list("aliases")?,
            sex: sex.as_deref().and_then(Sex::parse),
            birth_date: open_opt("birth_date")?
                .map(|s| BirthDate::parse(&s).ok_or_else(|| corrupt("birth_date")))
                .transpose()?,
            age: age.map(|a| a.clamp(0, 255) as u8),
            nationality: r.try_get("nationality")?,
            // Validated before it was written: one that no longer parses is damaged data.
            nik: open_opt("nik")?
                .map(|s| Nik::parse(&s).map_err(|_| corrupt("nik")))
                .transpose()?,
            passport_no: open_opt("passport_no")?,
            phones: list("phones")?,
            origin_province: r.try_get("origin_province")?,
            origin_regency: r.try_get("origin_regency")?,
            languages: serde_json::from_str(&languages).map_err(|_| corrupt("languages"))?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        merged_into: r.try_get("merged_into")?,
        id,
    })
}

/// What changed between two versions of a person's details, field by field.
pub(crate) fn changes(before: &PersonDetails, after: &PersonDetails) -> Vec<FieldChange> {
    fn s<T: Serialize>(v: &T) -> Option<String> {
        match serde_json::to_value(v).ok()? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Array(a) if a.is_empty() => None,
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            other => Some(other.to_string()),
        }
    }
    let b = serde_json::to_value(before).expect("plain data");
    let a = serde_json::to_value(after).expect("plain data");
    let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            before: b.get(k).and_then(s),
            after: s(v),
        })
        .collect()
}

const HISTORY_COLS: &str = "id, person_id, version, actor, at, fields, changes";

/// A `person_history` row: `actor` made `changes` (sealed) as version `version`.
fn history_row(
    keys: &Keyring,
    person_id: &str,
    version: i64,
    actor: &str,
    at: i64,
    changes: &[FieldChange],
) -> Vec<BulkVal> {
    let hid = new_id();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let t = |s: &str| BulkVal::Text(Some(s.to_string()));
    vec![
        t(&hid),
        t(person_id),
        BulkVal::Int(Some(version)),
        t(actor),
        BulkVal::Int(Some(at)),
        t(&json(&fields)),
        BulkVal::Blob(Some(keys.seal_owned(
            person_id,
            &hid,
            "changes",
            &json(&changes),
        ))),
    ]
}

/// Appends a history entry.
pub(crate) async fn write_history(
    conn: &mut AnyConnection,
    keys: &Keyring,
    person_id: &str,
    version: i64,
    actor: &str,
    at: i64,
    changes: &[FieldChange],
) -> Result<(), StoreError> {
    let row = history_row(keys, person_id, version, actor, at, changes);
    bulk_insert(conn, "person_history", HISTORY_COLS, vec![row]).await
}

fn lookup_rows(person_id: &str, digests: &[String]) -> Vec<Vec<BulkVal>> {
    let t = |s: &str| BulkVal::Text(Some(s.to_string()));
    digests.iter().map(|d| vec![t(d), t(person_id)]).collect()
}

/// Replaces a person's look-up digests.
pub(crate) async fn replace_lookups(
    conn: &mut AnyConnection,
    person_id: &str,
    digests: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM person_lookup WHERE person_id = $1")
        .bind(person_id)
        .execute(&mut *conn)
        .await?;
    bulk_insert(
        conn,
        "person_lookup",
        "digest, person_id",
        lookup_rows(person_id, digests),
    )
    .await
}

/// What registering a person writes to `people`, `person_lookup` and `person_history`, sealed
/// (before the writer, which runs one job at a time), to insert with [`insert_people`] once
/// [`set_cases`] has given it a case number. The arrival is the caller's to write.
pub(crate) struct NewPerson {
    pub id: String,
    pub site_id: String,
    /// The arrival year, which the case number counts in.
    pub year: i64,
    /// Empty until [`set_cases`].
    pub case_number: String,
    pub now: i64,
    details: EncodedDetails,
    history: Vec<BulkVal>,
}

impl NewPerson {
    pub fn new(
        keys: &Keyring,
        site_id: &str,
        d: &PersonDetails,
        arrival_year: i32,
        actor: &str,
        now: i64,
    ) -> NewPerson {
        let id = new_id();
        let initial: Vec<FieldChange> = changes(&PersonDetails::default(), d)
            .into_iter()
            .map(|c| FieldChange { before: None, ..c })
            .collect();
        NewPerson {
            details: encode_details(keys, &id, d),
            history: history_row(keys, &id, 1, actor, now, &initial),
            site_id: site_id.to_string(),
            year: i64::from(arrival_year),
            case_number: String::new(),
            now,
            id,
        }
    }
}

/// Gives each new person the site's next case number for their arrival year (moving the site's
/// counters past them) and returns the numbers, in order.
pub(crate) async fn set_cases(
    conn: &mut AnyConnection,
    site: &Site,
    people: &mut [NewPerson],
) -> Result<Vec<String>, StoreError> {
    let mut by_year: std::collections::BTreeMap<i64, i64> = Default::default();
    for p in people.iter() {
        *by_year.entry(p.year).or_default() += 1;
    }
    let mut next: std::collections::HashMap<i64, i64> = Default::default();
    for (year, n) in by_year {
        let last: i64 = sqlx::query(
            "INSERT INTO case_counters (site_id, year, last_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (site_id, year) DO UPDATE SET last_seq = case_counters.last_seq + $3 \
             RETURNING last_seq",
        )
        .bind(&site.id)
        .bind(year)
        .bind(n)
        .fetch_one(&mut *conn)
        .await?
        .try_get("last_seq")?;
        next.insert(year, last - n + 1);
    }
    Ok(people
        .iter_mut()
        .map(|p| {
            let seq = next.entry(p.year).or_default();
            p.case_number = format!("{}-{:04}-{:06}", site.code, p.year, *seq);
            *seq += 1;
            p.case_number.clone()
        })
        .collect())
}

/// Inserts new people's rows (their case numbers set), with multi-row inserts.
pub(crate) async fn insert_people(
    conn: &mut AnyConnection,
    people: Vec<NewPerson>,
) -> Result<(), StoreError> {
    use BulkVal::{Int, Text};
    let (mut persons, mut lookups, mut history) = (Vec::new(), Vec::new(), Vec::new());
    let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
    for p in people {
        lookups.extend(lookup_rows(&p.id, &p.details.digests));
        let mut row = vec![
            Text(Some(p.id)),
            Text(Some(p.site_id)),
            Text(Some(p.case_number)),
            Int(Some(1)),
        ];
        row.extend(p.details.values);
        row.extend([Int(Some(p.now)), Int(Some(p.now))]);
        persons.push(row);
        history.push(p.history);
    }
    let cols = format!(
        "id, site_id, case_number, version, {}, created_at, updated_at",
        DETAIL_COLS.join(", ")
    );
    bulk_insert(conn, "people", &cols, persons)
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => StoreError::from_db(e, "case number"),
            other => other,
        })?;
    bulk_insert(conn, "person_lookup", "digest, person_id", lookups).await?;
    bulk_insert(conn, "person_history", HISTORY_COLS, history).await?;
    crate::changes::record(conn, ChangeKind::Person, &ids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_lists_only_what_changed() {
        let a = PersonDetails {
            full_name: "Siti".into(),
            nationality: "ID".into(),
            ..Default::default()
        };
        let b = PersonDetails {
            full_name: "Siti Rahayu".into(),
            phones: vec!["+6281234567890".into()],
            ..a.clone()
        };
        let c = changes(&a, &b);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].field, "full_name");
        assert_eq!(c[0].before.as_deref(), Some("Siti"));
        assert_eq!(c[1].field, "phones");
        assert_eq!(c[1].before, None);
        assert!(changes(&a, &a).is_empty());
    }
}
