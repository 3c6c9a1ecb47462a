-- EPCIS 2.0 capture (issue 6): every captured event, its CBV 2.0 event hash ID and what Lodestone
-- made of it, and the link between EPC identifiers and Lodestone lots. Both are projections of the
-- journal's epcis.event.captured / epcis.lot.linked records, rebuildable.

create table epcis_events (
  -- The CBV 2.0 §8.9 event hash ID (ni:///sha-256;…?ver=CBV2.0). An error declaration has the hash
  -- of the event it declares erroneous (errorDeclaration is not hashed), so it is kept under kind
  -- 'error-declaration' beside it.
  hash_id text not null,
  kind text not null check (kind in ('event', 'error-declaration')),
  seq bigint not null references journal (seq),
  actor text not null,
  event_type text not null,
  event_time timestamptz not null,
  biz_step text,
  biz_location text,
  action text,
  -- canonical identifiers the event is about (GS1 Digital Link where GS1)
  epcs text[] not null,
  disposition text not null check (disposition in ('mapped', 'evidence', 'untracked')),
  -- what the capture did (use case and ids) or why it kept the event as evidence
  outcome jsonb not null,
  event jsonb not null,
  retracted_seq bigint references journal (seq),
  primary key (hash_id, kind)
);

create index epcis_events_time_idx on epcis_events (event_time);
create index epcis_events_epcs_idx on epcis_events using gin (epcs);

create table epcis_lot_links (
  epc text not null,
  holder text not null,
  lot_id text not null,
  -- the business time from which the lot exists (the event time of the event that created it)
  since timestamptz not null,
  seq bigint not null references journal (seq),
  primary key (epc, holder, lot_id)
);

create index epcis_lot_links_lot_idx on epcis_lot_links (lot_id);
