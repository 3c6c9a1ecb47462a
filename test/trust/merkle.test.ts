import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendNodeIds,
  consistencyProof,
  consistencyProofNodeIds,
  emptyRoot,
  hashChildren,
  inclusionProof,
  inclusionProofNodeIds,
  leafHash,
  memoryNodeReader,
  nodesForAppend,
  RFC6962_NODE_PREFIX,
  rootFromLeafHashes,
  treeRoot,
  treeRootNodeIds,
  TrustError,
  verifyConsistency,
  verifyInclusion,
  type NodeReader,
} from '../../src/trust/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/merkle');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : name.endsWith('.json') ? [p] : [];
  });
}

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string | null;
  leafHash: string | null;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}
interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string | null;
  root2: string | null;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function outcome(run: () => void): 'ok' | 'error' {
  try {
    run();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(TrustError);
    expect((e as TrustError).code).toBe('BAD_PROOF');
    return 'error';
  }
}

/** The RFC 6962 §2.1 definition, recursively, as an independent reference. */
function naiveRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}

const LEAVES = Array.from({ length: 300 }, (_, i) => leafHash(`leaf ${i}`));
const READER = memoryNodeReader(LEAVES);
const ROOTS = Array.from({ length: 301 }, (_, n) => treeRoot(n, READER));
const rootAt = (n: number): Uint8Array => ROOTS[n]!;

describe('transparency-dev vectors', () => {
  const inclusion = jsonFiles(join(FIXTURES, 'inclusion'));
  const consistency = jsonFiles(join(FIXTURES, 'consistency'));

  it('has the inclusion and consistency vectors', () => {
    expect(inclusion.length).toBe(98);
    expect(consistency.length).toBe(98);
  });

  it.each(inclusion.map((f) => [f.slice(FIXTURES.length + 1), f]))('inclusion %s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
    const got = outcome(() => {
      verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash ?? ''), (v.proof ?? []).map(b64), b64(v.root ?? ''));
    });
    expect(got, v.desc).toBe(v.wantErr ? 'error' : 'ok');
  });

  it.each(consistency.map((f) => [f.slice(FIXTURES.length + 1), f]))('consistency %s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
    const got = outcome(() => {
      verifyConsistency(v.size1, v.size2, b64(v.root1 ?? ''), b64(v.root2 ?? ''), (v.proof ?? []).map(b64));
    });
    expect(got, v.desc).toBe(v.wantErr ? 'error' : 'ok');
  });

  it('reproduces the CT reference tree: node hashes and the roots of sizes 0–8', () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'rfc6962_reference_tree.json'), 'utf8')) as {
      leaf_inputs_hex: string[];
      node_hashes_hex: string[][];
      root_hashes_hex?: string[];
      root_hashes?: unknown;
    };
    const leaves = ref.leaf_inputs_hex.map((h) => leafHash(new Uint8Array(Buffer.from(h, 'hex'))));
    const get = memoryNodeReader(leaves);
    ref.node_hashes_hex.forEach((level, l) => {
      level.forEach((h, i) => {
        expect(hex(get(l, i))).toBe(h);
      });
    });
    expect(hex(rootFromLeafHashes([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootFromLeafHashes(leaves))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
    expect(RFC6962_NODE_PREFIX).toBe(1);
  });

  it('the happy-path proofs are the ones we generate', () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'rfc6962_reference_tree.json'), 'utf8')) as {
      leaf_inputs_hex: string[];
    };
    const leaves = ref.leaf_inputs_hex.map((h) => leafHash(new Uint8Array(Buffer.from(h, 'hex'))));
    const get = memoryNodeReader(leaves);
    for (const file of [...jsonFiles(join(FIXTURES, 'inclusion')), ...jsonFiles(join(FIXTURES, 'consistency'))].filter(
      (f) => /\/[0-4]\/happy-path\.json$/.test(f),
    )) {
      const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<InclusionVector & ConsistencyVector>;
      const want = (v.proof ?? []).map((s) => hex(b64(s)));
      const got =
        v.leafIdx !== undefined
          ? inclusionProof(v.leafIdx, v.treeSize!, get)
          : consistencyProof(v.size1!, v.size2!, get);
      expect(got.map(hex), file).toEqual(want);
    }
  });
});

