-- Signing-key rotation and revocation (issue 18, item 9). A party's key is valid for the journal
-- entries from the one that registered it (valid_from_seq = created_seq: party.registered or
-- party.key.rotated) up to and including the one that ended it (valid_until_seq: the
-- party.key.rotated that replaced it, or the party.key.revoked that revoked it, whichever came
-- first). An entry after valid_until_seq signed (or requested) with the key is refused; a rebuild
-- replays in seq order, so every signature is checked against the window in force at its point.
-- Maintained by the projectors of party.registered / party.key.rotated / party.key.revoked.
alter table party_keys add column valid_from_seq bigint generated always as (created_seq) stored;
alter table party_keys add column valid_until_seq bigint references journal (seq) deferrable initially deferred;
-- The rotation that replaced the key (null for a key that was only revoked, or is still in force).
alter table party_keys add column replaced_by text;
alter table party_keys add column revocation_reason text;
-- A compromise time the party declared with the revocation (a claim, recorded as given).
alter table party_keys add column compromised_at text;
alter table party_keys add constraint party_keys_valid_until_check check (valid_until_seq is null or valid_until_seq > created_seq);
alter table party_keys add constraint party_keys_revoked_ends_check check (revoked_seq is null or (valid_until_seq is not null and valid_until_seq <= revoked_seq));
alter table party_keys add constraint party_keys_revocation_reason_check check ((revoked_seq is null) = (revocation_reason is null));
-- At most one key of a party is in force at a time (rotation replaces it).
create unique index party_keys_one_current_idx on party_keys (party_id) where valid_until_seq is null;
