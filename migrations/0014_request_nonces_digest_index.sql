-- A record made on a signed request that an earlier record of its transaction already carries
-- names the request by the hex SHA-256 of its JWS instead of carrying it again (src/app/journal.ts);
-- whoever re-checks such a record outside that transaction (a rebuild) finds the carrying record
-- through the nonce the request spent, by this index.
create index request_nonces_jws_sha256_idx on request_nonces (jws_sha256);
