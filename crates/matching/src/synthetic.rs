//! Synthetic records with ground truth for the unit tests, from `pulang_demo::synth`.
//!
//! `pulang-demo` depends on this crate (a dev-dependency cycle), so in a unit-test build its
//! records are of the library's `RawRecord`, a type distinct from this build's: they are copied
//! over field by field (a new field of `RawRecord` must be added here too). Integration tests and benches use `pulang_demo::synth` directly.

use time::Date;

use crate::RawRecord;

/// A generated record and the person it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct SynthRecord {
    pub record: RawRecord,
    pub entity: u64,
}

/// `pulang_demo::synth::generate`, as this build's records.
pub(crate) fn generate(seed: u64, n: usize, today: Date) -> Vec<SynthRecord> {
    pulang_demo::synth::generate(seed, n, today)
        .into_iter()
        .map(|s| {
            let r = s.record;
            SynthRecord {
                record: RawRecord {
                    id: r.id,
                    source: r.source,
                    full_name: r.full_name,
                    sex: r.sex,
                    birth_date: r.birth_date,
                    age: r.age,
                    phone: r.phone,
                    passport_no: r.passport_no,
                    nik: r.nik,
                    origin_province: r.origin_province,
                    address: r.address,
                },
                entity: s.entity,
            }
        })
        .collect()
}
