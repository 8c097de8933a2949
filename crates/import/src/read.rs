//! Bytes to tables: CSV (UTF-8 or Windows-1252, comma, semicolon or tab) and XLSX (every sheet).
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::ImportError;

/// The non-empty-looking rows of a sheet (from the first non-empty one), each with its 1-based
/// line number. Which row is the header is decided by the mapping (a title row above the header
/// is common in official lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    /// `None` for a sheet with no non-empty row.
    pub table: Option<Table>,
}

/// Reads a CSV or XLSX file (told apart by content, not by name).
pub fn read(bytes: &[u8]) -> Result<Vec<Sheet>, ImportError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        Ok(vec![Sheet {
            name: "CSV".into(),
            table: read_csv(bytes)?,
        }])
    }
}

/// UTF-8 (with or without BOM); anything that is not valid UTF-8 is read as Windows-1252, the
/// encoding of lists exported from Excel on Windows.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

fn read_csv(bytes: &[u8]) -> Result<Option<Table>, ImportError> {
    let text = decode(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let (mut counted, mut line_no) = (0usize, 0usize);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ImportError::Csv {
            line: e.position().map(|p| p.line() as usize).unwrap_or(0),
            reason: e.to_string(),
        })?;
        // csv's own line numbers skip blank lines; count newlines up to the record's start.
        let mut byte = rec
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(0)
            .min(text.len());
        // The reported start can be before blank lines the reader skipped.
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        let byte = byte.max(counted);
        line_no += text.as_bytes()[counted..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted = byte;
        let line = line_no + 1;
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        push_row(&mut rows, line, cells)?;
    }
    Ok((!rows.is_empty()).then_some(Table { rows }))
}

/// A sheet's column mapping, for reports: `header → field` (or `null`: not imported).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SheetSummary {
    pub sheet: String,
    pub columns: Vec<(String, Option<crate::Field>)>,
}

impl From<&crate::SheetMapping> for SheetSummary {
    fn from((sheet, columns): &crate::SheetMapping) -> Self {
        SheetSummary {
            sheet: sheet.clone(),
            columns: columns.clone(),
        }
    }
}

/// Keeps rows from the first non-empty one on; refuses absurdly long files early.
fn push_row(
    rows: &mut Vec<(usize, Vec<String>)>,
    line: usize,
    cells: Vec<String>,
) -> Result<(), ImportError> {
    if rows.is_empty() && cells.iter().all(|c| c.is_empty()) {
        return Ok(());
    }
    if rows.len() > crate::MAX_ROWS * 2 {
        return Err(ImportError::TooManyRows(crate::MAX_ROWS));
    }
    rows.push((line, cells));
    Ok(())
}

/// An Excel serial day number (1900 date system) as `YYYY-MM-DD`.
pub fn excel_serial_date(serial: f64) -> Option<String> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let d = epoch.checked_add(time::Duration::days(serial.floor() as i64))?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        // Integral numbers (phone numbers, NIKs typed as numbers) without a decimal point.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            excel_serial_date(dt.as_f64()).unwrap_or_else(|| dt.as_f64().to_string())
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>, ImportError> {
    let mut wb: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(e.to_string()))?;
    let names = wb.sheet_names().to_vec();
    let mut out = Vec::new();
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| ImportError::Xlsx(format!("sheet {name}: {e}")))?;
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows = Vec::new();
        for (i, row) in range.rows().enumerate() {
            // Keep column positions: pad cells left of the used range.
            let mut cells: Vec<String> = vec![String::new(); first_col];
            cells.extend(row.iter().map(cell_text));
            push_row(&mut rows, first_row + i + 1, cells)?;
        }
        out.push(Sheet {
            name,
            table: (!rows.is_empty()).then_some(Table { rows }),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_semicolons() {
        let bytes = b"Nama;Asal\nJos\xe9;Bali\n";
        let s = read(bytes).unwrap();
        let t = s[0].table.as_ref().unwrap();
        assert_eq!(t.rows[0].1, vec!["Nama", "Asal"]);
        assert_eq!(
            t.rows[1],
            (2, vec!["Jos\u{e9}".to_string(), "Bali".to_string()])
        );
    }

    #[test]
    fn bom_blank_lines_and_ragged_rows() {
        let s = read("\u{feff}\n\nName,DOB\nSiti\nBudi,1990,extra\n".as_bytes()).unwrap();
        let t = s[0].table.as_ref().unwrap();
        assert_eq!(t.rows[0], (3, vec!["Name".to_string(), "DOB".to_string()]));
        assert_eq!(t.rows[1], (4, vec!["Siti".to_string()]));
        assert_eq!(t.rows[2].0, 5);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_date(35807.0).as_deref(), Some("1998-01-12"));
        assert_eq!(excel_serial_date(0.0), None);
    }

    #[test]
    fn truncated_xlsx_is_a_clear_error() {
        let err = read(b"PK\x03\x04garbage").unwrap_err();
        assert!(matches!(err, ImportError::Xlsx(_)), "{err:?}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = read(&bytes);
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(&bytes);
            let _ = read(&zip);
        }
    }
}
