-- Licensing and chain of custody: projections of the journal's application, decision, lot,
-- shipment, receipt, transformation, consumption and count records. All rebuildable.

create table applications (
  id text primary key,
  seq bigint not null references journal (seq),
  authority text not null,
  applicant text not null,
  status text not null check (status in ('submitted', 'approved', 'denied', 'info-requested')),
  recommendation text not null check (recommendation in ('approvable', 'case-by-case', 'deny')),
  application jsonb not null,
  assessment jsonb not null,
  decision jsonb,
  decided_seq bigint references journal (seq),
  submitted_at timestamptz not null
);

create index applications_authority_status_idx on applications (authority, status);

create table licences (
  id text primary key,
  seq bigint not null references journal (seq),
  application_id text not null references applications (id),
  authority text not null,
  holder text not null,
  consignee text not null,
  end_user text not null,
  destination char(2) not null,
  valid_from date not null,
  valid_until date not null check (valid_until >= valid_from),
  status text not null check (status in ('active', 'revoked')),
  licence jsonb not null
);

-- The balance: one row per licence line. The checks make overdrawing impossible even if a use case
-- were wrong; drawdowns lock the row (SELECT … FOR UPDATE) before checking and updating it.
create table licence_balances (
  licence_id text not null references licences (id),
  line_ref text not null,
  currency char(3) not null,
  ceiling_grams bigint not null check (ceiling_grams >= 0),
  ceiling_value_minor bigint not null check (ceiling_value_minor >= 0),
  shipped_grams bigint not null default 0 check (shipped_grams >= 0 and shipped_grams <= ceiling_grams),
  shipped_value_minor bigint not null default 0 check (shipped_value_minor >= 0 and shipped_value_minor <= ceiling_value_minor),
  shipments integer not null default 0,
  primary key (licence_id, line_ref)
);

create table lots (
  id text primary key,
  holder text not null,
  location char(2) not null,
  item jsonb not null,
  mass_grams bigint not null check (mass_grams >= 0),
  units integer check (units >= 0),
  value_minor bigint check (value_minor >= 0),
  currency char(3),
  -- Restriction[]: every licence and undertaking the material carries, with its content share
  restrictions jsonb not null,
  licence_ids text[] not null,
  created_seq bigint not null references journal (seq),
  updated_seq bigint not null references journal (seq)
);

create index lots_holder_idx on lots (holder);
create index lots_licence_ids_idx on lots using gin (licence_ids);

create table shipments (
  id text primary key,
  seq bigint not null references journal (seq),
  from_lot text not null references lots (id),
  from_holder text not null,
  to_party text not null,
  destination char(2) not null,
  grams bigint not null check (grams > 0),
  units integer,
  value_minor bigint,
  currency char(3),
  licence_id text references licences (id),
  line_ref text,
  shipped_on date not null,
  -- Restriction[] that travel with the shipped material
  restrictions jsonb not null,
  status text not null check (status in ('in-transit', 'received')),
  received_grams bigint,
  receiving_lot text references lots (id),
  received_seq bigint references journal (seq)
);

create index shipments_licence_idx on shipments (licence_id);

-- Movements of licensed material (grams of the licence's material, not of the lot), per licence,
-- holder and lot: the mass balance is received − consumed − shipped − on hand per holder.
create table custody_ledger (
  seq bigint not null references journal (seq),
  licence_id text not null,
  holder text not null,
  lot_id text not null,
  kind text not null check (kind in ('created', 'received', 'shipped', 'transformed-in', 'transformed-out', 'consumed', 'counted')),
  grams bigint not null,
  primary key (seq, licence_id, lot_id, kind)
);

create index custody_ledger_licence_holder_idx on custody_ledger (licence_id, holder);
