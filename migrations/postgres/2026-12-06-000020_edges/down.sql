DROP TABLE edge_state;
DROP TRIGGER alerts_changed_update ON alerts;
DROP TRIGGER alerts_changed_insert ON alerts;
DROP FUNCTION crossings_alert_changed();
DROP TABLE alert_changes;
DROP TABLE edge_receipts;
DROP TABLE edges;
