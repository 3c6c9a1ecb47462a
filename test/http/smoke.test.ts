import { describe, expect, it } from 'vitest';
import { STORES, useFreshStore } from '../support/stores.js';
import { example, harness } from './support.js';

describe.each(STORES)('HTTP basics (%s)', (kind) => {
  const fresh = useFreshStore(kind);

  it('health, readiness, 401 problem+json, a lot created over HTTP', async () => {
    const h = await harness(fresh().store);
    expect((await h.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    const anon = await h.call(null, 'GET', '/v1/parties');
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(anon.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    const exporter = await h.credential('ganzhou-hengyuan-magnetics', 'exporter');
    const r = await h.call(exporter, 'POST', '/v1/lots', {
      body: {
        id: 'L-1',
        holder: 'ganzhou-hengyuan-magnetics',
        location: 'CN',
        item: example('items/ndfeb-45sh-dy-magnet.json'),
        massGrams: 1000,
      },
    });
    expect(r.json()).toMatchObject({ id: 'L-1' });
    expect(r.statusCode).toBe(201);
    await h.app.close();
  });
});
