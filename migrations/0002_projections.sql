-- Projections: read models derived from the journal. Each row names the journal entry that made
-- it (created_seq / loaded_seq / seq, a foreign key into journal), and every projection can be
-- truncated and rebuilt by replaying the journal in seq order.

create table parties (
  id text primary key,
  name text not null,
  country char(2) not null check (country ~ '^[A-Z]{2}$'),
  sector text,
  party jsonb not null,
  created_seq bigint not null references journal (seq)
);

create table party_keys (
  key_id text primary key,
  party_id text not null references parties (id),
  algorithm text not null check (algorithm = 'Ed25519'),
  public_key text not null,
  created_seq bigint not null references journal (seq),
  revoked_seq bigint references journal (seq),
  check (revoked_seq is null or revoked_seq > created_seq)
);

create index party_keys_party_id_idx on party_keys (party_id);

create table rule_packs (
  pack_id text not null,
  version text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  body jsonb not null,
  loaded_seq bigint not null references journal (seq),
  primary key (pack_id, version)
);

create table classifications (
  id text primary key,
  seq bigint not null unique references journal (seq),
  actor text not null,
  label text,
  as_of date not null,
  controlled boolean not null,
  codes text[] not null,
  item jsonb not null,
  result jsonb not null,
  created_at timestamptz not null
);
