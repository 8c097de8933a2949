//! Reading the lists that arrive with a surge: a host police hand-over spreadsheet, a shelter's
//! register, an embassy's own CSV. Bytes in, rows out — every row accounted for: each becomes a
//! registration form or a rejection naming the cell and the reason.
//!
//! Must not: do I/O or touch the database, or decide who a row is (the app matches rows with
//! `pulang-matching`); a malformed file is a clear error, never a panic or a dropped row.
#![forbid(unsafe_code)]

pub mod mapping;
pub mod read;
/// Building small XLSX files in tests: this crate's, and, behind the `testing` feature that only
/// dev-dependencies and the fuzz crate turn on, the CLI's and the fuzz target's. Not part of the
/// API.
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
pub mod values;

pub use mapping::{detect, Field, Mapping};
pub use read::{read, read_each, CellNote, Event, Flow, Merged, RawCell, RawRow, Sheet, Table};
pub use values::{parse_date, parse_sex};

use pulang_domain::{EncounterForm, PersonForm};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Why a file cannot be imported at all. Every message is meant for the registrar: it names the
/// problem and, where there is one, the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the file is {size_mb} MB; the limit is {limit_mb} MB (about a million rows): split the \
         list into smaller files"
    )]
    TooLarge { size_mb: usize, limit_mb: usize },
    #[error(
        "the spreadsheet unpacks to {size_mb} MB; the limit is {limit_mb} MB: split the list into \
         smaller files"
    )]
    TooLargeUnpacked { size_mb: usize, limit_mb: usize },
    #[error(
        "this is not a CSV or XLSX file: it looks like {0}. Import the list itself, saved as \
         .xlsx or CSV (in a spreadsheet program: Save As)"
    )]
    NotASpreadsheet(&'static str),
    #[error(
        "the spreadsheet is damaged or incomplete (perhaps cut short while copying or \
         downloading): open it in Excel and save it again, or save it as CSV ({0})"
    )]
    Damaged(String),
    #[error("the CSV cannot be read at line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error(
        "line {line}: a quote (\") opens a cell that runs on to line {end_line}, swallowing what \
         look like rows; fix the quotes on line {line}, or save the list again from the \
         spreadsheet program"
    )]
    UnbalancedQuote { line: usize, end_line: usize },
    #[error(
        "no sheet has a header row naming a person's name (e.g. \"Nama\", \"Name\") in its top \
         {HEADER_SEARCH_ROWS} rows"
    )]
    NoNameColumn,
    #[error(
        "the list has a header ({sheet}, line {line}) but no rows under it{}",
        match empty_rows { 0 => String::new(), n => format!(", only {n} empty rows") }
    )]
    NoRows {
        sheet: String,
        line: usize,
        empty_rows: usize,
    },
    #[error(
        "line {line} has a value beyond column {limit}, the last column of a spreadsheet: is \
         this a list?"
    )]
    TooManyColumns { line: usize, limit: usize },
    #[error("the file has more than {0} rows; split it")]
    TooManyRows(usize),
    #[error("the file has more than {0} cells with a value: split the list into smaller files")]
    TooManyCells(usize),
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
    /// The cell as read, shortened to [`ISSUE_VALUE_CHARS`] characters.
    pub value: String,
    pub code: String,
}

/// One data row turned into a registration form, or the reasons it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub at: RowRef,
    /// Identifies the row's content for idempotent imports: the same person data gives the same
    /// key, whatever the file or the row order. An unkeyed digest of the person's name, birth
    /// date and identifiers: never to be stored as it is (the application keys it with the key
    /// file first, `Keyring::import_row_key`).
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
    /// Rows and lines under a header with no value at all, skipped (not records).
    pub empty_rows: usize,
    /// Per sheet: the header as written and the field each column was mapped to.
    pub mappings: Vec<SheetMapping>,
}

/// How far down a sheet the header row is looked for, in rows with a value (title rows come
/// first in official lists).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The most rows one file may hold (a surge list is hundreds to a few hundred thousand).
pub const MAX_ROWS: usize = 1_000_000;

