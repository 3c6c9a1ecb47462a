-- A lean journal, part 2 (issue 21 item 2): the @context of the document an EPCIS event came in is a
-- column of the epcis_events projection, so the EPCIS query interface no longer reads and parses the
-- signed record (`journal.canonical`) of every event it returns. Like every projection column it is
-- derived from the journal (`epcis.event.captured` body `context`) and `rebuild` refills it. NULL:
-- the record carries no context.
alter table epcis_events add column context jsonb;

update epcis_events e
set context = j.canonical::jsonb -> 'payload' -> 'body' -> 'context'
from journal j
where j.seq = e.seq;
