-- Foundation schema (SQLite). Its twin is ../postgres/0001_foundation.sql; a test keeps
-- the two in lockstep (tables, columns, types, nullability).

CREATE TABLE region (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,            -- province, prefecture, county, township, park
    parent_code TEXT REFERENCES region (code),
    sort BIGINT NOT NULL
);

CREATE TABLE industry (
    code TEXT PRIMARY KEY,
    level TEXT NOT NULL,           -- section, division, group, class
    name TEXT NOT NULL,
    parent_code TEXT REFERENCES industry (code),
    section TEXT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE industry_concordance (
    code_2017 TEXT NOT NULL REFERENCES industry (code),
    code_2011 TEXT NOT NULL,
    name_2011 TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (code_2017, code_2011)
);

CREATE TABLE size_threshold (
    id INTEGER PRIMARY KEY,
    industry TEXT NOT NULL,
    scope TEXT NOT NULL,
    indicator TEXT NOT NULL,
    unit TEXT NOT NULL,
    large_min DOUBLE PRECISION NOT NULL,
    medium_min DOUBLE PRECISION NOT NULL,
    small_min DOUBLE PRECISION NOT NULL
);

CREATE TABLE field (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sort BIGINT NOT NULL
);

CREATE TABLE department (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    kind TEXT NOT NULL
);

CREATE TABLE reference_load (
    name TEXT PRIMARY KEY,
    rows BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE account (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    disabled BOOLEAN NOT NULL,
    failed_logins BIGINT NOT NULL,
    locked_until TIMESTAMP,
    last_login_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);

CREATE TABLE account_role (
    account_id BIGINT NOT NULL REFERENCES account (id),
    role TEXT NOT NULL,
    scope TEXT NOT NULL,           -- '' when the role carries no scope
    PRIMARY KEY (account_id, role, scope)
);

CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,   -- SM3 of the bearer or cookie value; the value itself is never stored
    account_id BIGINT NOT NULL REFERENCES account (id),
    kind TEXT NOT NULL,            -- web, api
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX session_account ON session (account_id);

CREATE TABLE security_policy (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    min_length BIGINT NOT NULL,
    min_classes BIGINT NOT NULL,
    expiry_days BIGINT NOT NULL,
    lockout_threshold BIGINT NOT NULL,
    lockout_minutes BIGINT NOT NULL,
    idle_timeout_minutes BIGINT NOT NULL,
    absolute_timeout_hours BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);

CREATE TABLE chain (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    field_code TEXT NOT NULL REFERENCES field (code),
    lead_department_code TEXT NOT NULL REFERENCES department (code),
    provincial_key BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);

CREATE TABLE chain_region (
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    region_code TEXT NOT NULL REFERENCES region (code),
    role TEXT NOT NULL,            -- carrying, collaborating
    PRIMARY KEY (chain_id, region_code)
);

CREATE TABLE enterprise (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES region (code),
    park_code TEXT REFERENCES region (code),
    industry_code TEXT NOT NULL REFERENCES industry (code),
    employees BIGINT,
    revenue_fen BIGINT,            -- yearly operating revenue, in fen
    assets_fen BIGINT,             -- total assets, in fen
    size TEXT,                     -- computed: large, medium, small, micro
    above_scale BOOLEAN NOT NULL,  -- computed: 规模以上工业企业
    founded_on DATE,
    address TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    description TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);
CREATE INDEX enterprise_region ON enterprise (region_code);
CREATE INDEX enterprise_park ON enterprise (park_code);
CREATE INDEX enterprise_industry ON enterprise (industry_code);
CREATE INDEX enterprise_name ON enterprise (name);

CREATE TABLE enterprise_chain (
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    PRIMARY KEY (enterprise_id, chain_id)
);
CREATE INDEX enterprise_chain_chain ON enterprise_chain (chain_id);

CREATE TABLE field_history (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    source TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by BIGINT
);
CREATE INDEX field_history_entity ON field_history (entity, entity_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    ip TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log (actor);

-- The head of the hash chain: one row, updated in the same transaction as each append, so
-- that concurrent writers (several server instances) serialise on it.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE setting (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
