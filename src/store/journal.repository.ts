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
   * Leave the entry's log leaf — and, after the transaction's first entry, its journal row — pending
   * until `flush(tx)`, which the caller must call before the transaction commits: the rows are
   * then written in one statement and the leaves (and subtrees) in one more, instead of one or two
   * per entry. The transaction holds the journal_head row lock from its first append, so the seqs
   * it hands out in between are its own. Reads of the journal through this repository (and
   * `journalTimesRepo`) in the transaction see the pending rows; nothing may read the log in
   * between. The foreign keys to journal (seq) are checked at commit (migration 0015), so
   * projection rows may name a pending entry.
   */
  readonly defer?: boolean;
}

interface PendingRow {
  readonly seq: number;
  readonly type: string;
  readonly actor: string;
  readonly keyId: string;
  readonly at: string;
  readonly canonical: string;
  readonly recordHash: string;
  readonly leafHash: string;
}

/** Per transaction: journal rows not yet written (consecutive seqs) and log leaves not yet written. */
const pendingRows = new WeakMap<object, { readonly rows: PendingRow[]; readonly hashes: Set<string> }>();
const pendingLeaves = new WeakMap<object, { first: number; hashes: Uint8Array[] }>();
/** The seq of the last entry each transaction appended (its journal_head row lock is held until it ends). */
const lastAppended = new WeakMap<object, number>();
/** Transactions that took the journal_head row lock with `lockHead` (held until they end). */
const lockedHere = new WeakSet<object>();
/** Journal rows written per statement by `flush` (each column one array parameter; about 0.6 kB a row on the wire). */
const ROWS_PER_STATEMENT = 10_000;

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
    const { canonical, recordHash, leafHash, leaf } = recordDigests(record);
    const held = lastAppended.get(tx);
    let seq: number;
    if (opts.defer === true && held !== undefined) {
      // The transaction holds the head's row lock: the next seq is its own, written at `flush`.
      seq = held + 1;
      const pending = pendingRows.get(tx) ?? { rows: [], hashes: new Set<string>() };
      pendingRows.set(tx, pending);
      // The same signed record twice in one transaction, refused now as the unique key would at flush.
      if (pending.hashes.has(recordHash))
        throw new StoreError(
          'CONFLICT',
          `already exists: unique constraint violated on journal_record_hash_key (record_hash ${recordHash} is appended twice in this transaction)`,
          { constraint: 'journal_record_hash_key' },
        );
      pending.hashes.add(recordHash);
      pending.rows.push({
        seq,
        type: record.payload.type,
        actor: record.payload.actor,
        keyId: record.signature.keyId,
        at: record.payload.at,
        canonical,
        recordHash,
        leafHash,
      });
    } else {
      await flushRows(tx);
      // The next seq from journal_head and the row, in one statement (the head's row lock is taken first).
      const row = await tx
        .with('head', (db) =>
          db
            .updateTable('journal_head')
            .set((eb) => ({ next_seq: eb('next_seq', '+', 1) }))
            .where('id', '=', 1)
            .returning((eb) => eb(eb.ref('next_seq'), '-', 1).as('seq')),
        )
        .insertInto('journal')
        .columns(['seq', 'type', 'actor', 'key_id', 'recorded_at', 'canonical', 'record_hash', 'leaf_hash'])
        .expression((eb) =>
          eb
            .selectFrom('head')
            .select((s) => [
              'head.seq',
              s.val(record.payload.type).as('type'),
              s.val(record.payload.actor).as('actor'),
              s.val(record.signature.keyId).as('key_id'),
              sql<string>`cast(${record.payload.at} as timestamptz)`.as('recorded_at'),
              sql<string>`cast(${canonical} as text)`.as('canonical'),
              s.val(recordHash).as('record_hash'),
              s.val(leafHash).as('leaf_hash'),
            ]),
        )
        .returning('seq')
        .executeTakeFirst();
      if (row === undefined) throw new StoreError('NOT_FOUND', 'journal_head row is missing: the schema is damaged');
      seq = row.seq;
    }
    // The head holds (or, after `flush`, will hold) seq + 1, which must stay exact too.
    if (!Number.isSafeInteger(seq + 1))
      throw new StoreError(
        'UNSAFE_INTEGER',
        `journal_head's next seq ${String(BigInt(seq) + 1n)} is outside the exact range ±(2^53 − 1)`,
      );
    lastAppended.set(tx, seq);
    // The transparency log's leaf seq − 1 and the subtrees it completes, in the same transaction
    // (now, or at `flush` before the transaction ends).
    if (opts.defer === true) {
      const pending = pendingLeaves.get(tx);
      if (pending === undefined) pendingLeaves.set(tx, { first: seq - 1, hashes: [leaf] });
      else if (pending.first + pending.hashes.length === seq - 1) pending.hashes.push(leaf);
      else
        throw new StoreError(
          'CONFLICT',
          `journal entry ${seq} does not follow the pending log leaves (${pending.first + pending.hashes.length})`,
        );
    } else {
      await journalRepo.flush(tx);
      await logRepo.appendLeaves(tx, seq - 1, [leaf]);
    }
    return { seq, recordHash, leafHash };
  },

  /**
   * Writes what the transaction's appends with `defer` left pending: the journal rows in one
   * statement (which also advances journal_head past them), then the log leaves and the subtrees
   * they complete in one read and one insert.
   */
  async flush(tx: Transaction<Database>): Promise<void> {
    await flushRows(tx);
    const pending = pendingLeaves.get(tx);
    if (pending === undefined) return;
    pendingLeaves.delete(tx);
    await logRepo.appendLeaves(tx, pending.first, pending.hashes);
  },

  /**
   * For a transaction object on another's connection (a group commit's savepoint, released): writes
   * its pending journal rows now, and hands its pending log leaves to `into`, whose `flush` writes
   * them with its own — one read and one insert for a whole group instead of two per savepoint.
   */
  async flushRowsInto(tx: Kysely<Database>, into: Kysely<Database>): Promise<void> {
    await flushRows(tx);
    const mine = pendingLeaves.get(tx);
    if (mine === undefined) return;
    pendingLeaves.delete(tx);
    const theirs = pendingLeaves.get(into);
    if (theirs === undefined) pendingLeaves.set(into, mine);
    else if (theirs.first + theirs.hashes.length === mine.first) theirs.hashes.push(...mine.hashes);
    else
      throw new StoreError(
        'CONFLICT',
        `log leaves from ${mine.first} do not follow the pending ones (${theirs.first + theirs.hashes.length})`,
      );
  },

  /**
   * Takes the journal_head row lock now (if this transaction has not appended yet), so what the
   * transaction reads next of the log's state — subject heads — cannot change before its appends.
   */
  async lockHead(tx: Transaction<Database>): Promise<void> {
    if (lastAppended.has(tx) || lockedHere.has(tx)) return;
    await tx.selectFrom('journal_head').select('next_seq').where('id', '=', 1).forUpdate().executeTakeFirst();
    lockedHere.add(tx);
  },

  /** When entry `seq` was recorded, if the transaction appended it with `defer` and has not written it yet. */
  pendingRecordedAt(db: Kysely<Database>, seq: number): Date | undefined {
    const rows = pendingRows.get(db)?.rows;
    const first = rows?.[0]?.seq;
    // Pending rows have consecutive seqs.
    const row = first === undefined ? undefined : rows?.[seq - first];
    return row?.seq === seq ? new Date(row.at) : undefined;
  },

  /** Rows in seq order from `fromSeq`, at most `limit`. */
  async read(db: Kysely<Database>, opts: ReadOptions = {}): Promise<JournalRow[]> {
    const fromSeq = positive(opts.fromSeq ?? 1, 'fromSeq');
    const limit = positive(opts.limit ?? 1000, 'limit');
    await flushRows(db);
    return db.selectFrom('journal').selectAll().where('seq', '>=', fromSeq).orderBy('seq').limit(limit).execute();
  },

  async get(db: Kysely<Database>, seq: number): Promise<JournalRow | undefined> {
    await flushRows(db);
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
    await flushRows(db);
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
      await flushRows(db);
      const rows = await db
        .selectFrom('journal')
        .selectAll()
        .where('seq', '>', last)
        .orderBy('seq')
        .limit(batchSize)
        .execute();
      yield* rows;
      const tail = rows.at(-1);
      if (tail === undefined || rows.length < batchSize) return;
      last = tail.seq;
    }
  },
};

