//! `load-bench`: the peak day of the surge replayed against a running `pulang serve` by
//! `--clients` concurrent desk clients over the JSON API, on a register of `--people`.
//!
//! Each client takes the next arrival of the day and does what a registrar does: two or three
//! `POST /api/v1/people/matches` while typing (name, then sex and birth date, then phone),
//! `POST /api/v1/desk/arrivals` (re-submitted with `same_as` or `confirmed_new` when the
//! desk answers with possible matches), `GET /api/v1/people?q=<name>` and
//! `GET /api/v1/people/{id}` (opening the record). After each request a client pauses about
//! `--think-ms` (default 1 s, at random between half and one and a half times it): a hundred
//! busy desks, ten or more times the pace of registrars typing. `--think-ms 0` is the desk at
//! full speed: the server's capacity, where latency is mostly queueing.
//!
//! The baseline, measured in the same run against the same server with the same concurrency,
//! is `GET /healthz`: what HTTP alone costs on this machine. Every endpoint's p99 is printed
//! as a ratio to it. Any failed request makes the exit status non-zero. `--solo` then loads
//! each endpoint alone at full speed, to tell which one is slow rather than slowed down by
//! the others; `--skip search` (or matches, person) leaves a step out of the desk flow.
//!
//! The register is written before the server starts (the server builds its indexes from the
//! database at start-up) through the store's bulk path: sealed like a registration, but
//! without audit events. It holds the replayed surge's first three days, so that the peak
//! day's repeat arrivals find their earlier record, then other surges up to `--people`
//! (people registered twice in the rush included, as in a real register).
//! `--keep DIR` keeps it; each run works on a copy, so every run starts from the same state.
//!
//! ```sh
//! cargo build --release -p pulang-cli && cargo build --release -p pulang-bench --bin load-bench
//! target/release/load-bench --people 100000 --keep /tmp/pulang-load-100k [--solo]
//! ```
#![allow(clippy::disallowed_methods)] // the register, sites and desk user are set up as the local operator, before the server runs

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use pulang_app::domain::{EncounterDetails, PersonDetails, Role};
use pulang_app::{AccessScope, App, DataConfig};
use pulang_bench::Prefill;
use pulang_demo::{surge, Arrival, Surge, JANUARY_2026};
use pulang_store::date_str;
use pulang_store::{Actor, KeyFile, Store};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinSet;

#[derive(Parser)]
struct Opts {
    /// People in the register before the run.
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Concurrent desk clients.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// About this many desk requests (≈ 5.7 per arrival; at most the peak day's 5,200
    /// arrivals); the baseline makes as many.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Keep the prefilled register in this directory (outside the repository) and reuse it
    /// on the next run with the same --people and --seed; a temporary one when absent.
    #[arg(long)]
    keep: Option<PathBuf>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Then load each endpoint alone (--requests / 4 each), same concurrency.
    #[arg(long)]
    solo: bool,
    /// Each desk client pauses about this long (0.5–1.5×, at random) after each of its
    /// requests, as a registrar typing does; 0 is full speed (the server's capacity; latency
    /// is then mostly queueing).
    #[arg(long, default_value_t = 1_000)]
    think_ms: u64,
    /// Leave a step out of the desk flow, to see what it costs the others (repeatable).
    #[arg(long, value_enum)]
    skip: Vec<Step>,
    /// Write every timed desk request here (CSV: endpoint, sent at ms, latency ms, ok), to
    /// see when the slow ones happened.
    #[arg(long)]
    samples: Option<PathBuf>,
    /// The `pulang` binary; by default the one next to this one (target/release/pulang).
    #[arg(long)]
    pulang: Option<PathBuf>,
}

/// The replayed surge: its peak day has 5,200 arrivals, its first three days 6,400.
const REPLAY_SCALE: f64 = 10.0;
/// People generated per filler surge: bounds memory at a million.
const PREFILL_CHUNK: usize = 100_000;
/// Written last by the prefill: a kept directory without it is incomplete.
const MARKER: &str = "load-bench.json";
const DESK_USER: &str = "loadbench";
/// Desk requests per arrival, on average (2.7 match look-ups, 1 registration, search, read).
const PER_ARRIVAL: f64 = 5.7;

