-- Signed requests: the single-use nonce of every API request a party signed (src/trust/request.ts),
-- so that a captured request cannot be replayed into a second record. A projection of the journal:
-- each record made on a party's signed request carries that request (payload.request), and the
-- first record of a request inserts its nonce. Rebuilt by replay like every projection.

create table request_nonces (
  nonce text primary key check (nonce ~ '^[A-Za-z0-9_-]{16,128}$'),
  party_id text not null references parties (id),
  key_id text not null,
  jws_sha256 text not null check (jws_sha256 ~ '^[0-9a-f]{64}$'),
  first_seq bigint not null references journal (seq)
);
