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
  /** The first journal entry the key may sign (generated: = created_seq, the entry that registered it). */
  valid_from_seq: ColumnType<number, never, never>;
  /** The last journal entry the key may sign: the rotation that replaced it or the revocation that revoked it; null while in force. */
  valid_until_seq: ColumnType<number | null, number | null | undefined, number | null>;
  /** The key that replaced it (party.key.rotated), if any. */
  replaced_by: ColumnType<string | null, string | null | undefined, string | null>;
  revocation_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The compromise time the party declared with the revocation (ISO-8601 UTC), if any. */
  compromised_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export type PartyKeyRow = Selectable<PartyKeysTable>;
export type NewPartyKey = Insertable<PartyKeysTable>;
export type PartyKeyUpdate = Updateable<PartyKeysTable>;
