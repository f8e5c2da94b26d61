-- The enterprise list's default order (live enterprises by name) read straight from an
-- index that also answers `archived = FALSE`: a page deep in the list and the count of a
-- whole-city scope walk this index alone, without visiting the rows.
DROP INDEX enterprise_name;
CREATE INDEX enterprise_live_name ON enterprise (archived, name);

-- Same-name lookups ask for live enterprises with a name key: both columns in one index,
-- so that the planner never prefers walking every live enterprise by `archived`.
DROP INDEX enterprise_name_key;
CREATE INDEX enterprise_name_key ON enterprise (name_key, archived);
