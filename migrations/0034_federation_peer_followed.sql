-- Issue 24: a peer's settings (the keys this node pins for it, the countries whose roles it takes from
-- the peer's trust list) are journalled, as a `federation.peer.followed` record signed by the
-- operator's root key, and federation_peers' pins are its projection (a rebuild writes them again).
-- followed_seq: the journal entry of the record in force for the peer. Null: a peer pinned before
-- this migration, with no record — its trust list is not relied on and its records are not applied
-- until the operator re-runs `lodestone federation peer add`, which journals it (docs/federation.md).
alter table federation_peers add column followed_seq bigint;
