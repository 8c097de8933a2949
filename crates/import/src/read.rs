//! Bytes to rows: CSV (UTF-8, Windows-1252 or UTF-16; comma, semicolon or tab) and XLSX (every
//! sheet), streamed row by row so that a large list is never held as a whole table. Anything
//! else is named and refused before it is read.
use std::borrow::Cow;
use std::io::{Cursor, Read as _};
use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{DataRef, Reader, Xlsx, XlsxError};

use crate::{ImportError, MAX_CELLS, MAX_FILE_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_UNPACKED_BYTES};

/// A merged area of a spreadsheet: 1-based lines, 0-based columns, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    pub first_line: usize,
    pub last_line: usize,
    pub first_col: usize,
    pub last_col: usize,
}

/// Something about a spreadsheet cell that its text does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellNote {
    /// A formula saved without its result (written by a program, never opened in Excel).
    FormulaWithoutValue,
    /// A formula whose result is an error (`#REF!`, `#N/A`, …).
    FormulaError,
}

/// A cell with a value (or a note), by 0-based column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCell {
    pub col: usize,
    /// Trimmed.
    pub text: String,
    pub note: Option<CellNote>,
}

/// A row with at least one value. Rows with none are never produced: they are the gaps between
/// line numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// 1-based line (CSV) or row number (spreadsheet).
    pub line: usize,
    /// The last line the row spans: a quoted CSV cell may hold line breaks.
    pub end_line: usize,
    /// In column order.
    pub cells: Vec<RawCell>,
}

/// Excel's last column and row: no real sheet goes beyond them, nor does a list.
pub const MAX_COLUMNS: usize = 16_384;
pub const MAX_SHEET_ROWS: usize = 1_048_576;

impl RawRow {
    /// The cells' text by column, empty where there is none (up to [`MAX_COLUMNS`]).
    pub fn dense(&self) -> Vec<String> {
        let width = self
            .cells
            .iter()
            .map(|c| c.col + 1)
            .max()
            .unwrap_or(0)
            .min(MAX_COLUMNS);
        let mut out = vec![String::new(); width];
        for c in &self.cells {
            if let Some(slot) = out.get_mut(c.col) {
                slot.clone_from(&c.text);
            }
        }
        out
    }
}

/// What reading a file produces, in order: per sheet, `Sheet`, its rows, `End`.
#[derive(Debug)]
pub enum Event<'a> {
    Sheet {
        name: &'a str,
        merged: &'a [Merged],
    },
    Row(RawRow),
    /// `last_line`: the sheet's last line or row, empty ones included.
    End {
        last_line: usize,
    },
}

/// What the reader should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop reading this sheet (its `End` still follows).
    SkipSheet,
}

/// A sheet read in full, by [`read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<RawRow>,
    pub last_line: usize,
    pub merged: Vec<Merged>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    /// `None` for a sheet with no row with a value.
    pub table: Option<Table>,
}

/// Reads a whole file into tables (tests, tools); imports use [`read_each`].
pub fn read(bytes: &[u8]) -> Result<Vec<Sheet>, ImportError> {
    let mut out: Vec<Sheet> = Vec::new();
    let mut current: Option<Table> = None;
    read_each(bytes, &mut |e| {
        match e {
            Event::Sheet { name, merged } => {
                out.push(Sheet {
                    name: name.to_string(),
                    table: None,
                });
                current = Some(Table {
                    rows: Vec::new(),
                    last_line: 0,
                    merged: merged.to_vec(),
                });
            }
            Event::Row(r) => {
                if let Some(t) = current.as_mut() {
                    t.rows.push(r);
                }
            }
            Event::End { last_line } => {
                if let (Some(mut t), Some(s)) = (current.take(), out.last_mut()) {
                    t.last_line = last_line;
                    s.table = (!t.rows.is_empty()).then_some(t);
                }
            }
        }
        Ok(Flow::Continue)
    })?;
    Ok(out)
}