fn app_err(e: pulang_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// The first day with the most arrivals (19 January).
fn peak(s: &Surge) -> time::Date {
    s.days
        .iter()
        .rev()
        .max_by_key(|d| d.arrivals)
        .expect("five days")
        .date
}

/// Arrivals as the store takes them, with their site code. Those registered twice in the rush
/// stay in twice, as in a real register (and the matcher's model, trained on the register at
/// start-up, learns from them what a match looks like).
fn validated<'a>(
    arrivals: impl Iterator<Item = &'a Arrival>,
    today: time::Date,
) -> Vec<(String, PersonDetails, EncounterDetails)> {
    arrivals
        .filter_map(|a| {
            let (d, mut v) = a.person.validate(today);
            let e = a.encounter.validate(today, None, &mut v)?;
            Some((e.site.clone(), d?, e))
        })
        .collect()
}

/// Sites, the desk user and its API token (through the app, while the register is still
/// empty so opening it is cheap), then `people` people through the store's bulk path.
async fn prefill(cfg: &DataConfig, people: usize, seed: u64) -> anyhow::Result<String> {
    let op = AccessScope::local_operator();
    let app = App::open(cfg).await.map_err(app_err)?.app;
    for (code, name) in pulang_demo::SITES {
        let tz = if code == "YGN" {
            "Asia/Yangon"
        } else {
            "Asia/Phnom_Penh"
        };
        app.add_site(&op, code, name, tz).await.map_err(app_err)?;
    }
    let password = format!("load-bench-{seed}-{}", std::process::id());
    app.add_user(&op, DESK_USER, &password, Role::Registrar, None)
        .await
        .map_err(app_err)?;
    let token = app
        .create_token(
            &op,
            DESK_USER,
            "load-bench",
            Some(pulang_app::tokens::MAX_DAYS),
        )
        .await
        .map_err(app_err)?
        .secret;
    app.close().await;

    let (store, _) = Store::open_with_key_file(&cfg.url(), &KeyFile::at(&cfg.key_path())).await?;
    let sites = store.sites().await?;
    let actor = Actor {
        user_id: "load-bench".into(),
        username: "load-bench".into(),
    };
    let t = Instant::now();
    let mut written = 0;
    let mut chunk = 0u64;
    let mut prefill = Prefill::new(store, actor, false);
    while written < people {
        let rows = if chunk == 0 {
            // The replayed surge's days before the peak: the people who may come back.
            let s = surge(seed, REPLAY_SCALE, JANUARY_2026);
            let p = peak(&s);
            validated(s.arrivals.iter().filter(|a| a.arrived_on < p), s.as_of)
        } else {
            // Fillers, from seeds far from the replay's.
            let want = (people - written).min(PREFILL_CHUNK);
            let s = surge(
                seed.wrapping_mul(1_000).wrapping_add(1_000 + chunk),
                want as f64 / 1440.0,
                JANUARY_2026,
            );
            validated(s.arrivals.iter(), s.as_of)
        };
        chunk += 1;
        let rows = &rows[..rows.len().min(people - written)];
        written += rows.len();
        for site in &sites {
            let mine: Vec<(PersonDetails, EncounterDetails)> = rows
                .iter()
                .filter(|(code, ..)| *code == site.code)
                .map(|(_, d, e)| (d.clone(), e.clone()))
                .collect();
            prefill.write(site, &mine).await?;
        }
        eprintln!("  prefill: {written} people ({:.0} s)", secs(t));
    }
    prefill.finish().await?;
    Ok(token)
}

