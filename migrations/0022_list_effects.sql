-- Restricted-party lists carry their issuing authority and legal effect (issue 19, point 3).
--
-- A hit on China's Control List denies (Dual-use Regulations Arts. 28–29), a hit on its Concern
-- List calls for case-by-case review (Art. 26), a hit on a foreign list (OFAC SDN, US Entity List)
-- is information for the officer with no Chinese legal consequence. The effect is stated when a
-- list is imported (`list.imported`); imports made before this migration, and imports that state
-- none, are information.
alter table list_imports add column authority text;
alter table list_imports add column effect text not null default 'information' check (effect in ('deny', 'review', 'information'));
