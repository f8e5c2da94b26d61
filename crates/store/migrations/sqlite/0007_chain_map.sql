-- The chain map (issue 4): officers and yearly targets of a chain, its segments (a two-level
-- tree per stage), supply edges between segments, enterprises placed on segments, and
-- supply relations between enterprises. Edits keep their history in field_history and the
-- audit log; segments and edges are retired, never deleted, so history stays readable.

-- 链长 and 副链长: accounts of the city's leaders.
CREATE TABLE chain_officer (
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    account_id BIGINT NOT NULL REFERENCES account (id),
    role TEXT NOT NULL,            -- chief, deputy
    PRIMARY KEY (chain_id, account_id)
);

-- Yearly output target of a chain (产值目标), in fen.
CREATE TABLE chain_target (
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    year BIGINT NOT NULL,
    output_fen BIGINT NOT NULL,
    PRIMARY KEY (chain_id, year)
);

CREATE TABLE segment (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,           -- upstream, midstream, downstream
    parent_id BIGINT REFERENCES segment (id),
    sort BIGINT NOT NULL,
    key_products TEXT NOT NULL,    -- ';'-separated
    key_technologies TEXT NOT NULL,
    industry_codes TEXT NOT NULL,  -- ';'-separated GB/T 4754 class codes
    retired BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT,
    UNIQUE (chain_id, code)
);
CREATE INDEX segment_parent ON segment (parent_id);

-- The `from` segment supplies `product` to the `to` segment.
CREATE TABLE segment_edge (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    from_id BIGINT NOT NULL REFERENCES segment (id),
    to_id BIGINT NOT NULL REFERENCES segment (id),
    product TEXT NOT NULL,
    retired BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    UNIQUE (from_id, to_id)
);
CREATE INDEX segment_edge_chain ON segment_edge (chain_id);

-- An enterprise on a segment, as 链主 (leader) or 链属 (member).
CREATE TABLE placement (
    id INTEGER PRIMARY KEY,
    segment_id BIGINT NOT NULL REFERENCES segment (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    role TEXT NOT NULL,            -- leader, member
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    UNIQUE (segment_id, enterprise_id)
);
CREATE INDEX placement_enterprise ON placement (enterprise_id);

-- Enterprise to enterprise: the supplier (an enterprise of the ledger, or a company outside
-- it by name) sells `product` to the buyer, `amount_fen` a year.
CREATE TABLE supply_relation (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT REFERENCES enterprise (id),
    supplier_name TEXT NOT NULL,
    buyer_id BIGINT NOT NULL REFERENCES enterprise (id),
    product TEXT NOT NULL,
    year BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    local BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT
);
CREATE INDEX supply_relation_buyer ON supply_relation (buyer_id);
CREATE INDEX supply_relation_supplier ON supply_relation (supplier_id);