/// Reads a CSV or XLSX file (told apart by content, not by name), handing each row to `on` as
/// it is read.
pub fn read_each(
    bytes: &[u8],
    on: &mut dyn FnMut(Event<'_>) -> Result<Flow, ImportError>,
) -> Result<(), ImportError> {
    read_each_within(bytes, MAX_CELLS, on)
}

/// [`read_each`], refusing a file with more than `max_cells` cells with a value.
fn read_each_within(
    bytes: &[u8],
    max_cells: usize,
    on: &mut dyn FnMut(Event<'_>) -> Result<Flow, ImportError>,
) -> Result<(), ImportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge {
            size_mb: bytes.len().div_ceil(1 << 20),
            limit_mb: MAX_FILE_BYTES >> 20,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes, max_cells, on);
    }
    if let Some(kind) = foreign(bytes) {
        return Err(ImportError::NotASpreadsheet(kind));
    }
    let text = decode(bytes);
    if text.chars().all(|c| c.is_whitespace() || c == '\u{FEFF}') {
        return Err(ImportError::Empty);
    }
    if looks_binary(&text) {
        return Err(ImportError::NotASpreadsheet("binary data, not text"));
    }
    read_csv(&text, max_cells, on)
}

/// Formats that arrive named .csv or .xlsx but are something else, by their first bytes.
fn foreign(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (
            b"\xD0\xCF\x11\xE0",
            "an old Excel (.xls) or a password-protected workbook; remove the password",
        ),
        (b"\x1F\x8B", "a compressed (.gz) file"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
        (b"{\\rtf", "an RTF document"),
        (b"PK\x05\x06", "an empty ZIP archive"),
        (b"SQLite format 3\0", "an SQLite database"),
    ];
    if let Some((_, kind)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(kind);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
    let head = head.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
    if head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<table")
    {
        // Web systems often export an HTML table named .xls.
        return Some("a web page (HTML), as some systems export under an .xls name");
    }
    if head.starts_with("<?xml") {
        return Some("an XML file (an Excel 2003 XML spreadsheet?)");
    }
    None
}

/// A first line full of control characters is not a title or a header: the file is not a list
/// (an image, an archive, a database). Garbage further down is reported with its rows.
fn looks_binary(text: &str) -> bool {
    let first: Vec<char> = text.chars().take_while(|c| *c != '\n').take(4096).collect();
    let odd = first
        .iter()
        .filter(|&&c| (c.is_control() && c != '\t' && c != '\r') || c == '\u{FFFD}')
        .count();
    odd >= 4 && odd * 20 > first.len()
}

/// UTF-8 (with or without BOM), UTF-16 (with BOM, or recognisable without), or else Windows-1252,
/// the encoding of lists exported from Excel on Windows. A UTF-8 file with a few broken bytes
/// stays UTF-8 (the bytes become U+FFFD and their cells are reported), rather than turning every
/// accented name into mojibake.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0;
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        return Cow::Owned(enc.decode_without_bom_handling(bytes).0.into_owned());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += usize::from(!chunk.invalid().is_empty());
    }
    if good > bad {
        String::from_utf8_lossy(bytes)
    } else {
        Cow::Owned(
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        )
    }
}

/// UTF-16 saved without a BOM: ASCII text with a zero byte beside every character.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(1024) & !1];
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let zero_at = |k: usize| head.iter().skip(k).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 7 && even * 10 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 10 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The separator used most on one of the first lines; a comma when in doubt. Also returns how
/// many separators that line has (about the number of columns).
fn sniff_delimiter(text: &str) -> (u8, usize) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(crate::HEADER_SEARCH_ROWS)
        .collect();
    let mut best = (b',', 0);
    for d in [b',', b';', b'\t'] {
        let n = lines
            .iter()
            .map(|l| l.bytes().filter(|b| *b == d).count())
            .max()
            .unwrap_or(0);
        if n > best.1 {
            best = (d, n);
        }
    }
    best
}

