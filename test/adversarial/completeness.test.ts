/**
 * Issue 18, items 6 and 10, attacked through the public interfaces: the HTTP API (both stores) and
 * the CLI (`lodestone demo --out`, `lodestone verify --log-key`).
 *
 * - item 6: an audit bundle with any one record removed — a shipment, its receipt, an alert, the
 *   last entry — must fail `verify` with the log key pinned.
 * - item 10: the bundle of one licence carries no body of another licence's records, even when
 *   both licences draw on one source lot, and still verifies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logVerifier } from '../../src/app/index.js';
import { EXIT, main } from '../../src/cli/main.js';
import { verifyBundle, VerifyError } from '../../src/verify/index.js';
import { example, harness, TODAY, type Harness } from '../http/support.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const AUTHORITY = 'cn-mofcom';
const IMPORTER = 'chakan-drive-systems';
const OTHER_IMPORTER = 'deccan-mobility';
const GOVERNMENT = 'in-dgft';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const endUse = {
  description: 'Rotor magnets for 150 kW traction motors of electric passenger cars, made and sold in India',
  purposes: ['civil-automotive'],
  endProduct: 'EV traction motors',
};

interface Bundle {
  licence: string;
  leafIndexes: number[];
  entries: { leafIndex: number; record: string; proof: string[] }[];
}

const typeOf = (e: Bundle['entries'][number]) => (JSON.parse(e.record) as { payload: { type: string } }).payload.type;

/** The bundle without the entries `drop` picks (and without their leafIndexes: a careful forger). */
function without(bundle: Bundle, drop: (e: Bundle['entries'][number], i: number) => boolean): string {
  const entries = bundle.entries.filter((e, i) => !drop(e, i));
  return JSON.stringify({ ...bundle, entries, leafIndexes: entries.map((e) => e.leafIndex) });
}

function refusal(text: string, logKey: string): string {
  try {
    verifyBundle(text, { logKey });
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return (e as VerifyError).code;
  }
  return 'VERIFIED';
}

