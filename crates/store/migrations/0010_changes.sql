-- The change feed: one row per record whose change the in-memory caches of every process
-- must follow (a person for the name and matching indexes, a site for the site list), written
-- in the same transaction as the change. `seq` is MAX + 1 allocated under the one write lock
-- (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so it increases in commit
-- order and without gaps: a reader that has seen `seq` has seen every change before it.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    at INTEGER NOT NULL
);
