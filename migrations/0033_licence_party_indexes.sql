-- The caseload lists run in SQL (src/store/lists.repository.ts). A party's licences are those naming
-- it as authority, holder, importer, consignee or end user, and an authority's alerts are those on
-- the licences it issued; with no index on those columns PostgreSQL read every licence for each
-- list request (EXPLAIN: Seq Scan on licences). One index per column lets it answer the party rule
-- as a bitmap OR of index scans, and the alerts' `licence_id in (… where authority = …)` from the
-- authority index. Applications (authority, status), lots (holder, licence_ids) and alerts
-- (licence_id, seq) were indexed already (0003, 0008).
create index licences_authority_idx on licences (authority);
create index licences_holder_idx on licences (holder);
create index licences_importer_idx on licences ((licence->>'importer'));
create index licences_consignee_idx on licences (consignee);
create index licences_end_user_idx on licences (end_user);
