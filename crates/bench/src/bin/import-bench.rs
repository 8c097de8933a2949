//! `import-bench`: a police-style XLSX list of `--rows` arrivals (default 100,000) imported into a
//! register of `--people` (default 1,000,000), matching included, next to the time it takes
//! only to read the same file in the same run.
//!
//! The people come from the seeded surge generator (`pulang-demo`: realistic Indonesian
//! arrivals, ~3 % of them registered twice, as in a real register — the matching model is
//! trained on the register and learns from those). The register is filled through the store's
//! bulk path (sealed like a registration, but one transaction per 20,000 people and no audit
//! events): building it is not what is measured.
//! The list is generated with ground truth: ~30 % of rows are people already in the register,
//! written as lists write them (capitals, family name first, birth date missing or with day
//! and month swapped, identifiers often left out); ~2 % repeat an earlier row (half verbatim,
//! half written differently); ~1 % are invalid. It prints parse, dry-run and import rates, the
//! counts, and the precision and recall of "matched to the right person".
//!
//! `cargo run --release -p pulang-bench --bin import-bench -- --people 100000`
#![allow(clippy::disallowed_methods)] // the bench sets up data as the local operator

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{anyhow, Context};
use clap::Parser;
use pulang_app::domain::{BirthDate, EncounterDetails, PersonDetails, Validation};
use pulang_app::import::{ImportReport, ImportRequest, RowOutcome};
use pulang_app::{AccessScope, App, DataConfig};
use pulang_bench::Prefill;
use pulang_demo::SplitMix64;
use pulang_store::{Actor, KeyFile, Store};
use rust_xlsxwriter::{Format, Workbook};

#[derive(Parser)]
struct Opts {
    /// People in the register before the import.
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Rows in the list.
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Also time reverting the import.
    #[arg(long)]
    revert: bool,
    /// Keep the generated list here.
    #[arg(long)]
    save_list: Option<std::path::PathBuf>,
    /// Keep the filled register here and reuse it on later runs with the same `--people` and
    /// `--seed` (filling a million takes minutes).
    #[arg(long)]
    cache: Option<std::path::PathBuf>,
}

const DB_FILES: [&str; 3] = ["pulang.sqlite3", "pulang.sqlite3-wal", "pulang.key"];

/// The cached register for these options, if there is one: copied into `dir`.
fn from_cache(
    cache: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<Option<Vec<(String, String)>>> {
    let ids = cache.join("ids.tsv");
    if !ids.exists() {
        return Ok(None);
    }
    for f in DB_FILES {
        if cache.join(f).exists() {
            std::fs::copy(cache.join(f), dir.join(f))?;
        }
    }
    Ok(Some(
        std::fs::read_to_string(ids)?
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    ))
}

fn to_cache(
    cache: &std::path::Path,
    dir: &std::path::Path,
    ids: &[(String, String)],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(cache)?;
    for f in DB_FILES {
        if dir.join(f).exists() {
            std::fs::copy(dir.join(f), cache.join(f))?;
        }
    }
    let tsv: String = ids.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    std::fs::write(cache.join("ids.tsv"), tsv)?;
    Ok(())
}

const SITE: &str = "BEN";

/// Who a list row really is: the person (the first arrival of their duplicate chain in the
/// generated surge), or `None` for a broken row that must be rejected.
type Truth = Option<usize>;

#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    /// An Excel date (serial day number), formatted as a date.
    Date(f64),
}

const HEADER: [&str; 9] = [
    "No",
    "Nama Lengkap",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "NIK",
    "No. Paspor",
    "No. HP",
    "Provinsi Asal",
    "Tanggal Penyerahan",
];

