import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';
import type { NewParty, PartyRow } from './parties.table.js';

export type NewPartyValues = WithJsonValues<NewParty, 'party'>;

export const partiesRepo = {
  /** Inserts a party; StoreError CONFLICT (parties_pkey) if the id is taken. */
  async insert(db: Kysely<Database>, row: NewPartyValues): Promise<PartyRow> {
    return db
      .insertInto('parties')
      .values({ ...row, party: jsonText(row.party) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async get(db: Kysely<Database>, id: string): Promise<PartyRow | undefined> {
    return db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** These parties (those that exist) by id. */
  async byIds(db: Kysely<Database>, ids: readonly string[]): Promise<PartyRow[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('parties').selectAll().where('id', 'in', [...ids]).orderBy('id').execute();
  },

  /** All parties by id. */
  async list(db: Kysely<Database>): Promise<PartyRow[]> {
    return db.selectFrom('parties').selectAll().orderBy('id').execute();
  },
};
