-- Counters are found by one narrow key: the seven dimension values joined by '|' (no code or
-- category holds one), compared byte by byte. The primary key on nine columns compared under
-- the database's collation made every counter upsert twice as dear (BENCHMARKS.md); the
-- dimension columns stay, for reading.
ALTER TABLE movement_counts ADD COLUMN key TEXT COLLATE "C";
UPDATE movement_counts
   SET key = concat_ws('|', poe, direction, nationality, sex, age_band, purpose, mode);
ALTER TABLE movement_counts ALTER COLUMN key SET NOT NULL;
ALTER TABLE movement_counts DROP CONSTRAINT movement_counts_pkey;
ALTER TABLE movement_counts ADD PRIMARY KEY (cuboid, bucket, key);
