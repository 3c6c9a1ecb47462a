-- End-user certificates: W3C Verifiable Credentials secured as General JWS, issued by the end user,
-- optionally countersigned by the importing government, revocable through a bitstring status list.
-- A projection of the certificate.issued / .countersigned / .revoked journal records.

create table certificates (
  id text primary key check (id ~ '^urn:uuid:[0-9a-f-]{36}$'),
  seq bigint not null unique references journal (seq),
  issuer text not null references parties (id),
  exporter text not null,
  importer text not null,
  end_user text not null,
  countersigned_by text references parties (id),
  countersigned_seq bigint references journal (seq),
  status text not null check (status in ('active', 'revoked')),
  status_index integer not null unique check (status_index >= 0),
  valid_from date not null,
  valid_until date not null,
  jws jsonb not null,
  subject jsonb not null,
  revoked_by text references parties (id),
  revoked_seq bigint references journal (seq),
  revocation_reason text,
  check (valid_until >= valid_from),
  check ((countersigned_by is null) = (countersigned_seq is null)),
  check ((status = 'revoked') = (revoked_seq is not null)),
  check ((revoked_seq is null) = (revoked_by is null) and (revoked_seq is null) = (revocation_reason is null))
);

create index certificates_end_user_idx on certificates (end_user);
