//! Reading the lists that arrive with a surge: a host police hand-over spreadsheet, a shelter's
//! register, an embassy's own CSV. Bytes in, rows out — every row accounted for: each becomes a
//! registration form or a rejection naming the cell and the reason. No I/O, no database.
#![forbid(unsafe_code)]

pub mod mapping;
pub mod read;
pub mod values;

pub use mapping::{detect, Field, Mapping};
pub use read::{read, Sheet, Table};
pub use values::{parse_date, parse_sex};

use pulang_domain::{EncounterForm, PersonForm};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the spreadsheet cannot be read: {0}")]
    Xlsx(String),
    #[error("the CSV cannot be read at line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("no sheet has a header row naming a person's name (e.g. \"Nama\", \"Name\")")]
    NoNameColumn,
    #[error("the file has more than {0} rows; split it")]
    TooManyRows(usize),
}

/// Where a row came from, as a person would find it in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRef {
    pub sheet: String,
    /// 1-based line (CSV) or row number (spreadsheet), as shown by a spreadsheet program.
    pub line: usize,
}

/// A problem with one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellIssue {
    /// The column header as written in the file.
    pub column: String,
    pub value: String,
    pub code: String,
}

/// One data row turned into a registration form, or the reasons it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub at: RowRef,
    /// Identifies the row's content for idempotent imports: the same person data gives the same
    /// key, whatever the file or the row order.
    pub key: String,
    pub person: PersonForm,
    pub encounter: EncounterForm,
    /// Cell-level problems found while reading (dates, sexes, numbers the list mangled).
    pub issues: Vec<CellIssue>,
}

/// A sheet's name and, per column, its header as written and the field it was mapped to.
pub type SheetMapping = (String, Vec<(String, Option<Field>)>);

/// What came out of a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Parsed {
    pub rows: Vec<Row>,
    /// Rows with no value at all, skipped (not records).
    pub empty_rows: usize,
    /// Per sheet: the header as written and the field each column was mapped to.
    pub mappings: Vec<SheetMapping>,
}

/// How far down a sheet the header row is looked for (title rows come first in official lists).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The most rows one file may hold (a surge list is hundreds to a few hundred thousand).
pub const MAX_ROWS: usize = 1_000_000;

/// Reads a file and maps every sheet that has a name column. `overrides` replaces the detected
/// field of a header (matched case-insensitively), e.g. `("Nama Panggilan", None)`.
pub fn parse(
    bytes: &[u8],
    overrides: &[(String, Option<Field>)],
    today: time::Date,
) -> Result<Parsed, ImportError> {
    let sheets = read(bytes)?;
    let mut out = Parsed::default();
    let mut any = false;
    for sheet in sheets {
        let Some(table) = sheet.table else { continue };
        // The header is the first of the top rows that names a person's name column.
        let found = table
            .rows
            .iter()
            .take(HEADER_SEARCH_ROWS)
            .enumerate()
            .find_map(|(i, (_, cells))| {
                let mut m = detect(cells);
                m.apply(cells, overrides);
                m.has(Field::FullName).then_some((i, m))
            });
        let Some((header_at, mapping)) = found else {
            continue;
        };
        let header = table.rows[header_at].1.clone();
        any = true;
        out.mappings.push((
            sheet.name.clone(),
            header
                .iter()
                .cloned()
                .zip(mapping.fields.iter().copied())
                .collect(),
        ));
        for (line, cells) in &table.rows[header_at + 1..] {
            if cells.iter().all(|c| c.trim().is_empty()) {
                out.empty_rows += 1;
                continue;
            }
            if out.rows.len() >= MAX_ROWS {
                return Err(ImportError::TooManyRows(MAX_ROWS));
            }
            out.rows
                .push(to_row(&sheet.name, *line, &header, &mapping, cells, today));
        }
    }
    if !any {
        return Err(ImportError::NoNameColumn);
    }
    Ok(out)
}

