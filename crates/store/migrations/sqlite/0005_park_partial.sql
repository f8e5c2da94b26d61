-- Most enterprises are in no park: index only those that are (queries ask `park_code = …` or
-- `IN (…)`, which imply NOT NULL), so that bulk imports maintain one index less per row.
DROP INDEX enterprise_park;
CREATE INDEX enterprise_park ON enterprise (park_code) WHERE park_code IS NOT NULL;
