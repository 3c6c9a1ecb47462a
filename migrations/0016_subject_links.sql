-- Provable completeness (issue 18, item 6). Every journal record names the subjects it concerns
-- (licence:<id>, application:<id>, alert:<id>, certificate:<id>; see src/trust/subjects.ts) and
-- links to the previous entry of each. These tables are log state, like merkle_nodes: written in
-- the transaction that appends the entries, never by a rebuild (which re-checks them).
--
-- subject_log.since_size: the journal's size when links began. Entries after it carry links;
-- entries up to it were written before and are legacy (no links). Committed in every checkpoint
-- with the subject map's root ("lodestone-subjects/v1 <since> <root>").
create table subject_log (
  id smallint primary key check (id = 1),
  since_size bigint not null check (since_size >= 0)
);
insert into subject_log (id, since_size) select 1, next_seq - 1 from journal_head where id = 1;

-- Each subject's head: the seq and RFC 6962 leaf hash (hex) of the newest entry that concerns it.
-- Read and moved only while the transaction holds the journal_head row lock.
create table subject_heads (
  subject text primary key,
  seq bigint not null references journal (seq) deferrable initially deferred,
  leaf_hash text not null check (leaf_hash ~ '^[0-9a-f]{64}$')
);

-- The subject map: a sparse Merkle tree (src/trust/smt.ts) keyed by SHA-256(subject), value the hash
-- of the subject's head. One row per non-empty node, by its path (key bits from the root, '0'/'1');
-- a node whose subtree holds one key is a leaf and keeps that key and value. Rows are upserted,
-- never deleted (subjects are never removed).
create table subject_map_nodes (
  path text primary key check (path ~ '^[01]*$' and length(path) <= 256),
  hash bytea not null check (length(hash) = 32),
  leaf_key bytea check (length(leaf_key) = 32),
  leaf_value bytea check (length(leaf_value) = 32),
  check ((leaf_key is null) = (leaf_value is null))
);
