import { createHash, timingSafeEqual } from 'node:crypto';
import { TrustError } from './errors.js';

/**
 * The Merkle log over the journal, as in RFC 6962 §2.1 / RFC 9162 §2.1 (SHA-256):
 *
 * - leaf hash  = SHA-256(0x00 || leaf bytes)          (RFC6962_LEAF_PREFIX, in hash.ts)
 * - node hash  = SHA-256(0x01 || left || right)       (RFC6962_NODE_PREFIX)
 * - MTH({})    = SHA-256("")
 * - MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two < n.
 *
 * Storage is addressed by complete subtrees: node (level, index) covers the leaves
 * [index·2^level, (index+1)·2^level), level 0 being the leaf hashes themselves. Those never change
 * once the log has grown past them, so a store keeps them and a root or a proof at size n reads
 * O(log n) of them. Generation takes a `NodeReader` (STYLE.md §5: pure in tests); call the
 * `…NodeIds` function first to know which nodes to fetch in one query.
 *
 * Verifiers follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) plus the
 * transparency-dev input rules: every hash is exactly 32 bytes; comparisons are constant-time.
 */
export const RFC6962_NODE_PREFIX = 0x01;
export const HASH_BYTES = 32;

/** A complete subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

/** Returns the stored hash of a complete subtree (it must exist: the caller asked for it via `…NodeIds`). */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(Uint8Array.of(RFC6962_NODE_PREFIX)).update(left).update(right).digest(),
  );
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return new Uint8Array(createHash('sha256').digest());
}

/** Constant-time equality of two hashes (false, not an exception, when the lengths differ). */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkSize(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TrustError('BAD_PROOF', `${name} must be a non-negative safe integer, got ${String(n)}`);
}

function checkHash(h: Uint8Array, name: string): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES)
    throw new TrustError('BAD_PROOF', `${name} must be ${HASH_BYTES} bytes`);
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** True when n is a power of two (n ≥ 1). */
function isPowerOfTwo(n: number): boolean {
  return splitPoint(n + 1) === n;
}

function log2Exact(k: number): number {
  let level = 0;
  while (2 ** level < k) level++;
  return level;
}

/**
 * The hash of leaves [start, end) when start is aligned (a multiple of the largest power of two
 * ≤ end − start, as every node of an RFC 6962 tree is): the perfect subtrees of the binary
 * decomposition of end − start, folded from the right.
 */
function rangeHash(start: number, end: number, get: NodeReader): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= end) size *= 2;
    parts.push(get(log2Exact(size), at / size));
    at += size;
  }
  let acc = parts.pop();
  if (acc === undefined) return emptyRoot();
  for (let i = parts.length - 1; i >= 0; i--) acc = hashChildren(parts[i] as Uint8Array, acc);
  return acc;
}

/** MTH(D[size]) from stored complete subtrees. */
export function treeRoot(size: number, get: NodeReader): Uint8Array {
  checkSize(size, 'tree size');
  return rangeHash(0, size, get);
}

/**
 * A compact range over leaves [0, size): the roots of the perfect subtrees the tree of `size` leaves
 * splits into (RFC 6962 §2.1: the largest power of two first), left to right — at most log2(size) + 1
 * hashes. It is all a follower needs to keep of a log at a checkpoint it verified: extending it with the
 * next leaves gives the root of the longer tree, and that root equals a later checkpoint's exactly when
 * that checkpoint's tree starts with the verified one and continues with those leaves (the consistency
 * of RFC 9162 §2.1.4, checked in O(new leaves + log size)).
 */
export interface CompactRange {
  readonly size: number;
  readonly hashes: readonly Uint8Array[];
}

export const EMPTY_RANGE: CompactRange = { size: 0, hashes: [] };

