/**
 * Alerts can be worked (issue 22, item 4): assigned to a person, resolved with a note or dismissed
 * with a reason — each a signed journal record (`alert.assigned`, `alert.resolved`,
 * `alert.dismissed`) that a rebuild reproduces; only the licence's authority works its alerts; bad
 * input names the field. On both stores, and through the CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AppError,
  assignAlert,
  createApp,
  createLot,
  dismissAlert,
  dispatchShipment,
  exportAuditBundle,
  getAlert,
  listAlerts,
  openApp,
  rebuild,
  resolveAlert,
  scanAlerts,
  type AppContext,
} from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { ValidationError } from '../../src/domain/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { harness } from '../http/support.js';
import {
  AUTHORITY,
  EXPORTER,
  IMPORTER,
  licensedScenario,
  lotInput,
  shipmentInput,
  TODAY,
} from '../support/scenario.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

/** A licence, a shipment under it and no post-shipment report: a scan 200 days on raises two alerts (late report, and the licensed grams not received). */
async function twoAlerts(ctx: AppContext): Promise<string[]> {
  const { licenceId } = await licensedScenario(ctx, {
    from: TODAY,
    conditions: {
      prohibitedReexportDestinations: ['US'],
      useOnlyIn: 'IN',
      reportingDuties: [{ kind: 'post-shipment-report', withinDays: 30, to: AUTHORITY }],
    },
  });
  await createLot(ctx, EXPORTER, lotInput('MAG-W', 2_000_000));
  await dispatchShipment(ctx, EXPORTER, shipmentInput('SH-W1', 'MAG-W', 100_000, licenceId));
  await dispatchShipment(ctx, EXPORTER, shipmentInput('SH-W2', 'MAG-W', 100_000, licenceId));
  await scanAlerts(ctx, { asOf: '2027-06-01', lookAhead: true });
  const ids = (await listAlerts(ctx, { status: 'open' })).map((a) => a.id);
  expect(ids.length).toBeGreaterThanOrEqual(2);
  return ids;
}

