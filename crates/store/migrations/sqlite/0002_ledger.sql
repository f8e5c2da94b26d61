-- Enterprise ledger (SQLite): indicators, gradient ledger, honours, designations, listing
-- reserve, aliases (former names, products), change feed. Twin: ../postgres/0002_ledger.sql.

CREATE TABLE indicator (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    period_kind TEXT NOT NULL,     -- month, quarter, year
    source TEXT NOT NULL,          -- the usual supplier of the figure
    sort BIGINT NOT NULL
);

INSERT INTO indicator (code, name, unit, period_kind, source, sort) VALUES
 ('output_value', '工业总产值', '万元', 'month', '市统计局', 1),
 ('added_value', '工业增加值', '万元', 'month', '市统计局', 2),
 ('revenue', '营业收入', '万元', 'month', '市统计局', 3),
 ('profit', '利润总额', '万元', 'month', '市统计局', 4),
 ('tax', '税收', '万元', 'month', '市税务局', 5),
 ('rd_expense', '研发投入', '万元', 'year', '市科技局', 6),
 ('invention_patents', '发明专利授权量', '件', 'year', '市市场监管局', 7),
 ('employees', '从业人员', '人', 'month', '市统计局', 8),
 ('energy', '综合能耗', '吨标准煤', 'year', '市发展改革委', 9),
 ('exports', '出口额', '万元', 'month', '市商务局', 10),
 ('fixed_investment', '固定资产投资', '万元', 'month', '市统计局', 11),
 ('total_assets', '资产总额', '万元', 'year', '市统计局', 12);

CREATE TABLE indicator_value (
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    indicator_code TEXT NOT NULL REFERENCES indicator (code),
    period TEXT NOT NULL,          -- 2025 (year), 2025-03 (month), 2025Q1 (quarter)
    value DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    reported_on DATE,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT,
    PRIMARY KEY (enterprise_id, indicator_code, period)
);
CREATE INDEX indicator_value_code_period ON indicator_value (indicator_code, period);

CREATE TABLE honour_kind (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,        -- honour, designation
    applies_to TEXT NOT NULL,      -- enterprise, park
    sort BIGINT NOT NULL
);

INSERT INTO honour_kind (code, name, category, applies_to, sort) VALUES
 ('specialised_sme', '专精特新中小企业', 'honour', 'enterprise', 1),
 ('little_giant', '专精特新“小巨人”企业', 'honour', 'enterprise', 2),
 ('single_champion', '制造业单项冠军', 'honour', 'enterprise', 3),
 ('high_tech', '高新技术企业', 'honour', 'enterprise', 4),
 ('tech_sme', '科技型中小企业', 'honour', 'enterprise', 5),
 ('gazelle', '瞪羚企业', 'honour', 'enterprise', 6),
 ('innovative_sme', '创新型中小企业', 'honour', 'enterprise', 7),
 ('smart_factory', '智能工厂', 'designation', 'enterprise', 20),
 ('digital_workshop', '数字化车间', 'designation', 'enterprise', 21),
 ('green_factory', '绿色工厂', 'designation', 'enterprise', 22),
 ('zero_carbon_park', '零碳园区', 'designation', 'park', 30),
 ('green_park', '绿色园区', 'designation', 'park', 31);

CREATE TABLE honour (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT REFERENCES enterprise (id),
    park_code TEXT REFERENCES region (code),
    kind_code TEXT NOT NULL REFERENCES honour_kind (code),
    level TEXT NOT NULL,           -- national, provincial, city
    year BIGINT NOT NULL,
    valid_until DATE,
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);
CREATE UNIQUE INDEX honour_unique ON honour (enterprise_id, kind_code, level, year);
CREATE INDEX honour_kind_year ON honour (kind_code, year);

-- 上规·上榜·上云·上市: yearly target and status per enterprise.
CREATE TABLE gradient_status (
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    year BIGINT NOT NULL,
    gradient TEXT NOT NULL,        -- above_scale, honoured, on_cloud, listed
    targeted BOOLEAN NOT NULL,
    achieved BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT,
    PRIMARY KEY (enterprise_id, year, gradient)
);

-- 上市（并购标的）后备企业资源库
CREATE TABLE listing_reserve (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL UNIQUE REFERENCES enterprise (id),
    kind TEXT NOT NULL,            -- listing, merger_target
    stage TEXT NOT NULL,           -- cultivation, tutoring, filing, listed
    board TEXT NOT NULL,           -- main, star, chinext, bse, neeq, hk, overseas, undecided
    since DATE,
    note TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT
);

-- Former names and products, searchable.
CREATE TABLE enterprise_alias (
    enterprise_id BIGINT NOT NULL REFERENCES enterprise (id),
    kind TEXT NOT NULL,            -- former_name, product
    value TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, kind, value)
);

-- The change feed: every write to searchable data appends a row; each server instance's
-- search index follows it by sequence number.
CREATE TABLE change_feed (
    seq INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    op TEXT NOT NULL,              -- upsert, delete
    at TIMESTAMP NOT NULL
);
