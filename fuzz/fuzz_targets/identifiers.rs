//! Every parser of typed-in identifiers must return Ok or a clear error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pulang_domain::{nik::Nik, passport, phone, provinces, text, BirthDate};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(n) = Nik::parse(&s) {
        let _ = n.cross_check(None, BirthDate::parse("1990-01-01").as_ref(), Some("32"));
    }
    let _ = passport::normalize(&s);
    let _ = passport::mrz_check_digit(&s);
    let _ = phone::normalize(&s);
    let _ = BirthDate::parse(&s);
    let _ = provinces::lookup(&s);
    let _ = text::fold(&s);
});
