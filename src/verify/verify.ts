import {
  hashesEqual,
  keyIdFor,
  leafHash,
  openCheckpoint,
  parseCanonicalJson,
  parseSignedRecord,
  parseRequestJws,
  recordBytes,
  sha256Hex,
  PEER_FOLLOWED_RECORD,
  STATUS_REVOKED_RECORD,
  TRUST_LIST_RECORD,
  verifyInclusion,
  verifyRecord,
  verifyRequestJws,
  type Checkpoint,
  type SignedRecord,
} from '../trust/index.js';
import { DECLARED_DATE_TOLERANCE_DAYS, formatGrams } from '../domain/index.js';
import { BUNDLE_FORMAT, type AuditBundle, type BundleEntry, type BundleKey } from './bundle.js';
import { checkCompleteness, formatCompleteness, parseCompletenessFields, type Completeness } from './completeness.js';
import { VerifyError, type VerifyCode } from './errors.js';
import { KeyWindows, type KeyHolder } from './keys-check.js';
import { recheckRules, type RulesCheck } from './rules-check.js';
import { recheckTimes, type TimeCheck } from './time-check.js';
import { recheckCertificates, type CertificatesCheck } from './certificates-check.js';
import { checkTrustList, type TrustListCheck } from './trust-list-check.js';
import { checkWitnesses, type WitnessCheck } from './witness-check.js';
import { isObject } from './json.js';
import { checkPeerRecords, parsePeers, type PeerCheck, type PeerTrust } from './peer-check.js';

export interface VerifyOptions {
  /** The log's public key as the auditor knows it (base64url). Without it, the bundle's own is used and the summary says so. */
  readonly logKey?: string | undefined;
  /**
   * The log's origin (checkpoint origin and note key name) as the auditor knows it — given with the
   * key as a C2SP vkey (`--log-key <origin>+<id>+<key>`). Without it, the bundle's own is used.
   */
  readonly logOrigin?: string | undefined;
  /** The operator's trust-list root public key (base64url). Without it, the bundle's first trust-list version names it and the summary says so. */
  readonly trustRoot?: string | undefined;
  /** The witnesses to trust, with their keys: only their verified cosignatures count; any other is reported as unverified. */
  readonly witnesses?: readonly BundleKey[] | undefined;
  /** How many of `witnesses` must have cosigned the checkpoint (default: all of them). */
  readonly witnessQuorum?: number | undefined;
  /** Peer nodes' log keys the auditor trusts (name: the peer's origin), for records a federated node imported (peer-check.ts). */
  readonly peerKeys?: readonly BundleKey[] | undefined;
  /** Peer nodes' trust-list root keys the auditor trusts (name: the peer's origin). */
  readonly peerTrustRoots?: readonly BundleKey[] | undefined;
  /**
   * Told how far the verification is (0–1, rising; 1 when every check passed) and which step runs:
   * the browser's Web Worker posts it to the page's progress bar. Called at most about once per
   * percent; it cannot change the verdict.
   */
  readonly onProgress?: ((fraction: number, step: VerifyStep) => void) | undefined;
}

/** The verifier's steps, in order, as progress reports name them. */
export type VerifyStep = 'parse' | 'checkpoint' | 'inclusion' | 'signatures' | 'replay' | 'done';

/** A progress reporter that says each whole percent once, over [from, to) for `n` items. */
function progressOver(
  report: VerifyOptions['onProgress'],
): (step: VerifyStep, from: number, to: number, n: number) => (i: number) => void {
  let last = -1;
  const say = (fraction: number, step: VerifyStep) => {
    const pct = Math.floor(fraction * 100);
    if (report === undefined || pct <= last) return;
    last = pct;
    report(pct / 100, step);
  };
  return (step, from, to, n) => {
    say(from, step);
    return (i) => {
      say(from + ((to - from) * (i + 1)) / Math.max(1, n), step);
    };
  };
}

export interface LineBalance {
  readonly ref: string;
  readonly ceilingGrams: number;
  readonly drawnGrams: number;
  readonly remainingGrams: number;
}

export interface MassBalanceTotals {
  readonly received: number;
  readonly transformedIn: number;
  readonly shipped: number;
  readonly transformedOut: number;
  readonly consumed: number;
}

