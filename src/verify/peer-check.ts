import {
  keyIdFor,
  leafHash,
  openCheckpoint,
  parseCanonicalJson,
  parseSignedRecord,
  sha256Hex,
  verifyInclusion,
  verifyRecord,
  type Checkpoint,
  type SignedRecord,
} from '../trust/index.js';
import type { AuditBundle, BundleKey, BundlePeer, PeerProof } from './bundle.js';
import { VerifyError } from './errors.js';
import { isObject } from './json.js';

/**
 * Federated records (issue 24 item 2; docs/federation.md). A `federation.imported` entry is this
 * node's record (signed by its log key, proved in its log like any entry) carrying one record of a
 * peer node. The peer's record counts only if:
 *
 * - the import is signed by this log's key;
 * - the record's hash is the one the import names;
 * - the record's inclusion proof (leaf `peerSeq − 1`) verifies against the peer's checkpoint in the
 *   bundle, and that checkpoint is signed by the peer's log key — the one the auditor pinned with
 *   `--peer-key` (origin and key), or else the one the exporting node pinned, reported "unpinned"
 *   (as witnesses were before issue 18 item 7: a key the bundle brings proves nothing by itself).
 *
 * The peer's record then takes the import's place in every later check: its signature (with its
 * party's key, or the peer's log key for a record made on a signed request), completeness of the
 * parties it needs, the trust list (the peer's versions under the peer's trust-list root, for the
 * countries this node defers to the peer), the certificates and the replay.
 */

export interface PeerPins {
  /** The peers' log keys the auditor trusts: `name` is the peer's origin. */
  readonly peerKeys?: readonly BundleKey[] | undefined;
  /** The peers' trust-list root keys the auditor trusts: `name` is the peer's origin. */
  readonly peerTrustRoots?: readonly BundleKey[] | undefined;
}

export interface PeerCheck {
  readonly node: string;
  readonly origin: string;
  /** Whether the auditor pinned the peer's log key (--peer-key); otherwise the exporting node's pin was used. */
  readonly keyPinned: boolean;
  /** Whether the auditor pinned the peer's trust-list root (--peer-trust-root). */
  readonly trustRootPinned: boolean;
  readonly checkpointSize: number;
  /** The peer's records in the bundle, each proved in the peer's log. */
  readonly records: number;
}

/** What the later checks need about a peer: its log key, its trust-list root and the countries it is trusted for. */
export interface PeerTrust {
  readonly node: string;
  readonly logKey: string;
  readonly trustRoot: string;
  readonly countries: readonly string[];
}

export interface PeerRecords {
  /** The bundle's records with each import replaced by the peer record it carries. */
  readonly effective: readonly SignedRecord[];
  /** For each record: the peer it comes from, or undefined for this log's own. */
  readonly peerOf: readonly (PeerTrust | undefined)[];
  readonly peers: readonly PeerCheck[];
}

export const IMPORTED_RECORD = 'federation.imported';

function fail(message: string, cause?: unknown): never {
  throw new VerifyError('PEER', message, cause === undefined ? {} : { cause });
}

function b64(text: string, where: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || bytes.toString('base64') !== text)
    throw new VerifyError('MALFORMED', `${where} is not canonical base64`);
  return new Uint8Array(bytes);
}

/** Parses the bundle's `peers` (hostile input: every field's shape is checked). */
export function parsePeers(json: Record<string, unknown>): { peers?: BundlePeer[] } {
  if (json.peers === undefined) return {};
  const bad = (where: string, what: string): never => {
    throw new VerifyError('MALFORMED', `${where} must be ${what}`);
  };
  const str = (v: unknown, where: string): string => (typeof v === 'string' ? v : bad(where, 'a string'));
  const list = (v: unknown, where: string): unknown[] => (Array.isArray(v) ? (v as unknown[]) : bad(where, 'an array'));
  const peers = list(json.peers, 'peers').map((p, i): BundlePeer => {
    const w = `peers[${i}]`;
    if (!isObject(p)) return bad(w, 'an object');
    const log = isObject(p.log) ? p.log : bad(`${w}.log`, 'an object');
    return {
      node: str(p.node, `${w}.node`),
      log: { name: str(log.name, `${w}.log.name`), publicKey: str(log.publicKey, `${w}.log.publicKey`) },
      trustRoot: str(p.trustRoot, `${w}.trustRoot`),
      countries: list(p.countries, `${w}.countries`).map((c, j) => str(c, `${w}.countries[${j}]`)),
      checkpoint: str(p.checkpoint, `${w}.checkpoint`),
      proofs: list(p.proofs, `${w}.proofs`).map((q, j): PeerProof => {
        if (!isObject(q)) return bad(`${w}.proofs[${j}]`, 'an object');
        const n = q.leafIndex;
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
          bad(`${w}.proofs[${j}].leafIndex`, 'a non-negative integer');
        return {
          leafIndex: n as number,
          proof: list(q.proof, `${w}.proofs[${j}].proof`).map((s, k) => str(s, `${w}.proofs[${j}].proof[${k}]`)),
        };
      }),
    };
  });
  const nodes = new Set<string>();
  for (const p of peers) {
    if (nodes.has(p.node)) throw new VerifyError('MALFORMED', `peers: node ${p.node} is listed twice`);
    nodes.add(p.node);
  }
  return { peers };
}

/**
 * Checks every `federation.imported` entry's peer record (see above) and returns the records with
 * each import replaced by the peer record it carries. `entryLeaves[i]` is record i's leaf index in this log.
 */
