-- The enterprise list's default order (live enterprises by name) read straight from an
-- index of the live enterprises only: a page deep in the list walks this index alone,
-- without visiting the rows. Partial rather than (archived, name), so that a planner never
-- takes `archived = ?` for a selective condition and walks every live enterprise when a
-- county or park filter has an index of its own.
DROP INDEX enterprise_name;
CREATE INDEX enterprise_live_name ON enterprise (name) WHERE archived = FALSE;

-- Same-name lookups ask for live enterprises with a name key: both columns in one index,
-- so that the planner never prefers walking every live enterprise by `archived`.
DROP INDEX enterprise_name_key;
CREATE INDEX enterprise_name_key ON enterprise (name_key, archived);