describe.each(STORES)('working alerts on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-alert-work-'));
    let now = new Date(`${TODAY}T09:00:00.000Z`);
    ctx = createApp(current().store, { keysDir, clock: () => (now = new Date(now.getTime() + 1000)) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('assigns, dismisses and resolves as journalled records; only the authority; a closed alert stays closed; rebuild reproduces it', async () => {
    const [a, b] = await twoAlerts(ctx);
    const head = await journalRepo.count(current().store.db);

    // Refusals change nothing.
    await expect(assignAlert(ctx, IMPORTER, a!, 'Priya Sharma')).rejects.toThrow(
      /is worked by cn-mofcom, not chakan-drive-systems/,
    );
    await expect(assignAlert(ctx, AUTHORITY, a!, '   ')).rejects.toThrow(ValidationError);
    await expect(assignAlert(ctx, AUTHORITY, a!, '   ')).rejects.toThrow(/assignee: must say who works the alert/);
    await expect(dismissAlert(ctx, AUTHORITY, a!, '')).rejects.toThrow(/reason: must say why the alert is dismissed/);
    await expect(dismissAlert(ctx, AUTHORITY, 'alert-nope', 'x')).rejects.toThrow(/alert: must be an alert id/);
    await expect(dismissAlert(ctx, AUTHORITY, 'alert-00000000000000000000', 'x')).rejects.toThrow(/no alert/);
    await expect(dismissAlert(ctx, AUTHORITY, a!, 'x'.repeat(2001))).rejects.toThrow(/reason: must be at most 2000/);
    expect(await journalRepo.count(current().store.db)).toBe(head);

    const assigned = await assignAlert(ctx, AUTHORITY, a!, 'Wang Li (wang.li@mofcom.example)', 'check the consignee');
    expect(assigned.alert).toMatchObject({
      status: 'open',
      assignment: { to: 'Wang Li (wang.li@mofcom.example)', by: AUTHORITY, seq: assigned.seq },
    });
    // A later assignment replaces the earlier.
    const again = await assignAlert(ctx, AUTHORITY, a!, 'Zhang Wei');
    expect((await getAlert(ctx, a!)).assignment).toEqual({ to: 'Zhang Wei', by: AUTHORITY, seq: again.seq });

    const dismissed = await dismissAlert(ctx, AUTHORITY, a!, 'Report received by post; shipment verified on site');
    expect(dismissed.alert).toMatchObject({
      status: 'dismissed',
      resolution: { by: AUTHORITY, note: 'Report received by post; shipment verified on site', seq: dismissed.seq },
      assignment: { to: 'Zhang Wei' },
    });
    await expect(resolveAlert(ctx, AUTHORITY, a!, 'now resolved')).rejects.toThrow(/already dismissed by cn-mofcom/);
    await expect(assignAlert(ctx, AUTHORITY, a!, 'Someone')).rejects.toThrow(AppError);
    const resolved = await resolveAlert(ctx, AUTHORITY, b!, 'Consignee warned; report filed');
    expect(resolved.alert.status).toBe('resolved');
    await expect(dismissAlert(ctx, AUTHORITY, b!, 'x')).rejects.toThrow(/already resolved/);

    expect((await listAlerts(ctx, { status: 'dismissed' })).map((x) => x.id)).toEqual([a]);
    expect((await listAlerts(ctx, { status: 'resolved' })).map((x) => x.id)).toEqual([b]);

    // The records are signed journal entries of the authority.
    const entries = await journalRepo.read(current().store.db, { fromSeq: head + 1 });
    expect(entries.map((e) => ({ type: e.type, actor: e.actor }))).toEqual([
      { type: 'alert.assigned', actor: AUTHORITY },
      { type: 'alert.assigned', actor: AUTHORITY },
      { type: 'alert.dismissed', actor: AUTHORITY },
      { type: 'alert.resolved', actor: AUTHORITY },
    ]);

    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
    expect((await getAlert(ctx, a!)).status).toBe('dismissed');

    // The licence's audit bundle carries the alert's whole chain (raised, assigned twice, dismissed) and verifies offline.
    const licenceId = (await getAlert(ctx, a!)).licenceId!;
    const bundle = await exportAuditBundle(ctx, licenceId);
    const types = (bundle as unknown as { entries: { record: string }[] }).entries.map(
      (e) => (JSON.parse(e.record) as { payload?: { type?: string } }).payload?.type,
    );
    expect(types.filter((t) => t === 'alert.assigned')).toHaveLength(2);
    expect(types).toContain('alert.dismissed');
    expect(() => verifyBundle(JSON.stringify(bundle))).not.toThrow();
  });

  it('over HTTP: the authority assigns and dismisses (signed requests); bad input names the field; nobody else may', async () => {
    const h = await harness(current().store, { list: false });
    try {
      const [a] = await twoAlerts(h.ctx);
      const mofcom = await h.credential(AUTHORITY, 'licensing-authority');
      const empty = await h.call(mofcom, 'POST', `/v1/alerts/${a!}/dismiss`, { body: { reason: ' ' } });
      expect(empty.statusCode, empty.body).toBe(400);
      expect(empty.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.reason' });
      const extra = await h.call(mofcom, 'POST', `/v1/alerts/${a!}/assign`, { body: { assignee: 'A', due: 'x' } });
      expect(extra.statusCode).toBe(400);
      const importer = await h.call(await h.credential(IMPORTER, 'importer'), 'POST', `/v1/alerts/${a!}/dismiss`, {
        body: { reason: 'not ours' },
      });
      expect(importer.statusCode).toBe(403);
      const assigned = await h.call(mofcom, 'POST', `/v1/alerts/${a!}/assign`, { body: { assignee: 'Wang Li' } });
      expect(assigned.statusCode, assigned.body).toBe(201);
      const dismissed = await h.call(mofcom, 'POST', `/v1/alerts/${a!}/dismiss`, { body: { reason: 'explained' } });
      expect(dismissed.statusCode, dismissed.body).toBe(201);
      expect(dismissed.json()).toMatchObject({
        alert: { status: 'dismissed', assignment: { to: 'Wang Li' }, resolution: { note: 'explained' } },
      });
      const shown = await h.call(mofcom, 'GET', `/v1/alerts/${a!}`);
      expect(shown.json<{ thresholdsInWords: string[] }>().thresholdsInWords.length).toBeGreaterThan(0);
      const again = await h.call(mofcom, 'POST', `/v1/alerts/${a!}/assign`, { body: { assignee: 'B' } });
      expect(again.statusCode).toBe(409);
    } finally {
      await h.app.close();
    }
  });

  it('gives every threshold in words', async () => {
    const [a] = await twoAlerts(ctx);
    const alert = await getAlert(ctx, a!);
    expect(alert.thresholdsInWords.length).toBe(Object.keys(alert.thresholds).length);
    for (const w of alert.thresholdsInWords) expect(w).not.toMatch(/_|[{}]/);
  });
});

describe('alerts assign / dismiss through the CLI', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lodestone-alert-work-cli-'));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

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

  it('assigns and dismisses; alerts show says so; bad input exits 2 naming the field', async () => {
    const dataDir = join(work, 'store');
    await seedPgliteDataDir(dataDir);
    let now = new Date(`${TODAY}T09:00:00.000Z`);
    const app = await openApp({ dataDir, clock: () => (now = new Date(now.getTime() + 1000)) });
    let ids: string[];
    try {
      ids = await twoAlerts(app);
    } finally {
      await app.close();
    }
    const d = ['--data-dir', dataDir];
    const id = ids[0]!;
    expect((await cli([...d, 'alerts', 'assign', id, '--as', AUTHORITY, '--to', 'Wang Li'])).out).toMatch(
      new RegExp(`^alert ${id} assigned to Wang Li by cn-mofcom \\(journal entry \\d+\\)\\n$`),
    );
    expect(await cli([...d, 'alerts', 'dismiss', id, '--as', AUTHORITY, '--reason', ' '])).toMatchObject({
      code: 2,
      err: 'lodestone: reason: must say why the alert is dismissed\n',
    });
    expect((await cli([...d, 'alerts', 'dismiss', id, '--as', IMPORTER, '--reason', 'no'])).code).not.toBe(0);
    expect((await cli([...d, 'alerts', 'dismiss', id, '--as', AUTHORITY, '--reason', 'explained gap'])).out).toMatch(
      /dismissed by cn-mofcom/,
    );
    const shown = (await cli([...d, 'alerts', 'show', id])).out;
    expect(shown).toMatch(/assigned +to Wang Li by cn-mofcom/);
    expect(shown).toMatch(/dismissed +by cn-mofcom \(journal entry \d+\): explained gap/);
    expect(shown).not.toMatch(/thresholds .*_/);
    expect((await cli([...d, 'alerts', '--status', 'dismissed', '--json'])).out.trim().split('\n')).toHaveLength(1);
    expect(await cli([...d, 'alerts', '--status', 'closed'])).toMatchObject({
      code: 2,
      err: 'lodestone: --status: must be open, resolved, dismissed or all, got "closed"\n',
    });
  });
});
