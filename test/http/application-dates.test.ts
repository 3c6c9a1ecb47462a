/**
 * Issue 23 A1 over HTTP: a malformed validFrom in `POST /v1/applications` is a 400 problem+json naming
 * the field (it was a 500 from a RangeError), and nothing is written. Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalRepo } from '../../src/store/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { example, harness, type Harness } from './support.js';

const application = (validFrom: string) => ({
  authority: 'cn-mofcom',
  applicant: 'ganzhou-hengyuan-magnetics',
  importer: 'chakan-drive-systems',
  endUser: 'chakan-drive-systems',
  destination: 'IN',
  endUse: { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] },
  licenceType: 'single',
  lines: [
    {
      ref: 'L1',
      item: example('items/ndfeb-45sh-dy-magnet.json'),
      quantityGrams: 1_000_000,
      value: { currency: 'USD', minor: 8_000_000 },
    },
  ],
  validFrom,
  validUntil: '2027-11-23',
});

describe.each(STORES)('POST /v1/applications with a malformed validFrom (%s)', (kind) => {
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

  it.each(['07/12/2026', '2026.12.07', '2026-12-07T10:00:00Z'])(
    '%j is 400 naming application validFrom, nothing written',
    async (validFrom) => {
      const exporter = await h.credential('ganzhou-hengyuan-magnetics', 'exporter');
      const before = await journalRepo.read(h.ctx.store.db, { fromSeq: 1, limit: 100_000 });
      const r = await h.call(exporter, 'POST', '/v1/applications', { body: application(validFrom) });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(r.body) as { code: string; field?: string; detail: string };
      expect(problem.code).toBe('INVALID_INPUT');
      expect(`${problem.field ?? ''} ${problem.detail}`).toMatch(/validFrom/);
      expect(problem.detail).not.toMatch(/RangeError|Invalid time value/);
      expect(await journalRepo.read(h.ctx.store.db, { fromSeq: 1, limit: 100_000 })).toEqual(before);
    },
  );
});
