//! A registration body as the API receives it: decode, then validate. Never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pulang_domain::{EncounterForm, PersonForm, Validation};

fuzz_target!(|data: &[u8]| {
    let today = time::Date::from_calendar_date(2026, time::Month::November, 25).unwrap();
    if let Ok(form) = serde_json::from_slice::<PersonForm>(data) {
        let _ = form.validate(today);
    }
    if let Ok(enc) = serde_json::from_slice::<EncounterForm>(data) {
        let mut v = Validation::default();
        let _ = enc.validate(today, Some("PNH"), &mut v);
    }
});
