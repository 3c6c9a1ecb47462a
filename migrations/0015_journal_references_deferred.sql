-- A transaction that appends several records (a capture document's events) writes the journal
-- rows after its first in one statement at its end (journalRepo.append with `defer`, flushed
-- before the checkpoint), after the projection rows that name them. So every foreign key to
-- journal (seq) is checked when the transaction commits instead of at each statement: a row that
-- names an entry the transaction never appends still fails, at commit, and nothing of it is kept.
do $$
declare
  c record;
begin
  for c in
    select conrelid::regclass as tbl, conname
    from pg_constraint
    where contype = 'f' and confrelid = 'journal'::regclass
    order by conrelid::regclass::text, conname
  loop
    execute format('alter table %s alter constraint %I deferrable initially deferred', c.tbl, c.conname);
  end loop;
end
$$;
