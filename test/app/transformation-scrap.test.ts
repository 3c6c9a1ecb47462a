/**
 * Scrap in a transformation's mass balance: the licensed grams of the inputs a transformation
 * consumes are either embodied in its outputs (their inherited restrictions) or scrap, never both
 * and never counted twice. A fast-check property over transformations (inputs, outputs, scrap) of a
 * received licensed lot, through the use cases, on both stores: restricted grams out + scrap ≤
 * restricted grams in (equal, exactly, where nothing is rounded away); every holder's and lot's gap
 * in the licence's mass balance is 0; the report's sums are the ledger's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApp,
  dispatchShipment,
  massBalance,
  receiveShipment,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import type { Restriction } from '../../src/domain/index.js';
import { ledgerRepo, lotsRepo } from '../../src/store/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { EXPORTER, IMPORTER, licensedScenario, motor } from '../support/scenario.js';

const RECEIVED = 1_000_000;

describe.each(STORES)('transformation scrap in the mass balance on %s', { timeout: 300_000 }, (kind) => {
  let ts: TestStore;
  let ctx: AppContext;
  let licenceId = '';
  const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-scrap-'));

  beforeAll(async () => {
    ts = await freshStore(kind);
    ctx = createApp(ts.store, { keysDir });
    const s = await licensedScenario(ctx, { grams: 2_000_000, lot: { id: 'MAG-1', grams: 4_000_000 } });
    licenceId = s.licenceId;
    await dispatchShipment(ctx, EXPORTER, {
      id: 'SH-1',
      fromLot: 'MAG-1',
      to: IMPORTER,
      destination: 'IN',
      grams: 2_000_000,
      value: { currency: 'USD', minor: 16_000_000 },
      licenceId,
      lineRef: 'L1',
    });
    // Two received lots, so a transformation can take several licensed inputs.
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-A', receivedGrams: RECEIVED });
  });

  afterAll(async () => {
    await ts.dispose();
    rmSync(keysDir, { recursive: true, force: true });
  });

  const licensed = (restrictions: unknown) =>
    (restrictions as Restriction[]).filter((r) => r.licenceId === licenceId).reduce((t, r) => t + r.licensedGrams, 0);

  it('restricted grams out + scrap = restricted grams in; every gap is 0; the report sums the ledger', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        // What of the input lot is consumed, and how it is split between outputs (the rest is scrap).
        fc.integer({ min: 3, max: 20_000 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 3, max: 5_000 }),
        async (consume, weights, scrapWeight, otherInputs) => {
          n++;
          const lot = await lotsRepo.get(ts.store.db, 'IN-A');
          if (lot === undefined || lot.mass_grams < consume) return;
          const inBefore = licensed(lot.restrictions);
          const total = weights.reduce((s, w) => s + w, 0) + scrapWeight;
          if (total === 0) return;
          // Each output embodies at least a gram; the rest of what is consumed is shared by weight, or scrap.
          const embodied = weights.map((w) => 1 + Math.floor(((consume - weights.length) * w) / total));
          const scrap = consume - embodied.reduce((s, g) => s + g, 0);
          const t = await transformLots(ctx, IMPORTER, {
            id: `T-${n}`,
            inputs: [{ lotId: 'IN-A', grams: consume }],
            otherInputsGrams: otherInputs,
            outputs: embodied.map((g, i) => ({
              lotId: `OUT-${n}-${i}`,
              item: motor,
              massGrams: g + Math.floor(otherInputs / embodied.length),
              embodies: [{ lotId: 'IN-A', grams: g }],
            })),
          });
          const after = await lotsRepo.get(ts.store.db, 'IN-A');
          const restrictedIn = inBefore - licensed(after?.restrictions);
          const restrictedOut = t.outputs.reduce((s, o) => s + licensed(o.restrictions), 0);
          // The ledger of this transformation: what the input gave up and what the outputs took in; the
          // difference is the licensed grams of the scrap (and of what rounding down drops), never counted
          // again as a consumption.
          const ledger = (await ledgerRepo.forLicence(ts.store.db, licenceId)).filter((l) => l.seq === t.seq);
          const of = (kind: string) => ledger.filter((l) => l.kind === kind).reduce((s, l) => s + l.grams, 0);
          expect(of('transformed-out')).toBe(restrictedIn);
          expect(of('transformed-in')).toBe(restrictedOut);
          expect(of('consumed')).toBe(0);
          const scrapLicensed = restrictedIn - restrictedOut;
          expect(scrapLicensed).toBeGreaterThanOrEqual(0);
          expect(restrictedOut + scrapLicensed).toBeLessThanOrEqual(restrictedIn);
          // The input lot is wholly licensed: the scrap's licensed grams are at least its physical grams.
          expect(scrapLicensed).toBeGreaterThanOrEqual(scrap);

          const m = await massBalance(ctx, licenceId);
          expect(m.holders.map((h) => [h.holder, h.gap])).toEqual(m.holders.map((h) => [h.holder, 0]));
          expect(m.lots.filter((l) => l.gap !== 0)).toEqual([]);
          // The report's sums are the ledger's, kind by kind.
          const all = await ledgerRepo.forLicence(ts.store.db, licenceId);
          const sum = (...kinds: string[]) =>
            all.filter((l) => kinds.includes(l.kind)).reduce((s, l) => s + l.grams, 0);
          const totals = (k: keyof (typeof m.holders)[number]) => m.holders.reduce((s, h) => s + (h[k] as number), 0);
          expect(totals('received')).toBe(sum('received', 'created'));
          expect(totals('transformedIn')).toBe(sum('transformed-in'));
          expect(totals('transformedOut')).toBe(sum('transformed-out'));
          expect(totals('shipped')).toBe(sum('shipped'));
          expect(totals('consumed')).toBe(sum('consumed'));
        },
      ),
      { numRuns: 25 },
    );
  });
});
