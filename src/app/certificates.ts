import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import {
  formatGrams,
  isoDateValue,
  parse,
  parseCertificateSubject,
  ValidationError,
  type CertificateSubject,
  todayUtc,
} from '../domain/index.js';
import {
  certificatesRepo,
  partiesRepo,
  partyKeysRepo,
  type CertificateRow,
  type CertificateStatus,
  type Database,
} from '../store/index.js';
import {
  canonicalJson,
  countersignCredential,
  CREDENTIALS_CONTEXT_PATH,
  decodeStatusList,
  encodeStatusList,
  getStatusBit,
  keyReference,
  partyDid,
  partyUrn,
  signCredential,
  statusListWith,
  TrustError,
  VC_V2_CONTEXT,
  verifyCertificate,
  type CredentialJws,
  type CredentialSigner,
  type EndUserCertificateCredential,
  type SignerLookup,
} from '../trust/index.js';
import { certificateLedger, lockRevocationTargets, type CertificateLedgerLine } from './certificate-ledger.js';
import { decodeCertificate, revocationReason } from './certificates.records.js';
import type { AppContext } from './context.js';
import { keyEnded } from './keys.records.js';
import { AppError } from './errors.js';
import { commit } from './journal.js';
import { requireTrusted } from './trustlist.js';

/**
 * The revocation status list certificates issued before status lists were published point into. It
 * resolves nowhere; their bits (same index) are in their issuer's published list (status-lists.ts).
 */
export const CERTIFICATE_STATUS_LIST = 'urn:lodestone:status-list:certificate-revocation';

/** Where a party's revocation status list is published: `<public URL>/status-lists/<party>/revocation`. */
export function statusListUrl(publicUrl: string, partyId: string): string {
  return `${publicUrl}/status-lists/${partyId}/revocation`;
}

/** The `kid` a party signs certificates with: the did:web DID URL of its key (see src/trust/did.ts). */
export function partyKeyReference(ctx: AppContext, partyId: string, keyId: string): string {
  return keyReference(partyDid(ctx.publicUrl, partyId), keyId);
}

export interface Certificate {
  readonly id: string;
  readonly jws: CredentialJws;
  readonly credential: EndUserCertificateCredential;
  readonly subject: CertificateSubject;
  readonly status: CertificateStatus;
  readonly statusIndex: number;
  readonly issuer: string;
  readonly countersignedBy: string | null;
  readonly revokedBy: string | null;
  readonly revocationReason: string | null;
  /** The journal entry that issued it. */
  readonly seq: number;
}

export interface CheckedCertificate extends Certificate {
  readonly signers: readonly CredentialSigner[];
}

/** Why a certificate is refused: `rule` is stable (for tests and reports), `message` says it in words. */
export interface CertificateRefusal {
  readonly rule:
    | 'certificate.signature'
    | 'certificate.record'
    | 'certificate.revoked'
    | 'certificate.not-yet-valid'
    | 'certificate.expired'
    | 'certificate.parties'
    | 'certificate.items';
  readonly message: string;
}

export interface CertificateReport {
  readonly id: string;
  readonly asOf: string;
  readonly ok: boolean;
  readonly refusals: readonly CertificateRefusal[];
  /** Present when the signatures verify. */
  readonly certificate?: CheckedCertificate;
  /** False when the JWS was given from outside and no certificate with its id is recorded. */
  readonly recorded: boolean;
}

export interface CertificateCheck {
  /** YYYY-MM-DD the shipment or decision is made on. */
  readonly asOf: string;
  readonly exporter: string;
  readonly importer: string;
  readonly endUser: string;
  /** Items the certificate must cover; quantities per (control code, HS code) are summed. */
  readonly items?: readonly {
    readonly controlCode?: string;
    readonly hsCode: string;
    readonly quantityGrams: number;
  }[];
}

function certificateId(id: unknown, field = 'certificateId'): string {
  if (typeof id !== 'string' || !/^urn:uuid:[0-9a-f-]{36}$/.test(id))
    throw new ValidationError(field, `must be a certificate id such as "urn:uuid:…", got ${JSON.stringify(id)}`);
  return id;
}

