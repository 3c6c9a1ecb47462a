import { TrustError } from './errors.js';

/**
 * Which subjects a journal record concerns, derived from its type and body alone — so the log
 * writer and an offline verifier compute the same set, and a record whose declared links do not
 * match it is refused.
 *
 * - `licence:<id>` — every record that concerns a licence: its decision, shipments under it, and
 *   every custody record (lot, shipment, receipt, transformation, consumption) of material that
 *   carries its restriction or moves its ledger; alerts raised and reports filed about it.
 * - `application:<id>` — an application's submission and its decision (which names the licence,
 *   so an auditor of the licence reaches the application's chain from it).
 * - `alert:<id>` — an alert's raising (which names its licence), its resolution or dismissal, and
 *   its assignments.
 * - `certificate:<id>` — an end-user certificate's issue, countersignature and revocation.
 * - `party:<id>` — a party's keys: its registration, every rotation and revocation of its signing
 *   key. A bundle covers the party chain of every party whose key (or registration) checking it
 *   needs, so that leaving out a revocation cannot make a revoked key look valid.
 * - `trustlist:roles` — every version of the trust list of roles (`trustlist.published`): a bundle
 *   that relies on a decision covers it, so no version can be left out, the last included.
 *
 * A `federation.imported` record (issue 24) concerns what the peer's record it carries concerns: this
 * node's subject map commits, for a peer's party or certificate, the chain of what it imported about it,
 * so an audit bundle cannot leave a peer's registration, key change, countersignature or revocation out.
 *
 * - `peer:<node>` — every root-signed setting of a federation peer (`federation.peer.followed`: the
 *   keys this node pins for the peer and the countries it takes roles for from the peer's trust list):
 *   a bundle that shows records imported from the peer covers it, so no setting can be left out.
 *
 * - `federation.status-revoked` — a peer's certificate seen revoked in the peer's published status list
 *   concerns `certificate:<id>` and `licence:<id>` of each licence it suspended (its `licences`), so the
 *   audit bundle of such a licence carries the evidence before the peer's own revocation arrives. One
 *   written before it named them (no `licences` field) concerns none, as it was linked then.
 *
 * Every other record type (rule packs, red-flag sets, list imports, classifications,
 * EPCIS capture records — whose custody effect is the custody record they were mapped onto) has
 * no subject. Unknown types have none: the function is total, so new record types default to
 * "no subject" until they are given one here.
 */
export function subjectsOf(type: string, body: unknown): string[] {
  const out = new Set<string>();
  const b = obj(body);
  const licence = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0) out.add(`licence:${v}`);
  };
  const restrictions = (v: unknown) => {
    for (const r of list(v)) licence(obj(r).licenceId);
  };
  const ledger = (v: unknown) => {
    for (const l of list(v)) licence(obj(l).licence_id);
  };
  const add = (prefix: string, v: unknown) => {
    if (typeof v === 'string' && v.length > 0) out.add(`${prefix}:${v}`);
  };
  switch (type) {
    case 'application.submitted':
      add('application', b.id);
      break;
    case 'application.decided':
      add('application', b.applicationId);
      licence(obj(b.licence).id);
      break;
    case 'lot.created':
      restrictions(obj(b.lot).restrictions);
      break;
    case 'shipment.dispatched':
      licence(obj(b.shipment).licenceId);
      restrictions(b.restrictions);
      restrictions(obj(b.from).restrictions);
      ledger(b.ledger);
      break;
    case 'shipment.received':
      restrictions(obj(b.lot).restrictions);
      ledger(b.ledger);
      break;
    case 'lot.transformed':
      for (const i of list(b.inputs)) restrictions(obj(i).restrictions);
      for (const o of list(b.outputs)) restrictions(obj(o).restrictions);
      ledger(b.ledger);
      break;
    case 'lot.consumed':
      restrictions(obj(b.after).restrictions);
      ledger(b.ledger);
      break;
    case 'alert.raised':
      add('alert', b.id);
      licence(b.licenceId);
      break;
    case 'alert.resolved':
    case 'alert.dismissed':
    case 'alert.assigned':
      add('alert', b.alertId);
      break;
    case 'report.filed':
      licence(b.licenceId);
      break;
    case 'certificate.issued':
      add('certificate', certificateIdOf(b.jws));
      break;
    case 'certificate.countersigned':
    case 'certificate.revoked':
      add('certificate', b.certificateId);
      break;
    case 'party.registered':
      add('party', obj(b.party).id);
      break;
    case 'party.key.rotated':
    case 'party.key.revoked':
      add('party', b.party);
      break;
    case 'trustlist.published':
      out.add(TRUST_LIST_SUBJECT);
      break;
    case 'federation.imported':
      for (const s of importedSubjects(b.record)) out.add(s);
      break;
    case PEER_FOLLOWED_RECORD:
      add('peer', obj(b.identity).node);
      break;
    case STATUS_REVOKED_RECORD:
      // Written before it named the licences it suspended (no \`licences\`): no subject, as it was linked.
      if (Array.isArray(b.licences)) {
        add('certificate', b.certificateId);
        for (const l of b.licences) licence(l);
      }
      break;
    default:
      break;
  }
  return [...out].sort();
}

/**
 * The subjects a record brings into the audit of a licence it concerns: an application decided
 * into the licence, the certificate the licence relies on, an alert raised about it. Their chains
 * are then proved complete too. (Other licences a record names are not brought in: their records
 * are not the auditor's business.)
 */
