import { z } from 'zod';
import {
  assumedReadings,
  checkExport,
  consumeInputSchema,
  consumeLot,
  countersignCertificate,
  createLot,
  decideApplication,
  dispatchShipment,
  evaluateClassification,
  exportAuditBundle,
  federationStatus,
  getCertificate,
  getLot,
  getLicence,
  getTrustList,
  getParty,
  latestCheckpoint,
  listLots,
  listParties,
  listPartyKeys,
  revokeSigningKey,
  rotateSigningKey,
  listSnapshots,
  logVerifier,
  LOG_ID,
  lotInputSchema,
  receiptInputSchema,
  receiveShipment,
  recordClassification,
  registerParty,
  revokeCertificate,
  screenNames,
  importList,
  screenParty,
  screeningReviews,
  reviewScreeningHit,
  REVIEW_DECISIONS,
  shipmentInputSchema,
  submitApplication,
  transformInputSchema,
  transformLots,
  verifyCertificateJws,
  verifyStoredCertificate,
  ingestCustodyEvents,
  issueCertificate,
  prepareCertificate,
  submitCertificate,
  AppError,
  captureEpcis,
  exportEpcis,
  fileReport,
  getAlert,
  listAlerts,
  queryEpcis,
  reportInputSchema,
  resolveAlert,
  dismissAlert,
  assignAlert,
  scanAlerts,
  type CustodyEventInput,
} from '../app/index.js';
import {
  applicationSchema,
  approvalSchema,
  certificateSubjectSchema,
  isCountryCode,
  itemSchema,
  partySchema,
  ValidationError,
} from '../domain/index.js';
import { applicationsRepo, auditorGrantsRepo, cosignaturesRepo, logRepo, partyKeysRepo } from '../store/index.js';
import {
  findSignature,
  hashesEqual,
  NOTE_ALG_COSIGNATURE_V1,
  openCheckpoint,
  verifyCosignature,
} from '../trust/index.js';
import { getCredential, issueCredential, listCredentials, revokeCredential, rotateCredential } from './credentials.js';
import {
  authorityOfAlert,
  authorityOrHolder,
  mayReportOn,
  partyToAlert,
  consigneeOf,
  governmentOfImporter,
  holdsLot,
  isLicenceAuthority,
  mayReadAuditBundle,
  mayReadCertificate,
  mayRevokeCertificate,
  partyToApplication,
  partyToLicence,
  partyToLot,
} from './ownership.js';
import { LIST_HEADERS, LIST_REQUEST_HEADERS } from './listing.js';
import {
  applicationsList,
  applicationsQuery,
  lotsList,
  lotsQuery,
  massBalanceAnswer,
  massBalanceQuery,
  type ApplicationsQuery,
  type LotsQuery,
} from './lists.js';
import { ROLES, type Role } from './roles.js';
import { route, type AnyRoute } from './route.js';

const EPCIS_BODY_LIMIT = 50 * 1024 * 1024;
/** A restricted-party list snapshot with its companion files, as JSON text (escaping included). */
const LIST_BODY_LIMIT = 64 * 1024 * 1024;
const str = z.string().min(1).max(500);
/** A certificate JWS in any serialization of RFC 7515 §7 (checked in full by the use case). */
const certificateJws = z.union([
  z
    .string()
    .min(1)
    .max(2 * 1024 * 1024)
    .describe('compact serialization: header.payload.signature'),
  z
    .looseObject({})
    .describe('flattened { payload, protected, signature } or general { payload, signatures } JSON serialization'),
]);
const strOrList = z.union([str, z.array(str).min(1).max(100)]);
const ALL_PARTY_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'operator-admin');
const EVERYONE: readonly Role[] = ROLES;
const HOLDERS: readonly Role[] = ['exporter', 'importer', 'downstream-holder'];
const TRADE: readonly Role[] = [
  'exporter',
  'licensing-authority',
  'importer',
  'importing-government',
  'downstream-holder',
];

interface ReviewBody {
  partyId?: string | undefined;
  name?: string | undefined;
  list: string;
  entryId: string;
  decision: (typeof REVIEW_DECISIONS)[number];
  reason: string;
}

const idParam = z.object({ id: z.string().min(1).max(200) }).strict();
const country = z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code' });
const obj = z.looseObject({});
const seqOut = z.looseObject({ seq: z.number().int() });
const lotOut = z.looseObject({
  id: z.string(),
  holder: z.string(),
  location: z.string(),
  massGrams: z.number().int(),
  restrictions: z.array(obj),
});
const certOut = z.looseObject({
  id: z.string(),
  status: z.enum(['active', 'revoked']),
  issuer: z.string(),
  countersignedBy: z.string().nullable(),
  jws: obj,
  subject: obj,
});
const reportOut = z.looseObject({
  id: z.string(),
  asOf: z.string(),
  ok: z.boolean(),
  refusals: z.array(z.looseObject({ rule: z.string(), message: z.string() })),
  recorded: z.boolean(),
});
const credentialOut = z.object({
  id: z.string(),
  partyId: z.string().nullable(),
  role: z.enum(ROLES),
  label: z.string().nullable(),
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
const issuedOut = credentialOut.extend({ key: z.string().describe('the API key, shown only in this response') });
const explanationOut = z.looseObject({
  allowed: z.boolean(),
  refusals: z.array(z.looseObject({ rule: z.string(), message: z.string(), chain: z.array(z.string()).optional() })),
  checks: z.array(z.string()),
  classification: obj,
});

/** `?assume=FACT=READING` (repeatable): evaluate under another reading of an unverified fact of the rule packs. */
const assumeQuery = z.object({
  assume: z
    .union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(20)])
    .optional()
    .describe(
      'FACT=READING, repeatable: evaluate with this reading of an unverified fact instead of the pack default (e.g. ann70-after-2026-11-10=extended); an unknown fact or reading is a 400 naming `assume`',
    ),
});
type AssumeQuery = { assume?: string | string[] | undefined };
type AppContextPacks = Parameters<typeof checkExport>[0]['packs'];
const readingsOf = (ctx: { packs: AppContextPacks }, q: AssumeQuery) =>
  assumedReadings(ctx.packs(), q.assume, 'assume');

