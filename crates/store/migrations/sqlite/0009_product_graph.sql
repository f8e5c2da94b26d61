-- The reference product graph (issue 4 part 6): an external knowledge graph of products and
-- listed companies, replaced whole by each import; the mapping of its products onto chain
-- segments, kept by product name so that review decisions survive a re-import; and the
-- investment targets 招引目标企业 (part 7) pushed to regions, with their follow-up log.
CREATE TABLE ref_product (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
-- up_id is an upstream material of down_id.
CREATE TABLE ref_product_supply (
    up_id BIGINT NOT NULL REFERENCES ref_product (id),
    down_id BIGINT NOT NULL REFERENCES ref_product (id),
    PRIMARY KEY (up_id, down_id)
);
CREATE INDEX ref_product_supply_down ON ref_product_supply (down_id);
-- child_id is a sub-category 产品小类 of parent_id.
CREATE TABLE ref_product_sub (
    parent_id BIGINT NOT NULL REFERENCES ref_product (id),
    child_id BIGINT NOT NULL REFERENCES ref_product (id),
    PRIMARY KEY (parent_id, child_id)
);
CREATE TABLE ref_company (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,     -- stock code or USCC
    name TEXT NOT NULL
);
CREATE TABLE ref_company_product (
    company_id BIGINT NOT NULL REFERENCES ref_company (id),
    product_id BIGINT NOT NULL REFERENCES ref_product (id),
    weight DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (company_id, product_id)
);
CREATE INDEX ref_company_product_product ON ref_company_product (product_id);
CREATE TABLE ref_company_industry (
    company_id BIGINT NOT NULL REFERENCES ref_company (id),
    industry_code TEXT NOT NULL,
    industry_name TEXT NOT NULL,
    PRIMARY KEY (company_id, industry_code)
);
-- One row per import, with the cleaning report (JSON).
CREATE TABLE ref_graph_import (
    id INTEGER PRIMARY KEY,
    imported_at TIMESTAMP NOT NULL,
    imported_by BIGINT,
    source TEXT NOT NULL,
    products BIGINT NOT NULL,
    relations BIGINT NOT NULL,
    companies BIGINT NOT NULL,
    company_products BIGINT NOT NULL,
    dropped BIGINT NOT NULL,
    report TEXT NOT NULL
);

-- A reference product proposed for (or set on) a segment.
CREATE TABLE product_mapping (
    id INTEGER PRIMARY KEY,
    segment_id BIGINT NOT NULL REFERENCES segment (id),
    product TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    evidence TEXT NOT NULL,        -- reasons, one per line
    status TEXT NOT NULL,          -- proposed, accepted, rejected
    version BIGINT NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by BIGINT,
    UNIQUE (segment_id, product)
);

-- A company proposed for a weak or missing segment, once pushed to regions: the score and
-- evidence as they were when pushed.
CREATE TABLE target (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    segment_id BIGINT NOT NULL REFERENCES segment (id),
    company_code TEXT NOT NULL,
    company_name TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    evidence TEXT NOT NULL,        -- JSON array of strings
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    UNIQUE (segment_id, company_code)
);
CREATE INDEX target_chain ON target (chain_id);
-- A target pushed to a region, followed up there.
CREATE TABLE target_push (
    id INTEGER PRIMARY KEY,
    target_id BIGINT NOT NULL REFERENCES target (id),
    region_code TEXT NOT NULL REFERENCES region (code),
    status TEXT NOT NULL,          -- pushed, contacted, negotiating, signed, landed, dropped
    reason TEXT NOT NULL,          -- why dropped
    version BIGINT NOT NULL,
    pushed_at TIMESTAMP NOT NULL,
    pushed_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT,
    UNIQUE (target_id, region_code)
);
CREATE INDEX target_push_region ON target_push (region_code);
CREATE TABLE target_event (
    id INTEGER PRIMARY KEY,
    push_id BIGINT NOT NULL REFERENCES target_push (id),
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX target_event_push ON target_event (push_id);
