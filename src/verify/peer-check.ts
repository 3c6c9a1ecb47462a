import {
  didWebFor,
  getStatusBit,
  keyIdFor,
  leafHash,
  openCheckpoint,
  parseCanonicalJson,
  parseSignedRecord,
  parseVerifierKey,
  openStatusListCredential,
  PEER_FOLLOWED_RECORD,
  sha256Hex,
  STATUS_REVOKED_RECORD,
  TRUST_LIST_RECORD,
  TRUST_ROOT_ID,
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
 * - a `federation.peer.followed` record before it in the bundle, signed by this node's operator root
 *   key (the trust list's: `--trust-root`, else the root the bundle's first trust-list version names),
 *   pins the peer: its log key (and origin), its trust-list root and the countries whose roles this
 *   node takes from the peer's list, in force from that record on — the bundle's `peers` section must
 *   say the same as the last one, or the bundle was edited;
 * - the record's inclusion proof (leaf `peerSeq − 1`) verifies against the peer's checkpoint in the
 *   bundle, and that checkpoint is signed by the peer's log key as pinned. The auditor's own pin of it
 *   (`--peer-key`, and `--peer-trust-root` for the trust-list root) must agree with the record's;
 *   without it the summary reports the peer "unpinned": the key is then the exporting node's word,
 *   signed by its root key.
 *
 * The peer's record then takes the import's place in every later check: its signature (with its
 * party's key, or the peer's log key for a record made on a signed request), completeness of the
 * parties it needs, the trust list (the peer's versions under the peer's trust-list root, for the
 * countries this node defers to the peer), the certificates and the replay.
 */

export interface PeerPins {
  /** The operator root key the auditor pinned (--trust-root): it signs the peers' settings. */
  readonly trustRoot?: string | undefined;
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
  /** The leaf (in this log) of the root-signed `federation.peer.followed` record whose pins were in force last. */
  readonly settingsLeaf: number;
  /** Whether that root key was pinned by the auditor (--trust-root); otherwise the bundle's trust list named it. */
  readonly rootPinned: boolean;
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

/** A peer's settings as a root-signed `federation.peer.followed` record pins them. */
interface Settings {
  readonly origin: string;
  readonly logKey: string;
  readonly trustRoot: string;
  readonly countries: readonly string[];
  /** The peer's public URL (identity.url), where it publishes its status lists; absent if none is pinned. */
  readonly url?: string;
  readonly leaf: number;
}

/**
 * The root key the peers' settings must be signed by: the auditor's (--trust-root), else the one the
 * bundle's first trust-list version names, else the one the first settings record names.
 */
function settingsRoot(records: readonly SignedRecord[], pinned: string | undefined): string | undefined {
  if (pinned !== undefined) return pinned;
  const first =
    records.find((r) => r.payload.type === TRUST_LIST_RECORD) ??
    records.find((r) => r.payload.type === PEER_FOLLOWED_RECORD);
  const b = first !== undefined && isObject(first.payload.body) ? first.payload.body : {};
  const root = isObject(b.root) ? b.root.publicKey : undefined;
  return typeof root === 'string' ? root : undefined;
}

/** Checks a `federation.peer.followed` record (signed by the root key, well formed) and returns its node and pins. */
function checkSettings(r: SignedRecord, where: string, root: string | undefined, leaf: number): [string, Settings] {
  const p = r.payload;
  if (p.actor !== TRUST_ROOT_ID || p.request !== undefined || p.requestSha256 !== undefined)
    fail(`${where}: a peer's settings are made by the operator root key (${TRUST_ROOT_ID}) alone, not by ${p.actor}`);
  const b = isObject(p.body) ? p.body : {};
  const named = isObject(b.root) ? b.root.publicKey : undefined;
  if (root === undefined || named !== root)
    fail(`${where}: names root key ${String(named)}, not the trust root ${String(root)}`);
  try {
    if (r.signature.keyId !== keyIdFor(root)) fail(`${where}: signed by key ${r.signature.keyId}, not the trust root`);
    verifyRecord(r, root);
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    fail(`${where}: not signed by the trust root ${root}: ${(e as Error).message}`, e);
  }
  const id = isObject(b.identity) ? b.identity : {};
  const countries = Array.isArray(b.countries) ? (b.countries as unknown[]) : [];
  if (
    typeof id.node !== 'string' ||
    typeof id.logKey !== 'string' ||
    typeof id.trustRoot !== 'string' ||
    !countries.every((c) => typeof c === 'string')
  )
    fail(`${where}: must pin identity.node, identity.logKey, identity.trustRoot and countries`);
  let log: BundleKey;
  try {
    log = parseVerifierKey(id.logKey);
  } catch (e) {
    return fail(`${where}: identity.logKey: ${(e as Error).message}`, e);
  }
  if (id.url !== undefined && typeof id.url !== 'string') fail(`${where}: identity.url must be a URL`);
  const url = typeof id.url === 'string' ? { url: id.url } : {};
  return [id.node, { origin: log.name, logKey: log.publicKey, trustRoot: id.trustRoot, countries, ...url, leaf }];
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks every peer's settings record and every `federation.imported` entry's peer record (see above)
 * and returns the records with each import replaced by the peer record it carries. `entryLeaves[i]`
 * is record i's leaf index in this log.
 */
export function checkPeerRecords(
  bundle: AuditBundle,
  records: readonly SignedRecord[],
  entryLeaves: readonly number[],
  log: BundleKey,
  pins: PeerPins,
): PeerRecords {
  const byNode = new Map((bundle.peers ?? []).map((p) => [p.node, p]));
  const opened = new Map<string, { checkpoint: Checkpoint; check: PeerCheck }>();
  const settings = new Map<string, Settings>();
  const root = settingsRoot(records, pins.trustRoot);
  let logKeyId: string;
  try {
    logKeyId = keyIdFor(log.publicKey);
  } catch (e) {
    return fail(`log key: ${(e as Error).message}`, e);
  }
  const peerOf: (PeerTrust | undefined)[] = [];
  const effective = records.map((r, i) => {
    if (r.payload.type === PEER_FOLLOWED_RECORD) {
      const where = `entry ${i} (leaf ${String(entryLeaves[i])}, ${PEER_FOLLOWED_RECORD})`;
      const [node, s] = checkSettings(r, where, root, entryLeaves[i] ?? -1);
      const before = settings.get(node);
      if (before !== undefined && (before.logKey !== s.logKey || before.origin !== s.origin))
        fail(
          `${where}: pins another log for ${node} than the record at leaf ${before.leaf}: a peer's log is pinned once`,
        );
      settings.set(node, s);
    }
    if (r.payload.type === STATUS_REVOKED_RECORD)
      checkStatusEvidence(r, `entry ${i} (leaf ${String(entryLeaves[i])}, ${STATUS_REVOKED_RECORD})`, settings, pins);
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
    const pinned = settings.get(node);
    if (pinned === undefined)
      return fail(
        `${where}: imports a record of ${node}, but no ${PEER_FOLLOWED_RECORD} record signed by the operator root key pins ${node} before it in the bundle`,
      );
    if (pinned.origin !== origin)
      fail(`${where}: imports from origin ${origin}, but ${node} is pinned as ${pinned.origin} (leaf ${pinned.leaf})`);
    const peer = byNode.get(node);
    if (peer === undefined) return fail(`${where}: imports a record of ${node}, which the bundle's peers do not list`);
    let o = opened.get(node);
    if (o === undefined) {
      const key: BundleKey = { name: origin, publicKey: pinned.logKey };
      const keyPin = checkPeerKeyPin(node, pinned, pins);
      const rootPin = pins.peerTrustRoots?.find((k) => k.name === origin);
      if (rootPin !== undefined && rootPin.publicKey !== pinned.trustRoot)
        fail(
          `peer ${node}: --peer-trust-root pins ${rootPin.publicKey} for ${origin}, but the root-signed record at leaf ${pinned.leaf} pins ${pinned.trustRoot}`,
        );
      let checkpoint: Checkpoint;
      try {
        checkpoint = openCheckpoint(peer.checkpoint, key).checkpoint;
      } catch (e) {
        return fail(
          `peer ${node}: its checkpoint is not signed by ${keyPin === undefined ? 'the key the root-signed record pins' : 'the pinned key'} ${origin}: ${(e as Error).message}`,
          e,
        );
      }
      o = {
        checkpoint,
        check: {
          node,
          origin,
          keyPinned: keyPin !== undefined,
          trustRootPinned: rootPin !== undefined,
          checkpointSize: checkpoint.size,
          records: 0,
          settingsLeaf: pinned.leaf,
          rootPinned: pins.trustRoot !== undefined,
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
    // Judged by the countries pinned at this point of the log.
    peerOf.push({ node, logKey: pinned.logKey, trustRoot: pinned.trustRoot, countries: pinned.countries });
    return inner;
  });
  // The bundle's `peers` section restates the pins: it must say what the last root-signed record says.
  for (const [i, p] of (bundle.peers ?? []).entries()) {
    const s = settings.get(p.node);
    const where = `peers[${i}] (${p.node})`;
    if (s === undefined) fail(`${where}: no ${PEER_FOLLOWED_RECORD} record signed by the operator root key pins it`);
    if (p.log.name !== s.origin || p.log.publicKey !== s.logKey)
      fail(`${where}: its log key is not the one the root-signed record at leaf ${s.leaf} pins (${s.origin})`);
    if (p.trustRoot !== s.trustRoot)
      fail(`${where}: its trust-list root is not the one the root-signed record at leaf ${s.leaf} pins`);
    if (!same(p.countries, s.countries))
      fail(
        `${where}: its countries [${p.countries.join(', ')}] are not the ones the root-signed record at leaf ${s.leaf} pins [${s.countries.join(', ')}]`,
      );
    const o = opened.get(p.node);
    if (o !== undefined) o.check = { ...o.check, settingsLeaf: s.leaf };
  }
  return { effective, peerOf, peers: [...opened.values()].map((o) => o.check) };
}

/** The auditor's --peer-key for the peer's origin, if any, which must be the key the root-signed settings pin. */
function checkPeerKeyPin(node: string, pinned: Settings, pins: PeerPins): BundleKey | undefined {
  const keyPin = pins.peerKeys?.find((k) => k.name === pinned.origin);
  if (keyPin !== undefined && keyPin.publicKey !== pinned.logKey)
    fail(
      `peer ${node}: --peer-key pins ${keyPin.publicKey} for ${pinned.origin}, but the root-signed record at leaf ${pinned.leaf} pins ${pinned.logKey}`,
    );
  return keyPin;
}

/**
 * A `federation.status-revoked` record is this node's word that it saw a peer's certificate revoked in
 * the peer's status list; it carries the list as the peer signed it. It counts only if that evidence
 * holds without trusting this node: the peer is pinned before it by a root-signed settings record
 * (with its public URL), the list is the one the peer publishes for the issuer at that URL, it
 * verifies with the peer's pinned log key (and the auditor's --peer-key, if given, is that key), it
 * was valid at the record's server time, and the certificate's bit is set in it. Which certificate
 * that bit stands for is checked against the certificate's own credentialStatus
 * (certificates-check.ts).
 */
function checkStatusEvidence(
  r: SignedRecord,
  where: string,
  settings: ReadonlyMap<string, Settings>,
  pins: PeerPins,
): void {
  const b = isObject(r.payload.body) ? r.payload.body : {};
  const { node, origin, issuer, statusListUrl, statusIndex, statusList, fetchedAt } = b;
  if (
    typeof node !== 'string' ||
    typeof origin !== 'string' ||
    typeof issuer !== 'string' ||
    typeof statusListUrl !== 'string' ||
    typeof statusIndex !== 'number' ||
    !Number.isSafeInteger(statusIndex) ||
    statusIndex < 0 ||
    typeof statusList !== 'string' ||
    typeof fetchedAt !== 'string'
  )
    return fail(`${where}: must name node, origin, issuer, statusListUrl, statusIndex, statusList and fetchedAt`);
  const pinned = settings.get(node);
  if (pinned === undefined)
    return fail(
      `${where}: records a revocation seen in ${node}'s status list, but no ${PEER_FOLLOWED_RECORD} record signed by the operator root key pins ${node} before it in the bundle`,
    );
  if (pinned.origin !== origin)
    fail(
      `${where}: names ${node}'s origin as ${origin}, but ${node} is pinned as ${pinned.origin} (leaf ${pinned.leaf})`,
    );
  checkPeerKeyPin(node, pinned, pins);
  if (pinned.url === undefined)
    return fail(
      `${where}: the root-signed record at leaf ${pinned.leaf} pins no public URL for ${node}, so no status list of ${node}'s can be evidence`,
    );
  let base: string;
  try {
    // As the node keeps it (app/public-url.ts): the URL's normal form, without trailing slashes.
    base = new URL(pinned.url).href.replace(/\/+$/, '');
  } catch (e) {
    return fail(
      `${where}: the root-signed record at leaf ${pinned.leaf} pins ${node}'s public URL as ${JSON.stringify(pinned.url)}, which is not a URL`,
      e,
    );
  }
  const expected = `${base}/status-lists/${issuer}/revocation`;
  if (statusListUrl !== expected)
    fail(`${where}: its status list ${statusListUrl} is not ${issuer}'s list at ${node} (${expected})`);
  const at = Date.parse(r.payload.at);
  if (!(Date.parse(fetchedAt) <= at))
    fail(`${where}: says the list was fetched at ${fetchedAt}, after the record's own time ${r.payload.at}`);
  let set: boolean;
  try {
    const opened = openStatusListCredential(statusList, {
      url: statusListUrl,
      did: didWebFor(base),
      publicKey: pinned.logKey,
      at: new Date(at),
      keyName: `${node}'s log key pinned at leaf ${pinned.leaf}`,
    });
    set = getStatusBit(opened.list, statusIndex);
  } catch (e) {
    return fail(`${where}: the status list it carries as evidence is not ${node}'s: ${(e as Error).message}`, e);
  }
  if (!set)
    fail(
      `${where}: bit ${statusIndex} is not set in the status list it carries: ${node}'s list does not say the certificate is revoked`,
    );
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
