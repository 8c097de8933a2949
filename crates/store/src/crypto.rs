//! Field encryption and blind indexes.
//!
//! One 32-byte master key lives in a key file outside the database (mode 0600). Two sub-keys are
//! derived from it with HKDF-SHA256: one for XChaCha20-Poly1305 field encryption, one for the
//! HMAC-SHA256 blind indexes that make exact look-ups possible without storing plaintext.
//! Every ciphertext binds `record id | field name` as associated data, so it cannot be moved to
//! another record or field without failing to decrypt. A row that belongs to a person (an
//! arrival's notes, a screening's answers, a history entry) also binds the person's id
//! (`record id | field name | person id`): changing the row's `person_id` in the database makes
//! it fail to open instead of showing one person's story under another.
//!
//! A third sub-key keys import row keys ([`Keyring::import_row_key`]), a fourth the audit seals, a fifth the key check
//! value the database keeps (see `keys.rs`), which tells a matching key from another one.
use pulang_domain::LookupKind;
use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::StoreError;

const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct Keyring {
    cipher: XChaCha20Poly1305,
    index_key: [u8; 32],
    audit_key: [u8; 32],
    row_key: [u8; 32],
    check_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(..)")
    }
}

impl Keyring {
    pub fn from_master(master: &[u8; 32]) -> Keyring {
        let hk = Hkdf::<Sha256>::new(Some(b"pulang-v1"), master);
        let mut enc = [0u8; 32];
        let mut idx = [0u8; 32];
        hk.expand(b"field-encryption", &mut enc)
            .expect("32 bytes is a valid HKDF length");
        hk.expand(b"blind-index", &mut idx)
            .expect("32 bytes is a valid HKDF length");
        let mut audit = [0u8; 32];
        hk.expand(b"audit-chain", &mut audit)
            .expect("32 bytes is a valid HKDF length");
        let mut row = [0u8; 32];
        hk.expand(b"import-row-key", &mut row)
            .expect("32 bytes is a valid HKDF length");
        let mut check = [0u8; 32];
        hk.expand(b"key-check", &mut check)
            .expect("32 bytes is a valid HKDF length");
        Keyring {
            cipher: XChaCha20Poly1305::new(&enc.into()),
            index_key: idx,
            audit_key: audit,
            row_key: row,
            check_key: check,
        }
    }

