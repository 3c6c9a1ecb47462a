import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  AppError,
  consumeLot,
  createApp,
  decideApplication,
  dispatchShipment,
  fileReport,
  importList,
  listAlerts,
  massBalance,
  openApp,
  rebuild,
  RefusedError,
  receiveShipment,
  registerParty,
  resolveAlert,
  scanAlerts,
  submitApplication,
  transformLots,
  type AppContext,
} from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { dumpProjections, holderTotalsRepo, journalRepo, ledgerRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import {
  CONDITIONS,
  END_USE,
  EXAMPLES_ROOT,
  EXPORTER,
  IMPORTER,
  licensedScenario,
  motor,
  registerScenarioParties,
  TODAY,
} from '../support/scenario.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const root = EXAMPLES_ROOT;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lodestone-alerts-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Parties, the demo list, a countersigned certificate, an approved licence (2,000 kg, no re-export to US, use only in IN, report within 30 days) and the exporter's stock: the scenario builder's world (src/app/scenario.ts) plus one more Indian buyer. */
async function setup(ctx: AppContext, opts: { annualNeedGrams?: number } = {}) {
  await registerScenarioParties(ctx);
  await registerParty(ctx, {
    id: 'pune-motors',
    name: 'Pune Motor Works Limited',
    country: 'IN',
    sector: 'automotive',
  });
  const s = await licensedScenario(ctx, {
    list: true,
    endUse: { ...END_USE, ...(opts.annualNeedGrams === undefined ? {} : { annualNeedGrams: opts.annualNeedGrams }) },
    conditions: {
      ...CONDITIONS,
      reportingDuties: [{ kind: 'post-shipment-report', withinDays: 30, to: 'cn-mofcom' }],
    },
    lot: { id: 'MAG-1', grams: 4_000_000 },
  });
  return { application: s.application, licence: s.licence! };
}

const rules = async (ctx: AppContext, licenceId?: string) =>
  (await listAlerts(ctx, licenceId === undefined ? {} : { licenceId })).map((a) => a.rule).sort();

describe.each(STORES)('alerts on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let now: Date;
  const later = (days: number) => {
    now = new Date(now.getTime() + days * 86_400_000);
  };

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  const ship = (id: string, grams: number, licenceId: string) =>
    dispatchShipment(ctx, EXPORTER, {
      id,
      fromLot: 'MAG-1',
      to: IMPORTER,
      destination: 'IN',
      grams,
      value: { currency: 'USD', minor: grams * 8 },
      licenceId,
      lineRef: 'L1',
    });
  const motors = (actor: string, id: string, fromLot: string, n: number, to: string, destination: string) =>
    dispatchShipment(ctx, actor, { id, fromLot, to, destination, grams: n * 45_000, units: n });

  it('custody events raise transshipment (a refused attempt via AE), receipt shortfall, quick re-shipment and circular trade; clean steps raise none; a scan raises nothing twice; rebuild reproduces them', async () => {
    const { licence } = await setup(ctx);
    await ship('SH-1', 1_200_000, licence.id);
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_200_000 });
    await transformLots(ctx, IMPORTER, {
      id: 'T-1',
      inputs: [{ lotId: 'IN-1', grams: 1_200_000 }],
      otherInputsGrams: 43_800_000,
      outputs: [
        {
          lotId: 'MOT-1',
          item: motor,
          massGrams: 45_000_000,
          units: 1000,
          embodies: [{ lotId: 'IN-1', grams: 1_200_000 }],
        },
      ],
    });
    await motors(IMPORTER, 'M-1', 'MOT-1', 500, 'deccan-mobility', 'IN');
    expect(await listAlerts(ctx)).toEqual([]); // licensed export, full receipt, transformation, domestic sale: no red flag

    // towards the US through a UAE trader: refused, and the attempt is an alert
    await expect(motors(IMPORTER, 'M-2', 'MOT-1', 100, 'gulf-horizon-trading', 'AE')).rejects.toBeInstanceOf(
      RefusedError,
    );
    const [ts] = await listAlerts(ctx);
    expect(ts).toMatchObject({
      rule: 'transshipment',
      severity: 'critical',
      licenceId: licence.id,
      parties: [IMPORTER, 'gulf-horizon-trading'],
      raisedBy: 'cn-mofcom',
      trigger: 'dispatch-refused',
      status: 'open',
      ruleSet: 'lodestone-red-flags@2026.12.2',
    });
    expect(ts!.explanation).toMatch(
      /attempted shipment M-2 .* prohibits US: destination United Arab Emirates \(AE\) is a transshipment hub; .*60 % owned by Lakeshore EV Drivetrains Inc\. \(US\)/,
    );
    expect(ts!.evidence.records).toContain('lot MOT-1');
    // a refused shipment to the US (not a hub) is no transshipment alert
    await expect(motors(IMPORTER, 'M-3', 'MOT-1', 100, 'lakeshore-ev', 'US')).rejects.toBeInstanceOf(RefusedError);
    expect(await rules(ctx)).toEqual(['transshipment']);

    // 5 motors short at receipt: 6,000 g of licensed magnets unaccounted for
    await receiveShipment(ctx, 'deccan-mobility', {
      shipmentId: 'M-1',
      lotId: 'DM-1',
      receivedGrams: 495 * 45_000,
      units: 495,
    });
    const gap = (await listAlerts(ctx)).find((a) => a.rule === 'mass-balance-gap');
    expect(gap).toMatchObject({
      severity: 'high',
      parties: [IMPORTER, 'deccan-mobility'],
      trigger: 'receipt',
      thresholds: { min_gap_grams: 1000, min_gap_ppm: 1000 },
    });
    expect(gap!.explanation).toMatch(
      /shipment M-1 .* carried 600 kg \(600,000 g\) of licensed material, .* 6 kg \(6,000 g\) unaccounted for \(5,000 ppm of the 1\.2 t \(1,200,000 g\) licensed\)/,
    );
    expect(gap!.evidence.seqs).toHaveLength(2);

    // passed on the same day to an unrelated buyer: quick re-shipment, not circular
    await motors('deccan-mobility', 'M-4', 'DM-1', 5, 'pune-motors', 'IN');
    expect(await rules(ctx)).toEqual(['mass-balance-gap', 'quick-reshipment', 'transshipment']);
    // three weeks later, back to the importer it came from: circular trade, but no longer "quick"
    later(21);
    await motors('deccan-mobility', 'M-5', 'DM-1', 5, IMPORTER, 'IN');
    expect(await rules(ctx)).toEqual(['circular-trade', 'mass-balance-gap', 'quick-reshipment', 'transshipment']);
    const circ = (await listAlerts(ctx)).find((a) => a.rule === 'circular-trade')!;
    expect(circ.explanation).toMatch(
      /shipment M-5 .* back towards Chakan Drive Systems Private Limited, 21 days after it passed through Chakan Drive Systems Private Limited: Chakan Drive Systems Private Limited itself shipped this material/,
    );

    // a scan finds the same red flags again and raises none of them twice
    const count = await journalRepo.count(current().store.db);
    const scan = await scanAlerts(ctx);
    expect(scan.raised).toEqual([]);
    expect(scan.duplicates).toBe(3); // mass balance, quick re-shipment, circular trade (the attempt is not in the projections)
    expect(await journalRepo.count(current().store.db)).toBe(count);

    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);

    // The running totals the monitor reads are the mass balance, holder by holder.
    const totals = async () =>
      (await holderTotalsRepo.forLicences(current().store.db, [licence.id]))
        .filter((t) => t.first_seq !== null)
        .map((t) => [t.holder, t.net_grams - t.on_hand_grams]);
    expect(await totals()).toEqual((await massBalance(ctx, licence.id)).holders.map((h) => [h.holder, h.gap]));
    // A ledger row written behind the use cases' back opens a gap in a holder's books: the holder's
    // next custody event raises it, with every ledger entry behind that balance as evidence.
    const lastSeq = await journalRepo.count(current().store.db);
    await ledgerRepo.add(current().store.db, [
      {
        seq: lastSeq,
        licence_id: licence.id,
        holder: 'deccan-mobility',
        lot_id: 'DM-1',
        kind: 'received',
        grams: 5_000,
      },
    ]);
    expect(await totals()).toEqual((await massBalance(ctx, licence.id)).holders.map((h) => [h.holder, h.gap]));
    await consumeLot(ctx, 'deccan-mobility', { lotId: 'DM-1', grams: 45_000, purpose: 'test bench' });
    const holderGap = (await listAlerts(ctx)).find(
      (a) => a.rule === 'mass-balance-gap' && a.evidence.records.includes('holder deccan-mobility'),
    );
    expect(holderGap?.explanation).toMatch(/books of .* show a mass-balance gap of 5 kg \(5,000 g\)/);
    const ledger = (await ledgerRepo.forLicence(current().store.db, licence.id)).filter(
      (x) => x.holder === 'deccan-mobility',
    );
    expect(holderGap?.evidence.seqs).toEqual(ledger.map((x) => x.seq));
  });

  it('reports, annual need and sector: missing then late reports as of a date, on-time ones pass; receipts past the declared need; an end user whose sector does not fit', async () => {
    const { licence, application } = await setup(ctx, { annualNeedGrams: 1_500_000 });
    await ship('SH-1', 1_200_000, licence.id);
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_200_000 });
    await ship('SH-2', 800_000, licence.id);
    expect(await listAlerts(ctx)).toEqual([]); // 1,200 kg of a declared 1,500 kg a year
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-2', lotId: 'IN-2', receivedGrams: 800_000 });
    const need = await listAlerts(ctx);
    expect(need.map((a) => a.rule)).toEqual(['annual-need-exceeded']);
    expect(need[0]!.explanation).toMatch(
      /received 2 t \(2,000,000 g\) of licensed material in the 365 days to 2026-11-24 \(2 receipts\), more than its declared annual need of 1\.5 t \(1,500,000 g\)/,
    );

    const filed = await fileReport(ctx, IMPORTER, {
      shipmentId: 'SH-1',
      receivedGrams: 1_200_000,
      installedIn: 'EV traction motors',
      location: 'IN',
      date: TODAY,
    });
    expect(filed.alerts).toEqual([]);
    // Without lookAhead (every edge: CLI, HTTP) a date after today by the clock is refused, naming the field.
    await expect(scanAlerts(ctx, { asOf: '2026-12-24' })).rejects.toMatchObject({
      field: 'asOf',
      message: expect.stringMatching(
        /must not be after today \(2026-11-24 by the server's clock\), got 2026-12-24/,
      ) as unknown,
    });
    expect(await scanAlerts(ctx, { asOf: TODAY })).toMatchObject({ asOf: TODAY });
    expect((await scanAlerts(ctx, { asOf: '2026-12-24', lookAhead: true })).raised).toEqual([]); // due 2026-12-24
    const missing = await scanAlerts(ctx, { asOf: '2026-12-25', lookAhead: true });
    expect(missing.raised.map((a) => [a.rule, a.evidence.records[0]])).toEqual([
      ['post-shipment-report-late', 'shipment SH-2'],
    ]);
    expect(missing.raised[0]!.explanation).toMatch(
      /no post-shipment report for shipment SH-2 \(shipped 2026-11-24\); it was due to cn-mofcom by 2026-12-24, 1 days before 2026-12-25/,
    );
    later(40);
    const late = await fileReport(ctx, IMPORTER, {
      shipmentId: 'SH-2',
      receivedGrams: 800_000,
      location: 'IN',
      date: '2027-01-02',
    });
    expect(late.alerts.map((a) => a.explanation)).toEqual([
      expect.stringMatching(
        /report for shipment SH-2 .* was due to cn-mofcom by 2026-12-24 and was filed on 2027-01-03, 10 days late/,
      ),
    ]);
    await expect(
      fileReport(ctx, 'deccan-mobility', { shipmentId: 'SH-2', receivedGrams: 1, location: 'IN', date: '2027-01-02' }),
    ).rejects.toThrow(/neither the consignee/);
    await expect(
      fileReport(ctx, IMPORTER, { shipmentId: 'SH-2', receivedGrams: 1, location: 'XX', date: '2027-01-02' }),
    ).rejects.toThrow(/report\.location: must be an ISO 3166-1/);

    // the automotive end user fits civil-automotive; a distributor named as end user does not
    expect(await rules(ctx)).not.toContain('sector-end-use-mismatch');
    const other = await submitApplication(ctx, {
      ...application,
      endUser: 'gulf-horizon-trading',
      certificateId: undefined,
      endUse: { description: 'EV motors', purposes: ['civil-automotive'] },
      validFrom: '2027-01-05',
      validUntil: '2027-06-30',
    });
    const d = await decideApplication(ctx, 'cn-mofcom', other.id, {
      decision: 'approve',
      conditions: { prohibitedReexportDestinations: ['US'] },
    });
    const scan = await scanAlerts(ctx, { licenceId: d.licence!.id });
    expect(scan.raised.map((a) => a.rule)).toEqual(['sector-end-use-mismatch']);
    expect(scan.raised[0]!.explanation).toMatch(
      /end user Gulf Horizon General Trading FZE is in the distribution sector, which does not fit the declared end use civil-automotive/,
    );
  });

  it('a list change re-screens every party of every active licence: new hits become alerts, once; resolving is for the licence authority', async () => {
    const { licence } = await setup(ctx);
    await ship('SH-1', 1_200_000, licence.id);
    await receiveShipment(ctx, IMPORTER, { shipmentId: 'SH-1', lotId: 'IN-1', receivedGrams: 1_200_000 });
    const base = readFileSync(new URL('scenario/demo-control-list.csv', root), 'utf8');
    const v2 = join(work, `list-v2-${kind}.csv`);
    writeFileSync(v2, `${base}Gulf Horizon General Trading FZE,,AE,entity,cn-control-list,DEMO-CL-002\n`);
    const unrelated = await importList(ctx, {
      path: v2,
      format: 'csv',
      list: 'cn-control-list',
      actor: 'cn-mofcom',
      authority: 'MOFCOM (demonstration)',
      effect: 'deny',
      country: 'CN',
    });
    expect(unrelated.alertsRaised).toBe(0); // no party of the licence is on the new entry
    const v3 = join(work, `list-v3-${kind}.csv`);
    writeFileSync(
      v3,
      `${base}Gulf Horizon General Trading FZE,,AE,entity,cn-control-list,DEMO-CL-002\nChakan Drive Systems Pvt. Ltd.,,IN,entity,cn-control-list,DEMO-CL-003\n`,
    );
    const r = await importList(ctx, {
      path: v3,
      format: 'csv',
      list: 'cn-control-list',
      actor: 'cn-mofcom',
      authority: 'MOFCOM (demonstration)',
      effect: 'deny',
      country: 'CN',
    });
    expect(r.alertsRaised).toBe(1);
    const [hit] = await listAlerts(ctx);
    expect(hit).toMatchObject({
      rule: 'screening-hit-after-approval',
      severity: 'critical',
      licenceId: licence.id,
      parties: [IMPORTER],
      trigger: 'list-import',
    });
    expect(hit!.explanation).toMatch(
      /chakan-drive-systems \(importer, consignee, end user, holder of lot IN-1, consignee of shipment SH-1\) now matches cn-control-list entry "Chakan Drive Systems Pvt\. Ltd\." \(DEMO-CL-003/,
    );
    expect(hit!.evidence.records.at(-1)).toMatch(/^list cn-control-list entry DEMO-CL-003 \(snapshot [0-9a-f]{64}\)$/);
    // still listed in the next version: not raised again
    const v4 = join(work, `list-v4-${kind}.csv`);
    writeFileSync(v4, `${readFileSync(v3, 'utf8')}Someone Else Ltd,,GB,entity,cn-control-list,DEMO-CL-004\n`);
    expect(
      (
        await importList(ctx, {
          path: v4,
          format: 'csv',
          list: 'cn-control-list',
          actor: 'cn-mofcom',
          authority: 'MOFCOM (demonstration)',
          effect: 'deny',
          country: 'CN',
        })
      ).alertsRaised,
    ).toBe(0);
    expect(await listAlerts(ctx)).toHaveLength(1);

    await expect(resolveAlert(ctx, IMPORTER, hit!.id, 'we are not listed')).rejects.toThrow(AppError);
    await expect(resolveAlert(ctx, 'cn-mofcom', hit!.id, '  ')).rejects.toThrow(/note: must say how/);
    const done = await resolveAlert(
      ctx,
      'cn-mofcom',
      hit!.id,
      'Entry DEMO-CL-003 confirmed; licence suspended pending review',
    );
    expect(done.alert).toMatchObject({
      status: 'resolved',
      resolution: { by: 'cn-mofcom', note: 'Entry DEMO-CL-003 confirmed; licence suspended pending review' },
    });
    await expect(resolveAlert(ctx, 'cn-mofcom', hit!.id, 'again')).rejects.toThrow(/already resolved/);
    expect(await listAlerts(ctx, { status: 'open' })).toEqual([]);
    expect(await listAlerts(ctx, { severity: 'critical' })).toHaveLength(1);
    await expect(listAlerts(ctx, { severity: 'urgent' })).rejects.toThrow(
      /severity: must be one of info, warning, high, critical/,
    );
  });
});

