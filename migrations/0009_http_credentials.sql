-- HTTP API operator state: API credentials, auditor grants and idempotency records.
-- These tables are NOT projections of the journal (nothing here is a signed record; `rebuild` leaves
-- them alone and they are not in PROJECTION_TABLES): they are the operator's own state about who may
-- call the API, like a web server's user database. Losing them loses API access, never a record.
-- No foreign keys to parties: parties is a projection that `rebuild` truncates.

create table credentials (
  id text primary key check (id ~ '^cred_[A-Za-z0-9_-]{8,64}$'),
  -- null only for the operator's own administrators (they act for no party)
  party_id text,
  role text not null check (role in ('exporter', 'licensing-authority', 'importer', 'importing-government', 'downstream-holder', 'auditor', 'operator-admin')),
  -- SHA-256 (hex) of the whole API key; the key holds 32 random bytes, so no slow hash is needed
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  label text,
  created_at timestamptz not null default now(),
  rotated_at timestamptz,
  revoked_at timestamptz,
  check ((party_id is null) = (role = 'operator-admin'))
);

create index credentials_party_idx on credentials (party_id);

-- Which auditor may read which licence's audit bundle; granted by the licence's authority or an operator admin.
create table auditor_grants (
  auditor text not null,
  licence_id text not null,
  granted_by text not null,
  granted_at timestamptz not null default now(),
  primary key (auditor, licence_id)
);

-- Idempotency-Key: one row per (credential, key). `request_hash` is SHA-256 of method, path and body;
-- `status` is null while the first request is still running.
create table idempotency_keys (
  credential_id text not null,
  key text not null check (length(key) between 1 and 255),
  request_hash text not null,
  status integer,
  response text,
  created_at timestamptz not null default now(),
  primary key (credential_id, key)
);
