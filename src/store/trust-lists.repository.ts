import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';
import type { NewTrustList, TrustListHeadRow, TrustListRow } from './trust-lists.table.js';

export type NewTrustListValues = WithJsonValues<NewTrustList, 'entries'>;

export const trustListsRepo = {
  /** StoreError CONFLICT on trust_lists_pkey (version) when two publishers race for the same version. */
  async insert(db: Kysely<Database>, row: NewTrustListValues): Promise<TrustListRow> {
    return db
      .insertInto('trust_lists')
      .values({ ...row, entries: jsonText(row.entries) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Makes `version` the one in force. */
  async setHead(db: Kysely<Database>, v: { version: number; seq: number }): Promise<void> {
    await db
      .insertInto('trust_list_head')
      .values({ singleton: true, version: v.version, seq: v.seq })
      .onConflict((oc) => oc.column('singleton').doUpdateSet({ version: v.version, seq: v.seq }))
      .execute();
  },

  /**
   * The head row, locked until the end of the transaction: `update` by a publisher, `share` by a use
   * case that relies on the list (a decision, a countersignature), so the two are ordered in the
   * journal as they were judged. On PostgreSQL a reader that waited for a publisher sees its version.
   */
  async lockHead(db: Kysely<Database>, mode: 'share' | 'update'): Promise<TrustListHeadRow | undefined> {
    const q = db.selectFrom('trust_list_head').selectAll().where('singleton', '=', true);
    return (mode === 'update' ? q.forUpdate() : q.forShare()).executeTakeFirst();
  },

  async get(db: Kysely<Database>, version: number): Promise<TrustListRow | undefined> {
    return db.selectFrom('trust_lists').selectAll().where('version', '=', version).executeTakeFirst();
  },

  /** The latest version (no lock: for showing it). */
  async latest(db: Kysely<Database>): Promise<TrustListRow | undefined> {
    return db.selectFrom('trust_lists').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  },
};
