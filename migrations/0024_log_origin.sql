-- The log's identity (issue 20, point 3): the checkpoint origin and signed-note key name of the
-- transparency log, per deployment (C2SP tlog-checkpoint: "a schema-less URL … such as
-- example.com/log42"). Written with the log's first checkpoint and never changed afterwards
-- (triggers refuse UPDATE, DELETE and TRUNCATE), so a configured origin cannot change under an
-- existing log: a node started with another origin refuses to open.
create table log_origin (
  log_id text primary key,
  origin text not null check (origin <> '' and origin !~ '[[:space:]+]' and length(origin) <= 255)
);

create trigger log_origin_no_update_or_delete before update or delete on log_origin
  for each row execute function refuse_append_only_change();

create trigger log_origin_no_truncate before truncate on log_origin
  for each statement execute function refuse_append_only_change();

-- Logs that already have checkpoints were signed with the fixed origin "lodestone-log": they keep it,
-- so every checkpoint, bundle and cosignature already made keeps verifying.
insert into log_origin (log_id, origin) select log_id, 'lodestone-log' from log_checkpoints;
