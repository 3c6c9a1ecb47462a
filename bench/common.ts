/**
 * Shared by the ingest and trace benchmarks: the machine a run was on, percentiles, the results
 * files, and a licensed scenario set up through the one scenario builder (src/app/scenario.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../src/app/index.js';
import { licensedScenario as scenario } from '../src/app/scenario.js';

export { AUTHORITY, example, EXPORTER, IMPORTER } from '../src/app/scenario.js';

export const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memGB: number;
  readonly node: string;
  readonly loadavg1: number;
}

export function machine(): Machine {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg1: +(loadavg()[0] ?? 0).toFixed(2),
  };
}

/** The middle sample (the upper one of an even count): the A/B runs' summary, least moved by one slow round. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The three load averages, for a line that says what the machine was doing beside a run. */
export const loadText = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Nearest-rank percentile of sorted samples. */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return +(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN).toFixed(3);
}

export function latencies(samples: readonly number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
} {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: pct(s, 0.5),
    p90: pct(s, 0.9),
    p99: pct(s, 0.99),
    max: pct(s, 1),
    mean: +(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)).toFixed(3),
  };
}

export function writeResults(suite: string, result: object, markdown: string): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${suite}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${RESULTS}${suite}.md`, markdown);
  console.log(`written to ${RESULTS}${suite}.json and ${suite}.md`);
}

export const TODAY = '2026-11-24';

/** A clock that starts on TODAY and advances a millisecond per call (distinct, ordered timestamps). */
export function benchClock(): () => Date {
  let t = Date.parse(`${TODAY}T08:00:00.000Z`);
  return () => new Date(t++);
}

/**
 * The demo's parties and trust list, the demonstration control list, an end-user certificate (no
 * re-export to the US, use only in India, binding on incorporating products) countersigned by India,
 * and a MOFCOM licence for `kg` of 45SH magnets, valid for a year from the clock's today. Returns the licence id.
 */
export async function licensedScenario(ctx: AppContext, kg: number): Promise<{ licenceId: string }> {
  const { licenceId } = await scenario(ctx, { grams: kg * 1000, list: true });
  return { licenceId };
}
