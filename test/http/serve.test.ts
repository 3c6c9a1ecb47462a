import { request } from 'node:http';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/serve.js';
import { ROUTES, type AnyRoute } from '../../src/http/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { harness, type Harness } from './support.js';

/** A route that takes a while, so a shutdown can arrive while it is in flight. */
const slow: AnyRoute = {
  id: 'slowForTest',
  method: 'GET',
  url: '/v1/slow',
  tag: 'test',
  summary: 'test only',
  records: false,
  response: z.object({ done: z.boolean() }),
  access: { roles: ['exporter'], owner: 'any', describe: 'test' },
  handle: async () => {
    await new Promise((r) => setTimeout(r, 400));
    return { done: true };
  },
};

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
      server: { logger: false, routes: [...ROUTES, slow] },
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
    await new Promise((r) => setTimeout(r, 100));
    process.emit('SIGUSR2');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    const late = await fetch(`${base}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(['refused', 503]).toContain(late);
    const ka = await keptAlive;
    expect(ka.status).toBe(200);
    expect(ka.connection).toBe('close');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ done: true });
    const t = Date.now();
    await running;
    expect(Date.now() - t).toBeLessThan(5000); // not held open by the keep-alive connection
    expect(closed).toBe(true);
  });
});
