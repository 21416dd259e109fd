ALTER TABLE movement_counts DROP CONSTRAINT movement_counts_pkey;
ALTER TABLE movement_counts DROP COLUMN key;
ALTER TABLE movement_counts
    ADD PRIMARY KEY (cuboid, bucket, poe, direction, nationality, sex, age_band, purpose, mode);
