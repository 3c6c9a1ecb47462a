-- Federation (issue 24): nodes that replicate each other's signed records over NATS JetStream and
-- cosign each other's checkpoints. See docs/federation.md.

-- Operator state (not journal projections): the peers this node follows, what it pinned for each,
-- and how far it has mirrored, verified, cosigned and applied their logs.
create table federation_peers (
  node text primary key check (node ~ '^[a-z][a-z0-9-]{0,31}$'),
  origin text not null unique,
  -- C2SP signed-note verifier keys pinned for the peer: its log key and its witness key.
  log_vkey text not null,
  witness_vkey text not null,
  -- The peer's trust-list root key (base64url raw Ed25519): its trust-list versions are verified with it.
  trust_root_key text not null,
  -- Countries whose roles (licensing authority, countersigner) this node takes from the peer's trust list.
  countries text[] not null,
  -- The last checkpoint of the peer this node verified and cosigned (signed note), its size and root.
  cosigned_size bigint not null default 0 check (cosigned_size >= 0),
  cosigned_body text,
  -- The peer's records up to this seq are applied here (each in one federation.imported record or skipped).
  applied_seq bigint not null default 0 check (applied_seq >= 0),
  -- The newest checkpoint the peer published (signed note) as last heard, and when.
  heard_size bigint not null default 0,
  heard_body text,
  heard_at timestamptz,
  -- Set when the peer showed a checkpoint inconsistent with one cosigned here: its records are refused.
  split_alert_seq bigint,
  last_error text
);

-- The peers' journal records as received (operator state): seq, exact canonical bytes and hashes.
create table federation_mirror (
  node text not null references federation_peers (node),
  seq bigint not null check (seq > 0),
  record_hash text not null,
  leaf_hash text not null,
  canonical text not null,
  received_at timestamptz not null default now(),
  primary key (node, seq)
);

-- This node's own publication progress (operator state): journal entries up to published_seq are on its stream.
create table federation_outbox (
  singleton boolean primary key default true check (singleton),
  published_seq bigint not null default 0,
  published_checkpoint_size bigint not null default 0
);
insert into federation_outbox (singleton) values (true);

-- Projections of federation.* journal records (rebuilt from the journal).
-- Where a party registered on another node lives: its home node and the record this node imported.
create table federation_party_homes (
  party_id text primary key references parties (id),
  node text not null,
  peer_seq bigint not null,
  record_hash text not null,
  imported_seq bigint not null references journal (seq) deferrable initially deferred
);

-- The peers' trust-list versions, as imported (verified with the pinned root key).
create table federation_trust_lists (
  node text not null,
  version integer not null,
  entries jsonb not null,
  record_hash text not null,
  imported_seq bigint not null references journal (seq) deferrable initially deferred,
  primary key (node, version)
);

-- Post-shipment evidence: the peer's records about material this node shipped to the peer's parties.
create table federation_evidence (
  node text not null,
  peer_seq bigint not null,
  record_type text not null,
  shipment_id text not null,
  lot_ids text[] not null,
  summary text not null,
  at timestamptz not null,
  imported_seq bigint not null references journal (seq) deferrable initially deferred,
  primary key (node, peer_seq, shipment_id)
);
create index federation_evidence_shipment_idx on federation_evidence (shipment_id);
create index federation_evidence_lots_idx on federation_evidence using gin (lot_ids);

-- Split views seen (journalled as federation.split-view): both checkpoints as evidence.
create table federation_alerts (
  seq bigint primary key references journal (seq) deferrable initially deferred,
  node text not null,
  cosigned text not null,
  shown text not null,
  explanation text not null
);
