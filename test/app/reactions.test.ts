import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApp,
  dispatchShipment,
  listAlerts,
  rebuild,
  receiveShipment,
  type AppContext,
} from '../../src/app/index.js';
import type { AppendedRecord } from '../../src/app/context.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { IMPORTER, EXPORTER, licensedScenario, shipmentInput, TODAY } from '../support/scenario.js';

/**
 * The monitor reacts to committed records (AppContext.reactions, run by `commit` in the record's
 * transaction): it sees each record after its projection, what it raises commits with the record or
 * not at all, and a rebuild reproduces it without running it.
 */
describe.each(STORES)('reactions to committed records on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-reactions-'));
    let t = Date.parse(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((t += 1000)) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('a reaction sees each record after its projection; when it fails, the record, its projection and the alerts roll back', async () => {
    const { licenceId } = await licensedScenario(ctx, { lot: { id: 'MAG-1', grams: 2_500_000 } });
    await dispatchShipment(ctx, EXPORTER, shipmentInput('SH-1', 'MAG-1', 1_000_000, licenceId));
    const journal = await journalRepo.count(current().store.db);
    const projections = await dumpProjections(current().store.db);
    const alerts = await listAlerts(ctx);
    // 10 kg short at receipt: licensed grams that did not arrive, a red flag the monitor raises in the receipt's transaction.
    const receipt = { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 990_000 };

    const failing: AppContext = {
      ...ctx,
      reactions: [
        (_tx, _ctx, r) =>
          r.type === 'shipment.received' ? Promise.reject(new Error('reaction failed')) : Promise.resolve(),
        ...ctx.reactions,
      ],
    };
    await expect(receiveShipment(failing, IMPORTER, receipt)).rejects.toThrow('reaction failed');
    expect(await journalRepo.count(current().store.db)).toBe(journal);
    expect(await dumpProjections(current().store.db)).toEqual(projections);
    expect(await listAlerts(ctx)).toEqual(alerts);

    const seen: AppendedRecord[] = [];
    const watching: AppContext = {
      ...ctx,
      reactions: [...ctx.reactions, (_tx, _ctx, r) => Promise.resolve(void seen.push(r))],
    };
    const received = await receiveShipment(watching, IMPORTER, receipt);
    const raised = (await listAlerts(ctx)).filter((a) => !alerts.some((b) => b.id === a.id));
    expect(raised.map((a) => a.seq).every((seq) => seq > received.seq)).toBe(true);
    expect(raised.length).toBeGreaterThan(0);
    // The watcher saw the receipt and each record the monitor made in its transaction (those as they were
    // committed, inside the monitor's reaction to the receipt, so before the receipt reached the watcher).
    expect(seen.filter((r) => r.type === 'shipment.received').map((r) => r.seq)).toEqual([received.seq]);
    expect(seen.filter((r) => r.type === 'alert.raised').map((r) => r.seq)).toEqual(
      raised.map((a) => a.seq).sort((a, b) => a - b),
    );
    const after = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(after);
  });
});
