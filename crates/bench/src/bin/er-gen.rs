//! `er-gen`: synthetic Indonesian survivor records from four sources (embassy register, host police
//! hand-over list, shelter book, migrant-worker registry) in the `pulang dedupe` CSV contract, with
//! ground truth, for the side-by-side benchmark with Splink (`shared/bench/er/compare.sh`).
//!
//! `er-gen --records 100000 --out data/indo100k` writes `data/indo100k.csv` and
//! `data/indo100k_truth.csv` (`record_id,entity`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use pulang_matching::RawRecord;

#[derive(Parser)]
struct Opts {
    /// Number of records.
    #[arg(long, default_value_t = 10_000)]
    records: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output path without extension.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let today = time::macros::date!(2026 - 02 - 15);
    let recs = pulang_demo::synth::generate(o.seed, o.records, today);
    let data = o.out.with_extension("csv");
    let truth = PathBuf::from(format!("{}_truth.csv", o.out.display()));
    let mut w = csv::Writer::from_path(&data).with_context(|| format!("{}", data.display()))?;
    w.write_record(RawRecord::COLUMNS)?;
    let mut t = csv::Writer::from_path(&truth).with_context(|| format!("{}", truth.display()))?;
    t.write_record(["record_id", "entity"])?;
    for s in &recs {
        let r = &s.record;
        w.write_record(r.fields())?;
        t.write_record([r.id.as_str(), &format!("p{}", s.entity)])?;
    }
    w.flush()?;
    t.flush()?;
    eprintln!(
        "{} records -> {} and {}",
        recs.len(),
        data.display(),
        truth.display()
    );
    Ok(())
}
