DROP TABLE audit_checkpoints;
DROP TABLE holds;
CREATE OR REPLACE FUNCTION movements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'movements are append-only: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.voided_at IS NOT NULL THEN
        RAISE EXCEPTION 'movement % is voided already: a void is final', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.voided_at IS NULL OR NEW.voided_by IS NULL OR NEW.void_reason IS NULL THEN
        RAISE EXCEPTION 'movements are append-only: only a complete void may change one'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'voided_at' - 'voided_by' - 'void_reason')
       IS DISTINCT FROM (to_jsonb(OLD) - 'voided_at' - 'voided_by' - 'void_reason') THEN
        RAISE EXCEPTION 'movements are append-only: a void changes only the void columns'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
DROP FUNCTION crossings_age_band(DATE, TIMESTAMP);
DROP INDEX movements_retention;
ALTER TABLE movements DROP COLUMN erased_at;
