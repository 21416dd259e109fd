-- SQLite form of migrations/postgres/2026-12-01-180000_alerts_reach_police. SQLite has one
-- writer at a time: a new hit's `seq` is the largest so far plus one, set by the store.

ALTER TABLE alert_hits ADD COLUMN seq BIGINT;
UPDATE alert_hits SET seq = rowid;
CREATE UNIQUE INDEX alert_hits_seq ON alert_hits (seq);
ALTER TABLE alert_hits ADD COLUMN outcome TEXT
    CHECK (outcome IN ('intercepted', 'not_located', 'false_match', 'other'));
ALTER TABLE alert_hits ADD COLUMN note TEXT;
CREATE INDEX alert_hits_movement ON alert_hits (movement_id);

CREATE INDEX alerts_person_birth ON alerts (date_of_birth) WHERE removed_at IS NULL AND kind = 'person';
CREATE INDEX movements_birth ON movements (date_of_birth);
