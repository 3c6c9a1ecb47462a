-- A lean journal (throughput work): the jsonb copy of every record is gone. Nothing reads it — every
-- reader parses `canonical`, the signed bytes — and writing it cost PostgreSQL a second parse and a
-- second copy of each record (about as large as the canonical text) on the hot path. What queries
-- need of a record lives in projections, which `rebuild` derives from `canonical`.
alter table journal drop column record;
