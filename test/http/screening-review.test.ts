/**
 * Screening review over HTTP (signed requests, problem+json naming the field): a licensing authority
 * records a false positive on a registered party's hit; the party's screening shows it set aside with
 * the review; an exporter may not decide; bad bodies name their field and record nothing.
 */
import { describe, expect, it } from 'vitest';
import { journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { harness } from './support.js';

describe.each(STORES)('screening review over HTTP (%s)', (kind) => {
  const fresh = useFreshStore(kind);

  it('records a decision, shows it on the next screening, and names the field of a bad request', async () => {
    const h = await harness(fresh().store);
    const authority = await h.credential('cn-mofcom', 'licensing-authority');
    const exporter = await h.credential('ganzhou-hengyuan-magnetics', 'exporter');
    const before = await h.call(exporter, 'GET', '/v1/screening/parties/red-mesa-defense');
    expect(before.statusCode).toBe(200);
    expect(before.json<{ hits: { entryId: string; tokens: unknown[] }[] }>().hits).toMatchObject([
      { entryId: 'DEMO-CL-001', tokens: expect.any(Array) as unknown },
    ]);
    const body = {
      partyId: 'red-mesa-defense',
      list: 'cn-control-list',
      entryId: 'DEMO-CL-001',
      decision: 'false-positive',
      reason: 'a namesake in another state',
    };
    const n = await journalRepo.count(h.ctx.store.db);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...body, decision: 'maybe' }, 'decision'],
      [{ ...body, reason: '' }, 'reason'],
      [{ ...body, partyId: undefined }, 'partyId'],
      [{ ...body, entryId: 'DEMO-CL-999' }, 'entryId'],
      [{ ...body, extra: 1 }, 'extra'],
    ];
    for (const [b, field] of cases) {
      const r = await h.call(authority, 'POST', '/v1/screening/reviews', { body: b });
      expect(r.statusCode, JSON.stringify(b)).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
      expect(JSON.stringify(r.json()), JSON.stringify(b)).toContain(field);
    }
    expect((await h.call(exporter, 'POST', '/v1/screening/reviews', { body })).statusCode).toBe(403);
    expect(await journalRepo.count(h.ctx.store.db)).toBe(n);

    const ok = await h.call(authority, 'POST', '/v1/screening/reviews', { body });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({
      review: { decision: 'false-positive', by: 'cn-mofcom', entryId: 'DEMO-CL-001' },
    });
    const after = await h.call(exporter, 'GET', '/v1/screening/parties/red-mesa-defense');
    expect(after.json()).toMatchObject({
      hits: [],
      setAside: [{ entryId: 'DEMO-CL-001', review: { decision: 'false-positive', by: 'cn-mofcom' } }],
      reviews: [{ reason: 'a namesake in another state' }],
    });
    const list = await h.call(exporter, 'GET', '/v1/screening/reviews?partyId=red-mesa-defense');
    expect(list.json<unknown[]>()).toHaveLength(1);
    expect((await h.call(exporter, 'GET', '/v1/screening/reviews')).statusCode).toBe(400);
    const spec = (await h.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/screening/reviews', '/v1/screening/parties/{id}']),
    );
    await h.app.close();
  });
});