export interface VerifySummary {
  readonly licence: string;
  readonly logKeyPinned: boolean;
  /** Whether the log's origin was pinned too (a vkey given as --log-key). */
  readonly logOriginPinned?: boolean;
  readonly checkpoint: Checkpoint;
  /** Pinned witnesses whose cosignature verified (never a key the bundle brought). */
  readonly cosigners: readonly string[];
  /** Names on the checkpoint's other cosignature lines: not verified by a pinned key, so not witnesses. */
  readonly unverifiedCosigners: readonly string[];
  readonly witnessQuorum: number;
  readonly witnessesPinned: number;
  readonly entries: number;
  readonly recordTypes: Readonly<Record<string, number>>;
  readonly parties: number;
  readonly rulePacks: readonly string[];
  readonly decision: string | undefined;
  readonly lines: readonly LineBalance[];
  readonly shipments: number;
  readonly massBalance: MassBalanceTotals;
  /** Applications, approvals and denials re-checked against the bundle's rule packs. */
  readonly rules: RulesCheck;
  /** Declared dates and validity re-checked against each record's server time `at`. */
  readonly time: TimeCheck;
  /** Which subjects were proved complete to the heads the checkpoint commits, and what was withheld. */
  readonly completeness: Completeness;
  /** Certificate claims, undertakings and revocations re-checked (certificates-check.ts). */
  readonly certificates: CertificatesCheck;
  /** Trust-list versions verified under the root, and the decisions, countersignatures and deny/review list imports checked against them. */
  readonly trustList: TrustListCheck;
  /** Peer nodes whose records (imported by this node) the bundle shows, each proved in the peer's log. */
  readonly peers: readonly PeerCheck[];
}

const MAX_BUNDLE_CHARS = 512 * 1024 * 1024;

function fail(code: VerifyCode, message: string, cause?: unknown): never {
  throw new VerifyError(code, message, cause === undefined ? {} : { cause });
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail('MALFORMED', `${where} must be a string`);
  return v;
}

function nat(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail('MALFORMED', `${where} must be a non-negative integer`);
  return v;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) fail('MALFORMED', `${where} must be an array`);
  return v as unknown[];
}

function key(v: unknown, where: string): BundleKey {
  if (!isObject(v)) fail('MALFORMED', `${where} must be an object`);
  return { name: str(v.name, `${where}.name`), publicKey: str(v.publicKey, `${where}.publicKey`) };
}

/** Parses the bundle text, checking every field's shape before anything uses it. */
export function parseBundle(text: string): AuditBundle {
  if (text.length > MAX_BUNDLE_CHARS) fail('MALFORMED', 'bundle is too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail('MALFORMED', `bundle is not one JSON document: ${(e as Error).message}`, e);
  }
  if (!isObject(json)) fail('MALFORMED', 'bundle must be a JSON object');
  if (json.format !== BUNDLE_FORMAT) fail('MALFORMED', `bundle format must be "${BUNDLE_FORMAT}"`);
  const entries = arr(json.entries, 'entries').map((e, i): BundleEntry => {
    if (!isObject(e)) fail('MALFORMED', `entries[${i}] must be an object`);
    return {
      leafIndex: nat(e.leafIndex, `entries[${i}].leafIndex`),
      record: str(e.record, `entries[${i}].record`),
      proof: arr(e.proof, `entries[${i}].proof`).map((p, j) => str(p, `entries[${i}].proof[${j}]`)),
    };
  });
  return {
    format: BUNDLE_FORMAT,
    licence: str(json.licence, 'licence'),
    log: key(json.log, 'log'),
    checkpoint: str(json.checkpoint, 'checkpoint'),
    otherCheckpoints: arr(json.otherCheckpoints ?? [], 'otherCheckpoints').map((c, i) =>
      str(c, `otherCheckpoints[${i}]`),
    ),
    witnesses: arr(json.witnesses ?? [], 'witnesses').map((w, i) => key(w, `witnesses[${i}]`)),
    leafIndexes: arr(json.leafIndexes, 'leafIndexes').map((n, i) => nat(n, `leafIndexes[${i}]`)),
    entries,
    ...parseCompletenessFields(json),
    ...parsePeers(json),
  };
}

