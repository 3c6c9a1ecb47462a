/**
 * A restricted-party list's legal effect (deny / review) is an authority's decision checked against
 * the trust list, attacked through the public interfaces: the real CLI (in-process `main`) and the
 * HTTP API. A party the trust list does not name as licensing authority for the list's regime
 * cannot import a list with effect deny or review: refused (rule LIST_EFFECT_NOT_AUTHORITY, CLI exit
 * status 7, HTTP 422), nothing written; information stays open to the operator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as app from '../../src/app/index.js';
import { EXIT, main } from '../../src/cli/main.js';
import type { SignedRecord } from '../../src/trust/index.js';
import { checkTrustList } from '../../src/verify/trust-list-check.js';
import { harness, type Harness } from '../http/support.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PARTIES = join(ROOT, 'examples/scenario/parties.json');
const TRUST_LIST = join(ROOT, 'examples/scenario/trust-list.json');
const EXPORTER = 'ganzhou-hengyuan-magnetics';
const LIST_ROWS = 'name,aliases,country,type,list,id\nVindhya Listed Traders Pvt Ltd,,IN,entity,x,CL-1\n';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-adv-list-effect-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a list with effect deny or review comes only from a licensing authority for its regime (CLI)', () => {
  it('refuses a non-authority, and an authority for another country, in one line naming the rule, exit 7, writing nothing', async () => {
    const dir = join(work, 'cli');
    await seedPgliteDataDir(join(dir, 'data'));
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = '';
    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const sink = (f: (s: string) => void) =>
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            f(chunk.toString());
            cb();
          },
        });
      const code = await main(
        ['node', 'lodestone', '--data-dir', join(dir, 'data'), '--keys-dir', join(dir, 'keys'), ...args],
        { out: sink((s) => (out += s)), err: sink((s) => (err += s)) },
      );
      return { code, out, err };
    };
    try {
      expect((await run('parties', 'register', PARTIES)).code).toBe(0);
      expect((await run('trust-list', 'set', TRUST_LIST)).code).toBe(0);
      const file = join(work, 'list.csv');
      writeFileSync(file, LIST_ROWS);
      const journal = async () =>
        (await run('journal', '--limit', '100000', '--json')).out.split('\n').filter(Boolean).length;
      const before = await journal();
      const base = ['lists', 'import', file, '--format', 'csv', '--list', 'cn-control-list', '--authority', 'MOFCOM'];

      // The exporter is no authority at all; MOFCOM is one for CN, not for the US regime.
      for (const [actor, effect, country] of [
        [EXPORTER, 'deny', 'CN'],
        [EXPORTER, 'review', 'CN'],
        ['cn-mofcom', 'deny', 'US'],
      ] as const) {
        const r = await run(...base, '--actor', actor, '--effect', effect, '--country', country);
        expect(r.code, r.err).toBe(EXIT.refused);
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err).toMatch(/LIST_EFFECT_NOT_AUTHORITY/);
        expect(r.err).toContain(`"${actor}" is not listed as licensing authority for exports from ${country}`);
      }
      // deny without the regime: bad input naming the option's field.
      const noCountry = await run(...base, '--actor', 'cn-mofcom', '--effect', 'deny');
      expect(noCountry.code).toBe(EXIT.badInput);
      expect(noCountry.err).toMatch(/country: is required with effect deny/);
      expect(await journal()).toBe(before);
      expect((await run('lists', 'list')).out).not.toMatch(/cn-control-list/);

      // Information is open to the operator (any registered actor); deny from the authority for CN is recorded with it.
      expect((await run(...base, '--list', 'foreign', '--actor', EXPORTER)).code).toBe(0);
      const ok = await run(...base, '--actor', 'cn-mofcom', '--effect', 'deny', '--country', 'CN', '--json');
      expect(ok.code, ok.err).toBe(0);
      expect(JSON.parse(ok.out)).toMatchObject({
        status: 'imported',
        effect: 'deny',
        country: 'CN',
        trustList: { version: 1 },
      });
      const signed = (await run('journal', '--limit', '100000', '--json')).out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SignedRecord);
      const imported = signed.filter((r) => r.payload.type === 'list.imported').map((r) => r.payload);
      expect(imported.at(-1)).toMatchObject({
        actor: 'cn-mofcom',
        body: { list: 'cn-control-list', effect: 'deny', country: 'CN', trustList: { version: 1 } },
      });
      // The verifier's trust-list step checks the import against the version in force at that point…
      const leaves = signed.map((_, k) => k);
      expect(checkTrustList(signed, leaves)).toMatchObject({ versions: 1, listImports: 1 });
      // … and fails a deny import whose actor the list does not name (a forged or mis-made record).
      const forged = signed.map((r) =>
        r.payload.type === 'list.imported' && r.payload.actor === 'cn-mofcom'
          ? { ...r, payload: { ...r.payload, actor: EXPORTER } }
          : r,
      );
      expect(() => checkTrustList(forged, leaves)).toThrow(
        new RegExp(
          `${EXPORTER} imported list cn-control-list with effect deny, but is not listed as licensing authority for exports from CN`,
        ),
      );
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  }, 240_000);
});

describe.each(STORES)(
  'a list with effect deny comes only from a licensing authority for its regime (HTTP, %s)',
  (kind) => {
    let ts: TestStore;
    let h: Harness;
    beforeAll(async () => {
      ts = await freshStore(kind);
      h = await harness(ts.store, { list: false });
    }, 180_000);
    afterAll(async () => {
      await h.app.close();
      await ts.dispose();
    });

    it('refuses a deny import from a party not named for the country (422 LIST_EFFECT_NOT_AUTHORITY) and writes nothing', async () => {
      const head = async () => (await app.listSnapshots(h.ctx)).length;
      const before = await head();
      const body = { format: 'csv', text: LIST_ROWS, authority: 'MOFCOM', effect: 'deny', country: 'CN' };
      // An exporter's credential is no authority's.
      const exporter = await h.call(
        await h.credential(EXPORTER, 'exporter'),
        'POST',
        '/v1/lists/cn-control-list/snapshots',
        {
          body,
        },
      );
      expect(exporter.statusCode).toBe(403);
      // A licensing-authority credential of a party the trust list does not name for CN.
      const rogue = await h.call(
        await h.credential(EXPORTER, 'licensing-authority'),
        'POST',
        '/v1/lists/cn-control-list/snapshots',
        { body },
      );
      expect(rogue.statusCode, rogue.body).toBe(422);
      expect(rogue.json()).toMatchObject({ code: 'REFUSED', refusals: [{ rule: 'LIST_EFFECT_NOT_AUTHORITY' }] });
      // MOFCOM, named for CN, but importing for the US regime.
      const mofcom = await h.credential('cn-mofcom', 'licensing-authority');
      const other = await h.call(mofcom, 'POST', '/v1/lists/cn-control-list/snapshots', {
        body: { ...body, country: 'US' },
      });
      expect(other.statusCode, other.body).toBe(422);
      expect(await head()).toBe(before);
      const ok = await h.call(mofcom, 'POST', '/v1/lists/cn-control-list/snapshots', { body });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(ok.json()).toMatchObject({ status: 'imported', effect: 'deny', country: 'CN', trustList: { version: 1 } });
      expect(await head()).toBe(before + 1);
    }, 120_000);
  },
);
