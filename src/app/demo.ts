import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatMass, formatMoney } from '../domain/index.js';
import type { Classification } from '../rules/index.js';
import { partiesRepo } from '../store/index.js';
import { recordClassification } from './classify.js';
import type { AppContext } from './context.js';
import { registerParty } from './parties.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);

function example(path: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(path, EXAMPLES)), 'utf8')) as unknown;
}

export interface DemoStep {
  readonly label: string;
  readonly description: string;
  readonly quantity: string;
  readonly id: string;
  readonly seq: number;
  readonly classification: Classification;
}

export interface DemoReport {
  readonly registered: readonly string[];
  readonly alreadyRegistered: readonly string[];
  readonly steps: readonly DemoStep[];
  readonly journalEntries: number;
}

const SCENARIO_ITEMS: readonly { file: string; label: string; exportFrom?: string }[] = [
  { file: 'items/ndfeb-dy-magnet.json', label: 'Shipment 1: N42SH NdFeB magnets with Dy, Ganzhou → Pune' },
  { file: 'items/smco-magnet.json', label: 'Shipment 2: Sm2Co17 magnets, Ganzhou → Pune' },
  { file: 'items/ndfeb-plain-magnet.json', label: 'Shipment 3: N42 NdFeB magnets without Dy/Tb, Ganzhou → Pune' },
  { file: 'items/ndfeb-dy-magnet.json', label: 'Proposed onward sale: the same Chinese Dy magnets re-exported from India', exportFrom: 'IN' },
];

/**
 * The main job, at this stage: register the scenario's parties (idempotent), classify the magnets
 * the exporter ships and record each classification in the signed journal.
 */
export async function runDemo(ctx: AppContext, onStep?: (s: DemoStep) => void): Promise<DemoReport> {
  const registered: string[] = [];
  const alreadyRegistered: string[] = [];
  for (const p of example('scenario/parties.json') as { id: string }[]) {
    if (await partiesRepo.get(ctx.store.db, p.id)) alreadyRegistered.push(p.id);
    else registered.push((await registerParty(ctx, p)).party.id);
  }
  const steps: DemoStep[] = [];
  for (const s of SCENARIO_ITEMS) {
    const r = await recordClassification(ctx, 'ganzhou-hengyuan-magnetics', { item: example(s.file), label: s.label, exportFrom: s.exportFrom });
    const qty = [r.item.massGrams === undefined ? '' : formatMass({ grams: r.item.massGrams }), r.item.value === undefined ? '' : formatMoney(r.item.value)].filter((x) => x !== '').join(', ');
    const step = { label: s.label, description: r.item.description ?? r.item.form, quantity: qty, id: r.id, seq: r.seq, classification: r.classification };
    steps.push(step);
    onStep?.(step);
  }
  const journalEntries = steps.at(-1)?.seq ?? 0;
  return { registered, alreadyRegistered, steps, journalEntries };
}
