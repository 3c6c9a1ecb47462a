import type { Kysely } from 'kysely';
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

  /** A party's keys, oldest first. */
  async listByParty(db: Kysely<Database>, partyId: string): Promise<PartyKeyRow[]> {
    return db.selectFrom('party_keys').selectAll().where('party_id', '=', partyId).orderBy('created_seq').orderBy('key_id').execute();
  },
};
