import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, ingestCustodyEvents, RefusedError, registerParty, type AppContext } from '../../src/app/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const root = new URL('../../examples/', import.meta.url);
const read = (p: string): unknown => JSON.parse(readFileSync(new URL(p, root), 'utf8')) as unknown;
const magnet = read('items/ndfeb-plain-magnet.json');
const MAKER = 'ganzhou-hengyuan-magnetics';

describe.each(STORES)('ingestCustodyEvents on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir });
    for (const p of read('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  const lot = (id: string) => ({
    kind: 'lot' as const,
    input: { id, holder: MAKER, location: 'CN', item: magnet, massGrams: 5000 },
  });

  it('commits a batch in order, later events seeing earlier ones, with one checkpoint for the batch', async () => {
    const before = await journalRepo.count(current().store.db);
    const out = await ingestCustodyEvents(ctx, MAKER, [
      lot('B-1'),
      lot('B-2'),
      { kind: 'consumption', input: { lotId: 'B-1', grams: 1000, purpose: 'test' } },
    ]);
    expect(out.map((o) => o.kind)).toEqual(['lot', 'lot', 'consumption']);
    expect(await journalRepo.count(current().store.db)).toBe(before + 3);
    const checkpoint = await current()
      .store.db.selectFrom('log_checkpoint_history')
      .select(['size'])
      .orderBy('size', 'desc')
      .execute();
    expect(checkpoint[0]?.size).toBe(before + 3);
    expect(checkpoint.some((c) => c.size === before + 1 || c.size === before + 2)).toBe(false);
    const b1 = await current()
      .store.db.selectFrom('lots')
      .select('mass_grams')
      .where('id', '=', 'B-1')
      .executeTakeFirstOrThrow();
    expect(b1.mass_grams).toBe(4000);
  });

  it("writes nothing when any event fails, and throws that event's error", async () => {
    const before = await dumpProjections(current().store.db);
    const count = await journalRepo.count(current().store.db);
    const batch = ingestCustodyEvents(ctx, MAKER, [
      lot('C-1'),
      { kind: 'consumption', input: { lotId: 'C-1', grams: 9000, purpose: 'more than there is' } },
    ]);
    await expect(batch).rejects.toBeInstanceOf(RefusedError);
    await expect(batch).rejects.toMatchObject({
      message: expect.stringMatching(/^refused \([A-Z_]+\): events\[1\]: /) as unknown,
    });
    await expect(
      ingestCustodyEvents(ctx, MAKER, [
        lot('C-3'),
        { kind: 'lot', input: { id: 'C-4', holder: MAKER, location: 'CN', massGrams: -1 } },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', field: expect.stringMatching(/^events\[1\]\.lot\./) as unknown });
    await expect(ingestCustodyEvents(ctx, MAKER, [lot('C-2'), lot('C-2')])).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      field: 'events[1].lot.id',
      message: expect.stringMatching(/^events\[1\]: /) as unknown,
    });
    await expect(ingestCustodyEvents(ctx, MAKER, [])).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'events' });
    expect(await journalRepo.count(current().store.db)).toBe(count);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });
});
