/**
 * Set-based ingest, part 2 (issue 21 item 1): in a custody batch a licence is checked in force once,
 * its balance rows are locked once, every later shipment is checked against them as the batch left
 * them, and the batch's draw-downs are written with one statement at its end. What must not change:
 * the balances after the batch are those of the same shipments one at a time; a shipment that would
 * overdraw the line is refused naming its event, and then nothing of the batch is written; `rebuild`
 * reproduces the projections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApp,
  dispatchShipment,
  ingestCustodyEvents,
  rebuild,
  RefusedError,
  type AppContext,
  type CustodyEventInput,
} from '../../src/app/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { EXPORTER, licensedScenario, lotInput, shipmentInput, TODAY } from '../support/scenario.js';

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
    ({ licenceId } = await licensedScenario(ctx, { grams: 10_000, list: true, lot: { id: 'MAG-1', grams: 20_000 } }));
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
});
