-- Enterprise problems 企业之家 and the chain chiefs' work (issue 7, SPEC E and F): problems
-- with their steps and files, chain-wide groups, the working-day calendar the time limits
-- count in, visits 调研, quarterly meetings with agenda items and decisions, assigned tasks
-- 交办事项 with progress reports, and the chains' plans.
CREATE TABLE workday_adjustment (
    day DATE PRIMARY KEY,
    kind TEXT NOT NULL,            -- holiday (weekday off) or workday (weekend worked)
    name TEXT NOT NULL,            -- the holiday it belongs to
    added_at TIMESTAMP NOT NULL,
    added_by BIGINT
);

CREATE TABLE problem_group (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,           -- the earliest member's title
    enterprises BIGINT NOT NULL,   -- distinct enterprises among the members
    first_on DATE NOT NULL,
    last_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX problem_group_chain ON problem_group (chain_id, last_on);

CREATE TABLE problem (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,     -- WT-2026-00001
    enterprise_id BIGINT REFERENCES enterprise (id),
    enterprise_name TEXT NOT NULL, -- as raised (the ledger's name when linked)
    chain_id BIGINT REFERENCES chain (id),
    region_code TEXT NOT NULL REFERENCES region (code),
    category TEXT NOT NULL,        -- domain::problem::Category code
    subcategory TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    contact TEXT NOT NULL,
    source TEXT NOT NULL,          -- portal, staff, visit, hotline, api
    source_ref TEXT NOT NULL,      -- the hotline ticket number or the visit's code
    dedup_key TEXT NOT NULL,
    status TEXT NOT NULL,          -- domain::problem::Status code
    level TEXT NOT NULL,           -- county, lead_department, chief
    unit_code TEXT NOT NULL,       -- handling unit at this level: region, department or chain code
    co_unit_code TEXT NOT NULL,    -- the department of the category, consulted at every level
    level_since DATE NOT NULL,     -- the day it reached this level (or was reopened)
    deadline DATE NOT NULL,        -- this level's time limit, in working days from level_since
    lapsed_units TEXT NOT NULL,    -- units that let it lapse, comma-separated
    answer TEXT NOT NULL,
    answered_on DATE,
    rating BIGINT,
    rating_note TEXT NOT NULL,
    closed_on DATE,
    reopened BIGINT NOT NULL,
    group_id BIGINT REFERENCES problem_group (id),
    raised_on DATE NOT NULL,
    raised_by BIGINT REFERENCES account (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX problem_open ON problem (status, deadline);
CREATE INDEX problem_region ON problem (region_code, status);
CREATE INDEX problem_chain ON problem (chain_id, category, raised_on);
CREATE INDEX problem_unit ON problem (unit_code, status);
CREATE INDEX problem_enterprise ON problem (enterprise_id, raised_on);
CREATE INDEX problem_dedup ON problem (dedup_key);
CREATE INDEX problem_group_member ON problem (group_id);
CREATE INDEX problem_order ON problem (updated_at DESC, id DESC);

CREATE TABLE problem_event (
    id INTEGER PRIMARY KEY,
    problem_id BIGINT NOT NULL REFERENCES problem (id),
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,          -- raise or a domain::problem::Action code
    actor TEXT NOT NULL,           -- enterprise, handling_unit, office, system
    account_id BIGINT REFERENCES account (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    from_level TEXT,
    to_level TEXT NOT NULL,
    unit_code TEXT NOT NULL,       -- the handling unit after the step
    text TEXT NOT NULL,
    rating BIGINT
);
CREATE INDEX problem_event_problem ON problem_event (problem_id, id);

CREATE TABLE problem_file (
    id INTEGER PRIMARY KEY,
    problem_id BIGINT NOT NULL REFERENCES problem (id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by BIGINT REFERENCES account (id)
);
CREATE INDEX problem_file_problem ON problem_file (problem_id);

CREATE TABLE visit (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,     -- DY-2026-0001
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    visitor TEXT NOT NULL,         -- the chain chief or department that went
    kind TEXT NOT NULL,            -- chief or department
    visited_on DATE NOT NULL,
    places TEXT NOT NULL,          -- enterprises and parks visited, as written
    findings TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES account (id)
);
CREATE INDEX visit_chain ON visit (chain_id, visited_on);

CREATE TABLE meeting (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    year BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    title TEXT NOT NULL,
    doc_no TEXT NOT NULL,          -- 文号 of the packet
    held_on DATE NOT NULL,
    place TEXT NOT NULL,
    attendees TEXT NOT NULL,
    minutes TEXT NOT NULL,
    status TEXT NOT NULL,          -- planned or held
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES account (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (chain_id, year, quarter)
);

CREATE TABLE meeting_item (
    id INTEGER PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meeting (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,            -- problem, group, project, task, policy, other
    ref_id BIGINT,
    title TEXT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (meeting_id, seq)
);

CREATE TABLE task (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,     -- JB-2026-0001
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    meeting_id BIGINT REFERENCES meeting (id),
    visit_id BIGINT REFERENCES visit (id),
    problem_id BIGINT REFERENCES problem (id),
    decision TEXT NOT NULL,        -- the meeting's decision it carries out
    title TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    person TEXT NOT NULL,
    due_on DATE NOT NULL,
    evidence TEXT NOT NULL,        -- the evidence expected at closure
    status TEXT NOT NULL,          -- open, done, cancelled
    done_on DATE,
    result TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT REFERENCES account (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX task_chain ON task (chain_id, status, due_on);
CREATE INDEX task_unit ON task (unit_code, status);
CREATE INDEX task_meeting ON task (meeting_id);

CREATE TABLE task_report (
    id INTEGER PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES task (id),
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,            -- progress, supervision, done
    text TEXT NOT NULL,
    account_id BIGINT REFERENCES account (id)
);
CREATE INDEX task_report_task ON task_report (task_id, id);

CREATE TABLE plan_item (
    id INTEGER PRIMARY KEY,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    kind TEXT NOT NULL,            -- action (行动方案) or annual (年度工作计划)
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    due_on DATE NOT NULL,
    progress TEXT NOT NULL,
    status TEXT NOT NULL,          -- open, done
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT REFERENCES account (id)
);
CREATE INDEX plan_item_chain ON plan_item (chain_id, kind, year, seq);
