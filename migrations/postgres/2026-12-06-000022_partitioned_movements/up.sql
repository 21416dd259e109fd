-- Movements partitioned by month of `occurred_at` (UTC months), issue 21. Old months stop
-- being written to and stay cold; their indexes are small; a month can later be moved to
-- cheaper storage or detached as a whole. PostgreSQL only: SQLite keeps one table.
--
-- A partitioned table's unique indexes must hold the partition key, so neither the id nor the
-- idempotency key (principal, client_event_id) can be unique on the movements themselves any
-- more. Both are kept unique across every partition by `movement_keys`: one narrow row per
-- movement, written by the store in the same transaction as the movement (before it, so that
-- a replay that lost a race fails on the key, as before: a unique violation, and the service
-- records the batch again). It also holds the movement's `occurred_at`, so that a look-up by
-- key reads one partition.
--
-- The foreign keys that pointed at movements(id) (alert hits, stays, declarations, edge
-- receipts) now point
-- at movement_keys(movement_id): a foreign key into a partitioned table would need the
-- partition key in the referencing table too.
--
-- Partitions are made ahead by the service (at start and daily: the current month and the
-- next few, `crossings_movement_partition`); a DEFAULT partition takes whatever falls outside
-- them (a far-future or far-past movement), so that no movement is ever refused for want of
-- one. A month whose rows already lie in the DEFAULT partition is not made (its rows would have
-- to move, and movements are never deleted): the function says so, and the service logs it.
--
-- The existing rows are copied over, under an exclusive lock: 200,000 movements took 6 s on
-- the project's machine (about half a minute a million); run it in a maintenance window.

ALTER TABLE alert_hits DROP CONSTRAINT alert_hits_movement_id_fkey;
ALTER TABLE stays DROP CONSTRAINT stays_opening_id_fkey;
ALTER TABLE stays DROP CONSTRAINT stays_closing_id_fkey;
ALTER TABLE declarations DROP CONSTRAINT declarations_movement_id_fkey;
ALTER TABLE edge_receipts DROP CONSTRAINT edge_receipts_movement_id_fkey;

ALTER TABLE movements RENAME TO movements_unpartitioned;
ALTER TABLE movements_unpartitioned RENAME CONSTRAINT movements_pkey TO movements_unpartitioned_pkey;
ALTER TABLE movements_unpartitioned DROP CONSTRAINT movements_idempotency;
ALTER TABLE movements_unpartitioned DROP CONSTRAINT movements_direction_check;
ALTER TABLE movements_unpartitioned DROP CONSTRAINT movements_sex_check;
ALTER TABLE movements_unpartitioned DROP CONSTRAINT movements_poe_fkey;
DROP INDEX movements_document;
DROP INDEX movements_poe_time;
DROP INDEX movements_time;
DROP INDEX movements_birth;
DROP INDEX movements_retention;