/** The range extended by the next leaves (their hashes, in order). */
export function extendRange(range: CompactRange, leaves: readonly Uint8Array[]): CompactRange {
  const hashes = [...range.hashes];
  let size = range.size;
  for (const leaf of leaves) {
    hashes.push(leaf);
    // Merge the two rightmost subtrees while they are the same height (a trailing 1 bit of the old size).
    for (let s = size; (s & 1) === 1; s = Math.floor(s / 2)) {
      const right = hashes.pop() as Uint8Array;
      const left = hashes.pop() as Uint8Array;
      hashes.push(hashChildren(left, right));
    }
    size++;
  }
  return { size, hashes };
}

/** MTH of the tree the range covers. */
export function rangeRoot(range: CompactRange): Uint8Array {
  let acc = range.hashes[range.hashes.length - 1];
  if (acc === undefined) return emptyRoot();
  for (let i = range.hashes.length - 2; i >= 0; i--) acc = hashChildren(range.hashes[i] as Uint8Array, acc);
  return acc;
}

/** MTH over a list of leaf hashes (in memory; for tests, witnesses and small logs). */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  return treeRoot(leaves.length, memoryNodeReader(leaves));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, size: number, get: NodeReader): Uint8Array[] {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  if (index >= size) throw new TrustError('BAD_PROOF', `leaf index ${index} is not in a tree of size ${size}`);
  const proof: Uint8Array[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index - lo < k) {
      proof.push(rangeHash(lo + k, hi, get));
      hi = lo + k;
    } else {
      proof.push(rangeHash(lo, lo + k, get));
      lo += k;
    }
  }
  return proof.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): the consistency proof between sizes 0 < m ≤ n. */
