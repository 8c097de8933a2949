//! `pulang dedupe`: batch identity resolution over a CSV file (the contract is stable; outside
//! evaluation uses it). Input columns `record_id` (required), `source`, `full_name`, `sex`,
//! `birth_date`, `age`, `phone`, `passport_no`, `nik`, `origin_province`, `address` (optional,
//! absent or empty allowed, extra columns ignored). Output `record_id,cluster_id`, every input
//! record exactly once; `--pairs` writes `record_id_l,record_id_r,match_probability`. Nothing is
//! written on failure: outputs go to temporary files in the same directory, renamed at the end.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use pulang_matching::{Config, RawRecord, Stage};

#[derive(Args)]
pub struct DedupeArgs {
    /// Input CSV with a header row.
    #[arg(long, required_unless_present = "register")]
    input: Option<PathBuf>,
    /// Output CSV: record_id,cluster_id.
    #[arg(long, required_unless_present = "register")]
    output: Option<PathBuf>,
    /// Instead of a file: look for duplicates among everyone in the register (the data dir's
    /// database) and queue the likely pairs for review in the web UI.
    #[arg(long, conflicts_with_all = ["input", "output", "pairs"])]
    pub register: bool,
    /// Also write scored candidate pairs: record_id_l,record_id_r,match_probability.
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Match probability at which two records are linked.
    #[arg(long, default_value_t = 0.5, value_parser = probability)]
    threshold: f64,
}

fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("not a number: {s}"))?;
    if p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err("the threshold is a probability strictly between 0 and 1".into())
    }
}

/// Reads the input, naming the row of the first problem.
fn read(path: &Path) -> anyhow::Result<Vec<RawRecord>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let headers = rdr
        .headers()
        .map_err(|e| anyhow!("{}: cannot read the header row: {e}", path.display()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let idx: Vec<Option<usize>> = RawRecord::COLUMNS.iter().map(|c| col(c)).collect();
    if idx[0].is_none() {
        bail!("{}: the header has no record_id column", path.display());
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let row = out.len() + 1;
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let why = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("expected {expected_len} fields, found {len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                    _ => e.to_string(),
                };
                bail!(
                    "{}: malformed row {row} (line {line}): {why}",
                    path.display()
                );
            }
        }
        let get = |i: usize| {
            idx[i]
                .and_then(|j| rec.get(j))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let id = get(0);
        let line = rec.position().map_or(0, |p| p.line());
        if id.is_empty() {
            bail!(
                "{}: malformed row {row} (line {line}): empty record_id",
                path.display()
            );
        }
        if !seen.insert(id.clone()) {
            bail!(
                "{}: malformed row {row} (line {line}): duplicate record_id {id:?}",
                path.display()
            );
        }
        out.push(RawRecord {
            id,
            source: get(1),
            full_name: get(2),
            sex: get(3),
            birth_date: get(4),
            age: get(5),
            phone: get(6),
            passport_no: get(7),
            nik: get(8),
            origin_province: get(9),
            address: get(10),
        });
    }
    Ok(out)
}

/// A temporary file beside `target`, renamed over it by [`commit`].
fn temp_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_csv(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(header)?;
    for r in rows {
        w.write_record(
            r.iter()
                .map(|v| pulang_app::domain::text::spreadsheet_safe(v).into_owned()),
        )?;
    }
    w.flush()?;
    Ok(())
}

fn this_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + (secs / 31_556_952) as i32
}

pub fn run(a: DedupeArgs) -> anyhow::Result<ExitCode> {
    let (Some(input), Some(output)) = (a.input.clone(), a.output.clone()) else {
        anyhow::bail!("--input and --output are required (or --register)");
    };
    let records = read(&input)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let cfg = Config {
        threshold: a.threshold,
        ref_year: this_year(),
        pairs_min_probability: if std::env::var_os("PULANG_DEDUPE_DEBUG").is_some() {
            0.0
        } else {
            0.01
        },
        ..Config::default()
    };
    let n = records.len();
    let started = std::time::Instant::now();
    let mut timings: Vec<(Stage, std::time::Instant)> = Vec::new();
    let out = pulang_matching::dedupe(&records, &cfg, &mut |s: Stage| {
        timings.push((s, std::time::Instant::now()));
        if let Some(b) = &bar {
            b.set_message(format!("{n} records: {}", s.label()));
        }
    });
    let phases: Vec<String> = timings
        .windows(2)
        .map(|w| format!("{} {:.2}s", w[0].0.label(), (w[1].1 - w[0].1).as_secs_f64()))
        .collect();
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let tmp_out = temp_beside(&output);
    let tmp_pairs = a.pairs.as_deref().map(temp_beside);
    let written = (|| -> anyhow::Result<()> {
        write_csv(
            &tmp_out,
            &["record_id", "cluster_id"],
            records
                .iter()
                .zip(&out.cluster)
                .map(|(r, &c)| vec![r.id.clone(), records[c as usize].id.clone()]),
        )?;
        if let (Some(tp), true) = (
            &tmp_pairs,
            std::env::var_os("PULANG_DEDUPE_DEBUG").is_some(),
        ) {
            write_csv(
                tp,
                &[
                    "record_id_l",
                    "record_id_r",
                    "match_probability",
                    "levels",
                    "tf",
                ],
                out.pairs.iter().map(|p| {
                    vec![
                        records[p.l as usize].id.clone(),
                        records[p.r as usize].id.clone(),
                        format!("{:.6}", p.probability),
                        p.levels
                            .iter()
                            .map(|l| l.to_string())
                            .collect::<Vec<_>>()
                            .join(" "),
                        format!("{:.2}", p.tf),
                    ]
                }),
            )?;
        } else if let Some(tp) = &tmp_pairs {
            write_csv(
                tp,
                &["record_id_l", "record_id_r", "match_probability"],
                out.pairs.iter().map(|p| {
                    vec![
                        records[p.l as usize].id.clone(),
                        records[p.r as usize].id.clone(),
                        format!("{:.6}", p.probability),
                    ]
                }),
            )?;
        }
        std::fs::rename(&tmp_out, &output)
            .with_context(|| format!("cannot write {}", output.display()))?;
        if let (Some(tp), Some(p)) = (&tmp_pairs, &a.pairs) {
            std::fs::rename(tp, p).with_context(|| format!("cannot write {}", p.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp_out);
        if let Some(tp) = &tmp_pairs {
            let _ = std::fs::remove_file(tp);
        }
        return Err(e);
    }
    if std::env::var_os("PULANG_DEDUPE_DEBUG").is_some() {
        if let Some(m) = &out.model {
            eprintln!(
                "lambda {:.3e} (blocked {:.4}), EM iterations {}",
                m.lambda, m.lambda_blocked, m.em_iterations
            );
            for (f, name) in pulang_matching::compare::FIELD_NAMES.iter().enumerate() {
                for (l, level) in pulang_matching::compare::LEVEL_NAMES[f].iter().enumerate() {
                    eprintln!(
                        "  {name:>10} {level:>16}  m {:.4}  u {:.2e}  w {:+.2}",
                        m.m[f][l],
                        m.u[f][l],
                        (m.m[f][l] / m.u[f][l]).log2()
                    );
                }
            }
        }
        for (rule, c) in &out.stats.pairs_per_rule {
            eprintln!("  rule {rule}: {c} pairs");
        }
    }
    let s = &out.stats;
    eprintln!(
        "{} records, {} candidate pairs, {} accepted pairs, {} clusters in {:.2}s ({})",
        s.records,
        s.candidate_pairs,
        s.accepted_pairs,
        s.clusters,
        started.elapsed().as_secs_f64(),
        phases.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
