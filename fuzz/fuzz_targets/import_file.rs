//! Any bytes as an uploaded list (CSV or, with a zip header, XLSX): a report or a clear
//! error, never a panic. The same bytes are also tried as the sheet of a well-formed workbook,
//! which reaches the XLSX reader's cells, formulas and merged areas: random bytes rarely get
//! through a ZIP container on their own.
//!
//! pulang-import runs calamine (third-party) under `catch_unwind`, so that a panic of calamine on
//! a crafted file becomes a clear "damaged" error. Such panics are printed once per place here
//! and are not crashes; any other panic is.
#![no_main]
use std::collections::HashSet;
use std::sync::{Mutex, Once};

use libfuzzer_sys::fuzz_target;
use pulang_import::testing::zip;

static HOOK: Once = Once::new();
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let crash = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| l.to_string()).unwrap_or_default();
            if at.contains("/calamine-") {
                let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
                if seen.get_or_insert_with(HashSet::new).insert(at.clone()) {
                    eprintln!("calamine panicked (caught by pulang-import): {info}");
                }
                return;
            }
            crash(info);
        }));
    });
    let today = time::Date::from_calendar_date(2026, time::Month::January, 20).unwrap();
    let _ = pulang_import::parse(data, &[], today);
    let _ = pulang_import::parse(&workbook(data), &[], today);
});

/// An XLSX workbook whose one sheet's XML is `<worksheet><sheetData>` + `data`.
fn workbook(data: &[u8]) -> Vec<u8> {
    const NS: &str = "http://schemas.openxmlformats.org";
    let rels = format!(
        r#"<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let mut sheet =
        format!(r#"<worksheet xmlns="{NS}/spreadsheetml/2006/main"><sheetData>"#).into_bytes();
    sheet.extend_from_slice(data);
    zip(&[
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", &sheet),
    ])
}

