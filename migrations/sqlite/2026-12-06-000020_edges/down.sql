DROP INDEX movements_voided;
DROP TABLE edge_state;
DROP TRIGGER alerts_changed_update;
DROP TRIGGER alerts_changed_insert;
DROP TABLE alert_changes;
DROP TABLE edge_receipts;
DROP TABLE edges;
