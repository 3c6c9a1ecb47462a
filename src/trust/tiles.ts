import { TrustError } from './errors.js';
import { leafHash } from './hash.js';
import {
  consistencyProof,
  consistencyProofNodeIds,
  emptyRoot,
  HASH_BYTES,
  hashesEqual,
  inclusionProof,
  inclusionProofNodeIds,
  rootFromLeafHashes,
  treeRoot,
  treeRootNodeIds,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
  type NodeReader,
} from './merkle.js';
import { openCheckpoint, type Checkpoint, type NoteVerifier } from './note.js';

/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the log as static resources under a URL prefix —
 * `checkpoint`, hash tiles `tile/<L>/<N>[.p/<W>]` and entry bundles `tile/entries/<N>[.p/<W>]` —
 * and a client that follows such a log and verifies it. Pure: the client is given a `TileFetcher`
 * (STYLE.md §5), so the same code reads files, an HTTP server or a test's map.
 *
 * A tile at level L holds up to 256 consecutive Merkle Tree Hashes of subtrees of 256^L leaves, i.e.
 * the RFC 6962 nodes at tree level 8·L; the levels between are recomputed by hashing.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** An entry in an entry bundle has a big-endian uint16 length. */
export const MAX_ENTRY_BYTES = 0xffff;
const MAX_TILE_LEVEL = 63;

function bad(message: string): TrustError {
  return new TrustError('BAD_TILE', message);
}

/** `<N>` as zero-padded 3-digit path elements, all but the last prefixed with "x" (1234067 → x001/x234/067). */
export function tileIndexPath(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw bad(`tile index must be a non-negative integer, got ${String(index)}`);
  }
  const parts: string[] = [];
  let n = index;
  do {
    parts.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return parts.map((p, i) => (i < parts.length - 1 ? `x${p}` : p)).join('/');
}

const widthSuffix = (width: number): string => (width === TILE_WIDTH ? '' : `.p/${width}`);

/** The path of hash tile (level, index), `width` hashes wide (256 = full), relative to the prefix. */
export function tilePath(level: number, index: number, width: number = TILE_WIDTH): string {
  return `tile/${level}/${tileIndexPath(index)}${widthSuffix(width)}`;
}

/** The path of entry bundle `index`, `width` entries wide (256 = full), relative to the prefix. */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  return `tile/entries/${tileIndexPath(index)}${widthSuffix(width)}`;
}

export interface TileRef {
  /** A hash tile's level, or 'entries' for an entry bundle. */
  readonly level: number | 'entries';
  readonly index: number;
  /** 1–255 for a partial tile, 256 for a full one. */
  readonly width: number;
}

/** Parses the part of a tile URL after `tile/`, refusing every non-canonical spelling (undefined). */
export function parseTilePath(path: string): TileRef | undefined {
  const m = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (m === null) return undefined;
  const [, levelText, xs, last, widthText] = m as unknown as [string, string, string, string, string | undefined];
  const level = levelText === 'entries' ? 'entries' : Number(levelText);
  if (level !== 'entries' && level > MAX_TILE_LEVEL) return undefined;
  const parts = [
    ...xs
      .split('/')
      .filter((p) => p !== '')
      .map((p) => p.slice(1)),
    last,
  ];
  // No leading zero groups: index 5 is "005", never "x000/005".
  if (parts.length > 1 && parts[0] === '000') return undefined;
  if (parts.length > 6) return undefined;
  const index = parts.reduce((n, p) => n * 1000 + Number(p), 0);
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  // A partial tile is 1–255 wide (the pattern refuses 0).
  if (widthText !== undefined && width >= TILE_WIDTH) return undefined;
  return { level, index, width };
}

/** The width of tile `index` at `level` in a tree of `size` leaves: 256 if full, 1–255 if partial, 0 if none yet. */
export function tileWidth(level: number, index: number, size: number): number {
  const span = TILE_WIDTH ** level;
  const hashes = Math.floor(size / span) - index * TILE_WIDTH;
  return Math.max(0, Math.min(TILE_WIDTH, hashes));
}

/** Splits a hash tile of `width` hashes. */
export function tileHashes(bytes: Uint8Array, width: number, where: string): Uint8Array[] {
  if (bytes.length !== width * HASH_BYTES) {
    throw bad(`${where}: ${bytes.length} bytes, not ${width} hashes of ${HASH_BYTES}`);
  }
  return Array.from({ length: width }, (_, i) => bytes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
}

/** An entry bundle: each entry as a big-endian uint16 length then its bytes. */
export function formatEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let at = 0;
  entries.forEach((e, i) => {
    if (e.length > MAX_ENTRY_BYTES) {
      throw bad(`entry ${i} is ${e.length} bytes: an entry bundle carries at most ${MAX_ENTRY_BYTES}`);
    }
    out[at] = e.length >> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  });
  return out;
}

/** Parses an entry bundle, refusing a truncated one or trailing bytes. */
export function parseEntryBundle(bytes: Uint8Array, where: string): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw bad(`${where}: truncated length at byte ${at}`);
    const n = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
    if (at + 2 + n > bytes.length) throw bad(`${where}: entry ${entries.length} runs past the end`);
    entries.push(bytes.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return entries;
}

/** Fetches a resource relative to the log's prefix (`checkpoint`, `tile/…`); throws if it cannot. */
export type TileFetcher = (path: string) => Promise<Uint8Array>;

