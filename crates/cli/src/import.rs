//! `pulang import FILE`: a host-country list (CSV or XLSX) into the register, every row
//! accounted for. With `--json` the last line printed is the report's counts as one JSON object.
//! `pulang import --revert BATCH_ID` undoes an import (administrators).
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pulang_app::import::{ImportRequest, RowOutcome};
use pulang_app::AccessScope;

use crate::{app_err, open, DataOpts};

#[derive(Args)]
pub struct ImportArgs {
    /// The list: CSV (UTF-8 or Windows-1252) or XLSX (every sheet with a name column).
    #[arg(required_unless_present = "revert")]
    file: Option<PathBuf>,
    /// Revert an import batch instead (its id is in the import's report): removes the people it
    /// registered, unless work was done on them since, and forgets its matches.
    #[arg(long, value_name = "BATCH_ID", conflicts_with_all = ["file", "dry_run", "maps"])]
    revert: Option<String>,
    /// Report what would happen without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Where the list comes from (e.g. "Cambodian police 2026-01-14"); defaults to the file name.
    #[arg(long, default_value = "")]
    source: String,
    /// Site code; may be left out when there is only one site.
    #[arg(long)]
    site: Option<String>,
    /// Override a column: `--map "Nama Panggilan=aliases"`, or `--map "Kolom=ignore"`.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    maps: Vec<String>,
    /// Print the report as JSON (the last line holds the counts).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataOpts,
}

pub async fn run(args: ImportArgs, op: &AccessScope) -> anyhow::Result<ExitCode> {
    if let Some(batch) = &args.revert {
        return revert(&args, batch, op).await;
    }
    let file = args.file.clone().context("a file to import is required")?;
    // The size first: a 2 GB file is refused without being read into memory.
    let size = std::fs::metadata(&file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > pulang_import::MAX_FILE_BYTES as u64 {
        let e = pulang_import::ImportError::TooLarge {
            size_mb: usize::try_from(size.div_ceil(1 << 20)).unwrap_or(usize::MAX),
            limit_mb: pulang_import::MAX_FILE_BYTES >> 20,
        };
        anyhow::bail!("{}: {e}", file.display());
    }
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut overrides = Vec::new();
    for m in &args.maps {
        let (h, f) = m
            .split_once('=')
            .ok_or_else(|| anyhow!("--map takes HEADER=FIELD, got {m:?}"))?;
        let field =
            pulang_app::import::field(f).ok_or_else(|| anyhow!("unknown field {f:?} in --map"))?;
        overrides.push((h.to_string(), field));
    }
    let app = open(&args.data).await?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !args.json {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} rows {eta}")
                .expect("valid template"),
        );
        Some(b)
    } else {
        None
    };
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let req = ImportRequest {
        file_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: args.source.clone(),
        site: args.site.clone(),
        dry_run: args.dry_run,
        overrides,
    };
    let report = app
        .import_list(op, &bytes, req, &progress)
        .await
        .map_err(app_err)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    app.close().await;
    if args.json {
        for item in &report.items {
            println!("{}", serde_json::to_string(item)?);
        }
        println!(
            "{}",
            serde_json::json!({
                "rows": report.rows, "created": report.created, "matched": report.matched,
                "review": report.review, "rejected": report.rejected, "empty_rows": report.empty_rows,
                "dry_run": report.dry_run, "resumed": report.resumed, "batch_id": report.batch_id,
                "site": report.site, "file_hash": report.file_hash,
            })
        );
    } else {
        for item in report.items.iter().filter(|i| match i.outcome {
            RowOutcome::Rejected | RowOutcome::Review => true,
            // Created with warnings (a NIK that disagrees with the birth date, …).
            RowOutcome::Created => !i.reasons.is_empty(),
            RowOutcome::Matched => false,
        }) {
            println!(
                "{} line {}: {:?} — {}",
                item.sheet,
                item.line,
                item.outcome,
                item.reasons.join("; ")
            );
        }
        let verb = if report.dry_run { "would be" } else { "were" };
        println!(
            "{} rows: {} {verb} created, {} matched to people already registered, {} need review, {} rejected ({} empty rows skipped){}",
            report.rows,
            report.created,
            report.matched,
            report.review,
            report.rejected,
            report.empty_rows,
            if report.resumed { "; an interrupted import of this file was resumed" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn revert(args: &ImportArgs, batch: &str, op: &AccessScope) -> anyhow::Result<ExitCode> {
    let app = open(&args.data).await?;
    let report = app.revert_import(op, batch).await.map_err(app_err)?;
    app.close().await;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "batch_id": batch.trim(), "removed": report.removed,
                "unlinked": report.unlinked, "kept": report.kept,
            })
        );
    } else {
        for (id, why) in &report.kept {
            println!("kept {id}: {why}");
        }
        println!(
            "Import {} reverted: {} people removed, {} matches to people already registered forgotten, {} people kept",
            batch.trim(),
            report.removed,
            report.unlinked,
            report.kept.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
