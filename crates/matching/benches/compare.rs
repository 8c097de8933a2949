//! Comparison functions per second on one core.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pulang_matching::compare::{self, jaro_winkler};
use pulang_matching::normalize::{self, prepare, RawRecord};

fn rec(name: &str, dob: &str, phone: &str, passport: &str, nik: &str) -> RawRecord {
    RawRecord {
        full_name: name.into(),
        birth_date: dob.into(),
        phone: phone.into(),
        passport_no: passport.into(),
        nik: nik.into(),
        origin_province: "Jawa Barat".into(),
        sex: "F".into(),
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("compare");
    g.throughput(Throughput::Elements(1));
    g.bench_function("jaro_winkler", |b| {
        b.iter(|| jaro_winkler(black_box("sudarsana"), black_box("sudarsono")))
    });
    let a = normalize::name("Hj. Siti Nurhaliza Rachmawati");
    let n = normalize::name("NURHALIZA SITI RAHMAWATY");
    g.bench_function("names", |b| {
        b.iter(|| compare::names(black_box(&a), black_box(&n)))
    });
    let x = normalize::birth_date("1990-05-12", 2026);
    let y = normalize::birth_date("05/12/1990", 2026);
    g.bench_function("births", |b| {
        b.iter(|| compare::births(black_box(x.as_ref()), black_box(y.as_ref())))
    });
    let p = prepare(
        &rec(
            "Siti Nurhaliza",
            "1990-05-12",
            "0812-3456-7890",
            "X1234567",
            "3201015205900001",
        ),
        2026,
    );
    let q = prepare(
        &rec(
            "NURHALIZA SITI",
            "12/05/1990",
            "+855 12 345 678",
            "XI234567",
            "3201015205900007",
        ),
        2026,
    );
    g.bench_function("pair", |b| {
        b.iter(|| compare::pair(black_box(&p), black_box(&q)))
    });
    g.bench_function("normalise_name", |b| {
        b.iter(|| {
            normalize::name(black_box(
                "Bapak H. Moch. Soekarno Djojohadikoesoemo, S.Kom.",
            ))
        })
    });
    g.bench_function("phone_e164", |b| {
        b.iter(|| pulang_domain::phone::normalize(black_box("0812-3456-7890")))
    });
    let raw = rec(
        "Hj. Siti Nurhaliza",
        "12/05/1990",
        "0812-3456-7890",
        "X1234567",
        "3201015205900001",
    );
    g.bench_function("prepare_record", |b| {
        b.iter(|| prepare(black_box(&raw), 2026))
    });
    g.finish();
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
