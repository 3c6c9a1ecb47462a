/**
 * The one scenario builder: the demo (demo.ts), the benchmarks (bench/) and the tests (test/support,
 * test/adversarial) set up their world through it — the example parties and the demo trust list, the
 * demonstration control list, an end-user certificate for Chinese NdFeB magnets bound for an Indian
 * EV-motor maker countersigned by India, a MOFCOM licence on it, and the exporter's stock. Everything
 * goes through the use cases (signed, journalled, projected), as a user's commands would.
 *
 * The input builders (`certificateInput`, `applicationInput`, `lotInput`, `shipmentInput`) return
 * plain request bodies, so a test can also write them to a file for the CLI or send them over HTTP.
 * Prices are USD 0.08 a gram (`PRICE_MINOR_PER_GRAM` minor units), as in the demo.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addDaysIso, todayUtc, type Licence } from '../domain/index.js';
import { partiesRepo } from '../store/index.js';
import { countersignCertificate, issueCertificate } from './certificates.js';
import type { AppContext } from './context.js';
import { createLot } from './custody.js';
import { decideApplication, submitApplication } from './licensing.js';
import { registerParty } from './parties.js';
import { importList, type ImportListResult } from './screening.js';
import { ensureTrustListEntries } from './trustlist.js';

export const EXPORTER = 'ganzhou-hengyuan-magnetics';
export const AUTHORITY = 'cn-mofcom';
export const IMPORTER = 'chakan-drive-systems';
export const GOVERNMENT = 'in-dgft';

/** The `examples/` folder at the package root (the same relative path from src/app and dist/app). */
export const EXAMPLES_DIR = new URL('../../examples/', import.meta.url);
/** The path of an example file, e.g. `examplePath('scenario/parties.json')`. */
export const examplePath = (p: string): string => fileURLToPath(new URL(p, EXAMPLES_DIR));
/** An example file, parsed as JSON. */
export const example = (p: string): unknown => JSON.parse(readFileSync(examplePath(p), 'utf8')) as unknown;

/** The scenario's item: sintered NdFeB magnets, grade 45SH, with dysprosium. */
export const magnetItem = (): unknown => example('items/ndfeb-45sh-dy-magnet.json');
/** The product the magnets go into: a 45 kg EV traction motor. */
export const motorItem = (): unknown => example('items/traction-motor.json');

/** Minor units (US cents) a gram of magnets is worth in the scenario: USD 80 a kilogram. */
export const PRICE_MINOR_PER_GRAM = 8;
/** The scenario's value of `grams` of magnets. */
export const usdFor = (grams: number): { currency: string; minor: number } => ({
  currency: 'USD',
  minor: grams * PRICE_MINOR_PER_GRAM,
});

