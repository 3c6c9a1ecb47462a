import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { jsonText } from './json-column.js';
import type {
  ListEntryRow,
  ListImportRow,
  ListSnapshotRow,
  NewListImport,
  NewListSnapshot,
} from './screening.tables.js';
import { memoOf } from './tx-memo.js';

export interface NewListEntryValues {
  readonly entry_id: string;
  readonly digest: string;
  readonly entry: unknown;
}

/** Rows per INSERT statement when storing a snapshot's entries (keeps each statement's parameters well under 65535). */
const BATCH = 2000;

export const screeningRepo = {
  /**
   * Stores a snapshot and its entries unless a snapshot of that list with that sha256 is already
   * stored (content-addressed: the same content is never stored twice). Returns whether it was new.
   */
  async putSnapshot(
    db: Kysely<Database>,
    snapshot: NewListSnapshot,
    entries: readonly NewListEntryValues[],
  ): Promise<boolean> {
    const inserted = await db
      .insertInto('list_snapshots')
      .values(snapshot)
      .onConflict((oc) => oc.columns(['list', 'sha256']).doNothing())
      .returning('sha256')
      .executeTakeFirst();
    if (inserted === undefined) return false;
    for (let i = 0; i < entries.length; i += BATCH) {
      await db
        .insertInto('list_entries')
        .values(
          entries.slice(i, i + BATCH).map((e) => ({
            list: snapshot.list,
            sha256: snapshot.sha256,
            entry_id: e.entry_id,
            digest: e.digest,
            entry: jsonText(e.entry),
          })),
        )
        .execute();
    }
    return true;
  },

  async getSnapshot(db: Kysely<Database>, list: string, sha256: string): Promise<ListSnapshotRow | undefined> {
    return db
      .selectFrom('list_snapshots')
      .selectAll()
      .where('list', '=', list)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  },

  /** A snapshot's entries in entry-id order. */
  async entries(db: Kysely<Database>, list: string, sha256: string): Promise<ListEntryRow[]> {
    return db
      .selectFrom('list_entries')
      .selectAll()
      .where('list', '=', list)
      .where('sha256', '=', sha256)
      .orderBy('entry_id')
      .execute();
  },

  /** Entry ids and digests of a snapshot (for deltas), without the entries themselves. */
  async digests(db: Kysely<Database>, list: string, sha256: string): Promise<Map<string, string>> {
    const rows = await db
      .selectFrom('list_entries')
      .select(['entry_id', 'digest'])
      .where('list', '=', list)
      .where('sha256', '=', sha256)
      .execute();
    return new Map(rows.map((r) => [r.entry_id, r.digest]));
  },

  async insertImport(db: Kysely<Database>, row: NewListImport): Promise<void> {
    await db.insertInto('list_imports').values(row).execute();
    const memo = memoOf(db);
    if (memo) memo.currentImports = undefined;
  },

  /** The latest import of one list (its snapshot in force), or undefined. */
  async currentImport(db: Kysely<Database>, list: string): Promise<ListImportRow | undefined> {
    return db
      .selectFrom('list_imports')
      .selectAll()
      .where('list', '=', list)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  },

  /** The latest import of every list, by list name. */
  async currentImports(db: Kysely<Database>): Promise<ListImportRow[]> {
    const memo = memoOf(db);
    if (memo?.currentImports) return [...memo.currentImports];
    const rows = await sql<ListImportRow>`
      select distinct on (list) * from list_imports order by list, seq desc`.execute(db);
    if (memo) memo.currentImports = rows.rows;
    return rows.rows;
  },

  /** Every import in journal order. */
  async imports(db: Kysely<Database>): Promise<ListImportRow[]> {
    return db.selectFrom('list_imports').selectAll().orderBy('seq').execute();
  },
};
