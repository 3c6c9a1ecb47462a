import { request } from 'node:http';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/serve.js';
import { ROUTES, type AnyRoute } from '../../src/http/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { harness, type Harness } from './support.js';

/**
 * A route whose requests stay in flight until the test lets them go, so a shutdown arrives while they
 * are (by causality, not by a delay that a loaded machine could outrun): `entered(n)` resolves once n
 * requests are in its handler; `release()` lets them all finish.
 */
function slowRoute(): { route: AnyRoute; entered: (n: number) => Promise<void>; release: () => void } {
  let inside = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const route: AnyRoute = {
    id: 'slowForTest',
    method: 'GET',
    url: '/v1/slow',
    tag: 'test',
    summary: 'test only',
    records: false,
    response: z.object({ done: z.boolean() }),
    access: { roles: ['exporter'], owner: 'any', describe: 'test' },
    handle: async () => {
      inside++;
      for (const w of waiting.filter((x) => x.n <= inside)) w.resolve();
      await gate;
      return { done: true };
    },
  };
  const entered = (n: number) =>
    inside >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { route, entered, release };
}

describe.each(STORES)('lodestone serve: a real listener (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store, { list: false });
  }, 120_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  it('answers over TCP, and on a shutdown signal finishes the in-flight request, refuses new ones, then closes the store', async () => {
    const cred = await h.credential('ganzhou-hengyuan-magnetics', 'exporter');
    const slow = slowRoute();
    let base = '';
    let closed = false;
    const ctx = {
      ...h.ctx,
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
    const running = serve(ctx, {
      host: '127.0.0.1',
      port: 0,
      signals: ['SIGUSR2'],
      server: { logger: false, routes: [...ROUTES, slow.route] },
      onListening: (u) => {
        base = u;
      },
    });
    while (base === '') await new Promise((r) => setTimeout(r, 10));
    const headers = { authorization: `Bearer ${cred.key}` };
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const lots = await fetch(`${base}/v1/lots`, { headers });
    expect(lots.status).toBe(200);
    expect(lots.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const keptAlive = fetch(`${base}/v1/slow`, { headers }).then(async (r) => ({
      status: r.status,
      connection: r.headers.get('connection'),
      body: await r.text(),
    }));
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/v1/slow`, { headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.end();
    });
    await slow.entered(2); // both requests are in the handler, held there
    process.emit('SIGUSR2');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false); // the in-flight requests have not finished, so the store stays open
    const late = await fetch(`${base}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(['refused', 503]).toContain(late);
    expect(closed).toBe(false);
    slow.release();
    const ka = await keptAlive;
    expect(ka.status).toBe(200);
    expect(ka.connection).toBe('close');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ done: true });
    const t = Date.now();
    await running;
    // Not held open by the keep-alive connection, which would keep it for Fastify's keepAliveTimeout (72 s):
    // a bound well under that and generous for a loaded machine (this file runs beside others).
    expect(Date.now() - t).toBeLessThan(30_000);
    expect(closed).toBe(true);
  });
});
