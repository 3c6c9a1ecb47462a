import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

export interface PartyKeysTable {
  key_id: ColumnType<string, string, never>;
  party_id: ColumnType<string, string, never>;
  algorithm: ColumnType<'Ed25519', 'Ed25519', never>;
  /** Raw 32-byte Ed25519 public key, base64url. */
  public_key: ColumnType<string, string, never>;
  created_seq: ColumnType<number, number, never>;
  /** The journal entry that revoked the key, if any. */
  revoked_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

export type PartyKeyRow = Selectable<PartyKeysTable>;
export type NewPartyKey = Insertable<PartyKeysTable>;
export type PartyKeyUpdate = Updateable<PartyKeysTable>;
