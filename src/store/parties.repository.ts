import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';
import type { NewParty, PartyRow } from './parties.table.js';
import { memoOf, throughMemo } from './tx-memo.js';

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
    const [row] = await throughMemo(
      memoOf(db)?.parties,
      [id],
      (r) => r.id,
      async () => {
        const found = await db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst();
        return found === undefined ? [] : [found];
      },
    );
    return row;
  },

  /** These parties (those that exist) by id. */
  async byIds(db: Kysely<Database>, ids: readonly string[]): Promise<PartyRow[]> {
    if (ids.length === 0) return [];
    const rows = await throughMemo(
      memoOf(db)?.parties,
      ids,
      (r) => r.id,
      (missing) =>
        db
          .selectFrom('parties')
          .selectAll()
          .where('id', 'in', [...missing])
          .execute(),
    );
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  },

  /** All parties by id. */
  async list(db: Kysely<Database>): Promise<PartyRow[]> {
    return db.selectFrom('parties').selectAll().orderBy('id').execute();
  },
};