/// The kept directory's token, or a fresh register (prefilled) and its token.
async fn prepare(dir: &Path, people: usize, seed: u64) -> anyhow::Result<String> {
    let marker = dir.join(MARKER);
    if marker.exists() {
        let m: Value = serde_json::from_slice(&std::fs::read(&marker)?)?;
        if m["people"].as_u64() != Some(people as u64) || m["seed"].as_u64() != Some(seed) {
            bail!(
                "{} was prefilled with {} people and seed {}; use another --keep directory",
                dir.display(),
                m["people"],
                m["seed"]
            );
        }
        eprintln!("reusing the register in {}", dir.display());
        return m["token"]
            .as_str()
            .map(str::to_string)
            .context("token in the marker");
    }
    if dir.join("pulang.sqlite3").exists() || dir.join("pulang.key").exists() {
        bail!(
            "{} holds an incomplete prefill (no {MARKER}); delete it",
            dir.display()
        );
    }
    let cfg = DataConfig {
        data_dir: dir.to_path_buf(),
        database_url: None,
    };
    eprintln!("prefilling {people} people into {}…", dir.display());
    let t = Instant::now();
    let token = prefill(&cfg, people, seed).await?;
    println!(
        "prefill: {people} people written in {:.1} s (bulk path, no audit events)",
        secs(t)
    );
    std::fs::write(
        &marker,
        json!({"people": people, "seed": seed, "token": token}).to_string(),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&marker, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(token)
}

/// A copy of the kept register to run on: runs write, and the next run must start from the
/// same register.
async fn copy_dir(from: &Path) -> anyhow::Result<tempfile::TempDir> {
    // Everything into the main database file first, so that copying it is enough.
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&Store::sqlite_url(from)).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await?;
        c.close().await?;
    }
    let parent = from.parent().unwrap_or(Path::new("/tmp"));
    let to = tempfile::Builder::new()
        .prefix("load-bench-run-")
        .tempdir_in(parent)?;
    for name in ["pulang.key", "pulang.sqlite3", MARKER] {
        std::fs::copy(from.join(name), to.path().join(name))?;
        // On disk before the server starts: otherwise the first checkpoint's fsync writes out
        // gigabytes of the copy and stalls every request behind the writer (seen: 0.5 s).
        std::fs::File::open(to.path().join(name))?.sync_all()?;
    }
    Ok(to)
}

/// One arrival as the desk types it.
struct Desk {
    full_name: String,
    sex: Option<String>,
    birth_date: Option<String>,
    age: Option<u16>,
    phones: Vec<String>,
    passport_no: Option<String>,
    site: String,
    arrived_on: String,
    group: Option<usize>,
    flags: Vec<pulang_app::domain::PersonFlag>,
    /// Registered before: the registrar recognises them among the candidates.
    repeat: bool,
}

impl Desk {
    /// What the possible-match panel is sent once everything is typed.
    fn typed(&self) -> Value {
        json!({
            "full_name": self.full_name, "sex": self.sex, "birth_date": self.birth_date,
            "age": self.age, "phones": self.phones,
        })
    }

    /// The desk form; the desk shows validation warnings while typing and the registrar
    /// confirms them.
    fn form(&self, group: Option<&str>) -> Value {
        json!({
            "full_name": self.full_name, "sex": self.sex, "birth_date": self.birth_date,
            "age": self.age, "phones": self.phones, "passport_no": self.passport_no,
            "site": self.site, "arrived_on": self.arrived_on, "group": group,
            "flags": self.flags, "confirm_warnings": true,
        })
    }
}

