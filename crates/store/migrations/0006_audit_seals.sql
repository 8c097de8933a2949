-- Audit chain seals: an HMAC under a key derived from the master key (not in the database) of
-- each event's hash and of the head, so that editing, deleting, reordering, truncating or
-- forging events cannot be hidden by recomputing the plain hashes. Events written before this
-- migration are sealed when the server first starts with it.
ALTER TABLE audit_events ADD COLUMN seal TEXT;
ALTER TABLE audit_head ADD COLUMN seal TEXT;
