/**
 * The HTTP side of issue 19 point 1: `?assume=FACT=READING` on classification (MOFCOM & GAC
 * Announcement No. 70 [2025] after 2026-11-10), the assumptions in the response, a 400 problem naming
 * `assume` for an unknown fact or reading, and the parameter in the OpenAPI document.
 */
import { describe, expect, it } from 'vitest';
import { STORES, useFreshStore } from '../support/stores.js';
import { example, harness } from '../http/support.js';

const FACT = 'ann70-after-2026-11-10';

describe.each(STORES)('assume over HTTP (%s)', (kind) => {
  const fresh = useFreshStore(kind);

  it('classification carries the Ann. 70 assumption; ?assume flips it; a bad reading is a 400 naming assume', async () => {
    const h = await harness(fresh().store);
    const exporter = await h.credential('ganzhou-hengyuan-magnetics', 'exporter');
    const body = { item: example('items/ho-ndfeb-magnet.json'), asOf: '2026-11-24' };
    const lapsed = await h.call(exporter, 'POST', '/v1/classifications/evaluate', { body });
    expect(lapsed.statusCode).toBe(200);
    const c = lapsed.json<{ classification: { codes: string[]; assumptions: { fact: string; reading: string; chosen: string }[] } }>().classification;
    expect(c.codes).toEqual(['1C909.a']);
    expect(c.assumptions.map((a) => [a.fact, a.reading, a.chosen])).toEqual([[FACT, 'lapsed', 'default']]);

    const extended = await h.call(exporter, 'POST', `/v1/classifications/evaluate?assume=${FACT}%3Dextended`, { body });
    expect(extended.statusCode).toBe(200);
    const e = extended.json<{ classification: { codes: string[]; assumptions: { reading: string; chosen: string }[] } }>().classification;
    expect(e.codes).toEqual([]);
    expect(e.assumptions.map((a) => [a.reading, a.chosen])).toEqual([['extended', 'assumed']]);

    const bad = await h.call(exporter, 'POST', `/v1/classifications/evaluate?assume=${FACT}%3Dmaybe`, { body });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json()).toMatchObject({ status: 400, detail: `assume: fact "${FACT}" has no reading "maybe" (readings: lapsed, extended)` });

    const before = await h.call(exporter, 'POST', '/v1/classifications/evaluate', { body: { ...body, asOf: '2026-06-01' } });
    expect(before.json<{ classification: { assumptions: unknown[] } }>().classification.assumptions).toEqual([]);

    const packs = await h.call(exporter, 'GET', '/v1/rule-packs');
    expect(packs.statusCode).toBe(200);
    const [pack] = packs.json<{ id: string; facts: { id: string; default: string; readings: { id: string }[] }[]; inferences: { id: string }[] }[]>();
    expect(pack?.facts.map((f) => [f.id, f.default, f.readings.map((r) => r.id)])).toEqual([[FACT, 'lapsed', ['lapsed', 'extended']]]);
    expect(pack?.inferences.map((i) => i.id)).toContain('ndfeb-dy-tb-any-amount');

    const doc = (await h.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>();
    for (const [path, method] of [['/v1/classifications/evaluate', 'post'], ['/v1/classifications', 'post'], ['/v1/applications', 'post'], ['/v1/export-check', 'get']] as const) {
      expect(doc.paths[path]?.[method]?.parameters?.some((p) => p.name === 'assume' && p.in === 'query')).toBe(true);
    }
    await h.app.close();
  });
});
