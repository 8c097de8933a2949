//! `pulang screen`: the screening engine as JSON in, JSON out (the contract is stable; batch
//! work and outside evaluation use it). `--catalogue` prints the indicator catalogue;
//! `--input FILE` (or `-` for standard input) prints the evaluation. No database is touched.
//! Bad input is one line on standard error and a non-zero exit.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::{ArgGroup, Args};

#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["catalogue", "input"])))]
pub struct ScreenArgs {
    /// Print the indicator catalogue as JSON (ids, dimensions, grades, labels, questions, rules).
    #[arg(long)]
    catalogue: bool,
    /// Evaluate the answers in FILE (JSON; `-` reads standard input) and print the result as JSON.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
}

pub fn run(args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let value = match args.input {
        None => pulang_screening::catalogue_json(),
        Some(path) => {
            let text = if path.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the screening input from standard input")?;
                s
            } else {
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
            };
            pulang_screening::evaluate_json(&text).map_err(|e| anyhow!("{e}"))?
        }
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}
