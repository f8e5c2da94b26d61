-- Typed lists on a chain (issue 4 part 5): the collaboration demand table 协作需求表, the
-- 一链N清单 (technology route, industrial layout, enterprise cultivation, key platforms,
-- application scenarios) and the 6 keys (key enterprises, products, parks, technologies,
-- teams, projects), one row per item with its kind, owner, status and dates, optionally
-- tied to a segment and an enterprise.
CREATE TABLE chain_list (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,          -- planned, in_progress, done, dropped
    start_on DATE,
    due_on DATE,
    segment_id BIGINT REFERENCES segment (id),
    enterprise_id BIGINT REFERENCES enterprise (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);
CREATE INDEX chain_list_chain ON chain_list (chain_id, kind);
