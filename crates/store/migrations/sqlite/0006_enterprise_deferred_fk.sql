-- no-transaction
-- The enterprise table's foreign keys (region, park, industry) become DEFERRABLE INITIALLY
-- DEFERRED: still enforced, at COMMIT instead of per row. With immediate foreign keys every
-- multi-row INSERT inside a transaction keeps a statement journal (a copy of each page it
-- touches, so that it alone can be undone), which was a fifth of a bulk import's time; the
-- bulk insert is INSERT OR FAIL (a failed row fails the whole import's transaction anyway),
-- and with the keys checked at commit SQLite needs no statement journal for it.
-- One index fewer: the list's default order and the same-name lookups share the partial
-- index of live enterprises by name key (was one by name and one by (name_key, archived)).
-- SQLite cannot alter a constraint: the table is rebuilt (the documented twelve steps, with
-- foreign keys off so that the children's references follow the renamed table).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE enterprise_rebuilt (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES region (code) DEFERRABLE INITIALLY DEFERRED,
    park_code TEXT REFERENCES region (code) DEFERRABLE INITIALLY DEFERRED,
    industry_code TEXT NOT NULL REFERENCES industry (code) DEFERRABLE INITIALLY DEFERRED,
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
    updated_by BIGINT,
    name_key TEXT NOT NULL DEFAULT '',
    merged_into BIGINT
);
INSERT INTO enterprise_rebuilt (id, uscc, name, region_code, park_code, industry_code, employees, revenue_fen,
    assets_fen, size, above_scale, founded_on, address, contact_name, contact_phone, description, is_demo, archived,
    version, created_at, created_by, updated_at, updated_by, name_key, merged_into)
SELECT id, uscc, name, region_code, park_code, industry_code, employees, revenue_fen,
    assets_fen, size, above_scale, founded_on, address, contact_name, contact_phone, description, is_demo, archived,
    version, created_at, created_by, updated_at, updated_by, name_key, merged_into
FROM enterprise;
DROP TABLE enterprise;
ALTER TABLE enterprise_rebuilt RENAME TO enterprise;
CREATE INDEX enterprise_region ON enterprise (region_code);
CREATE INDEX enterprise_industry ON enterprise (industry_code);
CREATE INDEX enterprise_live_key ON enterprise (name_key) WHERE archived = FALSE;
CREATE INDEX enterprise_park ON enterprise (park_code) WHERE park_code IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
