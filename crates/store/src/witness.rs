//! The audit witness: the head of the audit chain (sequence number and hash) as this server
//! last committed it, kept in a file beside the key file, outside the database. Seals stop
//! anyone without the key from rewriting the log, but not from putting back an older copy of
//! the whole database (a restored backup, a rolled-back volume): its chain is shorter than
//! the one this server witnessed, or differs where it witnessed it. A leaf module.
use std::path::{Path, PathBuf};

/// Where the witness file lives, and writing and reading it.
#[derive(Debug, Clone)]
pub(crate) struct Witness {
    path: PathBuf,
}

impl Witness {
    pub(crate) fn at(path: &Path) -> Witness {
        Witness {
            path: path.to_path_buf(),
        }
    }

    /// Records the head. Written to a temporary file and renamed, so a reader never sees half
    /// of it; not synced: after a crash the witness may lag (which raises no false alarm).
    pub(crate) fn record(&self, seq: i64, hash: &str) -> std::io::Result<()> {
        let tmp = self.path.with_extension("witness.tmp");
        std::fs::write(&tmp, format!("{seq} {hash}\n"))?;
        std::fs::rename(&tmp, &self.path)
    }

    /// The head last recorded, if there is a readable witness.
    pub(crate) fn read(&self) -> Option<(i64, String)> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let (seq, hash) = text.trim().split_once(' ')?;
        Some((seq.parse().ok()?, hash.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let w = Witness::at(&dir.path().join("audit.witness"));
        assert_eq!(w.read(), None);
        w.record(42, "abc").unwrap();
        assert_eq!(w.read(), Some((42, "abc".to_string())));
        std::fs::write(dir.path().join("audit.witness"), "garbage").unwrap();
        assert_eq!(w.read(), None);
    }
}
