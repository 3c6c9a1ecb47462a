-- Diversion monitoring: projections of the journal's redflags.loaded, alert.raised, alert.resolved
-- and report.filed records. All rebuildable from the journal.

-- Each red-flag rule-set version the monitor relied on, with its exact text (in the journal too).
create table red_flag_sets (
  set_id text not null,
  version text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  file text not null,
  loaded_seq bigint not null references journal (seq),
  primary key (set_id, version)
);

-- One row per alert. The id is derived from the rule and its evidence, so the same rule on the
-- same evidence is one alert (the use cases check before raising; the key enforces it).
create table alerts (
  id text primary key check (id ~ '^alert-[0-9a-f]{20}$'),
  seq bigint not null unique references journal (seq),
  rule text not null,
  severity text not null check (severity in ('info', 'warning', 'high', 'critical')),
  licence_id text,
  parties text[] not null,
  explanation text not null,
  evidence jsonb not null,
  thresholds jsonb not null,
  rule_set text not null,
  trigger text not null,
  raised_by text not null,
  raised_at timestamptz not null,
  status text not null check (status in ('open', 'resolved')),
  resolved_seq bigint references journal (seq),
  resolved_by text,
  resolution text,
  check ((status = 'resolved') = (resolved_seq is not null))
);

create index alerts_licence_idx on alerts (licence_id, seq);
create index alerts_severity_idx on alerts (severity, seq);

-- Post-shipment (delivery verification) reports filed by importers and end users.
create table reports_filed (
  id text primary key,
  seq bigint not null unique references journal (seq),
  kind text not null check (kind in ('post-shipment', 'end-use')),
  shipment_id text not null,
  licence_id text,
  reporter text not null,
  received_grams bigint not null check (received_grams >= 0),
  installed_in text,
  location text not null,
  report_date date not null,
  filed_at timestamptz not null
);

create index reports_filed_shipment_idx on reports_filed (shipment_id);