describe('Merkle log over stored subtrees', () => {
  it('roots agree with the recursive RFC 6962 definition for every n ≤ 300', () => {
    for (let n = 0; n <= 300; n++) expect(hex(rootAt(n))).toBe(hex(naiveRoot(LEAVES.slice(0, n))));
  });

  it('a root or proof at size n reads O(log n) stored nodes', () => {
    const n = 1_000_003;
    expect(treeRootNodeIds(n).length).toBeLessThanOrEqual(21);
    expect(inclusionProofNodeIds(123_456, n).length).toBeLessThanOrEqual(2 * 21);
    expect(consistencyProofNodeIds(999_999, n).length).toBeLessThanOrEqual(2 * 21);
  });

  it('appending leaf by leaf stores exactly the complete subtrees', () => {
    const stored = new Map<string, Uint8Array>();
    const get: NodeReader = (l, i) => stored.get(`${l}/${i}`)!;
    LEAVES.slice(0, 70).forEach((leaf, i) => {
      for (const id of appendNodeIds(i)) expect(stored.has(`${id.level}/${id.index}`)).toBe(true);
      for (const node of nodesForAppend(i, leaf, get)) stored.set(`${node.level}/${node.index}`, node.hash);
      expect(hex(treeRoot(i + 1, get))).toBe(hex(rootAt(i + 1)));
    });
    // 70 leaves: 70 + 35 + 17 + 8 + 4 + 2 + 1 complete subtrees
    expect(stored.size).toBe(137);
  });

  it('for every n ≤ 300 every inclusion proof verifies', () => {
    for (let n = 1; n <= 300; n++) {
      const root = rootAt(n);
      for (let i = 0; i < n; i++) verifyInclusion(i, n, LEAVES[i]!, inclusionProof(i, n, READER), root);
    }
  });

  it('for every 0 < m ≤ n ≤ 300 every consistency proof verifies', () => {
    for (let n = 1; n <= 300; n++) {
      const root2 = rootAt(n);
      for (let m = 1; m <= n; m++) verifyConsistency(m, n, rootAt(m), root2, consistencyProof(m, n, READER));
    }
  });

  type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'drop'; at: number }
    | { kind: 'extra'; at: number }
    | { kind: 'swap'; at: number };
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('extra' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
  );
  /** A changed proof, or undefined when this mutation leaves it the same (e.g. swapping equal neighbours). */
  function mutate(proof: Uint8Array[], m: Mutation): Uint8Array[] | undefined {
    const out: Uint8Array[] = proof.map((p) => Uint8Array.from(p));
    if (m.kind === 'extra') {
      out.splice(m.at % (out.length + 1), 0, LEAVES[m.at % LEAVES.length]!);
      return out;
    }
    if (out.length === 0) return undefined;
    const at = m.at % out.length;
    if (m.kind === 'flip') out[at]![m.bit >> 3]! ^= 1 << (m.bit & 7);
    else if (m.kind === 'drop') out.splice(at, 1);
    else {
      if (out.length < 2) return undefined;
      const j = (at + 1) % out.length;
      [out[at], out[j]] = [out[j]!, out[at]!];
      if (hex(out[at]) === hex(out[j])) return undefined;
    }
    return out;
  }

  it('every mutated inclusion proof, and every proof moved to another index or size, fails', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        mutation,
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: -3, max: 3 }),
        (n, rawIndex, m, dIndex, dSize) => {
          const i = rawIndex % n;
          const proof = inclusionProof(i, n, READER);
          const bad = mutate(proof, m);
          if (bad !== undefined)
            expect(
              outcome(() => {
                verifyInclusion(i, n, LEAVES[i]!, bad, rootAt(n));
              }),
            ).toBe('error');
          const i2 = i + dIndex;
          const n2 = n + dSize;
          if ((i2 !== i || n2 !== n) && i2 >= 0 && n2 >= 1 && n2 <= 300) {
            // The proof for another position or size: wrong shape, or leads to another root than size n2's.
            expect(
              outcome(() => {
                verifyInclusion(i2, n2, LEAVES[i]!, proof, rootAt(n2));
              }),
            ).toBe('error');
          }
          expect(
            outcome(() => {
              verifyInclusion(i, n, leafHash('not in the log'), proof, rootAt(n));
            }),
          ).toBe('error');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('every mutated consistency proof, and every proof for other sizes, fails', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        mutation,
        fc.integer({ min: -2, max: 2 }),
        (n, rawM, mu, d) => {
          const m = (rawM % n) + 1;
          const proof = consistencyProof(m, n, READER);
          const bad = mutate(proof, mu);
          if (bad !== undefined)
            expect(
              outcome(() => {
                verifyConsistency(m, n, rootAt(m), rootAt(n), bad);
              }),
            ).toBe('error');
          const m2 = m + d;
          if (d !== 0 && m2 >= 1 && m2 <= n)
            expect(
              outcome(() => {
                verifyConsistency(m2, n, rootAt(m2), rootAt(n), proof);
              }),
            ).toBe('error');
          if (m < n) {
            // A forked history: the same old size with another root.
            expect(
              outcome(() => {
                verifyConsistency(m, n, leafHash('fork'), rootAt(n), proof);
              }),
            ).toBe('error');
            expect(
              outcome(() => {
                verifyConsistency(m, n, rootAt(m), leafHash('fork'), proof);
              }),
            ).toBe('error');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses impossible requests with BAD_PROOF', () => {
    expect(outcome(() => inclusionProof(5, 5, READER))).toBe('error');
    expect(outcome(() => consistencyProof(0, 5, READER))).toBe('error');
    expect(outcome(() => consistencyProof(6, 5, READER))).toBe('error');
    expect(
      outcome(() => {
        verifyInclusion(-1, 5, LEAVES[0]!, [], rootAt(5));
      }),
    ).toBe('error');
    expect(
      outcome(() => {
        verifyInclusion(0, 2 ** 60, LEAVES[0]!, [], rootAt(5));
      }),
    ).toBe('error');
  });
});
