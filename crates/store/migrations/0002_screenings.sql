-- Screenings: the interview answers (sealed JSON), the outcome grade (for counts) and the
-- catalogue version it was decided under. A signed screening is locked; a correction is a new
-- row with the next version that names the one it supersedes.
CREATE TABLE screenings (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    version INTEGER NOT NULL,
    supersedes TEXT REFERENCES screenings(id),
    catalogue_version TEXT NOT NULL,
    status TEXT NOT NULL,
    input BLOB NOT NULL,
    outcome TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    signed_by TEXT,
    signed_at INTEGER
);
CREATE INDEX screenings_person ON screenings(person_id, version);