export function scopeOf(type: string, body: unknown, licenceId: string): string[] {
  const b = obj(body);
  switch (type) {
    case 'application.decided': {
      const l = obj(b.licence);
      if (l.id !== licenceId) return [];
      const out: string[] = [];
      if (typeof b.applicationId === 'string') out.push(`application:${b.applicationId}`);
      if (typeof l.certificateId === 'string' && l.certificateId.length > 0) out.push(`certificate:${l.certificateId}`);
      // The decision (and the countersignature of its certificate) was judged by the trust list in force.
      out.push(TRUST_LIST_SUBJECT);
      return out;
    }
    case 'alert.raised':
      return b.licenceId === licenceId && typeof b.id === 'string' ? [`alert:${b.id}`] : [];
    default:
      return [];
  }
}

/** The one subject of the trust list of roles: every `trustlist.published` version is on its chain. */
export const TRUST_LIST_SUBJECT = 'trustlist:roles';

/**
 * The actor of every trust-list record and the keystore id of the operator's root key, which signs the trust
 * list; it is no party (a reserved id: no party may register it). The one definition, for the app and the verifier.
 */
export const TRUST_ROOT_ID = 'operator-root';
/** The type of the record that publishes a version of the trust list. */
export const TRUST_LIST_RECORD = 'trustlist.published';
/** The type of the record of a peer's certificate seen revoked in the peer's signed status list (src/app/status-fetch.ts). */
export const STATUS_REVOKED_RECORD = 'federation.status-revoked';
/** The type of the root-signed record that says which keys a federation peer is pinned by, and for which countries it is trusted. */
export const PEER_FOLLOWED_RECORD = 'federation.peer.followed';

/**
 * The parties whose registration (and key history) checking a record needs: its actor (the signer,
 * or the party whose signed request it carries) and, for an application, its applicant, authority
 * and screened parties. The operator's root key, which signs trust lists, is no party; nor is the log
 * operator, which makes `federation.status-revoked`.
 */
export function partiesNeeded(type: string, actor: string, body: unknown): string[] {
  // The root key and the log operator (a status-revoked record, signed with the log key) are no parties.
  const out = actor === TRUST_ROOT_ID || type === STATUS_REVOKED_RECORD ? [] : [actor];
  if (type === 'application.submitted') {
    const b = obj(body);
    const a = obj(b.application);
    for (const p of [a.applicant, a.authority]) if (typeof p === 'string') out.push(p);
    for (const s of list(obj(b.assessment).screening)) {
      const id = obj(s).partyId;
      if (typeof id === 'string') out.push(id);
    }
  }
  return out;
}

/** A per-subject back-link in a signed record: the previous entry that concerned the subject, or null for its first. */
export interface SubjectLink {
  readonly subject: string;
  readonly prev: { readonly seq: number; readonly leafHash: string } | null;
}

/** Checks the shape of a record's `links` (hostile input). Throws TrustError('MALFORMED_RECORD') naming the field. */
export function parseLinks(input: unknown, field: string): SubjectLink[] {
  const bad = (reason: string) => new TrustError('MALFORMED_RECORD', `${field}: ${reason}`, { field });
  if (!Array.isArray(input) || input.length === 0)
    throw bad('must be a non-empty array of { subject, prev } (omit it for a record with no subject)');
  let last = '';
  return (input as unknown[]).map((l, i) => {
    const o = obj(l);
    const keys = Object.keys(o);
    if (
      typeof l !== 'object' ||
      l === null ||
      Array.isArray(l) ||
      keys.length !== 2 ||
      !keys.includes('subject') ||
      !keys.includes('prev')
    )
      throw bad(`[${i}] must be exactly { subject, prev }`);
    if (typeof o.subject !== 'string' || o.subject.length === 0 || o.subject.length > 300)
      throw bad(`[${i}].subject must be a subject name`);
    if (i > 0 && o.subject <= last) throw bad(`[${i}].subject must be in ascending order, without repeats`);
    last = o.subject;
    if (o.prev === null) return { subject: o.subject, prev: null };
    const p = obj(o.prev);
    const pk = Object.keys(p);
    if (
      pk.length !== 2 ||
      typeof p.seq !== 'number' ||
      !Number.isSafeInteger(p.seq) ||
      p.seq < 1 ||
      typeof p.leafHash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(p.leafHash)
    ) {
      throw bad(`[${i}].prev must be null or { seq: a positive integer, leafHash: 64 lower-case hex digits }`);
    }
    return { subject: o.subject, prev: { seq: p.seq, leafHash: p.leafHash } };
  });
}

/** The subjects of the peer record a `federation.imported` body carries (its canonical text); none if it is not one. */
function importedSubjects(record: unknown): string[] {
  if (typeof record !== 'string') return [];
  let inner: unknown;
  try {
    inner = JSON.parse(record);
  } catch {
    return [];
  }
  const payload = obj(obj(inner).payload);
  return typeof payload.type === 'string' && payload.type !== 'federation.imported'
    ? subjectsOf(payload.type, payload.body)
    : [];
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** A certificate.issued record's credential id, from the JWS payload (base64url JSON), if readable. */
function certificateIdOf(jws: unknown): string | undefined {
  const payload = obj(jws).payload;
  if (typeof payload !== 'string') return undefined;
  try {
    const id = obj(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