function b64(text: string, where: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail('MALFORMED', `${where} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) fail('MALFORMED', `${where} is not canonical base64`);
  return new Uint8Array(bytes);
}

function openCp(text: string, log: BundleKey, where: string): Checkpoint {
  try {
    return openCheckpoint(text, log).checkpoint;
  } catch (e) {
    return fail('CHECKPOINT', `${where}: ${(e as Error).message}`, e);
  }
}

/** Pure step 1: the checkpoint(s). Witness cosignatures are checked against pinned keys only (witness-check.ts). */
function checkCheckpoints(bundle: AuditBundle, log: BundleKey): { checkpoint: Checkpoint } {
  const checkpoint = openCp(bundle.checkpoint, log, 'checkpoint');
  const seen = new Map<number, Checkpoint>([[checkpoint.size, checkpoint]]);
  bundle.otherCheckpoints.forEach((text, i) => {
    const other = openCp(text, log, `otherCheckpoints[${i}]`);
    const same = seen.get(other.size);
    if (same !== undefined && !hashesEqual(same.root, other.root)) {
      fail(
        'CHECKPOINT',
        `fork: two checkpoints of size ${other.size} signed by ${log.name} with different roots (${Buffer.from(same.root).toString('base64')} and ${Buffer.from(other.root).toString('base64')})`,
      );
    }
    if (other.size > checkpoint.size)
      fail(
        'CHECKPOINT',
        `otherCheckpoints[${i}] (size ${other.size}) is newer than the checkpoint the proofs are to (size ${checkpoint.size})`,
      );
    seen.set(other.size, other);
  });
  return { checkpoint };
}

/** Pure step 2: each entry is the leaf it claims to be, in the log at the checkpoint, in order. */
function checkInclusion(
  bundle: AuditBundle,
  checkpoint: Checkpoint,
  tick: (i: number) => void = () => undefined,
): SignedRecord[] {
  if (bundle.leafIndexes.length !== bundle.entries.length) {
    const have = new Set(bundle.entries.map((e) => e.leafIndex));
    const missing = bundle.leafIndexes.find((i) => !have.has(i));
    fail(
      'INCLUSION',
      missing !== undefined
        ? `leaf ${missing} is listed in leafIndexes but its entry is missing`
        : `${bundle.entries.length} entries but ${bundle.leafIndexes.length} leafIndexes`,
    );
  }
  return bundle.entries.map((e, i) => {
    const where = `entry ${i} (leaf ${e.leafIndex})`;
    if (bundle.leafIndexes[i] !== e.leafIndex)
      fail(
        'INCLUSION',
        `${where}: leafIndexes lists leaf ${String(bundle.leafIndexes[i])} here — an entry was removed, added or moved`,
      );
    const prev = bundle.entries[i - 1];
    if (prev !== undefined && prev.leafIndex >= e.leafIndex)
      fail('INCLUSION', `${where}: entries are out of log order (after leaf ${prev.leafIndex})`);
    if (e.leafIndex >= checkpoint.size)
      fail('INCLUSION', `${where}: beyond the checkpoint's tree size ${checkpoint.size}`);
    try {
      verifyInclusion(
        e.leafIndex,
        checkpoint.size,
        leafHash(e.record),
        e.proof.map((p, j) => b64(p, `${where} proof[${j}]`)),
        checkpoint.root,
      );
    } catch (err) {
      if (err instanceof VerifyError) throw err;
      fail(
        'INCLUSION',
        `${where}: ${(err as Error).message} (is the record changed, or the proof for another tree size?)`,
        err,
      );
    }
    try {
      const record = parseSignedRecord(parseCanonicalJson(e.record));
      if (recordBytes(record) !== e.record) fail('MALFORMED', `${where}: record is not canonical`);
      tick(i);
      return record;
    } catch (err) {
      if (err instanceof VerifyError) throw err;
      return fail('MALFORMED', `${where}: ${(err as Error).message}`, err);
    }
  });
}

function body(r: SignedRecord): Record<string, unknown> {
  return isObject(r.payload.body) ? r.payload.body : {};
}

/**
 * Pure step 3: signatures, with keys from the party.registered and party.key.* records met so far in
 * log order, each valid only within its window (src/verify/keys-check.ts).
 * A record made on a party's signed API request carries the request (a compact JWS by the party's
 * key) and is signed by the log operator's key; both are checked, and no nonce serves two requests.
 */
