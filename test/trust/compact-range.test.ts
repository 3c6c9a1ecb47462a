/**
 * The compact range a federated node keeps of a peer's tree at the checkpoint it cosigned (issue 24
 * item 5): extending it with the next leaves gives the same root as RFC 6962's MTH over all leaves, for
 * every split point; it holds one hash per 1 bit of the size; and a tree whose prefix differs from the
 * one the range was taken from never gives the same root (the split view the follower refuses).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_RANGE,
  extendRange,
  hashesEqual,
  leafHash,
  rangeRoot,
  rootFromLeafHashes,
} from '../../src/trust/index.js';

const leaves = (n: number, tag = 'r') => Array.from({ length: n }, (_, i) => leafHash(`${tag}${i}`));

describe('compact range (RFC 6962 subtrees at a cosigned size)', () => {
  it('extended in any two steps, gives the MTH of all the leaves, with one hash per 1 bit of the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (a, b) => {
        const all = leaves(a + b);
        const first = extendRange(EMPTY_RANGE, all.slice(0, a));
        expect(first.hashes.length).toBe(a.toString(2).replace(/0/g, '').length);
        expect(hashesEqual(rangeRoot(first), rootFromLeafHashes(all.slice(0, a)))).toBe(true);
        const both = extendRange(first, all.slice(a));
        expect(both.size).toBe(a + b);
        expect(hashesEqual(rangeRoot(both), rootFromLeafHashes(all))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a tree that rewrote one leaf of the cosigned prefix does not give the root the range extends to', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 100 }), fc.nat(), (a, b, k) => {
        const honest = leaves(a + b);
        const range = extendRange(EMPTY_RANGE, honest.slice(0, a));
        const forked = [...honest];
        forked[k % a] = leafHash(`forged${k}`);
        // The forked log's checkpoint at a + b, against the honest range extended with the (shared) new leaves.
        expect(hashesEqual(rangeRoot(extendRange(range, forked.slice(a))), rootFromLeafHashes(forked))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
