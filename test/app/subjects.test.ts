import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkLog,
  createApp,
  exportAuditBundle,
  fileReport,
  logVerifier,
  rebuild,
  runDemo,
  type AppContext,
} from '../../src/app/index.js';
import { subjectsRepo } from '../../src/store/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const IMPORTER = 'chakan-drive-systems';

describe.each(STORES)('subject links and the subject map (%s)', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('concurrent writers on one licence never fork its chain: rebuild re-checks every link, log check the map root, the bundle proves all of them', async () => {
    const demo = await runDemo(ctx);
    const licenceId = demo.report.licences[0]!.licence.id;
    const db = current().store.db;
    const shipment = await db
      .selectFrom('shipments')
      .select('id')
      .where('licence_id', '=', licenceId)
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    const today = ctx.clock().toISOString().slice(0, 10);
    // Eight reports on the licence at once: each must link to the one committed before it.
    await Promise.all(
      Array.from({ length: 8 }, () =>
        fileReport(ctx, IMPORTER, { shipmentId: shipment.id, receivedGrams: 1_200_000, location: 'IN', date: today }),
      ),
    );
    expect((await rebuild(ctx)).entries).toBeGreaterThan(40);
    await checkLog(ctx);
    const summary = verifyBundle(JSON.stringify(await exportAuditBundle(ctx, licenceId)), {
      logKey: (await logVerifier(ctx)).publicKey,
    });
    const licence = summary.completeness.subjects.find((s) => s.subject === `licence:${licenceId}`);
    expect(summary.completeness.proved).toBe(true);
    expect(summary.recordTypes['report.filed']).toBe(9);
    expect(licence?.entries).toBe(
      Object.entries(summary.recordTypes)
        .filter(
          ([t]) =>
            ![
              'party.registered',
              'party.key.rotated',
              'party.key.revoked',
              'trustlist.published',
              'rulepack.loaded',
              'certificate.issued',
              'certificate.countersigned',
              'application.submitted',
            ].includes(t),
        )
        .reduce((n, [, c]) => n + c, 0),
    );
  }, 120_000);

  it('a moved head is caught: rebuild names the subject, log check the map root', async () => {
    const demo = await runDemo(ctx);
    const licenceId = demo.report.licences[0]!.licence.id;
    const db = current().store.db;
    const [head] = await subjectsRepo.heads(db, [`licence:${licenceId}`]);
    expect(head).toBeDefined();
    await db
      .updateTable('subject_heads')
      .set({ seq: head!.seq - 1 })
      .where('subject', '=', head!.subject)
      .execute();
    await expect(rebuild(ctx)).rejects.toMatchObject({
      code: 'JOURNAL_INVALID',
      message: expect.stringContaining(`subject licence:${licenceId}`) as unknown,
    });
    await expect(checkLog(ctx)).rejects.toMatchObject({
      code: 'JOURNAL_INVALID',
      message: expect.stringMatching(/subject map root/) as unknown,
    });
  }, 120_000);
});