    /// The key check value: HMAC-SHA256 of a fixed label under a sub-key of its own. The
    /// database keeps it to recognise its key; it reveals nothing that helps to guess the key
    /// (unlike a plain hash of the key, it cannot be tested without the HKDF and HMAC per guess
    /// of 256 bits).
    pub fn check_value(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.check_key)
            .expect("HMAC accepts any key length");
        mac.update(b"pulang key check v1");
        hex::encode(mac.finalize().into_bytes())
    }

    /// A short name of the key for operators (the start of the check value).
    pub fn key_id(&self) -> String {
        self.check_value()[..16].to_string()
    }

    /// `record id | field`, and `| owner` for a row that belongs to a person. Field names never
    /// hold `|`, so the two forms cannot be confused.
    fn aad(record_id: &str, field: &str, owner: Option<&str>) -> Vec<u8> {
        let mut aad = Vec::with_capacity(record_id.len() + field.len() + 38);
        aad.extend_from_slice(record_id.as_bytes());
        aad.push(b'|');
        aad.extend_from_slice(field.as_bytes());
        if let Some(owner) = owner {
            aad.push(b'|');
            aad.extend_from_slice(owner.as_bytes());
        }
        aad
    }

    fn seal_aad(&self, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    fn open_aad(&self, aad: &[u8], field: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::Decrypt(field.to_string()));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .map_err(|_| StoreError::Decrypt(field.to_string()))
    }

    /// Encrypts `plain` for `record_id`'s `field`: nonce (24 bytes) followed by the ciphertext.
    pub fn seal(&self, record_id: &str, field: &str, plain: &[u8]) -> Vec<u8> {
        self.seal_aad(&Self::aad(record_id, field, None), plain)
    }

    pub fn open(&self, record_id: &str, field: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.open_aad(&Self::aad(record_id, field, None), field, sealed)
    }

    pub fn seal_str(&self, record_id: &str, field: &str, plain: &str) -> Vec<u8> {
        self.seal(record_id, field, plain.as_bytes())
    }

    pub fn open_str(
        &self,
        record_id: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        String::from_utf8(self.open(record_id, field, sealed)?)
            .map_err(|_| StoreError::Decrypt(field.to_string()))
    }

    /// Encrypts `plain` for `field` of `record_id`, a row that belongs to the person `owner`:
    /// it opens only for that record, field and person.
    pub fn seal_owned(&self, owner: &str, record_id: &str, field: &str, plain: &str) -> Vec<u8> {
        self.seal_aad(&Self::aad(record_id, field, Some(owner)), plain.as_bytes())
    }

    /// Opens what [`Keyring::seal_owned`] sealed; `Decrypt` when the row was moved to another
    /// person (or record, or field), tampered with, or sealed under another key.
    pub fn open_owned(
        &self,
        owner: &str,
        record_id: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        let plain = self.open_aad(&Self::aad(record_id, field, Some(owner)), field, sealed)?;
        String::from_utf8(plain).map_err(|_| StoreError::Decrypt(field.to_string()))
    }

    /// The stored key of an import row: HMAC-SHA256 of its content digest (which the import
    /// crate computes, unkeyed, from the row's name, birth date and identifiers) under a key of
    /// its own, truncated to 160 bits. Unkeyed, the digest would let whoever holds the database
    /// confirm a guess of who is in it by hashing the guess; keyed, only the key file can.
    /// 40 hex digits: never the length of an unkeyed digest written before (32, or more with
    /// a `#n` repeat suffix), so converted and unconverted keys cannot collide.
    pub fn import_row_key(&self, content_digest: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.row_key)
            .expect("HMAC accepts any key length");
        mac.update(content_digest.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..20])
    }

    /// The seal of an audit-chain value (an event's hash, or the head): HMAC-SHA256 under a
    /// key of its own, so that whoever can write the database but not read the key file cannot
    /// forge one.
    pub fn audit_seal(&self, what: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.audit_key)
            .expect("HMAC accepts any key length");
        mac.update(what.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `seal` is the seal of `what` (compared in constant time).
    pub fn audit_seal_matches(&self, what: &str, seal: &str) -> bool {
        let Ok(tag) = hex::decode(seal) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.audit_key)
            .expect("HMAC accepts any key length");
        mac.update(what.as_bytes());
        mac.verify_slice(&tag).is_ok()
    }

    /// Keyed digest of a normalised identifier, for exact look-ups. `kind` separates namespaces
    /// so a NIK and a phone number with the same digits never collide.
    pub fn blind_index(&self, kind: LookupKind, normalised: &str) -> String {
        let kind = kind.as_str();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC accepts any key length");
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..20])
    }
}

/// Opens a sealed field of a person's row for a list (arrivals, history, screenings): `None`
/// when it does not open — moved from another person, tampered with — which is logged with the
/// row's id (never its content) so that the damage is seen; the rest of the list still shows.
pub(crate) fn open_listed(
    keys: &Keyring,
    owner: &str,
    record_id: &str,
    field: &str,
    sealed: &[u8],
) -> Option<String> {
    match keys.open_owned(owner, record_id, field, sealed) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(record = record_id, field, error = %e, "a sealed field does not open");
            None
        }
    }
}

/// A key file: 32 bytes in hex, readable by its owner only.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    pub fn at(path: &Path) -> KeyFile {
        KeyFile {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::KeyFile(format!("{}: {e}", self.path.display()))
    }

    /// The key in the file, or `None` when there is no file. A file that other users may read
    /// or write is refused: the key is the only protection of the data at rest.
    pub fn load(&self) -> Result<Option<Keyring>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .map_err(|e| self.err(e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(StoreError::KeyFileExposed {
                    key_file: self.path.display().to_string(),
                    mode: mode & 0o777,
                });
            }
        }
        let bytes = hex::decode(text.trim()).map_err(|_| self.err("is not hex"))?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| self.err("must hold 32 bytes"))?;
        Ok(Some(Keyring::from_master(&master)))
    }

    /// Writes a new random key to the file (mode 0600, synced), which must not exist. The file
    /// appears whole or not at all: it is written under a temporary name and linked into place,
    /// so another process never reads half a key.
    pub fn create(&self) -> Result<Keyring, StoreError> {
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| self.err(e))?;
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts
            .open(&tmp)
            .and_then(|mut f| {
                writeln!(f, "{}", hex::encode(master))?;
                f.sync_all()
            })
            .and_then(|_| std::fs::hard_link(&tmp, &self.path));
        let _ = std::fs::remove_file(&tmp);
        written.map_err(|e| self.err(e))?;
        sync_dir(&dir);
        Ok(Keyring::from_master(&master))
    }

    /// Removes a key file this process created and did not use.
    pub fn remove(&self) -> Result<(), StoreError> {
        std::fs::remove_file(&self.path).map_err(|e| self.err(e))
    }

    /// Renames the file (within its directory), synced.
    pub fn rename_to(&self, to: &Path) -> Result<(), StoreError> {
        std::fs::rename(&self.path, to).map_err(|e| self.err(e))?;
        if let Some(dir) = to.parent() {
            sync_dir(dir);
        }
        Ok(())
    }
}

