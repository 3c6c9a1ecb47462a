import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import type { SubjectHeadRow, SubjectMapNodeRow } from './subjects.tables.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows written per statement (4 parameters each, far below PostgreSQL's 65,535). */
const ROWS_PER_STATEMENT = 2000;

/** A list of strings as one jsonb parameter (one statement whatever its length, the same on PGlite and PostgreSQL). */
const jsonList = (values: readonly string[]) =>
  sql`(select jsonb_array_elements_text(cast(${JSON.stringify(values)} as jsonb)))`;

/**
 * Subject heads and the subject map (migration 0016): the log's commitment to the newest entry of
 * each subject. Like the Merkle log's nodes, they are written in the transaction that appends the
 * entries, and only while it holds the journal_head row lock (journalRepo.lockHead or an append),
 * so heads are read and moved by one writer at a time: a subject's chain never forks.
 */
export const subjectsRepo = {
  /** The journal size from which entries carry subject links. */
  async since(db: Db): Promise<number> {
    const row = await db.selectFrom('subject_log').select('since_size').where('id', '=', 1).executeTakeFirst();
    if (row === undefined) throw new StoreError('NOT_FOUND', 'subject_log row is missing: the schema is damaged');
    return row.since_size;
  },

  /** The heads of these subjects (those that have one). */
  async heads(db: Db, subjects: readonly string[]): Promise<SubjectHeadRow[]> {
    if (subjects.length === 0) return [];
    return db
      .selectFrom('subject_heads')
      .selectAll()
      .where(sql<boolean>`subject in ${jsonList(subjects)}`)
      .execute();
  },

  /** Every head, in subject order (for checks; O(subjects)). */
  async allHeads(db: Db): Promise<SubjectHeadRow[]> {
    return db.selectFrom('subject_heads').selectAll().orderBy('subject').execute();
  },

  async writeHeads(tx: Transaction<Database>, rows: readonly SubjectHeadRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await tx
        .insertInto('subject_heads')
        .values(
          rows
            .slice(i, i + ROWS_PER_STATEMENT)
            .map((r) => ({ subject: r.subject, seq: r.seq, leaf_hash: r.leaf_hash })),
        )
        .onConflict((oc) =>
          oc
            .column('subject')
            .doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq'), leaf_hash: eb.ref('excluded.leaf_hash') })),
        )
        .execute();
    }
  },

  /** The map nodes at these paths (those that exist). */
  async nodes(db: Db, paths: readonly string[]): Promise<SubjectMapNodeRow[]> {
    if (paths.length === 0) return [];
    const rows = await db
      .selectFrom('subject_map_nodes')
      .selectAll()
      .where(sql<boolean>`path in ${jsonList(paths)}`)
      .execute();
    return rows.map((r) => ({
      path: r.path,
      hash: new Uint8Array(r.hash),
      leaf_key: r.leaf_key === null ? null : new Uint8Array(r.leaf_key),
      leaf_value: r.leaf_value === null ? null : new Uint8Array(r.leaf_value),
    }));
  },

  async writeNodes(tx: Transaction<Database>, rows: readonly SubjectMapNodeRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await tx
        .insertInto('subject_map_nodes')
        .values(rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => ({ ...r })))
        .onConflict((oc) =>
          oc.column('path').doUpdateSet((eb) => ({
            hash: eb.ref('excluded.hash'),
            leaf_key: eb.ref('excluded.leaf_key'),
            leaf_value: eb.ref('excluded.leaf_value'),
          })),
        )
        .execute();
    }
  },
};
