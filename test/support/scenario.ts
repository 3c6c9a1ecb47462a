/** The demo scenario's example files and party ids for the use-case tests: the one scenario builder (src/app/scenario.ts). */
import { ensureTrustListEntries, type AppContext } from '../../src/app/index.js';
import { example, EXAMPLES_DIR, examplePath, magnetItem, motorItem } from '../../src/app/scenario.js';

export {
  applicationInput,
  AUTHORITY,
  certificateInput,
  CONDITIONS,
  END_USE,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  licensedScenario,
  lotInput,
  registerScenarioParties,
  shipmentInput,
  UNDERTAKINGS,
  usdFor,
} from '../../src/app/scenario.js';

/** The `examples/` folder (items, scenario parties, the demo control list). */
export const EXAMPLES_ROOT = EXAMPLES_DIR;
/** An example file, parsed as JSON. */
export const readExample = example;
export const magnet = magnetItem();
export const motor = motorItem();
export const TODAY = '2026-11-24';
/** The demo's trust list: cn-mofcom licenses exports from CN, in-dgft countersigns for IN. */
export const DEMO_TRUST_LIST = example('scenario/trust-list.json') as { entries: unknown[] };
/** The demo's trust list file, for `lodestone trust-list set`. */
export const DEMO_TRUST_LIST_FILE = examplePath('scenario/trust-list.json');
/** Publishes the demo's trust list (with the operator root key of `ctx`'s keystore) unless it is in force. */
export async function publishDemoTrustList(ctx: AppContext): Promise<void> {
  await ensureTrustListEntries(ctx, DEMO_TRUST_LIST.entries);
}
