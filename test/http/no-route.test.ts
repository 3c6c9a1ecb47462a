/**
 * Issue 20, point 6 — HTTP hygiene: an unknown path under the API (/v1, /log, …) is a 404
 * problem+json, never the console's page; a path that exists with another method is 405 with
 * Allow; a body of another media type is 415 and writes nothing; application/ld+json is taken like
 * JSON; the OpenAPI document says all of it (and still validates). Routing does not depend on the
 * store, so this runs on PGlite only.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalRepo } from '../../src/store/index.js';
import { freshStore, type TestStore } from '../support/stores.js';
import { example, harness, type Harness } from './support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');

describe('404, 405 and 415 as problem+json', () => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore('pglite');
    h = await harness(ts.store, { list: false });
  }, 120_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });
  const problemOf = (r: { headers: Record<string, unknown>; body: string }) => {
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    return JSON.parse(r.body) as { status: number; code: string; detail: string };
  };

  it('unknown paths under the API prefixes are 404 NO_ROUTE, with or without a key, for any method', async () => {
    const cred = await h.credential(EXPORTER, 'exporter');
    for (const url of [
      '/v1',
      '/v1/',
      '/v1/nothing-here',
      '/v1/lots/x/y/z',
      '/log',
      '/log/nothing',
      '/healthz/x',
      '/docs/x',
    ]) {
      for (const as of [null, cred]) {
        const r = await h.call(as, 'GET', url);
        expect(r.statusCode, url).toBe(404);
        expect(problemOf(r).code, url).toBe('NO_ROUTE');
      }
    }
    // A path that is not even a URL (a broken escape) is a 400 problem before routing.
    const broken = await h.call(cred, 'GET', '/v1/%E0%A4%A');
    expect(broken.statusCode).toBe(400);
    expect(problemOf(broken).code).toBe('BAD_URL');
    const post = await h.call(cred, 'POST', '/v1/nothing-here', { body: {} });
    expect(post.statusCode).toBe(404);
    expect(problemOf(post).code).toBe('NO_ROUTE');
    // A console route is still the console (its page, or 503 when it is not built), never a problem.
    const page = await h.app.inject({ url: '/licences/L-1' });
    expect(page.headers['content-type']).not.toMatch(/problem/);
  });

  it('a path that exists with other methods is 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const cred = await h.credential(EXPORTER, 'exporter');
    const cases: [string, string, string][] = [
      ['GET', '/v1/log/cosignatures', 'POST'],
      ['DELETE', '/v1/lots', 'GET, HEAD, POST'],
      ['PUT', '/v1/lots/L-1', 'GET, HEAD'],
      ['POST', '/v1/log/checkpoint', 'GET, HEAD'],
      ['POST', '/log/checkpoint', 'GET, HEAD'],
      ['DELETE', '/log/tile/0/000', 'GET, HEAD'],
      ['POST', '/openapi.json', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const r = await h.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${cred.key}` } });
      expect(r.statusCode, `${method} ${url}`).toBe(405);
      expect(r.headers.allow, `${method} ${url}`).toBe(allow);
      const p = problemOf(r);
      expect(p.code).toBe('METHOD_NOT_ALLOWED');
      expect(p.detail).toContain(`${method} is not allowed on ${url}`);
    }
  });

  it('415 for a body that is not JSON (nothing written); application/ld+json is JSON', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journalRepo.count(h.ctx.store.db);
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const r = await h.call(as, 'POST', '/v1/lots', { raw: 'id=1', headers: { 'content-type': type }, sign: false });
      expect(r.statusCode, type).toBe(415);
      expect(problemOf(r).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
    const ld = await h.call(as, 'POST', '/v1/lots', {
      body: { id: 'LD-1', holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000 },
      headers: { 'content-type': 'application/ld+json' },
    });
    expect(ld.statusCode, ld.body).toBe(201);
    expect(await journalRepo.count(h.ctx.store.db)).toBeGreaterThan(before);
  });

  it('the OpenAPI document lists application/ld+json bodies, 415 on routes with a body, 405 with Allow, and still validates', async () => {
    type Op = { requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> };
    const doc = (await h.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, Op>>;
      components: { responses: Record<string, { headers?: Record<string, unknown> }> };
    }>();
    const createLot = doc.paths['/v1/lots']!.post!;
    expect(Object.keys(createLot.requestBody!.content)).toEqual(['application/json', 'application/ld+json']);
    expect(createLot.responses).toHaveProperty('415');
    expect(createLot.responses).toHaveProperty('405');
    expect(doc.paths['/v1/lots']!.get!.responses).not.toHaveProperty('415');
    expect(doc.components.responses.MethodNotAllowed!.headers).toHaveProperty('Allow');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
  });
});