export const END_USE = { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] };
/** The end user's undertakings: no WMD or military use, no re-export to the US, use only in India, binding on products. */
export const UNDERTAKINGS = {
  noWmdUse: true,
  noMilitaryUse: true,
  noReexportWithoutConsent: true,
  consentAuthority: AUTHORITY,
  prohibitedDestinations: ['US'],
  useOnlyIn: 'IN',
  extendsToIncorporatingProducts: true,
  postShipmentVerificationConsent: true,
  noticeOfChanges: true,
};
/** The approval conditions most tests grant: no re-export to the US, use only in India. */
export const CONDITIONS = { prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' };

/** A window of validity: from `from` (default today by `ctx`'s clock, or the real today) for a year. */
export interface Validity {
  readonly from?: string | undefined;
  readonly until?: string | undefined;
}

function window(v: Validity, today: string): { from: string; until: string } {
  const from = v.from ?? today;
  return { from, until: v.until ?? addDaysIso(from, 364) };
}

/** The body of `certificates issue`: the importer, as end user, certifies `grams` of magnets for EV motors in India. */
export function certificateInput(
  o: Validity & { grams: number; description?: string; endUse?: object; today?: string },
): Record<string, unknown> {
  const validity = window(o, o.today ?? todayUtc());
  return {
    exporter: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    items: [
      {
        controlCode: '1C905.a',
        hsCode: '8505111000',
        description: o.description ?? '45SH NdFeB magnets with Dy',
        quantityGrams: o.grams,
        value: usdFor(o.grams),
      },
    ],
    endUse: o.endUse ?? END_USE,
    undertakings: UNDERTAKINGS,
    validity,
  };
}

/** The body of `apply`: the exporter asks MOFCOM for a single licence for `grams` of magnets to the importer, on a certificate. */
export function applicationInput(
  o: Validity & { certificateId?: string | undefined; grams: number; endUse?: object; today?: string },
): Record<string, unknown> {
  const validity = window(o, o.today ?? todayUtc());
  return {
    authority: AUTHORITY,
    applicant: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    destination: 'IN',
    endUse: o.endUse ?? END_USE,
    licenceType: 'single',
    lines: [{ ref: 'L1', item: magnetItem(), quantityGrams: o.grams, value: usdFor(o.grams) }],
    ...(o.certificateId === undefined ? {} : { certificateId: o.certificateId }),
    validFrom: validity.from,
    validUntil: validity.until,
  };
}

/** The body of `lots create`: a lot of magnets the exporter holds in China, at the scenario's price. */
export function lotInput(id: string, grams: number): Record<string, unknown> {
  return { id, holder: EXPORTER, location: 'CN', item: magnetItem(), massGrams: grams, value: usdFor(grams) };
}

/** The body of `ship`: `grams` from `fromLot` to the importer in India under line L1 of `licenceId`, at the scenario's price. */
export function shipmentInput(id: string, fromLot: string, grams: number, licenceId: string): Record<string, unknown> {
  return { id, fromLot, to: IMPORTER, destination: 'IN', grams, value: usdFor(grams), licenceId, lineRef: 'L1' };
}

/** Registers the example parties not yet registered, and publishes the demo trust list unless it is in force. */
export async function registerScenarioParties(ctx: AppContext): Promise<void> {
  for (const p of example('scenario/parties.json') as { id: string }[]) {
    if (!(await partiesRepo.get(ctx.store.db, p.id))) await registerParty(ctx, p);
  }
  await ensureTrustListEntries(ctx, (example('scenario/trust-list.json') as { entries: unknown[] }).entries);
}

/** Imports the demonstration control list (cn-control-list) as MOFCOM's, with the Control List's legal effect (deny). */
export function importDemoList(ctx: AppContext): Promise<ImportListResult> {
  return importList(ctx, {
    path: examplePath('scenario/demo-control-list.csv'),
    format: 'csv',
    list: 'cn-control-list',
    actor: AUTHORITY,
    authority: 'MOFCOM (demonstration)',
    effect: 'deny',
    country: 'CN',
  });
}

/** Issues the importer's certificate for `grams` and has India countersign it; returns its id. */
export async function countersignedCertificate(
  ctx: AppContext,
  o: Validity & { grams: number; description?: string; endUse?: object },
): Promise<string> {
  const cert = await issueCertificate(ctx, IMPORTER, certificateInput({ ...o, today: todayUtc(ctx.clock) }));
  await countersignCertificate(ctx, GOVERNMENT, cert.id);
  return cert.id;
}

export interface LicensedScenarioOptions extends Validity {
  /** Grams certified and applied for (default 2,000,000: 2,000 kg). */
  readonly grams?: number;
  /** The certificate's own window (default: the licence's). */
  readonly certificate?: Validity;
  /** Extra end-use fields (annualNeedGrams...) or another end use. */
  readonly endUse?: object;
  /** The approval's conditions (default `CONDITIONS`). */
  readonly conditions?: object;
  /** false: submit the application and leave it pending. */
  readonly approve?: boolean;
  /** Import the demonstration control list first. */
  readonly list?: boolean;
  /** Also create the exporter's stock: a lot of magnets. */
  readonly lot?: { readonly id: string; readonly grams: number };
}

export interface LicensedScenario {
  readonly certificateId: string;
  readonly applicationId: string;
  /** The application body as submitted (to submit variations of it). */
  readonly application: Record<string, unknown>;
  /** The submitted application with its assessment (screening, classification, certificate, policy). */
  readonly submitted: Awaited<ReturnType<typeof submitApplication>>;
  /** The granted licence (absent when `approve` is false). */
  readonly licence?: Licence;
  /** The granted licence's id ('' when `approve` is false). */
  readonly licenceId: string;
}

/**
 * The parties and trust list, optionally the control list, a countersigned certificate and an
 * application on it for the same grams, approved with `conditions` unless `approve` is false, and
 * optionally the exporter's lot. Dates default to today by `ctx`'s clock, for a year.
 */
export async function licensedScenario(ctx: AppContext, o: LicensedScenarioOptions = {}): Promise<LicensedScenario> {
  const grams = o.grams ?? 2_000_000;
  const today = todayUtc(ctx.clock);
  await registerScenarioParties(ctx);
  if (o.list === true) await importDemoList(ctx);
  const endUse = o.endUse ?? END_USE;
  const certificateId = await countersignedCertificate(ctx, { ...(o.certificate ?? o), grams, endUse });
  if (o.lot !== undefined) await createLot(ctx, EXPORTER, lotInput(o.lot.id, o.lot.grams));
  const application = applicationInput({ ...o, certificateId, grams, endUse, today });
  const submitted = await submitApplication(ctx, application);
  if (o.approve === false) return { certificateId, applicationId: submitted.id, application, submitted, licenceId: '' };
  const decided = await decideApplication(ctx, AUTHORITY, submitted.id, {
    decision: 'approve',
    conditions: o.conditions ?? CONDITIONS,
  });
  if (decided.licence === undefined)
    throw new Error(`the scenario's licence was not granted: ${JSON.stringify(decided)}`);
  return {
    certificateId,
    applicationId: submitted.id,
    application,
    submitted,
    licence: decided.licence,
    licenceId: decided.licence.id,
  };
}
