import {
  keyIdFor,
  recordBytes,
  sha256Hex,
  TRUST_LIST_RECORD,
  TRUST_ROOT_ID,
  verifyRecord,
  type SignedRecord,
} from '../trust/index.js';
import { VerifyError } from './errors.js';
import { isObject } from './json.js';
import type { PeerTrust } from './peer-check.js';

/**
 * Roles come from the trust list (issue 18 item 8). Every `trustlist.published` record in the
 * bundle must be signed by the operator's root key — the one the auditor pins with `--trust-root`,
 * or else the one the bundle's first version names (the summary says so) — and the versions must
 * chain from version 1, each naming the previous record's SHA-256. Then every decision on an
 * application and every countersignature of a certificate is checked against the version in force
 * at that point of the log: the decider listed as licensing authority for the export's country
 * (the applicant's), and none of the application's own parties; the countersigner listed for the
 * importer's country; every import of a restricted-party list with effect deny or review, the
 * importing party listed as licensing authority for the list's regime (its country).
 *
 * A peer node's records (federation: imported, peer-check.ts) are judged by the peer's own trust list:
 * its versions (imported too) chain under the peer's trust-list root, and a countersignature made on
 * the peer counts only for a country this node takes from the peer's list.
 */

export interface TrustListCheck {
  /** Whether the root key was pinned by the auditor (otherwise it was taken from the bundle). */
  readonly rootPinned: boolean;
  /** The root key the versions verified under (base64url), if the bundle holds any version. */
  readonly rootKey: string | undefined;
  /** Versions of the trust list in the bundle (all of them, 1..n). */
  readonly versions: number;
  readonly decisions: number;
  readonly countersignatures: number;
  /** Imports of a list with effect deny or review, each by a licensing authority for its regime. */
  readonly listImports: number;
}

interface Entry {
  readonly party: string;
  readonly role: string;
  readonly country: string;
}

interface InForce {
  readonly version: number;
  readonly hash: string;
  readonly entries: readonly Entry[];
}

function fail(message: string): never {
  throw new VerifyError('TRUST_LIST', message);
}

function bodyOf(r: SignedRecord): Record<string, unknown> {
  return isObject(r.payload.body) ? r.payload.body : {};
}

function entriesOf(v: unknown, where: string): Entry[] {
  if (!Array.isArray(v)) fail(`${where}: entries must be an array`);
  return (v as unknown[]).map((e, i) => {
    if (!isObject(e) || typeof e.party !== 'string' || typeof e.role !== 'string' || typeof e.country !== 'string')
      fail(`${where}: entries[${i}] must have party, role and country`);
    return { party: e.party, role: e.role, country: e.country };
  });
}

