//! `two-servers`: two `pulang serve` processes on one PostgreSQL database, driven over the JSON
//! API (`scripts/two-servers` starts them). Checks, each a non-zero exit on failure:
//!
//! - **lost updates**: each of `--edits` people is edited through both servers at once from the
//!   same version; exactly one edit may succeed (200), the other must be refused (409);
//! - **no server errors**: no 5xx answer anywhere (a deadlock would be one);
//! - **visibility**: a person registered on one server is found by name on the other within a
//!   second, `--probes` times in each direction.
//!
//! Figures, in the same run: registrations per second and p99 latency of `--count`
//! registrations by `--clients` concurrent clients against one server, then split over both.
//!
//! ```sh
//! two-servers --a http://127.0.0.1:8081 --b http://127.0.0.1:8082 --token-a … --token-b …
//! ```
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use tokio::task::JoinSet;

#[derive(Parser)]
struct Opts {
    #[arg(long)]
    a: String,
    #[arg(long)]
    b: String,
    /// An API token of a registrar at site `--site`, for server A.
    #[arg(long)]
    token_a: String,
    /// The same for server B (a token works on both: sessions are in the database).
    #[arg(long)]
    token_b: String,
    #[arg(long, default_value = "PNH")]
    site: String,
    /// Registrations measured per configuration.
    #[arg(long, default_value_t = 600)]
    count: usize,
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// People edited through both servers at once.
    #[arg(long, default_value_t = 50)]
    edits: usize,
    /// Registrations looked for on the other server.
    #[arg(long, default_value_t = 5)]
    probes: usize,
}

#[derive(Clone)]
struct Server {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Server {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.context("request")?;
        let status = resp.status().as_u16();
        let v = resp.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, v))
    }

    async fn register(&self, site: &str, name: &str) -> anyhow::Result<(u16, Value)> {
        let body = json!({
            "full_name": name, "sex": "F", "age": 25, "site": site,
            "arrived_on": "2026-01-12", "confirm_warnings": true,
        });
        self.send(reqwest::Method::POST, "/api/v1/people", Some(body))
            .await
    }
}

/// Registrations/s and p99 of `count` registrations by `clients` clients spread over `servers`.
async fn throughput(
    servers: &[Server],
    site: &str,
    count: usize,
    clients: usize,
    tag: &str,
) -> anyhow::Result<(f64, Duration, usize)> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut set = JoinSet::new();
    for c in 0..clients {
        let (server, site, next, tag) = (
            servers[c % servers.len()].clone(),
            site.to_string(),
            next.clone(),
            tag.to_string(),
        );
        set.spawn(async move {
            let (mut lat, mut bad) = (Vec::new(), 0usize);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let t = Instant::now();
                let (status, _) = server
                    .register(&site, &format!("Bench {tag} {i} Wibisono"))
                    .await?;
                lat.push(t.elapsed());
                if status != 201 {
                    bad += 1;
                    eprintln!("registration answered {status}");
                }
            }
            anyhow::Ok((lat, bad))
        });
    }
    let (mut lat, mut bad) = (Vec::new(), 0);
    while let Some(r) = set.join_next().await {
        let (l, b) = r??;
        lat.extend(l);
        bad += b;
    }
    let wall = start.elapsed();
    lat.sort();
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];
    Ok((count as f64 / wall.as_secs_f64(), p99, bad))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let a = Server {
        base: o.a.clone(),
        token: o.token_a.clone(),
        http: http.clone(),
    };
    let b = Server {
        base: o.b.clone(),
        token: o.token_b.clone(),
        http,
    };
    let mut failures = Vec::new();

    // Throughput: one process, then both, in the same run.
    let (one_rate, one_p99, one_bad) =
        throughput(std::slice::from_ref(&a), &o.site, o.count, o.clients, "one").await?;
    let (two_rate, two_p99, two_bad) =
        throughput(&[a.clone(), b.clone()], &o.site, o.count, o.clients, "two").await?;
    println!(
        "registrations, {} clients: one process {:.0}/s p99 {:.1} ms; two processes {:.0}/s p99 {:.1} ms (ratio {:.2})",
        o.clients,
        one_rate,
        one_p99.as_secs_f64() * 1e3,
        two_rate,
        two_p99.as_secs_f64() * 1e3,
        two_rate / one_rate
    );
    if one_bad + two_bad > 0 {
        failures.push(format!("{} registrations failed", one_bad + two_bad));
    }

    // Lost updates: the same version edited through both servers at once.
    let mut ids = Vec::new();
    for i in 0..o.edits {
        let (status, v) = a.register(&o.site, &format!("Edit {i} Kusuma")).await?;
        if status != 201 {
            bail!("registering a person to edit: {status} {v}");
        }
        ids.push(v["id"].as_str().context("an id")?.to_string());
    }
    let (mut lost, mut refused, mut other) = (0, 0, Vec::new());
    let mut set = JoinSet::new();
    for id in ids {
        let (a, b) = (a.clone(), b.clone());
        set.spawn(async move {
            let edit = |who: &str| json!({"full_name": format!("Edited on {who}"), "version": 1, "confirm_warnings": true});
            let path = format!("/api/v1/people/{id}");
            let (ra, rb) = tokio::join!(
                a.send(reqwest::Method::PUT, &path, Some(edit("A"))),
                b.send(reqwest::Method::PUT, &path, Some(edit("B"))),
            );
            anyhow::Ok((ra?.0, rb?.0))
        });
    }
    while let Some(r) = set.join_next().await {
        match r?? {
            (200, 200) => lost += 1,
            (200, 409) | (409, 200) => refused += 1,
            pair => other.push(pair),
        }
    }
    println!("same-version edits on both servers: {} pairs, lost updates {lost}, refused with 409 {refused}, other {other:?}", o.edits);
    if lost > 0 {
        failures.push(format!("{lost} lost updates"));
    }
    if !other.is_empty() {
        failures.push(format!("unexpected answers to concurrent edits: {other:?}"));
    }

    // Visibility: registered on one, found by name on the other.
    let mut worst = Duration::ZERO;
    for i in 0..o.probes {
        for (from, to, dir) in [(&a, &b, "AB"), (&b, &a, "BA")] {
            // Letters only: the name index looks up words, not digits.
            let tag: String = i
                .to_string()
                .bytes()
                .map(|d| (b'a' + d - b'0') as char)
                .collect();
            let name = format!("Probe {dir}{tag} Sulistyowati");
            let (status, _) = from.register(&o.site, &name).await?;
            if status != 201 {
                bail!("registering a probe: {status}");
            }
            let start = Instant::now();
            loop {
                let q = format!("/api/v1/people?q={}", name.replace(' ', "%20"));
                let (_, v) = to.send(reqwest::Method::GET, &q, None).await?;
                if v["total"].as_u64() == Some(1) {
                    worst = worst.max(start.elapsed());
                    break;
                }
                if start.elapsed() > Duration::from_secs(1) {
                    failures.push(format!(
                        "{name} not found on the other server within a second: {v}"
                    ));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    println!(
        "registered on one, found by name on the other: worst {:.0} ms over {} probes",
        worst.as_secs_f64() * 1e3,
        2 * o.probes
    );

    if failures.is_empty() {
        println!("two servers: OK");
        Ok(())
    } else {
        for f in &failures {
            eprintln!("two servers: FAILED: {f}");
        }
        std::process::exit(1)
    }
}
