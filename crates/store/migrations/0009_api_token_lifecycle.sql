-- API tokens get an id (to list and revoke one without its secret), a label, an expiry and
-- the time of their last use. Tokens made before expire a year (the longest lifetime) after
-- they were created; their ids are made from their digests.
ALTER TABLE api_tokens ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
UPDATE api_tokens SET id = 'tok-' || substr(token_hash, 1, 24), label = 'token', expires_at = created_at + 31536000000;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