function checkSignatures(
  records: readonly SignedRecord[],
  bundle: AuditBundle,
  ownLogKey: string,
  peerOf: readonly (PeerTrust | undefined)[] = [],
  tick: (i: number) => void = () => undefined,
): number {
  const keys = new KeyWindows();
  const nonces = new Map<string, string>();
  const keyIds = new Map<string, string>();
  const keyIdOf = (k: string): string => {
    let id = keyIds.get(k);
    if (id === undefined) {
      try {
        id = keyIdFor(k);
      } catch (e) {
        return fail('SIGNATURE', `log key ${k}: ${(e as Error).message}`, e);
      }
      keyIds.set(k, id);
    }
    return id;
  };
  keyIdOf(ownLogKey);
  // Requests verified so far, by hex SHA-256 of the attached JWS: a record that names its request
  // by hash (a capture document's later events) is covered by the earlier record that carries it.
  const requests = new Map<string, { readonly kid: string; readonly party: string; readonly iat: number }>();
  let parties = 0;
  records.forEach((r, i) => {
    tick(i);
    // Signed by the operator's trust root, not a party key: trust-list-check.ts, peer-check.ts.
    if (r.payload.type === TRUST_LIST_RECORD || r.payload.type === PEER_FOLLOWED_RECORD) return;
    // A peer's record (imported): a record made there on a signed request is signed by the peer's log key.
    const peer = peerOf[i];
    const logKey = peer?.logKey ?? ownLogKey;
    const logKeyId = keyIdOf(logKey);
    const where = `entry ${i} (leaf ${String(bundle.entries[i]?.leafIndex)}, ${r.payload.type} by ${r.payload.actor}${peer === undefined ? '' : `, imported from ${peer.node}`})`;
    const seq = (bundle.entries[i]?.leafIndex ?? -1) + 1;
    // A peer's certificate seen revoked in its status list: made and signed by this log's operator.
    if (r.payload.type === STATUS_REVOKED_RECORD && peer === undefined) {
      if (r.payload.actor !== LOG_OPERATOR || r.signature.keyId !== logKeyId)
        fail('SIGNATURE', `${where}: must be made by ${LOG_OPERATOR} and signed with the log key ${logKeyId}`);
      try {
        verifyRecord(r, logKey);
      } catch (e) {
        fail('SIGNATURE', `${where}: ${(e as Error).message}`, e);
      }
      return;
    }
    const request = r.payload.request;
    const ref = r.payload.requestSha256;
    const referred = ref === undefined ? undefined : requests.get(ref);
    if (ref !== undefined && referred === undefined)
      fail(
        'SIGNATURE',
        `${where}: made on signed request ${ref}, which no earlier record in the bundle carries (or it did not verify)`,
      );
    // The key that must have signed: the actor's own, or for a signed request the party's key on the request.
    const partyKeyId =
      request !== undefined ? requestKeyId(request, where) : referred !== undefined ? referred.kid : r.signature.keyId;
    let holder: KeyHolder | undefined;
    if (r.payload.type === 'party.registered') {
      const b = body(r);
      const k = isObject(b.key) ? b.key : {};
      const p = isObject(b.party) ? b.party : {};
      if (typeof k.publicKey !== 'string' || p.id !== r.payload.actor)
        fail('SIGNATURE', `${where}: party.registered must register the actor's own key`);
      holder = { party: r.payload.actor, publicKey: k.publicKey };
      try {
        if (keyIdFor(k.publicKey) !== partyKeyId)
          fail(
            'SIGNATURE',
            `${where}: not ${request === undefined ? 'signed' : 'requested'} with the key it registers`,
          );
      } catch (e) {
        if (e instanceof VerifyError) throw e;
        fail('SIGNATURE', `${where}: ${(e as Error).message}`, e);
      }
      keys.register(partyKeyId, holder, seq, where);
      parties++;
    } else {
      holder = keys.holderAt(
        partyKeyId,
        r.payload.actor,
        seq,
        where,
        request === undefined && referred === undefined ? 'signed' : 'requested',
      );
    }
    try {
      if (referred !== undefined) {
        if (r.signature.keyId !== logKeyId)
          fail(
            'SIGNATURE',
            `${where}: a record made on a signed request must be signed by the log key ${logKeyId}, not ${r.signature.keyId}`,
          );
        verifyRecord(r, logKey);
        if (referred.party !== r.payload.actor)
          fail('SIGNATURE', `${where}: its request was signed by ${referred.party}`);
        if (referred.iat * 1000 > Date.parse(r.payload.at) + 300_000)
          fail('SIGNATURE', `${where}: its request was signed after the record was made`);
      } else if (request === undefined) {
        verifyRecord(r, holder.publicKey);
      } else {
        if (r.signature.keyId !== logKeyId)
          fail(
            'SIGNATURE',
            `${where}: a record made on a signed request must be signed by the log key ${logKeyId}, not ${r.signature.keyId}`,
          );
        verifyRecord(r, logKey);
        const { header } = verifyRequestJws(request, holder.publicKey);
        const seen = nonces.get(header.nonce);
        if (seen !== undefined && seen !== request)
          fail('SIGNATURE', `${where}: its request reuses nonce ${header.nonce} of another request (a replay)`);
        nonces.set(header.nonce, request);
        if (header.iat * 1000 > Date.parse(r.payload.at) + 300_000)
          fail('SIGNATURE', `${where}: its request was signed after the record was made`);
        requests.set(sha256Hex(request), { kid: header.kid, party: holder.party, iat: header.iat });
      }
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      fail('SIGNATURE', `${where}: ${(e as Error).message}`, e);
    }
    keys.apply(r, seq, partyKeyId, where);
  });
  return parties;
}