fn read_csv(
    text: &str,
    max_cells: usize,
    on: &mut dyn FnMut(Event<'_>) -> Result<Flow, ImportError>,
) -> Result<(), ImportError> {
    // Old Mac exports end lines with CR alone; line numbers count LF.
    let text: Cow<str> = if !text.contains('\n') && text.contains('\r') {
        Cow::Owned(text.replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let bytes = text.as_bytes();
    let last_line =
        bytes.iter().filter(|b| **b == b'\n').count() + usize::from(!bytes.ends_with(b"\n"));
    let (delimiter, columns) = sniff_delimiter(&text);
    // A line inside one quoted cell with about as many separators as a row is a row swallowed by
    // a quote that was never closed.
    let row_like = columns.saturating_sub(1).max(1);
    if on(Event::Sheet {
        name: "CSV",
        merged: &[],
    })? == Flow::SkipSheet
    {
        return on(Event::End { last_line }).map(drop);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let (mut counted, mut line_no) = (0usize, 0usize);
    let mut cells_read = 0usize;
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ImportError::Csv {
                    line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                    reason: e.to_string(),
                })
            }
        }
        // csv's own line numbers skip blank lines; count newlines up to the record's start.
        let mut byte = rec
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(0)
            .min(bytes.len());
        // The reported start can be before blank lines the reader skipped.
        while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        let byte = byte.max(counted);
        line_no += bytes[counted..byte].iter().filter(|b| **b == b'\n').count();
        counted = byte;
        let line = line_no + 1;
        let mut breaks = 0;
        for field in rec.iter().filter(|f| f.contains('\n')) {
            let lines = field.split('\n').count();
            breaks += lines - 1;
            // Only whole lines inside the cell: its first and last are parts of the rows where
            // the quote opens and closes.
            if field
                .split('\n')
                .skip(1)
                .take(lines.saturating_sub(2))
                .any(|l| l.bytes().filter(|b| *b == delimiter).count() >= row_like)
            {
                return Err(ImportError::UnbalancedQuote {
                    line,
                    end_line: line + lines - 1,
                });
            }
        }
        let cells: Vec<RawCell> = rec
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.trim().is_empty())
            .map(|(col, c)| RawCell {
                col,
                text: c.trim().to_string(),
                note: None,
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        cells_read += cells.len();
        if cells_read > max_cells {
            return Err(ImportError::TooManyCells(max_cells));
        }
        if cells.last().is_some_and(|c| c.col >= MAX_COLUMNS) {
            return Err(ImportError::TooManyColumns {
                line,
                limit: MAX_COLUMNS,
            });
        }
        let row = RawRow {
            line,
            end_line: line + breaks,
            cells,
        };
        if on(Event::Row(row))? == Flow::SkipSheet {
            break;
        }
    }
    on(Event::End { last_line }).map(drop)
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

/// A cell as Excel shows it, and what its text does not say.
fn cell_text(c: &DataRef<'_>, formula: bool) -> (String, Option<CellNote>) {
    let text = match c {
        DataRef::Empty if formula => return (String::new(), Some(CellNote::FormulaWithoutValue)),
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_string()
        }
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        // Integral numbers (phone numbers, NIKs typed as numbers) without a decimal point.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => {
            excel_serial_date(dt.as_f64()).unwrap_or_else(|| dt.as_f64().to_string())
        }
        DataRef::Error(e) => return (e.to_string(), Some(CellNote::FormulaError)),
    };
    (text, None)
}

/// calamine is third-party code running on whatever bytes were uploaded: should it panic on a
/// crafted file, the registrar gets a clear error rather than a crash.
fn caught<T>(
    f: impl FnOnce() -> Result<T, XlsxError>,
) -> Result<Result<T, XlsxError>, ImportError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| ImportError::Damaged("the reader failed on it".into()))
}

fn guarded<T>(f: impl FnOnce() -> Result<T, XlsxError>) -> Result<T, ImportError> {
    caught(f)?.map_err(|e| ImportError::Damaged(e.to_string()))
}

