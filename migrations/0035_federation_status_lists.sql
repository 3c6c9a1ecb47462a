-- Issue 24: a peer's published revocation status lists, fetched over HTTP (src/federation/status-fetch.ts).
-- The peer's public base URL, from the identity JSON it prints (`federation identity`): where its
-- /status-lists/<party>/revocation are. Null for a peer pinned before 0035 (its lists are not fetched).
alter table federation_peers add column public_url text;

-- Operator state (not a projection, left alone by rebuild): the last status list of each issuer fetched
-- from a peer and verified with the peer's pinned log key, kept so that a restart keeps it, a 304 can
-- reuse it, and a shipment can rely on it within its validity while the peer is unreachable.
create table federation_status_lists (
  node text not null references federation_peers (node),
  party_id text not null,
  url text not null,
  -- The strong entity tag the peer sent (sent back in If-None-Match), if any.
  etag text,
  -- The status list credential as a compact JWS, exactly as received (verified when stored).
  jws text not null,
  -- When it was last fetched or confirmed unchanged (304), by this node's clock.
  fetched_at timestamptz not null,
  primary key (node, party_id)
);
