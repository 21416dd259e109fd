-- Movement counts per bucket, kept in the same transaction as every insert and void, so that
-- statistics read buckets, not movements. `cuboid` names an aggregate (a grain and a set of
-- dimensions, see src/domain/stats.rs); `bucket` is the local (Africa/Maseru) start of the
-- hour, day or month; dimensions an aggregate does not keep hold ''.
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
) WITH (fillfactor = 80);
