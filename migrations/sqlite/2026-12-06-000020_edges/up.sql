-- SQLite form of migrations/postgres/2026-12-06-000020_edges. One writer at a time, so the
-- numbers of watchlist changes are visible in order without a lock.

CREATE TABLE edges (
    id              TEXT PRIMARY KEY NOT NULL,
    client_id       TEXT NOT NULL UNIQUE,
    secret_hash     TEXT NOT NULL,
    poe             TEXT NOT NULL REFERENCES poes (code),
    label           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    last_contact_at TIMESTAMP,
    last_backlog    BIGINT
);

CREATE TABLE edge_receipts (
    movement_id TEXT PRIMARY KEY NOT NULL REFERENCES movements (id),
    edge_id     TEXT NOT NULL REFERENCES edges (id),
    received_at TIMESTAMP NOT NULL
);

CREATE TABLE alert_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   TEXT NOT NULL REFERENCES alerts (id),
    changed_at TIMESTAMP NOT NULL
);

CREATE TRIGGER alerts_changed_insert AFTER INSERT ON alerts
BEGIN
    INSERT INTO alert_changes (alert_id, changed_at)
        VALUES (NEW.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER alerts_changed_update AFTER UPDATE ON alerts
BEGIN
    INSERT INTO alert_changes (alert_id, changed_at)
        VALUES (NEW.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;

INSERT INTO alert_changes (alert_id, changed_at)
    SELECT id, created_at FROM alerts ORDER BY created_at, id;

CREATE TABLE edge_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- At an edge: voids wait to be forwarded; found without reading every movement.
CREATE INDEX movements_voided ON movements (voided_at) WHERE voided_at IS NOT NULL;
