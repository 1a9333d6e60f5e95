-- Gatehouse store, schema 5 (SQLite): the last good snapshot of each LDAP directory (SPEC §8), so
-- that a restarted node answers from it before the directory does. Same schema in the PostgreSQL
-- folder.
-- content: the snapshot's addresses in stored form (lower case, ASCII domain), one a line, UTF-8,
-- gzip-compressed; written whole by each accepted sync, with the store_revision row
-- 'directory:<name>' bumped in the same transaction.
CREATE TABLE directory_snapshot (
    directory TEXT    NOT NULL PRIMARY KEY,
    taken_at  INTEGER NOT NULL,
    entries   INTEGER NOT NULL,
    addresses INTEGER NOT NULL,
    content   BLOB    NOT NULL
) STRICT;
