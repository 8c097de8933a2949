-- Rows whose sealed field or key was written before it was bound to its person or keyed
-- (issue #11): arrivals' notes, screenings' answers and history entries were sealed with
-- `record id | field` only, and import row keys were unkeyed SHA-256 digests of a row's name,
-- birth date and identifiers. Their new form needs the key file, which the database never
-- sees: the server redoes each listed row once at start-up (`rebind.rs`), taking it off this
-- list in the same transaction, so that a crash part-way leaves every row in one form or the
-- other and a restart finishes the rest. An import row's old key is its content digest, the
-- very input of the keyed form, so it converts exactly: resumed and repeated imports still
-- skip the rows imported before.
CREATE TABLE rebind_pending (
    tbl TEXT NOT NULL,
    site_id TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (tbl, site_id, id)
);
INSERT INTO rebind_pending (tbl, site_id, id)
    SELECT 'encounters', site_id, id FROM encounters WHERE notes IS NOT NULL;
INSERT INTO rebind_pending (tbl, site_id, id)
    SELECT 'screenings', site_id, id FROM screenings;
INSERT INTO rebind_pending (tbl, site_id, id)
    SELECT 'person_history', '', id FROM person_history;
INSERT INTO rebind_pending (tbl, site_id, id)
    SELECT 'import_rows', site_id, row_key FROM import_rows;
