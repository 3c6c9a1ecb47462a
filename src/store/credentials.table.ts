import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** API credentials (migration 0009): operator state, not a journal projection. */
export interface CredentialsTable {
  id: ColumnType<string, string, never>;
  /** Null only for operator admins. */
  party_id: ColumnType<string | null, string | null, never>;
  role: ColumnType<string, string, never>;
  /** SHA-256 (hex) of the API key. */
  key_hash: ColumnType<string, string, string>;
  label: ColumnType<string | null, string | null | undefined, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
  rotated_at: ColumnType<Date | null, never, Date>;
  revoked_at: ColumnType<Date | null, never, Date>;
}

export interface AuditorGrantsTable {
  auditor: ColumnType<string, string, never>;
  licence_id: ColumnType<string, string, never>;
  granted_by: ColumnType<string, string, never>;
  granted_at: ColumnType<Date, Date | undefined, never>;
}

export interface IdempotencyKeysTable {
  credential_id: ColumnType<string, string, never>;
  key: ColumnType<string, string, never>;
  request_hash: ColumnType<string, string, never>;
  status: ColumnType<number | null, number | null | undefined, number>;
  response: ColumnType<string | null, string | null | undefined, string>;
  created_at: ColumnType<Date, Date | undefined, Date>; // updated only when a stale claim is taken over
  /** The server process holding the claim (migration 0021); null on rows claimed before it. */
  holder: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the holder last said it was still working on the request (renewed while it runs). */
  alive_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type CredentialRow = Selectable<CredentialsTable>;
export type NewCredential = Insertable<CredentialsTable>;
export type CredentialUpdate = Updateable<CredentialsTable>;
export type AuditorGrantRow = Selectable<AuditorGrantsTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