/// Makes a directory's entries durable (a new or renamed file survives a power cut).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::from_master(&[7u8; 32])
    }

    #[test]
    fn round_trip() {
        let k = ring();
        let c = k.seal_str("rec1", "full_name", "Siti Rahayu");
        assert_eq!(k.open_str("rec1", "full_name", &c).unwrap(), "Siti Rahayu");
        assert!(!c.windows(4).any(|w| w == b"Siti"));
    }

    #[test]
    fn ciphertext_cannot_move_to_another_record_or_field() {
        let k = ring();
        let c = k.seal_str("rec1", "full_name", "Siti");
        assert!(k.open("rec2", "full_name", &c).is_err());
        assert!(k.open("rec1", "aliases", &c).is_err());
        assert!(k.open("rec1", "full_name", &c[..10]).is_err());
    }

    #[test]
    fn an_owned_row_cannot_move_to_another_person() {
        let k = ring();
        let c = k.seal_owned("person-a", "enc1", "notes", "found at the border");
        assert_eq!(
            k.open_owned("person-a", "enc1", "notes", &c).unwrap(),
            "found at the border"
        );
        assert!(k.open_owned("person-b", "enc1", "notes", &c).is_err());
        assert!(k.open_owned("person-a", "enc2", "notes", &c).is_err());
        // The unowned form does not open it, nor does it open an unowned ciphertext.
        assert!(k.open("enc1", "notes", &c).is_err());
        let unowned = k.seal_str("enc1", "notes", "x");
        assert!(k.open_owned("person-a", "enc1", "notes", &unowned).is_err());
    }

    #[test]
    fn import_row_keys_are_keyed() {
        let a = ring();
        let b = Keyring::from_master(&[8u8; 32]);
        let digest = "0123456789abcdef0123456789abcdef";
        assert_eq!(a.import_row_key(digest), a.import_row_key(digest));
        assert_ne!(a.import_row_key(digest), b.import_row_key(digest));
        assert_ne!(a.import_row_key(digest), a.import_row_key("other"));
        assert_eq!(a.import_row_key(digest).len(), 40);
        // Not the blind index of the same text: each use has its own sub-key.
        assert_ne!(
            a.import_row_key(digest),
            a.blind_index(LookupKind::Nik, digest)
        );
    }

    #[test]
    fn blind_index_is_keyed_and_namespaced() {
        let a = ring();
        let b = Keyring::from_master(&[8u8; 32]);
        assert_eq!(
            a.blind_index(LookupKind::Nik, "1"),
            a.blind_index(LookupKind::Nik, "1")
        );
        assert_ne!(
            a.blind_index(LookupKind::Nik, "1"),
            b.blind_index(LookupKind::Nik, "1")
        );
        assert_ne!(
            a.blind_index(LookupKind::Nik, "1"),
            a.blind_index(LookupKind::Phone, "1")
        );
    }

    #[test]
    fn key_file_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/pulang.key");
        let f = KeyFile::at(&p);
        assert!(f.load().unwrap().is_none());
        let k1 = f.create().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let k2 = f.load().unwrap().expect("the key just written");
        assert_eq!(
            k1.blind_index(LookupKind::Passport, "y"),
            k2.blind_index(LookupKind::Passport, "y")
        );
        assert_eq!(k1.check_value(), k2.check_value());
        // Never over an existing key.
        assert!(matches!(f.create(), Err(StoreError::KeyFile(_))));
        assert_eq!(f.load().unwrap().unwrap().check_value(), k1.check_value());
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pulang.key");
        KeyFile::at(&p).create().unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            match KeyFile::at(&p).load() {
                Err(e @ StoreError::KeyFileExposed { .. }) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("chmod 600") && msg.contains("pulang.key"),
                        "{msg}"
                    );
                }
                other => panic!("mode {mode:o}: {other:?}"),
            }
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(KeyFile::at(&p).load().unwrap().is_some());
    }

    #[test]
    fn check_value_tells_keys_apart_and_is_not_a_sub_key() {
        let a = ring();
        let b = Keyring::from_master(&[8u8; 32]);
        assert_eq!(a.check_value(), ring().check_value());
        assert_ne!(a.check_value(), b.check_value());
        assert_ne!(a.check_value(), a.audit_seal("pulang key check v1"));
        assert!(a.check_value().starts_with(&a.key_id()));
    }
}
