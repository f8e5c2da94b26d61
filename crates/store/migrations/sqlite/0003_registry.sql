-- Registry discipline (SQLite): normalised name keys, merges, corrections proposed by
-- enterprises. Twin: ../postgres/0003_registry.sql.

ALTER TABLE enterprise ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprise ADD COLUMN merged_into BIGINT;
CREATE INDEX enterprise_name_key ON enterprise (name_key);

ALTER TABLE enterprise_alias ADD COLUMN value_key TEXT NOT NULL DEFAULT '';
CREATE INDEX enterprise_alias_key ON enterprise_alias (value_key);

-- Pairs of enterprises whose names are the same after normalisation, for review.
CREATE TABLE merge_candidate (
    id INTEGER PRIMARY KEY,
    enterprise_a BIGINT NOT NULL REFERENCES enterprise (id),
    enterprise_b BIGINT NOT NULL REFERENCES enterprise (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,          -- open, merged, distinct
    decided_by BIGINT,
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX merge_candidate_pair ON merge_candidate (enterprise_a, enterprise_b);

-- Corrections an enterprise proposes to its own record, reviewed by its region or the office.
CREATE TABLE correction (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    proposed_by BIGINT NOT NULL REFERENCES account (id),
    changes_json TEXT NOT NULL,    -- {"field": {"from": …, "to": …}}
    reason TEXT NOT NULL,
    status TEXT NOT NULL,          -- pending, approved, rejected
    reviewed_by BIGINT,
    reviewed_at TIMESTAMP,
    review_note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX correction_enterprise ON correction (enterprise_id);
