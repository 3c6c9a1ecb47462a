-- Running totals of each licence's material per holder, so that the diversion monitor reads a few
-- rows per custody event instead of the licence's whole custody ledger and every lot carrying it.
-- A projection like the tables it sums: maintained by triggers on custody_ledger and lots (so
-- every writer, replay included, keeps it), emptied by a rebuild with the rest and refilled as the
-- journal is replayed.
--
--   net_grams     = created + received + transformed-in − shipped − transformed-out − consumed
--                   (the holder's custody-ledger rows; 'counted' rows count for nothing)
--   on_hand_grams = Σ licensedGrams of the licence's restrictions on the holder's lots
--   gap           = net_grams − on_hand_grams (the mass balance of custody.ts massBalance)
--   first_seq     = the holder's first custody-ledger entry under the licence (null: none yet; a
--                   holder whose lots carry the licence but who has no ledger rows has no balance)

create table licence_holder_totals (
  licence_id text not null,
  holder text not null,
  first_seq bigint,
  created_grams bigint not null default 0,
  net_grams bigint not null default 0,
  on_hand_grams bigint not null default 0,
  primary key (licence_id, holder)
);

create function licence_holder_totals_add(p_licence text, p_holder text, p_seq bigint, p_kind text, p_grams bigint) returns void language sql as $$
  insert into licence_holder_totals as t (licence_id, holder, first_seq, created_grams, net_grams)
  values (
    p_licence,
    p_holder,
    p_seq,
    case when p_kind = 'created' then p_grams else 0 end,
    case when p_kind in ('created', 'received', 'transformed-in') then p_grams when p_kind in ('shipped', 'transformed-out', 'consumed') then -p_grams else 0 end
  )
  on conflict (licence_id, holder) do update set
    first_seq = least(t.first_seq, excluded.first_seq),
    created_grams = t.created_grams + excluded.created_grams,
    net_grams = t.net_grams + excluded.net_grams;
$$;

create function licence_holder_totals_ledger() returns trigger language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform licence_holder_totals_add(old.licence_id, old.holder, null, old.kind, -old.grams);
    update licence_holder_totals t set first_seq = (select min(c.seq) from custody_ledger c where c.licence_id = old.licence_id and c.holder = old.holder)
      where t.licence_id = old.licence_id and t.holder = old.holder;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform licence_holder_totals_add(new.licence_id, new.holder, new.seq, new.kind, new.grams);
  end if;
  return null;
end;
$$;

create trigger custody_ledger_holder_totals after insert or update or delete on custody_ledger
  for each row execute function licence_holder_totals_ledger();

create function licence_holder_totals_lots() returns trigger language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    insert into licence_holder_totals as t (licence_id, holder, on_hand_grams)
      select x->>'licenceId', old.holder, -sum((x->>'licensedGrams')::bigint) from jsonb_array_elements(old.restrictions) x group by x->>'licenceId'
    on conflict (licence_id, holder) do update set on_hand_grams = t.on_hand_grams + excluded.on_hand_grams;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into licence_holder_totals as t (licence_id, holder, on_hand_grams)
      select x->>'licenceId', new.holder, sum((x->>'licensedGrams')::bigint) from jsonb_array_elements(new.restrictions) x group by x->>'licenceId'
    on conflict (licence_id, holder) do update set on_hand_grams = t.on_hand_grams + excluded.on_hand_grams;
  end if;
  return null;
end;
$$;

create trigger lots_holder_totals after insert or update or delete on lots
  for each row execute function licence_holder_totals_lots();

insert into licence_holder_totals (licence_id, holder, first_seq, created_grams, net_grams, on_hand_grams)
select licence_id, holder, min(first_seq), sum(created_grams), sum(net_grams), sum(on_hand_grams)
from (
  select licence_id, holder, min(seq) as first_seq,
    sum(case when kind = 'created' then grams else 0 end) as created_grams,
    sum(case when kind in ('created', 'received', 'transformed-in') then grams when kind in ('shipped', 'transformed-out', 'consumed') then -grams else 0 end) as net_grams,
    0 as on_hand_grams
  from custody_ledger group by licence_id, holder
  union all
  select x->>'licenceId', l.holder, null, 0, 0, sum((x->>'licensedGrams')::bigint)
  from lots l, jsonb_array_elements(l.restrictions) x group by x->>'licenceId', l.holder
) s
group by licence_id, holder;

-- The monitor walks a shipped lot's provenance back through receipts and transformations.
create index shipments_receiving_lot_idx on shipments (receiving_lot);
create index custody_ledger_lot_kind_idx on custody_ledger (lot_id, kind);
