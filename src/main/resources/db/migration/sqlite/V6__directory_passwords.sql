-- Gatehouse store, schema 6 (SQLite): the bind passwords of the directories added from the console
-- or the API (SPEC §8; docs/CONSOLE.md "Directories"). Write-only: no page, API answer, audit entry
-- or log line shows one. Same schema in the PostgreSQL folder.
-- password: as entered, in clear, as a bind_password_file holds it: whoever can read this table can
-- also change the policy; protect the store (and its backups) as that file would be protected.
CREATE TABLE directory_password (
    directory  TEXT    NOT NULL PRIMARY KEY,
    password   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
) STRICT;
