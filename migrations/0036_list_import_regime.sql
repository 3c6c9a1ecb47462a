-- A deny or review list has its legal effect under one export regime: the country whose licensing
-- authority imported it (`list.imported`.country, required with those effects since the trust-list
-- check of list effects). The licensing policies of a rule pack count only the listings of their own
-- jurisdiction's regime: MOFCOM applies China's control list, not another government's. Imports made
-- before lists named a regime (country null) keep counting for every pack, as they did.
alter table list_imports add column country text check (country is null or country ~ '^[A-Z]{2}$');
