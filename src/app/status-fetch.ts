/**
 * A peer's published revocation status lists, fetched over HTTP (issue 24, docs/federation.md "Order
 * of knowledge"). A certificate issued at a peer (its issuer's home node, `federation_party_homes`) is
 * revoked there first; this node hears it as the peer's `certificate.revoked` record only once NATS
 * delivers it and a checkpoint covering it is cosigned. Before deciding on such a certificate, this
 * node therefore asks the peer itself: `GET <peer URL>/status-lists/<issuer>/revocation` (the W3C
 * Bitstring Status List credential the peer publishes, src/app/status-lists.ts), conditionally
 * (If-None-Match with the cached entity tag: a 304 reuses the cached list).
 *
 * What is checked, in order (hostile input; the first failure refuses, naming the peer and why):
 * a compact JWS of protected header `{ alg: "EdDSA", kid, typ: "vc+jwt" }` (and optionally `cty: "vc"`)
 * whose kid is the peer's did:web DID URL of its PINNED log key and whose signature verifies with that
 * key — never a key the response names; a payload that is RFC 8785 canonical JSON of a
 * BitstringStatusListCredential with the expected id (the URL fetched), issuer and `iss` (the peer's
 * did:web), statusPurpose "revocation", and `validFrom` / `validUntil`, when present, holding at this
 * server's time; an encodedList that decodes (src/trust/status-list.ts: gzip, base64url, ≥ 16 KB).
 *
 * If the certificate's bit is set: one transaction journals `federation.status-revoked` (signed by this
 * node's log key) with the peer's signed list as evidence, suspends the licences relying on the
 * certificate as a local revocation does and raises the `certificate-revoked` alert. The caller's own
 * check then refuses (CERTIFICATE_REVOKED / CERTIFICATE_REFUSED), as for a local revocation.
 *
 * When the peer cannot be asked (timeout, connection refused, HTTP error): an approval (or an
 * application) is refused naming the peer; a shipment may use the cached list while it is younger than
 * the maximum age (and within its validUntil, if it has one), then it is refused too. An unverifiable
 * answer is never replaced by the cache: it is refused.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../domain/index.js';
import {
  certificatesRepo,
  federationRepo,
  statusListCacheRepo,
  type CertificateRow,
  type FederationPeerRow,
} from '../store/index.js';
import {
  didWebFor,
  getStatusBit,
  MAX_STATUS_LIST_JWS_BYTES,
  openStatusListCredential,
  parseVerifierKey,
  TrustError,
} from '../trust/index.js';
import { monitorCertificateRevocation } from './alerts.js';
import { lockRevocationTargets } from './certificate-ledger.js';
import { statusListUrl } from './certificates.js';
import type { AppContext } from './context.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import { LOG_ID } from './log.js';

/** How long a fetch may take (LODESTONE_STATUS_LIST_TIMEOUT_MS). */
export const DEFAULT_STATUS_LIST_TIMEOUT_MS = 5_000;
/** How old a cached list a shipment may rely on when the peer is unreachable (LODESTONE_STATUS_LIST_MAX_AGE_S). */
export const DEFAULT_STATUS_LIST_MAX_AGE_S = 3_600;
const MAX_RESPONSE_BYTES = MAX_STATUS_LIST_JWS_BYTES;

export interface StatusListPolicy {
  readonly timeoutMs: number;
  readonly maxAgeSeconds: number;
}

function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new ValidationError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** The fetch policy from the environment (checked: a bad value is refused naming the variable). */
export function statusListPolicy(env: NodeJS.ProcessEnv = process.env): StatusListPolicy {
  return {
    timeoutMs: envInteger(env, 'LODESTONE_STATUS_LIST_TIMEOUT_MS', DEFAULT_STATUS_LIST_TIMEOUT_MS, 100, 60_000),
    maxAgeSeconds: envInteger(env, 'LODESTONE_STATUS_LIST_MAX_AGE_S', DEFAULT_STATUS_LIST_MAX_AGE_S, 0, 2_592_000),
  };
}

/** A status list that verified with the peer's pinned log key. */
export interface VerifiedStatusList {
  readonly jws: string;
  readonly url: string;
  /** The decoded bitstring. */
  readonly list: Uint8Array;
  readonly validFrom?: string;
  readonly validUntil?: string;
}