/// The replayed surge's peak day, in arrival order, and its groups (key → form).
fn replay_day(seed: u64) -> (Vec<Desk>, Vec<(usize, Value)>) {
    let s = surge(seed, REPLAY_SCALE, JANUARY_2026);
    let p = peak(&s);
    let desks: Vec<Desk> = s
        .arrivals
        .iter()
        .filter(|a| a.arrived_on == p)
        .map(|a| Desk {
            full_name: a.person.full_name.clone(),
            sex: a.person.sex.clone(),
            birth_date: a.person.birth_date.clone(),
            age: a.person.age,
            phones: a.person.phones.clone(),
            passport_no: a.person.passport_no.clone(),
            site: a.encounter.site.clone().unwrap_or_else(|| "PNH".into()),
            arrived_on: date_str(a.arrived_on),
            group: a.group,
            flags: a.triage.clone(),
            repeat: a.duplicate_of.is_some(),
        })
        .collect();
    let keys: std::collections::BTreeSet<usize> = desks.iter().filter_map(|d| d.group).collect();
    let groups = keys
        .into_iter()
        .map(|k| {
            let g = &s.groups[k];
            let form = json!({"name": g.name, "kind": g.kind, "site": g.site, "arrived_on": date_str(g.date)});
            (k, form)
        })
        .collect();
    (desks, groups)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
enum Step {
    Matches,
    Search,
    Person,
}

/// How the desk clients behave.
struct Flow {
    think: Duration,
    skip: Vec<Step>,
}

impl Flow {
    /// Half to one and a half times the think time: equal pauses would keep the clients in
    /// step, sending bursts of a hundred requests at once.
    async fn pause(&self) {
        if !self.think.is_zero() {
            tokio::time::sleep(self.think.mul_f64(0.5 + uniform())).await;
        }
    }
}

/// A number in [0, 1) from a shared SplitMix64 sequence.
fn uniform() -> f64 {
    static STATE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5eed);
    let mut z = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as f64 / 2f64.powi(64)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ep {
    Healthz,
    Matches,
    Arrival,
    Search,
    Person,
}

impl Ep {
    const DESK: [Ep; 4] = [Ep::Matches, Ep::Arrival, Ep::Search, Ep::Person];
    fn label(self) -> &'static str {
        match self {
            Ep::Healthz => "GET /healthz (baseline)",
            Ep::Matches => "POST people/matches",
            Ep::Arrival => "POST desk/arrivals",
            Ep::Search => "GET people?q=",
            Ep::Person => "GET people/{id}",
        }
    }
}

struct Sample {
    ep: Ep,
    /// When the request was sent.
    at: Instant,
    lat: Duration,
    ok: bool,
}

#[derive(Default)]
struct Tally {
    samples: Vec<Sample>,
    errors: Vec<String>,
    registered: usize,
    same_as: usize,
    confirmed_new: usize,
    search_totals: Vec<u64>,
    repeats: usize,
    repeats_shown: usize,
    /// People registered or arrived, to open again in the solo phase.
    ids: Vec<String>,
}

impl Tally {
    fn merge(parts: Vec<Tally>) -> Tally {
        let mut all = Tally::default();
        for mut p in parts {
            all.samples.append(&mut p.samples);
            all.errors.append(&mut p.errors);
            all.search_totals.append(&mut p.search_totals);
            all.ids.append(&mut p.ids);
            all.registered += p.registered;
            all.same_as += p.same_as;
            all.confirmed_new += p.confirmed_new;
            all.repeats += p.repeats;
            all.repeats_shown += p.repeats_shown;
        }
        all
    }
}

struct Http {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Http {
    /// One request, timed from sending to the last byte of the body; anything but 2xx fails.
    async fn call(&self, t: &mut Tally, ep: Ep, req: reqwest::RequestBuilder) -> Option<Value> {
        let start = Instant::now();
        let res = async {
            let r = req.bearer_auth(&self.token).send().await?;
            let status = r.status();
            let body = r.bytes().await?;
            anyhow::Ok((status, body))
        }
        .await;
        let lat = start.elapsed();
        let out = match res {
            Ok((s, body)) if s.is_success() => {
                Some(serde_json::from_slice(&body).unwrap_or(Value::Null))
            }
            Ok((s, body)) => {
                let body = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                t.errors.push(format!("{}: {s} {body}", ep.label()));
                None
            }
            Err(e) => {
                t.errors.push(format!("{}: {e:#}", ep.label()));
                None
            }
        };
        t.samples.push(Sample {
            ep,
            at: start,
            lat,
            ok: out.is_some(),
        });
        out
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base)).json(body)
    }

    fn search(&self, name: &str) -> reqwest::RequestBuilder {
        self.get("/api/v1/people")
            .query(&[("q", name), ("limit", "20")])
    }
}

