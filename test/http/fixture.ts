/**
 * The state the authorisation matrix and the fuzzer run against, built with the use cases directly
 * (faster than over HTTP): the scenario's parties plus a non-owner party for every role, a
 * countersigned certificate, a licence, its magnets shipped to the importer, part of them made into
 * motors sold to a downstream holder, and an auditor granted the licence's bundle.
 */
import {
  countersignCertificate,
  createLot,
  decideApplication,
  dispatchShipment,
  issueCertificate,
  listAlerts,
  receiveShipment,
  scanAlerts,
  registerParty,
  submitApplication,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import { auditorGrantsRepo } from '../../src/store/index.js';
import type { Role } from '../../src/http/index.js';
import {
  applicationInput,
  AUTHORITY,
  certificateInput,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  lotInput,
  shipmentInput,
} from '../../src/app/scenario.js';
import { magnet, motor } from '../support/scenario.js';
import { TODAY } from './support.js';

export { AUTHORITY, END_USE as endUse, EXPORTER, GOVERNMENT, IMPORTER } from '../../src/app/scenario.js';
export { magnet, motor };

export const HOLDER = 'deccan-mobility';
export const AUDITOR = 'audit-partners';
export const KEY_ROTATING = 'key-rotating-party';
export const KEY_REVOKING = 'key-revoking-party';

/** The party each role acts as by default (the owner of the fixture's records where it has one). */
export const DEFAULT_PARTY: Readonly<Record<Role, string | null>> = {
  exporter: EXPORTER,
  'licensing-authority': AUTHORITY,
  importer: IMPORTER,
  'importing-government': GOVERNMENT,
  'downstream-holder': HOLDER,
  auditor: AUDITOR,
  'operator-admin': null,
};

/** For every party role, a party of that role that is party to none of the fixture's records. */
export const OTHER_PARTY: Readonly<Record<Exclude<Role, 'operator-admin'>, string>> = {
  exporter: 'other-exporter',
  'licensing-authority': 'other-authority',
  importer: 'other-importer',
  'importing-government': 'other-government',
  'downstream-holder': 'other-holder',
  auditor: 'other-auditor',
};

const OTHERS = [
  { id: 'other-exporter', name: 'Baotou Other Magnet Works', country: 'CN', sector: 'magnet-manufacturing' },
  { id: 'other-authority', name: 'Other Licensing Office', country: 'JP', sector: 'government' },
  { id: 'other-importer', name: 'Other Motors Pvt Ltd', country: 'IN', sector: 'automotive' },
  { id: 'other-government', name: 'Other Ministry of Trade', country: 'JP', sector: 'government' },
  { id: 'other-holder', name: 'Other Scooters Ltd', country: 'IN', sector: 'automotive' },
  { id: 'other-auditor', name: 'Other Audit LLP', country: 'IN', sector: 'other' },
  { id: AUDITOR, name: 'Audit Partners India', country: 'IN', sector: 'other' },
  // Parties whose signing keys the key routes rotate and revoke (party to nothing else).
  { id: KEY_ROTATING, name: 'Key Rotation Test Ltd', country: 'IN', sector: 'other' },
  { id: KEY_REVOKING, name: 'Key Revocation Test Ltd', country: 'IN', sector: 'other' },
];

/** The scenario's certificate (src/app/scenario.ts): 2,000 kg, valid from TODAY for a year. */
export function certificateBody(): Record<string, unknown> {
  return certificateInput({ grams: 2_000_000, from: TODAY, until: '2027-11-23' });
}

/** The scenario's application for 2,000 kg, valid from TODAY for a year, on `certificateId` if given. */
export function applicationBody(certificateId?: string): Record<string, unknown> {
  return applicationInput({ certificateId, grams: 2_000_000, from: TODAY, until: '2027-11-23' });
}

export interface Fixture {
  readonly certificateId: string;
  readonly certificateJws: unknown;
  readonly applicationId: string;
  readonly licenceId: string;
  /** Exporter's magnets, importer's received magnets, importer's motors, the holder's motors. */
  readonly lots: {
    readonly magnets: string;
    readonly imported: string;
    readonly motors: string;
    readonly held: string;
  };
  readonly alertId: string;
}

let counter = 0;
export const fresh = (prefix: string): string =>
  `${prefix}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

export async function buildFixture(ctx: AppContext): Promise<Fixture> {
  for (const p of OTHERS) await registerParty(ctx, p);
  const cert = await issueCertificate(ctx, IMPORTER, certificateBody());
  await countersignCertificate(ctx, GOVERNMENT, cert.id);
  await createLot(ctx, EXPORTER, lotInput('MAG-1', 2_500_000));
  const app = await submitApplication(ctx, applicationBody(cert.id));
  const decided = await decideApplication(ctx, AUTHORITY, app.id, {
    decision: 'approve',
    conditions: {
      prohibitedReexportDestinations: ['US'],
      useOnlyIn: 'IN',
      reportingDuties: [{ kind: 'post-shipment-report', withinDays: 30, to: AUTHORITY }],
    },
  });
  const licenceId = decided.licence?.id ?? '';
  await dispatchShipment(ctx, EXPORTER, shipmentInput('SH-1', 'MAG-1', 1_500_000, licenceId));
  await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-MAG-1', receivedGrams: 1_500_000 });
  await transformLots(ctx, IMPORTER, {
    id: 'T-1',
    inputs: [{ lotId: 'IN-MAG-1', grams: 1_200_000 }],
    otherInputsGrams: 43_800_000,
    outputs: [
      {
        lotId: 'MOT-1',
        item: motor,
        massGrams: 45_000_000,
        units: 1000,
        value: { currency: 'USD', minor: 120_000_000 },
        embodies: [{ lotId: 'IN-MAG-1', grams: 1_200_000 }],
      },
    ],
  });
  await dispatchShipment(ctx, IMPORTER, {
    id: 'SH-M1',
    fromLot: 'MOT-1',
    to: HOLDER,
    destination: 'IN',
    grams: 4_500_000,
    units: 100,
    value: { currency: 'USD', minor: 12_000_000 },
  });
  await receiveShipment(ctx, HOLDER, { shipmentId: 'SH-M1', lotId: 'DEC-1', receivedGrams: 4_500_000 });
  await auditorGrantsRepo.grant(ctx.store.db, AUDITOR, licenceId, AUTHORITY);
  const fx = {
    certificateId: cert.id,
    certificateJws: cert.jws,
    applicationId: app.id,
    licenceId,
    lots: { magnets: 'MAG-1', imported: 'IN-MAG-1', motors: 'MOT-1', held: 'DEC-1' },
    alertId: '',
  };
  return { ...fx, alertId: await freshAlert(ctx, fx) };
}

/** A new open alert on the fixture's licence: a licensed shipment whose post-shipment report is then missing. */
export async function freshAlert(ctx: AppContext, fx: Pick<Fixture, 'licenceId' | 'lots'>): Promise<string> {
  const id = fresh('SH-ALERT');
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
  await scanAlerts(ctx, { licenceId: fx.licenceId, asOf: '2027-06-01', lookAhead: true });
  const alert = (await listAlerts(ctx, { licenceId: fx.licenceId, status: 'open' })).find((a) =>
    a.explanation.includes(id),
  );
  if (alert === undefined) throw new Error(`no alert was raised for shipment ${id}`);
  return alert.id;
}