/// Checks the ZIP container before calamine reads it: that it opens, that it is a workbook
/// (not a Word document or an OpenDocument file), and that it is not too big once unpacked —
/// calamine unpacks the shared strings whole, and reserves room for as many as they claim.
fn check_zip(bytes: &[u8]) -> Result<(), ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::Damaged(format!("ZIP: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let has = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
    if !has("xl/") {
        return Err(ImportError::NotASpreadsheet(if has("word/") {
            "a Word document"
        } else if has("ppt/") {
            "a PowerPoint presentation"
        } else if names.iter().any(|n| n == "content.xml") {
            "an OpenDocument file (LibreOffice); save it as .xlsx"
        } else {
            "a ZIP archive, not an Excel workbook"
        }));
    }
    let mut unpacked: u64 = 0;
    let mut strings = None;
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| ImportError::Damaged(format!("ZIP: {e}")))?;
        unpacked = unpacked.saturating_add(f.size());
        if f.name()
            .is_ok_and(|n| n.eq_ignore_ascii_case("xl/sharedStrings.xml"))
        {
            strings = Some((i, f.size()));
        }
    }
    if unpacked > MAX_UNPACKED_BYTES {
        return Err(ImportError::TooLargeUnpacked {
            size_mb: (unpacked >> 20) as usize,
            limit_mb: (MAX_UNPACKED_BYTES >> 20) as usize,
        });
    }
    if let Some((i, size)) = strings {
        if size > MAX_SHARED_STRINGS_BYTES {
            return Err(ImportError::TooLargeUnpacked {
                size_mb: (size >> 20) as usize,
                limit_mb: (MAX_SHARED_STRINGS_BYTES >> 20) as usize,
            });
        }
        let mut head = Vec::new();
        if let Ok(f) = zip.by_index(i) {
            // A damaged entry is left for calamine to report.
            let _ = f.take(4096).read_to_end(&mut head);
        }
        // Each shared string takes at least `<si><t/></si>` (13 bytes) of XML.
        if let Some(n) = declared_count(&head, b"uniqueCount=\"") {
            if n > size / 13 + 1 {
                return Err(ImportError::Damaged(format!(
                    "its shared strings claim {n} entries in {size} bytes"
                )));
            }
        }
    }
    Ok(())
}