fn to_row(
    sheet: &str,
    line: usize,
    header: &[String],
    mapping: &Mapping,
    cells: &[String],
    today: time::Date,
) -> Row {
    let mut person = PersonForm::default();
    let mut encounter = EncounterForm::default();
    let mut issues = Vec::new();
    for (i, field) in mapping.fields.iter().enumerate() {
        let (Some(field), Some(raw)) = (field, cells.get(i)) else {
            continue;
        };
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            continue;
        }
        let column = header.get(i).cloned().unwrap_or_default();
        let mut issue = |code: &str| {
            issues.push(CellIssue {
                column: column.clone(),
                value: value.clone(),
                code: code.into(),
            })
        };
        match field {
            Field::FullName => person.full_name = value.clone(),
            Field::Aliases => person.aliases.push(value.clone()),
            Field::Sex => match parse_sex(&value) {
                Some(s) => person.sex = Some(s.as_str().into()),
                None => issue("invalid_sex"),
            },
            Field::BirthDate => match parse_date(&value, today, true) {
                Some(d) => person.birth_date = Some(d),
                None => issue("invalid_date"),
            },
            Field::Age => match value
                .trim_end_matches(|c: char| c.is_alphabetic() || c == ' ')
                .parse::<u16>()
            {
                Ok(a) => person.age = Some(a),
                Err(_) => issue("invalid_age"),
            },
            Field::Nik => {
                if value.contains(['E', 'e']) && value.contains('+') {
                    issue("nik_mangled_by_spreadsheet");
                } else {
                    person.nik = Some(value.clone());
                }
            }
            Field::PassportNo => person.passport_no = Some(value.clone()),
            Field::Phone => person.phones.push(value.clone()),
            Field::OriginProvince => person.origin_province = Some(value.clone()),
            Field::OriginRegency => person.origin_regency = Some(value.clone()),
            Field::Nationality => person.nationality = Some(values::nationality(&value)),
            Field::Languages => person.languages.push(value.clone()),
            Field::ArrivedOn => match parse_date(&value, today, false) {
                Some(d) if d.len() == 10 => encounter.arrived_on = Some(d),
                _ => issue("invalid_date"),
            },
            Field::Notes => {
                encounter.notes = Some(match encounter.notes.take() {
                    Some(n) => format!("{n}\n{value}"),
                    None => value.clone(),
                })
            }
            Field::Ignore => {}
        }
    }
    Row {
        at: RowRef {
            sheet: sheet.to_string(),
            line,
        },
        key: content_key(&person),
        person,
        encounter,
        issues,
    }
}

/// The idempotency key of a row: its parsed person data, folded, so that the same person data
/// written differently ("12/01/1998", "1998-01-12"; "SITI", "Siti") gives the same key.
fn content_key(p: &PersonForm) -> String {
    let fold = |s: &str| pulang_domain::text::fold(s);
    let digits = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_uppercase()
    };
    let parts = [
        fold(&p.full_name),
        p.sex.clone().unwrap_or_default(),
        p.birth_date.clone().unwrap_or_default(),
        p.age.map(|a| a.to_string()).unwrap_or_default(),
        p.nik.as_deref().map(digits).unwrap_or_default(),
        p.passport_no.as_deref().map(digits).unwrap_or_default(),
        p.phones
            .iter()
            .map(|x| digits(x))
            .collect::<Vec<_>>()
            .join(","),
        p.origin_province.as_deref().map(fold).unwrap_or_default(),
    ];
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: time::Date = date!(2026 - 01 - 20);

    #[test]
    fn police_list_in_indonesian_is_mapped_and_parsed() {
        let csv = "No;Nama Lengkap;L/P;Tgl Lahir;No. Paspor;No HP;Asal\n\
                   1;SITI RAHAYU;P;12/01/1998;;0812-3456-7890;Jabar\n\
                   2;BUDI SANTOSO;L;3 Mei 1995;X1234567;;Jawa Timur\n\
                   ;;;;;;\n\
                   3;Andi;X;31/02/1999;;;NTB\n";
        let p = parse(csv.as_bytes(), &[], TODAY).unwrap();
        assert_eq!(p.rows.len(), 3);
        assert_eq!(p.empty_rows, 1);
        let r = &p.rows[0];
        assert_eq!(r.at.line, 2);
        assert_eq!(r.person.full_name, "SITI RAHAYU");
        assert_eq!(r.person.sex.as_deref(), Some("F"));
        assert_eq!(r.person.birth_date.as_deref(), Some("1998-01-12"));
        assert_eq!(r.person.phones, vec!["0812-3456-7890"]);
        assert_eq!(p.rows[1].person.birth_date.as_deref(), Some("1995-05-03"));
        let bad = &p.rows[2];
        assert_eq!(bad.at.line, 5);
        let codes: Vec<&str> = bad.issues.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, vec!["invalid_sex", "invalid_date"]);
        assert_eq!(bad.issues[0].column, "L/P");
    }

    #[test]
    fn same_content_same_key_whatever_the_order() {
        let a = parse(
            b"Name,DOB,Sex\nSiti,1998-01-12,F\nBudi,1995,M\n",
            &[],
            TODAY,
        )
        .unwrap();
        let b = parse(
            b"Sex,Name,DOB\nM,Budi,1995\nF,siti,12/01/1998\n",
            &[],
            TODAY,
        )
        .unwrap();
        assert_eq!(a.rows[0].key, b.rows[1].key);
        assert_eq!(a.rows[1].key, b.rows[0].key);
        assert_ne!(a.rows[0].key, a.rows[1].key);
    }

    #[test]
    fn a_file_without_a_name_column_is_refused() {
        assert_eq!(
            parse(b"a,b\n1,2\n", &[], TODAY).unwrap_err(),
            ImportError::NoNameColumn
        );
        assert_eq!(parse(b"", &[], TODAY).unwrap_err(), ImportError::Empty);
    }

    #[test]
    fn overrides_replace_detected_columns() {
        let over = vec![("Asal".to_string(), Some(Field::Notes))];
        let p = parse(b"Nama,Asal\nSiti,kampung nelayan\n", &over, TODAY).unwrap();
        assert_eq!(p.rows[0].person.origin_province, None);
        assert_eq!(
            p.rows[0].encounter.notes.as_deref(),
            Some("kampung nelayan")
        );
    }
}
