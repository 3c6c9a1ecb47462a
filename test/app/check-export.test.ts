/**
 * checkExport reads the lot, the party and the lists in force in one statement: the answers must
 * follow each of them — a missing lot or party, no list imported, a list imported after the first
 * question (a new snapshot must be used at once), and a listed party refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkExport,
  createApp,
  createLot,
  ensureTrustListEntries,
  importList,
  registerParty,
  type AppContext,
} from '../../src/app/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { EXAMPLES_ROOT, EXPORTER, magnet, readExample, TODAY } from '../support/scenario.js';

describe.each(STORES)('checkExport on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date(`${TODAY}T10:00:00.000Z`) });
    for (const p of readExample('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
    await createLot(ctx, EXPORTER, { id: 'NDFEB-1', holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000 });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('names a missing lot or party; screens against no list, then at once against a list imported meanwhile', async () => {
    await expect(checkExport(ctx, { lotId: 'NOPE', to: 'red-mesa-defense', destination: 'US' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      field: 'lotId',
    });
    await expect(checkExport(ctx, { lotId: 'NDFEB-1', to: 'nobody', destination: 'US' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      field: 'to',
    });

    const before = await checkExport(ctx, { lotId: 'NDFEB-1', to: 'red-mesa-defense', destination: 'US' });
    expect(before.checks).toContain('Red Mesa Defense Systems LLC screened clear against no lists');
    expect(before.refusals.map((r) => r.rule)).toEqual(['LICENCE_REQUIRED']);

    // A deny list comes from the authority the trust list names for its regime.
    await ensureTrustListEntries(ctx, [{ party: 'cn-mofcom', role: 'licensing-authority', country: 'CN' }]);
    await importList(ctx, {
      path: fileURLToPath(new URL('scenario/demo-control-list.csv', EXAMPLES_ROOT)),
      format: 'csv',
      list: 'cn-control-list',
      actor: 'cn-mofcom',
      authority: 'MOFCOM (demonstration)',
      effect: 'deny',
      country: 'CN',
    });
    const after = await checkExport(ctx, { lotId: 'NDFEB-1', to: 'red-mesa-defense', destination: 'US' });
    expect(after.refusals.map((r) => r.rule)).toEqual(['RESTRICTED_PARTY', 'LICENCE_REQUIRED']);
    expect(after.refusals[0]?.message).toMatch(
      /matches cn-control-list entry "Red Mesa Defense Systems LLC" \(DEMO-CL-001/,
    );
    const clear = await checkExport(ctx, { lotId: 'NDFEB-1', to: 'chakan-drive-systems', destination: 'IN' });
    expect(clear.checks.some((c) => c.endsWith('screened clear against cn-control-list'))).toBe(true);
  });
});
