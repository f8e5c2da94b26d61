-- Yearly evaluation runs and the three-tier ledger (issue 5 part 3 experts, part 4).
-- A run evaluates the enterprises of one chain for one year with one scheme version. Its
-- inputs are snapshotted when it is created (the quantitative matrix as read from the
-- ledger, the definition) and its experts' scores are kept per expert; `result` holds the
-- whole matrix that was computed (so that an export recomputes to identical numbers).
CREATE TABLE eval_run (
    id INTEGER PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES eval_scheme (id),
    scheme_version BIGINT NOT NULL,
    target TEXT NOT NULL,          -- leader, member (copied from the scheme)
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    year BIGINT NOT NULL,
    status TEXT NOT NULL,          -- scoring, computed, approved
    config TEXT NOT NULL,          -- JSON: app::evalrun::RunConfig (tiers, bar, aggregation)
    snapshot TEXT NOT NULL,        -- JSON: app::evalrun::Snapshot
    result TEXT,                   -- JSON: app::evalrun::RunResult, once computed
    row_version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    computed_at TIMESTAMP,
    approved_at TIMESTAMP,
    approved_by BIGINT
);
CREATE INDEX eval_run_chain_year ON eval_run (chain_id, year);
-- At most one approved run per target, chain and year.
CREATE UNIQUE INDEX eval_run_approved ON eval_run (target, chain_id, year) WHERE status = 'approved';

-- Experts assigned to a run: their conflict-of-interest declaration (the enterprises they
-- do not score) and when they submitted their scores.
CREATE TABLE eval_run_expert (
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    account_id BIGINT NOT NULL REFERENCES account (id),
    assigned_at TIMESTAMP NOT NULL,
    declared_at TIMESTAMP,
    conflicts TEXT NOT NULL,       -- JSON array of enterprise ids
    declaration TEXT NOT NULL,     -- the expert's own words on the conflicts
    submitted_at TIMESTAMP,
    PRIMARY KEY (run_id, account_id)
);
CREATE TABLE eval_score (
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    account_id BIGINT NOT NULL REFERENCES account (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    indicator TEXT NOT NULL,       -- the indicator's code in the scheme
    score DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, account_id, enterprise_id, indicator)
);
-- A computed run's scores, ranks, contributions and tiers (proposed, and as reviewed).
CREATE TABLE eval_result (
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    score DOUBLE PRECISION NOT NULL,
    rank DOUBLE PRECISION NOT NULL,
    contributions TEXT NOT NULL,   -- JSON array, one per criterion of the result
    proposed_tier TEXT,            -- demonstration, cultivation, candidate; none: not in the ledger
    proposal_reason TEXT NOT NULL,
    tier TEXT,
    tier_reason TEXT NOT NULL,     -- why the office changed the proposal
    PRIMARY KEY (run_id, enterprise_id)
);
CREATE INDEX eval_result_enterprise ON eval_result (enterprise_id);
-- The office's review of a run: computations, comments, tier changes, returns, approval.
CREATE TABLE eval_review (
    id INTEGER PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES eval_run (id),
    action TEXT NOT NULL,          -- compute, comment, tier, return, approve
    comment TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    by_account BIGINT
);
CREATE INDEX eval_review_run ON eval_review (run_id);

-- The three-tier ledger 示范库·培育库·候选库: where each enterprise stands now, per target
-- (leader, member) and chain; its history across years in tier_history.
CREATE TABLE tier_entry (
    target TEXT NOT NULL,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    tier TEXT NOT NULL,            -- demonstration, cultivation, candidate
    since_year BIGINT NOT NULL,    -- in this tier since
    last_year BIGINT NOT NULL,     -- the year of the run that last confirmed it
    last_run_id BIGINT REFERENCES eval_run (id),
    last_score DOUBLE PRECISION,
    PRIMARY KEY (target, chain_id, enterprise_id)
);
CREATE INDEX tier_entry_enterprise ON tier_entry (enterprise_id);
CREATE TABLE tier_history (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    year BIGINT NOT NULL,
    run_id BIGINT REFERENCES eval_run (id),
    event TEXT NOT NULL,           -- entered, promoted, demoted, kept, warning, initiated, appealed, upheld, rejected, lifted, exited
    tier_from TEXT,
    tier_to TEXT,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    by_account BIGINT
);
CREATE INDEX tier_history_chain ON tier_history (target, chain_id, year);
CREATE INDEX tier_history_enterprise ON tier_history (enterprise_id);
-- The exit procedure: warning → exit initiated → exited, with an appeal step; closed as
-- lifted (the enterprise met the bar again or the office lifted it) or withdrawn (appeal upheld).
CREATE TABLE tier_exit (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    chain_id BIGINT NOT NULL REFERENCES chain (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    state TEXT NOT NULL,           -- warning, initiated, exited, lifted, withdrawn
    run_id BIGINT REFERENCES eval_run (id),
    reason TEXT NOT NULL,
    warned_at TIMESTAMP NOT NULL,
    initiated_at TIMESTAMP,
    closed_at TIMESTAMP,
    close_reason TEXT NOT NULL,
    appeal TEXT,                   -- the enterprise's appeal
    appealed_at TIMESTAMP,
    appeal_decision TEXT,          -- upheld, rejected
    appeal_reply TEXT,
    decided_at TIMESTAMP,
    row_version BIGINT NOT NULL
);
CREATE INDEX tier_exit_chain ON tier_exit (target, chain_id, state);
-- At most one open exit procedure per enterprise, target and chain.
CREATE UNIQUE INDEX tier_exit_open ON tier_exit (target, chain_id, enterprise_id) WHERE state IN ('warning', 'initiated');
