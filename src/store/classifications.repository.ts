import type { Kysely } from 'kysely';
import type { ClassificationRow, NewClassification } from './classifications.table.js';
import type { Database } from './database.js';
import { jsonText, type WithJsonValues } from './json-column.js';

export type NewClassificationValues = WithJsonValues<NewClassification, 'item' | 'result'>;

export const classificationsRepo = {
  /** StoreError CONFLICT on classifications_pkey (id) or classifications_seq_key (one classification per journal entry). */
  async insert(db: Kysely<Database>, row: NewClassificationValues): Promise<ClassificationRow> {
    return db
      .insertInto('classifications')
      .values({ ...row, item: jsonText(row.item), result: jsonText(row.result) })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async get(db: Kysely<Database>, id: string): Promise<ClassificationRow | undefined> {
    return db.selectFrom('classifications').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Classifications in journal order, optionally only those made by `actor`. */
  async list(db: Kysely<Database>, opts: { actor?: string; limit?: number } = {}): Promise<ClassificationRow[]> {
    let q = db.selectFrom('classifications').selectAll().orderBy('seq');
    if (opts.actor !== undefined) q = q.where('actor', '=', opts.actor);
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    return q.execute();
  },
};