/** Registered, unrevoked keys: the only keys a certificate signature may use. */
function keyLookup(db: Kysely<Database>): SignerLookup {
  return async (kid) => {
    const key = await partyKeysRepo.get(db, kid);
    return key === undefined || key.revoked_seq !== null
      ? undefined
      : { partyId: key.party_id, publicKey: key.public_key };
  };
}

function refused(id: string, r: CertificateRefusal): AppError {
  return new AppError('CERTIFICATE_REFUSED', `certificate ${id} refused (${r.rule}): ${r.message}`, { field: r.rule });
}

async function requireParty(tx: Transaction<Database>, id: string, field: string) {
  const p = await partiesRepo.get(tx, id);
  if (!p) throw new AppError('NOT_FOUND', `no party "${id}" (${field}; register it first)`, { field });
  return p;
}

function toCertificate(
  row: CertificateRow,
  jws: CredentialJws,
  credential: EndUserCertificateCredential,
  subject: CertificateSubject,
): Certificate {
  return {
    id: row.id,
    jws,
    credential,
    subject,
    status: row.status,
    statusIndex: row.status_index,
    issuer: row.issuer,
    countersignedBy: row.countersigned_by,
    revokedBy: row.revoked_by,
    revocationReason: row.revocation_reason,
    seq: row.seq,
  };
}

/**
 * The end user issues a certificate: the subject is validated, wrapped in a Verifiable Credential
 * with the next revocation status-list entry, signed with the end user's key from the keystore (a
 * General JWS), checked against the end user's registered key and recorded as `certificate.issued`.
 */
export async function issueCertificate(ctx: AppContext, endUserId: string, input: unknown): Promise<Certificate> {
  const subject = parseCertificateSubject(input);
  const signer = ctx.keystore.signer(endUserId);
  checkIssuer(ctx, endUserId, subject);
  return ctx.store.transaction(async (tx) => {
    const credential = await draftCredential(tx, ctx, endUserId, subject);
    return recordIssued(
      tx,
      ctx,
      endUserId,
      await signCredential(credential, signer, partyKeyReference(ctx, endUserId, signer.keyId)),
    );
  });
}

/**
 * Issuing with a key the server does not hold, step 1: the unsigned credential (with its
 * revocation status-list entry) that the end user is to sign as a General JWS (EdDSA, `kid` its
 * registered key id) and hand back to `submitCertificate`. Records nothing; the status-list index
 * is the next free one now, and is checked again when the signed credential comes back.
 */
export async function prepareCertificate(
  ctx: AppContext,
  endUserId: string,
  input: unknown,
): Promise<EndUserCertificateCredential> {
  const subject = parseCertificateSubject(input);
  checkIssuer(ctx, endUserId, subject);
  return ctx.store.transaction((tx) => draftCredential(tx, ctx, endUserId, subject));
}

/**
 * Issuing with a key the server does not hold, step 2: the end user's own signature over the
 * credential (General JWS with exactly its signature), verified against its registered key, the
 * subject validated as `issueCertificate` validates it, and recorded as `certificate.issued`.
 */
