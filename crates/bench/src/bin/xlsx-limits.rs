//! `xlsx-limits`: the size of a realistic police hand-over list of `--rows` rows (default
//! 1,000,000, `pulang_import::MAX_ROWS`) as XLSX — packed, and unpacked part by part — and the
//! time `pulang_import` takes to read it. These figures set `MAX_UNPACKED_BYTES` and
//! `MAX_SHARED_STRINGS_BYTES` (with headroom); rerun it when the caps are reconsidered.
//!
//! Every row has all ten columns filled (number, name, sex, birth date, NIK, passport, phone,
//! province, regency, hand-over date), names and identifiers distinct: the largest a list of
//! that many rows realistically is (real lists leave identifiers out).
//!
//! `cargo run --release -p pulang-bench --bin xlsx-limits -- --rows 1000000`
use std::io::Read;
use std::time::Instant;

use clap::Parser;
use pulang_demo::SplitMix64;
use rust_xlsxwriter::{Format, Workbook};

#[derive(Parser)]
struct Opts {
    #[arg(long, default_value_t = pulang_import::MAX_ROWS)]
    rows: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Keep the list here.
    #[arg(long)]
    save: Option<std::path::PathBuf>,
}

const HEADER: [&str; 10] = [
    "No",
    "Nama Lengkap",
    "L/P",
    "Tgl Lahir",
    "NIK",
    "No. Paspor",
    "No HP",
    "Asal Provinsi",
    "Kabupaten/Kota",
    "Tgl Serah Terima",
];
const GIVEN: [&str; 12] = [
    "Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Wahyu", "Ayu", "Andi", "Putri", "Rizky", "Nur",
];
const FAMILY: [&str; 10] = [
    "Rahayu",
    "Santoso",
    "Lestari",
    "Prasetyo",
    "Anggraini",
    "Hidayat",
    "Kurniawan",
    "Wulandari",
    "Saputra",
    "Permata",
];
const PROVINCES: [(&str, &str); 4] = [
    ("Jawa Barat", "Kabupaten Indramayu"),
    ("Jawa Timur", "Kabupaten Banyuwangi"),
    ("Nusa Tenggara Barat", "Kabupaten Lombok Timur"),
    ("Sumatera Utara", "Kota Medan"),
];

fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    let mut rng = SplitMix64::new(o.seed);
    let t = Instant::now();
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Daftar WNI")?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..o.rows {
        let r = 1 + i as u32;
        // A distinct name per row: a made-up third word makes most of them unique, as in a
        // real list where few names repeat exactly.
        let name = format!(
            "{} {} {}",
            rng.pick(&GIVEN),
            rng.pick(&FAMILY),
            pulang_demo_word(&mut rng)
        )
        .to_uppercase();
        let (prov, reg) = rng.pick(&PROVINCES);
        ws.write_number(r, 0, (i + 1) as f64)?;
        ws.write_string(r, 1, &name)?;
        ws.write_string(r, 2, if rng.chance(50) { "P" } else { "L" })?;
        ws.write_number_with_format(r, 3, 29_000.0 + rng.below(9_000) as f64, &date)?;
        ws.write_string(
            r,
            4,
            format!("{:016}", 3_200_000_000_000_000 + rng.below(1 << 40)),
        )?;
        ws.write_string(r, 5, format!("X{:07}", rng.below(10_000_000)))?;
        ws.write_string(r, 6, format!("08{:010}", rng.below(10_000_000_000)))?;
        ws.write_string(r, 7, *prov)?;
        ws.write_string(r, 8, *reg)?;
        ws.write_string(r, 9, format!("{:02}/01/2026", 1 + i % 28))?;
    }
    let bytes = wb.save_to_buffer()?;
    println!(
        "{} rows x {} columns built in {:.1} s: {:.1} MiB packed",
        o.rows,
        HEADER.len(),
        t.elapsed().as_secs_f64(),
        mib(bytes.len() as u64)
    );
    if let Some(p) = &o.save {
        std::fs::write(p, &bytes)?;
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i)?;
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let k = f.read(&mut buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
        }
        total += n;
        if n > 1 << 20 {
            println!("  {:<28} {:>8.1} MiB unpacked", f.name()?, mib(n));
        }
    }
    println!(
        "  {:<28} {:>8.1} MiB unpacked (cap {} MiB, shared strings cap {} MiB)",
        "all parts",
        mib(total),
        pulang_import::MAX_UNPACKED_BYTES >> 20,
        pulang_import::MAX_SHARED_STRINGS_BYTES >> 20
    );
    let t = Instant::now();
    let parsed = pulang_import::parse(&bytes, &[], time::macros::date!(2026 - 02 - 01));
    match parsed {
        Ok(p) => println!(
            "read in {:.1} s: {} rows",
            t.elapsed().as_secs_f64(),
            p.rows.len()
        ),
        Err(e) => println!("refused in {:.1} s: {e}", t.elapsed().as_secs_f64()),
    }
    Ok(())
}

/// A made-up word of three syllables.
fn pulang_demo_word(rng: &mut SplitMix64) -> String {
    const C: &[u8] = b"bdghjklmnprstwy";
    const V: &[u8] = b"aiueo";
    (0..3)
        .flat_map(|_| [*rng.pick(C) as char, *rng.pick(V) as char])
        .collect()
}

fn mib(n: u64) -> f64 {
    n as f64 / (1 << 20) as f64
}
