-- Evaluation schemes (issue 5 part 3): a scheme evaluates 链主 (leader) or 链属 (member)
-- candidates of one chain or of the whole city; its definition (the indicator tree, the
-- bindings to ledger data, the weighting and aggregation) is versioned: every change is a
-- new version, and a run refers to the version it used.
CREATE TABLE eval_scheme (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    target TEXT NOT NULL,          -- leader, member
    chain_id BIGINT REFERENCES chain (id),
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT
);
CREATE TABLE eval_scheme_version (
    id INTEGER PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES eval_scheme (id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,      -- JSON: app::scheme::SchemeDef
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    UNIQUE (scheme_id, version)
);
