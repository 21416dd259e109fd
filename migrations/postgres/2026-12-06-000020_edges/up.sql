-- Posts that go offline (issue 20): edge credentials issued at HQ, the receipt of each
-- movement an edge forwarded, a sequence of watchlist changes for the edges to follow, and the
-- small key/value state an edge keeps about its link to HQ.

CREATE TABLE edges (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL UNIQUE,
    secret_hash     TEXT NOT NULL,
    poe             TEXT NOT NULL REFERENCES poes (code),
    label           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    last_contact_at TIMESTAMP,
    last_backlog    BIGINT
);

-- A movement that came through an edge: which edge, and when HQ received it (its
-- `recorded_at` is the edge's time).
CREATE TABLE edge_receipts (
    movement_id TEXT PRIMARY KEY REFERENCES movements (id),
    edge_id     TEXT NOT NULL REFERENCES edges (id),
    received_at TIMESTAMP NOT NULL
);

-- Every insertion or removal of an alert, numbered; edges follow the watchlist by it.
-- Writers of the watchlist take one transaction-scoped advisory lock before numbering, so
-- numbers become visible in order (an edge that has seen n has seen everything below n).
CREATE TABLE alert_changes (
    seq        BIGSERIAL PRIMARY KEY,
    alert_id   TEXT NOT NULL REFERENCES alerts (id),
    changed_at TIMESTAMP NOT NULL
);

CREATE FUNCTION crossings_alert_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(3210020);
    INSERT INTO alert_changes (alert_id, changed_at)
        VALUES (NEW.id, (now() AT TIME ZONE 'UTC'));
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER alerts_changed_insert AFTER INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION crossings_alert_changed();
CREATE TRIGGER alerts_changed_update AFTER UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION crossings_alert_changed();

INSERT INTO alert_changes (alert_id, changed_at)
    SELECT id, created_at FROM alerts ORDER BY created_at, id;

-- At an edge: where forwarding and the watchlist stand, the last sync.
CREATE TABLE edge_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
