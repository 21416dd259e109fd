-- Movements: append-only. A mistake is corrected by a void, which sets the three void
-- columns once; the database refuses every other UPDATE, and every DELETE.

CREATE TABLE movements (
    id                   TEXT PRIMARY KEY,
    principal            TEXT NOT NULL,
    client_event_id      TEXT NOT NULL,
    payload_hash         TEXT NOT NULL,
    poe                  TEXT NOT NULL REFERENCES poes (code),
    direction            TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
    occurred_at          TIMESTAMP NOT NULL,
    recorded_at          TIMESTAMP NOT NULL,
    recorded_by          TEXT NOT NULL,
    mode                 TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    document_type        TEXT NOT NULL,
    document_number      TEXT NOT NULL,
    issuing_state        TEXT NOT NULL,
    nationality          TEXT NOT NULL,
    surname              TEXT NOT NULL,
    given_names          TEXT NOT NULL,
    date_of_birth        DATE NOT NULL,
    sex                  TEXT NOT NULL CHECK (sex IN ('F', 'M', 'X')),
    mrz                  TEXT,
    permitted_until      DATE,
    vehicle_registration TEXT,
    vehicle_country      TEXT,
    vehicle_category     TEXT,
    sequence_anomaly     BOOLEAN NOT NULL,
    outside_hours        BOOLEAN NOT NULL,
    late                 BOOLEAN NOT NULL,
    alert_action         TEXT,
    voided_at            TIMESTAMP,
    voided_by            TEXT,
    void_reason          TEXT,
    CONSTRAINT movements_idempotency UNIQUE (principal, client_event_id)
);

-- A document's movements in time order: sequence checks, stays, histories.
CREATE INDEX movements_document ON movements (issuing_state, document_number, occurred_at, id);
-- Listing by post and time, and across posts by time (keyset pagination).
CREATE INDEX movements_poe_time ON movements (poe, occurred_at, id);
CREATE INDEX movements_time ON movements (occurred_at, id);

CREATE FUNCTION movements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION movements_guard();

CREATE TRIGGER movements_no_truncate
    BEFORE TRUNCATE ON movements
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION crossings_refuse_change();