fn app_err(e: pulang_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

fn excel_serial(d: time::Date) -> f64 {
    let epoch = time::macros::date!(1899 - 12 - 30);
    (d - epoch).whole_days() as f64
}

fn dmy(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// A person as a host-country police list writes them; with `errors`, the mistakes such lists
/// make. Columns as [`HEADER`] from the name on.
fn police_row(
    rng: &mut SplitMix64,
    d: &PersonDetails,
    handover: time::Date,
    errors: bool,
) -> Vec<Cell> {
    let t = |s: String| Cell::Text(s);
    let mut name: Vec<String> = d.full_name.split(' ').map(str::to_string).collect();
    if errors && name.len() > 1 && rng.chance(35) {
        // Family name first.
        name.rotate_right(1);
    }
    let mut name = name.join(" ");
    if rng.chance(if errors { 65 } else { 50 }) {
        name = name.to_uppercase();
    }
    let sex = match d.sex {
        Some(pulang_app::domain::Sex::F) => "P",
        Some(pulang_app::domain::Sex::M) => "L",
        _ => "",
    };
    let birth = match d.birth_date {
        Some(_) if errors && rng.chance(25) => t(String::new()),
        Some(BirthDate::Full(b)) => {
            if errors && b.day() <= 12 && b.day() != u8::from(b.month()) && rng.chance(15) {
                // Month first: read day first, a valid but wrong date.
                t(format!(
                    "{:02}/{:02}/{}",
                    u8::from(b.month()),
                    b.day(),
                    b.year()
                ))
            } else if rng.chance(40) {
                Cell::Date(excel_serial(b))
            } else {
                t(dmy(b))
            }
        }
        Some(BirthDate::Year(y)) => t(y.to_string()),
        None => t(String::new()),
    };
    let keep = |rng: &mut SplitMix64, p: u64| !errors || rng.chance(p);
    let nik = match &d.nik {
        Some(n) if keep(rng, 30) => n.to_string(),
        _ => String::new(),
    };
    let passport = match &d.passport_no {
        Some(p) if keep(rng, 60) => p.clone(),
        _ => String::new(),
    };
    let phone = match d.phones.first() {
        Some(p) if keep(rng, 40) => match p.strip_prefix("+62") {
            Some(rest) => format!("0{rest}"),
            None => p.clone(),
        },
        _ => String::new(),
    };
    let province = match &d.origin_province {
        Some(p) if keep(rng, 50) => p.clone(),
        _ => String::new(),
    };
    vec![
        t(name),
        t(sex.into()),
        birth,
        t(nik),
        t(passport),
        t(phone),
        t(province),
        t(dmy(handover)),
    ]
}

/// The same row written by another hand: other case, the date as text.
fn restyle(row: &[Cell]) -> Vec<Cell> {
    row.iter()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (0, Cell::Text(s)) if s.chars().any(|c| c.is_lowercase()) => {
                Cell::Text(s.to_uppercase())
            }
            (0, Cell::Text(s)) => Cell::Text(title_case(s)),
            (2, Cell::Date(serial)) => {
                let d = time::macros::date!(1899 - 12 - 30) + time::Duration::days(*serial as i64);
                Cell::Text(format!(
                    "{}-{:02}-{:02}",
                    d.year(),
                    u8::from(d.month()),
                    d.day()
                ))
            }
            _ => c.clone(),
        })
        .collect()
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The arrivals' forms, validated, with the bench site: `None` where they do not validate.
fn validated(
    arrivals: &[pulang_demo::Arrival],
    today: time::Date,
) -> Vec<Option<(PersonDetails, EncounterDetails)>> {
    arrivals
        .iter()
        .map(|a| {
            let (d, _) = a.person.validate(today);
            let mut v = Validation::default();
            let mut e = a.encounter.clone();
            e.site = Some(SITE.into());
            let e = e.validate(today, Some(SITE), &mut v);
            Some((d?, e?)).filter(|_| v.errors.is_empty())
        })
        .collect()
}

fn xlsx(rows: &[Vec<Cell>]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Daftar WNI")?;
    // Official lists open with a title.
    ws.write_string(0, 0, "DAFTAR WNI YANG DISERAHKAN KEPADA KBRI")?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64)?;
        for (c, cell) in row.iter().enumerate() {
            let c = 1 + c as u16;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Date(serial) => {
                    ws.write_number_with_format(r, c, *serial, &date)?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

#[derive(Default)]
struct Quality {
    should_match: usize,
    should_match_register: usize,
    matched_right: usize,
    matched_wrong: usize,
    review_right: usize,
    missed: usize,
    invalid_rejected: usize,
    invalid: usize,
    valid_rejected: usize,
    /// How a row was matched → (right, wrong).
    by_kind: std::collections::BTreeMap<&'static str, (usize, usize)>,
}

/// Compares the report with the ground truth. A row "should match" when its person is in the
/// register, or was registered by an earlier row of the list; a match is right when the person
/// matched is the same person (any of their records).
fn quality(
    report: &ImportReport,
    truth: &[Truth],
    person_of_id: &HashMap<String, usize>,
    person_of_case: &HashMap<String, usize>,
) -> Quality {
    let mut q = Quality::default();
    let (mut by_id, mut by_case) = (person_of_id.clone(), person_of_case.clone());
    let registered: std::collections::HashSet<usize> = person_of_id.values().copied().collect();
    let mut listed = std::collections::HashSet::new();
    for (item, t) in report.items.iter().zip(truth) {
        let Some(who) = *t else {
            q.invalid += 1;
            q.invalid_rejected += usize::from(item.outcome == RowOutcome::Rejected);
            continue;
        };
        if item.outcome == RowOutcome::Rejected {
            q.valid_rejected += 1;
            continue;
        }
        let in_register = registered.contains(&who);
        let should = in_register || listed.contains(&who);
        q.should_match += usize::from(should);
        q.should_match_register += usize::from(in_register);
        match item.outcome {
            RowOutcome::Matched => {
                let got = item.person_id.as_ref().and_then(|p| by_id.get(p));
                let kind = item
                    .reasons
                    .iter()
                    .find_map(|r| {
                        ["same_as_line", "same_person_as_line", "already_imported"]
                            .into_iter()
                            .find(|k| r.starts_with(k))
                    })
                    .unwrap_or("register");
                let by = q.by_kind.entry(kind).or_default();
                if got == Some(&who) {
                    q.matched_right += 1;
                    by.0 += 1;
                } else {
                    q.matched_wrong += 1;
                    by.1 += 1;
                    if std::env::var_os("IMPORT_BENCH_DEBUG").is_some() && q.matched_wrong <= 12 {
                        eprintln!(
                            "wrong: line {} person {who} matched {:?} (person {:?}, should match: {should}): {}",
                            item.line,
                            item.case_number,
                            got,
                            item.reasons.join("; ")
                        );
                    }
                }
            }
            _ => {
                if should {
                    q.missed += 1;
                    let cand = item
                        .candidate_case_number
                        .as_ref()
                        .and_then(|c| by_case.get(c));
                    q.review_right += usize::from(cand == Some(&who));
                }
                // The person the row registered is this person too.
                if let (Some(pid), Some(case)) = (&item.person_id, &item.case_number) {
                    by_id.insert(pid.clone(), who);
                    by_case.insert(case.clone(), who);
                }
                listed.insert(who);
            }
        }
    }
    q
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let today = time::OffsetDateTime::now_utc().date();
    let dir = tempfile::tempdir()?;
    let cfg = DataConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: None,
    };
    let op = AccessScope::local_operator();
    let cache = o
        .cache
        .as_ref()
        .map(|c| c.join(format!("register-{}-{}", o.people, o.seed)));
    let cached = match &cache {
        Some(c) => from_cache(c, dir.path())?,
        None => None,
    };
    if cached.is_none() {
        let app = App::open(&cfg).await.map_err(app_err)?.app;
        app.add_site(&op, SITE, "Bench site", "Asia/Phnom_Penh")
            .await
            .map_err(app_err)?;
        app.close().await;
    }

    // The list's composition.
    let n_invalid = o.rows / 100;
    let n_dup = o.rows * 2 / 100;
    let n_exist = (o.rows * 30 / 100).min(o.people);
    let n_new = o.rows - n_invalid - n_dup - n_exist;

    // One surge for register and list: NIKs are unique across both, and some list people were
    // registered before (the surge's duplicates).
    let t = Instant::now();
    let wanted = o.people + n_new + n_invalid;
    // A few arrivals do not validate (a bench site replaces theirs); ask for a little more.
    let surge = pulang_demo::surge(
        o.seed,
        (wanted + wanted / 50 + 100) as f64 / 1440.0,
        pulang_demo::JANUARY_2026,
    );
    let mut person: Vec<usize> = Vec::with_capacity(surge.arrivals.len());
    for (i, a) in surge.arrivals.iter().enumerate() {
        let p = a.duplicate_of.map_or(i, |d| person[d]);
        person.push(p);
    }
    let forms = validated(&surge.arrivals, today);
    let ok: Vec<usize> = (0..forms.len()).filter(|&i| forms[i].is_some()).collect();
    anyhow::ensure!(ok.len() >= wanted, "too few valid arrivals generated");
    let (reg_idx, extra_idx) = ok[..wanted].split_at(o.people);
    let register: Vec<(PersonDetails, EncounterDetails)> = reg_idx
        .iter()
        .map(|&i| forms[i].clone().expect("valid"))
        .collect();
    let duplicates = reg_idx
        .iter()
        .filter(|&&i| surge.arrivals[i].duplicate_of.is_some())
        .count();
    eprintln!(
        "generated {} arrivals in {:.1} s; the register has {duplicates} records of people registered twice",
        surge.arrivals.len(),
        secs(t)
    );

    // The register, through the store's bulk path.
    let t = Instant::now();
    let register_ids: Vec<(String, String)> = if let Some(ids) = cached {
        ids
    } else {
        let (store, _) =
            Store::open_with_key_file(&cfg.url(), &KeyFile::at(&cfg.key_path())).await?;
        let site = store
            .sites()
            .await?
            .into_iter()
            .find(|s| s.code == SITE)
            .context("bench site")?;
        let actor = Actor {
            user_id: "bench".into(),
            username: "bench".into(),
        };
        let mut prefill = Prefill::new(store, actor, true);
        prefill.write(&site, &register).await?;
        let ids = prefill.finish().await?;
        if let Some(c) = &cache {
            to_cache(c, dir.path(), &ids)?;
        }
        ids
    };
    let prefill_s = secs(t);
    eprintln!(
        "register of {} people written in {prefill_s:.1} s",
        register_ids.len()
    );

    let person_of_id: HashMap<String, usize> = register_ids
        .iter()
        .zip(reg_idx)
        .map(|((id, _), &i)| (id.clone(), person[i]))
        .collect();
    let person_of_case: HashMap<String, usize> = register_ids
        .iter()
        .zip(reg_idx)
        .map(|((_, case), &i)| (case.clone(), person[i]))
        .collect();

    let t = Instant::now();
    let app = App::open(&cfg).await.map_err(app_err)?.app;
    let open_s = secs(t);
    eprintln!("opened (register decrypted and indexed) in {open_s:.1} s");

    // The list.
    let t = Instant::now();
    let mut rng = SplitMix64::new(o.seed ^ 0x5eed);
    let handover = today;
    let mut base: Vec<(Vec<Cell>, Truth)> = Vec::with_capacity(o.rows);
    let mut chosen = std::collections::HashSet::new();
    while chosen.len() < n_exist {
        chosen.insert(rng.below(register.len() as u64) as usize);
    }
    let mut chosen: Vec<usize> = chosen.into_iter().collect();
    chosen.sort_unstable();
    for k in chosen {
        base.push((
            police_row(&mut rng, &register[k].0, handover, true),
            Some(person[reg_idx[k]]),
        ));
    }
    for &i in extra_idx.iter().take(n_new) {
        let (d, _) = forms[i].as_ref().expect("valid");
        base.push((police_row(&mut rng, d, handover, false), Some(person[i])));
    }
    for &i in extra_idx.iter().skip(n_new).take(n_invalid) {
        let (d, _) = forms[i].as_ref().expect("valid");
        let mut row = police_row(&mut rng, d, handover, false);
        if rng.chance(50) {
            row[2] = Cell::Text(format!("31/02/{}", 1980 + rng.below(20)));
        } else {
            row[1] = Cell::Text("X".into());
        }
        base.push((row, None));
    }
    // Shuffle, then place each repeat somewhere after the row it repeats.
    for i in (1..base.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        base.swap(i, j);
    }
    let mut keyed: Vec<((usize, usize), Vec<Cell>, Truth)> = base
        .iter()
        .enumerate()
        .map(|(i, (r, t))| ((i, 0), r.clone(), *t))
        .collect();
    let mut d = 0;
    while d < n_dup {
        let j = rng.below(base.len() as u64) as usize;
        if base[j].1.is_none() {
            continue;
        }
        let row = if rng.chance(50) {
            base[j].0.clone()
        } else {
            restyle(&base[j].0)
        };
        let at = j + 1 + rng.below((base.len() - j) as u64) as usize;
        keyed.push(((at, 1 + d), row, base[j].1));
        d += 1;
    }
    keyed.sort_by_key(|k| k.0);
    let truth: Vec<Truth> = keyed.iter().map(|k| k.2).collect();
    let rows: Vec<Vec<Cell>> = keyed.into_iter().map(|k| k.1).collect();
    let bytes = xlsx(&rows)?;
    if let Some(p) = &o.save_list {
        std::fs::write(p, &bytes)?;
    }
    eprintln!(
        "list of {} rows written as XLSX ({:.1} MB) in {:.1} s",
        rows.len(),
        bytes.len() as f64 / 1e6,
        secs(t)
    );

    // (a) Reading only.
    let t = Instant::now();
    let parsed = pulang_import::parse(&bytes, &[], today).map_err(|e| anyhow!("{e}"))?;
    let parse_s = secs(t);
    anyhow::ensure!(
        parsed.rows.len() == rows.len(),
        "parsed {} of {} rows",
        parsed.rows.len(),
        rows.len()
    );
    drop(parsed);

    let req = |dry_run| ImportRequest {
        file_name: "police-list.xlsx".into(),
        source: "bench police list".into(),
        site: Some(SITE.into()),
        dry_run,
        overrides: Vec::new(),
    };
    // (b) Dry run.
    let t = Instant::now();
    let dry = app
        .import_list(&op, &bytes, req(true), &|_, _| {})
        .await
        .map_err(app_err)?;
    let dry_s = secs(t);
    // (c) The import.
    let t = Instant::now();
    let real = app
        .import_list(&op, &bytes, req(false), &|_, _| {})
        .await
        .map_err(app_err)?;
    let import_s = secs(t);
    let revert_s = if o.revert {
        let t = Instant::now();
        let r = app
            .revert_import(&op, real.batch_id.as_deref().unwrap_or_default())
            .await
            .map_err(app_err)?;
        eprintln!(
            "reverted: {} removed, {} unlinked, {} kept",
            r.removed,
            r.unlinked,
            r.kept.len()
        );
        Some(secs(t))
    } else {
        None
    };
    app.close().await;

    let n = rows.len() as f64;
    println!();
    println!(
        "Import of a {}-row police XLSX into a register of {} people (SQLite, synchronous=FULL, {} cores)",
        rows.len(),
        register_ids.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<34} {:>10} {:>12} {:>14}",
        "step", "seconds", "rows/s", "vs parse"
    );
    let line = |name: &str, s: f64| {
        println!(
            "{name:<34} {s:>10.2} {:>12.0} {:>13.2}x",
            n / s,
            (n / s) / (n / parse_s)
        )
    };
    line("(a) parse only", parse_s);
    line("(b) dry run", dry_s);
    line("(c) import", import_s);
    if let Some(s) = revert_s {
        line("(d) revert", s);
    }
    println!(
        "setup: register written in {prefill_s:.1} s, app opened (index built) in {open_s:.1} s"
    );
    println!();
    for (name, r) in [("dry run", &dry), ("import", &real)] {
        let sum = r.created + r.matched + r.review + r.rejected;
        println!(
            "{name:<8} rows {} = created {} + matched {} + review {} + rejected {} ({})",
            r.rows,
            r.created,
            r.matched,
            r.review,
            r.rejected,
            if sum == r.rows {
                "adds up"
            } else {
                "DOES NOT ADD UP"
            }
        );
        anyhow::ensure!(sum == r.rows, "{name}: counts do not add up");
    }
    let same: usize = dry
        .items
        .iter()
        .zip(&real.items)
        .filter(|(a, b)| a.outcome == b.outcome)
        .count();
    println!("dry run and import agree on {same} of {} rows", real.rows);
    let q = quality(&real, &truth, &person_of_id, &person_of_case);
    let matched = q.matched_right + q.matched_wrong;
    println!();
    println!(
        "ground truth: {} rows should match ({} of people in the register, the rest repeats of people new to it), {} invalid",
        q.should_match, q.should_match_register, q.invalid
    );
    println!(
        "matched {} ({:.1} % of rows; truth {:.1} %): {} to the right person, {} to a wrong one",
        matched,
        100.0 * matched as f64 / n,
        100.0 * q.should_match as f64 / n,
        q.matched_right,
        q.matched_wrong
    );
    for (kind, (right, wrong)) in &q.by_kind {
        let how = match *kind {
            "register" => "by the engine, to the register",
            "same_person_as_line" => "by the engine, to an earlier row",
            "same_as_line" => "identical content to an earlier row",
            _ => "imported before",
        };
        println!(
            "  {how:<40} {right:>7} right {wrong:>6} wrong (precision {:.4})",
            *right as f64 / (right + wrong).max(1) as f64
        );
    }
    println!(
        "precision {:.4}, recall {:.4}; of the {} missed, {} went to review with the right candidate",
        q.matched_right as f64 / matched.max(1) as f64,
        q.matched_right as f64 / q.should_match.max(1) as f64,
        q.missed,
        q.review_right
    );
    println!(
        "invalid rows rejected: {} of {}; valid rows rejected: {}",
        q.invalid_rejected, q.invalid, q.valid_rejected
    );
    println!(
        "target: 100,000 rows into 1,000,000 people in under 60 s: {:.1} s for {} rows into {} ({})",
        import_s,
        rows.len(),
        register_ids.len(),
        if o.rows >= 100_000 && o.people >= 1_000_000 {
            if import_s < 60.0 { "met" } else { "NOT met" }
        } else {
            "smaller run"
        }
    );
    Ok(())
}
