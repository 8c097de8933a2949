-- Sign-in attempts, counted in the database so that every server process on one database
-- sees the same counts (kept in each process's memory before, an attacker could spread
-- guesses over several servers). One row per attempt per counter (an account or a client
-- address); rows older than the window are deleted as new attempts come.
CREATE TABLE signin_attempts (
    id TEXT PRIMARY KEY,
    counter TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX signin_attempts_counter_at ON signin_attempts (counter, at);
