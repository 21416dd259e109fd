-- Failed sign-ins, one row each, so that parallel failures all count (issue 17). The lock
-- decisions are counts over these rows: per (username, address) and per username.
DROP TABLE login_throttle;
CREATE TABLE login_failures (
    id          TEXT PRIMARY KEY NOT NULL,
    username    TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    failed_at   TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, failed_at);
CREATE INDEX login_failures_address ON login_failures (username, client_addr, failed_at);

-- Accounts whose password an admin set (or the generated bootstrap one) must change it at
-- first sign-in; the second factor's secret (never returned after setup) and the last time
-- step used (replays are refused).
ALTER TABLE users ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
