DROP TABLE movement_count_deltas;