export async function submitCertificate(ctx: AppContext, endUserId: string, jws: unknown): Promise<Certificate> {
  const decoded = decodeSubmitted(jws);
  const { credential, subject } = decoded;
  if (credential.issuer !== partyUrn(endUserId))
    throw new AppError(
      'FORBIDDEN',
      `the credential's issuer is ${credential.issuer}; "${endUserId}" may submit only certificates it issues (${partyUrn(endUserId)})`,
      { field: 'jws.payload.issuer' },
    );
  checkIssuer(ctx, endUserId, subject);
  if (decoded.kids.length !== 1)
    throw new ValidationError(
      'jws.signatures',
      `must hold exactly the end user's signature (it holds ${decoded.kids.length}); the government countersigns after it is recorded`,
    );
  if (
    credential.validFrom !== `${subject.validity.from}T00:00:00Z` ||
    credential.validUntil !== `${subject.validity.until}T23:59:59Z`
  ) {
    throw new ValidationError(
      'jws.payload.validFrom',
      `validFrom / validUntil must be ${subject.validity.from}T00:00:00Z / ${subject.validity.until}T23:59:59Z (the subject's validity)`,
    );
  }
  const context = `${ctx.publicUrl}${CREDENTIALS_CONTEXT_PATH}`;
  if (credential['@context'][1] !== context)
    throw new ValidationError(
      'jws.payload.@context',
      `must be ["${VC_V2_CONTEXT}", "${context}"] (prepare the credential with POST /v1/certificates/prepare)`,
    );
  if (credential.iss !== credential.issuer)
    throw new ValidationError('jws.payload.iss', `must be ${credential.issuer}, the same as issuer (VC-JOSE-COSE)`);
  const status = credential.credentialStatus;
  const list = statusListUrl(ctx.publicUrl, endUserId);
  if (status.statusListCredential !== list || status.id !== `${list}#${status.statusListIndex}`) {
    throw new ValidationError(
      'jws.payload.credentialStatus',
      `must be an entry of ${list} (prepare the credential with POST /v1/certificates/prepare)`,
    );
  }
  return ctx.store.transaction(async (tx) => {
    await requireSubjectParties(tx, subject);
    if (await certificatesRepo.get(tx, credential.id))
      throw new AppError('ALREADY_EXISTS', `certificate ${credential.id} is already recorded`, {
        field: 'jws.payload.id',
      });
    if (await certificatesRepo.statusIndexTaken(tx, endUserId, Number(status.statusListIndex))) {
      throw new AppError(
        'ALREADY_EXISTS',
        `status-list index ${status.statusListIndex} was taken by another certificate since this one was prepared; prepare it again and sign the new credential`,
        { field: 'jws.payload.credentialStatus.statusListIndex' },
      );
    }
    return recordIssued(tx, ctx, endUserId, decoded.jws);
  });
}

/** The client's JWS, decoded; a malformed one is bad input naming where (`jws.signatures[0].protected: …`). */
function decodeSubmitted(jws: unknown): ReturnType<typeof decodeCertificate> {
  try {
    return decodeCertificate(jws);
  } catch (e) {
    if (!(e instanceof TrustError) && !(e instanceof ValidationError)) throw e;
    const field = e.field === undefined || e.field === '' ? 'jws' : `jws.${e.field}`;
    const reason =
      e.field !== undefined && e.message.startsWith(`${e.field}: `) ? e.message.slice(e.field.length + 2) : e.message;
    throw new ValidationError(field, reason);
  }
}

function checkIssuer(ctx: AppContext, endUserId: string, subject: CertificateSubject): void {
  const today = todayUtc(ctx.clock);
  if (subject.validity.until < today)
    throw new ValidationError('certificate.validity.until', `is in the past (today is ${today})`);
  if (subject.endUser !== endUserId) {
    throw new AppError(
      'FORBIDDEN',
      `a certificate is issued by its end user: "${endUserId}" cannot issue one for end user "${subject.endUser}"`,
      { field: 'certificate.endUser' },
    );
  }
}

async function requireSubjectParties(tx: Transaction<Database>, subject: CertificateSubject): Promise<void> {
  for (const [field, id] of [
    ['certificate.endUser', subject.endUser],
    ['certificate.exporter', subject.exporter],
    ['certificate.importer', subject.importer],
    ['certificate.undertakings.consentAuthority', subject.undertakings.consentAuthority],
  ] as const) {
    await requireParty(tx, id, field);
  }
}