/** The importer a certificate.issued record's credential names (inside its JWS payload). */
function certificateOf(body: Record<string, unknown>): { id: string; importer: string } | undefined {
  const jws = isObject(body.jws) ? body.jws : undefined;
  if (jws === undefined || typeof jws.payload !== 'string') return undefined;
  try {
    const c = JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as unknown;
    const subject = isObject(c) && isObject(c.credentialSubject) ? c.credentialSubject : undefined;
    return isObject(c) && typeof c.id === 'string' && typeof subject?.importer === 'string'
      ? { id: c.id, importer: subject.importer }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one trust-list version's signature and its place in the chain; returns it as in force. */
function checkVersion(r: SignedRecord, where: string, root: string, prev: InForce | undefined): InForce {
  const b = bodyOf(r);
  const rk = isObject(b.root) ? b.root : {};
  if (r.payload.actor !== TRUST_ROOT_ID)
    fail(`${where}: a trust list is published by ${TRUST_ROOT_ID}, not by ${r.payload.actor}`);
  if (r.payload.request !== undefined || r.payload.requestSha256 !== undefined)
    fail(`${where}: a trust list is never made on a party's API request`);
  if (rk.publicKey !== root) fail(`${where}: names root key ${String(rk.publicKey)}, not the trust root ${root}`);
  let rootKeyId: string;
  try {
    rootKeyId = keyIdFor(root);
    verifyRecord(r, root);
  } catch (e) {
    return fail(`${where}: not signed by the trust root ${root}: ${(e as Error).message}`);
  }
  if (r.signature.keyId !== rootKeyId || rk.keyId !== rootKeyId)
    fail(`${where}: signed by key ${r.signature.keyId}, not the trust root ${rootKeyId}`);
  const version = b.version;
  const expected = (prev?.version ?? 0) + 1;
  if (version !== expected)
    fail(
      `${where}: trust list version ${String(version)} where version ${expected} was due — a version is missing from the bundle or out of order`,
    );
  if (b.previous !== (prev?.hash ?? null))
    fail(`${where}: trust list version ${expected} names previous ${String(b.previous)}, not ${prev?.hash ?? 'null'}`);
  return { version: expected, hash: sha256Hex(recordBytes(r)), entries: entriesOf(b.entries, where) };
}

/**
 * The record names the trust-list version the node judged it by (version and record hash): it must be
 * the one in force at its place in the bundle. (That the bundle holds every later version too — none
 * left out after the last one it carries — is for the log's completeness commitment to prove.)
 */
function judgedBy(b: Record<string, unknown>, inForce: InForce | undefined, where: string): void {
  const ref = isObject(b.trustList) ? b.trustList : undefined;
  if (ref === undefined) fail(`${where}: does not name the trust-list version it was judged by`);
  if (inForce === undefined || ref.version !== inForce.version || ref.recordHash !== inForce.hash) {
    fail(
      `${where}: was judged by trust list version ${String(ref.version)} (${String(ref.recordHash)}), but the version in force at this point of the bundle is ${inForce === undefined ? 'none' : `${inForce.version} (${inForce.hash})`} — a trust-list version is missing from the bundle`,
    );
  }
}

function listed(list: InForce | undefined, party: string, role: string, country: string): boolean {
  return list?.entries.some((e) => e.party === party && e.role === role && e.country === country) === true;
}

/**
 * Pure step: the trust list and the roles it grants, in log order. `trustRoot` is the auditor's
 * pinned root public key (base64url); without it the first version's own root is used.
 */
export function checkTrustList(
  records: readonly SignedRecord[],
  leafIndexes: readonly number[],
  trustRoot?: string,
  peerOf: readonly (PeerTrust | undefined)[] = [],
): TrustListCheck {
  const peerLists = new Map<string, InForce | undefined>();
  const countries = new Map<string, string>();
  const applications = new Map<string, Record<string, unknown>>();
  const importers = new Map<string, string>();
  let root = trustRoot;
  let inForce: InForce | undefined;
  let decisions = 0;
  let countersignatures = 0;
  let listImports = 0;
  records.forEach((r, i) => {
    const peer = peerOf[i];
    const where = `entry ${i} (leaf ${String(leafIndexes[i])}, ${r.payload.type} by ${r.payload.actor}${peer === undefined ? '' : `, imported from ${peer.node}`})`;
    const b = bodyOf(r);
    if (peer !== undefined) {
      peerRecord(r, b, peer, where);
      return;
    }
    switch (r.payload.type) {
      case 'party.registered': {
        const p = isObject(b.party) ? b.party : {};
        if (typeof p.id === 'string' && typeof p.country === 'string') countries.set(p.id, p.country);
        break;
      }
      case TRUST_LIST_RECORD: {
        const rk = isObject(b.root) ? b.root : {};
        if (root === undefined) {
          if (typeof rk.publicKey !== 'string') fail(`${where}: names no root key`);
          root = rk.publicKey;
        }
        inForce = checkVersion(r, where, root, inForce);
        break;
      }
      case 'application.submitted':
        if (typeof b.id === 'string' && isObject(b.application)) applications.set(b.id, b.application);
        break;
      case 'certificate.issued': {
        const c = certificateOf(b);
        if (c !== undefined) importers.set(c.id, c.importer);
        break;
      }
      case 'application.decided': {
        const a = typeof b.applicationId === 'string' ? applications.get(b.applicationId) : undefined;
        if (a === undefined)
          fail(`${where}: decides application ${String(b.applicationId)}, whose submission is not in the bundle`);
        const decider = r.payload.actor;
        if (a.authority !== decider)
          fail(
            `${where}: application ${String(b.applicationId)} was made to ${String(a.authority)}, not to ${decider}`,
          );
        for (const role of ['applicant', 'importer', 'consignee', 'endUser'] as const) {
          if (a[role] === decider)
            fail(`${where}: ${decider} is the application's ${role}: a party never decides its own application`);
        }
        const from = typeof a.applicant === 'string' ? countries.get(a.applicant) : undefined;
        if (from === undefined) fail(`${where}: the applicant ${String(a.applicant)} is not registered in the bundle`);
        if (!listed(inForce, decider, 'licensing-authority', from)) {
          fail(
            `${where}: ${decider} is not listed as licensing authority for exports from ${from} in the trust list in force (${inForce === undefined ? 'none' : `version ${inForce.version}`})`,
          );
        }
        judgedBy(b, inForce, where);
        decisions++;
        break;
      }
      case 'list.imported': {
        // A list's legal effect is an authority's decision: deny and review only from a party listed
        // as licensing authority for the regime (the record's country) in the version in force.
        const effect = typeof b.effect === 'string' ? b.effect : 'information';
        if (effect === 'information') break;
        const country = b.country;
        if (typeof country !== 'string')
          fail(`${where}: imports list ${String(b.list)} with effect ${effect} but names no regime (country)`);
        if (!listed(inForce, r.payload.actor, 'licensing-authority', country)) {
          fail(
            `${where}: ${r.payload.actor} imported list ${String(b.list)} with effect ${effect}, but is not listed as licensing authority for exports from ${country} in the trust list in force (${inForce === undefined ? 'none' : `version ${inForce.version}`})`,
          );
        }
        judgedBy(b, inForce, where);
        listImports++;
        break;
      }
      case 'certificate.countersigned': {
        const importer = typeof b.certificateId === 'string' ? importers.get(b.certificateId) : undefined;
        if (importer === undefined)
          fail(`${where}: countersigns certificate ${String(b.certificateId)}, whose issue is not in the bundle`);
        const country = countries.get(importer);
        if (country === undefined) fail(`${where}: the importer ${importer} is not registered in the bundle`);
        if (!listed(inForce, r.payload.actor, 'countersigner', country)) {
          fail(
            `${where}: ${r.payload.actor} is not listed as countersigner for ${country} in the trust list in force (${inForce === undefined ? 'none' : `version ${inForce.version}`})`,
          );
        }
        judgedBy(b, inForce, where);
        countersignatures++;
        break;
      }
      default:
        break;
    }
  });
  /** A peer's record: its trust-list versions, and its countersignatures judged by them. */
  function peerRecord(r: SignedRecord, b: Record<string, unknown>, peer: PeerTrust, where: string): void {
    switch (r.payload.type) {
      case 'party.registered': {
        const p = isObject(b.party) ? b.party : {};
        if (typeof p.id === 'string' && typeof p.country === 'string') countries.set(p.id, p.country);
        return;
      }
      case TRUST_LIST_RECORD:
        peerLists.set(peer.node, checkVersion(r, where, peer.trustRoot, peerLists.get(peer.node)));
        return;
      case 'certificate.issued': {
        const c = certificateOf(b);
        if (c !== undefined) importers.set(c.id, c.importer);
        return;
      }
      case 'certificate.countersigned': {
        const list = peerLists.get(peer.node);
        const importer = typeof b.certificateId === 'string' ? importers.get(b.certificateId) : undefined;
        if (importer === undefined)
          fail(`${where}: countersigns certificate ${String(b.certificateId)}, whose issue is not in the bundle`);
        const country = countries.get(importer);
        if (country === undefined) fail(`${where}: the importer ${importer} is not registered in the bundle`);
        if (!peer.countries.includes(country))
          fail(`${where}: this node takes no roles for ${country} from ${peer.node}'s trust list`);
        if (!listed(list, r.payload.actor, 'countersigner', country))
          fail(
            `${where}: ${r.payload.actor} is not listed as countersigner for ${country} in ${peer.node}'s trust list in force (${list === undefined ? 'none' : `version ${list.version}`})`,
          );
        judgedBy(b, list, where);
        countersignatures++;
        return;
      }
      case 'application.decided':
        return fail(`${where}: a peer's decision is never imported`);
      default:
        return;
    }
  }
  return {
    rootPinned: trustRoot !== undefined,
    rootKey: root,
    versions: inForce?.version ?? 0,
    decisions,
    countersignatures,
    listImports,
  };
}
