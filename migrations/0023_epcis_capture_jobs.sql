-- EPCIS 2.0 REST binding (issue 20, point 4): capture jobs.
--
-- POST /epcis/capture answers 202 with the Location of a capture job; GET /epcis/capture/{captureID}
-- reports it (EPCIS 2.0 §12 / the GS1 OpenAPI `CaptureJob`). A job is processed in its request:
-- a successful job's row commits in the same transaction as its events' journal records, so a job
-- that says success has its events, and one whose document was refused says so with the refusals
-- (RFC 9457 problems) and wrote nothing else. Operator state like idempotency_keys: not a journal
-- projection (a refused job has no journal record), so `rebuild` leaves it alone.
create table epcis_capture_jobs (
  id text primary key,
  -- the party that captured (the caller): only it may read the job
  actor text not null,
  created_at timestamptz not null,
  finished_at timestamptz,
  running boolean not null,
  success boolean not null,
  -- GS1-Capture-Error-Behaviour: Lodestone captures a document all or nothing
  error_behaviour text not null check (error_behaviour = 'rollback'),
  -- RFC 9457 problem details, empty when the job succeeded
  errors jsonb not null,
  -- what the capture did: per event its hash ID, status and the custody records it made
  result jsonb
);
create index epcis_capture_jobs_actor_idx on epcis_capture_jobs (actor, created_at, id);
