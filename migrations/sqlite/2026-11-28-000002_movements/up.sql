-- Movements, SQLite form of migrations/postgres/2026-11-28-000002_movements.

CREATE TABLE movements (
    id                   TEXT PRIMARY KEY NOT NULL,
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
    CONSTRAINT movements_idempotency UNIQUE (principal, client_event_id)
);

CREATE INDEX movements_document ON movements (issuing_state, document_number, occurred_at, id);
CREATE INDEX movements_poe_time ON movements (poe, occurred_at, id);
CREATE INDEX movements_time ON movements (occurred_at, id);

CREATE TRIGGER movements_no_delete BEFORE DELETE ON movements
BEGIN
    SELECT RAISE(ABORT, 'movements are append-only: DELETE refused');
END;

CREATE TRIGGER movements_void_only BEFORE UPDATE ON movements
WHEN OLD.voided_at IS NOT NULL
  OR NEW.voided_at IS NULL OR NEW.voided_by IS NULL OR NEW.void_reason IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.principal IS NOT OLD.principal
  OR NEW.client_event_id IS NOT OLD.client_event_id OR NEW.payload_hash IS NOT OLD.payload_hash
  OR NEW.poe IS NOT OLD.poe OR NEW.direction IS NOT OLD.direction
  OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.recorded_at IS NOT OLD.recorded_at
  OR NEW.recorded_by IS NOT OLD.recorded_by OR NEW.mode IS NOT OLD.mode
  OR NEW.purpose IS NOT OLD.purpose OR NEW.document_type IS NOT OLD.document_type
  OR NEW.document_number IS NOT OLD.document_number OR NEW.issuing_state IS NOT OLD.issuing_state
  OR NEW.nationality IS NOT OLD.nationality OR NEW.surname IS NOT OLD.surname
  OR NEW.given_names IS NOT OLD.given_names OR NEW.date_of_birth IS NOT OLD.date_of_birth
  OR NEW.sex IS NOT OLD.sex OR NEW.mrz IS NOT OLD.mrz
  OR NEW.permitted_until IS NOT OLD.permitted_until
  OR NEW.vehicle_registration IS NOT OLD.vehicle_registration
  OR NEW.vehicle_country IS NOT OLD.vehicle_country
  OR NEW.vehicle_category IS NOT OLD.vehicle_category
  OR NEW.sequence_anomaly IS NOT OLD.sequence_anomaly
  OR NEW.outside_hours IS NOT OLD.outside_hours OR NEW.late IS NOT OLD.late
  OR NEW.alert_action IS NOT OLD.alert_action
BEGIN
    SELECT RAISE(ABORT, 'movements are append-only: only a single, complete void may change one');
END;
