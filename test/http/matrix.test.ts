/**
 * The authorisation matrix, enumerated from the route table itself: every route × every role ×
 * (owner, non-owner), plus no credential. For each route the table's rule says what must happen:
 * a role not allowed → 403; an allowed role on a record it is party to → 2xx; the same request from
 * a party of that role that is not party to it → 404; no API key → 401. A route without a case
 * here, or without a rule, fails the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, SERVED_ROUTES as ROUTES, type Role } from '../../src/http/index.js';
import { freshStore, type TestStore } from '../support/stores.js';
import { CASES, type Req } from './cases.js';
import { buildFixture, DEFAULT_PARTY, EXPORTER, OTHER_PARTY, type Fixture } from './fixture.js';
import { harness, type Harness } from './support.js';

describe('authorisation matrix (every route × role × owner / non-owner, from the route table)', () => {
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

  it('every route has an access rule and a case here (a new route without them fails)', () => {
    for (const r of ROUTES) {
      expect(r.access.roles.length, r.id).toBeGreaterThan(0);
      expect(r.access.describe, r.id).not.toBe('');
      expect(CASES[r.id], `route ${r.id} (${r.method} ${r.url}) has no case in the authorisation matrix`).toBeDefined();
      for (const role of Object.keys(CASES[r.id]?.owners ?? {}))
        expect(r.access.roles, `${r.id}: an owner for role ${role}, which the route does not allow`).toContain(role);
    }
    expect(Object.keys(CASES).filter((id) => !ROUTES.some((r) => r.id === id))).toEqual([]);
  });

  for (const r of ROUTES) {
    it(`${r.method} ${r.url} (${r.id})`, async () => {
      const c = CASES[r.id];
      if (c === undefined) throw new Error(`no case for ${r.id}`);
      const send = async (as: Parameters<Harness['call']>[0], q: Req) =>
        h.call(as, q.method, q.url, {
          ...(q.body === undefined ? {} : { body: q.body }),
          ...(q.raw === undefined ? {} : { raw: q.raw }),
          ...(q.signature === undefined ? {} : { signature: q.signature }),
        });
      const primary = (Object.entries(c.owners)[0] ?? ['exporter', EXPORTER]) as [Role, string | null];
      const outcomes: string[] = [];
      const expectStatus = (label: string, status: number, ok: (s: number) => boolean, body: string) => {
        outcomes.push(`${label}: ${status}`);
        expect(ok(status), `${r.id} ${label}: got ${status} ${body.slice(0, 400)}`).toBe(true);
      };
      // Requests for the checks that must change nothing are built once per owner; each owner's 2xx check gets a fresh one.
      const cache = new Map<string, Req>();
      const shared = async (owner: string | null, role: Role): Promise<Req> => {
        const k = `${owner ?? ''}/${role}`;
        let q = cache.get(k);
        if (q === undefined) cache.set(k, (q = await c.build(fx, h.ctx, owner, role)));
        return q;
      };
      const anon = await send(null, await shared(primary[1], primary[0]));
      expectStatus('no credential', anon.statusCode, (s) => s === 401, anon.body);
      for (const role of ROLES) {
        const allowed = r.access.roles.includes(role);
        if (!allowed) {
          const res = await send(await h.credential(DEFAULT_PARTY[role], role), await shared(primary[1], primary[0]));
          expectStatus(`${role} (not allowed)`, res.statusCode, (s) => s === 403, res.body);
          expect(res.json<{ code: string }>().code).toBe('ROLE_FORBIDDEN');
          continue;
        }
        const owner = c.owners[role];
        if (owner !== undefined) {
          const res = await send(await h.credential(owner, role), await c.build(fx, h.ctx, owner, role));
          expectStatus(`${role} owner ${owner ?? 'admin'}`, res.statusCode, (s) => s >= 200 && s < 300, res.body);
        }
        if (r.access.owner !== 'any' && role !== 'operator-admin') {
          const other = OTHER_PARTY[role];
          const res = await send(
            await h.credential(other, role),
            await shared(owner ?? primary[1], owner === undefined ? primary[0] : role),
          );
          expectStatus(`${role} non-owner ${other}`, res.statusCode, (s) => s === 404, res.body);
        }
      }
      expect(outcomes.length).toBeGreaterThan(ROLES.length - 1);
    }, 60_000);
  }
});
