/** One request per route for the matrix and the fuzzer: `build` makes it for a given owner (creating what it needs). */
import {
  captureEpcisJob,
  dispatchShipment,
  issueCertificate,
  countersignCertificate,
  latestCheckpoint,
  prepareCertificate,
  submitApplication,
  type AppContext,
} from '../../src/app/index.js';
import { issueCredential, ROLES, type Role } from '../../src/http/index.js';
import {
  cosignNote,
  formatNote,
  generateKeyPair,
  importPrivateKey,
  parseNote,
  signCredential,
  signerFromPem,
  signKeyPossession,
  signRequest,
} from '../../src/trust/index.js';
import {
  AUDITOR,
  AUTHORITY,
  KEY_REVOKING,
  KEY_ROTATING,
  applicationBody,
  freshAlert,
  certificateBody,
  DEFAULT_PARTY,
  EXPORTER,
  fresh,
  GOVERNMENT,
  HOLDER,
  IMPORTER,
  magnet,
  type Fixture,
} from './fixture.js';
import { clock, TODAY } from './support.js';

export interface Req {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly signature?: string;
}

type Build = (fx: Fixture, ctx: AppContext, owner: string | null, role: Role) => Promise<Req> | Req;

export interface Case {
  /** For each role: the party that owns what `build` names (absent: no party of that role is party to it). */
  readonly owners: Partial<Record<Role, string | null>>;
  readonly build: Build;
}

const enc = encodeURIComponent;
const lotOf = (fx: Fixture, owner: string | null): string =>
  owner === EXPORTER ? fx.lots.magnets : owner === HOLDER ? fx.lots.held : fx.lots.imported;
const any = (...roles: Role[]): Partial<Record<Role, string | null>> =>
  Object.fromEntries(roles.map((r) => [r, DEFAULT_PARTY[r]]));
const TRADE: Role[] = ['exporter', 'licensing-authority', 'importer', 'importing-government', 'downstream-holder'];
const HOLDERS: Role[] = ['exporter', 'importer', 'downstream-holder'];

