-- Gatehouse store, schema 2 (PostgreSQL): the policy edited from the console, API and CLI; the
-- console's users, sessions and API tokens; the audit log. Same schema in the SQLite folder.

-- The console's part of the policy (SPEC §4) as one document: the body of a `policy` section in
-- YAML, validated by the same reader as the configuration file. One row. Its revision is the
-- store_revision row 'policy', bumped with every change.
CREATE TABLE policy_document (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    document   TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL,
    updated_by TEXT    NOT NULL
);

-- Console and API users. password_hash: "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
CREATE TABLE console_user (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    role          TEXT   NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Console sessions. id_hash: SHA-256 (hex) of the cookie's value, so that a copy of the database
-- does not hold usable sessions. csrf: the session's token for forms and htmx requests.
CREATE TABLE console_session (
    id_hash    TEXT   NOT NULL PRIMARY KEY,
    user_name  TEXT   NOT NULL,
    csrf       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX console_session_user ON console_session (user_name);

-- API bearer tokens; token_hash as for sessions. The token acts with its user's role.
CREATE TABLE api_token (
    id           TEXT   NOT NULL PRIMARY KEY,
    user_name    TEXT   NOT NULL,
    label        TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);

-- Every change made from the console, the API or the CLI: who, when, what, before and after.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT   NOT NULL,
    old_value TEXT   NOT NULL,
    new_value TEXT   NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);
