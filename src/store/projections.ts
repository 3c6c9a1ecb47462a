import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { PROJECTION_TABLES, type Database, type ProjectionTable } from './database.js';

/** Every projection table's rows, each table in primary-key order. */
export type ProjectionDump = { [T in ProjectionTable]: Selectable<Database[T]>[] };

/**
 * Empties every projection table (for a rebuild), in the caller's transaction so a failed
 * rebuild leaves the old projections. The journal is not touched (and refuses truncation).
 * TRUNCATE takes an exclusive lock on the tables until the transaction ends.
 */
export async function truncateProjections(tx: Transaction<Database>): Promise<void> {
  await sql`truncate table ${sql.join(PROJECTION_TABLES.map((t) => sql.table(t)))}`.execute(tx);
}

/** Every projection row in a deterministic order, to compare two databases (e.g. before and after a rebuild). */
export async function dumpProjections(db: Kysely<Database>): Promise<ProjectionDump> {
  return {
    list_imports: await db.selectFrom('list_imports').selectAll().orderBy('seq').execute(),
    classifications: await db.selectFrom('classifications').selectAll().orderBy('id').execute(),
    rule_packs: await db.selectFrom('rule_packs').selectAll().orderBy('pack_id').orderBy('version').execute(),
    party_keys: await db.selectFrom('party_keys').selectAll().orderBy('key_id').execute(),
    parties: await db.selectFrom('parties').selectAll().orderBy('id').execute(),
  };
}
