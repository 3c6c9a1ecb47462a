import type { ColumnType, Insertable, Selectable } from 'kysely';

/** One row per signed API request that made records (migration 0011): its nonce is spent. */
export interface RequestNoncesTable {
  nonce: ColumnType<string, string, never>;
  party_id: ColumnType<string, string, never>;
  key_id: ColumnType<string, string, never>;
  /** Hex SHA-256 of the attached request JWS: the same request may make several records, another may not reuse its nonce. */
  jws_sha256: ColumnType<string, string, never>;
  first_seq: ColumnType<number, number, never>;
}

export type RequestNonceRow = Selectable<RequestNoncesTable>;
export type NewRequestNonce = Insertable<RequestNoncesTable>;
