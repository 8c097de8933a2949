//! Any bytes as an uploaded list (CSV or, with a zip header, XLSX): a report or a clear
//! error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = time::Date::from_calendar_date(2026, time::Month::January, 20).unwrap();
    let _ = pulang_import::parse(data, &[], today);
});
