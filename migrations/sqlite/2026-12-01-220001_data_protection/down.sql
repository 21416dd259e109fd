DROP TABLE audit_checkpoints;
DROP TABLE holds;
DROP TRIGGER movements_erase_only;
DROP TRIGGER movements_void_only;
CREATE TRIGGER movements_void_only BEFORE UPDATE ON movements
WHEN OLD.voided_at IS NOT NULL
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
  OR NEW.vehicle_registration IS NOT OLD.vehicle_registration
BEGIN
    SELECT RAISE(ABORT, 'movements are append-only: only a single, complete void may change one');
END;
DROP INDEX movements_retention;
ALTER TABLE movements DROP COLUMN erased_at;
