ALTER TABLE movement_counts RENAME TO movement_counts_partitioned;
ALTER TABLE movement_counts_partitioned
    RENAME CONSTRAINT movement_counts_pkey TO movement_counts_partitioned_pkey;

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
    key         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (cuboid, bucket, key)
) WITH (fillfactor = 80);

INSERT INTO movement_counts (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count, key)
SELECT cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count, key
  FROM movement_counts_partitioned;

DROP TABLE movement_counts_partitioned;