/** Why a peer's status list is not usable: names the peer and the reason. */
export class StatusListError extends Error {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`peer "${node}": ${reason}`);
    this.name = 'StatusListError';
  }
}

/**
 * Verifies a peer's status list JWS (hostile input) for `url`, with the peer's pinned log key, at `now`
 * (trust/status-list-credential.ts, the same check the offline verifier runs on a list kept as
 * evidence). Pure apart from node:crypto. Throws StatusListError naming the peer and the first problem.
 */
export function verifyPeerStatusList(
  peer: Pick<FederationPeerRow, 'node' | 'log_vkey' | 'public_url'>,
  url: string,
  jws: string,
  now: Date,
): VerifiedStatusList {
  if (peer.public_url === null)
    throw new StatusListError(peer.node, `status list ${url}: no public URL is pinned for this peer`);
  try {
    const opened = openStatusListCredential(jws, {
      url,
      did: didWebFor(peer.public_url),
      publicKey: parseVerifierKey(peer.log_vkey).publicKey,
      at: now,
      keyName: `${peer.node}'s pinned log key`,
    });
    return { jws, url, ...opened };
  } catch (e) {
    if (e instanceof TrustError && e.code === 'BAD_STATUS_LIST')
      throw new StatusListError(peer.node, `status list ${url}: ${e.message}`);
    throw e;
  }
}

/** What a decision relies on the list for: approvals need the peer's answer now; shipments may use the cache. */
export type StatusListPurpose = 'approval' | 'shipment';

export interface PeerStatusList extends VerifiedStatusList {
  readonly node: string;
  readonly partyId: string;
  /** When this node last fetched it or had it confirmed unchanged (304), by its clock. */
  readonly fetchedAt: string;
  /** 'fetched' (200), 'not-modified' (304: the cached list), 'cached' (the peer unreachable; within the maximum age). */
  readonly source: 'fetched' | 'not-modified' | 'cached';
}

const etagOf = (jws: string) => `"${createHash('sha256').update(jws).digest('base64url')}"`;

/**
 * The peer's status list of `partyId`'s certificates, as `purpose` may rely on it: fetched (or
 * confirmed by a 304), verified and cached; for a shipment, the cached list when the peer cannot be
 * reached and the list is younger than the maximum age. Throws StatusListError otherwise.
 */
export async function peerStatusList(
  ctx: AppContext,
  peer: FederationPeerRow,
  partyId: string,
  purpose: StatusListPurpose,
  policy: StatusListPolicy = statusListPolicy(),
): Promise<PeerStatusList> {
  if (peer.public_url === null)
    throw new StatusListError(
      peer.node,
      'no public URL is pinned for this peer (federation peer add with its identity)',
    );
  const url = statusListUrl(peer.public_url, partyId);
  const db = ctx.store.db;
  const cached = await statusListCacheRepo.get(db, peer.node, partyId);
  const now = ctx.clock();
  const fromCache = (source: 'not-modified' | 'cached', fetchedAt: string): PeerStatusList => {
    if (cached === undefined) throw new StatusListError(peer.node, `status list ${url}: nothing cached`);
    const v = verifyPeerStatusList(peer, url, cached.jws, now);
    return { ...v, node: peer.node, partyId, fetchedAt, source };
  };
  // The peer cannot answer now: an approval is refused; a shipment may use the cached list within its age.
  const unavailable = (why: string): PeerStatusList => {
    if (purpose === 'approval' || cached === undefined)
      throw new StatusListError(
        peer.node,
        `${why}; ${purpose === 'approval' ? 'an approval needs the peer’s current list' : 'and none is cached'}`,
      );
    const age = (now.getTime() - new Date(cached.fetched_at).getTime()) / 1000;
    if (age > policy.maxAgeSeconds)
      throw new StatusListError(
        peer.node,
        `${why}; the cached list, fetched at ${new Date(cached.fetched_at).toISOString()}, is stale (${Math.floor(age)} s old, at most ${policy.maxAgeSeconds} s)`,
      );
    return fromCache('cached', new Date(cached.fetched_at).toISOString());
  };
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        accept: 'application/vc+jwt',
        ...(cached?.etag === null || cached === undefined ? {} : { 'if-none-match': cached.etag }),
      },
      redirect: 'error',
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
  } catch (e) {
    return unavailable(`status list ${url} could not be fetched (${describeFetchError(e)})`);
  }
  if (response.status === 304) {
    await response.body?.cancel();
    const out = fromCache('not-modified', now.toISOString());
    await statusListCacheRepo.touch(db, peer.node, partyId, now.toISOString());
    return out;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    // A server error or overload is the peer unavailable; any other status is its answer, and not a list.
    if (response.status >= 500 || response.status === 429)
      return unavailable(`status list ${url} could not be fetched (HTTP ${response.status})`);
    throw new StatusListError(peer.node, `status list ${url}: HTTP ${response.status}`);
  }
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new StatusListError(peer.node, `status list ${url}: ${length} bytes, more than ${MAX_RESPONSE_BYTES}`);
  }
  const jws = (await response.text()).trim();
  const verified = verifyPeerStatusList(peer, url, jws, now);
  await statusListCacheRepo.put(db, {
    node: peer.node,
    party_id: partyId,
    url,
    etag: response.headers.get('etag') ?? etagOf(jws),
    jws,
    fetched_at: now.toISOString(),
  });
  return { ...verified, node: peer.node, partyId, fetchedAt: now.toISOString(), source: 'fetched' };
}

