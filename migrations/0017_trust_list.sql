-- The trust list (issue 18 item 8): which parties may license exports from which country and which
-- may countersign end-user certificates for which country. Each version is a `trustlist.published`
-- journal record signed by the operator's root key; these tables are its projection (rebuildable).
-- `trust_list_head` is the one row naming the version in force: publishing locks it FOR UPDATE and
-- every decision or countersignature that relies on the list reads it FOR SHARE, so a decision is
-- judged by the list that precedes it in the journal.

create table trust_lists (
  version integer primary key check (version >= 1),
  seq bigint not null unique references journal (seq) deferrable initially deferred,
  record_hash text not null unique check (record_hash ~ '^[0-9a-f]{64}$'),
  previous_hash text unique check (previous_hash ~ '^[0-9a-f]{64}$'),
  root_key_id text not null,
  root_public_key text not null,
  entries jsonb not null check (jsonb_typeof(entries) = 'array'),
  -- The record's `at` (ISO 8601 UTC, as signed).
  published_at text not null,
  check ((version = 1) = (previous_hash is null))
);

create table trust_list_head (
  singleton boolean primary key default true check (singleton),
  version integer not null references trust_lists (version) deferrable initially deferred,
  seq bigint not null references journal (seq) deferrable initially deferred
);
