//! Intake: "who might this new arrival be?" against a register of `PULANG_INTAKE_N` synthetic
//! records (default 100,000; 1,000,000 works). Prints the build time, memory, and the latency of
//! 2,000 held-out queries against a naive scan measured in the same run, then lets criterion
//! time one query.
//!
//! `PULANG_INTAKE_N=1000000 cargo bench -p pulang-matching --bench intake`
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use pulang_demo::synth;
use pulang_matching::compare;
use pulang_matching::engine;
use pulang_matching::normalize::{prepare, RawRecord};
use pulang_matching::{Index, IndexConfig};

const QUERIES: usize = 2_000;
const NAIVE_RECORDS: usize = 100_000;

/// A `/proc/self/status` field in MiB (Linux), 0 elsewhere.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn benches(c: &mut Criterion) {
    let n: usize = std::env::var("PULANG_INTAKE_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let today = time::macros::date!(2026 - 02 - 15);
    let t = Instant::now();
    let synth = synth::generate(42, n + QUERIES, today);
    let entities: Vec<u64> = synth.iter().map(|s| s.entity).collect();
    let recs: Vec<RawRecord> = synth.into_iter().map(|s| s.record).collect();
    let n = recs.len().saturating_sub(QUERIES);
    let (register, queries) = recs.split_at(n);
    eprintln!(
        "intake: {n} register records, {} queries (generated in {:.1} s)",
        queries.len(),
        t.elapsed().as_secs_f64()
    );
    // Reset the peak so that it measures the build (Linux; ignored elsewhere).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_mib("VmRSS:");
    let t = Instant::now();
    let index = Index::build(register, 2026);
    let build = t.elapsed();
    let rss_after = status_mib("VmRSS:");
    let peak = status_mib("VmHWM:");
    eprintln!(
        "intake: build {:.2} s; RSS {rss_before:.0} MiB with the raw records, {rss_after:.0} MiB \
         after the build (index ≈ {:.0} MiB), peak {peak:.0} MiB (build ≈ {:.0} MiB above the raw \
         records); {:?}; expected matches {:.2}, prior {:.1} bits",
        build.as_secs_f64(),
        rss_after - rss_before,
        peak - rss_before,
        index.stats(),
        index.expected_matches(),
        index.model().prior(),
    );

    let all = |_: u32| true;
    let mut lat = Vec::with_capacity(queries.len());
    let mut compared = Vec::with_capacity(queries.len());
    let (mut skipped, mut keys, mut found) = (0usize, 0usize, 0usize);
    for q in queries {
        let t = Instant::now();
        let (got, st) = index.query_with_stats(q, 5, 0.01, &all);
        lat.push(t.elapsed());
        compared.push(st.compared);
        skipped += st.keys_skipped;
        keys += st.keys;
        found += usize::from(!got.is_empty());
    }
    lat.sort_unstable();
    compared.sort_unstable();
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    eprintln!(
        "intake: query p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; candidates compared p50 {} p99 \
         {} max {}; keys skipped {skipped} of {keys}; {found} of {} queries with a candidate ≥ 0.01",
        ms(p50),
        ms(p99),
        ms(lat[lat.len() - 1]),
        compared[compared.len() / 2],
        compared[compared.len() * 99 / 100],
        compared[compared.len() - 1],
        queries.len(),
    );

    // Panel recall: the true person among the top five, for the queries whose person is in
    // the register; the same with loose keys as long as other keys (the cap's cost in recall).
    let in_register: std::collections::HashSet<u64> = entities[..n].iter().copied().collect();
    let recall = |ix: &Index| {
        let (mut has, mut hit) = (0usize, 0usize);
        let t = Instant::now();
        for (q, e) in queries.iter().zip(&entities[n..]) {
            if !in_register.contains(e) {
                continue;
            }
            has += 1;
            let got = ix.query(q, 5, 0.01, &all);
            hit += usize::from(got.iter().any(|c| entities[c.slot as usize] == *e));
        }
        (hit as f64 / has.max(1) as f64, has, t.elapsed())
    };
    let (r, has, took) = recall(&index);
    let uncapped = Index::build_with(
        register,
        2026,
        IndexConfig {
            max_loose_postings: IndexConfig::default().max_postings,
            ..IndexConfig::default()
        },
    );
    let (ru, _, took_u) = recall(&uncapped);
    drop(uncapped);
    eprintln!(
        "intake: top-5 recall {r:.3} of {has} queries with a record ({:.0} ms); with loose keys \
         uncapped {ru:.3} ({:.0} ms): time ratio capped/uncapped {:.2}",
        ms(took),
        ms(took_u),
        took.as_secs_f64() / took_u.as_secs_f64(),
    );

    // Baseline: what a naive linear scan of 100k records costs, cheap fields only, one core.
    let base = engine::prepare_all(&register[..n.min(NAIVE_RECORDS)], 2026);
    let model = index.model();
    let mut naive = Vec::new();
    for q in queries.iter().take(21) {
        let t = Instant::now();
        let q = prepare(q, 2026);
        let best = base
            .iter()
            .map(|p| model.score(&compare::cheap(&q, p), 0.0))
            .fold(f64::NEG_INFINITY, f64::max);
        black_box(best);
        naive.push(t.elapsed());
    }
    naive.sort_unstable();
    let naive = naive[naive.len() / 2];
    eprintln!(
        "intake: naive scan of {} records {:.2} ms; query/naive-scan-100k: p50 {:.3}, p99 {:.3}",
        base.len(),
        ms(naive),
        p50.as_secs_f64() / naive.as_secs_f64(),
        p99.as_secs_f64() / naive.as_secs_f64(),
    );
    drop(base);

    let mut i = 0;
    c.bench_function(&format!("intake_query_{n}"), |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            index.query(black_box(&queries[i]), 5, 0.01, &all)
        })
    });

    // Maintenance: the held-out records arrive, then the delta is folded into the bulk.
    let mut index = index;
    let t = Instant::now();
    for q in queries {
        index.insert(q);
    }
    let insert = t.elapsed() / queries.len() as u32;
    let t = Instant::now();
    index.compact();
    eprintln!(
        "intake: insert {:.1} µs each; compact {:.2} s",
        insert.as_secs_f64() * 1e6,
        t.elapsed().as_secs_f64()
    );
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