/** The credential for a subject, with the next revocation status-list entry (unsigned). */
async function draftCredential(
  tx: Transaction<Database>,
  ctx: AppContext,
  endUserId: string,
  subject: CertificateSubject,
): Promise<EndUserCertificateCredential> {
  await requireSubjectParties(tx, subject);
  const statusIndex = await certificatesRepo.nextStatusIndex(tx, endUserId);
  const list = statusListUrl(ctx.publicUrl, endUserId);
  return {
    '@context': [VC_V2_CONTEXT, `${ctx.publicUrl}${CREDENTIALS_CONTEXT_PATH}`],
    type: ['VerifiableCredential', 'EndUserCertificate'],
    id: `urn:uuid:${randomUUID()}`,
    issuer: partyUrn(endUserId),
    iss: partyUrn(endUserId),
    validFrom: `${subject.validity.from}T00:00:00Z`,
    validUntil: `${subject.validity.until}T23:59:59Z`,
    credentialStatus: {
      id: `${list}#${statusIndex}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(statusIndex),
      statusListCredential: list,
    },
    credentialSubject: { id: partyUrn(subject.endUser), ...(JSON.parse(canonicalJson(subject)) as object) },
  };
}

/** Verifies the end user's signature against its registered key and records `certificate.issued`. */
async function recordIssued(
  tx: Transaction<Database>,
  ctx: AppContext,
  endUserId: string,
  jws: CredentialJws,
): Promise<Certificate> {
  const { credential, subject } = decodeCertificate(jws);
  const verified = await verifyOrRefuse(tx, credential.id, jws);
  if (verified.signers[0]?.partyId !== endUserId)
    throw refused(credential.id, {
      rule: 'certificate.signature',
      message: `signed by ${verified.signers[0]?.partyId ?? 'nobody'}, not by the end user ${endUserId}`,
    });
  await commit(tx, ctx, 'certificate.issued', endUserId, { jws });
  const row = await certificatesRepo.get(tx, credential.id);
  if (!row) throw new AppError('NOT_FOUND', `certificate ${credential.id} was not projected`);
  return toCertificate(row, jws, credential, subject);
}

async function verifyOrRefuse(db: Kysely<Database>, id: string, jws: unknown) {
  let verified;
  try {
    verified = await verifyCertificate(jws, keyLookup(db));
  } catch (e) {
    if (e instanceof TrustError)
      throw refused(id, { rule: 'certificate.signature', message: `forged or tampered: ${e.message}` });
    throw e;
  }
  // The signature being recorded now (the issuer's, or the countersignature: the last) must be by a
  // key in force; earlier ones were checked when they were recorded (a later rotation leaves them valid).
  const made = verified.signers.at(-1);
  const key = made === undefined ? undefined : await partyKeysRepo.get(db, made.kid);
  const ended = key === undefined ? undefined : keyEnded(key);
  if (ended !== undefined)
    throw refused(id, { rule: 'certificate.signature', message: `${ended}: it signs nothing after that` });
  return verified;
}

/**
 * The importing government countersigns a certificate: a second signature over the same payload.
 * Only a party the trust list in force names as countersigner for the importer's country may, once,
 * while the certificate is valid and not revoked.
 */
export async function countersignCertificate(
  ctx: AppContext,
  governmentId: string,
  id: string,
  made?: { protected: string; signature: string },
): Promise<Certificate> {
  certificateId(id);
  // The government's own countersignature over the payload (made where its key is), or one made here with the keystore's key.
  const signer = made === undefined ? ctx.keystore.signer(governmentId) : undefined;
  return ctx.store.transaction(async (tx) => {
    const row = await certificatesRepo.getForUpdate(tx, id);
    if (!row) throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
    await requireParty(tx, governmentId, 'government');
    const importer = await requireParty(tx, row.importer, 'importer');
    // Who countersigns for the importer's country is the trust list's say, not the party's sector.
    const trustList = await requireTrusted(
      tx,
      governmentId,
      'countersigner',
      importer.country,
      'TRUST_LIST_COUNTERSIGNER',
    );
    if (row.countersigned_by !== null)
      throw new AppError(
        'ALREADY_EXISTS',
        `certificate ${id} is already countersigned by "${row.countersigned_by}" (journal entry ${row.countersigned_seq})`,
      );
    const today = todayUtc(ctx.clock);
    const report = await assess(tx, row, today);
    const blocking = report.refusals.find((r) => r.rule !== 'certificate.not-yet-valid');
    if (blocking) throw refused(id, blocking);
    const stored = decodeCertificate(row.jws).jws;
    const jws: CredentialJws =
      signer === undefined
        ? {
            payload: stored.payload,
            signatures: [...stored.signatures, { protected: made?.protected ?? '', signature: made?.signature ?? '' }],
          }
        : await countersignCredential(row.jws, signer, partyKeyReference(ctx, governmentId, signer.keyId));
    const signature = jws.signatures.at(-1);
    if (signature === undefined)
      throw new AppError('CERTIFICATE_REFUSED', `certificate ${id}: countersigning produced no signature`);
    const verified = await verifyOrRefuse(tx, id, jws);
    if (verified.signers.at(-1)?.partyId !== governmentId)
      throw refused(id, {
        rule: 'certificate.signature',
        message: `the countersignature is by ${verified.signers.at(-1)?.partyId ?? 'nobody'}, not by ${governmentId}`,
      });
    await commit(tx, ctx, 'certificate.countersigned', governmentId, { certificateId: id, signature, trustList });
    const updated = await certificatesRepo.get(tx, id);
    if (!updated || !report.certificate) throw new AppError('NOT_FOUND', `no certificate ${id}`);
    return toCertificate(updated, jws, report.certificate.credential, report.certificate.subject);
  });
}

/**
 * Revokes a certificate (sets its status-list bit). Only its issuer or the government that
 * countersigned it may. In the same transaction every active licence relying on it is suspended
 * and the material it restricts marked (the `certificate.revoked` projector), and each such
 * licence's authority is alerted (`certificate-revoked`; deferred to `alerts scan` when this node
 * cannot sign for the authority).
 */
export async function revokeCertificate(
  ctx: AppContext,
  actorId: string,
  id: string,
  reason: string,
): Promise<Certificate & { readonly suspendedLicences: readonly string[] }> {
  certificateId(id);
  const why = parse(revocationReason, reason, 'reason');
  return ctx.store.transaction(async (tx) => {
    const row = await certificatesRepo.getForUpdate(tx, id);
    if (!row) throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
    if (actorId !== row.issuer && actorId !== row.countersigned_by) {
      throw new AppError(
        'FORBIDDEN',
        `only the issuer ("${row.issuer}")${row.countersigned_by === null ? '' : ` or the countersigning government ("${row.countersigned_by}")`} may revoke certificate ${id}, not "${actorId}"`,
      );
    }
    if (row.status === 'revoked')
      throw new AppError(
        'ALREADY_EXISTS',
        `certificate ${id} was already revoked by "${row.revoked_by}" at journal entry ${row.revoked_seq}`,
      );
    // What the revocation will change, locked before the journal as a dispatch locks it: none is suspended under a shipment's feet.
    const relying = await lockRevocationTargets(tx, id);
    await commit(tx, ctx, 'certificate.revoked', actorId, { certificateId: id, reason: why });
    const updated = await certificatesRepo.get(tx, id);
    if (!updated) throw new AppError('NOT_FOUND', `no certificate ${id}`);
    const c = decodeCertificate(updated.jws);
    return { ...toCertificate(updated, c.jws, c.credential, c.subject), suspendedLicences: relying };
  });
}

/**
 * `issuer`'s revocation list as a (unsigned) BitstringStatusListCredential, built from the projection:
 * indexes are unique in an issuer's list only (migration 0037), so a list is always one issuer's.
 */
export async function certificateStatusList(
  db: Kysely<Database>,
  issuer: string,
): Promise<{ readonly id: string; readonly encodedList: string; readonly credential: unknown }> {
  const encodedList = encodeStatusList(statusListWith(await certificatesRepo.revokedIndexesOf(db, issuer)));
  return {
    id: CERTIFICATE_STATUS_LIST,
    encodedList,
    credential: {
      '@context': [VC_V2_CONTEXT],
      id: CERTIFICATE_STATUS_LIST,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      credentialSubject: {
        id: `${CERTIFICATE_STATUS_LIST}#list`,
        type: 'BitstringStatusList',
        statusPurpose: 'revocation',
        encodedList,
      },
    },
  };
}

