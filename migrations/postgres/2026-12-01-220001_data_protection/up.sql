-- Data protection over time: retention (erasure of a movement's personal fields), police
-- holds that keep a document's records past retention, and signed checkpoints of the audit
-- chain's head.

ALTER TABLE movements ADD COLUMN erased_at TIMESTAMP;
-- Retention walks the movements not erased yet, oldest first.
CREATE INDEX movements_retention ON movements (occurred_at, id) WHERE erased_at IS NULL;

-- The lower bound of the age band (0, 15, 25, …, 65) of someone born on `dob` on the Lesotho
-- date (UTC+2) of `occurred`: the same rule as `domain::stats::age_band`.
CREATE FUNCTION crossings_age_band(dob DATE, occurred TIMESTAMP) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a < 15 THEN 0 WHEN a < 25 THEN 15 WHEN a < 35 THEN 25 WHEN a < 45 THEN 35
                WHEN a < 55 THEN 45 WHEN a < 65 THEN 55 ELSE 65 END
    FROM (SELECT EXTRACT(YEAR FROM d)::int - EXTRACT(YEAR FROM dob)::int
                 - CASE WHEN (EXTRACT(MONTH FROM d), EXTRACT(DAY FROM d))
                           < (EXTRACT(MONTH FROM dob), EXTRACT(DAY FROM dob)) THEN 1 ELSE 0 END AS a
          FROM (SELECT (occurred + INTERVAL '2 hours')::date AS d) AS local) AS age
$$;

-- Movements stay append-only. Two changes are allowed, each once: a void (the three void
-- columns), and an erasure (names, document number and payload hash blanked, MRZ and vehicle
-- registration removed, the date of birth coarsened within its age band at the crossing,
-- erased_at set). Every other column must stay as it was.
CREATE OR REPLACE FUNCTION movements_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'movements are append-only: DELETE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL THEN
        IF NEW.surname <> '' OR NEW.given_names <> '' OR NEW.document_number <> ''
           OR NEW.payload_hash <> 'erased' OR NEW.mrz IS NOT NULL
           OR NEW.vehicle_registration IS NOT NULL THEN
            RAISE EXCEPTION 'movements are append-only: an erasure blanks every personal field'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF crossings_age_band(NEW.date_of_birth, OLD.occurred_at)
           <> crossings_age_band(OLD.date_of_birth, OLD.occurred_at) THEN
            RAISE EXCEPTION 'movements are append-only: an erasure keeps the age band'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (to_jsonb(NEW) - ARRAY['surname', 'given_names', 'document_number', 'payload_hash',
                                  'mrz', 'vehicle_registration', 'date_of_birth', 'erased_at'])
           IS DISTINCT FROM
           (to_jsonb(OLD) - ARRAY['surname', 'given_names', 'document_number', 'payload_hash',
                                  'mrz', 'vehicle_registration', 'date_of_birth', 'erased_at']) THEN
            RAISE EXCEPTION 'movements are append-only: an erasure changes only the personal fields'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
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

-- A police hold keeps every record of one document past retention until `until` (a local
-- date, inclusive) or its release.
CREATE TABLE holds (
    id              TEXT PRIMARY KEY,
    issuing_state   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    reason          TEXT NOT NULL,
    until           DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT NOT NULL,
    released_at     TIMESTAMP,
    released_by     TEXT
);
CREATE INDEX holds_document ON holds (issuing_state, document_number);

-- Signed heads of the audit chain (Ed25519, key outside the database).
CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY,
    hash       TEXT NOT NULL,
    signed_at  TIMESTAMP NOT NULL,
    public_key TEXT NOT NULL,
    signature  TEXT NOT NULL
);
