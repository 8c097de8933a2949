-- Pulang foundation schema (SQLite). Times are Unix milliseconds (UTC); ids are UUIDv7 text.
-- Personal fields are BLOBs holding XChaCha20-Poly1305 ciphertext (see src/crypto.rs).
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
-- site_id NULL: the role holds on every site.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id),
    site_id TEXT REFERENCES sites(id),
    role TEXT NOT NULL
);
CREATE INDEX user_roles_user ON user_roles(user_id);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE TABLE case_counters (
    site_id TEXT NOT NULL REFERENCES sites(id),
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, year)
);
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    case_number TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    sex TEXT,
    age INTEGER,
    nationality TEXT NOT NULL,
    origin_province TEXT,
    origin_regency TEXT,
    languages TEXT NOT NULL,
    full_name BLOB NOT NULL,
    aliases BLOB NOT NULL,
    birth_date BLOB,
    nik BLOB,
    passport_no BLOB,
    phones BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_site ON people(site_id, created_at);
-- Keyed blind indexes (HMAC-SHA256) for exact look-ups of NIK, passport and phone.
CREATE TABLE person_lookup (
    digest TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id)
);
CREATE INDEX person_lookup_digest ON person_lookup(digest);
CREATE INDEX person_lookup_person ON person_lookup(person_id);
CREATE TABLE encounters (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    arrived_on TEXT NOT NULL,
    arrival_route TEXT NOT NULL,
    notes BLOB,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX encounters_person ON encounters(person_id);
CREATE TABLE person_history (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    fields TEXT NOT NULL,
    changes BLOB NOT NULL
);
CREATE INDEX person_history_person ON person_history(person_id);
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    site TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