export function checkPeerRecords(
  bundle: AuditBundle,
  records: readonly SignedRecord[],
  entryLeaves: readonly number[],
  log: BundleKey,
  pins: PeerPins,
): PeerRecords {
  const byNode = new Map((bundle.peers ?? []).map((p) => [p.node, p]));
  const opened = new Map<string, { checkpoint: Checkpoint; trust: PeerTrust; check: PeerCheck }>();
  let logKeyId: string;
  try {
    logKeyId = keyIdFor(log.publicKey);
  } catch (e) {
    return fail(`log key: ${(e as Error).message}`, e);
  }
  const peerOf: (PeerTrust | undefined)[] = [];
  const effective = records.map((r, i) => {
    if (r.payload.type !== IMPORTED_RECORD) {
      peerOf.push(undefined);
      return r;
    }
    const where = `entry ${i} (leaf ${String(entryLeaves[i])}, ${IMPORTED_RECORD})`;
    try {
      if (r.signature.keyId !== logKeyId) fail(`${where}: an import is signed by the log key ${logKeyId}`);
      verifyRecord(r, log.publicKey);
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail(`${where}: not signed by the log ${log.name}: ${(e as Error).message}`, e);
    }
    const b = isObject(r.payload.body) ? r.payload.body : {};
    const { node, origin, peerSeq, recordHash, record } = b;
    if (
      typeof node !== 'string' ||
      typeof origin !== 'string' ||
      typeof peerSeq !== 'number' ||
      !Number.isSafeInteger(peerSeq) ||
      peerSeq < 1 ||
      typeof recordHash !== 'string' ||
      typeof record !== 'string'
    )
      return fail(`${where}: must name node, origin, peerSeq, recordHash and record`);
    if (sha256Hex(record) !== recordHash) fail(`${where}: its record is not the one whose hash it names`);
    const peer = byNode.get(node);
    if (peer === undefined) return fail(`${where}: imports a record of ${node}, which the bundle's peers do not list`);
    if (peer.log.name !== origin)
      fail(`${where}: imports from origin ${origin}, but the bundle's peer ${node} is ${peer.log.name}`);
    let o = opened.get(node);
    if (o === undefined) {
      const pinned = pins.peerKeys?.find((k) => k.name === origin);
      const rootPin = pins.peerTrustRoots?.find((k) => k.name === origin);
      const key: BundleKey = { name: origin, publicKey: pinned?.publicKey ?? peer.log.publicKey };
      let checkpoint: Checkpoint;
      try {
        checkpoint = openCheckpoint(peer.checkpoint, key).checkpoint;
      } catch (e) {
        return fail(
          `peer ${node}: its checkpoint is not signed by ${pinned === undefined ? 'the key the bundle gives for it' : 'the pinned key'} ${origin}: ${(e as Error).message}`,
          e,
        );
      }
      o = {
        checkpoint,
        trust: {
          node,
          logKey: key.publicKey,
          trustRoot: rootPin?.publicKey ?? peer.trustRoot,
          countries: peer.countries,
        },
        check: {
          node,
          origin,
          keyPinned: pinned !== undefined,
          trustRootPinned: rootPin !== undefined,
          checkpointSize: checkpoint.size,
          records: 0,
        },
      };
      opened.set(node, o);
    }
    const index = peerSeq - 1;
    const proof = peer.proofs.find((p) => p.leafIndex === index);
    if (proof === undefined) return fail(`${where}: no inclusion proof of ${node}'s record ${peerSeq} in the bundle`);
    if (index >= o.checkpoint.size)
      fail(`${where}: ${node}'s record ${peerSeq} is beyond its checkpoint's size ${o.checkpoint.size}`);
    try {
      verifyInclusion(
        index,
        o.checkpoint.size,
        leafHash(record),
        proof.proof.map((p, j) => b64(p, `peers (${node}) proof of leaf ${index} [${j}]`)),
        o.checkpoint.root,
      );
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail(
        `${where}: ${node}'s record ${peerSeq} is not in ${origin} at size ${o.checkpoint.size}: ${(e as Error).message}`,
        e,
      );
    }
    let inner: SignedRecord;
    try {
      inner = parseSignedRecord(parseCanonicalJson(record));
    } catch (e) {
      return fail(`${where}: its record is not a signed record: ${(e as Error).message}`, e);
    }
    o.check = { ...o.check, records: o.check.records + 1 };
    peerOf.push(o.trust);
    return inner;
  });
  return { effective, peerOf, peers: [...opened.values()].map((o) => o.check) };
}

/** Parses `ORIGIN=KEY` or a C2SP vkey (`<origin>+<id>+<key>`) given for a peer; throws an Error saying what is wrong. */
export function parsePeerPin(text: string, parseVkey: (v: string) => BundleKey): BundleKey {
  const eq = text.lastIndexOf('=');
  if (!text.includes('+') || (eq > 0 && /^[A-Za-z0-9_-]{43}$/.test(text.slice(eq + 1)))) {
    const name = eq < 0 ? '' : text.slice(0, eq);
    const publicKey = eq < 0 ? '' : text.slice(eq + 1);
    if (!/^[^\s+=]+$/.test(name) || !/^[A-Za-z0-9_-]{43}$/.test(publicKey))
      throw new Error(
        `must be ORIGIN=KEY (the peer's log origin, and its raw Ed25519 public key in base64url, 43 characters) or the peer's vkey, got ${JSON.stringify(text)}`,
      );
    return { name, publicKey };
  }
  return parseVkey(text);
}
