-- Idempotent requests: a client's Idempotency-Key, recorded in the same transaction as the first
-- change its request makes, with the answer it was given (sealed: it may name the person) so a
-- retry gets that answer instead of making the change twice. Kept a day.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    answer BLOB,
    PRIMARY KEY (user_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