/// The number in `attr"NNN"` within `xml`, if any.
fn declared_count(xml: &[u8], attr: &[u8]) -> Option<u64> {
    let at = xml.windows(attr.len()).position(|w| w == attr)? + attr.len();
    let digits: Vec<u8> = xml[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    // Too many digits for a u64 is certainly too many strings.
    Some(
        std::str::from_utf8(&digits)
            .ok()?
            .parse()
            .unwrap_or(u64::MAX),
    )
}

fn read_xlsx(
    bytes: &[u8],
    max_cells: usize,
    on: &mut dyn FnMut(Event<'_>) -> Result<Flow, ImportError>,
) -> Result<(), ImportError> {
    check_zip(bytes)?;
    let mut wb: Xlsx<_> = guarded(|| Xlsx::new(Cursor::new(bytes)))?;
    let names = wb.sheet_names().to_vec();
    // Cells with a value, in all sheets: counted as they stream past, before any is kept.
    let mut cells_read = 0usize;
    for name in names {
        let merged: Vec<Merged> = guarded(|| wb.merge_cells_by_sheet_name(&name))?
            .iter()
            .map(|d| Merged {
                first_line: d.start.0 as usize + 1,
                last_line: d.end.0 as usize + 1,
                first_col: d.start.1 as usize,
                last_col: d.end.1 as usize,
            })
            .collect();
        let mut cells = match caught(|| wb.worksheet_cells_reader(&name))? {
            Ok(c) => c,
            // A chart sheet (or another non-worksheet) holds no list.
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(ImportError::Damaged(e.to_string())),
        };
        let flow = on(Event::Sheet {
            name: &name,
            merged: &merged,
        })?;
        let mut last_line = 0usize;
        let mut row: Option<RawRow> = None;
        let mut skip = flow == Flow::SkipSheet;
        while !skip {
            let Some(cell) = guarded(|| cells.next_cell_with_formula_metadata())? else {
                break;
            };
            let line = cell.pos.0 as usize + 1;
            let col = cell.pos.1 as usize;
            // calamine accepts any reference; Excel never writes one past its last cell.
            if col >= MAX_COLUMNS || line > MAX_SHEET_ROWS {
                return Err(ImportError::Damaged(format!(
                    "sheet {name} has a cell beyond the last column or row of a sheet"
                )));
            }
            last_line = last_line.max(line);
            let (text, note) = cell_text(&cell.value, cell.formula.is_some());
            if text.is_empty() && note.is_none() {
                continue;
            }
            cells_read += 1;
            if cells_read > max_cells {
                return Err(ImportError::TooManyCells(max_cells));
            }
            if row.as_ref().is_some_and(|r| r.line != line) {
                if let Some(done) = row.take() {
                    skip = emit(done, on)? == Flow::SkipSheet;
                }
            }
            row.get_or_insert_with(|| RawRow {
                line,
                end_line: line,
                cells: Vec::new(),
            })
            .cells
            .push(RawCell { col, text, note });
        }
        if let Some(done) = row.take().filter(|_| !skip) {
            emit(done, on)?;
        }
        on(Event::End { last_line })?;
    }
    Ok(())
}

/// Hands on a spreadsheet row that has a value; a row of notes only (formulas never calculated
/// in an otherwise empty row) is an empty row.
fn emit(
    row: RawRow,
    on: &mut dyn FnMut(Event<'_>) -> Result<Flow, ImportError>,
) -> Result<Flow, ImportError> {
    if row.cells.iter().all(|c| c.text.is_empty()) {
        return Ok(Flow::Continue);
    }
    on(Event::Row(row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{declare_size, rows_xml, xlsx, xlsx_with, zip};

    fn table(bytes: &[u8]) -> Table {
        read(bytes).unwrap().remove(0).table.unwrap()
    }

    fn texts(r: &RawRow) -> Vec<(usize, &str)> {
        r.cells.iter().map(|c| (c.col, c.text.as_str())).collect()
    }

    #[test]
    fn windows_1252_and_semicolons() {
        let t = table(b"Nama;Asal\nJos\xe9;Bali\n");
        assert_eq!(t.rows[0].dense(), vec!["Nama", "Asal"]);
        assert_eq!(t.rows[1].line, 2);
        assert_eq!(texts(&t.rows[1]), vec![(0, "Jos\u{e9}"), (1, "Bali")]);
    }

    #[test]
    fn bom_blank_lines_and_ragged_rows() {
        let t = table("\u{feff}\n\nName,DOB\nSiti\nBudi,1990,extra\n".as_bytes());
        assert_eq!(
            (t.rows[0].line, t.rows[0].dense()),
            (3, vec!["Name".into(), "DOB".into()])
        );
        assert_eq!((t.rows[1].line, texts(&t.rows[1])), (4, vec![(0, "Siti")]));
        assert_eq!(t.rows[2].line, 5);
        assert_eq!(t.last_line, 5);
    }

    #[test]
    fn empty_cells_and_empty_rows_are_not_rows() {
        let t = table(b"Nama,Asal,Umur\n,,\n\n ,Bali, \n,,\n\n");
        assert_eq!(t.rows.len(), 2);
        assert_eq!((t.rows[1].line, texts(&t.rows[1])), (4, vec![(1, "Bali")]));
        assert_eq!(t.last_line, 6, "trailing empty lines are lines of the file");
    }

    #[test]
    fn utf16_is_decoded_with_or_without_bom() {
        let text = "Nama\tAsal\r\nJos\u{e9} Ram\u{f3}s\tNTT\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for bytes in [
            [b"\xFF\xFE".as_slice(), &le].concat(),
            [b"\xFE\xFF".as_slice(), &be].concat(),
            le.clone(),
            be.clone(),
        ] {
            let t = table(&bytes);
            assert_eq!(
                texts(&t.rows[1]),
                vec![(0, "Jos\u{e9} Ram\u{f3}s"), (1, "NTT")]
            );
        }
    }

    #[test]
    fn utf8_with_a_broken_byte_stays_utf8() {
        // One stray byte must not turn every accented name into mojibake.
        let t = table(
            "Nama\nJos\u{e9}\nAndr\u{e9}\nBad\u{ff}\n"
                .replace('\u{ff}', "\u{1}")
                .as_bytes(),
        );
        assert_eq!(texts(&t.rows[1]), vec![(0, "Jos\u{e9}")]);
        let mut bytes = "Nama\nJos\u{e9}\nAndr\u{e9}\n".as_bytes().to_vec();
        bytes.extend(b"Ba\xffd\n");
        let t = table(&bytes);
        assert_eq!(texts(&t.rows[2]), vec![(0, "Andr\u{e9}")]);
        assert_eq!(texts(&t.rows[3]), vec![(0, "Ba\u{FFFD}d")]);
    }

    #[test]
    fn other_formats_are_named() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0";
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
        let xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0";
        let html = b"\n<!DOCTYPE html><html><table><tr><td>Nama</td></tr></table>";
        for (bytes, kind) in [
            (png.as_slice(), "PNG"),
            (pdf, "PDF"),
            (xls, ".xls"),
            (html, "HTML"),
            (
                b"\x01\x02\x03\x00\x04binary\x05\x06\x07\x08\nNama\n",
                "binary",
            ),
        ] {
            match read(bytes) {
                Err(ImportError::NotASpreadsheet(k)) => assert!(k.contains(kind), "{k}"),
                other => panic!("{kind}: {other:?}"),
            }
        }
        // Garbage under a good header is not a binary file: its rows are reported.
        let mut bytes = b"Nama,Asal\nSiti,Bali\n".to_vec();
        bytes.extend((0u8..=255).cycle().take(2000).filter(|b| *b != b'"'));
        assert!(read(&bytes).is_ok());
        let docx = zip(&[("word/document.xml", b"<w:document/>")]);
        assert_eq!(
            read(&docx).unwrap_err(),
            ImportError::NotASpreadsheet("a Word document")
        );
    }

    #[test]
    fn empty_files() {
        for bytes in [&b""[..], b"  \r\n\n", b"\xEF\xBB\xBF", b"\xFF\xFE"] {
            assert_eq!(read(bytes).unwrap_err(), ImportError::Empty, "{bytes:?}");
        }
    }

    #[test]
    fn an_oversized_file_is_refused_before_it_is_read() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        let started = std::time::Instant::now();
        assert_eq!(
            read(&big).unwrap_err(),
            ImportError::TooLarge {
                size_mb: 101,
                limit_mb: 100
            }
        );
        assert!(started.elapsed().as_millis() < 100);
    }

    #[test]
    fn a_quote_never_closed_is_refused_not_swallowing_rows() {
        let csv =
            b"No,Nama,L/P,Tgl Lahir\n1,Siti,P,1998\n2,\"Budi,L,1995\n3,Andi,L,1999\n4,Ani,P,2000\n";
        assert_eq!(
            read(csv).unwrap_err(),
            ImportError::UnbalancedQuote {
                line: 3,
                end_line: 6
            }
        );
        // Nor at the end of the file.
        assert_eq!(
            read(b"Nama,Asal\nSiti,Bali\n\"Budi,NTB\nAni,Jawa\nDewi,Bali\n").unwrap_err(),
            ImportError::UnbalancedQuote {
                line: 3,
                end_line: 6
            }
        );
        // A real multi-line cell is kept, and the rows after it keep their line numbers.
        let t = table(b"No,Nama,Ket\n1,Siti,\"sakit,\nperlu dokter\"\n2,Budi,\n");
        assert_eq!(texts(&t.rows[1])[2], (2, "sakit,\nperlu dokter"));
        assert_eq!((t.rows[1].line, t.rows[1].end_line), (2, 3));
        assert_eq!(t.rows[2].line, 4);
    }

    #[test]
    fn old_mac_line_endings() {
        let t = table(b"Nama,Asal\rSiti,Bali\rBudi,NTB\r");
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[2].line, 3);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_date(35807.0).as_deref(), Some("1998-01-12"));
        assert_eq!(excel_serial_date(0.0), None);
    }

    #[test]
    fn truncated_xlsx_is_a_clear_error() {
        let err = read(b"PK\x03\x04garbage").unwrap_err();
        assert!(matches!(err, ImportError::Damaged(_)), "{err:?}");
        let whole = xlsx(&rows_xml(&[&["Nama"], &["Siti"]]), "");
        for cut in [whole.len() / 2, whole.len() - 10] {
            let err = read(&whole[..cut]).unwrap_err();
            assert!(matches!(err, ImportError::Damaged(_)), "{err:?}");
        }
    }

    #[test]
    fn xlsx_formulas_use_their_value_or_say_there_is_none() {
        let sheet = rows_xml(&[
            &["Depan", "Belakang", "Nama"],
            &[
                "SITI",
                "RAHAYU",
                r#"<c r="@" t="str"><f>A2&amp;" "&amp;B2</f><v>SITI RAHAYU</v></c>"#,
            ],
            &[
                "BUDI",
                "SANTOSO",
                r#"<c r="@"><f>A3&amp;" "&amp;B3</f></c>"#,
            ],
            &[
                "ANDI",
                "",
                r#"<c r="@" t="e"><f>VLOOKUP(A4,X:Y,2)</f><v>#N/A</v></c>"#,
            ],
        ]);
        let t = table(&xlsx(&sheet, ""));
        let c = |r: usize| t.rows[r].cells[t.rows[r].cells.len() - 1].clone();
        assert_eq!((c(1).text.as_str(), c(1).note), ("SITI RAHAYU", None));
        assert_eq!(
            (c(2).text.as_str(), c(2).note),
            ("", Some(CellNote::FormulaWithoutValue))
        );
        assert_eq!(
            (c(3).text.as_str(), c(3).note),
            ("#N/A", Some(CellNote::FormulaError))
        );
    }

    #[test]
    fn xlsx_merged_areas_and_sparse_rows() {
        let sheet = format!(
            "{}<row r=\"5\"><c r=\"XFD5\" t=\"inlineStr\"><is><t>far</t></is></c></row>",
            rows_xml(&[&["Nama", "Asal"], &["SITI", "NTB"], &["", "", "x"]])
        );
        let t = table(&xlsx(
            &sheet,
            r#"<mergeCells count="1"><mergeCell ref="A2:A3"/></mergeCells>"#,
        ));
        assert_eq!(
            t.merged,
            vec![Merged {
                first_line: 2,
                last_line: 3,
                first_col: 0,
                last_col: 0
            }]
        );
        assert_eq!(
            texts(&t.rows[3]),
            vec![(16383, "far")],
            "no 16,384 empty cells"
        );
        assert_eq!(t.last_line, 5);
        // A reference past Excel's last column (calamine reads any) is damage, not a column.
        let sheet = r#"<row r="1"><c r="AAAAAA1" t="inlineStr"><is><t>Nama</t></is></c></row>"#;
        assert!(
            matches!(read(&xlsx(sheet, "")), Err(ImportError::Damaged(m)) if m.contains("beyond"))
        );
        // In a CSV, a value past that column is refused, naming the line.
        let mut csv = b"Nama\nSiti".to_vec();
        csv.extend(b",".repeat(MAX_COLUMNS));
        csv.extend(b"x\n");
        assert_eq!(
            read(&csv).unwrap_err(),
            ImportError::TooManyColumns {
                line: 2,
                limit: MAX_COLUMNS
            }
        );
    }

    #[test]
    fn calamine_panics_become_a_clear_error() {
        // A backwards merged area makes calamine 0.38 subtract with overflow: a panic where
        // overflow is checked (debug builds), a wrapped number otherwise. Neither escapes.
        let bytes = xlsx(
            &rows_xml(&[&["Nama"], &["Siti"]]),
            r#"<mergeCells count="1"><mergeCell ref="A7:A3"/></mergeCells>"#,
        );
        assert!(matches!(read(&bytes), Ok(_) | Err(ImportError::Damaged(_))));
    }

    #[test]
    fn xlsx_shared_strings_claiming_billions_are_refused() {
        let sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="99999999999999"><si><t>Nama</t></si></sst>"#;
        let bytes = xlsx_with(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            "",
            &[("xl/sharedStrings.xml", sst)],
        );
        assert!(
            matches!(read(&bytes), Err(ImportError::Damaged(m)) if m.contains("shared strings claim")),
            "refused before calamine reserves room for them"
        );
        let honest = br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1"><si><t>Nama</t></si></sst>"#;
        let bytes = xlsx_with(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            "",
            &[("xl/sharedStrings.xml", honest)],
        );
        assert_eq!(texts(&table(&bytes).rows[0]), vec![(0, "Nama")]);
    }

    #[test]
    fn xlsx_declaring_more_than_the_caps_is_refused_before_reading() {
        let mut bytes = xlsx(&rows_xml(&[&["Nama"], &["Siti"]]), "");
        declare_size(
            &mut bytes,
            "xl/worksheets/sheet1.xml",
            MAX_UNPACKED_BYTES as u32 + 1,
        );
        assert_eq!(
            read(&bytes).unwrap_err(),
            ImportError::TooLargeUnpacked {
                size_mb: (MAX_UNPACKED_BYTES >> 20) as usize,
                limit_mb: (MAX_UNPACKED_BYTES >> 20) as usize
            }
        );
        let sst = br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="1"><si><t>Nama</t></si></sst>"#;
        let mut bytes = xlsx_with(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            "",
            &[("xl/sharedStrings.xml", sst)],
        );
        declare_size(
            &mut bytes,
            "xl/sharedStrings.xml",
            MAX_SHARED_STRINGS_BYTES as u32 + 1,
        );
        let err = read(&bytes).unwrap_err();
        assert!(
            matches!(err, ImportError::TooLargeUnpacked { limit_mb, .. } if limit_mb as u64 == MAX_SHARED_STRINGS_BYTES >> 20),
            "{err:?}"
        );
        assert!(err.to_string().contains("split the list"), "{err}");
        // Sizes the former 2 GiB cap let through: 1.5 GiB of sheet, 300 MiB of strings.
        for (part, size) in [
            ("xl/worksheets/sheet1.xml", 3u32 << 29),
            ("xl/sharedStrings.xml", 300 << 20),
        ] {
            let mut bytes = xlsx_with(
                r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
                "",
                &[("xl/sharedStrings.xml", sst)],
            );
            declare_size(&mut bytes, part, size);
            assert!(
                matches!(read(&bytes), Err(ImportError::TooLargeUnpacked { .. })),
                "{part}"
            );
        }
    }

    #[test]
    fn xlsx_holding_more_than_it_declares_is_not_read_past_it() {
        // The reader stops at the declared size: a part cannot unpack to more than the check
        // above counted.
        let sheet = rows_xml(&[&["Nama"], &["Siti"], &["Budi"]]);
        let mut bytes = xlsx(&sheet, "");
        declare_size(&mut bytes, "xl/worksheets/sheet1.xml", 200);
        assert!(
            matches!(read(&bytes), Err(ImportError::Damaged(_))),
            "{:?}",
            read(&bytes)
        );
    }

    #[test]
    fn too_many_cells_are_refused_while_reading() {
        let grid: Vec<Vec<String>> = (0..4)
            .map(|r| (0..3).map(|c| format!("v{r}{c}")).collect())
            .collect();
        let rows: Vec<Vec<&str>> = grid
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        let sheet = xlsx(&rows_xml(&rows), "");
        let csv = "a,b,c\nd,e,f\ng,h,i\nj,k,l\n";
        for bytes in [sheet.as_slice(), csv.as_bytes()] {
            let mut seen = 0;
            let err = read_each_within(bytes, 7, &mut |e| {
                seen += usize::from(matches!(e, Event::Row(_)));
                Ok(Flow::Continue)
            })
            .unwrap_err();
            assert_eq!(err, ImportError::TooManyCells(7));
            assert_eq!(
                err.to_string(),
                "the file has more than 7 cells with a value: split the list into smaller files"
            );
            assert_eq!(
                seen, 2,
                "refused at the row that passes the cap, not after the file"
            );
            // Twelve cells pass a cap of twelve.
            assert!(read_each_within(bytes, 12, &mut |_| Ok(Flow::Continue)).is_ok());
        }
        const { assert!(MAX_CELLS >= 10 * crate::MAX_ROWS) };
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = read(&bytes);
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(&bytes);
            let _ = read(&zip);
        }

        #[test]
        fn never_panics_on_sheet_xml(s in "(<row r=\"[0-9]{1,7}\">|<c r=\"[A-Z]{1,3}[0-9]{1,7}\"( t=\"(s|str|e|b|n|inlineStr|d)\")?>|<v>[0-9A-Z#/.!-]{0,6}</v>|<f>[A-Z0-9&+]{0,6}</f>|<is><t>x</t></is>|</c>|</row>|<mergeCell ref=\"[A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7}\"/>){0,30}") {
            let _ = read(&xlsx(&s, ""));
            let _ = crate::parse(&xlsx(&s, &format!("<mergeCells>{s}</mergeCells>")), &[], time::macros::date!(2026 - 01 - 20));
        }
    }
}
