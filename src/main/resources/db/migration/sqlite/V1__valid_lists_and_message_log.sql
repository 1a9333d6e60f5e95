-- Gatehouse store, schema 1 (SQLite). The PostgreSQL folder holds the same schema; keep the two
-- in step: same tables, columns, meanings and indexes, each in its dialect's types.
-- Times are epoch milliseconds (INTEGER) in both dialects, so that values and comparisons are
-- identical whichever store a node uses.

-- Valid lists (SPEC §3): one row per entry. entry is a lower-case address of the domain, or
-- "@domain" for every address of it; domain is lower-case ASCII (IDN in xn-- form).
-- WITHOUT ROWID: the primary key is the table, so a million entries are stored once, not twice.
CREATE TABLE valid_recipient (
    domain TEXT NOT NULL,
    entry  TEXT NOT NULL,
    PRIMARY KEY (domain, entry)
) STRICT, WITHOUT ROWID;

-- One row per kind of data (and per valid list), its revision bumped in the transaction of every
-- change: nodes notice changes by polling these tiny rows.
CREATE TABLE store_revision (
    name     TEXT    NOT NULL PRIMARY KEY,
    revision INTEGER NOT NULL
) STRICT;

-- Every RCPT decision and every delivery. Absent values are empty strings, never NULL.
CREATE TABLE message_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('rcpt', 'delivery')),
    client    TEXT    NOT NULL,
    helo      TEXT    NOT NULL,
    sender    TEXT    NOT NULL,
    recipient TEXT    NOT NULL,
    verdict   TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    reply     TEXT    NOT NULL,
    queue_id  TEXT    NOT NULL
) STRICT;

CREATE INDEX message_log_at ON message_log (at);
CREATE INDEX message_log_recipient ON message_log (recipient);
CREATE INDEX message_log_sender ON message_log (sender);
CREATE INDEX message_log_client ON message_log (client);
CREATE INDEX message_log_queue_id ON message_log (queue_id);