/**
 * Everything wrong with a stored certificate as of a date: its signatures (re-verified from the
 * stored JWS against registered keys), agreement of the projection with what was signed, the
 * revocation status list, and validity. Read-only.
 */
async function assess(db: Kysely<Database>, row: CertificateRow, asOf: string): Promise<CertificateReport> {
  const refusals: CertificateRefusal[] = [];
  let verified;
  try {
    verified = await verifyCertificate(row.jws, keyLookup(db));
  } catch (e) {
    if (!(e instanceof TrustError)) throw e;
    return {
      id: row.id,
      asOf,
      ok: false,
      recorded: true,
      refusals: [{ rule: 'certificate.signature', message: `forged or tampered: ${e.message}` }],
    };
  }
  const { subject } = decodeCertificate(verified.jws);
  const signedCountersigner = verified.signers.find((s) => s.role === 'countersigner')?.partyId ?? null;
  const mismatch = [
    verified.credential.id !== row.id && `id ${verified.credential.id}`,
    verified.issuer !== row.issuer && `issuer ${verified.issuer}`,
    signedCountersigner !== row.countersigned_by && `countersigner ${String(signedCountersigner)}`,
    Number(verified.credential.credentialStatus.statusListIndex) !== row.status_index &&
      `status index ${verified.credential.credentialStatus.statusListIndex}`,
    canonicalJson(subject) !== canonicalJson(row.subject) && 'subject',
  ].filter((m): m is string => typeof m === 'string');
  if (mismatch.length > 0)
    refusals.push({
      rule: 'certificate.record',
      message: `the stored record disagrees with the signed credential (${mismatch.join(', ')})`,
    });
  // The issuer's own list: another issuer's certificate (a peer's) may hold the same index in its list.
  const list = decodeStatusList((await certificateStatusList(db, row.issuer)).encodedList);
  if (getStatusBit(list, Number(verified.credential.credentialStatus.statusListIndex))) {
    refusals.push({
      rule: 'certificate.revoked',
      message: `revoked by "${row.revoked_by ?? '?'}" at journal entry ${row.revoked_seq ?? '?'}: ${row.revocation_reason ?? ''}`,
    });
  }
  if (asOf < subject.validity.from)
    refusals.push({
      rule: 'certificate.not-yet-valid',
      message: `valid from ${subject.validity.from}, checked as of ${asOf}`,
    });
  if (asOf > subject.validity.until)
    refusals.push({
      rule: 'certificate.expired',
      message: `valid until ${subject.validity.until}, checked as of ${asOf}`,
    });
  const certificate: CheckedCertificate = {
    ...toCertificate(row, verified.jws, verified.credential, subject),
    signers: verified.signers,
  };
  return { id: row.id, asOf, ok: refusals.length === 0, refusals, certificate, recorded: true };
}