describe.each(STORES)('items 6 and 10 over HTTP (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  let licenceA = '';
  let licenceB = '';
  let appB = '';
  let logKey = '';
  const ok = (r: { statusCode: number; body: string }, status = 201) => {
    expect(r.statusCode, r.body).toBe(status);
    return JSON.parse(r.body) as Record<string, unknown>;
  };

  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store);
    logKey = (await logVerifier(h.ctx)).publicKey;
    const exporter = await h.credential(EXPORTER, 'exporter');
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const importer = await h.credential(IMPORTER, 'importer');
    const other = await h.credential(OTHER_IMPORTER, 'importer');
    const government = await h.credential(GOVERNMENT, 'importing-government');
    const cert = ok(
      await h.call(importer, 'POST', '/v1/certificates', {
        body: {
          exporter: EXPORTER,
          importer: IMPORTER,
          endUser: IMPORTER,
          items: [
            {
              controlCode: '1C905.a',
              hsCode: '8505111000',
              description: 'Sintered NdFeB magnets 45SH containing Dy',
              quantityGrams: 2_000_000,
              value: { currency: 'USD', minor: 16_000_000 },
            },
          ],
          endUse,
          undertakings: {
            noWmdUse: true,
            noMilitaryUse: true,
            noReexportWithoutConsent: true,
            consentAuthority: AUTHORITY,
            prohibitedDestinations: ['US'],
            useOnlyIn: 'IN',
            extendsToIncorporatingProducts: true,
            postShipmentVerificationConsent: true,
            noticeOfChanges: true,
          },
          validity: { from: TODAY, until: '2027-11-23' },
        },
      }),
    );
    const certId = cert.id as string;
    ok(await h.call(government, 'POST', `/v1/certificates/${encodeURIComponent(certId)}/countersign`));
    // One source lot that both licences draw on.
    ok(
      await h.call(exporter, 'POST', '/v1/lots', {
        body: {
          id: 'MAG-SHARED',
          holder: EXPORTER,
          location: 'CN',
          item: magnet,
          massGrams: 3_000_000,
          value: { currency: 'USD', minor: 24_000_000 },
        },
      }),
    );
    const apply = async (importerId: string, grams: number, certificateId?: string) =>
      ok(
        await h.call(exporter, 'POST', '/v1/applications', {
          body: {
            authority: AUTHORITY,
            applicant: EXPORTER,
            importer: importerId,
            endUser: importerId,
            destination: 'IN',
            endUse,
            licenceType: 'single',
            lines: [{ ref: 'L1', item: magnet, quantityGrams: grams, value: { currency: 'USD', minor: grams * 8 } }],
            ...(certificateId === undefined ? {} : { certificateId }),
            validFrom: TODAY,
            validUntil: '2027-11-23',
          },
        }),
      );
    const a = await apply(IMPORTER, 2_000_000, certId);
    licenceA = (
      ok(
        await h.call(authority, 'POST', `/v1/applications/${a.id as string}/decision`, {
          body: { decision: 'approve', conditions: { prohibitedReexportDestinations: ['US'], useOnlyIn: 'IN' } },
        }),
      ).licence as { id: string }
    ).id;
    const b = await apply(OTHER_IMPORTER, 500_000);
    appB = b.id as string;
    licenceB = (
      ok(
        await h.call(authority, 'POST', `/v1/applications/${appB}/decision`, {
          body: { decision: 'approve', conditions: { prohibitedReexportDestinations: [], useOnlyIn: 'IN' } },
        }),
      ).licence as { id: string }
    ).id;
    for (const [id, grams] of [
      ['SH-A1', 1_200_000],
      ['SH-A2', 800_000],
    ] as const) {
      ok(
        await h.call(exporter, 'POST', '/v1/shipments', {
          body: {
            id,
            fromLot: 'MAG-SHARED',
            to: IMPORTER,
            destination: 'IN',
            grams,
            value: { currency: 'USD', minor: grams * 8 },
            licenceId: licenceA,
            lineRef: 'L1',
          },
        }),
      );
    }
    // The other licence's shipment leaves from the same lot, between licence A's shipment and its receipts.
    ok(
      await h.call(exporter, 'POST', '/v1/shipments', {
        body: {
          id: 'SH-B1',
          fromLot: 'MAG-SHARED',
          to: OTHER_IMPORTER,
          destination: 'IN',
          grams: 500_000,
          value: { currency: 'USD', minor: 4_000_000 },
          licenceId: licenceB,
          lineRef: 'L1',
        },
      }),
    );
    ok(
      await h.call(other, 'POST', '/v1/shipments/SH-B1/receipt', {
        body: { lotId: 'IN-DM-B1', receivedGrams: 500_000 },
      }),
    );
    ok(
      await h.call(importer, 'POST', '/v1/shipments/SH-A1/receipt', {
        body: { lotId: 'IN-A1', receivedGrams: 1_200_000 },
      }),
    );
    ok(
      await h.call(importer, 'POST', '/v1/shipments/SH-A2/receipt', {
        body: { lotId: 'IN-A2', receivedGrams: 800_000 },
      }),
    );
  }, 180_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });

  const bundleOf = async (licenceId: string): Promise<{ text: string; bundle: Bundle }> => {
    const authority = await h.credential(AUTHORITY, 'licensing-authority');
    const r = await h.call(authority, 'GET', `/v1/licences/${licenceId}/audit-bundle`);
    expect(r.statusCode, r.body).toBe(200);
    return { text: r.body, bundle: JSON.parse(r.body) as Bundle };
  };

  it('item 6: a bundle is provably complete — removing any one record (a shipment and its receipt, the last entry) fails verify', async () => {
    const { text, bundle } = await bundleOf(licenceA);
    expect(verifyBundle(text, { logKey }).licence).toBe(licenceA);
    expect(bundle.entries.length).toBeGreaterThan(8);
    // Every single entry, not a sample.
    const passed = bundle.entries
      .map((e, i) => ({
        i,
        type: typeOf(e),
        code: refusal(
          without(bundle, (_x, j) => j === i),
          logKey,
        ),
      }))
      .filter((r) => r.code === 'VERIFIED');
    expect(passed).toEqual([]);
    // A shipment and its receipt together, and the last entry.
    const shipmentA2 = (e: Bundle['entries'][number]) =>
      e.record.includes('"SH-A2"') && ['shipment.dispatched', 'shipment.received'].includes(typeOf(e));
    expect(bundle.entries.filter(shipmentA2)).toHaveLength(2);
    expect(refusal(without(bundle, shipmentA2), logKey)).toBe('INCOMPLETE');
    expect(
      refusal(
        without(bundle, (_e, i) => i === bundle.entries.length - 1),
        logKey,
      ),
    ).toBe('INCOMPLETE');
  });

  it("item 10: an auditor of one licence learns nothing of another's — no body of the other licence's records, and it still verifies", async () => {
    const { text, bundle } = await bundleOf(licenceA);
    for (const secret of [licenceB, appB, 'SH-B1', 'IN-DM-B1'])
      expect(text.includes(secret), `licence ${licenceA}'s bundle mentions ${secret}`).toBe(false);
    const summary = verifyBundle(text, { logKey });
    expect(summary.shipments).toBe(2);
    expect(bundle.entries.every((e) => !e.record.includes(OTHER_IMPORTER))).toBe(true);
    // And the other way round: licence B's bundle shows none of licence A's shipments.
    const other = await bundleOf(licenceB);
    for (const secret of [licenceA, 'SH-A1', 'SH-A2', 'IN-A1'])
      expect(other.text.includes(secret), `licence ${licenceB}'s bundle mentions ${secret}`).toBe(false);
    expect(verifyBundle(other.text, { logKey }).licence).toBe(licenceB);
  });
});

