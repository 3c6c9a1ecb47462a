-- The shipments that carry a licence's restrictions (mass balance, red-flag detection, the console's
-- custody graph) are found by containment on the restrictions column, answered by this index rather
-- than by reading every shipment on every custody event.
create index shipments_restrictions_gin on shipments using gin (restrictions jsonb_path_ops);