const epcisDoc = (owner: string | null) => {
  const lot = fresh('E').replace(/[^A-Za-z0-9]/g, '');
  return {
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { lodestone: 'urn:lodestone:epcis:' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-11-24T09:00:00Z',
    epcisBody: {
      eventList: [
        {
          type: 'ObjectEvent',
          eventTime: '2026-11-24T08:00:00+00:00',
          eventTimeZoneOffset: '+00:00',
          quantityList: [{ epcClass: `urn:epc:class:lgtin:4012345.012345.${lot}`, quantity: 1, uom: 'KGM' }],
          action: 'ADD',
          bizStep: 'commissioning',
          ilmd: { 'lodestone:item': magnet, 'lodestone:location': owner === EXPORTER ? 'CN' : 'IN' },
        },
      ],
    },
  };
};

/** The signing-key routes act on parties of their own, so rotating or revoking their keys leaves every other case alone. */
const ROTATING = KEY_ROTATING;
const REVOKING = KEY_REVOKING;

export const CASES: Record<string, Case> = {
  listPartyKeys: { owners: any(...ROLES), build: () => ({ method: 'GET', url: `/v1/parties/${EXPORTER}/keys` }) },
  rotatePartyKey: {
    owners: { exporter: ROTATING },
    build: (_fx, ctx) => {
      const party = ROTATING;
      const next = generateKeyPair();
      return {
        method: 'POST',
        url: `/v1/parties/${party}/keys/rotate`,
        body: {
          publicKey: next.publicKey,
          proof: signKeyPossession(signerFromPem(next.privateKeyPem), {
            party,
            previousKeyId: ctx.keystore.get(party).keyId,
          }),
        },
      };
    },
  },
  revokePartyKey: {
    owners: { exporter: REVOKING },
    build: (_fx, ctx) => {
      const party = REVOKING;
      return {
        method: 'POST',
        url: `/v1/parties/${party}/keys/revoke`,
        body: { keyId: ctx.keystore.get(party).keyId, reason: 'key file copied to a lost laptop' },
      };
    },
  },
  captureEpcis: {
    owners: any(...HOLDERS),
    build: (_fx, _c, owner) => ({ method: 'POST', url: '/v1/epcis/capture', body: epcisDoc(owner) }),
  },
  queryEpcis: {
    owners: any(...HOLDERS),
    build: () => ({ method: 'GET', url: '/v1/epcis/events?EQ_bizStep=commissioning' }),
  },
  epcisEvents: {
    owners: any(...HOLDERS),
    build: () => ({ method: 'GET', url: '/epcis/events?EQ_bizStep=commissioning&perPage=5' }),
  },
  epcisEventsOfType: {
    owners: any(...HOLDERS),
    build: () => ({ method: 'GET', url: '/epcis/eventTypes/ObjectEvent/events' }),
  },
  epcisEventTypes: { owners: any(...HOLDERS), build: () => ({ method: 'GET', url: '/epcis/eventTypes' }) },
  epcisCapture: {
    owners: any(...HOLDERS),
    build: (_fx, _c, owner) => ({ method: 'POST', url: '/epcis/capture', body: epcisDoc(owner) }),
  },
  epcisCaptureJobs: { owners: any(...HOLDERS), build: () => ({ method: 'GET', url: '/epcis/capture?perPage=2' }) },
  epcisCaptureJob: {
    owners: any(...HOLDERS),
    build: async (_fx, ctx, owner) => {
      const observed = {
        type: 'ObjectEvent',
        eventTime: '2026-11-24T08:00:00+00:00',
        eventTimeZoneOffset: '+00:00',
        epcList: [`urn:epc:id:sgtin:4012345.012345.${fresh('J').replace(/[^A-Za-z0-9]/g, '')}`],
        action: 'OBSERVE',
        bizStep: 'inspecting',
      };
      const job = await captureEpcisJob(
        ctx,
        owner ?? '',
        { ...epcisDoc(owner), epcisBody: { eventList: [observed] } },
        (e) => e.message,
      );
      return { method: 'GET', url: `/epcis/capture/${job.captureID}` };
    },
  },
  exportEpcis: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}/epcis` }),
  },
  listLicenceAlerts: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}/alerts?status=open` }),
  },
  getAlert: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/alerts/${fx.alertId}` }),
  },
  resolveAlert: {
    owners: { 'licensing-authority': AUTHORITY },
    build: async (fx, ctx) => ({
      method: 'POST',
      url: `/v1/alerts/${await freshAlert(ctx, fx)}/resolve`,
      body: { note: 'report received by e-mail' },
    }),
  },
  dismissAlert: {
    owners: { 'licensing-authority': AUTHORITY },
    build: async (fx, ctx) => ({
      method: 'POST',
      url: `/v1/alerts/${await freshAlert(ctx, fx)}/dismiss`,
      body: { reason: 'report received by post' },
    }),
  },
  assignAlert: {
    owners: { 'licensing-authority': AUTHORITY },
    build: async (fx, ctx) => ({
      method: 'POST',
      url: `/v1/alerts/${await freshAlert(ctx, fx)}/assign`,
      body: { assignee: 'Wang Li' },
    }),
  },
  scanAlerts: {
    owners: { 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'POST', url: '/v1/alerts/scan', body: { licenceId: fx.licenceId, asOf: TODAY } }),
  },
  fileReport: {
    owners: { importer: IMPORTER, 'downstream-holder': HOLDER },
    build: async (fx, ctx, owner) => {
      const id = fresh('S');
      if (owner === HOLDER)
        await dispatchShipment(ctx, IMPORTER, { id, fromLot: fx.lots.motors, to: HOLDER, destination: 'IN', grams: 1 });
      else
        await dispatchShipment(ctx, EXPORTER, {
          id,
          fromLot: fx.lots.magnets,
          to: IMPORTER,
          destination: 'IN',
          grams: 1,
          value: { currency: 'USD', minor: 8 },
          licenceId: fx.licenceId,
          lineRef: 'L1',
        });
      return {
        method: 'POST',
        url: '/v1/reports',
        body: { shipmentId: id, receivedGrams: 1, location: 'IN', date: '2026-11-24' },
      };
    },
  },

  registerParty: {
    owners: { 'operator-admin': null },
    build: () => {
      const k = generateKeyPair();
      const raw = JSON.stringify({
        party: { id: fresh('p'), name: 'New Party', country: 'IN', sector: 'other' },
        publicKey: k.publicKey,
      });
      return {
        method: 'POST',
        url: '/v1/parties',
        raw,
        signature: signRequest(signerFromPem(k.privateKeyPem), {
          method: 'POST',
          path: '/v1/parties',
          body: raw,
          now: clock(),
        }),
      };
    },
  },
  getParty: { owners: any(...ROLES), build: () => ({ method: 'GET', url: `/v1/parties/${EXPORTER}` }) },
  listParties: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/parties' }) },
  evaluateClassification: {
    owners: any(...TRADE),
    build: () => ({ method: 'POST', url: '/v1/classifications/evaluate', body: { item: magnet, exportFrom: 'CN' } }),
  },
  recordClassification: {
    owners: any(...HOLDERS),
    build: () => ({ method: 'POST', url: '/v1/classifications', body: { item: magnet, exportFrom: 'CN' } }),
  },
  submitApplication: {
    owners: { exporter: EXPORTER },
    build: () => ({ method: 'POST', url: '/v1/applications', body: applicationBody() }),
  },
  getApplication: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY, importer: IMPORTER },
    build: (fx) => ({ method: 'GET', url: `/v1/applications/${fx.applicationId}` }),
  },
  listAuthorityApplications: {
    owners: { 'licensing-authority': AUTHORITY },
    build: () => ({ method: 'GET', url: `/v1/authorities/${AUTHORITY}/applications` }),
  },
  decideApplication: {
    owners: { 'licensing-authority': AUTHORITY },
    build: async (_fx, ctx) => {
      const a = await submitApplication(ctx, applicationBody());
      return {
        method: 'POST',
        url: `/v1/applications/${a.id}/decision`,
        body: { decision: 'deny', reasons: ['matrix test'] },
      };
    },
  },
  getLicence: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY, importer: IMPORTER, 'downstream-holder': HOLDER },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}` }),
  },
  getMassBalance: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}/mass-balance` }),
  },
  listLicenceLots: {
    owners: { 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}/lots` }),
  },
  getAuditBundle: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY, auditor: AUDITOR },
    build: (fx) => ({ method: 'GET', url: `/v1/licences/${fx.licenceId}/audit-bundle` }),
  },
  grantAuditor: {
    owners: { 'licensing-authority': AUTHORITY, 'operator-admin': null },
    build: (fx) => ({ method: 'POST', url: `/v1/licences/${fx.licenceId}/auditor-grants`, body: { auditor: AUDITOR } }),
  },
  issueCertificate: {
    owners: { importer: IMPORTER },
    build: () => ({ method: 'POST', url: '/v1/certificates', body: certificateBody() }),
  },
  prepareCertificate: {
    owners: { importer: IMPORTER },
    build: () => ({ method: 'POST', url: '/v1/certificates/prepare', body: certificateBody() }),
  },
  submitCertificate: {
    owners: { importer: IMPORTER },
    build: async (_fx, ctx) => ({
      method: 'POST',
      url: '/v1/certificates/signed',
      body: {
        jws: await signCredential(
          await prepareCertificate(ctx, IMPORTER, certificateBody()),
          ctx.keystore.signer(IMPORTER),
        ),
      },
    }),
  },
  getCertificate: {
    owners: {
      exporter: EXPORTER,
      'licensing-authority': AUTHORITY,
      importer: IMPORTER,
      'importing-government': GOVERNMENT,
    },
    build: (fx) => ({ method: 'GET', url: `/v1/certificates/${enc(fx.certificateId)}` }),
  },
  countersignCertificate: {
    owners: { 'importing-government': GOVERNMENT },
    build: async (_fx, ctx) => ({
      method: 'POST',
      url: `/v1/certificates/${enc((await issueCertificate(ctx, IMPORTER, certificateBody())).id)}/countersign`,
    }),
  },
  revokeCertificate: {
    owners: { importer: IMPORTER, 'importing-government': GOVERNMENT },
    build: async (_fx, ctx, owner) => {
      const c = await issueCertificate(ctx, IMPORTER, certificateBody());
      if (owner === GOVERNMENT) await countersignCertificate(ctx, GOVERNMENT, c.id);
      return { method: 'POST', url: `/v1/certificates/${enc(c.id)}/revoke`, body: { reason: 'matrix test' } };
    },
  },
  verifyRecordedCertificate: {
    owners: {
      exporter: EXPORTER,
      'licensing-authority': AUTHORITY,
      importer: IMPORTER,
      'importing-government': GOVERNMENT,
    },
    build: (fx) => ({ method: 'GET', url: `/v1/certificates/${enc(fx.certificateId)}/verification` }),
  },
  verifyCertificate: {
    owners: any(...TRADE),
    build: (fx) => ({ method: 'POST', url: '/v1/certificates/verify', body: { jws: fx.certificateJws } }),
  },
  createLot: {
    owners: any(...HOLDERS),
    build: (_fx, _ctx, owner) => ({
      method: 'POST',
      url: '/v1/lots',
      body: { id: fresh('L'), holder: owner, location: owner === EXPORTER ? 'CN' : 'IN', item: magnet, massGrams: 10 },
    }),
  },
  ingestCustodyEvents: {
    owners: any(...HOLDERS),
    build: (_fx, _ctx, owner) => {
      const lot = () => ({
        kind: 'lot',
        input: {
          id: fresh('B'),
          holder: owner,
          location: owner === EXPORTER ? 'CN' : 'IN',
          item: magnet,
          massGrams: 10,
        },
      });
      return { method: 'POST', url: '/v1/custody/events', body: { events: [lot(), lot()] } };
    },
  },
  listLots: { owners: any(...HOLDERS), build: () => ({ method: 'GET', url: '/v1/lots' }) },
  getLot: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER, 'licensing-authority': AUTHORITY },
    build: (fx, _c, owner) => ({ method: 'GET', url: `/v1/lots/${lotOf(fx, owner)}` }),
  },
  dispatchShipment: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER },
    build: (fx, _c, owner) => ({
      method: 'POST',
      url: '/v1/shipments',
      body:
        owner === EXPORTER
          ? {
              id: fresh('S'),
              fromLot: fx.lots.magnets,
              to: IMPORTER,
              destination: 'IN',
              grams: 1,
              value: { currency: 'USD', minor: 8 },
              licenceId: fx.licenceId,
              lineRef: 'L1',
            }
          : {
              id: fresh('S'),
              fromLot: owner === HOLDER ? fx.lots.held : fx.lots.motors,
              to: owner === HOLDER ? IMPORTER : HOLDER,
              destination: 'IN',
              grams: 1,
            },
    }),
  },
  receiveShipment: {
    owners: { importer: IMPORTER, 'downstream-holder': HOLDER },
    build: async (fx, ctx, owner) => {
      const id = fresh('S');
      if (owner === HOLDER)
        await dispatchShipment(ctx, IMPORTER, { id, fromLot: fx.lots.motors, to: HOLDER, destination: 'IN', grams: 1 });
      else
        await dispatchShipment(ctx, EXPORTER, {
          id,
          fromLot: fx.lots.magnets,
          to: IMPORTER,
          destination: 'IN',
          grams: 1,
          value: { currency: 'USD', minor: 8 },
          licenceId: fx.licenceId,
          lineRef: 'L1',
        });
      return { method: 'POST', url: `/v1/shipments/${id}/receipt`, body: { lotId: fresh('R'), receivedGrams: 1 } };
    },
  },
  transformLots: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER },
    build: (fx, _c, owner) => {
      const from = lotOf(fx, owner);
      return {
        method: 'POST',
        url: '/v1/transformations',
        body: {
          id: fresh('T'),
          inputs: [{ lotId: from, grams: 1 }],
          outputs: [{ lotId: fresh('O'), item: magnet, massGrams: 1, embodies: [{ lotId: from, grams: 1 }] }],
        },
      };
    },
  },
  consumeLot: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER },
    build: (fx, _c, owner) => ({
      method: 'POST',
      url: '/v1/consumptions',
      body: { lotId: lotOf(fx, owner), grams: 1, purpose: 'matrix test' },
    }),
  },
  checkExport: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER, 'licensing-authority': AUTHORITY },
    build: (fx, _c, owner) => ({
      method: 'GET',
      url: `/v1/export-check?lot=${lotOf(fx, owner)}&to=lakeshore-ev&destination=US`,
    }),
  },
  screenNames: {
    owners: any(...TRADE),
    build: () => ({ method: 'POST', url: '/v1/screening', body: { names: ['Red Mesa Defense'] } }),
  },
  listScreeningSnapshots: { owners: any(...TRADE), build: () => ({ method: 'GET', url: '/v1/screening/snapshots' }) },
  importList: {
    owners: any('licensing-authority'),
    build: () => ({
      method: 'POST',
      url: `/v1/lists/${fresh('matrix').toLowerCase()}/snapshots`,
      body: {
        format: 'csv',
        text: 'name,aliases,country,type,list,id\nMatrix Trading FZE,,AE,entity,Matrix list,MX-1\n',
      },
    }),
  },
  reviewScreeningHit: {
    owners: { 'licensing-authority': AUTHORITY },
    build: () => ({
      method: 'POST',
      url: '/v1/screening/reviews',
      body: {
        name: 'Red Mesa Defense',
        list: 'cn-control-list',
        entryId: 'DEMO-CL-001',
        decision: 'true-match',
        reason: 'the listed company (matrix test)',
      },
    }),
  },
  screenParty: { owners: any(...TRADE), build: () => ({ method: 'GET', url: `/v1/screening/parties/${IMPORTER}` }) },
  listScreeningReviews: {
    owners: any(...TRADE),
    build: () => ({ method: 'GET', url: `/v1/screening/reviews?name=${enc('Red Mesa Defense')}` }),
  },
  latestCheckpoint: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/log/checkpoint' }) },
  getFederationStatus: {
    owners: any('operator-admin', 'licensing-authority', 'importing-government'),
    build: () => ({ method: 'GET', url: '/v1/federation/status' }),
  },
  listRulePacks: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/rule-packs' }) },
  getTrustList: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/trust-list' }) },
  cosignCheckpoint: {
    owners: any('exporter', 'licensing-authority', 'importer', 'importing-government', 'downstream-holder', 'auditor'),
    build: async (_fx, ctx, owner) => {
      const cp = await latestCheckpoint(ctx);
      const note = parseNote(cp?.body ?? '');
      const party = owner ?? EXPORTER;
      const key = ctx.keystore.get(party);
      const cosig = cosignNote(
        note.text,
        party,
        importPrivateKey(key.privateKeyPem),
        key.publicKey,
        Math.floor(clock().getTime() / 1000),
      );
      return {
        method: 'POST',
        url: '/v1/log/cosignatures',
        body: { note: formatNote({ text: note.text, signatures: [...note.signatures, cosig] }) },
      };
    },
  },
  inclusionProof: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/log/proofs/inclusion?index=0' }) },
  consistencyProof: {
    owners: any(...ROLES),
    build: () => ({ method: 'GET', url: '/v1/log/proofs/consistency?from=1&to=2' }),
  },
  issueCredential: {
    owners: any(...ROLES),
    build: (_fx, _c, owner, role) => ({
      method: 'POST',
      url: '/v1/credentials',
      body: role === 'operator-admin' ? { role } : { partyId: owner, role },
    }),
  },
  listCredentials: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/credentials' }) },
  rotateCredential: {
    owners: any(...ROLES),
    build: async (_fx, ctx, owner, role) => ({
      method: 'POST',
      url: `/v1/credentials/${(await issueCredential(ctx, { partyId: owner ?? undefined, role })).id}/rotate`,
    }),
  },
  revokeCredential: {
    owners: any(...ROLES),
    build: async (_fx, ctx, owner, role) => ({
      method: 'POST',
      url: `/v1/credentials/${(await issueCredential(ctx, { partyId: owner ?? undefined, role })).id}/revoke`,
    }),
  },
  // The web console's read-only routes (src/http/console-routes.ts).
  consoleMe: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/console/me' }) },
  consoleKeys: { owners: any(...ROLES), build: () => ({ method: 'GET', url: '/v1/console/keys' }) },
  consoleLicences: { owners: any(...TRADE), build: () => ({ method: 'GET', url: '/v1/console/licences' }) },
  consoleLicenceActivity: {
    owners: { exporter: EXPORTER, 'licensing-authority': AUTHORITY },
    build: (fx) => ({ method: 'GET', url: `/v1/console/licences/${fx.licenceId}/activity` }),
  },
  consoleAlerts: {
    owners: { 'licensing-authority': AUTHORITY },
    build: () => ({ method: 'GET', url: '/v1/console/alerts' }),
  },
  consoleHoldings: {
    owners: { exporter: EXPORTER, importer: IMPORTER, 'downstream-holder': HOLDER },
    build: () => ({ method: 'GET', url: '/v1/console/holdings' }),
  },
  consoleCertificates: { owners: any(...TRADE), build: () => ({ method: 'GET', url: '/v1/console/certificates' }) },
};
