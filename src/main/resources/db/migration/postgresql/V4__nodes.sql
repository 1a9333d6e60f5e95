-- The nodes of a cluster (SPEC §6): one row per node name, rewritten by the node's heartbeat every
-- few seconds. A node is up while its last heartbeat is younger than three of its own intervals.
-- Times are epoch milliseconds. degraded holds what runs degraded on the node ("cache: degraded"),
-- one per line, empty when nothing is. Same in the other dialect.
CREATE TABLE nodes (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version       TEXT   NOT NULL,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL,
    interval_ms   BIGINT NOT NULL,
    sessions      BIGINT NOT NULL,
    queue_size    BIGINT NOT NULL,
    degraded      TEXT   NOT NULL
);

-- The node that wrote each message-log entry, so that the log and the dashboard can be read per
-- node; '' for entries written before this column existed.
ALTER TABLE message_log ADD COLUMN node TEXT NOT NULL DEFAULT '';
CREATE INDEX message_log_node_at ON message_log (node, at);
