import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import { jsonText, type WithJsonValues } from './json-column.js';
import type { NewRulePack, RulePackRow } from './rule-packs.table.js';

export type NewRulePackValues = WithJsonValues<NewRulePack, 'body'>;

export const rulePacksRepo = {
  /**
   * Records a loaded pack version. Idempotent: if the same (pack_id, version) is already stored
   * with the same sha256, the stored row is returned unchanged (with its original loaded_seq).
   * The same version with different content is refused: StoreError CONFLICT (rule_packs_pkey) —
   * a published pack version never changes; publish a new version.
   */
  async upsert(db: Kysely<Database>, row: NewRulePackValues): Promise<RulePackRow> {
    const inserted = await db
      .insertInto('rule_packs')
      .values({ ...row, body: jsonText(row.body) })
      .onConflict((oc) => oc.columns(['pack_id', 'version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return inserted;
    const stored = await rulePacksRepo.get(db, row.pack_id, row.version);
    if (stored === undefined)
      throw new StoreError('NOT_FOUND', `rule pack ${row.pack_id}@${row.version} conflicted but is not stored`);
    if (stored.sha256 !== row.sha256) {
      throw new StoreError(
        'CONFLICT',
        `rule pack ${row.pack_id}@${row.version} is already loaded with sha256 ${stored.sha256}, not ${row.sha256}: publish a new version instead of changing this one`,
        { constraint: 'rule_packs_pkey' },
      );
    }
    return stored;
  },

  async get(db: Kysely<Database>, packId: string, version: string): Promise<RulePackRow | undefined> {
    return db
      .selectFrom('rule_packs')
      .selectAll()
      .where('pack_id', '=', packId)
      .where('version', '=', version)
      .executeTakeFirst();
  },

  /** All pack versions by pack id, then version (text order). */
  async list(db: Kysely<Database>): Promise<RulePackRow[]> {
    return db.selectFrom('rule_packs').selectAll().orderBy('pack_id').orderBy('version').execute();
  },
};
