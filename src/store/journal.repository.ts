import type { Kysely, Transaction } from 'kysely';
import { parseSignedRecord, recordDigests, type SignedRecord } from '../trust/index.js';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import type { JournalRow } from './journal.table.js';
import { logRepo } from './log.repository.js';

export interface AppendResult {
  /** The record's place in the journal: gapless, 1-based. */
  readonly seq: number;
  /** Hex SHA-256 of the canonical record. */
  readonly recordHash: string;
  /** Hex RFC 6962 leaf hash of the canonical record. */
  readonly leafHash: string;
}

export interface ReadOptions {
  /** First seq to return (default 1). */
  fromSeq?: number;
  /** At most this many rows (default 1000). */
  limit?: number;
}

/**
 * The journal: append-only, gapless, the source of truth.
 *
 * - `append` takes the next seq from journal_head with UPDATE … RETURNING in the caller's
 *   transaction. That row lock serialises appenders: a second appender waits until the first
 *   commits (and gets the next number) or rolls back (and gets the same number). So seq has no
 *   gaps and no duplicates, and rows become visible to readers in seq order.
 * - Hold the transaction briefly after appending: every other writer waits on it.
 * - `append` checks the record's shape, not its signature or who signed it; the use case verifies
 *   that before appending. The same signed record twice is refused as CONFLICT
 *   (journal_record_hash_key).
 */
export const journalRepo = {
  async append(tx: Transaction<Database>, signed: SignedRecord): Promise<AppendResult> {
    const record = parseSignedRecord(signed);
    const { canonical, recordHash, leafHash } = recordDigests(record);
    const head = await tx
      .updateTable('journal_head')
      .set((eb) => ({ next_seq: eb('next_seq', '+', 1) }))
      .where('id', '=', 1)
      .returning('next_seq')
      .executeTakeFirst();
    if (head === undefined) throw new StoreError('NOT_FOUND', 'journal_head row is missing: the schema is damaged');
    const seq = head.next_seq - 1;
    await tx
      .insertInto('journal')
      .values({
        seq,
        type: record.payload.type,
        actor: record.payload.actor,
        key_id: record.signature.keyId,
        recorded_at: record.payload.at,
        record: canonical,
        canonical,
        record_hash: recordHash,
        leaf_hash: leafHash,
      })
      .execute();
    // The transparency log's leaf seq − 1 and the subtrees it completes, in the same transaction.
    await logRepo.appendLeaf(tx, seq - 1, leafHash);
    return { seq, recordHash, leafHash };
  },

  /** Rows in seq order from `fromSeq`, at most `limit`. */
  async read(db: Kysely<Database>, opts: ReadOptions = {}): Promise<JournalRow[]> {
    const fromSeq = positive(opts.fromSeq ?? 1, 'fromSeq');
    const limit = positive(opts.limit ?? 1000, 'limit');
    return db.selectFrom('journal').selectAll().where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
  },

  async get(db: Kysely<Database>, seq: number): Promise<JournalRow | undefined> {
    return db.selectFrom('journal').selectAll().where('seq', '=', seq).executeTakeFirst();
  },

  /** The number of entries, which is also the last seq (O(1): read from journal_head). */
  async count(db: Kysely<Database>): Promise<number> {
    const head = await db.selectFrom('journal_head').select('next_seq').where('id', '=', 1).executeTakeFirst();
    if (head === undefined) throw new StoreError('NOT_FOUND', 'journal_head row is missing: the schema is damaged');
    return head.next_seq - 1;
  },

  /**
   * Every entry in seq order, fetched `batchSize` rows at a time by keyset (seq > last), so memory
   * stays flat however long the journal is. Entries appended while streaming are included if they
   * commit before their batch is read; for a fixed snapshot, stream inside a REPEATABLE READ
   * transaction (`db.transaction().setIsolationLevel('repeatable read')`).
   */
  async *stream(db: Kysely<Database>, batchSize = 500): AsyncGenerator<JournalRow, void, undefined> {
    positive(batchSize, 'batchSize');
    let last = 0;
    for (;;) {
      const rows = await db.selectFrom('journal').selectAll().where('seq', '>', last).orderBy('seq').limit(batchSize).execute();
      yield* rows;
      const tail = rows.at(-1);
      if (tail === undefined || rows.length < batchSize) return;
      last = tail.seq;
    }
  },
};

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive safe integer, got ${n}`);
  return n;
}