/**
 * A NodeReader for the RFC 6962 nodes `ids` of a tree of `size`, read from its hash tiles: node
 * (h, k) is the subtree hash of 2^(h − 8L) consecutive hashes of the level-L tile, L = ⌊h / 8⌋.
 * Each tile is fetched once (`cache`), at the width the tree of `size` gives it.
 */
export async function tileNodeReader(
  fetch: TileFetcher,
  size: number,
  ids: readonly NodeId[],
  cache = new Map<string, Uint8Array[]>(),
): Promise<NodeReader> {
  const nodes = new Map<string, Uint8Array>();
  for (const id of ids) {
    const level = Math.floor(id.level / TILE_HEIGHT);
    const per = 2 ** (id.level - level * TILE_HEIGHT);
    const first = id.index * per;
    const index = Math.floor(first / TILE_WIDTH);
    const width = tileWidth(level, index, size);
    const offset = first - index * TILE_WIDTH;
    if (offset + per > width) throw bad(`node (${id.level}, ${id.index}) is not complete in a tree of ${size}`);
    const path = tilePath(level, index, width);
    let hashes = cache.get(path);
    if (hashes === undefined) {
      hashes = tileHashes(await fetch(path), width, path);
      cache.set(path, hashes);
    }
    const span = hashes.slice(offset, offset + per);
    nodes.set(`${id.level}/${id.index}`, per === 1 && span[0] !== undefined ? span[0] : rootFromLeafHashes(span));
  }
  return (level, index) => {
    const h = nodes.get(`${level}/${index}`);
    if (h === undefined) throw bad(`node (${level}, ${index}) was not read`);
    return h;
  };
}

export interface FollowedLog {
  readonly checkpoint: Checkpoint;
  /** The checkpoint as served (signed note). */
  readonly note: string;
  /** Entries [from, size), each proved included in the checkpoint's tree. */
  readonly entries: readonly Uint8Array[];
}

export interface FollowOptions {
  /** The log's key and origin (the checkpoint's signature by this key must verify). */
  readonly verifier: NoteVerifier;
  /** A checkpoint this client verified before: the new one must be consistent with it. */
  readonly previous?: Checkpoint | undefined;
  /** Fetch and prove the entries from this index (default: the previous size, or 0); false: no entries. */
  readonly entriesFrom?: number | false;
}

/**
 * Follows a tlog-tiles log: fetches its checkpoint and checks the log's signature and origin;
 * recomputes the root from the hash tiles; proves the checkpoint consistent with `previous`; then
 * fetches the entry bundles from `entriesFrom` and proves every entry included (its leaf hash
 * RFC 6962-hashed from the bundle, its inclusion proof built from the tiles). Throws TrustError
 * (BAD_CHECKPOINT, BAD_TILE, BAD_PROOF) on the first thing that does not hold.
 */
export async function followLog(fetch: TileFetcher, opts: FollowOptions): Promise<FollowedLog> {
  const note = new TextDecoder('utf-8', { fatal: true }).decode(await fetch('checkpoint'));
  const { checkpoint } = openCheckpoint(note, opts.verifier);
  const size = checkpoint.size;
  const cache = new Map<string, Uint8Array[]>();
  const root =
    size === 0 ? emptyRoot() : treeRoot(size, await tileNodeReader(fetch, size, treeRootNodeIds(size), cache));
  if (!hashesEqual(root, checkpoint.root)) {
    const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
    throw bad(`the tiles give root ${b64(root)}, the checkpoint ${b64(checkpoint.root)}`);
  }
  const prev = opts.previous;
  if (prev !== undefined) {
    if (prev.origin !== checkpoint.origin) throw bad(`origin changed from "${prev.origin}" to "${checkpoint.origin}"`);
    if (prev.size > size) throw bad(`the log went back from size ${prev.size} to ${size}`);
    if (prev.size === size && !hashesEqual(prev.root, checkpoint.root)) throw bad(`fork: two roots at size ${size}`);
    if (prev.size > 0 && prev.size < size) {
      const get = await tileNodeReader(fetch, size, consistencyProofNodeIds(prev.size, size), cache);
      verifyConsistency(prev.size, size, prev.root, checkpoint.root, consistencyProof(prev.size, size, get));
    }
  }
  const entries: Uint8Array[] = [];
  const from = opts.entriesFrom ?? prev?.size ?? 0;
  if (from !== false && from < size) {
    for (let bundle = Math.floor(from / TILE_WIDTH); bundle * TILE_WIDTH < size; bundle++) {
      const width = tileWidth(0, bundle, size);
      const path = entriesPath(bundle, width);
      const got = parseEntryBundle(await fetch(path), path);
      if (got.length !== width) throw bad(`${path}: ${got.length} entries, not ${width}`);
      for (const [i, entry] of got.entries()) {
        const index = bundle * TILE_WIDTH + i;
        if (index < from) continue;
        const leaf = leafHash(entry);
        const ids = [{ level: 0, index }, ...inclusionProofNodeIds(index, size)];
        const get = await tileNodeReader(fetch, size, ids, cache);
        if (!hashesEqual(get(0, index), leaf)) {
          throw bad(`${path}: entry ${index} does not hash to the level-0 tile's leaf ${index}`);
        }
        verifyInclusion(index, size, leaf, inclusionProof(index, size, get), checkpoint.root);
        entries.push(entry);
      }
    }
  }
  return { checkpoint, note, entries };
}
