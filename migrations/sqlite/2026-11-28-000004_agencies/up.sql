-- Agencies, SQLite form of migrations/postgres/2026-11-28-000004_agencies.

CREATE TABLE alerts (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('document', 'person')),
    issuing_state   TEXT,
    document_number TEXT,
    surname         TEXT,
    given_names     TEXT,
    date_of_birth   DATE,
    person_key      TEXT,
    category        TEXT NOT NULL,
    action          TEXT NOT NULL,
    reason          TEXT NOT NULL,
    expires_at      TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    created_by      TEXT NOT NULL,
    removed_at      TIMESTAMP,
    removed_by      TEXT,
    CHECK (kind <> 'document' OR (issuing_state IS NOT NULL AND document_number IS NOT NULL)),
    CHECK (kind <> 'person' OR person_key IS NOT NULL)
);
-- Every movement is checked against live alerts by these two look-ups.
CREATE INDEX alerts_document ON alerts (document_number, issuing_state) WHERE removed_at IS NULL;
CREATE INDEX alerts_person ON alerts (person_key) WHERE removed_at IS NULL;

CREATE TABLE alert_hits (
    id              TEXT PRIMARY KEY NOT NULL,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    movement_id     TEXT NOT NULL REFERENCES movements (id),
    poe             TEXT NOT NULL,
    occurred_at     TIMESTAMP NOT NULL,
    action          TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT
);
CREATE INDEX alert_hits_time ON alert_hits (occurred_at, poe);
CREATE INDEX alert_hits_alert ON alert_hits (alert_id);

-- A visitor's stay opens at an entry and closes at the next exit; a citizen's trip abroad
-- opens at an exit and closes at the next entry. Kept from each document's timeline.
CREATE TABLE stays (
    opening_id      TEXT PRIMARY KEY NOT NULL REFERENCES movements (id),
    kind            TEXT NOT NULL CHECK (kind IN ('visit', 'trip')),
    issuing_state   TEXT NOT NULL,
    document_number TEXT NOT NULL,
    nationality     TEXT NOT NULL,
    opened_at       TIMESTAMP NOT NULL,
    opened_poe      TEXT NOT NULL,
    permitted_until DATE,
    ends_on         DATE,
    closing_id      TEXT REFERENCES movements (id),
    closed_at       TIMESTAMP,
    closed_on       DATE,
    closed_poe      TEXT
);
CREATE INDEX stays_open ON stays (kind, ends_on) WHERE closing_id IS NULL;
CREATE INDEX stays_kind_opened ON stays (kind, opened_at);
CREATE INDEX stays_document ON stays (issuing_state, document_number);

CREATE TABLE declarations (
    id          TEXT PRIMARY KEY NOT NULL,
    movement_id TEXT NOT NULL REFERENCES movements (id),
    reference   TEXT NOT NULL,
    goods       TEXT NOT NULL,
    value       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX declarations_movement ON declarations (movement_id);
