-- The list's default order and the same-name lookups share one partial index of the live
-- enterprises by name key (was one by name and one by (name_key, archived)): one index
-- fewer to keep on every write. (SQLite's 0006 also makes its enterprise foreign keys
-- deferred, so that its multi-row INSERT needs no statement journal; PostgreSQL keeps no
-- such journal and its keys stay as they are.)
DROP INDEX enterprise_live_name;
DROP INDEX enterprise_name_key;
CREATE INDEX enterprise_live_key ON enterprise (name_key) WHERE archived = FALSE;