function describeFetchError(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timed out';
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}

export interface PeerCertificateStatus {
  readonly certificateId: string;
  readonly node: string;
  readonly revoked: boolean;
  readonly list: PeerStatusList;
  /** The `federation.status-revoked` entry this check journalled, when it found the bit set. */
  readonly recordedSeq?: number;
}

/**
 * Before a decision that relies on a certificate (named, or the one a licence relies on): if it is a peer's certificate (its issuer at home
 * on a peer whose public URL is pinned) and not yet revoked here, checks its bit in the peer's status
 * list. Revoked: journals what was seen and suspends the licences relying on it (one transaction);
 * the caller's own checks then refuse. Unusable list: AppError('CERTIFICATE_REFUSED') naming the peer
 * and why. Undefined: a local certificate, a peer without a URL, or one already revoked here.
 */
export async function confirmPeerCertificate(
  ctx: AppContext,
  on: { readonly certificateId: string } | { readonly licenceId: string },
  purpose: StatusListPurpose,
): Promise<PeerCertificateStatus | undefined> {
  const db = ctx.store.db;
  const key = answerKey(on, purpose);
  // Asked before the batch's transaction opened (askPeersFirst): no HTTP round trip under the journal lock.
  const asked = ctx.peerStatus?.get(key);
  if (asked !== undefined) return asked;
  // Inside a batch's transaction (custody batch, EPCIS document) every shipment under the licence would
  // ask again: one answer per licence or certificate and purpose for the transaction, not one HTTP round
  // trip per event.
  if (!db.isTransaction) return confirmUnmemoised(ctx, on, purpose);
  const memo = confirmedIn.get(db) ?? new Map<string, Promise<PeerCertificateStatus | undefined>>();
  confirmedIn.set(db, memo);
  let answer = memo.get(key);
  if (answer === undefined) {
    answer = confirmUnmemoised(ctx, on, purpose);
    memo.set(key, answer);
  }
  return answer;
}

/**
 * Before a batch of `holder`'s custody events (a custody batch, an EPCIS document) opens its
 * transaction: asks the peers' status lists for every licence `holder` holds in force on a peer's
 * certificate, and returns the context whose shipments take those answers (confirmPeerCertificate)
 * instead of asking over HTTP inside the transaction — where, once its first record is appended, it
 * holds the journal lock, and every other writer of this node would wait for the peer (up to
 * LODESTONE_STATUS_LIST_TIMEOUT_MS). A revocation found here is journalled in a transaction of its
 * own, before the batch, so it stays recorded even when it makes the batch refused. An answer that
 * is a refusal (the list unusable) is kept, and the shipment that relies on it is refused with it,
 * naming its event. Already in a transaction (the caller asked first, or cannot): unchanged.
 */
