import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import { TrustError } from './errors.js';
import { sha256 } from './hash.js';

/**
 * The subject map: a sparse Merkle tree over 256-bit keys (SHA-256 of a subject such as
 * "licence:LIC-1") whose value is the hash of the subject's head — the seq and leaf hash of the
 * newest journal entry that concerns it. Its root goes into every checkpoint (an extension line,
 * see `SUBJECTS_EXTENSION`), so the log commits to each subject's last entry and an audit bundle
 * cannot leave the last one out.
 *
 * The shape is the compressed binary sparse Merkle tree of Diem's Jellyfish Merkle Tree
 * (Gao et al., "Jellyfish Merkle Tree", 2021; diem `types/src/proof/mod.rs` SparseMerkleProof)
 * — the same idea as Trillian's verifiable map and transparency-dev's verifiable index, with
 * shortcut leaves so a proof has about log2(n) siblings, not 256:
 *
 * - an empty subtree hashes to 32 zero bytes (`MAP_EMPTY`);
 * - a subtree holding exactly one key is that key's leaf, wherever it sits:
 *   SHA-256(0x02 || key || value);
 * - any other subtree is SHA-256(0x03 || left || right).
 *
 * The prefixes 0x02 / 0x03 keep map hashes apart from RFC 6962 log hashes (0x00 / 0x01). Key bits
 * are read most significant first; bit d chooses the child at depth d (0 left, 1 right).
 */
export const MAP_EMPTY: Uint8Array = new Uint8Array(32);
export const MAP_LEAF_PREFIX = 0x02;
export const MAP_NODE_PREFIX = 0x03;
const KEY_BITS = 256;

export function mapLeafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(MAP_LEAF_PREFIX)).update(key).update(value).digest());
}

export function mapNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(Uint8Array.of(MAP_NODE_PREFIX)).update(left).update(right).digest(),
  );
}

/** The map key of a subject: SHA-256 of its UTF-8 bytes. */
export function subjectKey(subject: string): Uint8Array {
  return sha256(subject);
}

/** A subject's head: the seq and (hex) leaf hash of the newest entry that concerns it. */
export interface SubjectHead {
  readonly seq: number;
  readonly leafHash: string;
}

/** The map value of a subject's head: SHA-256 of the canonical JSON array [subject, seq, leafHash]. */
export function subjectValue(subject: string, head: SubjectHead): Uint8Array {
  return sha256(canonicalJson([subject, head.seq, head.leafHash]));
}

/** Bit `depth` of `key` as '0' or '1' (most significant bit of byte 0 first). */
export function keyBit(key: Uint8Array, depth: number): '0' | '1' {
  return (((key[depth >> 3] ?? 0) >> (7 - (depth & 7))) & 1) === 1 ? '1' : '0';
}

/** The path of a node: the key bits from the root down to it ('' is the root). */
export function keyPath(key: Uint8Array, depth: number): string {
  let s = '';
  for (let d = 0; d < depth; d++) s += keyBit(key, d);
  return s;
}

/** A stored node: its hash and, if its subtree holds one key, that key and value. */
export interface MapNode {
  readonly hash: Uint8Array;
  readonly leaf?: { readonly key: Uint8Array; readonly value: Uint8Array };
}

/**
 * The paths an update or a proof of `key` may read: every prefix of the key and each prefix's
 * sibling. Fetch them (those that exist) before calling `mapSet` or `mapProve`.
 */
