/**
 * Shared by the ingest and trace benchmarks: the machine a run was on, percentiles, the results
 * files, and a licensed scenario set up through the use cases (parties, a control list, an
 * end-user certificate countersigned by the importing government, an approved licence).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  countersignCertificate,
  decideApplication,
  ensureTrustListEntries,
  importList,
  issueCertificate,
  registerParty,
  submitApplication,
  type AppContext,
} from '../src/app/index.js';

export const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const EXAMPLES = new URL('../examples/', import.meta.url);

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memGB: number;
  readonly node: string;
  readonly loadavg1: number;
}

export function machine(): Machine {
  return { nproc: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? 'unknown', memGB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg1: +(loadavg()[0] ?? 0).toFixed(2) };
}

/** Nearest-rank percentile of sorted samples. */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return +(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN).toFixed(3);
}

export function latencies(samples: readonly number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 0.5), p90: pct(s, 0.9), p99: pct(s, 0.99), max: pct(s, 1), mean: +(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)).toFixed(3) };
}

export function writeResults(suite: string, result: object, markdown: string): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${suite}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${RESULTS}${suite}.md`, markdown);
  console.log(`written to ${RESULTS}${suite}.json and ${suite}.md`);
}

export const example = (p: string): unknown => JSON.parse(readFileSync(new URL(p, EXAMPLES), 'utf8')) as unknown;

export const TODAY = '2026-11-24';
export const EXPORTER = 'ganzhou-hengyuan-magnetics';
export const IMPORTER = 'chakan-drive-systems';
export const AUTHORITY = 'cn-mofcom';

/** A clock that starts on TODAY and advances a millisecond per call (distinct, ordered timestamps). */
export function benchClock(): () => Date {
  let t = Date.parse(`${TODAY}T08:00:00.000Z`);
  return () => new Date(t++);
}

/**
 * The demo's parties and trust list, the demonstration control list, an end-user certificate (no re-export to
 * the US, use only in India, binding on incorporating products) countersigned by India, and a
 * MOFCOM licence for `kg` of 45SH magnets. Returns the licence id.
 */
export async function licensedScenario(ctx: AppContext, kg: number): Promise<{ licenceId: string }> {
  for (const p of example('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  // The demo's trust list: who licenses exports from CN and countersigns for IN (roles come from it).
  await ensureTrustListEntries(ctx, (example('scenario/trust-list.json') as { entries: unknown[] }).entries);
  await importList(ctx, { path: fileURLToPath(new URL('scenario/demo-control-list.csv', EXAMPLES)), format: 'csv', list: 'cn-control-list', actor: AUTHORITY });
  const magnet = example('items/ndfeb-45sh-dy-magnet.json');
  const endUse = { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] };
  const value = { currency: 'USD', minor: kg * 8000 };
  const cert = await issueCertificate(ctx, IMPORTER, {
    exporter: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    items: [{ controlCode: '1C905.a', hsCode: '8505111000', description: '45SH NdFeB', quantityGrams: kg * 1000, value }],
    endUse,
    undertakings: { noWmdUse: true, noMilitaryUse: true, noReexportWithoutConsent: true, consentAuthority: AUTHORITY, prohibitedDestinations: ['US'], useOnlyIn: 'IN', extendsToIncorporatingProducts: true, postShipmentVerificationConsent: true, noticeOfChanges: true },
    validity: { from: TODAY, until: '2027-11-23' },
  });
  await countersignCertificate(ctx, 'in-dgft', cert.id);
  const app = await submitApplication(ctx, {
    authority: AUTHORITY,
    applicant: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    destination: 'IN',
    endUse,
    licenceType: 'single',
    lines: [{ ref: 'L1', item: magnet, quantityGrams: kg * 1000, value }],
    certificateId: cert.id,
    validFrom: TODAY,
    validUntil: '2027-11-23',
  });
  const decided = await decideApplication(ctx, AUTHORITY, app.id, { decision: 'approve', conditions: { prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' } });
  const licenceId = decided.licence?.id;
  if (licenceId === undefined) throw new Error('the scenario licence was not approved');
  return { licenceId };
}

