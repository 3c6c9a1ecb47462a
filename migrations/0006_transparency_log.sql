-- The transparency log over the journal (RFC 6962 / RFC 9162): leaf i is journal entry seq = i + 1,
-- its leaf hash journal.leaf_hash.
--
-- merkle_nodes keeps the hash of every COMPLETE subtree: (level, idx) covers the leaves
-- [idx * 2^level, (idx + 1) * 2^level); level 0 holds the leaf hashes. Rows are written by
-- journalRepo.append in the same transaction as the journal row (so a record and its leaf commit
-- together or not at all), never change, and let a root or a proof at any size be read from
-- O(log n) rows. They are derived from journal.leaf_hash only: `rebuild` does not touch them (they
-- are not a projection of record bodies), and `checkLog` recomputes them from the journal.
create table merkle_nodes (
  level smallint not null check (level >= 0 and level < 64),
  idx bigint not null check (idx >= 0),
  hash bytea not null check (octet_length(hash) = 32),
  primary key (level, idx)
);

create trigger merkle_nodes_no_update_or_delete before update or delete on merkle_nodes
  for each row execute function refuse_append_only_change();

create trigger merkle_nodes_no_truncate before truncate on merkle_nodes
  for each statement execute function refuse_append_only_change();

-- Journals that exist before this migration: their leaves and complete subtrees, level by level.
insert into merkle_nodes (level, idx, hash) select 0, seq - 1, decode(leaf_hash, 'hex') from journal;

do $$
declare
  lvl smallint := 1;
  added bigint;
begin
  loop
    insert into merkle_nodes (level, idx, hash)
      select lvl, l.idx / 2, sha256('\x01'::bytea || l.hash || r.hash)
      from merkle_nodes l join merkle_nodes r on r.level = l.level and r.idx = l.idx + 1
      where l.level = lvl - 1 and l.idx % 2 = 0;
    get diagnostics added = row_count;
    exit when added = 0;
    lvl := lvl + 1;
  end loop;
end;
$$;

-- The latest signed checkpoint (C2SP signed note) per log. Updated only by compare-and-swap
-- (UPDATE ... WHERE body = <the body read>), and only to a larger tree consistent with it, so it
-- never goes backwards or forks.
create table log_checkpoints (
  log_id text primary key,
  size bigint not null check (size >= 0),
  body text not null
);

-- Every checkpoint ever published, for proofs to an earlier checkpoint and for witnesses.
create table log_checkpoint_history (
  log_id text not null,
  size bigint not null check (size >= 0),
  body text not null,
  primary key (log_id, size)
);

-- Witness cosignatures (C2SP tlog-cosignature) of published checkpoints, one line per witness and size.
create table log_cosignatures (
  log_id text not null,
  size bigint not null,
  witness text not null,
  line text not null,
  primary key (log_id, size, witness)
);