describe('item 6: the demo licence bundle (lodestone demo --out, lodestone verify --log-key)', () => {
  let dir: string;
  // The CLI's own embedded store in a temporary directory (DATABASE_URL would point it at a shared server).
  const databaseUrl = process.env.DATABASE_URL;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-adv-completeness-'));
    delete process.env.DATABASE_URL;
    await seedPgliteDataDir(join(dir, 'data'));
  });
  afterAll(() => {
    if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
    rmSync(dir, { recursive: true, force: true });
  });
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(['node', 'lodestone', '--data-dir', join(dir, 'data'), ...args], {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
    });
    return { code, out, err };
  }

  it('item 6: dropping ANY single record of the demo licence bundle fails verification', async () => {
    const demo = await run('demo', '--out', join(dir, 'out'));
    expect(demo.code, demo.err).toBe(EXIT.ok);
    const file = join(dir, 'out', 'audit-bundle.json');
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle & { log: { publicKey: string } };
    // The auditor pins the log key it knows (the operator's; this bundle is the honest one).
    const logKey = bundle.log.publicKey;
    const ok = await run('verify', file, '--log-key', logKey);
    expect(ok.code, ok.err).toBe(EXIT.ok);
    const passed: string[] = [];
    for (let i = 0; i < bundle.entries.length; i++) {
      const f = join(dir, `drop-${i}.json`);
      writeFileSync(
        f,
        without(bundle, (_e, j) => j === i),
      );
      const r = await run('verify', f, '--log-key', logKey);
      if (r.code !== 6) passed.push(`entry ${i} (${typeOf(bundle.entries[i]!)}): exit ${r.code}`);
      else expect(r.err).toMatch(/^lodestone: /);
    }
    expect(passed).toEqual([]);
    // The summary says what was proved.
    expect(ok.out).toMatch(/complete {4}\d+ subject\(s\) proved complete/);
    // All the alerts at once.
    const f = join(dir, 'no-alerts.json');
    writeFileSync(
      f,
      without(bundle, (e) => typeOf(e) === 'alert.raised'),
    );
    expect((await run('verify', f, '--log-key', logKey)).code).toBe(6);
  }, 120_000);
});