function requestKeyId(request: string, where: string): string {
  try {
    return parseRequestJws(request).header.kid;
  } catch (e) {
    return fail('SIGNATURE', `${where}: ${(e as Error).message}`, e);
  }
}

interface Ledger {
  readonly licence_id: string;
  readonly kind: string;
  readonly grams: number;
}

/** Pure step 4: replay the licence's records: its decision, its balance per line, its mass balance. */
function replay(
  records: readonly SignedRecord[],
  licenceId: string,
): Pick<VerifySummary, 'decision' | 'lines' | 'shipments' | 'massBalance' | 'rulePacks'> {
  let decision: string | undefined;
  const ceilings = new Map<string, number>();
  const drawn = new Map<string, number>();
  let validFrom = '';
  let validUntil = '';
  let destination = '';
  const dispatched = new Set<string>();
  const applications = new Set<string>();
  const rulePacks: string[] = [];
  const mass = { received: 0, transformedIn: 0, shipped: 0, transformedOut: 0, consumed: 0 };
  records.forEach((r, i) => {
    const b = body(r);
    const where = `entry ${i} (${r.payload.type})`;
    switch (r.payload.type) {
      case 'rulepack.loaded':
        rulePacks.push(`${String(b.packId ?? b.id)}@${String(b.version)}`);
        break;
      case 'application.submitted':
        if (typeof b.id === 'string') applications.add(b.id);
        break;
      case 'application.decided': {
        const lic = isObject(b.licence) ? b.licence : undefined;
        if (lic?.id !== licenceId) break;
        if (typeof b.applicationId !== 'string' || !applications.has(b.applicationId))
          fail(
            'REPLAY',
            `${where}: decides application ${String(b.applicationId)}, whose submission is not in the bundle`,
          );
        if (b.decision !== 'approved')
          fail('REPLAY', `${where}: a licence is granted by a decision "${String(b.decision)}"`);
        decision = `approved by ${r.payload.actor} (application ${b.applicationId})`;
        validFrom = String(lic.validFrom);
        validUntil = String(lic.validUntil);
        destination = String(lic.destination);
        for (const line of Array.isArray(lic.lines) ? (lic.lines as unknown[]) : []) {
          if (isObject(line) && typeof line.ref === 'string' && typeof line.ceilingGrams === 'number')
            ceilings.set(line.ref, line.ceilingGrams);
        }
        break;
      }
      case 'shipment.dispatched': {
        const s = isObject(b.shipment) ? b.shipment : {};
        if (typeof s.id === 'string') dispatched.add(s.id);
        if (s.licenceId === licenceId) {
          if (decision === undefined)
            fail('REPLAY', `${where}: ships under ${licenceId} before the licence was granted`);
          const ref = String(s.lineRef);
          const ceiling = ceilings.get(ref);
          if (ceiling === undefined) fail('REPLAY', `${where}: licence ${licenceId} has no line ${ref}`);
          const day = typeof s.shippedOn === 'string' ? s.shippedOn : '';
          if (day < validFrom || day > validUntil)
            fail('REPLAY', `${where}: shipped on ${day}, outside the licence's validity ${validFrom}..${validUntil}`);
          if (s.destination !== destination)
            fail('REPLAY', `${where}: destination ${String(s.destination)} is not the licence's ${destination}`);
          const total = (drawn.get(ref) ?? 0) + (typeof s.grams === 'number' ? s.grams : 0);
          if (total > ceiling)
            fail(
              'REPLAY',
              `${where}: draws line ${ref} to ${formatGrams(total)}, over its ceiling of ${formatGrams(ceiling)}`,
            );
          drawn.set(ref, total);
        }
        break;
      }
      case 'shipment.received':
        if (typeof b.shipmentId !== 'string' || !dispatched.has(b.shipmentId))
          fail('REPLAY', `${where}: receives shipment ${String(b.shipmentId)}, whose dispatch is not in the bundle`);
        break;
      default:
        break;
    }
    for (const l of Array.isArray(b.ledger) ? (b.ledger as unknown[]) : []) {
      if (!isObject(l) || l.licence_id !== licenceId || typeof l.grams !== 'number') continue;
      const e = l as unknown as Ledger;
      if (e.kind === 'received' || e.kind === 'created') mass.received += e.grams;
      else if (e.kind === 'transformed-in') mass.transformedIn += e.grams;
      else if (e.kind === 'shipped') mass.shipped += e.grams;
      else if (e.kind === 'transformed-out') mass.transformedOut += e.grams;
      else if (e.kind === 'consumed') mass.consumed += e.grams;
    }
  });
  if (decision === undefined) fail('REPLAY', `no approval of licence ${licenceId} is in the bundle`);
  const lines = [...ceilings].map(([ref, ceilingGrams]) => ({
    ref,
    ceilingGrams,
    drawnGrams: drawn.get(ref) ?? 0,
    remainingGrams: ceilingGrams - (drawn.get(ref) ?? 0),
  }));
  return { decision, lines, shipments: [...dispatched].length, massBalance: mass, rulePacks };
}