/// What a registrar does for one arrival; stops at the first failed request.
async fn desk_flow(h: &Http, t: &mut Tally, f: &Flow, d: &Desk, group: Option<&str>) -> Option<()> {
    if !f.skip.contains(&Step::Matches) {
        // While typing: the name, then sex and birth date or age, then the phone.
        let mut typed = json!({"full_name": d.full_name});
        h.call(t, Ep::Matches, h.post("/api/v1/people/matches", &typed))
            .await?;
        f.pause().await;
        typed["sex"] = json!(d.sex);
        typed["birth_date"] = json!(d.birth_date);
        typed["age"] = json!(d.age);
        let mut shown = h
            .call(t, Ep::Matches, h.post("/api/v1/people/matches", &typed))
            .await?;
        f.pause().await;
        if !d.phones.is_empty() {
            shown = h
                .call(t, Ep::Matches, h.post("/api/v1/people/matches", &d.typed()))
                .await?;
            f.pause().await;
        }
        if d.repeat {
            t.repeats += 1;
            t.repeats_shown +=
                usize::from(shown["items"].as_array().is_some_and(|a| !a.is_empty()));
        }
    }
    let mut body = d.form(group);
    let mut out = h
        .call(t, Ep::Arrival, h.post("/api/v1/desk/arrivals", &body))
        .await?;
    f.pause().await;
    if out["outcome"] == "possible_matches" {
        // A repeat is the same person as the best candidate; anyone else is new.
        match out["candidates"][0]["id"].as_str().filter(|_| d.repeat) {
            Some(id) => {
                body["same_as"] = json!(id);
                t.same_as += 1;
            }
            None => {
                body["confirmed_new"] = json!(true);
                t.confirmed_new += 1;
            }
        }
        out = h
            .call(t, Ep::Arrival, h.post("/api/v1/desk/arrivals", &body))
            .await?;
        f.pause().await;
    } else {
        t.registered += 1;
    }
    let id = out["person_id"].as_str()?.to_string();
    if !f.skip.contains(&Step::Search) {
        let page = h.call(t, Ep::Search, h.search(&d.full_name)).await?;
        t.search_totals.push(page["total"].as_u64().unwrap_or(0));
        f.pause().await;
    }
    if !f.skip.contains(&Step::Person) {
        h.call(t, Ep::Person, h.get(&format!("/api/v1/people/{id}")))
            .await?;
        f.pause().await;
    }
    t.ids.push(id);
    Some(())
}

/// `clients` tasks taking the next job until `jobs` runs out, each starting after a random
/// part of `stagger`; returns the merged tally and the wall time.
async fn drive<F, Fut>(clients: usize, jobs: usize, stagger: Duration, job: F) -> (Tally, Duration)
where
    F: Fn(usize, Tally) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Tally> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut set = JoinSet::new();
    for _ in 0..clients {
        let (job, next) = (job.clone(), next.clone());
        set.spawn(async move {
            tokio::time::sleep(stagger.mul_f64(uniform())).await;
            let mut t = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break t;
                }
                t = job(i, t).await;
            }
        });
    }
    let tally = Tally::merge(set.join_all().await);
    (tally, start.elapsed())
}

/// `GET /healthz`, `n` times.
async fn baseline(h: &Arc<Http>, n: usize, clients: usize) -> (Tally, Duration) {
    let h = h.clone();
    drive(clients, n, Duration::ZERO, move |_, mut t| {
        let h = h.clone();
        async move {
            h.call(&mut t, Ep::Healthz, h.get("/healthz")).await;
            t
        }
    })
    .await
}

