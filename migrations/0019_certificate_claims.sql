-- End-user certificates as ledgers, and revocation that stops material (issue 18, items 2 and 3).
-- Projections like the rest: rebuilt from certificate.issued (the lines and their ceilings),
-- application.decided (the claims an approval carries) and certificate.revoked (suspensions).

-- One row per certificate line (control code × HS code): its quantity is a ceiling across every
-- licence that relies on the certificate. decideApplication locks the certificate's rows
-- (SELECT … FOR UPDATE) before checking, so concurrent approvals queue; the CHECK makes an
-- overclaim impossible even if a use case were wrong.
create table certificate_lines (
  certificate_id text not null references certificates (id),
  control_code text not null,
  hs_code text not null,
  ceiling_grams bigint not null check (ceiling_grams > 0),
  claimed_grams bigint not null default 0 check (claimed_grams >= 0 and claimed_grams <= ceiling_grams),
  primary key (certificate_id, control_code, hs_code)
);

-- What each licence claims of each line (the approval's journal entry).
create table certificate_claims (
  certificate_id text not null,
  control_code text not null,
  hs_code text not null,
  licence_id text not null references licences (id),
  grams bigint not null check (grams > 0),
  seq bigint not null references journal (seq) deferrable initially deferred,
  primary key (certificate_id, control_code, hs_code, licence_id),
  foreign key (certificate_id, control_code, hs_code) references certificate_lines (certificate_id, control_code, hs_code)
);

create index certificate_claims_licence_idx on certificate_claims (licence_id);

-- Existing certificates: their lines, nothing claimed (approvals recorded before this migration
-- carry no claim; only approvals from now on draw the ceiling down — rebuild does the same).
insert into certificate_lines (certificate_id, control_code, hs_code, ceiling_grams)
select c.id, i->>'controlCode', i->>'hsCode', (i->>'quantityGrams')::bigint
from certificates c, jsonb_array_elements(c.subject->'items') i;

-- A licence is suspended when the certificate it relies on is revoked (by the certificate.revoked
-- projector, in the revocation's transaction); suspended_seq is that revocation's journal entry.
alter table licences drop constraint licences_status_check;
alter table licences add constraint licences_status_check check (status in ('active', 'suspended', 'revoked'));
alter table licences add column suspended_seq bigint references journal (seq) deferrable initially deferred;
alter table licences add column suspension_reason text;
alter table licences add constraint licences_suspension_check check ((status = 'suspended') = (suspended_seq is not null) and (suspended_seq is null) = (suspension_reason is null));
create index licences_certificate_idx on licences ((licence->>'certificateId'));

-- Licences already relying on a revoked certificate are suspended, as a replay would suspend them.
update licences l
set status = 'suspended',
    suspended_seq = c.revoked_seq,
    suspension_reason = 'certificate ' || c.id || ' revoked by ' || c.revoked_by || ': ' || c.revocation_reason
from certificates c
where l.licence->>'certificateId' = c.id and c.status = 'revoked' and l.status = 'active';

-- Material already restricted by a revoked certificate carries the revocation, as the
-- certificate.revoked projector marks it: lots, and shipments still in transit (their receipt passes
-- it on).
update lots l
set restrictions = (
  select jsonb_agg(case when c.id is not null and not (x.r ? 'certificateRevoked') then x.r || jsonb_build_object('certificateRevoked', jsonb_build_object('seq', c.revoked_seq, 'reason', c.revocation_reason)) else x.r end order by x.ord)
  from jsonb_array_elements(l.restrictions) with ordinality as x(r, ord)
  left join certificates c on c.id = x.r->>'certificateId' and c.status = 'revoked'
)
where exists (select 1 from jsonb_array_elements(l.restrictions) y join certificates c on c.id = y->>'certificateId' and c.status = 'revoked' where not (y ? 'certificateRevoked'));

update shipments s
set restrictions = (
  select jsonb_agg(case when c.id is not null and not (x.r ? 'certificateRevoked') then x.r || jsonb_build_object('certificateRevoked', jsonb_build_object('seq', c.revoked_seq, 'reason', c.revocation_reason)) else x.r end order by x.ord)
  from jsonb_array_elements(s.restrictions) with ordinality as x(r, ord)
  left join certificates c on c.id = x.r->>'certificateId' and c.status = 'revoked'
)
where s.status = 'in-transit'
  and exists (select 1 from jsonb_array_elements(s.restrictions) y join certificates c on c.id = y->>'certificateId' and c.status = 'revoked' where not (y ? 'certificateRevoked'));