/// The largest file read at all: about [`MAX_ROWS`] rows of a police list as CSV. Checked first,
/// so that an oversized file is refused before any work is done on it.
pub const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;

/// The most an XLSX file may unpack to (its XML), by its own declaration — which the ZIP reader
/// holds each part to: it stops with an error rather than give more bytes than declared. A
/// police list of [`MAX_ROWS`] rows with all ten usual columns filled, names and identifiers
/// distinct (`xlsx-limits` in crates/bench), is 72 MiB packed and unpacks to 488 MiB (sheet
/// 376 MiB, shared strings 113 MiB); 768 MiB leaves room for a few more columns and styling.
/// It bounds the time a hostile file (a small ZIP of repetitive XML) keeps a parser busy.
pub const MAX_UNPACKED_BYTES: u64 = 768 * 1024 * 1024;

/// The most the shared strings part may unpack to: the reader holds every shared string in
/// memory before the first row is read. The list above needs 113 MiB.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 192 * 1024 * 1024;

/// The most cells with a value a file may hold (counted while reading, before they are kept):
/// [`MAX_ROWS`] rows of twelve columns.
pub const MAX_CELLS: usize = 12 * MAX_ROWS;

/// The longest cell imported into a field (the longest text the register keeps, notes); a
/// longer cell is reported, not imported.
pub const MAX_CELL_BYTES: usize = 10_000;

/// How much of a cell an issue quotes.
pub const ISSUE_VALUE_CHARS: usize = 100;

/// Reads a file and maps every sheet that has a name column. `overrides` replaces the detected
/// field of a header (matched case-insensitively), e.g. `("Nama Panggilan", None)`.
///
/// The file is read row by row: only the parsed rows are kept, never the whole table.
pub fn parse(
    bytes: &[u8],
    overrides: &[(String, Option<Field>)],
    today: time::Date,
) -> Result<Parsed, ImportError> {
    let mut out = Parsed::default();
    let mut sheet: Option<SheetState> = None;
    let mut any_header = false;
    let mut any_rows = false;
    let mut first_empty: Option<ImportError> = None;
    read_each(bytes, &mut |event| {
        match event {
            Event::Sheet { name, merged } => {
                sheet = Some(SheetState::new(name, merged));
            }
            Event::Row(row) => {
                let Some(s) = sheet.as_mut() else {
                    return Ok(Flow::Continue);
                };
                return s.row(row, overrides, today, &mut out);
            }
            Event::End { last_line } => {
                let Some(s) = sheet.take() else {
                    return Ok(Flow::Continue);
                };
                let Some(h) = &s.header else {
                    return Ok(Flow::Continue);
                };
                let empty = s.empty + last_line.saturating_sub(s.prev_end);
                out.empty_rows += empty;
                any_header = true;
                if s.rows > 0 {
                    any_rows = true;
                } else if first_empty.is_none() {
                    first_empty = Some(ImportError::NoRows {
                        sheet: s.name.clone(),
                        line: h.line,
                        empty_rows: empty,
                    });
                }
            }
        }
        Ok(Flow::Continue)
    })?;
    if !any_header {
        return Err(ImportError::NoNameColumn);
    }
    // A list with nobody on it is a wrong sheet or a broken export, not an import.
    if !any_rows {
        if let Some(e) = first_empty {
            return Err(e);
        }
    }
    Ok(out)
}

/// The header of a sheet, once found.
struct Header {
    line: usize,
    cells: Vec<String>,
    mapping: Mapping,
}

/// Vertically merged areas of one column that start under the header: their first row's value
/// belongs to every row of the area (a group's arrival date, province).
struct ColumnMerges {
    col: usize,
    /// (first line, last line), by first line.
    spans: Vec<(usize, usize)>,
    at: usize,
    value: String,
}