export function mapPathsFor(key: Uint8Array): string[] {
  const out = [''];
  let path = '';
  for (let d = 0; d < KEY_BITS; d++) {
    const b = keyBit(key, d);
    out.push(path + (b === '0' ? '1' : '0'));
    path += b;
    out.push(path);
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Sets `key` to `value` in `nodes` (a path → node map holding at least the paths `mapPathsFor(key)`
 * names that exist), recomputing the hashes up to the root; every path written is added to
 * `changed`. Keys are never removed.
 */
export function mapSet(nodes: Map<string, MapNode>, key: Uint8Array, value: Uint8Array, changed: Set<string>): void {
  if (key.length !== 32 || value.length !== 32) throw new TrustError('BAD_PROOF', 'map keys and values are 32 bytes');
  const put = (path: string, node: MapNode) => {
    nodes.set(path, node);
    changed.add(path);
  };
  const set = (path: string): void => {
    const depth = path.length;
    const node = nodes.get(path);
    if (node === undefined || (node.leaf !== undefined && sameBytes(node.leaf.key, key))) {
      put(path, { hash: mapLeafHash(key, value), leaf: { key, value } });
      return;
    }
    if (node.leaf !== undefined) {
      if (depth >= KEY_BITS) throw new TrustError('BAD_PROOF', 'two different map keys share all 256 bits');
      // The subtree now holds two keys: the old leaf moves one level down (nothing is stored below a leaf).
      put(path + keyBit(node.leaf.key, depth), node);
    }
    set(path + keyBit(key, depth));
    put(path, {
      hash: mapNodeHash(nodes.get(`${path}0`)?.hash ?? MAP_EMPTY, nodes.get(`${path}1`)?.hash ?? MAP_EMPTY),
    });
  };
  set('');
}

/** The root of the map held in `nodes`. */
export function mapRoot(nodes: ReadonlyMap<string, MapNode>): Uint8Array {
  return nodes.get('')?.hash ?? MAP_EMPTY;
}

/** The root of the map of these (key, value) pairs, computed from scratch (for checks and tests). */
export function mapRootOf(entries: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array {
  const root = (list: readonly (readonly [Uint8Array, Uint8Array])[], depth: number): Uint8Array => {
    if (list.length === 0) return MAP_EMPTY;
    const [only] = list;
    if (list.length === 1 && only !== undefined) return mapLeafHash(only[0], only[1]);
    if (depth >= KEY_BITS) throw new TrustError('BAD_PROOF', 'a map key appears twice');
    return mapNodeHash(
      root(
        list.filter(([k]) => keyBit(k, depth) === '0'),
        depth + 1,
      ),
      root(
        list.filter(([k]) => keyBit(k, depth) === '1'),
        depth + 1,
      ),
    );
  };
  return root(entries, 0);
}

/**
 * A proof of a key's value (or of its absence) in the map: the siblings from the root down, and
 * the leaf the walk ends at (none if it ends at an empty subtree). As JSON: base64 strings.
 */
export interface MapProof {
  readonly siblings: readonly string[];
  readonly leaf?: { readonly key: string; readonly value: string };
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

/** The proof for `key` from `nodes` (which must hold the paths `mapPathsFor(key)` names that exist). */
export function mapProve(nodes: ReadonlyMap<string, MapNode>, key: Uint8Array): MapProof {
  const siblings: string[] = [];
  let path = '';
  for (;;) {
    const node = nodes.get(path);
    if (node === undefined) return { siblings };
    if (node.leaf !== undefined) return { siblings, leaf: { key: b64(node.leaf.key), value: b64(node.leaf.value) } };
    const b = keyBit(key, path.length);
    siblings.push(b64(nodes.get(path + (b === '0' ? '1' : '0'))?.hash ?? MAP_EMPTY));
    path += b;
  }
}

function hash32(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(text))
    throw new TrustError('BAD_PROOF', `${what} is not 32 bytes of base64`);
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  if (b64(bytes) !== text) throw new TrustError('BAD_PROOF', `${what} is not canonical base64`);
  return bytes;
}

/**
 * Verifies a map proof for `key` against `root` (hostile input). Returns the key's value, or
 * undefined when the proof shows the key is absent. Throws TrustError('BAD_PROOF') otherwise.
 */
export function verifyMapProof(root: Uint8Array, key: Uint8Array, proof: unknown): Uint8Array | undefined {
  if (typeof proof !== 'object' || proof === null) throw new TrustError('BAD_PROOF', 'map proof must be an object');
  const p = proof as { siblings?: unknown; leaf?: unknown };
  if (!Array.isArray(p.siblings) || p.siblings.length > KEY_BITS)
    throw new TrustError('BAD_PROOF', `map proof siblings must be an array of at most ${KEY_BITS} hashes`);
  const siblings = (p.siblings as unknown[]).map((s, i) => hash32(s, `map proof sibling ${i}`));
  let h: Uint8Array = MAP_EMPTY;
  let value: Uint8Array | undefined;
  if (p.leaf !== undefined) {
    if (typeof p.leaf !== 'object' || p.leaf === null)
      throw new TrustError('BAD_PROOF', 'map proof leaf must be an object');
    const l = p.leaf as { key?: unknown; value?: unknown };
    const leafKey = hash32(l.key, 'map proof leaf key');
    const leafValue = hash32(l.value, 'map proof leaf value');
    if (sameBytes(leafKey, key)) value = leafValue;
    else if (keyPath(leafKey, siblings.length) !== keyPath(key, siblings.length))
      throw new TrustError('BAD_PROOF', "map proof ends at a leaf off the key's path");
    h = mapLeafHash(leafKey, leafValue);
  }
  for (let d = siblings.length - 1; d >= 0; d--) {
    const s = siblings[d] ?? MAP_EMPTY;
    h = keyBit(key, d) === '0' ? mapNodeHash(h, s) : mapNodeHash(s, h);
  }
  if (!sameBytes(h, root)) throw new TrustError('BAD_PROOF', 'map proof does not lead to the committed root');
  return value;
}

/**
 * The checkpoint extension line that commits the subject map (C2SP tlog-checkpoint allows
 * extension lines after the root; witnesses cosign the whole note but make no statement about
 * what an extension line means):
 *
 *   "lodestone-subjects/v1 <since> <base64 map root>"
 *
 * `since` is the log size from which every entry that concerns a subject carries its links
 * (entries before it were written before subject links existed).
 */
export const SUBJECTS_EXTENSION = 'lodestone-subjects/v1';

export interface SubjectsCommitment {
  readonly since: number;
  readonly root: Uint8Array;
}

export function formatSubjectsExtension(c: SubjectsCommitment): string {
  return `${SUBJECTS_EXTENSION} ${c.since} ${b64(c.root)}`;
}

/** The subject map commitment among a checkpoint's extension lines, if any. */
export function parseSubjectsExtension(extensions: readonly string[]): SubjectsCommitment | undefined {
  const line = extensions.find((l) => l.startsWith(`${SUBJECTS_EXTENSION} `));
  if (line === undefined) return undefined;
  const parts = line.split(' ');
  if (parts.length !== 3 || !/^(0|[1-9][0-9]{0,15})$/.test(parts[1] ?? ''))
    throw new TrustError('BAD_CHECKPOINT', `malformed ${SUBJECTS_EXTENSION} extension line`);
  return { since: Number(parts[1]), root: hash32(parts[2], `${SUBJECTS_EXTENSION} root`) };
}
