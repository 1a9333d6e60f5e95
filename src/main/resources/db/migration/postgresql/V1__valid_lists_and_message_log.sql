-- Gatehouse store, schema 1 (PostgreSQL). The SQLite folder holds the same schema; keep the two
-- in step: same tables, columns, meanings and indexes, each in its dialect's types.
-- Times are epoch milliseconds (BIGINT) in both dialects, so that values and comparisons are
-- identical whichever store a node uses.
-- COLLATE "C": byte order, as SQLite's BINARY collation, so both stores sort and export a list in
-- the same order whatever the database's locale.

-- Valid lists (SPEC §3): one row per entry. entry is a lower-case address of the domain, or
-- "@domain" for every address of it; domain is lower-case ASCII (IDN in xn-- form).
CREATE TABLE valid_recipient (
    domain TEXT COLLATE "C" NOT NULL,
    entry  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (domain, entry)
);

-- One row per kind of data (and per valid list), its revision bumped in the transaction of every
-- change: nodes notice changes by polling these tiny rows.
CREATE TABLE store_revision (
    name     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revision BIGINT NOT NULL
);

-- Every RCPT decision and every delivery. Absent values are empty strings, never NULL.
CREATE TABLE message_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT   NOT NULL CHECK (kind IN ('rcpt', 'delivery')),
    client    TEXT   NOT NULL,
    helo      TEXT   NOT NULL,
    sender    TEXT   NOT NULL,
    recipient TEXT   NOT NULL,
    verdict   TEXT   NOT NULL,
    reason    TEXT   NOT NULL,
    reply     TEXT   NOT NULL,
    queue_id  TEXT   NOT NULL
);

CREATE INDEX message_log_at ON message_log (at);
CREATE INDEX message_log_recipient ON message_log (recipient);
CREATE INDEX message_log_sender ON message_log (sender);
CREATE INDEX message_log_client ON message_log (client);
CREATE INDEX message_log_queue_id ON message_log (queue_id);
