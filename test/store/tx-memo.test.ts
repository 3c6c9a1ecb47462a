/**
 * The transaction memo (src/store/tx-memo.ts), on every store: reads of parties, licences, journal
 * times and the lists in force through a memoised transaction are answered once and then from the
 * memo; rows not found are not remembered; an import drops the lists in force; nothing is shared
 * with a transaction that did not ask for it.
 *
 * A memoised read is observed by changing the row behind the memo's back with raw SQL (which
 * Lodestone itself never does to these rows): the memo still answers the first read's row.
 */
import { sql, type Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  journalRepo,
  partiesRepo,
  rememberReadsIn,
  screeningRepo,
  journalTimesRepo,
  type Database,
  type Store,
} from '../../src/store/index.js';
import { testParty, testRecord } from '../support/records.js';
import { STORES, useFreshStore } from '../support/stores.js';

const alice = testParty('alice-magnets');

async function party(tx: Transaction<Database>, id: string, name: string): Promise<void> {
  const { seq } = await journalRepo.append(tx, testRecord(alice, Math.floor(Math.random() * 1e9)));
  await partiesRepo.insert(tx, { id, name, country: 'IN', sector: null, party: { id }, created_seq: seq });
}

async function listImport(tx: Transaction<Database>, list: string, sha256: string): Promise<number> {
  const { seq } = await journalRepo.append(tx, testRecord(alice, Math.floor(Math.random() * 1e9)));
  await screeningRepo.putSnapshot(
    tx,
    { list, sha256, format: 'csv', entry_count: 0, error_count: 0, created_at: new Date() },
    [],
  );
  await screeningRepo.insertImport(tx, {
    seq,
    list,
    sha256,
    format: 'csv',
    imported_at: new Date(),
    entry_count: 0,
    error_count: 0,
    added: 0,
    removed: 0,
    changed: 0,
  });
  return seq;
}

const rename = (tx: Transaction<Database>, id: string, name: string) =>
  sql`update parties set name = ${name} where id = ${id}`.execute(tx);

describe.each(STORES)('transaction memo on %s', (kind) => {
  const fresh = useFreshStore(kind);
  const store = (): Store => fresh().store;

  it('answers a party read once per memoised transaction, by get and by byIds, in id order', async () => {
    await store().transaction(async (tx) => {
      await party(tx, 'p-b', 'B');
      await party(tx, 'p-a', 'A');
    });
    await store().transaction(async (tx) => {
      rememberReadsIn(tx);
      expect((await partiesRepo.get(tx, 'p-a'))?.name).toBe('A');
      await rename(tx, 'p-a', 'A renamed');
      await rename(tx, 'p-b', 'B renamed');
      expect((await partiesRepo.get(tx, 'p-a'))?.name).toBe('A');
      // p-a from the memo, p-b (not yet read) from the database; duplicates once; sorted by id.
      expect((await partiesRepo.byIds(tx, ['p-b', 'p-a', 'p-b', 'nobody'])).map((p) => [p.id, p.name])).toEqual([
        ['p-a', 'A'],
        ['p-b', 'B renamed'],
      ]);
    });
    // Not memoised (another transaction, or none): the database's row.
    await store().transaction(async (tx) => {
      expect((await partiesRepo.get(tx, 'p-a'))?.name).toBe('A renamed');
      await rename(tx, 'p-a', 'A again');
      expect((await partiesRepo.get(tx, 'p-a'))?.name).toBe('A again');
    });
    expect((await partiesRepo.byIds(store().db, ['p-b', 'p-a'])).map((p) => p.name)).toEqual(['A again', 'B renamed']);
  });

  it('does not remember a party that was not found: inserted later in the transaction, it is found', async () => {
    await store().transaction(async (tx) => {
      rememberReadsIn(tx);
      expect(await partiesRepo.get(tx, 'late')).toBeUndefined();
      expect(await partiesRepo.byIds(tx, ['late'])).toEqual([]);
      await party(tx, 'late', 'Late');
      expect((await partiesRepo.get(tx, 'late'))?.name).toBe('Late');
      expect((await partiesRepo.byIds(tx, ['late'])).map((p) => p.name)).toEqual(['Late']);
    });
  });

  it('keeps the lists in force until an import in the same transaction, which drops them', async () => {
    await store().transaction(async (tx) => {
      await listImport(tx, 'un', 'a'.repeat(64));
    });
    await store().transaction(async (tx) => {
      rememberReadsIn(tx);
      expect((await screeningRepo.currentImports(tx)).map((r) => [r.list, r.sha256])).toEqual([['un', 'a'.repeat(64)]]);
      await sql`update list_imports set format = 'changed behind the memo'`.execute(tx);
      expect((await screeningRepo.currentImports(tx)).map((r) => r.format)).toEqual(['csv']);
      await listImport(tx, 'un', 'b'.repeat(64));
      await listImport(tx, 'ofac', 'c'.repeat(64));
      expect((await screeningRepo.currentImports(tx)).map((r) => [r.list, r.sha256])).toEqual([
        ['ofac', 'c'.repeat(64)],
        ['un', 'b'.repeat(64)],
      ]);
    });
  });

  it('answers journal times through the memo as the database does: each seq once, unknown seqs absent', async () => {
    const seqs = await store().transaction(async (tx) => [
      (await journalRepo.append(tx, testRecord(alice, 1))).seq,
      (await journalRepo.append(tx, testRecord(alice, 2))).seq,
    ]);
    const [s1, s2] = seqs as [number, number];
    const plain = await journalTimesRepo.recordedAt(store().db, [s1, s2, s1, 999]);
    await store().transaction(async (tx) => {
      rememberReadsIn(tx);
      expect(await journalTimesRepo.recordedAt(tx, [s1])).toEqual(new Map([[s1, plain.get(s1)]]));
      const times = await journalTimesRepo.recordedAt(tx, [s2, s1, 999]);
      expect(times.get(s1)).toEqual(plain.get(s1));
      expect(times.get(s2)).toEqual(plain.get(s2));
      expect(times.has(999)).toBe(false);
      expect([...times.keys()].sort()).toEqual([s1, s2].sort());
    });
  });
});
