-- The journal: the source of truth. One row per accepted signed record, appended in the same
-- transaction as the projection writes it causes. Never updated, never deleted.
--
-- seq is gapless and 1-based. It is NOT a sequence (a rolled-back nextval leaves a hole): the
-- next number comes from the one-row journal_head, advanced with UPDATE ... RETURNING inside the
-- appending transaction. The row lock this takes serialises appenders until they commit or roll
-- back, and a rollback also rolls the counter back.

create table journal_head (
  id smallint primary key check (id = 1),
  next_seq bigint not null check (next_seq >= 1)
);

insert into journal_head (id, next_seq) values (1, 1);

create table journal (
  seq bigint primary key check (seq >= 1),
  type text not null,
  actor text not null,
  key_id text not null,
  recorded_at timestamptz not null,
  -- the SignedRecord as JSON, for querying; jsonb does not keep bytes, so the signed bytes are:
  record jsonb not null,
  -- canonicalJson(record): the exact Merkle leaf content (RFC 8785), as UTF-8 text
  canonical text not null,
  -- hex SHA-256 of canonical
  record_hash text not null check (record_hash ~ '^[0-9a-f]{64}$'),
  -- hex RFC 6962 leaf hash of canonical: SHA-256(0x00 || canonical)
  leaf_hash text not null check (leaf_hash ~ '^[0-9a-f]{64}$'),
  -- the same signed record twice is a replay, not a new fact
  constraint journal_record_hash_key unique (record_hash)
);

create index journal_type_seq_idx on journal (type, seq);

-- Append-only: refuse UPDATE, DELETE and TRUNCATE of the journal, whoever asks. The function
-- serves every append-only table (it names the table it guards).
create function refuse_append_only_change() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'restrict_violation';
end;
$$;

create trigger journal_no_update_or_delete before update or delete on journal
  for each row execute function refuse_append_only_change();

create trigger journal_no_truncate before truncate on journal
  for each statement execute function refuse_append_only_change();
