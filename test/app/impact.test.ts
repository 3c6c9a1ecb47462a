import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, impact, recordClassification, registerParty, type AppContext } from '../../src/app/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const item = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../examples/items/${name}.json`, import.meta.url), 'utf8')) as unknown;

describe.each(STORES)('impact of rule changes on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date('2026-06-01T10:00:00.000Z') });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('the end of the suspension brings Ho-bearing magnets and the 0.1 % rule into force', async () => {
    await registerParty(ctx, {
      id: 'ganzhou-hengyuan-magnetics',
      name: 'Ganzhou Hengyuan Magnetics Co., Ltd.',
      country: 'CN',
    });
    await recordClassification(ctx, 'ganzhou-hengyuan-magnetics', { item: item('ho-ndfeb-magnet') });
    await recordClassification(ctx, 'ganzhou-hengyuan-magnetics', { item: item('foreign-magnet-cn-dy-0.5-pct') });
    await recordClassification(ctx, 'ganzhou-hengyuan-magnetics', { item: item('foreign-magnet-cn-dy-0.05-pct') });
    await recordClassification(ctx, 'ganzhou-hengyuan-magnetics', { item: item('ndfeb-dy-magnet') });
    const r = await impact(ctx, { asOf: '2026-11-24' });
    expect(r.from).toBe('2026-06-01');
    expect(r.examined).toBe(4);
    expect(r.changes.map((c) => [c.description.slice(0, 30), c.before.codes, c.after.codes])).toEqual([
      ['Sintered NdFeB magnets N45H wi', [], ['1C909.a']],
      ['NdFeB magnet made in Japan; Ch', [], ['ANN61-A1P2']],
    ]);
    expect(r.changes[0]?.rules).toEqual(['cn-ann57: suspended → applies (Announcement No. 57 [2025], Annex; 1C909.a)']);
    expect(r.changes[1]?.rules[0]).toMatch(/^cn-ann61-de-minimis: suspended → applies/);
    expect((await impact(ctx, { asOf: '2026-07-01' })).changes).toEqual([]);
  });
});
