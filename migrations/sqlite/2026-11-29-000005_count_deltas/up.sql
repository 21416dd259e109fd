-- Changes to the counters, pending; see migrations/postgres/2026-11-29-000006_count_deltas.
CREATE TABLE movement_count_deltas (
    cuboid      SMALLINT NOT NULL,
    bucket      TIMESTAMP NOT NULL,
    poe         TEXT NOT NULL,
    direction   TEXT NOT NULL,
    nationality TEXT NOT NULL,
    sex         TEXT NOT NULL,
    age_band    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    count       BIGINT NOT NULL
);
CREATE INDEX movement_count_deltas_bucket ON movement_count_deltas (cuboid, bucket);