const isAdmin = (p: { role: Role }) => p.role === 'operator-admin';
/** The credential id of a (stored) credential response. */
const credentialIdOf = (b: unknown): string => {
  const id = (b as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '?';
};
const own = (p: { partyId: string | null }) => p.partyId ?? '';

/**
 * THE route table: every /v1 endpoint, its schemas, its access rule and its use case. The server,
 * the OpenAPI document and the authorisation matrix test are all derived from it.
 */
export const ROUTES: readonly AnyRoute[] = [
  // ── Parties ────────────────────────────────────────────────────────────────────────────────
  route<Record<string, never>, Record<string, never>, { party: unknown; publicKey: string }>({
    id: 'registerParty',
    method: 'POST',
    url: '/v1/parties',
    tag: 'parties',
    status: 201,
    records: true,
    summary: "Register a party with the public key it brings (the request is signed with that key's private half)",
    body: z
      .object({
        party: partySchema,
        publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a raw Ed25519 public key (32 bytes, base64url)'),
      })
      .strict(),
    response: z.looseObject({ party: obj, keyId: z.string(), seq: z.number().int() }),
    access: {
      roles: ['operator-admin'],
      owner: 'any',
      describe: 'operator admins register parties; the request is signed by the key being registered',
    },
    registering: (b) => ({ partyId: (b.party as { id: string }).id, publicKey: b.publicKey }),
    handle: ({ ctx, body }) => registerParty(ctx, body.party, { publicKey: body.publicKey }),
  }),
  route<{ id: string }>({
    id: 'getParty',
    method: 'GET',
    url: '/v1/parties/:id',
    tag: 'parties',
    records: false,
    summary: 'A registered party (directory information: name, country, sector, owners)',
    params: idParam,
    response: obj,
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe:
        'the party directory is readable by every authenticated caller (it names counterparties, not their records)',
    },
    handle: ({ ctx, params }) => getParty(ctx, params.id),
  }),
  route({
    id: 'listParties',
    method: 'GET',
    url: '/v1/parties',
    tag: 'parties',
    records: false,
    summary: 'Every registered party',
    response: z.array(obj),
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe: 'the party directory is readable by every authenticated caller',
    },
    handle: ({ ctx }) => listParties(ctx),
  }),

  route<{ id: string }>({
    id: 'listPartyKeys',
    method: 'GET',
    url: '/v1/parties/:id/keys',
    tag: 'parties',
    records: false,
    summary:
      "A party's signing keys with their validity windows (journal entries from / until), replacements and revocations",
    params: idParam,
    response: z.array(
      z.looseObject({
        keyId: z.string(),
        publicKey: z.string(),
        validFromSeq: z.number().int(),
        validUntilSeq: z.number().int().nullable(),
        inForce: z.boolean(),
      }),
    ),
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe: 'public keys are directory information, readable by every authenticated caller',
    },
    handle: ({ ctx, params }) => listPartyKeys(ctx, params.id),
  }),
  route<{ id: string }, Record<string, never>, { publicKey: string; proof: string }>({
    id: 'rotatePartyKey',
    method: 'POST',
    url: '/v1/parties/:id/keys/rotate',
    tag: 'parties',
    status: 201,
    records: true,
    summary:
      "The party replaces its signing key: the request is signed with the key in force (which this retires), the body brings the new public key and the new key's proof of possession (signKeyPossession); recorded as party.key.rotated",
    params: idParam,
    body: z
      .object({
        publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a raw Ed25519 public key (32 bytes, base64url)'),
        proof: z
          .string()
          .regex(
            /^[A-Za-z0-9_-]{86}$/,
            'must be a 64-byte Ed25519 signature (base64url) by the new key over the hand-over statement',
          ),
      })
      .strict(),
    response: z.object({ party: z.string(), previousKeyId: z.string(), keyId: z.string(), seq: z.number().int() }),
    access: {
      roles: ALL_PARTY_ROLES,
      owner: (_c, p, r) => r.params.id === own(p),
      describe:
        "the party itself; what authorises it is the request's signature by the party's key in force, not the credential's role",
    },
    handle: ({ ctx, params, body }) => rotateSigningKey(ctx, params.id, { bring: body }),
  }),
  route<{ id: string }, Record<string, never>, { keyId: string; reason: string; compromisedAt?: string | undefined }>({
    id: 'revokePartyKey',
    method: 'POST',
    url: '/v1/parties/:id/keys/revoke',
    tag: 'parties',
    status: 201,
    records: true,
    summary:
      'The party revokes one of its signing keys (with a reason, optionally the time it was compromised); from this journal entry on the key signs nothing. Revoking the key in force leaves the party without a key',
    params: idParam,
    body: z
      .object({
        keyId: z
          .string()
          .regex(/^ed25519:[A-Za-z0-9_-]{22}$/, 'must be a key id ("ed25519:" + 22 base64url characters)'),
        reason: z.string().trim().min(1).max(500),
        compromisedAt: z.iso.datetime().optional(),
      })
      .strict(),
    response: z.object({
      party: z.string(),
      keyId: z.string(),
      seq: z.number().int(),
      reason: z.string(),
      noKeyLeft: z.boolean(),
    }),
    access: {
      roles: ALL_PARTY_ROLES,
      owner: (_c, p, r) => r.params.id === own(p),
      describe: 'the party itself, on a request signed with its key in force',
    },
    handle: ({ ctx, params, body }) =>
      revokeSigningKey(ctx, params.id, body.keyId, {
        reason: body.reason,
        ...(body.compromisedAt === undefined ? {} : { compromisedAt: body.compromisedAt }),
      }),
  }),

  // ── Classification ─────────────────────────────────────────────────────────────────────────
  route<
    Record<string, never>,
    AssumeQuery,
    { item: unknown; asOf?: string | undefined; exportFrom?: string | undefined }
  >({
    id: 'evaluateClassification',
    method: 'POST',
    url: '/v1/classifications/evaluate',
    tag: 'classification',
    records: false,
    summary:
      'Classify an item against the rule packs, with the explanation, the assumptions (unverified facts) and inferences it rests on (nothing recorded)',
    query: assumeQuery.strict(),
    body: z.object({ item: itemSchema, asOf: z.iso.date().optional(), exportFrom: country.optional() }).strict(),
    response: z.looseObject({ item: obj, classification: obj }),
    access: { roles: TRADE, owner: 'any', describe: 'any trade party (nothing is recorded)' },
    handle: ({ ctx, query, body }) =>
      evaluateClassification(ctx.packs(), { ...body, readings: readingsOf(ctx, query) }, ctx.clock),
  }),
  route<
    Record<string, never>,
    AssumeQuery,
    { item: unknown; asOf?: string | undefined; exportFrom?: string | undefined; label?: string | undefined }
  >({
    id: 'recordClassification',
    method: 'POST',
    url: '/v1/classifications',
    tag: 'classification',
    status: 201,
    records: true,
    summary:
      'Classify an item and record the result (with its assumptions and any readings chosen with `assume`) in the journal, signed by the caller',
    query: assumeQuery.strict(),
    body: z
      .object({
        item: itemSchema,
        asOf: z.iso.date().optional(),
        exportFrom: country.optional(),
        label: z.string().min(1).max(200).optional(),
      })
      .strict(),
    response: z.looseObject({ id: z.string(), seq: z.number().int(), classification: obj }),
    access: { roles: HOLDERS, owner: 'any', describe: 'recorded as the caller' },
    handle: ({ ctx, party, query, body }) =>
      recordClassification(ctx, party, { ...body, readings: readingsOf(ctx, query) }),
  }),

  // ── Licensing ──────────────────────────────────────────────────────────────────────────────
  route<Record<string, never>, AssumeQuery, { applicant: string }>({
    id: 'submitApplication',
    method: 'POST',
    url: '/v1/applications',
    tag: 'licensing',
    status: 201,
    records: true,
    summary:
      'Apply for a licence: parties screened, items classified, certificate checked, policy evaluated — recorded with the application and the assumptions (unverified facts) the assessment rests on',
    query: assumeQuery.strict(),
    body: applicationSchema,
    response: z.looseObject({ id: z.string(), seq: z.number().int(), assessment: obj }),
    access: {
      roles: ['exporter'],
      owner: (_c, p, r) => r.body.applicant === own(p),
      describe: 'the applicant is the caller',
    },
    handle: ({ ctx, query, body }) => submitApplication(ctx, body, { readings: readingsOf(ctx, query) }),
  }),
  route<{ id: string }>({
    id: 'getApplication',
    method: 'GET',
    url: '/v1/applications/:id',
    tag: 'licensing',
    records: false,
    summary: 'An application with its assessment and decision',
    params: idParam,
    response: z.looseObject({ id: z.string(), status: z.string(), application: obj, assessment: obj }),
    access: {
      roles: TRADE,
      owner: (c, p, r) => partyToApplication(c, own(p), r.params.id),
      describe: 'applicant, authority, importer, end user or consignee',
    },
    handle: async ({ ctx, params }) => {
      const row = await applicationsRepo.get(ctx.store.db, params.id);
      if (!row) throw new AppError('NOT_FOUND', `no application "${params.id}"`);
      return {
        id: row.id,
        status: row.status,
        authority: row.authority,
        applicant: row.applicant,
        recommendation: row.recommendation,
        application: row.application,
        assessment: row.assessment,
        decision: row.decision,
        seq: row.seq,
      };
    },
  }),
  route<{ id: string }, ApplicationsQuery>({
    id: 'listAuthorityApplications',
    method: 'GET',
    url: '/v1/authorities/:id/applications',
    tag: 'licensing',
    records: false,
    summary:
      "An authority's applications (default: the pending ones, submitted or awaiting information; status=decided or all keeps decided ones findable), with party names, ownership facts and the certificate each relies on; searchable, sortable, paginated",
    params: idParam,
    query: applicationsQuery,
    headers: LIST_HEADERS,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'application, status, recommendation, applicant, importer, end user, destination, quantity (kg), certificate, countersigned by, submitted at',
    response: z.array(obj),
    access: {
      roles: ['licensing-authority'],
      owner: (_c, p, r) => r.params.id === own(p),
      describe: 'the authority itself',
    },
    handle: ({ ctx, params, query, headers }) => applicationsList(ctx, params.id, query, headers.accept),
  }),
  route<
    { id: string },
    Record<string, never>,
    | { decision: 'approve'; conditions: unknown }
    | { decision: 'deny'; reasons: string[] }
    | { decision: 'request-info'; questions: string[] }
  >({
    id: 'decideApplication',
    method: 'POST',
    url: '/v1/applications/:id/decision',
    tag: 'licensing',
    status: 201,
    records: true,
    summary:
      'The authority decides: approve with conditions (a licence is issued), deny with reasons, or ask for information',
    params: idParam,
    body: z.discriminatedUnion('decision', [
      z.object({ decision: z.literal('approve'), conditions: approvalSchema }).strict(),
      z.object({ decision: z.literal('deny'), reasons: z.array(z.string().min(1).max(2000)).min(1) }).strict(),
      z
        .object({ decision: z.literal('request-info'), questions: z.array(z.string().min(1).max(2000)).min(1) })
        .strict(),
    ]),
    response: z.looseObject({
      applicationId: z.string(),
      decision: z.enum(['approved', 'denied', 'info-requested']),
      licence: obj.optional(),
      seq: z.number().int(),
    }),
    access: {
      roles: ['licensing-authority'],
      owner: async (c, p, r) => {
        const row = await applicationsRepo.get(c.store.db, r.params.id);
        return row?.authority === own(p);
      },
      describe: "the application's authority",
    },
    handle: ({ ctx, party, params, body }) => decideApplication(ctx, party, params.id, body),
  }),
  route<{ id: string }>({
    id: 'getLicence',
    method: 'GET',
    url: '/v1/licences/:id',
    tag: 'licensing',
    records: false,
    summary: 'A licence with its status and balance per line',
    params: idParam,
    response: z.looseObject({ licence: obj, status: z.string(), balance: z.array(obj) }),
    access: {
      roles: TRADE,
      owner: (c, p, r) => partyToLicence(c, own(p), r.params.id),
      describe: 'authority, holder, importer, consignee, end user, or a holder of a lot carrying the licence',
    },
    handle: ({ ctx, params }) => getLicence(ctx, params.id),
  }),
  route<{ id: string }, { format?: 'json' | 'csv' | undefined }>({
    id: 'getMassBalance',
    method: 'GET',
    url: '/v1/licences/:id/mass-balance',
    tag: 'custody',
    records: false,
    summary: "Mass balance of a licence's material per holder and per lot (CSV with ?format=csv or Accept: text/csv)",
    params: idParam,
    query: massBalanceQuery,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'level (holder or lot), holder, lot, received, transformed in, shipped, transformed out, consumed, on hand, gap, in transit, short at receipt (kg)',
    response: z.looseObject({
      licenceId: z.string(),
      holders: z.array(obj),
      lots: z.array(obj),
      inTransitGrams: z.number().int(),
      receiptDiscrepancyGrams: z.number().int(),
    }),
    access: {
      roles: ['licensing-authority', 'exporter'],
      owner: async (c, p, r) =>
        (await isLicenceAuthority(c, own(p), r.params.id)) || (await mayReadAuditBundle(c, own(p), r.params.id)),
      describe: "the licence's authority or holder",
    },
    handle: ({ ctx, params, query, headers }) => massBalanceAnswer(ctx, params.id, query, headers.accept),
  }),
  route<{ id: string }>({
    id: 'getAuditBundle',
    method: 'GET',
    url: '/v1/licences/:id/audit-bundle',
    tag: 'audit',
    records: false,
    summary:
      "The licence's audit bundle: its records with inclusion proofs to one checkpoint (verify offline with `lodestone verify`)",
    params: idParam,
    response: z.looseObject({ format: z.string(), licence: z.string(), checkpoint: z.string(), entries: z.array(obj) }),
    access: {
      roles: ['licensing-authority', 'exporter', 'auditor'],
      owner: (c, p, r) => mayReadAuditBundle(c, own(p), r.params.id),
      describe: "the licence's authority or holder, or an auditor it was granted to",
    },
    handle: ({ ctx, params }) => exportAuditBundle(ctx, params.id),
  }),
  route<{ id: string }, Record<string, never>, { auditor: string }>({
    id: 'grantAuditor',
    method: 'POST',
    url: '/v1/licences/:id/auditor-grants',
    tag: 'audit',
    status: 201,
    records: false,
    summary: "Grant an auditor read access to a licence's audit bundle (operator state, not a journal record)",
    params: idParam,
    body: z.object({ auditor: z.string().min(1).max(80) }).strict(),
    response: z.object({ auditor: z.string(), licenceId: z.string(), grantedBy: z.string() }),
    access: {
      roles: ['licensing-authority', 'operator-admin'],
      owner: async (c, p, r) =>
        isAdmin(p)
          ? await getLicence(c, r.params.id).then(
              () => true,
              () => false,
            )
          : isLicenceAuthority(c, own(p), r.params.id),
      describe: "the licence's authority, or an operator admin",
    },
    handle: async ({ ctx, principal, params, body }) => {
      await getParty(ctx, body.auditor);
      const by = principal.partyId ?? `operator:${principal.credentialId}`;
      await auditorGrantsRepo.grant(ctx.store.db, body.auditor, params.id, by);
      return { auditor: body.auditor, licenceId: params.id, grantedBy: by };
    },
  }),

  // ── Certificates ───────────────────────────────────────────────────────────────────────────
  route<Record<string, never>, Record<string, never>, { endUser: string }>({
    id: 'issueCertificate',
    method: 'POST',
    url: '/v1/certificates',
    tag: 'certificates',
    status: 201,
    records: true,
    summary: 'The end user issues an end-user certificate (W3C VC, signed JWS)',
    body: certificateSubjectSchema,
    response: certOut,
    access: {
      roles: ['importer'],
      owner: (_c, p, r) => r.body.endUser === own(p),
      describe: 'the end user is the caller',
    },
    handle: ({ ctx, party, body }) => issueCertificate(ctx, party, body),
  }),
  route<Record<string, never>, Record<string, never>, { endUser: string }>({
    id: 'prepareCertificate',
    method: 'POST',
    url: '/v1/certificates/prepare',
    tag: 'certificates',
    status: 200,
    records: false,
    summary:
      'For an end user that keeps its own key: the unsigned certificate credential (with its revocation status-list entry) to sign as a JWS (kid: the DID URL of the end user key) and submit to /v1/certificates/signed (nothing recorded)',
    body: certificateSubjectSchema,
    response: z.looseObject({ id: z.string(), issuer: z.string(), credentialSubject: obj }),
    access: {
      roles: ['importer'],
      owner: (_c, p, r) => r.body.endUser === own(p),
      describe: 'the end user is the caller',
    },
    handle: ({ ctx, party, body }) => prepareCertificate(ctx, party, body),
  }),
  route<Record<string, never>, Record<string, never>, { jws: unknown }>({
    id: 'submitCertificate',
    method: 'POST',
    url: '/v1/certificates/signed',
    tag: 'certificates',
    status: 201,
    records: true,
    summary:
      "Record a certificate the end user signed with its own key (a JWS over the prepared credential: compact, flattened or general serialization; verified against the end user's registered key)",
    body: z.object({ jws: certificateJws }).strict(),
    response: certOut,
    access: { roles: ['importer'], owner: 'any', describe: "the credential's issuer must be the caller" },
    handle: ({ ctx, party, body }) => submitCertificate(ctx, party, body.jws),
  }),
  route<{ id: string }>({
    id: 'getCertificate',
    method: 'GET',
    url: '/v1/certificates/:id',
    tag: 'certificates',
    records: false,
    summary: 'A certificate as recorded',
    params: idParam,
    response: certOut,
    access: {
      roles: TRADE,
      owner: (c, p, r) => mayReadCertificate(c, p, r.params.id),
      describe:
        "issuer (end user), exporter, importer, countersigning government or consent authority, and a government that may countersign it (of the importer's country, or named for it by the trust list)",
    },
    handle: ({ ctx, params }) => getCertificate(ctx, params.id),
  }),
  route<
    { id: string },
    Record<string, never>,
    { signature?: { protected: string; signature: string } | undefined } | undefined
  >({
    id: 'countersignCertificate',
    method: 'POST',
    url: '/v1/certificates/:id/countersign',
    tag: 'certificates',
    status: 201,
    records: true,
    summary:
      "The importing government countersigns a certificate: with `signature`, its own JWS signature (protected header with its kid, EdDSA) over the certificate's payload; without, a key the server holds for it",
    params: idParam,
    body: z
      .object({
        signature: z
          .object({ protected: z.string().min(1).max(4096), signature: z.string().min(1).max(4096) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    response: certOut,
    access: {
      roles: ['importing-government'],
      owner: (c, p, r) => governmentOfImporter(c, own(p), r.params.id),
      describe:
        "a party of the importer's country, or one the trust list names for it; the use case refuses any the trust list in force does not name as countersigner for that country",
    },
    handle: ({ ctx, party, params, body }) => countersignCertificate(ctx, party, params.id, body?.signature),
  }),
  route<{ id: string }, Record<string, never>, { reason: string }>({
    id: 'revokeCertificate',
    method: 'POST',
    url: '/v1/certificates/:id/revoke',
    tag: 'certificates',
    status: 201,
    records: true,
    summary: 'Revoke a certificate',
    params: idParam,
    body: z.object({ reason: z.string().trim().min(1).max(500) }).strict(),
    response: certOut,
    access: {
      roles: ['importer', 'importing-government'],
      owner: (c, p, r) => mayRevokeCertificate(c, own(p), r.params.id),
      describe: 'its issuer or the government that countersigned it',
    },
    handle: ({ ctx, party, params, body }) => revokeCertificate(ctx, party, params.id, body.reason),
  }),
  route<{ id: string }, { asOf?: string | undefined }>({
    id: 'verifyRecordedCertificate',
    method: 'GET',
    url: '/v1/certificates/:id/verification',
    tag: 'certificates',
    records: false,
    summary: 'Verify a recorded certificate: signatures, revocation, validity',
    params: idParam,
    query: z.object({ asOf: z.iso.date().optional() }).strict(),
    response: reportOut,
    access: {
      roles: TRADE,
      owner: (c, p, r) => mayReadCertificate(c, p, r.params.id),
      describe: 'parties to the certificate, and a government that may countersign it',
    },
    handle: ({ ctx, params, query }) => verifyStoredCertificate(ctx, params.id, query.asOf),
  }),
  route<Record<string, never>, Record<string, never>, { jws: unknown; asOf?: string | undefined }>({
    id: 'verifyCertificate',
    method: 'POST',
    url: '/v1/certificates/verify',
    tag: 'certificates',
    records: false,
    summary: 'Verify a certificate JWS presented by the caller (compact, flattened or general serialization)',
    body: z.object({ jws: certificateJws, asOf: z.iso.date().optional() }).strict(),
    response: reportOut,
    access: { roles: TRADE, owner: 'any', describe: 'any trade party (it presents the credential)' },
    handle: ({ ctx, body }) => verifyCertificateJws(ctx, body.jws, body.asOf),
  }),

  // ── Custody ────────────────────────────────────────────────────────────────────────────────
  route<Record<string, never>, Record<string, never>, { holder: string }>({
    id: 'createLot',
    method: 'POST',
    url: '/v1/lots',
    tag: 'custody',
    status: 201,
    records: true,
    summary: 'Register a lot the caller holds',
    body: lotInputSchema,
    response: lotOut,
    access: { roles: HOLDERS, owner: (_c, p, r) => r.body.holder === own(p), describe: 'the holder is the caller' },
    handle: ({ ctx, party, body }) => createLot(ctx, party, body),
  }),
  route<Record<string, never>, LotsQuery>({
    id: 'listLots',
    method: 'GET',
    url: '/v1/lots',
    tag: 'custody',
    records: false,
    summary: "The caller's own lots: searchable, filterable (licence, location, restricted), sortable, paginated",
    query: lotsQuery,
    headers: LIST_HEADERS,
    requestHeaders: LIST_REQUEST_HEADERS,
    csv: 'lot, location, form, description, mass (kg), units, licences',
    response: z.array(lotOut),
    access: { roles: HOLDERS, owner: 'any', describe: 'own lots only' },
    handle: ({ ctx, party, query, headers }) => lotsList(ctx, party, query, headers.accept),
  }),
  route<{ id: string }>({
    id: 'listLicenceLots',
    method: 'GET',
    url: '/v1/licences/:id/lots',
    tag: 'custody',
    records: false,
    summary: "Every lot carrying a licence's restriction, wherever it is now (the licence's whole chain)",
    params: idParam,
    response: z.array(lotOut),
    access: {
      roles: ['licensing-authority'],
      owner: (c, p, r) => isLicenceAuthority(c, own(p), r.params.id),
      describe: "the licence's authority",
    },
    handle: ({ ctx, params }) => listLots(ctx, { licenceId: params.id }),
  }),
  route<{ id: string }>({
    id: 'getLot',
    method: 'GET',
    url: '/v1/lots/:id',
    tag: 'custody',
    records: false,
    summary: 'A lot with its restrictions and their chains',
    params: idParam,
    response: lotOut,
    access: {
      roles: [...HOLDERS, 'licensing-authority'],
      owner: (c, p, r) => partyToLot(c, own(p), r.params.id),
      describe: 'its holder, or the authority of a licence it carries',
    },
    handle: ({ ctx, params }) => getLot(ctx, params.id),
  }),
  route<Record<string, never>, Record<string, never>, { fromLot: string }>({
    id: 'dispatchShipment',
    method: 'POST',
    url: '/v1/shipments',
    tag: 'custody',
    status: 201,
    records: true,
    asksPeers: true,
    summary:
      'Ship part of a lot (under a licence, drawing it down; otherwise checked against every upstream undertaking); a refusal (422) explains each rule',
    body: shipmentInputSchema,
    response: z.looseObject({
      shipmentId: z.string(),
      seq: z.number().int(),
      checks: z.array(z.string()),
      restrictions: z.array(obj),
    }),
    access: {
      roles: HOLDERS,
      owner: (c, p, r) => holdsLot(c, own(p), r.body.fromLot),
      describe: 'the holder of the lot shipped from',
    },
    handle: ({ ctx, party, body }) => dispatchShipment(ctx, party, body),
  }),
  route<{ id: string }, Record<string, never>, { lotId: string; receivedGrams: number; units?: number | undefined }>({
    id: 'receiveShipment',
    method: 'POST',
    url: '/v1/shipments/:id/receipt',
    tag: 'custody',
    status: 201,
    records: true,
    summary: 'The consignee takes custody: a new lot with every restriction the shipment carried',
    params: idParam,
    body: receiptInputSchema.omit({ shipmentId: true }),
    response: z.looseObject({ lot: lotOut, discrepancyGrams: z.number().int(), seq: z.number().int() }),
    access: {
      roles: HOLDERS,
      owner: (c, p, r) => consigneeOf(c, own(p), r.params.id),
      describe: 'the consignee of the shipment',
    },
    handle: ({ ctx, party, params, body }) => receiveShipment(ctx, party, { shipmentId: params.id, ...body }),
  }),
  route<Record<string, never>, Record<string, never>, { inputs: { lotId: string }[] }>({
    id: 'transformLots',
    method: 'POST',
    url: '/v1/transformations',
    tag: 'custody',
    status: 201,
    records: true,
    summary: 'Turn input lots into output lots; restrictions follow by content share',
    body: transformInputSchema,
    response: z.looseObject({ outputs: z.array(lotOut), seq: z.number().int() }),
    access: {
      roles: HOLDERS,
      owner: async (c, p, r) =>
        (await Promise.all(r.body.inputs.map((i) => holdsLot(c, own(p), i.lotId)))).every(Boolean),
      describe: 'the holder of every input lot',
    },
    handle: ({ ctx, party, body }) => transformLots(ctx, party, body),
  }),
  route<Record<string, never>, Record<string, never>, { lotId: string }>({
    id: 'consumeLot',
    method: 'POST',
    url: '/v1/consumptions',
    tag: 'custody',
    status: 201,
    records: true,
    summary: 'Material used up where it is',
    body: consumeInputSchema,
    response: seqOut,
    access: {
      roles: HOLDERS,
      owner: (c, p, r) => holdsLot(c, own(p), r.body.lotId),
      describe: 'the holder of the lot',
    },
    handle: ({ ctx, party, body }) => consumeLot(ctx, party, body),
  }),
  route<Record<string, never>, Record<string, never>, { events: CustodyEventInput[] }>({
    id: 'ingestCustodyEvents',
    method: 'POST',
    url: '/v1/custody/events',
    tag: 'custody',
    status: 201,
    records: true,
    asksPeers: true,
    solo: true,
    summary:
      "Up to 1,000 custody events of the caller's in one transaction (lots, shipments, receipts, transformations, consumptions, each as its own route takes it): every check of every event, then all recorded with one checkpoint, or none — the first failure names its event (events[i])",
    body: z
      .object({
        events: z
          .array(
            z
              .object({
                kind: z.enum(['lot', 'shipment', 'receipt', 'transformation', 'consumption']),
                input: z.record(z.string(), z.unknown()),
              })
              .strict(),
          )
          .min(1)
          .max(1000),
      })
      .strict(),
    response: z.object({ events: z.array(obj) }),
    access: { roles: HOLDERS, owner: 'any', describe: 'each event acts as the caller (its lots, its shipments)' },
    handle: async ({ ctx, party, body }) => ({ events: await ingestCustodyEvents(ctx, party, body.events) }),
  }),
  route<
    Record<string, never>,
    { lot: string; to: string; destination: string; grams?: number | undefined } & AssumeQuery
  >({
    id: 'checkExport',
    method: 'GET',
    url: '/v1/export-check',
    tag: 'custody',
    records: false,
    summary:
      'May this lot go to this party in this country? Every upstream undertaking, the packs and screening, with the explanation and the assumptions it rests on (nothing recorded)',
    query: assumeQuery
      .extend({
        lot: z.string().min(1).max(200),
        to: z.string().min(1).max(80),
        destination: country,
        grams: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
      })
      .strict(),
    response: explanationOut,
    access: {
      roles: [...HOLDERS, 'licensing-authority'],
      owner: (c, p, r) => partyToLot(c, own(p), r.query.lot),
      describe: 'the holder of the lot, or the authority of a licence it carries',
    },
    handle: ({ ctx, query }) =>
      checkExport(ctx, {
        lotId: query.lot,
        to: query.to,
        destination: query.destination,
        readings: readingsOf(ctx, query),
        ...(query.grams === undefined ? {} : { grams: query.grams }),
      }),
  }),

  // ── EPCIS 2.0 ─────────────────────────────────────────────────────────────────────────────
  route<Record<string, never>, Record<string, never>, Record<string, unknown>>({
    id: 'captureEpcis',
    method: 'POST',
    url: '/v1/epcis/capture',
    tag: 'epcis',
    status: 201,
    records: true,
    asksPeers: true,
    bodyLimit: EPCIS_BODY_LIMIT,
    summary:
      'Capture an EPCIS 2.0 document (JSON / JSON-LD, up to 50 MB): validated against the official schema, custody events mapped onto the custody use cases, all or nothing',
    body: z
      .looseObject({ type: z.literal('EPCISDocument') })
      .describe('an EPCIS 2.0 EPCISDocument; validated in full against the EPCIS 2.0 JSON Schema'),
    response: z.looseObject({ events: z.array(obj), captured: z.number().int(), duplicates: z.number().int() }),
    access: {
      roles: HOLDERS,
      owner: 'any',
      describe: 'captured as the caller (its custody events act on lots it holds)',
    },
    handle: ({ ctx, party, body }) => captureEpcis(ctx, party, body),
  }),
  route<
    Record<string, never>,
    {
      eventType?: string | string[] | undefined;
      EQ_bizStep?: string | string[] | undefined;
      MATCH_epc?: string | string[] | undefined;
      MATCH_anyEPC?: string | string[] | undefined;
      GE_eventTime?: string | undefined;
      LT_eventTime?: string | undefined;
      EQ_bizLocation?: string | string[] | undefined;
      limit?: number | undefined;
    }
  >({
    id: 'queryEpcis',
    method: 'GET',
    url: '/v1/epcis/events',
    tag: 'epcis',
    records: false,
    summary: 'EPCIS query over the events the caller captured (EQ_/MATCH_/GE_/LT_ parameters of EPCIS 2.0 §8.2.7)',
    query: z
      .object({
        eventType: strOrList.optional(),
        EQ_bizStep: strOrList.optional(),
        MATCH_epc: strOrList.optional(),
        MATCH_anyEPC: strOrList.optional(),
        GE_eventTime: str.optional(),
        LT_eventTime: str.optional(),
        EQ_bizLocation: strOrList.optional(),
        limit: z.coerce.number().int().min(1).max(10_000).optional(),
      })
      .strict(),
    response: z.object({ events: z.array(obj) }),
    access: { roles: HOLDERS, owner: 'any', describe: "only the caller's own captured events are returned" },
    handle: ({ ctx, party, query }) => queryEpcis(ctx, query, { capturedBy: party }),
  }),
  route<{ id: string }>({
    id: 'exportEpcis',
    method: 'GET',
    url: '/v1/licences/:id/epcis',
    tag: 'epcis',
    records: false,
    summary: "A licence's custody chain as an EPCIS 2.0 document",
    params: idParam,
    response: z.looseObject({ type: z.literal('EPCISDocument') }),
    access: {
      roles: ['licensing-authority', 'exporter'],
      owner: (c, p, r) => authorityOrHolder(c, own(p), r.params.id),
      describe: "the licence's authority or holder",
    },
    handle: ({ ctx, params }) => exportEpcis(ctx, params.id),
  }),

  // ── Alerts and post-shipment reports ──────────────────────────────────────────────────────────
  route<{ id: string }, { severity?: string | undefined; status?: 'open' | 'resolved' | 'dismissed' | undefined }>({
    id: 'listLicenceAlerts',
    method: 'GET',
    url: '/v1/licences/:id/alerts',
    tag: 'alerts',
    records: false,
    summary: "A licence's diversion red-flag alerts with their evidence",
    params: idParam,
    query: z
      .object({
        severity: z.enum(['info', 'warning', 'high', 'critical']).optional(),
        status: z.enum(['open', 'resolved', 'dismissed']).optional(),
      })
      .strict(),
    response: z.array(obj),
    access: {
      roles: ['licensing-authority', 'exporter'],
      owner: (c, p, r) => authorityOrHolder(c, own(p), r.params.id),
      describe: "the licence's authority or holder",
    },
    handle: ({ ctx, params, query }) => listAlerts(ctx, { licenceId: params.id, ...query }),
  }),
  route<{ id: string }>({
    id: 'getAlert',
    method: 'GET',
    url: '/v1/alerts/:id',
    tag: 'alerts',
    records: false,
    summary: 'An alert with its explanation and evidence',
    params: idParam,
    response: z.looseObject({
      id: z.string(),
      rule: z.string(),
      severity: z.string(),
      explanation: z.string(),
      evidence: obj,
      status: z.enum(['open', 'resolved', 'dismissed']),
    }),
    access: {
      roles: ['licensing-authority', 'exporter', 'importer', 'downstream-holder'],
      owner: (c, p, r) => partyToAlert(c, own(p), r.params.id),
      describe:
        "the authority or holder of the alert's licence, a party the alert names, or a holder of a lot carrying the licence's restriction (read only: only the authority works an alert)",
    },
    handle: ({ ctx, params }) => getAlert(ctx, params.id),
  }),
  route<{ id: string }, Record<string, never>, { note: string }>({
    id: 'resolveAlert',
    method: 'POST',
    url: '/v1/alerts/:id/resolve',
    tag: 'alerts',
    status: 201,
    records: true,
    summary: 'The licensing authority resolves an alert with a note',
    params: idParam,
    body: z.object({ note: z.string().trim().min(1).max(2000) }).strict(),
    response: z.looseObject({ alert: obj, seq: z.number().int() }),
    access: {
      roles: ['licensing-authority'],
      owner: (c, p, r) => authorityOfAlert(c, own(p), r.params.id),
      describe: "the authority of the alert's licence",
    },
    handle: ({ ctx, party, params, body }) => resolveAlert(ctx, party, params.id, body.note),
  }),
  route<{ id: string }, Record<string, never>, { reason: string }>({
    id: 'dismissAlert',
    method: 'POST',
    url: '/v1/alerts/:id/dismiss',
    tag: 'alerts',
    status: 201,
    records: true,
    summary:
      'The licensing authority dismisses an alert as no concern, with the reason (journalled as alert.dismissed)',
    params: idParam,
    body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
    response: z.looseObject({ alert: obj, seq: z.number().int() }),
    access: {
      roles: ['licensing-authority'],
      owner: (c, p, r) => authorityOfAlert(c, own(p), r.params.id),
      describe: "the authority of the alert's licence",
    },
    handle: ({ ctx, party, params, body }) => dismissAlert(ctx, party, params.id, body.reason),
  }),
  route<{ id: string }, Record<string, never>, { assignee: string; note?: string | undefined }>({
    id: 'assignAlert',
    method: 'POST',
    url: '/v1/alerts/:id/assign',
    tag: 'alerts',
    status: 201,
    records: true,
    summary:
      'The licensing authority gives an open alert to a person to work (a name or e-mail; journalled as alert.assigned, a later assignment replaces it)',
    params: idParam,
    body: z
      .object({ assignee: z.string().trim().min(1).max(200), note: z.string().trim().min(1).max(2000).optional() })
      .strict(),
    response: z.looseObject({ alert: obj, seq: z.number().int() }),
    access: {
      roles: ['licensing-authority'],
      owner: (c, p, r) => authorityOfAlert(c, own(p), r.params.id),
      describe: "the authority of the alert's licence",
    },
    handle: ({ ctx, party, params, body }) => assignAlert(ctx, party, params.id, body.assignee, body.note),
  }),
  route<Record<string, never>, Record<string, never>, { licenceId: string; asOf?: string | undefined }>({
    id: 'scanAlerts',
    method: 'POST',
    url: '/v1/alerts/scan',
    tag: 'alerts',
    status: 201,
    records: true,
    summary: "Run every red-flag detector over one of the authority's licences and raise what is new",
    body: z.object({ licenceId: z.string().min(1).max(200), asOf: z.iso.date().optional() }).strict(),
    response: z.looseObject({ asOf: z.string(), findings: z.number().int() }),
    access: {
      roles: ['licensing-authority'],
      owner: (c, p, r) => isLicenceAuthority(c, own(p), r.body.licenceId),
      describe: "the licence's authority",
    },
    handle: ({ ctx, body }) => scanAlerts(ctx, body),
  }),
  route<Record<string, never>, Record<string, never>, { shipmentId: string }>({
    id: 'fileReport',
    method: 'POST',
    url: '/v1/reports',
    tag: 'alerts',
    status: 201,
    records: true,
    summary: 'The consignee or end user files its post-shipment (delivery verification) report',
    body: reportInputSchema,
    response: z.looseObject({ id: z.string(), seq: z.number().int(), shipmentId: z.string(), alerts: z.array(obj) }),
    access: {
      roles: HOLDERS,
      owner: (c, p, r) => mayReportOn(c, own(p), r.body.shipmentId),
      describe: 'the consignee of the shipment or the end user of its material',
    },
    handle: ({ ctx, party, body }) => fileReport(ctx, party, body),
  }),

  // ── Screening ──────────────────────────────────────────────────────────────────────────────
  route<
    { list: string },
    Record<string, never>,
    {
      format: string;
      text: string;
      alt?: string | undefined;
      add?: string | undefined;
      authority?: string | undefined;
      effect?: string | undefined;
      country?: string | undefined;
    }
  >({
    id: 'importList',
    method: 'POST',
    url: '/v1/lists/:list/snapshots',
    tag: 'screening',
    status: 201,
    records: true,
    summary:
      "Import a restricted-party list snapshot (the file's text) as the calling authority: effect deny or review only from a party the trust list in force names as licensing authority for `country` (refused otherwise: LIST_EFFECT_NOT_AUTHORITY, nothing written); the importing authority and the trust-list version are recorded in the journalled `list.imported`",
    // Real lists are megabytes (OFAC's sdn.csv about 4 MB, its alt.csv 0.6 MB, the UN's XML 2 MB),
    // more than the default 1 MB body; the route then runs in a transaction of its own, not in a group.
    bodyLimit: LIST_BODY_LIMIT,
    params: z.object({ list: z.string().min(1).max(63) }).strict(),
    body: z
      .object({
        format: z.string().min(1).max(20),
        text: z.string().min(1).describe('the list file: sdn.csv, the UN XML, FtM JSON lines or the plain CSV'),
        alt: z.string().min(1).optional().describe("OFAC's alt.csv (alternate names), with format sdn-csv"),
        add: z.string().min(1).optional().describe("OFAC's add.csv (addresses), with format sdn-csv"),
        authority: z.string().min(1).max(200).optional(),
        effect: z.string().min(1).max(20).optional(),
        country: z.string().min(2).max(2).optional(),
      })
      .strict(),
    response: z.looseObject({ status: z.string(), list: z.string(), effect: z.string() }),
    access: {
      roles: ['licensing-authority'],
      owner: 'any',
      describe: 'a licensing authority (deny and review: one the trust list names for the country)',
    },
    handle: ({ ctx, party, params, body }) =>
      importList(ctx, {
        list: params.list,
        actor: party,
        format: body.format,
        text: body.text,
        altText: body.alt,
        addText: body.add,
        authority: body.authority,
        effect: body.effect,
        country: body.country,
      }),
  }),
  route<
    Record<string, never>,
    Record<string, never>,
    { names: string[]; threshold?: number | undefined; country?: string | undefined; limit?: number | undefined }
  >({
    id: 'screenNames',
    method: 'POST',
    url: '/v1/screening',
    tag: 'screening',
    records: false,
    summary: 'Screen names against the restricted-party lists in force, with explained scores',
    body: z
      .object({
        names: z.array(z.string().min(1).max(300)).min(1).max(100),
        threshold: z.number().min(0).max(1).optional(),
        country: country.optional(),
        limit: z.number().int().min(1).max(50).optional(),
      })
      .strict(),
    response: z.array(z.looseObject({ query: z.string(), hits: z.array(obj) })),
    access: { roles: TRADE, owner: 'any', describe: 'any trade party' },
    handle: ({ ctx, body }) =>
      screenNames(ctx, body.names, {
        ...(body.threshold === undefined ? {} : { threshold: body.threshold }),
        ...(body.country === undefined ? {} : { country: body.country }),
        ...(body.limit === undefined ? {} : { limit: body.limit }),
      }),
  }),
  route<Record<string, never>, Record<string, never>, ReviewBody>({
    id: 'reviewScreeningHit',
    method: 'POST',
    url: '/v1/screening/reviews',
    tag: 'screening',
    status: 201,
    records: true,
    summary:
      'A licensing authority records its decision on one screening hit of a registered party (partyId) or a free-text name (name): false-positive (set aside, shown as reviewed, on later screenings of the same subject) or true-match (stays a hit and blocks as the policies say), with a reason',
    body: z
      .object({
        partyId: z.string().min(1).max(200).optional(),
        name: z.string().trim().min(1).max(300).optional(),
        list: z.string().min(1).max(63),
        entryId: z.string().min(1).max(200),
        decision: z.enum(REVIEW_DECISIONS),
        reason: z.string().trim().min(1).max(2000),
      })
      .strict(),
    response: z.looseObject({ review: obj, hit: obj }),
    access: { roles: ['licensing-authority'], owner: 'any', describe: 'a licensing authority on the trust list' },
    handle: ({ ctx, party, body }) => reviewScreeningHit(ctx, party, body),
  }),
  route<{ id: string }, Record<string, never>, Record<string, never>>({
    id: 'screenParty',
    method: 'GET',
    url: '/v1/screening/parties/:id',
    tag: 'screening',
    records: false,
    summary:
      "Screen a registered party now (name, aliases, identifiers, owners under the 50 % rule): its hits with their explanations, the hits set aside as reviewed false positives, and the history of reviewers' decisions",
    params: idParam,
    response: z.looseObject({ partyId: z.string(), hits: z.array(obj), reviews: z.array(obj) }),
    access: { roles: TRADE, owner: 'any', describe: 'any trade party (as screening a name is)' },
    handle: ({ ctx, params }) => screenParty(ctx, params.id),
  }),
  route<Record<string, never>, { partyId?: string | undefined; name?: string | undefined }, Record<string, never>>({
    id: 'listScreeningReviews',
    method: 'GET',
    url: '/v1/screening/reviews',
    tag: 'screening',
    records: false,
    summary: 'The decisions recorded on one party (partyId) or free-text name (name), newest first',
    query: z
      .object({ partyId: z.string().min(1).max(200).optional(), name: z.string().trim().min(1).max(300).optional() })
      .strict()
      .refine((q) => (q.partyId === undefined) !== (q.name === undefined), {
        message: 'give partyId or name (one of them)',
        path: ['partyId'],
      }),
    response: z.array(obj),
    access: { roles: TRADE, owner: 'any', describe: 'any trade party' },
    handle: ({ ctx, query }) =>
      screeningReviews(ctx, query.partyId !== undefined ? { partyId: query.partyId } : { name: query.name ?? '' }),
  }),
  route({
    id: 'listScreeningSnapshots',
    method: 'GET',
    url: '/v1/screening/snapshots',
    tag: 'screening',
    records: false,
    summary: 'The list snapshot in force for each restricted-party list',
    response: z.array(z.looseObject({ list: z.string(), sha256: z.string(), entries: z.number().int() })),
    access: { roles: TRADE, owner: 'any', describe: 'any trade party' },
    handle: ({ ctx }) => listSnapshots(ctx),
  }),

  // ── Federation ─────────────────────────────────────────────────────────────────────────────
  route({
    id: 'getFederationStatus',
    method: 'GET',
    url: '/v1/federation/status',
    tag: 'federation',
    records: false,
    summary:
      "This node's federation status (issue 24, docs/federation.md): its origin and how far it has published its log, and for each peer node the checkpoint size heard, mirrored, cosigned and applied, the replication lag (records heard but not yet applied here), the peer's last checkpoint this node cosigned (signed note with this node's cosignature), how far the peer's witness cosigned this node's log, and any split view recorded",
    response: z.object({
      origin: z.string(),
      journalSize: z.number().int(),
      publishedSeq: z.number().int(),
      publishedCheckpointSize: z.number().int(),
      peers: z.array(
        z.object({
          node: z.string(),
          origin: z.string(),
          countries: z.array(z.string()),
          heardSize: z.number().int(),
          heardAt: z.string().nullable(),
          mirrored: z.number().int(),
          cosignedSize: z.number().int(),
          cosigned: z.string().nullable().describe("the peer's checkpoint this node last cosigned (C2SP signed note)"),
          appliedSeq: z.number().int(),
          lag: z.number().int().describe('records the peer published that are not applied here yet'),
          cosignedOurs: z
            .number()
            .int()
            .describe("the size of this node's checkpoint the peer's witness last cosigned"),
          splitAlertSeq: z.number().int().nullable(),
          lastError: z.string().nullable(),
        }),
      ),
    }),
    access: {
      roles: ['operator-admin', 'licensing-authority', 'importing-government'],
      owner: 'any',
      describe:
        'operator admins and the authorities (licensing authorities and importing governments), who rely on the peers; trade parties and auditors get 403',
    },
    handle: ({ ctx }) => federationStatus(ctx),
  }),

  // ── Rule packs ─────────────────────────────────────────────────────────────────────────────
  route({
    id: 'listRulePacks',
    method: 'GET',
    url: '/v1/rule-packs',
    tag: 'classification',
    records: false,
    summary:
      'The rule packs in force (id, version, SHA-256), their unverified facts with the readings (the default is what answers assume unless `assume` says otherwise) and their inferred readings',
    response: z.array(
      z.looseObject({
        id: z.string(),
        version: z.string(),
        sha256: z.string(),
        facts: z.array(obj),
        inferences: z.array(obj),
      }),
    ),
    access: { roles: EVERYONE, owner: 'any', describe: 'every authenticated caller (the rules are public)' },
    handle: ({ ctx }) =>
      Promise.resolve(
        ctx.packs().map((p) => ({
          id: p.id,
          version: p.version,
          title: p.title,
          authority: p.authority,
          jurisdiction: p.jurisdiction,
          sha256: p.sha256,
          rules: p.rules.length,
          policies: p.policies.length,
          facts: p.facts.map((f) => ({
            id: f.id,
            question: f.question,
            default: f.default,
            readings: f.readings.map((r) => ({ id: r.id, meaning: r.meaning })),
            affects: f.affects,
          })),
          inferences: p.inferences.map((i) => ({
            id: i.id,
            statement: i.statement,
            alternative: i.alternative,
            entries: i.entries,
          })),
        })),
      ),
  }),

  // ── Trust list ─────────────────────────────────────────────────────────────────────────────
  route({
    id: 'getTrustList',
    method: 'GET',
    url: '/v1/trust-list',
    tag: 'log',
    records: false,
    summary:
      "The trust list in force: which parties may license exports from which country and countersign certificates for which country, signed with the operator's root key (changed only with that key, on the CLI)",
    response: z.looseObject({
      version: z.number().int(),
      seq: z.number().int(),
      recordHash: z.string(),
      previous: z.string().nullable(),
      root: z.looseObject({ keyId: z.string(), publicKey: z.string() }),
      entries: z.array(z.looseObject({ party: z.string(), role: z.string(), country: z.string() })),
      publishedAt: z.string(),
    }),
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe: 'every authenticated caller (who holds which role is public by design)',
    },
    handle: async ({ ctx }) => {
      const t = await getTrustList(ctx);
      if (t === undefined) throw new AppError('NOT_FOUND', 'no trust list has been published yet');
      return t;
    },
  }),

  // ── Transparency log ───────────────────────────────────────────────────────────────────────
  route({
    id: 'latestCheckpoint',
    method: 'GET',
    url: '/v1/log/checkpoint',
    tag: 'log',
    records: false,
    summary: "The log's latest signed checkpoint (C2SP signed note) with its witness cosignatures",
    response: z.object({
      size: z.number().int(),
      root: z.string(),
      note: z.string(),
      cosignatures: z.array(z.string()),
    }),
    access: {
      roles: EVERYONE,
      owner: 'any',
      describe: 'every authenticated caller (checkpoints are public by design)',
    },
    handle: async ({ ctx }) => {
      const c = await latestCheckpoint(ctx);
      if (c === undefined) throw new AppError('NOT_FOUND', 'the log has no checkpoint yet');
      return {
        size: c.checkpoint.size,
        root: Buffer.from(c.checkpoint.root).toString('base64'),
        note: c.body,
        cosignatures: await cosignaturesRepo.list(ctx.store.db, LOG_ID, c.checkpoint.size),
      };
    },
  }),
  route<Record<string, never>, Record<string, never>, { note: string }>({
    id: 'cosignCheckpoint',
    method: 'POST',
    url: '/v1/log/cosignatures',
    tag: 'log',
    status: 201,
    records: false,
    summary:
      "A witness submits its tlog-cosignature/v1 of a checkpoint (computed with its own key after its own consistency check); stored if it verifies against the witness's registered key and the checkpoint is the log's",
    body: z.object({ note: z.string().min(1).max(20_000) }).strict(),
    response: z.object({ size: z.number().int(), witness: z.string(), cosignature: z.string() }),
    access: { roles: ALL_PARTY_ROLES, owner: 'any', describe: 'any party, cosigning as itself' },
    handle: async ({ ctx, party, body }) => {
      let opened;
      const log = await logVerifier(ctx);
      try {
        opened = openCheckpoint(body.note, log);
      } catch (e) {
        throw new ValidationError('note', `not a checkpoint of ${log.name}: ${(e as Error).message}`);
      }
      const { note, checkpoint } = opened;
      const size = await logRepo.size(ctx.store.db);
      if (checkpoint.size > size || !hashesEqual(await logRepo.root(ctx.store.db, checkpoint.size), checkpoint.root))
        throw new AppError('FORBIDDEN', `the checkpoint at size ${checkpoint.size} is not the log's`);
      const keys = (await partyKeysRepo.listByParty(ctx.store.db, party)).filter((k) => k.valid_until_seq === null);
      for (const k of keys) {
        const verifier = { name: party, publicKey: k.public_key };
        const sig = findSignature(note, verifier, NOTE_ALG_COSIGNATURE_V1);
        if (sig === undefined) continue;
        try {
          verifyCosignature(note, verifier);
        } catch (e) {
          throw new ValidationError('note', (e as Error).message);
        }
        await ctx.store.transaction((tx) => cosignaturesRepo.add(tx, LOG_ID, checkpoint.size, party, sig.line));
        return { size: checkpoint.size, witness: party, cosignature: sig.line };
      }
      throw new ValidationError('note', `carries no cosignature by ${party} with a registered key`);
    },
  }),
  route<Record<string, never>, { index: number; size?: number | undefined }>({
    id: 'inclusionProof',
    method: 'GET',
    url: '/v1/log/proofs/inclusion',
    tag: 'log',
    records: false,
    summary: 'RFC 9162 inclusion proof of leaf `index` in the tree of `size` (default: the latest checkpoint)',
    query: z
      .object({
        index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        size: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
      })
      .strict(),
    response: z.object({ index: z.number().int(), size: z.number().int(), proof: z.array(z.string()) }),
    access: { roles: EVERYONE, owner: 'any', describe: 'every authenticated caller (a proof is hashes only)' },
    handle: async ({ ctx, query }) => {
      const size = query.size ?? (await latestCheckpoint(ctx))?.checkpoint.size ?? 0;
      const have = await logRepo.size(ctx.store.db);
      if (size > have || query.index >= size) throw new ValidationError('query.index', `needs index < size ≤ ${have}`);
      return {
        index: query.index,
        size,
        proof: (await logRepo.inclusionProof(ctx.store.db, query.index, size)).map((h) =>
          Buffer.from(h).toString('base64'),
        ),
      };
    },
  }),
  route<Record<string, never>, { from: number; to: number }>({
    id: 'consistencyProof',
    method: 'GET',
    url: '/v1/log/proofs/consistency',
    tag: 'log',
    records: false,
    summary: 'RFC 9162 consistency proof between two tree sizes',
    query: z
      .object({
        from: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
        to: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
      })
      .strict(),
    response: z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(z.string()) }),
    access: { roles: EVERYONE, owner: 'any', describe: 'every authenticated caller' },
    handle: async ({ ctx, query }) => {
      const have = await logRepo.size(ctx.store.db);
      if (query.from > query.to || query.to > have) throw new ValidationError('query.to', `needs from ≤ to ≤ ${have}`);
      return {
        from: query.from,
        to: query.to,
        proof: (await logRepo.consistencyProof(ctx.store.db, query.from, query.to)).map((h) =>
          Buffer.from(h).toString('base64'),
        ),
      };
    },
  }),

  // ── Credentials (operator state) ───────────────────────────────────────────────────────────
  route<
    Record<string, never>,
    Record<string, never>,
    { partyId?: string | undefined; role: Role; label?: string | undefined }
  >({
    id: 'issueCredential',
    method: 'POST',
    url: '/v1/credentials',
    tag: 'credentials',
    status: 201,
    records: false,
    summary:
      'Issue an API key (shown once). Operator admins issue any; a party issues more keys for itself, with its own role',
    body: z
      .object({
        partyId: z.string().min(1).max(80).optional(),
        role: z.enum(ROLES),
        label: z.string().min(1).max(200).optional(),
      })
      .strict(),
    response: issuedOut,
    access: {
      roles: EVERYONE,
      owner: (_c, p, r) => isAdmin(p) || r.body.partyId === p.partyId,
      describe:
        'operator admins; a party for itself, with its own role or a lower privilege (403 CREDENTIAL_PRIVILEGE otherwise; order in src/http/roles.ts)',
    },
    secret: {
      field: 'key',
      onReplay: (b) =>
        `credential ${credentialIdOf(b)} was issued by this request, but its key is shown only once and was not kept: rotate it (POST /v1/credentials/${credentialIdOf(b)}/rotate, a new Idempotency-Key) for a new key`,
    },
    handle: ({ ctx, principal, body }) => issueCredential(ctx, body, principal),
  }),
  route({
    id: 'listCredentials',
    method: 'GET',
    url: '/v1/credentials',
    tag: 'credentials',
    records: false,
    summary: 'Credentials (never their keys): all for operator admins, own party for others',
    response: z.array(credentialOut),
    access: { roles: EVERYONE, owner: 'any', describe: 'operator admins see all; a party sees its own' },
    handle: ({ ctx, principal }) =>
      principal.partyId === null ? listCredentials(ctx) : listCredentials(ctx, { partyId: principal.partyId }),
  }),
  route<{ id: string }>({
    id: 'rotateCredential',
    method: 'POST',
    url: '/v1/credentials/:id/rotate',
    tag: 'credentials',
    status: 201,
    records: false,
    summary: 'A new key for the credential (shown once); the old key stops working at once',
    params: idParam,
    response: issuedOut,
    access: {
      roles: EVERYONE,
      owner: async (c, p, r) => {
        const cr = await getCredential(c, r.params.id);
        return cr !== undefined && (isAdmin(p) || cr.partyId === p.partyId);
      },
      describe:
        'operator admins; a party for its own credentials of its own role or a lower privilege (403 CREDENTIAL_PRIVILEGE otherwise); the credential keeps its own role',
    },
    secret: {
      field: 'key',
      onReplay: (b) =>
        `credential ${credentialIdOf(b)} was rotated by this request, but its new key is shown only once and was not kept: rotate it again (a new Idempotency-Key) for another`,
    },
    handle: ({ ctx, principal, params }) => rotateCredential(ctx, params.id, principal),
  }),
  route<{ id: string }>({
    id: 'revokeCredential',
    method: 'POST',
    url: '/v1/credentials/:id/revoke',
    tag: 'credentials',
    status: 201,
    records: false,
    summary: 'Revoke a credential',
    params: idParam,
    response: credentialOut,
    access: {
      roles: EVERYONE,
      owner: async (c, p, r) => {
        const cr = await getCredential(c, r.params.id);
        return cr !== undefined && (isAdmin(p) || cr.partyId === p.partyId);
      },
      describe:
        'operator admins; a party for its own credentials of its own role or a lower privilege (403 CREDENTIAL_PRIVILEGE otherwise)',
    },
    handle: ({ ctx, principal, params }) => revokeCredential(ctx, params.id, principal),
  }),
];
