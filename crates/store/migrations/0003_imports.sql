-- Bulk imports of host-country lists. A batch records the file (by hash) and who imported it;
-- each imported row is recorded by its content key per site, which makes re-importing the same
-- or an overlapping list idempotent and an interrupted import resumable.
CREATE TABLE import_batches (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    report BLOB
);
CREATE TABLE import_rows (
    site_id TEXT NOT NULL REFERENCES sites(id),
    row_key TEXT NOT NULL,
    batch_id TEXT NOT NULL REFERENCES import_batches(id),
    line INTEGER NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    PRIMARY KEY (site_id, row_key)
);
