-- Changes to the counters, pending: every write appends here, in its own transaction, the
-- changes its movements make to the counters (one row per counter and write), and a folder
-- moves them into movement_counts about once a second (src/store/counts.rs, `fold`). A
-- statistic reads both, so it is exact whether or not a change has been folded yet.
--
-- Appending is a plain insert into a table with one small index: several times cheaper than an
-- upsert of the counter itself, and two writers never wait for each other's counter rows.
-- The folder sums what has accumulated (many writes share counters) and upserts the sums.
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

-- Statistics find the pending changes of their range by this index, however much dead space
-- the table holds between vacuums (a scan of the table read 189 MB of emptied pages after a
-- bulk load: BENCHMARKS.md). It costs an append about 2 ms a thousand changes.
CREATE INDEX movement_count_deltas_bucket ON movement_count_deltas (cuboid, bucket);
