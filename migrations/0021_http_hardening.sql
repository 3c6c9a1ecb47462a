-- HTTP hardening (issue 18, item 12).
--
-- An Idempotency-Key claim names the server process that holds it (`holder`, a random id per
-- process) and when that process last said it was still working on it (`alive_at`, renewed while
-- the request runs). A concurrent identical request is then told "in progress" (409
-- IDEMPOTENCY_IN_PROGRESS) while the holder is alive, and "response lost" (409
-- IDEMPOTENCY_RESPONSE_LOST) only when the work committed and its holder is gone. Rows claimed
-- before this migration have neither: their age is judged by created_at, as before.
alter table idempotency_keys add column holder text;
alter table idempotency_keys add column alive_at timestamptz;

-- The EPCIS query answers only the caller's own events, filtered in SQL before `limit`.
create index epcis_events_actor_time_idx on epcis_events (actor, event_time, seq);