/** Verifies a stored certificate as of a date (default today) and reports every problem; never throws for a bad certificate. */
export async function verifyStoredCertificate(ctx: AppContext, id: string, asOf?: string): Promise<CertificateReport> {
  certificateId(id);
  const date = asOf === undefined ? todayUtc(ctx.clock) : isoDateValue(asOf, 'asOf');
  const row = await certificatesRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
  return assess(ctx.store.db, row, date);
}

/**
 * Verifies a certificate JWS given from outside (a file): its signatures against the registered
 * keys, then — if a certificate with its id is recorded — that it is the recorded one, and its
 * revocation status and validity.
 */
export async function verifyCertificateJws(ctx: AppContext, jws: unknown, asOf?: string): Promise<CertificateReport> {
  const date = asOf === undefined ? todayUtc(ctx.clock) : isoDateValue(asOf, 'asOf');
  const db = ctx.store.db;
  let verified;
  try {
    verified = await verifyCertificate(jws, keyLookup(db));
  } catch (e) {
    if (!(e instanceof TrustError)) throw e;
    return {
      id: '?',
      asOf: date,
      ok: false,
      recorded: false,
      refusals: [{ rule: 'certificate.signature', message: `forged or tampered: ${e.message}` }],
    };
  }
  const row = await certificatesRepo.get(db, verified.credential.id);
  if (!row) {
    return {
      id: verified.credential.id,
      asOf: date,
      ok: false,
      recorded: false,
      refusals: [
        {
          rule: 'certificate.record',
          message: 'no certificate with this id is recorded, so its revocation status is unknown',
        },
      ],
    };
  }
  const report = await assess(db, row, date);
  const recordedSignatures = report.certificate?.jws.signatures.length ?? 0;
  if (
    report.certificate !== undefined &&
    (report.certificate.jws.payload !== verified.jws.payload || recordedSignatures < verified.jws.signatures.length)
  ) {
    return {
      ...report,
      ok: false,
      refusals: [
        ...report.refusals,
        {
          rule: 'certificate.record',
          message: 'the file is not the recorded certificate (different payload or signatures)',
        },
      ],
    };
  }
  return report;
}