/**
 * Verifies an audit bundle offline and returns its summary, or throws VerifyError naming the first
 * thing that fails. Order: shape → checkpoint signature(s) and forks → inclusion of every entry →
 * every signature → completeness (completeness.ts) → replay. Never throws anything but VerifyError.
 */
/** The log operator, which makes the records the log derives itself (federation.status-revoked). */
const LOG_OPERATOR = 'lodestone-log';

export function verifyBundle(text: string, opts: VerifyOptions = {}): VerifySummary {
  const step = progressOver(opts.onProgress);
  try {
    step('parse', 0, 0.05, 1);
    const bundle = parseBundle(text);
    const log: BundleKey = { name: opts.logOrigin ?? bundle.log.name, publicKey: opts.logKey ?? bundle.log.publicKey };
    step('checkpoint', 0.05, 0.1, 1);
    const { checkpoint } = checkCheckpoints(bundle, log);
    const witnesses: WitnessCheck = checkWitnesses(bundle.checkpoint, log, {
      witnesses: opts.witnesses,
      quorum: opts.witnessQuorum,
    });
    const shown = checkInclusion(bundle, checkpoint, step('inclusion', 0.1, 0.4, bundle.entries.length));
    // Each federation.imported entry's peer record, proved in the peer's log, takes the import's place.
    const {
      effective: records,
      peerOf,
      peers,
    } = checkPeerRecords(
      bundle,
      shown,
      bundle.entries.map((e) => e.leafIndex),
      log,
      { trustRoot: opts.trustRoot, peerKeys: opts.peerKeys, peerTrustRoots: opts.peerTrustRoots },
    );
    const parties = checkSignatures(
      records,
      bundle,
      log.publicKey,
      peerOf,
      step('signatures', 0.4, 0.8, records.length),
    );
    step('replay', 0.85, 1, 1);
    const completeness = checkCompleteness(bundle, checkpoint, shown, records);
    const trustList = checkTrustList(records, bundle.leafIndexes, opts.trustRoot, peerOf);
    const replayed = replay(records, bundle.licence);
    const rules = recheckRules(records);
    const time = recheckTimes(records);
    const certificates = recheckCertificates(
      records,
      bundle.entries.map((e) => e.leafIndex),
      bundle.licence,
    );
    const recordTypes: Record<string, number> = {};
    for (const r of records) recordTypes[r.payload.type] = (recordTypes[r.payload.type] ?? 0) + 1;
    const cosigners = {
      cosigners: witnesses.cosigners,
      unverifiedCosigners: witnesses.unverified,
      witnessQuorum: witnesses.quorum,
      witnessesPinned: witnesses.pinned,
    };
    step('done', 1, 1, 1);
    return {
      licence: bundle.licence,
      logKeyPinned: opts.logKey !== undefined,
      logOriginPinned: opts.logOrigin !== undefined,
      checkpoint,
      ...cosigners,
      entries: records.length,
      recordTypes,
      parties,
      ...replayed,
      rules,
      time,
      completeness,
      certificates,
      trustList,
      peers,
    };
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    throw new VerifyError('MALFORMED', `unexpected: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The one-screen summary. */
export function formatSummary(s: VerifySummary): string {
  const g = (n: number) => `${(n / 1000).toLocaleString('en-GB', { maximumFractionDigits: 3 })} kg`;
  return [
    `OK  audit bundle for licence ${s.licence}`,
    `    checkpoint  ${s.checkpoint.origin} size ${s.checkpoint.size} root ${Buffer.from(s.checkpoint.root).toString('base64')}`,
    `    log key     ${s.logKeyPinned ? `pinned by --log-key${s.logOriginPinned === true ? ` (origin ${s.checkpoint.origin})` : ''}` : 'taken from the bundle (pin it with --log-key)'}`,
    `    cosigned by ${s.cosigners.length === 0 ? '(no pinned witness)' : `${s.cosigners.join(', ')} (pinned by --witness; quorum ${s.witnessQuorum} of ${s.witnessesPinned})`}`,
    ...(s.unverifiedCosigners.length === 0
      ? []
      : [
          `    unverified  cosignatures naming ${s.unverifiedCosigners.join(', ')}: no pinned key verifies them, so they are not witnesses (pin with --witness NAME=KEY)`,
        ]),
    `    trust list  ${s.trustList.versions} version(s), root ${s.trustList.rootPinned ? 'pinned by --trust-root' : 'taken from the bundle (pin it with --trust-root)'}; ${s.trustList.decisions} decision(s)${s.trustList.listImports === 0 ? ' and' : ','} ${s.trustList.countersignatures} countersignature(s)${s.trustList.listImports === 0 ? '' : ` and ${s.trustList.listImports} deny/review list import(s)`} by parties it lists`,
    `    entries     ${s.entries} proved included and signed (${Object.entries(s.recordTypes)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')})`,
    ...s.peers.map(
      (p) =>
        `    peer ${p.node}     ${p.records} record(s) imported from ${p.origin}, each proved in its log at size ${p.checkpointSize}; pinned by the ${p.rootPinned ? 'root-signed' : 'root-signed (root taken from the bundle)'} record at leaf ${p.settingsLeaf}; its log key ${p.keyPinned ? 'also pinned by --peer-key' : "UNPINNED by the auditor: the exporting node's pin (pin it with --peer-key ORIGIN=KEY)"}; its trust-list root ${p.trustRootPinned ? 'also pinned by --peer-trust-root' : "the exporting node's pin"}`,
    ),
    formatCompleteness(s.completeness),
    `    parties     ${s.parties} keys; rule packs ${s.rulePacks.join(', ') || '(none)'}`,
    `    decision    ${s.decision ?? '-'}`,
    `    rules       ${s.rules.applications} application(s) re-classified and re-assessed; ${s.rules.approvals} approval(s) and ${s.rules.denials} denial(s) consistent with the rules`,
    `    time        ${s.time.records} record(s) re-checked at their server time (declared dates within ${DECLARED_DATE_TOLERANCE_DAYS} days before it, validity on its day)`,
    `    certificates ${s.certificates.certificates} certificate(s), ${s.certificates.revocations} revocation(s); ${s.certificates.claims} claim(s) within their certificates; ${s.certificates.restrictions} licensed restriction(s) carry the end user's undertakings`,
    ...s.lines.map(
      (l) =>
        `    line ${l.ref}     ceiling ${g(l.ceilingGrams)}, drawn ${g(l.drawnGrams)}, remaining ${g(l.remainingGrams)}`,
    ),
    `    shipments   ${s.shipments}`,
    `    mass        received ${g(s.massBalance.received)} + transformed in ${g(s.massBalance.transformedIn)} − shipped ${g(s.massBalance.shipped)} − transformed out ${g(s.massBalance.transformedOut)} − consumed ${g(s.massBalance.consumed)}`,
  ].join('\n');
}
