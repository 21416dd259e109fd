DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TABLE movements;
DROP FUNCTION movements_guard();