describe('alerts through the CLI (in-process)', () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(['node', 'lodestone', ...args], {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
    });
    return { code, out, err };
  }

  it('alerts, alerts scan --as-of, alerts show, alerts resolve, report file; bad input exits 2 naming the field', async () => {
    const dataDir = join(work, 'cli-store');
    await seedPgliteDataDir(dataDir);
    let now = new Date(`${TODAY}T09:00:00.000Z`);
    const app = await openApp({ dataDir, clock: () => new Date((now = new Date(now.getTime() + 1000))) });
    let licenceId: string;
    try {
      const { licence } = await setup(app);
      licenceId = licence.id;
      await dispatchShipment(app, EXPORTER, {
        id: 'SH-1',
        fromLot: 'MAG-1',
        to: IMPORTER,
        destination: 'IN',
        grams: 1_200_000,
        value: { currency: 'USD', minor: 9_600_000 },
        licenceId,
        lineRef: 'L1',
      });
    } finally {
      await app.close();
    }
    const d = ['--data-dir', dataDir];
    // The CLI judges --as-of by the clock: today is 2027-01-20 for the rest of this test.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2027-01-20T12:00:00.000Z') });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    expect(await cli([...d, 'alerts', 'scan', '--as-of', '2027-01-21'])).toMatchObject({
      code: 2,
      err: "lodestone: --as-of: must not be after today (2027-01-20 by the server's clock), got 2027-01-21\n",
    });
    const scan = await cli([...d, 'alerts', 'scan', '--as-of', '2027-01-15']);
    expect(scan.code).toBe(0);
    expect(scan.out).toMatch(
      /^scanned 1 licence and 1 shipment as of 2027-01-15: 1 finding, 1 new alert, 0 already raised\nalert-[0-9a-f]{20} {2}WARNING {2}post-shipment-report-late/,
    );
    const lines = (await cli([...d, 'alerts', '--licence', licenceId, '--json'])).out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const alert = JSON.parse(lines[0]!) as { id: string; rule: string };
    expect(alert.rule).toBe('post-shipment-report-late');
    expect((await cli([...d, 'alerts', 'show', alert.id])).out).toMatch(
      /thresholds due 2026-12-24; no grace period; within 30 days/,
    );
    const report = join(work, 'report.json');
    writeFileSync(
      report,
      JSON.stringify({ shipmentId: 'SH-1', receivedGrams: 1_200_000, location: 'IN', date: '2026-11-30' }),
    );
    expect((await cli([...d, 'report', 'file', report, '--as', IMPORTER])).out).toMatch(
      /^report rpt-[0-9a-f]{8} on shipment SH-1 \(licence LIC-CN-2026-[0-9A-F]{6}\) filed \(journal entry \d+\)\nalert-[0-9a-f]{20} {2}WARNING {2}post-shipment-report-late .*\n.*was due to cn-mofcom by 2026-12-24 and was filed on 2027-01-20, 27 days late\n/,
    );
    expect(
      (await cli([...d, 'alerts', 'resolve', alert.id, '--as', 'cn-mofcom', '--note', 'report received late, on file']))
        .out,
    ).toMatch(/resolved by cn-mofcom/);
    expect((await cli([...d, 'alerts', 'resolve', alert.id, '--as', 'cn-mofcom', '--note', 'again'])).code).toBe(4);
    expect(await cli([...d, 'alerts', '--status', 'open', '--severity', 'urgent'])).toMatchObject({
      code: 2,
      err: 'lodestone: severity: must be one of info, warning, high, critical, got "urgent"\n',
    });
    expect(await cli([...d, 'alerts', 'scan', '--as-of', '2027-02-30'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--as-of: must be a date/) as unknown,
    });
    writeFileSync(
      report,
      JSON.stringify({ shipmentId: 'SH-1', receivedGrams: -1, location: 'IN', date: '2026-11-30' }),
    );
    expect(await cli([...d, 'report', 'file', report, '--as', IMPORTER])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^lodestone: report\.receivedGrams: /) as unknown,
    });
  }, 180_000); // opens the embedded store once per command (about a second each when the machine is idle)
});