export async function askPeersFirst(ctx: AppContext, holder: string): Promise<AppContext> {
  if (ctx.store.db.isTransaction) return ctx;
  const licences = await statusListCacheRepo.peerCertificateLicences(ctx.store.db, holder);
  if (licences.length === 0) return ctx;
  const answers = new Map<string, Promise<PeerCertificateStatus | undefined>>(ctx.peerStatus ?? []);
  for (const licenceId of licences) {
    const answer = confirmUnmemoised(ctx, { licenceId }, 'shipment');
    // Settled here; a refusal is thrown where a shipment relies on it.
    answer.catch(() => undefined);
    answers.set(answerKey({ licenceId }, 'shipment'), answer);
  }
  await Promise.allSettled(answers.values());
  return { ...ctx, peerStatus: answers };
}

/** What an answer is kept under, in a batch's memo and in `AppContext.peerStatus`: purpose and licence or certificate. */
function answerKey(
  on: { readonly certificateId: string } | { readonly licenceId: string },
  purpose: StatusListPurpose,
): string {
  return `${purpose} ${'licenceId' in on ? `licence ${on.licenceId}` : `certificate ${on.certificateId}`}`;
}

/** Per transaction (a batch): the answers confirmPeerCertificate gave, by purpose and licence or certificate. */
const confirmedIn = new WeakMap<object, Map<string, Promise<PeerCertificateStatus | undefined>>>();

async function confirmUnmemoised(
  ctx: AppContext,
  on: { readonly certificateId: string } | { readonly licenceId: string },
  purpose: StatusListPurpose,
): Promise<PeerCertificateStatus | undefined> {
  const db = ctx.store.db;
  const found = await statusListCacheRepo.activePeerCertificate(db, on);
  if (found === undefined) return undefined;
  const id = found.certificate_id;
  const [row, peer] = [await certificatesRepo.get(db, id), await federationRepo.peer(db, found.node)];
  if (row === undefined || peer === undefined) return undefined;
  let list: PeerStatusList;
  try {
    list = await peerStatusList(ctx, peer, row.issuer, purpose);
  } catch (e) {
    if (!(e instanceof StatusListError)) throw e;
    throw new AppError(
      'CERTIFICATE_REFUSED',
      `certificate ${id} refused (certificate.status-list): its revocation status is unknown: ${e.message}`,
      { field: 'certificate.status-list' },
    );
  }
  if (!getStatusBit(list.list, row.status_index)) return { certificateId: id, node: peer.node, revoked: false, list };
  const seq = await recordPeerRevocation(ctx, peer, row, list);
  return {
    certificateId: id,
    node: peer.node,
    revoked: true,
    list,
    ...(seq === undefined ? {} : { recordedSeq: seq }),
  };
}

/**
 * One transaction: `federation.status-revoked` with the peer's signed list, the licences relying on the
 * certificate suspended and their material marked (its projector, as `certificate.revoked`'s), and the
 * authorities alerted. Nothing if the certificate was revoked here meanwhile.
 */
async function recordPeerRevocation(
  ctx: AppContext,
  peer: FederationPeerRow,
  row: CertificateRow,
  list: PeerStatusList,
): Promise<number | undefined> {
  // The log operator's own record, not the requesting party's: a decision asked on a party's signed API
  // request finds the revocation, but the record is never made on (nor carries) that request.
  const own: AppContext = { ...ctx, request: undefined };
  return own.store.transaction(async (tx) => {
    const locked = await certificatesRepo.getForUpdate(tx, row.id);
    if (locked === undefined || locked.status === 'revoked') return undefined;
    const suspended = await lockRevocationTargets(tx, row.id);
    const c = await commit(tx, own, 'federation.status-revoked', LOG_ID, {
      node: peer.node,
      origin: peer.origin,
      certificateId: row.id,
      issuer: row.issuer,
      statusListUrl: list.url,
      statusIndex: row.status_index,
      statusList: list.jws,
      fetchedAt: list.fetchedAt,
      // Its subjects with the certificate: the audit bundle of each licence it suspends carries it.
      licences: [...suspended].sort(),
    });
    await monitorCertificateRevocation(tx, own, suspended);
    return c.seq;
  });
}
