-- Issue 18, item 12: a shipment's value is self-declared. The shipment is recorded (and its licence
-- line drawn down) at the higher of the declared value and the lot's value per gram × grams; when the
-- declaration was lower, what the shipper declared is kept here (from the record's
-- shipment.declaredValueMinor), so `alerts scan` can raise value-under-declared for shipments whose
-- flag was deferred at dispatch. Null: declared at or above the lot's value, or not declared.
alter table shipments add column declared_value_minor bigint;
