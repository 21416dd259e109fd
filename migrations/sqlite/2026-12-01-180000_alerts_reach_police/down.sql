DROP INDEX IF EXISTS movements_birth;
DROP INDEX IF EXISTS alerts_person_birth;
DROP INDEX IF EXISTS alert_hits_movement;
ALTER TABLE alert_hits DROP COLUMN note;
ALTER TABLE alert_hits DROP COLUMN outcome;
DROP INDEX IF EXISTS alert_hits_seq;
ALTER TABLE alert_hits DROP COLUMN seq;
