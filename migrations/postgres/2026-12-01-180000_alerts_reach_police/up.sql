-- Alerts that reach the police in seconds (issue 18): hits get a cursor for the live stream
-- (`seq`, in commit-independent insertion order; the stream's `id:`), an acknowledgement's
-- outcome and note, and the look-ups that person matching and the traveller search need.

-- Existing hits are numbered in physical order; new ones by the sequence.
ALTER TABLE alert_hits ADD COLUMN seq BIGSERIAL NOT NULL;
CREATE UNIQUE INDEX alert_hits_seq ON alert_hits (seq);
ALTER TABLE alert_hits ADD COLUMN outcome TEXT
    CHECK (outcome IN ('intercepted', 'not_located', 'false_match', 'other'));
ALTER TABLE alert_hits ADD COLUMN note TEXT;
-- The officer's answer and a replay find a movement's hits.
CREATE INDEX alert_hits_movement ON alert_hits (movement_id);

-- Person alerts are found by date of birth (then compared by tolerant name rules): one
-- look-up per batch.
CREATE INDEX alerts_person_birth ON alerts (date_of_birth) WHERE removed_at IS NULL AND kind = 'person';
-- The traveller search by name and date of birth.
CREATE INDEX movements_birth ON movements (date_of_birth);
