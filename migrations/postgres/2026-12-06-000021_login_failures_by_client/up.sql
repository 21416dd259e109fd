-- The per-address failed-login limit is counted across nodes (issue 21): failures from one
-- client address within `auth.address_failure_window_secs`, whatever the username.
CREATE INDEX login_failures_by_client ON login_failures (client_addr, failed_at);
