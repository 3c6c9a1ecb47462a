import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AppError,
  createApp,
  decideApplication,
  dispatchShipment,
  ensureTrustListEntries,
  getLicence,
  importList,
  massBalance,
  RefusedError,
  receiveShipment,
  revokeCertificate,
  submitApplication,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { freshStore, STORES, useFreshStore, type TestStore } from '../support/stores.js';
import { licensedScenario, readExample, TODAY } from '../support/scenario.js';

const read = readExample;

/** The scenario's world (src/app/scenario.ts): parties, trust list, the demo control list, a countersigned certificate and an approved licence for `kg`, and the exporter's lot MAG-1 of twice that. */
async function setup(ctx: AppContext, opts: { kg?: number } = {}) {
  const kg = opts.kg ?? 2000;
  const s = await licensedScenario(ctx, { grams: kg * 1000, list: true, lot: { id: 'MAG-1', grams: kg * 2000 } });
  return { cert: { id: s.certificateId }, application: s.application, app: s.submitted, licence: s.licence! };
}

async function refusal(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RefusedError) return e.refusals.map((r) => r.rule);
    if (e instanceof AppError) return [e.code];
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.each(STORES)('licensing and custody on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let now: Date;

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  /** A shipment at the licence's price (USD 8 per kg = 8 minor units per gram). */
  const ship = (over: Record<string, unknown> = {}) => {
    const grams = (over.grams as number | undefined) ?? 1_200_000;
    return dispatchShipment(ctx, 'ganzhou-hengyuan-magnetics', {
      id: 'SH-1',
      fromLot: 'MAG-1',
      to: 'chakan-drive-systems',
      destination: 'IN',
      grams,
      value: { currency: 'USD', minor: grams * 8 },
      licenceId: licenceId(),
      lineRef: 'L1',
      ...over,
    });
  };
  let licenceId = () => '';

  it('an approved application yields a licence whose balance shipments draw down; refusals write nothing', async () => {
    const { licence, app } = await setup(ctx);
    licenceId = () => licence.id;
    expect(app.assessment.recommendation).toBe('approvable');
    expect(app.assessment.codes).toEqual(['1C905.a']);
    expect(app.assessment.certificate?.countersignedBy).toBe('in-dgft');
    await ship();
    const before = await dumpProjections(current().store.db);
    const count = await journalRepo.count(current().store.db);
    // A value declared far below the lot's value per gram draws the line down by the lot's value (issue 18, item 12).
    expect(await refusal(ship({ id: 'SH-2', grams: 900_000, value: { currency: 'USD', minor: 100 } }))).toEqual([
      'QUANTITY_CEILING',
      'VALUE_CEILING',
    ]);
    expect(await refusal(ship({ id: 'SH-3', grams: 100, to: 'deccan-mobility' }))).toEqual(['WRONG_CONSIGNEE']);
    expect(await refusal(ship({ id: 'SH-4', grams: 100, destination: 'AE' }))).toEqual(['WRONG_DESTINATION']);
    expect(await refusal(ship({ id: 'SH-5', grams: 100, shippedOn: '2027-11-24' }))).toEqual([
      'DATE_IN_FUTURE',
      'LICENCE_EXPIRED',
    ]);
    expect(await refusal(ship({ id: 'SH-6', grams: 100, lineRef: 'L9' }))).toEqual(['UNKNOWN_LINE']);
    expect(await refusal(ship({ grams: 100 }))).toEqual(['ALREADY_EXISTS']);
    expect(await refusal(ship({ id: 'SH-7', grams: 100, licenceId: undefined, lineRef: undefined }))).toEqual([
      'LICENCE_REQUIRED',
    ]);
    expect(
      await refusal(
        receiveShipment(ctx, 'chakan-drive-systems', { shipmentId: 'SH-404', lotId: 'X', receivedGrams: 1 }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(await journalRepo.count(current().store.db)).toBe(count);
    expect(await dumpProjections(current().store.db)).toEqual(before);
    const l = await getLicence(ctx, licence.id);
    expect(l.balance[0]).toMatchObject({ shippedGrams: 1_200_000, ceilingGrams: 2_000_000, shipments: 1 });
  });

  it('restrictions travel into motors; onward sales are checked against them; mass balance holds', async () => {
    const { licence } = await setup(ctx);
    licenceId = () => licence.id;
    await ship();
    const r = await receiveShipment(ctx, 'chakan-drive-systems', {
      shipmentId: 'SH-1',
      lotId: 'IN-1',
      receivedGrams: 1_199_000,
    });
    expect(r.discrepancyGrams).toBe(1000);
    expect(
      await refusal(
        receiveShipment(ctx, 'chakan-drive-systems', { shipmentId: 'SH-1', lotId: 'IN-2', receivedGrams: 1 }),
      ),
    ).toEqual(['ALREADY_EXISTS']);
    const motor = read('items/traction-motor.json');
    expect(
      await refusal(
        transformLots(ctx, 'chakan-drive-systems', {
          id: 'T-0',
          inputs: [{ lotId: 'IN-1', grams: 1_199_000 }],
          outputs: [
            { lotId: 'MOT-0', item: motor, massGrams: 45_000_000, embodies: [{ lotId: 'IN-1', grams: 1_199_000 }] },
          ],
        }),
      ),
    ).toEqual(['MASS_CREATED']);
    const t = await transformLots(ctx, 'chakan-drive-systems', {
      id: 'T-1',
      inputs: [{ lotId: 'IN-1', grams: 1_199_000 }],
      otherInputsGrams: 43_801_000,
      outputs: [
        {
          lotId: 'MOT-1',
          item: motor,
          massGrams: 45_000_000,
          units: 1000,
          value: { currency: 'USD', minor: 120_000_000 },
          embodies: [{ lotId: 'IN-1', grams: 1_199_000 }],
        },
      ],
    });
    const [res] = t.outputs[0]!.restrictions;
    expect(res).toMatchObject({
      licenceId: licence.id,
      licensedGrams: 1_199_000,
      massSharePpm: 26_644,
      valueSharePpm: 79_933,
    });
    expect(res?.chain.slice(0, 4)).toEqual(['lot MOT-1', 'transformation T-1', 'lot IN-1', 'shipment SH-1']);
    const motors = (to: string, destination: string, id: string) =>
      dispatchShipment(ctx, 'chakan-drive-systems', {
        id,
        fromLot: 'MOT-1',
        to,
        destination,
        grams: 4_500_000,
        units: 100,
      });
    await motors('deccan-mobility', 'IN', 'M-1');
    expect(await refusal(motors('lakeshore-ev', 'US', 'M-2'))).toEqual(['PROHIBITED_DESTINATION']);
    expect(await refusal(motors('gulf-horizon-trading', 'AE', 'M-3'))).toEqual(['PROHIBITED_VIA_OWNER']);
    expect(await refusal(motors('red-mesa-defense', 'US', 'M-4'))).toEqual([
      'RESTRICTED_PARTY',
      'PROHIBITED_DESTINATION',
    ]);
    const m = await massBalance(ctx, licence.id);
    expect(m.holders.every((h) => h.gap === 0)).toBe(true);
    expect(m.lots.every((h) => h.gap === 0)).toBe(true);
    expect(m.receiptDiscrepancyGrams).toBe(1000);
    const chakan = m.holders.find((h) => h.holder === 'chakan-drive-systems')!;
    expect(chakan).toMatchObject({
      received: 1_199_000,
      transformedOut: 1_199_000,
      transformedIn: 1_199_000,
      shipped: 119_900,
    });
    // Every (holder, lot) of the licence's ledger has its row, each summing exactly its own entries, in ledger order.
    const ledger = await current()
      .store.db.selectFrom('custody_ledger')
      .selectAll()
      .where('licence_id', '=', licence.id)
      .orderBy('seq')
      .orderBy('lot_id')
      .execute();
    const keys = [...new Set(ledger.map((l) => `${l.holder} ${l.lot_id}`))];
    expect(m.lots.map((r) => `${r.holder} ${r.lotId}`)).toEqual(keys);
    expect(m.holders.map((r) => r.holder)).toEqual([...new Set(ledger.map((l) => l.holder))]);
    for (const r of m.lots) {
      const mine = ledger.filter((l) => l.holder === r.holder && l.lot_id === r.lotId);
      const sum = (...kinds: string[]) => mine.filter((l) => kinds.includes(l.kind)).reduce((s, l) => s + l.grams, 0);
      expect(r).toMatchObject({
        received: sum('received', 'created'),
        transformedIn: sum('transformed-in'),
        shipped: sum('shipped'),
        transformedOut: sum('transformed-out'),
        consumed: sum('consumed'),
      });
    }
  });

  it('certificates and policy: revoked or mismatched certificates are refused, a listed party is denied, a denied application cannot be approved', async () => {
    const { cert, application } = await setup(ctx);
    expect(
      await refusal(
        submitApplication(ctx, { ...application, importer: 'deccan-mobility', endUser: 'deccan-mobility' }),
      ),
    ).toEqual(['CERTIFICATE_REFUSED']);
    const listed = await submitApplication(ctx, {
      ...application,
      importer: 'red-mesa-defense',
      endUser: 'red-mesa-defense',
      destination: 'US',
      certificateId: undefined,
    });
    expect(listed.assessment.recommendation).toBe('deny');
    expect(listed.assessment.policy.findings.filter((f) => f.outcome === 'applies').map((f) => f.id)).toContain(
      'cn-deny-control-list-parties',
    );
    expect(
      await refusal(
        decideApplication(ctx, 'cn-mofcom', listed.id, {
          decision: 'approve',
          conditions: { prohibitedReexportDestinations: [] },
        }),
      ),
    ).toEqual(['FORBIDDEN']);
    await revokeCertificate(ctx, 'chakan-drive-systems', cert.id, 'superseded');
    expect(await refusal(submitApplication(ctx, application))).toEqual(['CERTIFICATE_REFUSED']);
    const app2 = await submitApplication(ctx, { ...application, certificateId: undefined });
    expect(app2.assessment.recommendation).toBe('case-by-case');
    await expect(
      decideApplication(ctx, 'cn-mofcom', app2.id, {
        decision: 'approve',
        conditions: { prohibitedReexportDestinations: ['US'], validUntil: '2028-01-01' },
      }),
    ).rejects.toThrow(/a single licence is valid for at most 1 year/);
  });

  it("a deny list counts under its own regime only: India's list is information to MOFCOM, China's denies", async () => {
    const { application } = await setup(ctx);
    const deny = (a: Awaited<ReturnType<typeof submitApplication>>) =>
      a.assessment.policy.findings.filter((f) => f.outcome === 'applies' && f.decision === 'deny');
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-regime-'));
    const file = join(dir, 'list.csv');
    writeFileSync(file, 'name,aliases,country,type,list,id\nChakan Drive Systems Private Limited,,IN,entity,x,X-1\n');
    try {
      // India's licensing authority on the trust list lists the scenario's end user, effect deny under IN.
      await ensureTrustListEntries(ctx, [{ party: 'in-dgft', role: 'licensing-authority', country: 'IN' }]);
      await importList(ctx, {
        path: file,
        format: 'csv',
        list: 'in-list',
        actor: 'in-dgft',
        effect: 'deny',
        country: 'IN',
      });
      const underIn = await submitApplication(ctx, application);
      expect(deny(underIn)).toEqual([]);
      expect(underIn.assessment.recommendation).toBe('approvable');
      expect(underIn.assessment.reasons.join('\n')).toMatch(
        /Information for the officer .*Chakan Drive Systems.*list in-list.*effect deny under IN's export regime/,
      );
      // The hit records the regime, so that the verifier re-runs the policy on the same facts.
      const hits = underIn.assessment.screening.flatMap((x) => x.hits).filter((h) => h.list === 'in-list');
      expect(hits.map((h) => [h.effect, h.regime])).toEqual([
        ['deny', 'IN'],
        ['deny', 'IN'],
      ]);
      // The same entry on a list MOFCOM imports under CN's regime denies.
      await importList(ctx, {
        path: file,
        format: 'csv',
        list: 'cn-list',
        actor: 'cn-mofcom',
        effect: 'deny',
        country: 'CN',
      });
      const underCn = await submitApplication(ctx, application);
      expect(underCn.assessment.recommendation).toBe('deny');
      expect(
        deny(underCn)
          .flatMap((f) => f.facts)
          .join(' '),
      ).toMatch(/list cn-list/);
      expect(
        deny(underCn)
          .flatMap((f) => f.facts)
          .join(' '),
      ).not.toMatch(/list in-list/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (kind === 'postgres') {
    it('200 concurrent drawdowns never exceed the ceiling; the balance equals the accepted shipments', async () => {
      // The subject is the licence's row lock, not how long a caller may wait: 200 callers queue for 10
      // pooled connections and then for the row, one transaction at a time, and on a loaded machine (this
      // file runs beside others) the last of them waits longer than the default 10 s for a connection or
      // the lock. So this store waits up to 2 minutes for either; a lost update or an overdraw still fails
      // the counts below, and a caller that never gets the lock still fails with STORE_UNAVAILABLE.
      const patient = await freshStore(kind, {
        timeouts: { acquireMs: 120_000, lockMs: 120_000, statementMs: 120_000 },
      });
      const pctx = createApp(patient.store, { keysDir, clock: ctx.clock });
      try {
        await drawdowns(pctx, patient);
      } finally {
        await patient.dispose();
      }
    }, 300_000);

    async function drawdowns(ctx: AppContext, ts: TestStore): Promise<void> {
      const { licence } = await setup(ctx, { kg: 1000 });
      const attempts = Array.from({ length: 200 }, (_, i) =>
        dispatchShipment(ctx, 'ganzhou-hengyuan-magnetics', {
          id: `C-${i}`,
          fromLot: 'MAG-1',
          to: 'chakan-drive-systems',
          destination: 'IN',
          grams: 10_000,
          value: { currency: 'USD', minor: 80_000 },
          licenceId: licence.id,
          lineRef: 'L1',
        }).then(
          () => 'ok' as const,
          (e: unknown) => (e instanceof RefusedError ? e.refusals.map((r) => r.rule).join(',') : String(e)),
        ),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r === 'ok')).toHaveLength(100);
      expect(new Set(results.filter((r) => r !== 'ok'))).toEqual(new Set(['QUANTITY_CEILING,VALUE_CEILING']));
      const l = await getLicence(ctx, licence.id);
      expect(l.balance[0]).toMatchObject({ shippedGrams: 1_000_000, shipments: 100 });
      const rows = await ts.store.db
        .selectFrom('shipments')
        .select((eb) => eb.fn.sum<string>('grams').as('g'))
        .where('licence_id', '=', licence.id)
        .executeTakeFirstOrThrow();
      expect(Number(rows.g)).toBe(1_000_000);
    }
  }
});
