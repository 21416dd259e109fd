DROP TABLE movement_counts;
