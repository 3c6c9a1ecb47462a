/**
 * Set-based ingest, part 2 (issue 21 item 1): in a custody batch a licence is checked in force once,
 * its balance rows are locked once, every later shipment is checked against them as the batch left
 * them, and the batch's draw-downs are written with one statement at its end. What must not change:
 * the balances after the batch are those of the same shipments one at a time; a shipment that would
 * overdraw the line is refused naming its event, and then nothing of the batch is written; `rebuild`
 * reproduces the projections.
 *
 * And the diversion monitor once per batch (issue 21 items 1 and 6): a batch's events are judged at
 * its end, with the batch's reads made once, but each on the projections as they stood right after it
 * — so a red flag that holds after one event of the batch and no longer after a later one is still
 * raised, exactly as when the same events come one at a time. The red flag: receipts by the end user
 * beyond the annual need its certificate and application declare (4 kg here) — the key of such an
 * alert names the receipts that exceed it. Two receipts of 5 kg in one batch: after the first, S-1
 * alone exceeds the need; after the second, S-1 and S-2 together. Judged only on the batch's end
 * state, the first state would never be seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApp,
  dispatchShipment,
  ingestCustodyEvents,
  listAlerts,
  rebuild,
  receiveShipment,
  RefusedError,
  type AppContext,
  type CustodyEventInput,
} from '../../src/app/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { END_USE, EXPORTER, IMPORTER, licensedScenario, lotInput, shipmentInput, TODAY } from '../support/scenario.js';

describe.each(STORES)('a custody batch under a licence on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let licenceId: string;

  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    let now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => (now = new Date(now.getTime() + 1000)) });
    // A licence for 10 kg (line L1), and 20 kg of magnets to ship from.
    ({ licenceId } = await licensedScenario(ctx, {
      grams: 10_000,
      list: true,
      lot: { id: 'MAG-1', grams: 20_000 },
      endUse: { ...END_USE, annualNeedGrams: 4_000 },
    }));
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  const balance = () =>
    current()
      .store.db.selectFrom('licence_balances')
      .select(['line_ref', 'shipped_grams', 'shipped_value_minor', 'shipments'])
      .where('licence_id', '=', licenceId)
      .orderBy('line_ref')
      .execute();
  const ship = (id: string, grams: number): CustodyEventInput => ({
    kind: 'shipment',
    input: shipmentInput(id, 'MAG-1', grams, licenceId),
  });

  it('draws every shipment down, as one at a time would, and rebuild reproduces the projections', async () => {
    const out = await ingestCustodyEvents(ctx, EXPORTER, [
      ship('S-1', 2_000),
      { kind: 'lot', input: lotInput('MAG-2', 5_000) },
      ship('S-2', 3_000),
      ship('S-3', 1_500),
    ]);
    expect(out.map((o) => o.kind)).toEqual(['shipment', 'lot', 'shipment', 'shipment']);
    // 8 minor units a gram (the scenario's price).
    expect(await balance()).toEqual([
      { line_ref: 'L1', shipped_grams: 6_500, shipped_value_minor: 52_000, shipments: 3 },
    ]);
    // One at a time afterwards: the line goes on from what the batch drew.
    await dispatchShipment(ctx, EXPORTER, shipmentInput('S-4', 'MAG-2', 1_000, licenceId));
    expect(await balance()).toEqual([
      { line_ref: 'L1', shipped_grams: 7_500, shipped_value_minor: 60_000, shipments: 4 },
    ]);
    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('refuses the shipment that would overdraw the line as the batch left it, naming its event, and writes nothing', async () => {
    const count = await journalRepo.count(current().store.db);
    const before = await dumpProjections(current().store.db);
    // 6 kg + 3 kg fit in the 10 kg line; the third shipment's 2 kg do not (each alone would).
    const batch = ingestCustodyEvents(ctx, EXPORTER, [ship('S-1', 6_000), ship('S-2', 3_000), ship('S-3', 2_000)]);
    await expect(batch).rejects.toBeInstanceOf(RefusedError);
    await expect(batch).rejects.toMatchObject({ message: expect.stringMatching(/events\[2\]: /) as unknown });
    expect(await journalRepo.count(current().store.db)).toBe(count);
    expect(await dumpProjections(current().store.db)).toEqual(before);
    // The line is untouched: the next batch may draw all 10 kg.
    await ingestCustodyEvents(ctx, EXPORTER, [ship('S-4', 6_000), ship('S-5', 4_000)]);
    expect(await balance()).toEqual([
      { line_ref: 'L1', shipped_grams: 10_000, shipped_value_minor: 80_000, shipments: 2 },
    ]);
  });

  /** The annual-need alerts on the importer, in the order they were raised: the receipts each names. */
  const needAlerts = async () =>
    (await listAlerts(ctx))
      .filter((a) => a.rule === 'annual-need-exceeded' && a.parties.includes(IMPORTER))
      .sort((a, b) => a.seq - b.seq)
      .map((a) => ({ shipments: a.evidence.records.filter((r) => r.startsWith('shipment ')), trigger: a.trigger }));
  const expected = [
    { shipments: ['shipment S-1'], trigger: 'receipt' },
    { shipments: ['shipment S-1', 'shipment S-2'], trigger: 'receipt' },
  ];
  const receipts: CustodyEventInput[] = [
    { kind: 'receipt', input: { shipmentId: 'S-1', lotId: 'R-1', receivedGrams: 5_000 } },
    { kind: 'receipt', input: { shipmentId: 'S-2', lotId: 'R-2', receivedGrams: 5_000 } },
  ];

  it('the monitor raises the red flag of every event of a batch, also one a later event of the batch changes, and rebuild reproduces them', async () => {
    await ingestCustodyEvents(ctx, EXPORTER, [ship('S-1', 5_000), ship('S-2', 5_000)]);
    await ingestCustodyEvents(ctx, IMPORTER, receipts);
    expect(await needAlerts()).toEqual(expected);
    // Each alert's evidence is the projections as they stood after its own event: the first names the
    // first receipt only.
    const [first, second] = (await listAlerts(ctx))
      .filter((a) => a.rule === 'annual-need-exceeded' && a.parties.includes(IMPORTER))
      .sort((a, b) => a.seq - b.seq);
    expect(Math.max(...first!.evidence.seqs)).toBeLessThan(Math.max(...second!.evidence.seqs));
    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('the monitor raises the same red flags when the same events come one at a time', async () => {
    await ingestCustodyEvents(ctx, EXPORTER, [ship('S-1', 5_000), ship('S-2', 5_000)]);
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'S-1', lotId: 'R-1', receivedGrams: 5_000 });
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'S-2', lotId: 'R-2', receivedGrams: 5_000 });
    expect(await needAlerts()).toEqual(expected);
  });
});
