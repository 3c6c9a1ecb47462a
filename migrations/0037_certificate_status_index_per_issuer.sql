-- A status-list index is unique in its status list, not across the database. Each issuer has one
-- revocation status list, published by its home node at <public URL>/status-lists/<issuer>/revocation
-- and carrying the bits of all the issuer's certificates (those that name the list under an older
-- public URL, or the pre-publication urn:lodestone:status-list:certificate-revocation, at the same
-- index); a party is homed at one node, so a certificate imported from a peer is in its issuer's list
-- on the peer, and may hold an index a local certificate holds in this node's lists.
alter table certificates drop constraint certificates_status_index_key;
alter table certificates add constraint certificates_issuer_status_index_key unique (issuer, status_index);
