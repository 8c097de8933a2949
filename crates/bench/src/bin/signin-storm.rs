//! `signin-storm`: crowds of simultaneous sign-ins against a running `pulang serve`, as an
//! attacker without an account would send them, with the server's peak memory and `/healthz`
//! latency during the storm against `/healthz` alone (the baseline, measured in the same run).
//!
//! 1. `--guesses` wrong passwords for one real account, all at once: how many were checked
//!    (401) and how many refused before any hashing (429/503).
//! 2. `--crowd` sign-ins for as many unknown accounts from one address, all at once.
//!
//! ```sh
//! cargo build --release -p pulang-cli -p pulang-bench --bin signin-storm
//! target/release/signin-storm --pulang target/release/pulang
//! ```
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

#[derive(Parser)]
struct Opts {
    /// The `pulang` binary to run.
    #[arg(long, default_value = "target/release/pulang")]
    pulang: PathBuf,
    /// Simultaneous wrong passwords for one account.
    #[arg(long, default_value_t = 100)]
    guesses: usize,
    /// Simultaneous sign-ins for unknown accounts from one address.
    #[arg(long, default_value_t = 300)]
    crowd: usize,
    #[arg(long, default_value_t = 18_431)]
    port: u16,
}

/// The server's resident and peak memory (MiB), from /proc.
fn memory_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> u16 {
    let form = [
        ("username", user),
        ("password", password),
        ("csrf", "storm"),
    ];
    match client
        .post(format!("{base}/login"))
        .header("cookie", "pulang_prelogin=storm")
        .form(&form)
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// `n` sign-ins at once (`user(i)` names the account); the status counts, the slowest
/// `/healthz` answer while they ran, and how long they took.
async fn storm(
    base: &str,
    n: usize,
    user: impl Fn(usize) -> String,
) -> (BTreeMap<u16, usize>, Duration, Duration) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n {
        let (client, base, user) = (client.clone(), base.to_string(), user(i));
        set.spawn(async move { sign_in(&client, &base, &user, "wrong password 123").await });
    }
    let probe = {
        let (client, base) = (client.clone(), base.to_string());
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            for _ in 0..40 {
                let t = Instant::now();
                let _ = client.get(format!("{base}/healthz")).send().await;
                worst = worst.max(t.elapsed());
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            worst
        })
    };
    let mut counts = BTreeMap::new();
    while let Some(status) = set.join_next().await {
        *counts.entry(status.unwrap_or(0)).or_insert(0) += 1;
    }
    let took = start.elapsed();
    (counts, probe.await.unwrap_or_default(), took)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let data_arg = data.to_str().context("temp path")?.to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(&o.pulang)
            .args(args)
            .args(["--data-dir", &data_arg])
            .output()
    };
    let out = run(&[
        "site",
        "add",
        "--code",
        "PNH",
        "--name",
        "Phnom Penh",
        "--timezone",
        "Asia/Phnom_Penh",
    ])?;
    if !out.status.success() {
        bail!("site add: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut add = tokio::process::Command::new(&o.pulang)
        .args([
            "user",
            "add",
            "--username",
            "siti",
            "--role",
            "registrar",
            "--site",
            "PNH",
        ])
        .args(["--password-stdin", "--data-dir", &data_arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    add.stdin
        .take()
        .context("stdin")?
        .write_all(b"Kelapa-muda tiga 2026 sore\n")
        .await?;
    if !add.wait().await?.success() {
        bail!("user add failed");
    }
    let base = format!("http://127.0.0.1:{}", o.port);
    let mut server = tokio::process::Command::new(&o.pulang)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", o.port)])
        .args(["--data-dir", &data_arg])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = server.id().context("server pid")?;
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let baseline = {
        let mut worst = Duration::ZERO;
        for _ in 0..40 {
            let t = Instant::now();
            client.get(format!("{base}/healthz")).send().await?;
            worst = worst.max(t.elapsed());
        }
        worst
    };
    let (rss0, _) = memory_mib(pid);
    println!("server at start: {rss0} MiB resident; /healthz alone, worst of 40: {baseline:.2?}");

    let (counts, worst, took) = storm(&base, o.guesses, |_| "siti".to_string()).await;
    let (rss, peak) = memory_mib(pid);
    println!(
        "{} wrong passwords for one account at once: {counts:?} in {took:.2?}; /healthz worst {worst:.2?} ({:.0}× alone); memory {rss} MiB, peak {peak} MiB",
        o.guesses,
        worst.as_secs_f64() / baseline.as_secs_f64().max(1e-6)
    );
    let (counts, worst, took) = storm(&base, o.crowd, |i| format!("nobody{i}")).await;
    let (rss, peak) = memory_mib(pid);
    println!(
        "{} unknown accounts from one address at once: {counts:?} in {took:.2?}; /healthz worst {worst:.2?} ({:.0}× alone); memory {rss} MiB, peak {peak} MiB",
        o.crowd,
        worst.as_secs_f64() / baseline.as_secs_f64().max(1e-6)
    );
    server.kill().await?;
    Ok(())
}