-- Same columns, same order.
CREATE TABLE movements (
    id                   TEXT NOT NULL,
    principal            TEXT NOT NULL,
    client_event_id      TEXT NOT NULL,
    payload_hash         TEXT NOT NULL,
    poe                  TEXT NOT NULL REFERENCES poes (code),
    direction            TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    occurred_at          TIMESTAMP NOT NULL,
    recorded_at          TIMESTAMP NOT NULL,
    recorded_by          TEXT NOT NULL,
    mode                 TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    document_type        TEXT NOT NULL,
    document_number      TEXT NOT NULL,
    issuing_state        TEXT NOT NULL,
    nationality          TEXT NOT NULL,
    surname              TEXT NOT NULL,
    given_names          TEXT NOT NULL,
    date_of_birth        DATE NOT NULL,
    sex                  TEXT NOT NULL CHECK (sex IN ('F', 'M', 'X')),
    mrz                  TEXT,
    permitted_until      DATE,
    vehicle_registration TEXT,
    vehicle_country      TEXT,
    vehicle_category     TEXT,
    sequence_anomaly     BOOLEAN NOT NULL,
    outside_hours        BOOLEAN NOT NULL,
    late                 BOOLEAN NOT NULL,
    alert_action         TEXT,
    voided_at            TIMESTAMP,
    voided_by            TEXT,
    void_reason          TEXT,
    erased_at            TIMESTAMP,
    -- Unique only with the partition key; movement_keys makes the id unique on its own. Its
    -- leading column serves the look-ups by id (one probe per partition).
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- The same indexes as before, made on every partition.
CREATE INDEX movements_document ON movements (issuing_state, document_number, occurred_at, id);
CREATE INDEX movements_poe_time ON movements (poe, occurred_at, id);
CREATE INDEX movements_time ON movements (occurred_at, id);
CREATE INDEX movements_birth ON movements (date_of_birth);
CREATE INDEX movements_retention ON movements (occurred_at, id) WHERE erased_at IS NULL;

-- Row triggers on a partitioned table fire for every partition, present and future. TRUNCATE
-- triggers do not pass down: each partition gets its own (below and in the function).
CREATE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_guard();
CREATE TRIGGER movements_no_truncate
    BEFORE TRUNCATE ON movements
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();

CREATE TABLE movements_default PARTITION OF movements DEFAULT;
CREATE TRIGGER movements_no_truncate
    BEFORE TRUNCATE ON movements_default
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();

-- Makes the partition of the UTC month that starts on `month` (its first day), named
-- movements_YYYY_MM. Answers 'created', 'exists', or 'in_default' when rows of that month
-- already lie in the DEFAULT partition (then nothing is made). Safe to call from several
-- nodes at once (an advisory lock), and cheap when the partition exists (no lock taken).
CREATE FUNCTION crossings_movement_partition(month DATE) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
    first DATE := date_trunc('month', month)::date;
    next  DATE := (date_trunc('month', month) + INTERVAL '1 month')::date;
    name  TEXT := format('movements_%s', to_char(date_trunc('month', month), 'YYYY_MM'));
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN 'exists';
    END IF;
    PERFORM pg_advisory_xact_lock(x'0C2050415254'::bigint);
    IF to_regclass(name) IS NOT NULL THEN
        RETURN 'exists';
    END IF;
    IF EXISTS (SELECT 1 FROM movements_default
                WHERE occurred_at >= first AND occurred_at < next) THEN
        RETURN 'in_default';
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF movements FOR VALUES FROM (%L) TO (%L)',
                   name, first::timestamp, next::timestamp);
    EXECUTE format('CREATE TRIGGER movements_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change()', name);
    RETURN 'created';
END;
$$;

-- A partition for every month that holds movements, and for this month and the next three.
SELECT crossings_movement_partition(m)
  FROM (SELECT DISTINCT date_trunc('month', occurred_at)::date AS m FROM movements_unpartitioned
        UNION
        SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => g))::date
          FROM generate_series(0, 3) AS g) AS months
 ORDER BY m;

-- The keys of every movement, unique across partitions: its id, and its idempotency key.
-- Append-only, like the movements (retention erases nothing here: no personal field).
CREATE TABLE movement_keys (
    principal       TEXT NOT NULL,
    client_event_id TEXT NOT NULL,
    movement_id     TEXT NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    CONSTRAINT movement_keys_idempotency PRIMARY KEY (principal, client_event_id),
    CONSTRAINT movement_keys_id UNIQUE (movement_id)
);
CREATE TRIGGER movement_keys_append_only
    BEFORE UPDATE OR DELETE ON movement_keys
    FOR EACH ROW EXECUTE FUNCTION crossings_refuse_change();
CREATE TRIGGER movement_keys_no_truncate
    BEFORE TRUNCATE ON movement_keys
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();

INSERT INTO movement_keys (principal, client_event_id, movement_id, occurred_at)
SELECT principal, client_event_id, id, occurred_at FROM movements_unpartitioned;

INSERT INTO movements SELECT * FROM movements_unpartitioned ORDER BY occurred_at, id;

DROP TABLE movements_unpartitioned;

ALTER TABLE alert_hits ADD CONSTRAINT alert_hits_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movement_keys (movement_id);
ALTER TABLE stays ADD CONSTRAINT stays_opening_id_fkey
    FOREIGN KEY (opening_id) REFERENCES movement_keys (movement_id);
ALTER TABLE stays ADD CONSTRAINT stays_closing_id_fkey
    FOREIGN KEY (closing_id) REFERENCES movement_keys (movement_id);
ALTER TABLE declarations ADD CONSTRAINT declarations_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movement_keys (movement_id);
ALTER TABLE edge_receipts ADD CONSTRAINT edge_receipts_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movement_keys (movement_id);

ANALYZE movements;
ANALYZE movement_keys;