struct Row {
    n: usize,
    errors: usize,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Row {
    fn of(samples: &[Sample], ep: Option<Ep>, wall: Duration) -> Row {
        let mine: Vec<&Sample> = samples
            .iter()
            .filter(|s| ep.is_none_or(|e| s.ep == e))
            .collect();
        let mut ms: Vec<f64> = mine.iter().map(|s| s.lat.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            if ms.is_empty() {
                f64::NAN
            } else {
                ms[((ms.len() - 1) as f64 * p).round() as usize]
            }
        };
        Row {
            n: ms.len(),
            errors: mine.iter().filter(|s| !s.ok).count(),
            rps: ms.len() as f64 / wall.as_secs_f64(),
            p50: pct(0.50),
            p95: pct(0.95),
            p99: pct(0.99),
            max: ms.last().copied().unwrap_or(f64::NAN),
        }
    }

    fn print(&self, label: &str, base_p99: f64) {
        println!(
            "{label:<26} {:>8} {:>6} {:>8.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1}×",
            self.n,
            self.errors,
            self.rps,
            self.p50,
            self.p95,
            self.p99,
            self.max,
            self.p99 / base_p99
        );
    }
}

fn header() {
    println!(
        "{:<26} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "endpoint",
        "requests",
        "errors",
        "per s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "p99/base"
    );
}

/// `VmHWM` (peak resident set) and `VmRSS` of a process, in MiB.
fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<f64>()
            .ok()
    };
    Some((kib("VmHWM:")? / 1024.0, kib("VmRSS:")? / 1024.0))
}

/// CPU seconds (user + system) a process has used so far: with the wall time, how many of
/// the machine's cores the server and this client each kept busy.
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15,
    // in clock ticks of 1/100 s on Linux.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    f.get(11)
        .zip(f.get(12))
        .map_or(f64::NAN, |(u, s)| (u + s) / 100.0)
}

/// CPU use of the server and of this client over a phase.
struct Cpu {
    server: String,
    at: (f64, f64),
}

impl Cpu {
    fn start(pid: u32) -> Cpu {
        let server = pid.to_string();
        let at = (cpu_secs(&server), cpu_secs("self"));
        Cpu { server, at }
    }

    fn report(&self, wall: Duration) -> String {
        let w = wall.as_secs_f64();
        format!(
            "CPU busy: server {:.2} cores, load-bench client {:.2} cores",
            (cpu_secs(&self.server) - self.at.0) / w,
            (cpu_secs("self") - self.at.1) / w
        )
    }
}

