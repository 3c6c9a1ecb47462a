-- Restricted-party screening.
--
-- list_snapshots / list_entries are reference data, content-addressed by the SHA-256 of the
-- imported file(s): they are written once per distinct content and never changed, and a rebuild
-- leaves them alone. list_imports is a projection of the journal's `list.imported` records: which
-- snapshot of each list was in force from which journal entry on (the latest import of a list is
-- its current snapshot).

create table list_snapshots (
  list text not null check (list ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  format text not null check (format in ('sdn-csv', 'un-xml', 'ftm-json', 'csv')),
  entry_count integer not null check (entry_count >= 0),
  error_count integer not null check (error_count >= 0),
  created_at timestamptz not null,
  primary key (list, sha256)
);

create table list_entries (
  list text not null,
  sha256 text not null,
  entry_id text not null,
  -- SHA-256 of the entry's canonical JSON, to compute deltas between snapshots cheaply.
  digest text not null check (digest ~ '^[0-9a-f]{64}$'),
  entry jsonb not null,
  primary key (list, sha256, entry_id),
  foreign key (list, sha256) references list_snapshots (list, sha256)
);

create table list_imports (
  seq bigint primary key references journal (seq),
  list text not null,
  sha256 text not null,
  format text not null,
  imported_at timestamptz not null,
  entry_count integer not null,
  error_count integer not null,
  added integer not null,
  removed integer not null,
  changed integer not null,
  foreign key (list, sha256) references list_snapshots (list, sha256)
);

create index list_imports_list_idx on list_imports (list, seq desc);
