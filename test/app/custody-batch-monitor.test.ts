/**
 * The diversion monitor once per custody batch (issue 21 items 1 and 6): a batch's events are judged
 * at its end, with the batch's reads made once, but each on the projections as they stood right after
 * it — so a red flag that holds after one event of the batch and no longer after a later one is still
 * raised, exactly as when the same events come one at a time.
 *
 * The red flag: a transformation that consumes more of its input than its output embodies books the
 * difference in the holder's ledger, which opens a mass-balance gap in the holder's books (the key of
 * such an alert names the gap). Two such transformations in one batch: the first leaves a gap of
 * −2 kg, the second turns it into −3 kg. Judged only on the batch's end state, the −2 kg state would
 * never be seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApp,
  ingestCustodyEvents,
  listAlerts,
  rebuild,
  receiveShipment,
  transformLots,
  type AppContext,
  type CustodyEventInput,
} from '../../src/app/index.js';
import { dumpProjections } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { EXPORTER, IMPORTER, licensedScenario, motor, shipmentInput, TODAY } from '../support/scenario.js';

describe.each(STORES)('the diversion monitor over a custody batch on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let licenceId: string;

  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    let now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => (now = new Date(now.getTime() + 1000)) });
    ({ licenceId } = await licensedScenario(ctx, { grams: 10_000, list: true, lot: { id: 'MAG-1', grams: 20_000 } }));
    await ingestCustodyEvents(ctx, EXPORTER, [
      { kind: 'shipment', input: shipmentInput('S-1', 'MAG-1', 10_000, licenceId) },
    ]);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  /** Consumes `grams` of R-1 into motor lot `out`, which embodies only `embodied` of them. */
  const lossy = (id: string, grams: number, out: string, embodied: number) => ({
    id,
    inputs: [{ lotId: 'R-1', grams }],
    outputs: [
      { lotId: out, item: motor, massGrams: embodied, units: 1, embodies: [{ lotId: 'R-1', grams: embodied }] },
    ],
  });
  /** The importer's holder gaps the alerts name, in the order they were raised. */
  const holderGaps = async () =>
    (await listAlerts(ctx))
      .filter((a) => a.rule === 'mass-balance-gap' && a.evidence.records.includes(`holder ${IMPORTER}`))
      .sort((a, b) => a.seq - b.seq)
      .map((a) => ({ gap: /mass-balance gap of (-?[\d.,]+ kg)/.exec(a.explanation)?.[1], trigger: a.trigger }));
  const expected = [
    { gap: '-2 kg', trigger: 'transformation' },
    { gap: '-3 kg', trigger: 'transformation' },
  ];

  it('raises the red flag of every event of a batch, also one a later event of the batch changes, and rebuild reproduces them', async () => {
    const events: CustodyEventInput[] = [
      { kind: 'receipt', input: { shipmentId: 'S-1', lotId: 'R-1', receivedGrams: 10_000 } },
      { kind: 'transformation', input: lossy('T-1', 5_000, 'P-1', 3_000) },
      { kind: 'transformation', input: lossy('T-2', 5_000, 'P-2', 4_000) },
    ];
    await ingestCustodyEvents(ctx, IMPORTER, events);
    expect(await holderGaps()).toEqual(expected);
    // Each alert's evidence is the ledger as it stood after its own event: the first names the
    // receipt and the first transformation only.
    const [first, second] = (await listAlerts(ctx))
      .filter((a) => a.rule === 'mass-balance-gap' && a.evidence.records.includes(`holder ${IMPORTER}`))
      .sort((a, b) => a.seq - b.seq);
    expect(Math.max(...first!.evidence.seqs)).toBeLessThan(Math.max(...second!.evidence.seqs));
    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('raises the same red flags when the same events come one at a time', async () => {
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'S-1', lotId: 'R-1', receivedGrams: 10_000 });
    await transformLots(ctx, IMPORTER, lossy('T-1', 5_000, 'P-1', 3_000));
    await transformLots(ctx, IMPORTER, lossy('T-2', 5_000, 'P-2', 4_000));
    expect(await holderGaps()).toEqual(expected);
  });
});
