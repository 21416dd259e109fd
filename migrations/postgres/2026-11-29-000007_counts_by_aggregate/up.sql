-- Each aggregate (`cuboid`) in a partition of its own. In one table, the rows of a small
-- aggregate lay scattered among those of the large one (every fold writes to all of them), so
-- a year of daily counts by post and direction (10,950 counters) read 2,069 pages, index and
-- table; in its own partition, 354. The statement prunes to the partition by `cuboid`.
-- Measured at 10 million movements: the counters' query 12.6 -> 8.4 ms (BENCHMARKS.md).
-- Counts stay out of every index, so the folder's updates stay HOT.
--
-- The counters are copied over: on a large database this takes some seconds a million rows.
ALTER TABLE movement_counts RENAME TO movement_counts_unpartitioned;
ALTER TABLE movement_counts_unpartitioned
    RENAME CONSTRAINT movement_counts_pkey TO movement_counts_unpartitioned_pkey;

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
) PARTITION BY LIST (cuboid);

-- One for each of CUBOIDS (src/domain/stats.rs; a test checks that none lacks its own). A new
-- aggregate comes with a migration adding its partition.
CREATE TABLE movement_counts_1 PARTITION OF movement_counts FOR VALUES IN (1) WITH (fillfactor = 80);
CREATE TABLE movement_counts_2 PARTITION OF movement_counts FOR VALUES IN (2) WITH (fillfactor = 80);
CREATE TABLE movement_counts_3 PARTITION OF movement_counts FOR VALUES IN (3) WITH (fillfactor = 80);
CREATE TABLE movement_counts_4 PARTITION OF movement_counts FOR VALUES IN (4) WITH (fillfactor = 80);
CREATE TABLE movement_counts_5 PARTITION OF movement_counts FOR VALUES IN (5) WITH (fillfactor = 80);
CREATE TABLE movement_counts_6 PARTITION OF movement_counts FOR VALUES IN (6) WITH (fillfactor = 80);
CREATE TABLE movement_counts_7 PARTITION OF movement_counts FOR VALUES IN (7) WITH (fillfactor = 80);
CREATE TABLE movement_counts_8 PARTITION OF movement_counts FOR VALUES IN (8) WITH (fillfactor = 80);
CREATE TABLE movement_counts_9 PARTITION OF movement_counts FOR VALUES IN (9) WITH (fillfactor = 80);

INSERT INTO movement_counts (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count, key)
SELECT cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode, count, key
  FROM movement_counts_unpartitioned
 ORDER BY cuboid, bucket, key;

DROP TABLE movement_counts_unpartitioned;
ANALYZE movement_counts;
