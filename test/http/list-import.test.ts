/**
 * Importing a restricted-party list over HTTP at its real size: OFAC's sdn.csv is about 4 MB and its
 * alt.csv 0.6 MB, more than the API's default 1 MB body. `POST /v1/lists/:list/snapshots` takes up to
 * 64 MB and OFAC's companion files (alt, add) as text, as `lodestone lists import --alt --add` takes
 * them as paths; a larger body is refused with 413 and writes nothing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as app from '../../src/app/index.js';
import { freshStore, type TestStore } from '../support/stores.js';
import { harness, type Harness } from './support.js';

const FIXTURES = new URL('../fixtures/screening/', import.meta.url).pathname;
const read = (f: string) => readFileSync(FIXTURES + f, 'latin1');

/**
 * The 19 public-domain SDN rows of the fixture (and their alternate names), repeated under new entry
 * numbers until the file is larger than `bytes`: a list of real rows at a real list's size.
 */
function enlarged(bytes: number): { sdn: string; alt: string; entries: number } {
  const rows = (text: string) => text.split('\r\n').filter((l) => /^\d+,/.test(l));
  const sdnRows = rows(read('sdn.csv'));
  const altRows = rows(read('alt.csv'));
  const sdn: string[] = [];
  const alt: string[] = [];
  let size = 0;
  for (let copy = 0; size <= bytes; copy += 1) {
    const renumber = (l: string) => l.replace(/^(\d+)/, (n) => String(Number(n) + copy * 100_000));
    for (const l of sdnRows) {
      const r = renumber(l);
      sdn.push(r);
      size += r.length + 2;
    }
    for (const l of altRows) alt.push(renumber(l));
  }
  return { sdn: `${sdn.join('\r\n')}\r\n`, alt: `${alt.join('\r\n')}\r\n`, entries: sdn.length };
}

describe('a restricted-party list at its real size over HTTP', () => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore('pglite');
    h = await harness(ts.store, { list: false });
  }, 180_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  it('imports a 1.5 MB sdn.csv with its alt.csv as one snapshot, alternate names included', async () => {
    const { sdn, alt, entries } = enlarged(1_500_000);
    const authority = await h.credential('cn-mofcom', 'licensing-authority');
    const r = await h.call(authority, 'POST', '/v1/lists/ofac-sdn/snapshots', {
      body: { format: 'sdn-csv', text: sdn, alt, authority: 'US Treasury OFAC' },
    });
    expect(r.statusCode, r.body.slice(0, 500)).toBe(201);
    expect(r.json()).toMatchObject({ status: 'imported', list: 'ofac-sdn', effect: 'information', entries });
    // An alternate name from alt.csv (entity 306's "NATIONAL BANK OF CUBA"; its primary name is Spanish) is screened as the entry's.
    const hits = await app.screenNames(h.ctx, ['National Bank of Cuba']);
    // Every copy of entity 306 carries it, and only they match.
    const ids = hits[0]?.hits.map((x) => Number(x.entryId) % 100_000) ?? [];
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids)).toEqual(new Set([306]));
  }, 240_000);

  it('refuses a companion file with another format, naming the field, and writes nothing', async () => {
    const authority = await h.credential('cn-mofcom', 'licensing-authority');
    const before = (await app.listSnapshots(h.ctx)).length;
    const r = await h.call(authority, 'POST', '/v1/lists/plain/snapshots', {
      body: { format: 'csv', text: read('plain.csv'), alt: read('alt.csv') },
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({ code: 'INVALID_INPUT' });
    expect(r.json<{ detail: string }>().detail).toMatch(/^alt: alt\.csv goes only with format sdn-csv/);
    expect((await app.listSnapshots(h.ctx)).length).toBe(before);
  });

  it('refuses a body over 64 MB with 413 and writes nothing', async () => {
    const authority = await h.credential('cn-mofcom', 'licensing-authority');
    const before = (await app.listSnapshots(h.ctx)).length;
    const r = await h.call(authority, 'POST', '/v1/lists/huge/snapshots', {
      body: { format: 'csv', text: 'x'.repeat(64 * 1024 * 1024) },
    });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect((await app.listSnapshots(h.ctx)).length).toBe(before);
  });
});
