-- The key check: which key this database's personal data is encrypted under, so that a server
-- started with another key file (or with none) refuses instead of writing beside the data
-- under a new key. check_value is an HMAC of a fixed label under a sub-key derived from the
-- master key (see src/keys.rs); key_id, shown to operators, is the start of it. Neither
-- helps to guess the key. One row, written when the first key is adopted.
CREATE TABLE key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    check_value TEXT NOT NULL,
    key_id TEXT NOT NULL,
    adopted_at INTEGER NOT NULL
);
-- A key rotation under way (`pulang key rotate`): the next key's check value and how far the
-- re-encryption has come (part, and the last id or sequence number done in it). Servers refuse
-- to start while this row exists; the rotation removes it in the transaction that switches
-- key_check to the next key.
CREATE TABLE key_rotation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_check TEXT NOT NULL,
    part TEXT NOT NULL,
    after_key TEXT NOT NULL,
    started_at INTEGER NOT NULL
);
