-- Identity resolution and surge intake.
-- A merged record keeps its own row (and its encounters, history and screenings) and points at
-- the record it was merged into: unmerging clears the pointer, so a merge is fully reversible.
ALTER TABLE people ADD COLUMN merged_into TEXT REFERENCES people(id);
CREATE INDEX people_merged_into ON people(merged_into);
CREATE TABLE merges (
    id TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL REFERENCES people(id),
    merged_id TEXT NOT NULL REFERENCES people(id),
    review_id TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    undone_by TEXT,
    undone_at INTEGER
);
CREATE INDEX merges_survivor ON merges(survivor_id);
CREATE INDEX merges_merged ON merges(merged_id);
-- Pairs a person must decide on. `reasons` holds field levels and weights only (no personal data).
CREATE TABLE match_reviews (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    left_id TEXT NOT NULL REFERENCES people(id),
    right_id TEXT NOT NULL REFERENCES people(id),
    probability DOUBLE PRECISION NOT NULL,
    reasons TEXT NOT NULL,
    origin TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    UNIQUE (left_id, right_id)
);
CREATE INDEX match_reviews_status ON match_reviews(status, site_id);
-- People who arrived together: a police hand-over, a rescue operation.
CREATE TABLE arrival_groups (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    arrived_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX arrival_groups_site ON arrival_groups(site_id, arrived_on);
ALTER TABLE encounters ADD COLUMN group_id TEXT REFERENCES arrival_groups(id);
-- The queue number printed on the arrival slip, per site and day.
ALTER TABLE encounters ADD COLUMN ticket INTEGER;
ALTER TABLE encounters ADD COLUMN batch_id TEXT REFERENCES import_batches(id);
CREATE INDEX encounters_group ON encounters(group_id);
CREATE UNIQUE INDEX encounters_ticket ON encounters(site_id, arrived_on, ticket);
CREATE TABLE ticket_counters (
    site_id TEXT NOT NULL REFERENCES sites(id),
    day TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
);
-- Triage flags set at the desk (child, medical, pregnancy, disability, interpreter) and the
-- system's re-trafficking flag.
CREATE TABLE person_flags (
    person_id TEXT NOT NULL REFERENCES people(id),
    flag TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    PRIMARY KEY (person_id, flag)
);
-- Steps on the way home: sheltered, documented, returned.
CREATE TABLE milestones (
    person_id TEXT NOT NULL REFERENCES people(id),
    milestone TEXT NOT NULL,
    on_date TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    PRIMARY KEY (person_id, milestone)
);
ALTER TABLE import_rows ADD COLUMN outcome TEXT NOT NULL DEFAULT 'created';
