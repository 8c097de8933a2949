//! Embeds the migration tree: `OUT_DIR/migrations.rs` lists `(file name, contents)` of every
//! `migrations/*.sql`, in order, so that adding a migration is adding a file.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let dir =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 file name");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("out dir")).join("migrations.rs");
    std::fs::write(dest, out).expect("write migrations.rs");
}