/**
 * Writes a transaction's pending journal rows (consecutive seqs after the last written one) and
 * moves journal_head past them, in one statement per ROWS_PER_STATEMENT rows: each column is sent as
 * one array and unnested by PostgreSQL (seq = first + ordinality − 1), so the statement's text and
 * plan do not grow with the rows. The head is moved only if it is where the transaction left it, and
 * the statement must insert every row: anything else is a broken invariant, refused before the
 * transaction can commit.
 */
async function flushRows(db: Kysely<Database>): Promise<void> {
  const rows = pendingRows.get(db)?.rows;
  if (rows === undefined || rows.length === 0) return;
  pendingRows.delete(db);
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT);
    const first = part[0]?.seq ?? 0;
    const last = part.at(-1)?.seq ?? 0;
    const column = (f: (r: PendingRow) => string) => part.map(f);
    const written = await sql<{ n: number | string }>`
      with head as (update journal_head set next_seq = ${last + 1} where id = 1 and next_seq = ${first} returning next_seq),
      ins as (
        insert into journal (seq, type, actor, key_id, recorded_at, canonical, record_hash, leaf_hash)
        select ${first}::bigint + v.n - 1, v.type, v.actor, v.key_id, v.at::timestamptz, v.canonical, v.record_hash, v.leaf_hash
        from head, unnest(${column((r) => r.type)}::text[], ${column((r) => r.actor)}::text[],
          ${column((r) => r.keyId)}::text[], ${column((r) => r.at)}::text[], ${column((r) => r.canonical)}::text[],
          ${column((r) => r.recordHash)}::text[], ${column((r) => r.leafHash)}::text[])
          with ordinality as v (type, actor, key_id, at, canonical, record_hash, leaf_hash, n)
        returning 1)
      select count(*) as n from ins`.execute(db);
    if (Number(written.rows[0]?.n) !== part.length)
      throw new StoreError(
        'CONFLICT',
        `journal_head is not at ${first}, where this transaction's appends left it: entries ${first}–${last} not written`,
      );
  }
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive safe integer, got ${n}`);
  return n;
}
