-- Key projects 重点项目 (issue 6, SPEC D): the project library with its responsible unit and
-- person (清单制+责任制), yearly plans, milestones, monthly reports, the stage log with its
-- evidence files, supervision orders 督办 and saved list filters.
CREATE TABLE project (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,     -- 项目编号, given or generated (XM-2026-0001)
    name TEXT NOT NULL,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    segment_id BIGINT REFERENCES segment (id),
    region_code TEXT NOT NULL REFERENCES region (code),
    enterprise_id BIGINT REFERENCES enterprise (id),
    investor TEXT NOT NULL,        -- 项目业主 as written (the enterprise's name when linked)
    kind TEXT NOT NULL,            -- new_attraction, reinvestment, pilot, upgrade, environmental
    tag_effective BOOLEAN NOT NULL,
    tag_rooted BOOLEAN NOT NULL,
    tag_tax BOOLEAN NOT NULL,
    total_fen BIGINT NOT NULL,
    land_mu TEXT NOT NULL,         -- land area in 亩, exact decimal text ('' when none)
    land_mode TEXT,                -- long_lease, lease_then_sell, flexible_term, transfer
    output_fen BIGINT NOT NULL,    -- expected yearly output
    tax_fen BIGINT NOT NULL,       -- expected yearly tax
    content TEXT NOT NULL,         -- 建设内容
    unit_code TEXT NOT NULL,       -- responsible unit: a department or region code
    person TEXT NOT NULL,          -- responsible person
    person_account_id BIGINT REFERENCES account (id),
    contact TEXT NOT NULL,
    stage TEXT NOT NULL,           -- domain::project::Stage code
    stage_on DATE NOT NULL,        -- when the current stage was entered
    planned_start DATE NOT NULL,
    planned_end DATE,
    first_month TEXT NOT NULL,     -- first month that must be reported, YYYY-MM
    completed_fen BIGINT NOT NULL, -- sum of the monthly reports
    last_month TEXT,               -- latest month reported
    reported TEXT NOT NULL,        -- one character per month from first_month: 1 reported, 0 not
    terminated_reason TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);
CREATE INDEX project_chain ON project (chain_id, stage);
CREATE INDEX project_region ON project (region_code, stage);
CREATE INDEX project_unit ON project (unit_code);
CREATE INDEX project_person ON project (person_account_id);
CREATE INDEX project_enterprise ON project (enterprise_id);
CREATE INDEX project_order ON project (updated_at DESC, id DESC);

CREATE TABLE project_plan (
    project_id BIGINT NOT NULL REFERENCES project (id),
    year BIGINT NOT NULL,
    plan_fen BIGINT NOT NULL,
    PRIMARY KEY (project_id, year)
);
CREATE INDEX project_plan_year ON project_plan (year, project_id);

CREATE TABLE project_milestone (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project (id),
    seq BIGINT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    stage TEXT,                    -- entering this stage completes the milestone
    days BIGINT NOT NULL,          -- days after the previous milestone
    due_on DATE NOT NULL,
    adjusted BOOLEAN NOT NULL,     -- due date set by hand
    adjust_reason TEXT NOT NULL,
    done_on DATE,
    UNIQUE (project_id, seq)
);
CREATE INDEX project_milestone_open ON project_milestone (due_on, project_id) WHERE done_on IS NULL;

CREATE TABLE project_report (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project (id),
    month TEXT NOT NULL,           -- YYYY-MM
    amount_fen BIGINT NOT NULL,    -- investment completed in the month
    progress TEXT NOT NULL,
    problems TEXT NOT NULL,
    late BOOLEAN NOT NULL,         -- submitted after the 5th of the following month
    submitted_at TIMESTAMP NOT NULL,
    submitted_by BIGINT,
    submitter TEXT NOT NULL,
    UNIQUE (project_id, month)
);
-- Late reports by submission time: the only ones that did not exist yet on a past day whose
-- codes are recomputed (an on-time report of a month past due was in by then).
CREATE INDEX project_report_late ON project_report (submitted_at, month) WHERE late = TRUE;

-- Investment completed per project, year and month (the sums of the reports, kept with
-- them), so that a scheduling report reads one row per project instead of its reports.
CREATE TABLE project_done (
    project_id BIGINT NOT NULL REFERENCES project (id),
    year BIGINT NOT NULL,
    m01 BIGINT NOT NULL, m02 BIGINT NOT NULL, m03 BIGINT NOT NULL, m04 BIGINT NOT NULL,
    m05 BIGINT NOT NULL, m06 BIGINT NOT NULL, m07 BIGINT NOT NULL, m08 BIGINT NOT NULL,
    m09 BIGINT NOT NULL, m10 BIGINT NOT NULL, m11 BIGINT NOT NULL, m12 BIGINT NOT NULL,
    PRIMARY KEY (project_id, year)
);

-- The project's timeline: creation, stage changes, milestone changes, reports, edits.
CREATE TABLE project_event (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project (id),
    kind TEXT NOT NULL,            -- created, transition, milestone_done, milestone_adjusted, report, supervision, response, edit
    on_date DATE NOT NULL,
    from_stage TEXT,
    to_stage TEXT,
    text TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    by_id BIGINT,
    by_name TEXT NOT NULL
);
CREATE INDEX project_event_project ON project_event (project_id, id);
CREATE INDEX project_event_stage ON project_event (to_stage, on_date) WHERE kind = 'transition';

-- Evidence of a stage change: a file (kept in the database, no instance disk) or a text.
CREATE TABLE project_evidence (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project (id),
    event_id BIGINT NOT NULL REFERENCES project_event (id),
    stage TEXT NOT NULL,
    item TEXT NOT NULL,            -- requirement key (contract, permit_no …)
    text TEXT NOT NULL,            -- the text proof, or the file's name
    file_type TEXT,                -- pdf, jpeg, png, docx; NULL for a text
    size BIGINT NOT NULL,
    sm3 TEXT NOT NULL,
    data BLOB,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT
);
CREATE INDEX project_evidence_project ON project_evidence (project_id);

CREATE TABLE project_supervision (
    id INTEGER PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project (id),
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    due_on DATE NOT NULL,          -- response deadline
    issued_at TIMESTAMP NOT NULL,
    issued_by BIGINT,
    issuer TEXT NOT NULL,
    response TEXT NOT NULL,
    responded_at TIMESTAMP,
    responded_by BIGINT,
    responder TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX project_supervision_project ON project_supervision (project_id);
CREATE INDEX project_supervision_open ON project_supervision (due_on) WHERE responded_at IS NULL;

-- A user's saved filters of the project list.
CREATE TABLE project_filter (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, name)
);
