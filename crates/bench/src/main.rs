//! `pulang-bench register`: registrations per second and latency through the app layer and over
//! HTTP (concurrent clients, encryption and audit on), on a database already holding many
//! people, next to a baseline of plain `INSERT`s of the same rows into the same database in
//! the same run.
#![allow(clippy::disallowed_methods)] // the bench sets up data as the local operator

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::{AccessScope, App, DataConfig, Submission};
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;
use tokio::sync::Semaphore;

#[derive(Parser)]
struct Opts {
    /// People registered before measuring.
    #[arg(long, default_value_t = 100_000)]
    prefill: usize,
    /// Registrations measured per method.
    #[arg(long, default_value_t = 5_000)]
    count: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// PostgreSQL URL (a fresh, empty database); SQLite in a temp dir when absent.
    #[arg(long)]
    database: Option<String>,
}

struct Run {
    name: &'static str,
    n: usize,
    wall: Duration,
    lat: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.n as f64 / self.wall.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.lat.clone();
        l.sort();
        l[((l.len() as f64 - 1.0) * p).round() as usize]
    }
}

fn rows(seed: u64, n: usize) -> Vec<(PersonForm, EncounterForm)> {
    let today = time::OffsetDateTime::now_utc().date();
    pulang_demo::people_gen::generate(seed, n, &["BEN"], today)
}

/// Registers one generated row through the app layer (encryption and audit on).
async fn register(
    app: &App,
    op: &AccessScope,
    (person, encounter): (PersonForm, EncounterForm),
) -> anyhow::Result<()> {
    app.register_person(
        op,
        Submission {
            person,
            encounter,
            confirm_warnings: true,
        },
    )
    .await
    .map(|_| ())
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs `n` jobs with `clients` in flight, recording each job's latency.
async fn drive<F, Fut>(name: &'static str, n: usize, clients: usize, job: F) -> anyhow::Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let job = Arc::new(job);
    let sem = Arc::new(Semaphore::new(clients));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await?;
        let job = job.clone();
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = job(i).await;
            drop(permit);
            r.map(|_| t.elapsed())
        }));
    }
    let mut lat = Vec::with_capacity(n);
    for h in handles {
        lat.push(h.await??);
    }
    Ok(Run {
        name,
        n,
        wall: start.elapsed(),
        lat,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let dir = tempfile::tempdir()?;
    let cfg = DataConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: o.database.clone(),
    };
    let app = App::open(&cfg)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .app;
    let op = AccessScope::local_operator();
    app.add_site(&op, "BEN", "Bench site", "Asia/Phnom_Penh")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "backend: {:?}; prefilling {} people…",
        app.backend(),
        o.prefill
    );

    let t = Instant::now();
    let pre = Arc::new(rows(1, o.prefill));
    {
        let (app, op, pre) = (app.clone(), op.clone(), pre.clone());
        drive("prefill", o.prefill, 64, move |i| {
            let (app, op, pre) = (app.clone(), op.clone(), pre.clone());
            async move { register(&app, &op, pre[i].clone()).await }
        })
        .await?;
    }
    eprintln!("prefilled in {:.1} s", t.elapsed().as_secs_f64());

    // Baseline: the same rows as plain INSERTs (no encryption, no audit, no index), one durable
    // transaction each, same concurrency, same database.
    let url = cfg.url();
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(if o.database.is_some() { 8 } else { 4 })
        .after_connect(|c, _| {
            Box::pin(async move {
                if c.backend_name() == "SQLite" {
                    c.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;").await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .context("baseline pool")?;
    pool.execute("CREATE TABLE IF NOT EXISTS bench_plain (id TEXT PRIMARY KEY, full_name TEXT, sex TEXT, birth_date TEXT, nik TEXT, passport_no TEXT, phones TEXT, province TEXT, arrived_on TEXT)")
        .await?;
    let measured = Arc::new(rows(2, o.count * 3));
    let base = {
        let (pool, m) = (pool.clone(), measured.clone());
        drive("plain INSERT (baseline)", o.count, o.clients, move |i| {
            let (pool, m) = (pool.clone(), m.clone());
            async move {
                let (p, e) = &m[i];
                sqlx::query("INSERT INTO bench_plain VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(format!("b{i}"))
                    .bind(p.full_name.clone())
                    .bind(p.sex.clone())
                    .bind(p.birth_date.clone())
                    .bind(p.nik.clone())
                    .bind(p.passport_no.clone())
                    .bind(p.phones.join(","))
                    .bind(p.origin_province.clone())
                    .bind(e.arrived_on.clone())
                    .execute(&pool)
                    .await?;
                Ok(())
            }
        })
        .await?
    };

    let via_app = {
        let (app, op, m, off) = (app.clone(), op.clone(), measured.clone(), o.count);
        drive(
            "app layer (encrypt + audit)",
            o.count,
            o.clients,
            move |i| {
                let (app, op, m) = (app.clone(), op.clone(), m.clone());
                async move { register(&app, &op, m[off + i].clone()).await }
            },
        )
        .await?
    };

    // HTTP: the real server in this process, clients with an API token.
    app.add_user(
        &op,
        "bench",
        "bench-password-123",
        pulang_app::domain::Role::Registrar,
        Some("BEN"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = app
        .create_token(&op, "bench", "bench", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .secret;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pulang_web::serve(
        app.clone(),
        Default::default(),
        listener,
        async {
            let _ = stop_rx.await;
        },
    ));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients)
        .build()?;
    let via_http = {
        let (m, off, url) = (
            measured.clone(),
            o.count * 2,
            format!("http://{addr}/api/v1/people"),
        );
        drive("HTTP JSON API (encrypt + audit)", o.count, o.clients, move |i| {
            let (m, client, url, token) = (m.clone(), client.clone(), url.clone(), token.clone());
            async move {
                let (p, e) = &m[off + i];
                let body = serde_json::json!({
                    "full_name": p.full_name, "aliases": p.aliases, "sex": p.sex, "birth_date": p.birth_date,
                    "age": p.age, "nik": p.nik, "passport_no": p.passport_no, "phones": p.phones,
                    "origin_province": p.origin_province, "origin_regency": p.origin_regency, "languages": p.languages,
                    "arrived_on": e.arrived_on, "arrival_route": e.arrival_route, "notes": e.notes, "confirm_warnings": true,
                });
                let r = client.post(&url).bearer_auth(&token).json(&body).send().await?;
                anyhow::ensure!(r.status().as_u16() == 201, "HTTP {}: {}", r.status(), r.text().await.unwrap_or_default());
                Ok(())
            }
        })
        .await?
    };
    let _ = stop_tx.send(());
    let _ = server.await;

    println!();
    println!(
        "Registrations on {:?} holding {}+ people, {} clients, {} per method",
        app.backend(),
        o.prefill,
        o.clients,
        o.count
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>14}",
        "method", "per sec", "p50 ms", "p99 ms", "vs baseline"
    );
    for r in [&base, &via_app, &via_http] {
        println!(
            "{:<34} {:>10.0} {:>10.2} {:>10.2} {:>13.2}x",
            r.name,
            r.rate(),
            r.pct(0.5).as_secs_f64() * 1e3,
            r.pct(0.99).as_secs_f64() * 1e3,
            r.rate() / base.rate()
        );
    }
    println!();
    println!(
        "target: HTTP >= 1000/s ({}), p99 < 50 ms ({})",
        if via_http.rate() >= 1000.0 {
            "met"
        } else {
            "NOT met"
        },
        if via_http.pct(0.99) < Duration::from_millis(50) {
            "met"
        } else {
            "NOT met"
        }
    );
    app.close().await;
    Ok(())
}
