-- Certificates are looked up by the party that issued them: each issuer's published status list
-- (the revoked certificates it issued, `revokedIndexesOf`), the list of issuers, and `certificates
-- list --party`, which matches issuer, exporter, importer or end user. With end_user already indexed
-- (0005), these three let PostgreSQL answer the party filter as a bitmap OR of index scans instead of
-- reading every certificate.
create index certificates_issuer_status_idx on certificates (issuer, status);
create index certificates_exporter_idx on certificates (exporter);
create index certificates_importer_idx on certificates (importer);
