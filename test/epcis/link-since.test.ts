/**
 * `epcis link --since` is a date the holder claims, so it is bounded: not after the server's clock,
 * and at most DECLARED_DATE_TOLERANCE_DAYS before the lot was recorded (also its default, rather than
 * the epoch, which let any backdated event through the EVENT_BEFORE_INPUTS check).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, createLot, linkLotToEpc, type AppContext } from '../../src/app/index.js';
import { journalRepo } from '../../src/store/index.js';
import { useFreshStore } from '../support/stores.js';
import { EXPORTER, lotInput, registerScenarioParties, TODAY } from '../support/scenario.js';

const LGTIN = 'urn:epc:class:lgtin:4012345.012345.MAG1';

describe('epcis link --since is bounded', () => {
  const current = useFreshStore('pglite');
  let keysDir: string;
  let ctx: AppContext;
  let now: Date;

  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
    await registerScenarioParties(ctx);
    await createLot(ctx, EXPORTER, lotInput('MAG-1', 1_000_000));
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  /** The since the link record states (in its canonical JSON). */
  const linked = async (seq: number) =>
    /"since":"([^"]+)"/.exec((await journalRepo.get(ctx.store.db, seq))!.canonical)?.[1];

  it('refuses a since after now, or more than 3 days before the lot was recorded, naming the field; defaults to the earliest', async () => {
    await expect(
      linkLotToEpc(ctx, EXPORTER, { lotId: 'MAG-1', epc: LGTIN, since: '2027-01-01T00:00:00Z' }),
    ).rejects.toThrow(/^since: must not be after now \(2026-11-24T09:00:\d\d\.000Z\), got 2027-01-01T00:00:00\.000Z$/);
    await expect(
      linkLotToEpc(ctx, EXPORTER, { lotId: 'MAG-1', epc: LGTIN, since: '1970-01-01T00:00:00Z' }),
    ).rejects.toThrow(
      /^since: must not be more than 3 days before lot MAG-1 was recorded \(2026-11-21T09:00:\d\d\.000Z at the earliest\), got 1970-01-01T00:00:00\.000Z$/,
    );
    await expect(linkLotToEpc(ctx, EXPORTER, { lotId: 'MAG-1', epc: LGTIN, since: 'yesterday' })).rejects.toThrow(
      /^since: must be an ISO 8601 date-time, got "yesterday"$/,
    );
    const r = await linkLotToEpc(ctx, EXPORTER, { lotId: 'MAG-1', epc: LGTIN });
    expect(await linked(r.seq)).toMatch(/^2026-11-21T09:00:\d\d\.000Z$/);
    const explicit = await linkLotToEpc(ctx, EXPORTER, { lotId: 'MAG-1', epc: LGTIN, since: '2026-11-23T12:00:00Z' });
    expect(await linked(explicit.seq)).toBe('2026-11-23T12:00:00.000Z');
  });
});
