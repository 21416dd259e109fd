-- Movement counts per bucket; see migrations/postgres/2026-11-28-000003_counts.
CREATE TABLE movement_counts (
    cuboid      SMALLINT NOT NULL,
    bucket      TIMESTAMP NOT NULL,
    poe         TEXT NOT NULL,
    direction   TEXT NOT NULL,
    nationality TEXT NOT NULL,
    sex         TEXT NOT NULL,
    age_band    TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode)
);
