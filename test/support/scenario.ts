/** The demo scenario's example files and party ids, shared by the use-case tests. */
import { readFileSync } from 'node:fs';

/** The `examples/` folder (items, scenario parties, the demo control list). */
export const EXAMPLES_ROOT = new URL('../../examples/', import.meta.url);
/** An example file, parsed as JSON. */
export const readExample = (p: string): unknown => JSON.parse(readFileSync(new URL(p, EXAMPLES_ROOT), 'utf8')) as unknown;
export const magnet = readExample('items/ndfeb-45sh-dy-magnet.json');
export const motor = readExample('items/traction-motor.json');
export const TODAY = '2026-11-24';
export const EXPORTER = 'ganzhou-hengyuan-magnetics';
export const IMPORTER = 'chakan-drive-systems';
/** The demo's trust list: cn-mofcom licenses exports from CN, in-dgft countersigns for IN. */
export const DEMO_TRUST_LIST = readExample('scenario/trust-list.json') as { entries: unknown[] };
/** The demo's trust list file, for `lodestone trust-list set`. */
export const DEMO_TRUST_LIST_FILE = new URL('scenario/trust-list.json', EXAMPLES_ROOT).pathname;
/** Publishes the demo's trust list (with the operator root key of `ctx`'s keystore) unless it is in force. */
export async function publishDemoTrustList(ctx: import('../../src/app/index.js').AppContext): Promise<void> {
  const { ensureTrustListEntries } = await import('../../src/app/index.js');
  await ensureTrustListEntries(ctx, DEMO_TRUST_LIST.entries);
}
