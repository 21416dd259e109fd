-- Data protection, SQLite form of migrations/postgres/2026-12-01-220001_data_protection.

ALTER TABLE movements ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX movements_retention ON movements (occurred_at, id) WHERE erased_at IS NULL;

-- A void changes only the void columns, once (as before), and never erased_at.
DROP TRIGGER movements_void_only;
CREATE TRIGGER movements_void_only BEFORE UPDATE ON movements
WHEN NEW.erased_at IS OLD.erased_at AND (
     OLD.voided_at IS NOT NULL
  OR NEW.voided_at IS NULL OR NEW.voided_by IS NULL OR NEW.void_reason IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.principal IS NOT OLD.principal OR NEW.client_event_id IS NOT OLD.client_event_id
  OR NEW.poe IS NOT OLD.poe OR NEW.direction IS NOT OLD.direction OR NEW.occurred_at IS NOT OLD.occurred_at
  OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.recorded_by IS NOT OLD.recorded_by OR NEW.mode IS NOT OLD.mode
  OR NEW.purpose IS NOT OLD.purpose OR NEW.document_type IS NOT OLD.document_type OR NEW.issuing_state IS NOT OLD.issuing_state
  OR NEW.nationality IS NOT OLD.nationality OR NEW.sex IS NOT OLD.sex OR NEW.permitted_until IS NOT OLD.permitted_until
  OR NEW.vehicle_country IS NOT OLD.vehicle_country OR NEW.vehicle_category IS NOT OLD.vehicle_category OR NEW.sequence_anomaly IS NOT OLD.sequence_anomaly
  OR NEW.outside_hours IS NOT OLD.outside_hours OR NEW.late IS NOT OLD.late OR NEW.alert_action IS NOT OLD.alert_action
  OR NEW.document_number IS NOT OLD.document_number OR NEW.surname IS NOT OLD.surname OR NEW.given_names IS NOT OLD.given_names
  OR NEW.date_of_birth IS NOT OLD.date_of_birth OR NEW.mrz IS NOT OLD.mrz OR NEW.payload_hash IS NOT OLD.payload_hash
  OR NEW.vehicle_registration IS NOT OLD.vehicle_registration)
BEGIN
    SELECT RAISE(ABORT, 'movements are append-only: only a single, complete void may change one');
END;

-- An erasure, once: names, document number and payload hash blanked, MRZ and vehicle
-- registration removed, the date of birth kept within its age band at the crossing, every
-- other column as it was.
CREATE TRIGGER movements_erase_only BEFORE UPDATE ON movements
WHEN NEW.erased_at IS NOT OLD.erased_at AND (
     OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL
  OR NEW.surname <> '' OR NEW.given_names <> '' OR NEW.document_number <> ''
  OR NEW.payload_hash <> 'erased' OR NEW.mrz IS NOT NULL OR NEW.vehicle_registration IS NOT NULL
  OR (SELECT CASE WHEN a < 15 THEN 0 WHEN a < 25 THEN 15 WHEN a < 35 THEN 25 WHEN a < 45 THEN 35
                 WHEN a < 55 THEN 45 WHEN a < 65 THEN 55 ELSE 65 END
      FROM (SELECT CAST(strftime('%Y', d) AS INTEGER) - CAST(strftime('%Y', NEW.date_of_birth) AS INTEGER)
                   - (strftime('%m-%d', d) < strftime('%m-%d', NEW.date_of_birth)) AS a
            FROM (SELECT date(OLD.occurred_at, '+2 hours') AS d))) <> (SELECT CASE WHEN a < 15 THEN 0 WHEN a < 25 THEN 15 WHEN a < 35 THEN 25 WHEN a < 45 THEN 35
                 WHEN a < 55 THEN 45 WHEN a < 65 THEN 55 ELSE 65 END
      FROM (SELECT CAST(strftime('%Y', d) AS INTEGER) - CAST(strftime('%Y', OLD.date_of_birth) AS INTEGER)
                   - (strftime('%m-%d', d) < strftime('%m-%d', OLD.date_of_birth)) AS a
            FROM (SELECT date(OLD.occurred_at, '+2 hours') AS d)))
  OR NEW.id IS NOT OLD.id OR NEW.principal IS NOT OLD.principal OR NEW.client_event_id IS NOT OLD.client_event_id
  OR NEW.poe IS NOT OLD.poe OR NEW.direction IS NOT OLD.direction OR NEW.occurred_at IS NOT OLD.occurred_at
  OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.recorded_by IS NOT OLD.recorded_by OR NEW.mode IS NOT OLD.mode
  OR NEW.purpose IS NOT OLD.purpose OR NEW.document_type IS NOT OLD.document_type OR NEW.issuing_state IS NOT OLD.issuing_state
  OR NEW.nationality IS NOT OLD.nationality OR NEW.sex IS NOT OLD.sex OR NEW.permitted_until IS NOT OLD.permitted_until
  OR NEW.vehicle_country IS NOT OLD.vehicle_country OR NEW.vehicle_category IS NOT OLD.vehicle_category OR NEW.sequence_anomaly IS NOT OLD.sequence_anomaly
  OR NEW.outside_hours IS NOT OLD.outside_hours OR NEW.late IS NOT OLD.late OR NEW.alert_action IS NOT OLD.alert_action
  OR NEW.voided_at IS NOT OLD.voided_at OR NEW.voided_by IS NOT OLD.voided_by OR NEW.void_reason IS NOT OLD.void_reason)
BEGIN
    SELECT RAISE(ABORT, 'movements are append-only: an erasure changes only the personal fields, once');
END;

CREATE TABLE holds (
    id              TEXT PRIMARY KEY NOT NULL,
    issuing_state   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    reason          TEXT NOT NULL,
    until           DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT NOT NULL,
    released_at     TIMESTAMP,
    released_by     TEXT
);
CREATE INDEX holds_document ON holds (issuing_state, document_number);

CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY NOT NULL,
    hash       TEXT NOT NULL,
    signed_at  TIMESTAMP NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);
