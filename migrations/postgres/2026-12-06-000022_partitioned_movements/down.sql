-- Back to one movements table (the rows copied over, every partition and the key table gone).
ALTER TABLE alert_hits DROP CONSTRAINT alert_hits_movement_id_fkey;
ALTER TABLE stays DROP CONSTRAINT stays_opening_id_fkey;
ALTER TABLE stays DROP CONSTRAINT stays_closing_id_fkey;
ALTER TABLE declarations DROP CONSTRAINT declarations_movement_id_fkey;
ALTER TABLE edge_receipts DROP CONSTRAINT edge_receipts_movement_id_fkey;

ALTER TABLE movements RENAME TO movements_partitioned;
ALTER TABLE movements_partitioned RENAME CONSTRAINT movements_pkey TO movements_partitioned_pkey;
ALTER TABLE movements_partitioned DROP CONSTRAINT movements_direction_check;
ALTER TABLE movements_partitioned DROP CONSTRAINT movements_sex_check;
ALTER TABLE movements_partitioned DROP CONSTRAINT movements_poe_fkey;
ALTER INDEX movements_document RENAME TO movements_partitioned_document;
ALTER INDEX movements_poe_time RENAME TO movements_partitioned_poe_time;
ALTER INDEX movements_time RENAME TO movements_partitioned_time;
ALTER INDEX movements_birth RENAME TO movements_partitioned_birth;
ALTER INDEX movements_retention RENAME TO movements_partitioned_retention;

CREATE TABLE movements (
    id                   TEXT PRIMARY KEY,
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
    CONSTRAINT movements_idempotency UNIQUE (principal, client_event_id)
);
INSERT INTO movements SELECT * FROM movements_partitioned ORDER BY occurred_at, id;
DROP TABLE movements_partitioned;
DROP TABLE movement_keys;
DROP FUNCTION crossings_movement_partition(DATE);

CREATE INDEX movements_document ON movements (issuing_state, document_number, occurred_at, id);
CREATE INDEX movements_poe_time ON movements (poe, occurred_at, id);
CREATE INDEX movements_time ON movements (occurred_at, id);
CREATE INDEX movements_birth ON movements (date_of_birth);
CREATE INDEX movements_retention ON movements (occurred_at, id) WHERE erased_at IS NULL;
CREATE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_guard();
CREATE TRIGGER movements_no_truncate
    BEFORE TRUNCATE ON movements
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();

ALTER TABLE alert_hits ADD CONSTRAINT alert_hits_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movements (id);
ALTER TABLE stays ADD CONSTRAINT stays_opening_id_fkey
    FOREIGN KEY (opening_id) REFERENCES movements (id);
ALTER TABLE stays ADD CONSTRAINT stays_closing_id_fkey
    FOREIGN KEY (closing_id) REFERENCES movements (id);
ALTER TABLE declarations ADD CONSTRAINT declarations_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movements (id);
ALTER TABLE edge_receipts ADD CONSTRAINT edge_receipts_movement_id_fkey
    FOREIGN KEY (movement_id) REFERENCES movements (id);