/// One sheet being read.
struct SheetState {
    name: String,
    merged: Vec<Merged>,
    /// Rows with a value seen before the header.
    seen: usize,
    header: Option<Header>,
    merges: Vec<ColumnMerges>,
    /// The last line of the header or of the last data row: lines between are empty rows.
    prev_end: usize,
    empty: usize,
    rows: usize,
}

impl SheetState {
    fn new(name: &str, merged: &[Merged]) -> Self {
        SheetState {
            name: name.to_string(),
            merged: merged.to_vec(),
            seen: 0,
            header: None,
            merges: Vec::new(),
            prev_end: 0,
            empty: 0,
            rows: 0,
        }
    }

    fn row(
        &mut self,
        row: RawRow,
        overrides: &[(String, Option<Field>)],
        today: time::Date,
        out: &mut Parsed,
    ) -> Result<Flow, ImportError> {
        let Some(header) = &self.header else {
            // The header is the first of the top rows that names a person's name column.
            let cells = row.dense();
            let mut mapping = detect(&cells);
            mapping.apply(&cells, overrides);
            if mapping.has(Field::FullName) {
                out.mappings.push((
                    self.name.clone(),
                    cells
                        .iter()
                        .cloned()
                        .zip(mapping.fields.iter().copied())
                        .collect(),
                ));
                self.merges = column_merges(&self.merged, row.line, &mapping);
                self.prev_end = row.end_line;
                self.header = Some(Header {
                    line: row.line,
                    cells,
                    mapping,
                });
                return Ok(Flow::Continue);
            }
            self.seen += 1;
            // No header near the top: a notes or summary sheet, not a list.
            return Ok(if self.seen >= HEADER_SEARCH_ROWS {
                Flow::SkipSheet
            } else {
                Flow::Continue
            });
        };
        if out.rows.len() >= MAX_ROWS {
            return Err(ImportError::TooManyRows(MAX_ROWS));
        }
        self.empty += row.line.saturating_sub(self.prev_end.saturating_add(1));
        self.prev_end = self.prev_end.max(row.end_line);
        self.rows += 1;
        let filled = fill_merged(&mut self.merges, &row);
        out.rows
            .push(to_row(&self.name, header, &row, &filled, today));
        Ok(Flow::Continue)
    }
}

/// The merged areas under the header, spanning more than one row, per mapped column. Areas
/// that reach into the header (a two-row header) are left alone.
fn column_merges(merged: &[Merged], header_line: usize, mapping: &Mapping) -> Vec<ColumnMerges> {
    let mut out: Vec<ColumnMerges> = Vec::new();
    for m in merged {
        let mapped =
            matches!(mapping.fields.get(m.first_col), Some(Some(f)) if *f != Field::Ignore);
        if m.first_line <= header_line || m.last_line <= m.first_line || !mapped {
            continue;
        }
        match out.iter_mut().find(|c| c.col == m.first_col) {
            Some(c) => c.spans.push((m.first_line, m.last_line)),
            None => out.push(ColumnMerges {
                col: m.first_col,
                spans: vec![(m.first_line, m.last_line)],
                at: 0,
                value: String::new(),
            }),
        }
    }
    for c in &mut out {
        c.spans.sort_unstable();
    }
    out
}

/// The cells a row takes from the merged areas above it: (column, value).
fn fill_merged(merges: &mut [ColumnMerges], row: &RawRow) -> Vec<(usize, String)> {
    let mut filled = Vec::new();
    for c in merges {
        while c.spans.get(c.at).is_some_and(|&(_, last)| last < row.line) {
            c.at += 1;
            c.value.clear();
        }
        let Some(&(first, _)) = c.spans.get(c.at) else {
            continue;
        };
        let own = row
            .cells
            .iter()
            .find(|x| x.col == c.col && !x.text.is_empty());
        if row.line == first {
            c.value = own.map(|x| x.text.clone()).unwrap_or_default();
        } else if row.line > first && own.is_none() && !c.value.is_empty() {
            filled.push((c.col, c.value.clone()));
        }
    }
    filled
}

