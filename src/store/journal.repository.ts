import { sql, type Kysely, type Transaction } from 'kysely';
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

export interface AppendOptions {
  /**
   * Leave the entry's log leaf pending until `flushLeaves(tx)`, which the caller must call before
   * the transaction commits (several entries' leaves are then written at once). Nothing in the
   * transaction may read the log in between.
   */
  readonly deferLeaf?: boolean;
}

const pendingLeaves = new WeakMap<object, { first: number; hashes: string[] }>();
/** The seq of the last entry each transaction appended (its journal_head row lock is held until it ends). */
const lastAppended = new WeakMap<object, number>();

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
  async append(tx: Transaction<Database>, signed: SignedRecord, opts: AppendOptions = {}): Promise<AppendResult> {
    const record = parseSignedRecord(signed);
    const { canonical, recordHash, leafHash } = recordDigests(record);
    // The next seq from journal_head and the row, in one statement (the head's row lock is taken first).
    const row = await tx
      .with('head', (db) => db.updateTable('journal_head').set((eb) => ({ next_seq: eb('next_seq', '+', 1) })).where('id', '=', 1).returning((eb) => eb(eb.ref('next_seq'), '-', 1).as('seq')))
      .insertInto('journal')
      .columns(['seq', 'type', 'actor', 'key_id', 'recorded_at', 'record', 'canonical', 'record_hash', 'leaf_hash'])
      .expression((eb) =>
        eb
          .selectFrom('head')
          .select((s) => [
            'head.seq',
            s.val(record.payload.type).as('type'),
            s.val(record.payload.actor).as('actor'),
            s.val(record.signature.keyId).as('key_id'),
            sql<string>`cast(${record.payload.at} as timestamptz)`.as('recorded_at'),
            sql`cast(${canonical} as jsonb)`.as('record'),
            sql<string>`cast(${canonical} as text)`.as('canonical'),
            s.val(recordHash).as('record_hash'),
            s.val(leafHash).as('leaf_hash'),
          ]),
      )
      .returning('seq')
      .executeTakeFirst();
    if (row === undefined) throw new StoreError('NOT_FOUND', 'journal_head row is missing: the schema is damaged');
    const seq = row.seq;
    // The head now holds seq + 1, which must stay exact too (as when it was read back by itself).
    if (!Number.isSafeInteger(seq + 1)) throw new StoreError('UNSAFE_INTEGER', `integer ${String(BigInt(seq) + 1n)} read from the database is outside the exact range ±(2^53 − 1)`);
    lastAppended.set(tx, seq);
    // The transparency log's leaf seq − 1 and the subtrees it completes, in the same transaction
    // (now, or at `flushLeaves` before the transaction ends).
    if (opts.deferLeaf === true) {
      const pending = pendingLeaves.get(tx);
      if (pending === undefined) pendingLeaves.set(tx, { first: seq - 1, hashes: [leafHash] });
      else if (pending.first + pending.hashes.length === seq - 1) pending.hashes.push(leafHash);
      else throw new StoreError('CONFLICT', `journal entry ${seq} does not follow the pending log leaves (${pending.first + pending.hashes.length})`);
    } else {
      await journalRepo.flushLeaves(tx);
      await logRepo.appendLeaf(tx, seq - 1, leafHash);
    }
    return { seq, recordHash, leafHash };
  },

  /** Writes the log leaves (and subtrees) of the entries appended with `deferLeaf`, in one read and one insert. */
  async flushLeaves(tx: Transaction<Database>): Promise<void> {
    const pending = pendingLeaves.get(tx);
    if (pending === undefined) return;
    pendingLeaves.delete(tx);
    await logRepo.appendLeaves(tx, pending.first, pending.hashes);
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

  /**
   * The number of entries as `tx` sees them: after an append in `tx`, its last seq (no other writer
   * can append before `tx` ends: it holds the journal_head row lock), else `count`.
   */
  async sizeIn(tx: Transaction<Database>): Promise<number> {
    return lastAppended.get(tx) ?? journalRepo.count(tx);
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
