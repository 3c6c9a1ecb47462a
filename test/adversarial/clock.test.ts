/**
 * Issue 18, adversarial: a party that lies about dates, quantities and values, through the public
 * interfaces (the real CLI in-process, the HTTP API with signed requests), on both stores.
 *
 * - item 1: the server's clock decides (shippedOn bounded by the record's `at`; verify re-checks at `at`)
 * - item 5: mass cannot be created (over-receipt refused and flagged)
 * - item 12: an approval valid wholly in the past is refused; a shipment's declared value is checked
 *   against the lot's value per gram (the licence drawn down by the higher, under-declaration flagged)
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { commit, dispatchShipment, listAlerts, type AppContext } from '../../src/app/index.js';
import { journalRepo } from '../../src/store/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import {
  AUTHORITY,
  buildWorld,
  cliStore,
  days,
  EXPORTER,
  http,
  IMPORTER,
  realToday,
  rulesOf,
  settableClock,
  shipment,
  type CliStore,
} from './clock.support.js';

const T0 = '2026-03-02';

describe.each(STORES)('issue 18 — clock, quantities and values (%s)', (kind) => {
  let cs: CliStore | undefined;
  let ts: TestStore | undefined;
  afterEach(async () => {
    await cs?.dispose();
    cs = undefined;
    await ts?.dispose();
    ts = undefined;
  });

  /** A CLI store with the world built at `day` (in-process, on a settable clock), then closed. */
  async function cliWorld(
    day: string,
    validity: { validFrom: string; validUntil: string; approve?: boolean },
  ): Promise<{ licenceId: string; applicationId?: string | undefined }> {
    cs = await cliStore(kind);
    const ctx = await cs.app(settableClock(day));
    try {
      return await buildWorld(ctx, validity);
    } finally {
      await ctx.close();
    }
  }

  describe("item 1: the server's clock decides (licence validity at the record's `at`, declared dates bounded by it)", () => {
    it("CLI: a shipment backdated into the window of a licence that has since expired is refused (LICENCE_EXPIRED at the server's date, DATE_TOO_OLD); nothing is written", async () => {
      // Licence valid from 100 days ago to 10 days ago; the real CLI runs today.
      const { licenceId } = await cliWorld(days(-100), { validFrom: days(-100), validUntil: days(-10) });
      const before = await cs!.journalCount();
      const r = await cs!.cli([
        'ship',
        cs!.write('backdated.json', shipment(licenceId, { shippedOn: days(-12) })),
        '--as',
        EXPORTER,
      ]);
      expect(r.err).toMatch(/refused \(LICENCE_EXPIRED\): licence \S+ expired on .*; the server's date is/);
      expect(r.err).toMatch(/refused \(DATE_TOO_OLD\): shippedOn \S+ is more than 3 days before the server's date/);
      expect(r.code).toBe(7);
      expect(await cs!.journalCount()).toBe(before);
    });

    it('CLI: a future-dated shipment under a valid licence is refused (DATE_IN_FUTURE)', async () => {
      const { licenceId } = await cliWorld(days(-5), { validFrom: days(-5), validUntil: days(300) });
      const before = await cs!.journalCount();
      const r = await cs!.cli([
        'ship',
        cs!.write('future.json', shipment(licenceId, { shippedOn: days(5) })),
        '--as',
        EXPORTER,
      ]);
      expect(r.err).toContain(
        `refused (DATE_IN_FUTURE): shippedOn ${days(5)} is after the server's date ${realToday()}`,
      );
      expect(r.code).toBe(7);
      expect(await cs!.journalCount()).toBe(before);
      // Within the tolerance the declared date stands.
      const ok = await cs!.cli([
        'ship',
        cs!.write('ok.json', shipment(licenceId, { id: 'SH-OK', shippedOn: days(-3) })),
        '--as',
        EXPORTER,
        '--json',
      ]);
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
    });

    it('HTTP: backdated under an expired licence, or dated ahead of the server (also one not yet valid), is 422 naming the rule', async () => {
      ts = await freshStore(kind);
      const clock = settableClock(T0);
      const h = await http(ts.store, clock);
      const { licenceId } = await buildWorld(h.ctx, { validFrom: T0, validUntil: days(30, T0) });
      clock.set(days(40, T0)); // the licence expired ten days ago
      const count = await journalRepo.count(ts.store.db);
      const backdated = await h.call(
        EXPORTER,
        'exporter',
        'POST',
        '/v1/shipments',
        shipment(licenceId, { shippedOn: days(20, T0) }),
      );
      expect(backdated.statusCode).toBe(422);
      expect(backdated.json()).toMatchObject({ code: 'REFUSED' });
      expect(rulesOf(backdated)).toEqual(expect.arrayContaining(['LICENCE_EXPIRED', 'DATE_TOO_OLD']));
      clock.set(days(10, T0));
      const ahead = await h.call(
        EXPORTER,
        'exporter',
        'POST',
        '/v1/shipments',
        shipment(licenceId, { shippedOn: days(12, T0) }),
      );
      expect(ahead.statusCode).toBe(422);
      expect(rulesOf(ahead)).toEqual(['DATE_IN_FUTURE']);
      clock.set(days(-2, T0)); // before the licence's window: the declared date cannot carry it in
      const early = await h.call(
        EXPORTER,
        'exporter',
        'POST',
        '/v1/shipments',
        shipment(licenceId, { shippedOn: days(-2, T0) }),
      );
      expect(early.statusCode).toBe(422);
      expect(rulesOf(early)).toEqual(expect.arrayContaining(['LICENCE_NOT_YET_VALID']));
      expect(await journalRepo.count(ts.store.db)).toBe(count);
    });

    it('verify: a bundle whose shipment was recorded (`at`) after the licence expired fails, although its declared shippedOn is inside the window', async () => {
      ts = await freshStore(kind);
      const clock = settableClock(T0);
      const h = await http(ts.store, clock);
      const { licenceId } = await buildWorld(h.ctx, { validFrom: T0, validUntil: days(30, T0) });
      // What a server that judged the declared date (today's main) would have signed: recorded two days
      // after the licence expired, declared as shipped on its last day (within the 3-day tolerance, so
      // only the validity at `at` can catch it). The record is made with the app's own commit (test keys).
      clock.set(days(32, T0));
      await recordBackdatedShipment(h.ctx, licenceId, days(30, T0));
      const bundle = await h.call(
        AUTHORITY,
        'licensing-authority',
        'GET',
        `/v1/licences/${encodeURIComponent(licenceId)}/audit-bundle`,
      );
      expect(bundle.statusCode).toBe(200);
      cs = await cliStore(kind);
      const file = cs.write('bundle.json', bundle.body);
      const logKey = (JSON.parse(readFileSync(file, 'utf8')) as { log: { publicKey: string } }).log.publicKey;
      const r = await cs.cli(['verify', file, '--log-key', logKey]);
      expect(r.out).not.toMatch(/^OK/);
      expect(r.err).toMatch(
        /shipment\.dispatched .*: LICENCE_EXPIRED: licence \S+ expired on \S+; the server's date is \S+/,
      );
      expect(r.code).toBe(6);
    });
  });

  describe('item 5: mass cannot be created (a receipt never carries more than was shipped)', () => {
    it('CLI: a 1,000 g shipment received as 1,000,000 g is refused (OVER_RECEIPT), writes nothing, and raises an over-receipt red flag', async () => {
      const { licenceId } = await cliWorld(days(-1), { validFrom: days(-1), validUntil: days(300) });
      expect(
        (
          await cs!.cli([
            'ship',
            cs!.write('ship.json', shipment(licenceId, { id: 'SH-1', grams: 1000 })),
            '--as',
            EXPORTER,
          ])
        ).code,
      ).toBe(0);
      const before = await cs!.journalCount();
      const r = await cs!.cli([
        'receive',
        cs!.write('receipt.json', { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_000_000 }),
        '--as',
        IMPORTER,
      ]);
      expect(r.err).toContain(
        'refused (OVER_RECEIPT): receipt.receivedGrams 1 t (1,000,000 g) is more than the 1 kg (1,000 g) shipment SH-1 carried',
      );
      expect(r.code).toBe(7);
      const lots = await cs!.cli(['lots', 'list', '--holder', IMPORTER, '--json']);
      expect(JSON.parse(lots.out)).toEqual([]);
      const alerts = await cs!.cli(['alerts', '--licence', licenceId, '--json']);
      const raised = alerts.out
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { rule: string; raisedBy: string; parties: string[] });
      expect(raised).toEqual([
        expect.objectContaining({ rule: 'over-receipt', raisedBy: AUTHORITY, parties: [IMPORTER] }),
      ]);
      expect(await cs!.journalCount()).toBe(before + 1 + 1); // the red-flag set (first use) and the alert; no receipt
      // The true receipt still goes through.
      expect(
        (
          await cs!.cli([
            'receive',
            cs!.write('receipt2.json', { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1000 }),
            '--as',
            IMPORTER,
          ])
        ).code,
      ).toBe(0);
    });

    it('HTTP: the over-receipt is 422 OVER_RECEIPT; no lot is created and the shipment stays in transit', async () => {
      ts = await freshStore(kind);
      const clock = settableClock(T0);
      const h = await http(ts.store, clock);
      const { licenceId } = await buildWorld(h.ctx, { validFrom: T0, validUntil: days(300, T0) });
      await dispatchShipment(h.ctx, EXPORTER, shipment(licenceId, { id: 'SH-1', grams: 1000 }));
      const count = await journalRepo.count(ts.store.db);
      const r = await h.call(IMPORTER, 'importer', 'POST', '/v1/shipments/SH-1/receipt', {
        lotId: 'IN-1',
        receivedGrams: 1_000_000,
      });
      expect(r.statusCode).toBe(422);
      expect(rulesOf(r)).toEqual(['OVER_RECEIPT']);
      expect((await h.call(IMPORTER, 'importer', 'GET', '/v1/lots/IN-1')).statusCode).toBe(404);
      // On a party's signed request this node does not sign for the authority: the flag is deferred, nothing is written.
      expect(await journalRepo.count(ts.store.db)).toBe(count);
      const ok = await h.call(IMPORTER, 'importer', 'POST', '/v1/shipments/SH-1/receipt', {
        lotId: 'IN-1',
        receivedGrams: 1000,
      });
      expect(ok.statusCode).toBe(201);
      expect(
        ok.json<{ lot: { restrictions: { licensedGrams: number; massSharePpm: number }[] } }>().lot.restrictions,
      ).toEqual([expect.objectContaining({ licensedGrams: 1000, massSharePpm: 1_000_000 })]);
    });
  });

  describe('item 12: an approval whose validity lies wholly in the past is refused', () => {
    it('CLI: decide --approve of a validity that ended before today is refused (VALIDITY_IN_PAST); the application stays undecided', async () => {
      const { applicationId } = await cliWorld(realToday(), {
        validFrom: days(-200),
        validUntil: days(-20),
        approve: false,
      });
      const before = await cs!.journalCount();
      const r = await cs!.cli([
        'decide',
        applicationId!,
        '--as',
        AUTHORITY,
        '--approve',
        cs!.write('conditions.json', { prohibitedReexportDestinations: ['US'] }),
      ]);
      expect(r.err).toContain(
        `refused (VALIDITY_IN_PAST): the validity ends on ${days(-20)}, before the server's date ${realToday()}`,
      );
      expect(r.code).toBe(7);
      expect(await cs!.journalCount()).toBe(before);
    });

    it('HTTP: an approval with validFrom/validUntil in the past is 422 VALIDITY_IN_PAST', async () => {
      ts = await freshStore(kind);
      const clock = settableClock(T0);
      const h = await http(ts.store, clock);
      const { applicationId } = await buildWorld(h.ctx, { validFrom: T0, validUntil: days(300, T0), approve: false });
      const r = await h.call(AUTHORITY, 'licensing-authority', 'POST', `/v1/applications/${applicationId!}/decision`, {
        decision: 'approve',
        conditions: { prohibitedReexportDestinations: ['US'], validFrom: days(-60, T0), validUntil: days(-1, T0) },
      });
      expect(r.statusCode).toBe(422);
      expect(rulesOf(r)).toEqual(['VALIDITY_IN_PAST']);
      const fine = await h.call(
        AUTHORITY,
        'licensing-authority',
        'POST',
        `/v1/applications/${applicationId!}/decision`,
        {
          decision: 'approve',
          conditions: { prohibitedReexportDestinations: ['US'], validFrom: days(-60, T0), validUntil: T0 },
        },
      );
      expect(fine.statusCode).toBe(201);
    });
  });

  describe("item 12: a shipment's declared value is checked against the lot's value per gram", () => {
    it("CLI: 1,000 kg declared at USD 0.01 draws the licence down by the lot's value (USD 8,000,000) and raises value-under-declared", async () => {
      const { licenceId } = await cliWorld(days(-1), { validFrom: days(-1), validUntil: days(300) });
      const r = await cs!.cli([
        'ship',
        cs!.write(
          'cheap.json',
          shipment(licenceId, { id: 'SH-CHEAP', grams: 1_000_000, value: { currency: 'USD', minor: 1 } }),
        ),
        '--as',
        EXPORTER,
      ]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const lic = JSON.parse((await cs!.cli(['licence', licenceId, '--json'])).out) as {
        balance: { shippedValueMinor: number }[];
      };
      expect(lic.balance[0]!.shippedValueMinor).toBe(8_000_000);
      const alerts = (await cs!.cli(['alerts', '--licence', licenceId, '--json'])).out
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { rule: string; explanation: string });
      expect(alerts).toEqual([
        expect.objectContaining({
          rule: 'value-under-declared',
          explanation: expect.stringContaining('declared shipment SH-CHEAP') as unknown,
        }),
      ]);
      // A second under-declared shipment cannot get past the value ceiling either: 1,000 kg more at the lot's value is USD 16,000,000 in all (the ceiling), 1 g more is over.
      const over = await cs!.cli([
        'ship',
        cs!.write(
          'cheap2.json',
          shipment(licenceId, { id: 'SH-CHEAP-2', grams: 1_000_001, value: { currency: 'USD', minor: 1 } }),
        ),
        '--as',
        EXPORTER,
      ]);
      expect(over.err).toContain('VALUE_CEILING');
      expect(over.code).toBe(7);
    });

    it("HTTP: the licence is drawn down by the higher value; the deferred flag is raised by the authority's scan", async () => {
      ts = await freshStore(kind);
      const clock = settableClock(T0);
      const h = await http(ts.store, clock);
      const { licenceId } = await buildWorld(h.ctx, { validFrom: T0, validUntil: days(300, T0) });
      const r = await h.call(
        EXPORTER,
        'exporter',
        'POST',
        '/v1/shipments',
        shipment(licenceId, { id: 'SH-CHEAP', grams: 500_000, value: { currency: 'USD', minor: 100_000 } }),
      );
      expect(r.statusCode).toBe(201);
      const lic = await h.call(
        AUTHORITY,
        'licensing-authority',
        'GET',
        `/v1/licences/${encodeURIComponent(licenceId)}`,
      );
      expect(lic.json<{ balance: { shippedValueMinor: number }[] }>().balance[0]!.shippedValueMinor).toBe(4_000_000);
      const scan = await h.call(AUTHORITY, 'licensing-authority', 'POST', '/v1/alerts/scan', { licenceId });
      expect(scan.statusCode).toBe(201);
      const alerts = await listAlerts(h.ctx, { licenceId });
      expect(alerts.map((a) => a.rule)).toContain('value-under-declared');
      expect(alerts.find((a) => a.rule === 'value-under-declared')).toMatchObject({
        raisedBy: AUTHORITY,
        parties: [EXPORTER, IMPORTER],
      });
    });
  });
});

/** Signs and journals a licensed shipment recorded now but declared as shipped on `shippedOn`, as a server judging the declared date would have. */
async function recordBackdatedShipment(ctx: AppContext, licenceId: string, shippedOn: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    await commit(tx, ctx, 'shipment.dispatched', EXPORTER, {
      shipment: {
        id: 'SH-LATE',
        fromLot: 'MAG-1',
        fromHolder: EXPORTER,
        to: IMPORTER,
        destination: 'IN',
        grams: 1000,
        valueMinor: 8000,
        currency: 'USD',
        licenceId,
        lineRef: 'L1',
        shippedOn,
      },
      restrictions: [],
      from: { lotId: 'MAG-1', massGrams: 2_499_000, restrictions: [] },
      ledger: [],
      checks: [],
    });
  });
}
