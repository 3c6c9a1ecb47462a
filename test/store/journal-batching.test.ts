/**
 * The journal's batched append path (issue 21 item 5), on every store: however a run of records is
 * split into transactions, and whichever appends are deferred to the transaction's end (journal rows
 * in one statement, leaves and completed subtrees in one more), the journal, the Merkle nodes and
 * every root are exactly those of appending the records one by one — and those computed in memory
 * from the records' canonical bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { journalRepo, logRepo, type Store } from '../../src/store/index.js';
import { hashChildren, leafHash, memoryNodeReader, recordBytes, sha256Hex, treeRoot } from '../../src/trust/index.js';
import { testParty, testRecord } from '../support/records.js';
import { freshStore, STORES } from '../support/stores.js';

const alice = testParty('alice-magnets');
const MAX_RECORDS = 40;
// Bodies with what array literals and JSON must escape: quotes, backslashes, braces, commas, NULL-free Unicode.
const tricky = ['"', '\\', '{', '}', ',', "'", ' ', 'NULL', 'é', '𝄞', '\n'];
const records = Array.from({ length: MAX_RECORDS }, (_, n) =>
  testRecord(alice, n, { n, s: tricky.slice(0, (n % tricky.length) + 1).join('') }),
);
const canon = records.map((r) => recordBytes(r));
const leaves = canon.map((c) => leafHash(c));

/** Every complete subtree of the first `n` leaves, as the store keeps them: "level/idx" → hex. */
function expectedNodes(n: number): Map<string, string> {
  const out = new Map<string, string>();
  let level = leaves.slice(0, n);
  for (let l = 0; level.length > 0; l++) {
    level.forEach((h, i) => out.set(`${l}/${i}`, Buffer.from(h).toString('hex')));
    const up: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) up.push(hashChildren(level[i]!, level[i + 1]!));
    level = up;
  }
  return out;
}

async function storedNodes(store: Store): Promise<Map<string, string>> {
  const rows = await store.db.selectFrom('merkle_nodes').select(['level', 'idx', 'hash']).execute();
  return new Map(rows.map((r) => [`${r.level}/${r.idx}`, Buffer.from(r.hash).toString('hex')]));
}

/** Appends records[0..n) in transactions of the given sizes, each append deferred or not as `defer` says. */
async function appendIn(store: Store, sizes: readonly number[], defer: readonly boolean[]): Promise<number[]> {
  const seqs: number[] = [];
  let k = 0;
  for (const size of sizes) {
    await store.transaction(async (tx) => {
      for (let j = 0; j < size; j++, k++) {
        const r = await journalRepo.append(tx, records[k]!, { defer: defer[k] ?? false });
        expect(r.recordHash).toBe(sha256Hex(canon[k]!));
        expect(r.leafHash).toBe(Buffer.from(leaves[k]!).toString('hex'));
        seqs.push(r.seq);
      }
      await journalRepo.flush(tx);
    });
  }
  return seqs;
}

const split = fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 12 }).map((sizes) => {
  // Trim to at most MAX_RECORDS records.
  const out: number[] = [];
  let total = 0;
  for (const s of sizes) {
    const take = Math.min(s, MAX_RECORDS - total);
    if (take <= 0) break;
    out.push(take);
    total += take;
  }
  return out;
});

describe.each(STORES)('batched journal appends on %s', (kind) => {
  it('any split of the records into transactions, any mix of deferred appends: the same journal, nodes and roots as one by one', async () => {
    // The reference: one record per transaction, nothing deferred.
    const one = await freshStore(kind);
    let reference: { journal: unknown[]; nodes: Map<string, string> };
    try {
      await appendIn(one.store, Array<number>(MAX_RECORDS).fill(1), []);
      reference = {
        journal: await journalRepo.read(one.store.db, { limit: MAX_RECORDS + 1 }),
        nodes: await storedNodes(one.store),
      };
    } finally {
      await one.dispose();
    }
    expect(reference.journal.map((r) => (r as { canonical: string }).canonical)).toEqual(canon);
    expect(reference.nodes).toEqual(expectedNodes(MAX_RECORDS));

    await fc.assert(
      fc.asyncProperty(
        split,
        fc.array(fc.boolean(), { minLength: MAX_RECORDS, maxLength: MAX_RECORDS }),
        async (sizes, defer) => {
          const n = sizes.reduce((a, b) => a + b, 0);
          const t = await freshStore(kind);
          try {
            const seqs = await appendIn(t.store, sizes, defer);
            expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
            expect(await journalRepo.read(t.store.db, { limit: MAX_RECORDS + 1 })).toEqual(
              reference.journal.slice(0, n),
            );
            expect(await journalRepo.count(t.store.db)).toBe(n);
            expect(await storedNodes(t.store)).toEqual(expectedNodes(n));
            for (let size = 1; size <= n; size++)
              expect(Buffer.from(await logRepo.root(t.store.db, size)).toString('hex')).toBe(
                Buffer.from(treeRoot(size, memoryNodeReader(leaves.slice(0, size)))).toString('hex'),
              );
          } finally {
            await t.dispose();
          }
        },
      ),
      { numRuns: kind === 'postgres' ? 8 : 15, seed: 2121 },
    );
  }, 240_000);

  it('appendLeaves refuses a leaf that is not 32 bytes, naming it, and writes nothing', async () => {
    const t = await freshStore(kind);
    try {
      await expect(
        t.store.transaction((tx) => logRepo.appendLeaves(tx, 0, [leaves[0]!, new Uint8Array(31)])),
      ).rejects.toMatchObject({ code: 'INVALID_ROW', field: 'leaves[1]' });
      await expect(t.store.transaction((tx) => logRepo.appendLeaf(tx, 0, 'ABC'))).rejects.toMatchObject({
        code: 'INVALID_ROW',
        field: 'leafHashHex',
      });
      expect(await logRepo.size(t.store.db)).toBe(0);
    } finally {
      await t.dispose();
    }
  });
});
