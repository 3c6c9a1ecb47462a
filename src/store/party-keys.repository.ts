import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { NewPartyKey, PartyKeyRow } from './party-keys.table.js';

export const partyKeysRepo = {
  /** StoreError CONFLICT (party_keys_pkey) if the key id is taken, NOT_FOUND (party_keys_party_id_fkey) if the party does not exist. */
  async insert(db: Kysely<Database>, row: NewPartyKey): Promise<PartyKeyRow> {
    return db.insertInto('party_keys').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async get(db: Kysely<Database>, keyId: string): Promise<PartyKeyRow | undefined> {
    return db.selectFrom('party_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst();
  },

  /**
   * A key and, in the same statement, whether a nonce is spent (a signed request's two reads before
   * its work: the key that must verify it, and the nonce it must not reuse): one round trip, not two.
   * `spentAtSeq`: the journal entry that spent the nonce, if any.
   */
  async getWithNonce(
    db: Kysely<Database>,
    keyId: string,
    nonce: string,
  ): Promise<{ readonly key: PartyKeyRow | undefined; readonly spentAtSeq: number | undefined }> {
    const r = await sql<Omit<PartyKeyRow, 'key_id'> & { key_id: string | null; spent_seq: number | string | null }>`
      select k.*, (select n.first_seq from request_nonces n where n.nonce = ${nonce}) as spent_seq
      from (select 1) as one left join party_keys k on k.key_id = ${keyId}`.execute(db);
    const row = r.rows[0];
    if (row === undefined) return { key: undefined, spentAtSeq: undefined };
    const { spent_seq, key_id, ...rest } = row;
    return {
      key: key_id === null ? undefined : { ...rest, key_id },
      spentAtSeq: spent_seq === null ? undefined : Number(spent_seq),
    };
  },

  /** The party's key in force (not replaced, not revoked), if any: at most one (a unique index). */
  async current(db: Kysely<Database>, partyId: string): Promise<PartyKeyRow | undefined> {
    return db
      .selectFrom('party_keys')
      .selectAll()
      .where('party_id', '=', partyId)
      .where('valid_until_seq', 'is', null)
      .executeTakeFirst();
  },

  /** Ends the party's key in force at `seq`, replaced by `replacedBy`; undefined when `keyId` is not the party's key in force. */
  async replace(
    db: Kysely<Database>,
    partyId: string,
    keyId: string,
    seq: number,
    replacedBy: string,
  ): Promise<PartyKeyRow | undefined> {
    return db
      .updateTable('party_keys')
      .set({ valid_until_seq: seq, replaced_by: replacedBy })
      .where('key_id', '=', keyId)
      .where('party_id', '=', partyId)
      .where('valid_until_seq', 'is', null)
      .returningAll()
      .executeTakeFirst();
  },

  /**
   * Revokes one of the party's keys at `seq` (a key still in force also ends there; a key already
   * replaced keeps its earlier end); undefined when it is not the party's or already revoked.
   */
  async revoke(
    db: Kysely<Database>,
    partyId: string,
    keyId: string,
    v: { seq: number; reason: string; compromisedAt: string | null },
  ): Promise<PartyKeyRow | undefined> {
    return db
      .updateTable('party_keys')
      .set((eb) => ({
        revoked_seq: v.seq,
        revocation_reason: v.reason,
        compromised_at: v.compromisedAt,
        valid_until_seq: eb.fn.coalesce('valid_until_seq', eb.val(v.seq)),
      }))
      .where('key_id', '=', keyId)
      .where('party_id', '=', partyId)
      .where('revoked_seq', 'is', null)
      .returningAll()
      .executeTakeFirst();
  },

  /** A party's keys, oldest first. */
  async listByParty(db: Kysely<Database>, partyId: string): Promise<PartyKeyRow[]> {
    return db
      .selectFrom('party_keys')
      .selectAll()
      .where('party_id', '=', partyId)
      .orderBy('created_seq')
      .orderBy('key_id')
      .execute();
  },
};
