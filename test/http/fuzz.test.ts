/**
 * Property-based fuzzing of every POST body of the served routes (the API, the EPCIS REST binding):
 * generated JSON values and mutations of a valid body (a field dropped, retyped, or an unknown field added), sent by the
 * route's owner with a valid signature and Idempotency-Key. No response may be a 5xx, the server
 * must keep answering, and every refused request (4xx) must leave the journal exactly as it was.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVED_ROUTES as ROUTES, type Role } from '../../src/http/index.js';
import { journalRepo } from '../../src/store/index.js';
import { freshStore, type TestStore } from '../support/stores.js';
import { CASES } from './cases.js';
import { buildFixture, EXPORTER, type Fixture } from './fixture.js';
import { harness, type Harness } from './support.js';

const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 100);

const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(-1),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.constant('\u0000'),
  fc.constant('x'.repeat(5000)),
);

/** A mutation of a JSON object: one path changed, dropped, or an unknown key added. */
function mutations(base: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    if (p.length > 0) paths.push(p);
    if (Array.isArray(v))
      v.forEach((x, i) => {
        walk(x, [...p, i]);
      });
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(base, []);
  if (paths.length === 0) return fc.jsonValue();
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.constantFrom('set', 'drop', 'extra'),
      scalar,
      fc.string({ minLength: 1, maxLength: 12 }),
    )
    .map(([path, op, value, key]) => {
      const copy = structuredClone(base) as Record<string | number, unknown>;
      let parent: Record<string | number, unknown> = copy;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = path.at(-1) ?? '';
      if (op === 'drop') Reflect.deleteProperty(parent, last);
      else if (op === 'set') parent[last] = value;
      else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last]))
        (parent[last] as Record<string, unknown>)[`zz${key}`] = value;
      else copy[`zz${key}`] = value;
      return copy;
    });
}

describe('fuzzing every POST body (fast-check)', () => {
  let ts: TestStore;
  let h: Harness;
  let fx: Fixture;
  beforeAll(async () => {
    ts = await freshStore('pglite');
    h = await harness(ts.store);
    fx = await buildFixture(h.ctx);
  }, 180_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  let total = 0;
  for (const r of ROUTES.filter((x) => x.method === 'POST')) {
    it(`${r.url} (${r.id})`, async () => {
      const c = CASES[r.id];
      if (c === undefined) throw new Error(`no case for ${r.id}`);
      const [role, owner] = (Object.entries(c.owners)[0] ?? ['exporter', EXPORTER]) as [Role, string | null];
      const as = await h.credential(owner, role);
      const valid = await c.build(fx, h.ctx, owner, role);
      const base = valid.body ?? (valid.raw === undefined ? {} : (JSON.parse(valid.raw) as unknown));
      const bodies = fc.oneof(
        { weight: 3, arbitrary: mutations(base) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => ({ raw: s })) },
      );
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          total++;
          const before = await journalRepo.count(h.ctx.store.db);
          const isRaw =
            typeof body === 'object' &&
            body !== null &&
            !Array.isArray(body) &&
            Object.keys(body).length === 1 &&
            typeof (body as { raw?: unknown }).raw === 'string';
          const res = await h.call(as, 'POST', valid.url, isRaw ? { raw: (body as { raw: string }).raw } : { body });
          expect(res.statusCode, res.body).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
            expect(res.body).not.toMatch(/ at .*\.(ts|js):\d+|select |insert into /i);
            expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
          }
        }),
        { numRuns: RUNS },
      );
      expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    }, 60_000);
  }

  it('sent thousands of bodies in total', () => {
    expect(total).toBeGreaterThanOrEqual(RUNS * ROUTES.filter((x) => x.method === 'POST').length);
  });
});
