-- The door a change came through: console (a form), api (/api/v1), cli (a gatehouse command) or
-- gateway (the gateway itself: its first administrator). Entries written before this column
-- existed have the door their actor implies, or '' when the actor does not tell. Same in the other dialect.
ALTER TABLE audit_log ADD COLUMN door TEXT NOT NULL DEFAULT '';
UPDATE audit_log SET door = 'cli' WHERE actor = 'cli';
UPDATE audit_log SET door = 'gateway' WHERE actor = 'system';
