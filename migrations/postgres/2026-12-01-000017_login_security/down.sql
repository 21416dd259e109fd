ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN password_change_required;
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    username        TEXT PRIMARY KEY NOT NULL,
    failures        INTEGER NOT NULL,
    locked_until    TIMESTAMP,
    last_failure_at TIMESTAMP NOT NULL
);