/**
 * For licensing: the certificate must verify, agree with its record, not be revoked, be valid on
 * `asOf`, name these exporter, importer and end user, and cover the items. Throws
 * AppError('CERTIFICATE_REFUSED') naming the first rule broken (NOT_FOUND if there is none).
 */
export async function checkCertificate(
  tx: Kysely<Database>,
  id: string,
  check: CertificateCheck,
): Promise<CheckedCertificate> {
  certificateId(id);
  const asOf = isoDateValue(check.asOf, 'asOf');
  const row = await certificatesRepo.get(tx, id);
  if (!row) throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
  const report = await assess(tx, row, asOf);
  const first = report.refusals[0];
  if (first !== undefined || report.certificate === undefined)
    throw refused(id, first ?? { rule: 'certificate.signature', message: 'does not verify' });
  const s = report.certificate.subject;
  for (const [role, want, have] of [
    ['exporter', check.exporter, s.exporter],
    ['importer', check.importer, s.importer],
    ['end user', check.endUser, s.endUser],
  ] as const) {
    if (want !== have)
      throw refused(id, { rule: 'certificate.parties', message: `it names ${role} "${have}", not "${want}"` });
  }
  const wanted = new Map<string, number>();
  for (const [i, item] of (check.items ?? []).entries()) {
    const hs = item.hsCode.replace(/[.\s]/g, '');
    const line = s.items.find(
      (l) => l.hsCode === hs && (item.controlCode === undefined || l.controlCode === item.controlCode),
    );
    if (line === undefined) {
      throw refused(id, {
        rule: 'certificate.items',
        message: `items[${i}] (${item.controlCode ?? 'any control code'}, HS ${hs}) is not covered; it covers ${s.items.map((l) => `${l.controlCode} HS ${l.hsCode}`).join('; ')}`,
      });
    }
    const key = `${line.controlCode} ${line.hsCode}`;
    const total = (wanted.get(key) ?? 0) + item.quantityGrams;
    wanted.set(key, total);
    if (total > line.quantityGrams) {
      throw refused(id, {
        rule: 'certificate.items',
        message: `${formatGrams(total)} of ${line.controlCode} (HS ${line.hsCode}) asked for, but it covers ${formatGrams(line.quantityGrams)}`,
      });
    }
  }
  return report.certificate;
}

/** A stored certificate (no verification), with what every licence relying on it claims of each line. */
export async function getCertificate(
  ctx: AppContext,
  id: string,
): Promise<Certificate & { readonly claims: readonly CertificateLedgerLine[] }> {
  certificateId(id);
  const row = await certificatesRepo.get(ctx.store.db, id);
  if (!row) throw new AppError('NOT_FOUND', `no certificate ${id}`, { field: 'certificateId' });
  const c = decodeCertificate(row.jws);
  return { ...toCertificate(row, c.jws, c.credential, c.subject), claims: await certificateLedger(ctx.store.db, id) };
}