export function consistencyProof(size1: number, size2: number, get: NodeReader): Uint8Array[] {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 < 1 || size1 > size2)
    throw new TrustError('BAD_PROOF', `no consistency proof from size ${size1} to size ${size2}`);
  const proof: Uint8Array[] = [];
  let m = size1;
  let lo = 0;
  let hi = size2;
  let complete = true; // SUBPROOF's b: the subtree [lo, lo+m) is a node of the old tree.
  for (;;) {
    const n = hi - lo;
    if (m === n) {
      if (!complete) proof.push(rangeHash(lo, hi, get));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeHash(lo + k, hi, get));
      hi = lo + k;
    } else {
      proof.push(rangeHash(lo, lo + k, get));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

/** Records which nodes a generator reads, so a store can fetch them in one query. */
function nodesRead(run: (get: NodeReader) => unknown): NodeId[] {
  const seen = new Map<string, NodeId>();
  const zero = new Uint8Array(HASH_BYTES);
  run((level, index) => {
    seen.set(`${level}/${index}`, { level, index });
    return zero;
  });
  return [...seen.values()];
}

export function treeRootNodeIds(size: number): NodeId[] {
  return nodesRead((get) => treeRoot(size, get));
}

export function inclusionProofNodeIds(index: number, size: number): NodeId[] {
  return nodesRead((get) => inclusionProof(index, size, get));
}

export function consistencyProofNodeIds(size1: number, size2: number): NodeId[] {
  return nodesRead((get) => consistencyProof(size1, size2, get));
}

/**
 * The left siblings that appending leaf `index` completes subtrees with: (l, (index >> l) − 1) for
 * each level l where bit l of index is set, from the bottom up until the first clear bit.
 */
export function appendNodeIds(index: number): NodeId[] {
  checkSize(index, 'leaf index');
  const ids: NodeId[] = [];
  let i = index;
  for (let level = 0; i % 2 === 1; level++, i = (i - 1) / 2) ids.push({ level, index: i - 1 });
  return ids;
}

/**
 * The complete subtrees that appending the leaf at `index` creates: the leaf itself (level 0), and
 * for each completed subtree its hash from the stored left sibling. Store all of them.
 */
export function nodesForAppend(index: number, leaf: Uint8Array, get: NodeReader): StoredNode[] {
  checkHash(leaf, 'leaf hash');
  const out: StoredNode[] = [{ level: 0, index, hash: leaf }];
  let hash = leaf;
  let i = index;
  for (let level = 0; i % 2 === 1; level++) {
    hash = hashChildren(get(level, i - 1), hash);
    i = (i - 1) / 2;
    out.push({ level: level + 1, index: i, hash });
  }
  return out;
}

/** A NodeReader over leaf hashes held in memory (computes interior nodes, memoised). */
export function memoryNodeReader(leaves: readonly Uint8Array[]): NodeReader {
  const memo = new Map<string, Uint8Array>();
  const get: NodeReader = (level, index) => {
    if (level === 0) {
      const leaf = leaves[index];
      if (leaf === undefined) throw new TrustError('BAD_PROOF', `no leaf ${index}`);
      return leaf;
    }
    const key = `${level}/${index}`;
    let h = memo.get(key);
    if (h === undefined) {
      h = hashChildren(get(level - 1, index * 2), get(level - 1, index * 2 + 1));
      memo.set(key, h);
    }
    return h;
  };
  return get;
}

/**
 * RFC 9162 §2.1.3.2: the root that `proof` leads to from `leaf` at `index` in a tree of `size`.
 * Throws TrustError('BAD_PROOF') if the proof cannot be for that position (wrong length).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize(index, 'leaf index');
  checkSize(size, 'tree size');
  checkHash(leaf, 'leaf hash');
  if (index >= size) throw new TrustError('BAD_PROOF', `leaf index ${index} is beyond tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const [i, p] of proof.entries()) {
    checkHash(p, `proof[${i}]`);
    if (sn === 0)
      throw new TrustError(
        'BAD_PROOF',
        `inclusion proof is too long for leaf ${index} of ${size} (${proof.length} hashes)`,
      );
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0)
    throw new TrustError(
      'BAD_PROOF',
      `inclusion proof is too short for leaf ${index} of ${size} (${proof.length} hashes)`,
    );
  return r;
}

/** Verifies an inclusion proof; throws TrustError('BAD_PROOF') naming what is wrong. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashesEqual(computed, root))
    throw new TrustError('BAD_PROOF', `inclusion proof for leaf ${index} of ${size} leads to another root`);
}

/**
 * RFC 9162 §2.1.4.2: checks that the tree of `size1` leaves with root `root1` is a prefix of the
 * tree of `size2` with root `root2`. Equal sizes need an empty proof and equal roots; size1 = 0 is
 * refused (as transparency-dev does: there is nothing to be consistent with — treat a first
 * checkpoint as trust on first use instead).
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size2 < size1) throw new TrustError('BAD_PROOF', `size2 (${size2}) < size1 (${size1}): a log never shrinks`);
  if (size1 === 0) throw new TrustError('BAD_PROOF', 'no consistency proof from an empty tree');
  if (size1 === size2) {
    // As transparency-dev: equal sizes compare the roots as given (whatever their length).
    if (proof.length > 0) throw new TrustError('BAD_PROOF', `size1 = size2 = ${size1} but the proof is not empty`);
    if (!hashesEqual(root1, root2))
      throw new TrustError('BAD_PROOF', `two different roots for the same tree size ${size1}`);
    return;
  }
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');
  proof.forEach((p, i) => {
    checkHash(p, `proof[${i}]`);
  });
  if (proof.length === 0) throw new TrustError('BAD_PROOF', 'empty consistency proof');
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new TrustError('BAD_PROOF', `consistency proof from ${size1} to ${size2} is too long`);
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new TrustError('BAD_PROOF', `consistency proof from ${size1} to ${size2} is too short`);
  if (!hashesEqual(fr, root1))
    throw new TrustError('BAD_PROOF', `consistency proof does not lead to the old root (size ${size1})`);
  if (!hashesEqual(sr, root2))
    throw new TrustError('BAD_PROOF', `consistency proof does not lead to the new root (size ${size2})`);
}