/// A cell's text, shortened for an issue.
fn quote(s: &str) -> String {
    match s.char_indices().nth(ISSUE_VALUE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn to_row(
    sheet: &str,
    header: &Header,
    row: &RawRow,
    filled: &[(usize, String)],
    today: time::Date,
) -> Row {
    let mut person = PersonForm::default();
    let mut encounter = EncounterForm::default();
    let mut issues = Vec::new();
    // The row's own cells and those it takes from merged areas, in column order.
    let mut cells: Vec<(usize, &str, Option<&str>)> = row
        .cells
        .iter()
        .map(|c| {
            let code = match c.note {
                Some(CellNote::FormulaWithoutValue) => Some("formula_without_value"),
                Some(CellNote::FormulaError) => Some("formula_error"),
                None => None,
            };
            (c.col, c.text.as_str(), code)
        })
        .collect();
    for (col, value) in filled {
        let field = header.mapping.fields.get(*col).copied().flatten();
        // A name shared by two rows is one person written over two rows, or a mistake: the
        // registrar decides, the row is not imported as it stands.
        let code = (field == Some(Field::FullName)).then_some("merged_cell");
        cells.push((*col, value.as_str(), code));
    }
    cells.sort_by_key(|c| c.0);
    for (i, raw, note) in cells {
        let Some(field) = header.mapping.fields.get(i).copied().flatten() else {
            continue;
        };
        if field == Field::Ignore {
            continue;
        }
        let column = header.cells.get(i).cloned().unwrap_or_default();
        let mut issue = |value: &str, code: &str| {
            issues.push(CellIssue {
                column: column.clone(),
                value: quote(value),
                code: code.into(),
            })
        };
        if let Some(code) = note {
            issue(raw, code);
            continue;
        }
        if raw.len() > MAX_CELL_BYTES {
            issue(raw, "too_long");
            continue;
        }
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            continue;
        }
        // Binary garbage, or bytes the encoding could not map: never a name or a number.
        if value.chars().any(|c| c.is_control() || c == '\u{FFFD}') {
            issue(
                &value.replace(|c: char| c.is_control(), "\u{FFFD}"),
                "unreadable_characters",
            );
            continue;
        }
        let mut issue = |code: &str| issue(&value, code);
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
            line: row.line,
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

    fn codes(r: &Row) -> Vec<(&str, &str, &str)> {
        r.issues
            .iter()
            .map(|i| (i.column.as_str(), i.value.as_str(), i.code.as_str()))
            .collect()
    }

    #[test]
    fn a_header_with_nothing_under_it_is_refused() {
        assert_eq!(
            parse(b"Nama,Asal\n", &[], TODAY).unwrap_err(),
            ImportError::NoRows {
                sheet: "CSV".into(),
                line: 1,
                empty_rows: 0
            }
        );
        let err = parse(b"DAFTAR WNI\nNama,Asal\n,\n , \n\n", &[], TODAY).unwrap_err();
        assert_eq!(
            err,
            ImportError::NoRows {
                sheet: "CSV".into(),
                line: 2,
                empty_rows: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "the list has a header (CSV, line 2) but no rows under it, only 3 empty rows"
        );
    }

    #[test]
    fn blank_lines_and_empty_rows_are_counted() {
        let p = parse(b"Nama\nSiti\n\n,\nBudi\n\n", &[], TODAY).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[1].at.line, 5);
        assert_eq!(p.empty_rows, 3);
    }

    #[test]
    fn the_header_is_looked_for_in_the_top_rows_only() {
        let mut csv = "a,b\n".repeat(HEADER_SEARCH_ROWS);
        csv.push_str("Nama,Asal\nSiti,Bali\n");
        assert_eq!(
            parse(csv.as_bytes(), &[], TODAY).unwrap_err(),
            ImportError::NoNameColumn
        );
    }

    #[test]
    fn a_very_long_cell_is_reported_shortened() {
        let long = "x".repeat(1 << 20);
        let csv = format!("Nama,Keterangan\nSiti,{long}\n{long},Bali\n");
        let p = parse(csv.as_bytes(), &[], TODAY).unwrap();
        let shown = format!("{}…", "x".repeat(ISSUE_VALUE_CHARS));
        assert_eq!(
            codes(&p.rows[0]),
            vec![("Keterangan", shown.as_str(), "too_long")]
        );
        assert_eq!(
            codes(&p.rows[1]),
            vec![("Nama", shown.as_str(), "too_long")]
        );
        assert_eq!(p.rows[1].person.full_name, "", "never imported");
    }

    #[test]
    fn binary_garbage_in_a_cell_is_reported_not_imported() {
        let p = parse(b"Nama,Asal\nSi\x00\x01ti,Bali\nBudi,NTB\n", &[], TODAY).unwrap();
        assert_eq!(
            codes(&p.rows[0]),
            vec![("Nama", "Si\u{FFFD}\u{FFFD}ti", "unreadable_characters")]
        );
        assert!(p.rows[1].issues.is_empty());
    }

    #[test]
    fn merged_cells_under_the_header() {
        use crate::testing::{rows_xml, xlsx};
        let sheet = rows_xml(&[
            &["Nama", "No HP", "Tgl Tiba"],
            &["SITI", "0812345678", "14/01/2026"],
            &["", "0813345678", ""],
            &["BUDI", "0814345678", ""],
        ]);
        let merges = r#"<mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="C2:C4"/></mergeCells>"#;
        let p = parse(&xlsx(&sheet, merges), &[], TODAY).unwrap();
        assert_eq!(p.rows.len(), 3);
        assert!(p.rows[0].issues.is_empty());
        // The name cell spans two rows: the second is not a second person.
        assert_eq!(codes(&p.rows[1]), vec![("Nama", "SITI", "merged_cell")]);
        // A group's arrival date, merged down the rows, belongs to each of them.
        assert_eq!(p.rows[2].person.full_name, "BUDI");
        assert_eq!(
            p.rows[2].encounter.arrived_on.as_deref(),
            Some("2026-01-14")
        );
        assert!(p.rows[2].issues.is_empty());
    }

    #[test]
    fn a_two_row_header_is_not_filled_down() {
        use crate::testing::{rows_xml, xlsx};
        let sheet = rows_xml(&[&["Nama", "Lahir"], &["", "Tgl"], &["SITI", "12/01/1998"]]);
        let merges = r#"<mergeCells count="1"><mergeCell ref="A1:A2"/></mergeCells>"#;
        let p = parse(&xlsx(&sheet, merges), &[], TODAY).unwrap();
        assert_eq!(
            p.rows[0].person.full_name, "",
            "not a person called \"Nama\""
        );
        assert!(p.rows[0].issues.is_empty());
        assert_eq!(p.rows[1].person.full_name, "SITI");
    }

    #[test]
    fn formulas_without_a_value_or_with_an_error_are_reported() {
        use crate::testing::{rows_xml, xlsx};
        let sheet = rows_xml(&[
            &["Depan", "Nama", "Tgl Lahir"],
            &[
                "SITI",
                r#"<c r="@" t="str"><f>A2&amp;" RAHAYU"</f><v>SITI RAHAYU</v></c>"#,
                "12/01/1998",
            ],
            &["BUDI", r#"<c r="@"><f>A3&amp;" SANTOSO"</f></c>"#, "1995"],
            &[
                "ANDI",
                "ANDI",
                r#"<c r="@" t="e"><f>1/0</f><v>#DIV/0!</v></c>"#,
            ],
        ]);
        let p = parse(&xlsx(&sheet, ""), &[], TODAY).unwrap();
        assert_eq!(p.rows[0].person.full_name, "SITI RAHAYU");
        assert!(p.rows[0].issues.is_empty());
        assert_eq!(
            codes(&p.rows[1]),
            vec![("Nama", "", "formula_without_value")]
        );
        assert_eq!(
            codes(&p.rows[2]),
            vec![("Tgl Lahir", "#DIV/0!", "formula_error")]
        );
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
