-- Gatehouse store, schema 5 (PostgreSQL): the last good snapshot of each LDAP directory (SPEC §8),
-- so that a restarted node answers from it before the directory does. Same schema in the SQLite
-- folder.
-- content: the snapshot's addresses in stored form (lower case, ASCII domain), one a line, UTF-8,
-- gzip-compressed; written whole by each accepted sync, with the store_revision row
-- 'directory:<name>' bumped in the same transaction.
CREATE TABLE directory_snapshot (
    directory TEXT   NOT NULL PRIMARY KEY,
    taken_at  BIGINT NOT NULL,
    entries   BIGINT NOT NULL,
    addresses BIGINT NOT NULL,
    content   BYTEA  NOT NULL
);