/// A port nobody listens on now (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    anyhow::ensure!(
        o.clients > 0 && o.requests > 0,
        "--clients and --requests must be positive"
    );
    let pulang = match &o.pulang {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("pulang"),
    };
    anyhow::ensure!(
        pulang.exists(),
        "{} not found: cargo build --release -p pulang-cli (or pass --pulang)",
        pulang.display()
    );
    let (token, run_dir) = match &o.keep {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            let token = prepare(d, o.people, o.seed).await?;
            let t = Instant::now();
            let run = copy_dir(d).await?;
            eprintln!("copied the register for this run in {:.1} s", secs(t));
            (token, run)
        }
        None => {
            let run = tempfile::tempdir()?;
            (prepare(run.path(), o.people, o.seed).await?, run)
        }
    };
    let dir = run_dir.path();

    // The server, as an operator starts it.
    let port = free_port()?;
    let log_path = dir.join("server.log");
    let t = Instant::now();
    let mut server = tokio::process::Command::new(&pulang)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path)?)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", pulang.display()))?;
    let pid = server.id().context("server pid")?;
    let mut lines = BufReader::new(server.stdout.take().context("server stdout")?).lines();
    // "Pulang is running at … (Sqlite, N people indexed)": printed once the indexes are built.
    let started = async {
        loop {
            let line = lines.next_line().await?.with_context(|| {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                format!("the server stopped:\n{log}")
            })?;
            if let Some(head) = line.strip_suffix(" people indexed). Stop with Ctrl-C.") {
                break anyhow::Ok(head.rsplit(' ').next().unwrap_or("").parse::<usize>()?);
            }
        }
    };
    let indexed = tokio::time::timeout(Duration::from_secs(1800), started)
        .await
        .context("no start-up message from the server in 30 minutes")??;
    let startup = t.elapsed();
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(120))
        .build()?;
    let base = format!("http://127.0.0.1:{port}");
    let ready = client.get(format!("{base}/readyz")).send().await?;
    anyhow::ensure!(ready.status().is_success(), "/readyz: {}", ready.status());
    println!(
        "server: {indexed} people indexed; start-up (open, decrypt, index build) {:.1} s; RSS after start-up {:.0} MiB",
        startup.as_secs_f64(),
        memory_mib(pid).map_or(f64::NAN, |m| m.1)
    );
    let h = Arc::new(Http {
        client,
        base,
        token,
    });

    // Other work on the machine shows here (the server and this client share its cores).
    println!(
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (desks, group_forms) = replay_day(o.seed);
    let flow = Arc::new(Flow {
        think: Duration::from_millis(o.think_ms),
        skip: o.skip.clone(),
    });
    let per_arrival = PER_ARRIVAL
        - flow
            .skip
            .iter()
            .map(|s| if *s == Step::Matches { 2.7 } else { 1.0 })
            .sum::<f64>();
    let n = ((o.requests as f64 / per_arrival).ceil() as usize).min(desks.len());
    // The day's groups exist before their people reach the desk (not measured).
    let mut groups = Vec::new();
    for (k, form) in group_forms {
        let r = h
            .post("/api/v1/groups", &form)
            .bearer_auth(&h.token)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "creating a group: {}", r.status());
        let g: Value = r.json().await?;
        groups.push((k, g["id"].as_str().context("group id")?.to_string()));
    }
    let desks = Arc::new(desks);
    let groups = Arc::new(groups);
    let repeats = desks[..n].iter().filter(|d| d.repeat).count();
    println!(
        "replay: {n} arrivals of the peak day ({repeats} of them registered before), {} clients, {}{}",
        o.clients,
        if o.think_ms == 0 {
            "no pauses".to_string()
        } else {
            format!("pauses of {} ms ± 50 % after each request", o.think_ms)
        },
        if o.skip.is_empty() {
            String::new()
        } else {
            format!(", without {:?}", o.skip)
        }
    );

    // Warm-up, not timed: connections opened, and the indexes and database pages a desk
    // touches brought into memory with read-only look-ups (a server that has just started is
    // not what a surge day meets).
    let _ = baseline(&h, o.clients * 4, o.clients).await;
    let warm = {
        let (h, desks) = (h.clone(), desks.clone());
        drive(
            o.clients,
            o.clients * 10,
            Duration::ZERO,
            move |i, mut t| {
                let (h, desks) = (h.clone(), desks.clone());
                async move {
                    let d = &desks[(i / 2) % desks.len()];
                    let req = if i % 2 == 0 {
                        h.post("/api/v1/people/matches", &d.typed())
                    } else {
                        h.search(&d.full_name)
                    };
                    h.call(&mut t, Ep::Matches, req).await;
                    t
                }
            },
        )
        .await
        .0
    };
    anyhow::ensure!(warm.errors.is_empty(), "warm-up failed: {}", warm.errors[0]);
    let (base_t, base_wall) = baseline(&h, o.requests, o.clients).await;
    let b = Row::of(&base_t.samples, None, base_wall);

    let cpu = Cpu::start(pid);
    let (t, wall) = {
        let (h, desks, groups, flow) = (h.clone(), desks.clone(), groups.clone(), flow.clone());
        drive(o.clients, n, flow.think, move |i, mut t| {
            let (h, desks, groups, flow) = (h.clone(), desks.clone(), groups.clone(), flow.clone());
            async move {
                let d = &desks[i];
                let group = d
                    .group
                    .and_then(|k| groups.iter().find(|(g, _)| *g == k))
                    .map(|(_, id)| id.as_str());
                let _ = desk_flow(&h, &mut t, &flow, d, group).await;
                t
            }
        })
        .await
    };
    let cpu_load = cpu.report(wall);
    if let Some(path) = &o.samples {
        let t0 = t
            .samples
            .iter()
            .map(|s| s.at)
            .min()
            .unwrap_or_else(Instant::now);
        let mut csv = String::from("endpoint,sent_ms,latency_ms,ok\n");
        for s in &t.samples {
            csv.push_str(&format!(
                "{},{:.1},{:.2},{}\n",
                s.ep.label(),
                (s.at - t0).as_secs_f64() * 1e3,
                s.lat.as_secs_f64() * 1e3,
                s.ok
            ));
        }
        std::fs::write(path, csv)?;
    }
    let mem = memory_mib(pid);

    println!();
    header();
    b.print(Ep::Healthz.label(), b.p99);
    for ep in Ep::DESK {
        let r = Row::of(&t.samples, Some(ep), wall);
        if r.n > 0 {
            r.print(ep.label(), b.p99);
        }
    }
    let all = Row::of(&t.samples, None, wall);
    all.print("all desk requests", b.p99);
    let mut totals = t.search_totals.clone();
    totals.sort_unstable();
    println!(
        "\ndesk outcomes: {} registered at once, {} new after possible matches, {} recognised (same_as); \
         repeats with candidates in the panel: {}/{}; name search hits: median {}, max {}",
        t.registered,
        t.confirmed_new,
        t.same_as,
        t.repeats_shown,
        t.repeats,
        totals.get(totals.len() / 2).copied().unwrap_or(0),
        totals.last().copied().unwrap_or(0)
    );
    println!(
        "load: {:.1} s wall, {:.0} desk requests/s; {cpu_load}; server memory: peak {:.0} MiB (VmHWM), {:.0} MiB now",
        wall.as_secs_f64(),
        all.rps,
        mem.map_or(f64::NAN, |m| m.0),
        mem.map_or(f64::NAN, |m| m.1)
    );
    let mut errors: Vec<String> = t.errors.iter().chain(&base_t.errors).cloned().collect();

    if o.solo {
        // Each endpoint alone: the same people, the same concurrency, nothing else running.
        println!("\neach endpoint alone ({} clients):", o.clients);
        header();
        let m = (o.requests / 4).max(1);
        let ids = Arc::new(t.ids.clone());
        let fresh = desks.len() - n;
        for ep in Ep::DESK {
            if (ep == Ep::Person && ids.is_empty()) || (ep == Ep::Arrival && fresh == 0) {
                continue;
            }
            let (h, desks, ids) = (h.clone(), desks.clone(), ids.clone());
            let jobs = if ep == Ep::Arrival { m.min(fresh) } else { m };
            let cpu = Cpu::start(pid);
            let (s, wall) = drive(o.clients, jobs, Duration::ZERO, move |i, mut t| {
                let (h, desks, ids) = (h.clone(), desks.clone(), ids.clone());
                async move {
                    let d = &desks[i % n.max(1)];
                    let req = match ep {
                        Ep::Matches => h.post("/api/v1/people/matches", &d.typed()),
                        Ep::Search => h.search(&d.full_name),
                        Ep::Person => h.get(&format!("/api/v1/people/{}", ids[i % ids.len()])),
                        // Arrivals not yet registered, without a group, as new people.
                        _ => {
                            let mut f = desks[n + i].form(None);
                            f["confirmed_new"] = json!(true);
                            h.post("/api/v1/desk/arrivals", &f)
                        }
                    };
                    h.call(&mut t, ep, req).await;
                    t
                }
            })
            .await;
            let r = Row::of(&s.samples, Some(ep), wall);
            r.print(ep.label(), b.p99);
            println!("    {}", cpu.report(wall));
            errors.extend(s.errors);
        }
    }

    // Stop the server the way an operator does (SIGTERM: queued writes are committed).
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
    if tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .is_err()
    {
        server.kill().await?;
    }
    for e in errors.iter().take(10) {
        eprintln!("error: {e}");
    }
    if !errors.is_empty() {
        bail!("{} requests failed", errors.len());
    }
    Ok(())
}
