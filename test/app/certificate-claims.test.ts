import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  countersignCertificate,
  createApp,
  createLot,
  decideApplication,
  dispatchShipment,
  getCertificate,
  getLicence,
  issueCertificate,
  rebuild,
  RefusedError,
  registerParty,
  revokeCertificate,
  submitApplication,
  type AppContext,
} from '../../src/app/index.js';
import { dumpProjections, StoreError } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { magnet, publishDemoTrustList, readExample, TODAY } from '../support/scenario.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const IMPORTER = 'chakan-drive-systems';
const endUse = { description: 'Rotor magnets for EV traction motors', purposes: ['civil-automotive'] };
const undertakings = {
  noWmdUse: true,
  noMilitaryUse: true,
  noReexportWithoutConsent: true,
  consentAuthority: 'cn-mofcom',
  prohibitedDestinations: ['US'],
  useOnlyIn: 'IN',
  extendsToIncorporatingProducts: true,
  postShipmentVerificationConsent: true,
  noticeOfChanges: true,
};

async function certificate(ctx: AppContext, grams: number): Promise<string> {
  const cert = await issueCertificate(ctx, IMPORTER, {
    exporter: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    items: [
      {
        controlCode: '1C905.a',
        hsCode: '8505111000',
        description: '45SH NdFeB',
        quantityGrams: grams,
        value: { currency: 'USD', minor: grams * 8 },
      },
    ],
    endUse,
    undertakings,
    validity: { from: TODAY, until: '2027-11-23' },
  });
  await countersignCertificate(ctx, 'in-dgft', cert.id);
  return cert.id;
}

const apply = (ctx: AppContext, certificateId: string, grams: number) =>
  submitApplication(ctx, {
    authority: 'cn-mofcom',
    applicant: EXPORTER,
    importer: IMPORTER,
    endUser: IMPORTER,
    destination: 'IN',
    endUse,
    licenceType: 'single',
    lines: [{ ref: 'L1', item: magnet, quantityGrams: grams, value: { currency: 'USD', minor: grams * 8 } }],
    certificateId,
    validFrom: TODAY,
    validUntil: '2027-11-23',
  });

describe.each(STORES)('certificate ledger, undertakings and revocation on %s', (kind) => {
  const current = useFreshStore(kind);
  let dir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-claims-'));
    ctx = createApp(current().store, { keysDir: join(dir, 'keys'), clock: () => new Date(`${TODAY}T10:00:00Z`) });
    for (const p of readExample('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
    await publishDemoTrustList(ctx);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims, the merged undertakings and a revocation (suspension, marked lots) are reproduced exactly by a rebuild', async () => {
    const id = await certificate(ctx, 1_000_000);
    const a = await apply(ctx, id, 600_000);
    const licence = (
      await decideApplication(ctx, 'cn-mofcom', a.id, {
        decision: 'approve',
        conditions: { prohibitedReexportDestinations: ['CU'] },
      })
    ).licence!;
    expect(licence).toMatchObject({
      prohibitedReexportDestinations: ['CU', 'US'],
      useOnlyIn: 'IN',
      extendsToIncorporatingProducts: true,
    });
    await createLot(ctx, EXPORTER, {
      id: 'MAG-1',
      holder: EXPORTER,
      location: 'CN',
      item: magnet,
      massGrams: 1_000_000,
      value: { currency: 'USD', minor: 8_000_000 },
    });
    const d = await dispatchShipment(ctx, EXPORTER, {
      id: 'SH-1',
      fromLot: 'MAG-1',
      to: IMPORTER,
      destination: 'IN',
      grams: 100_000,
      value: { currency: 'USD', minor: 800_000 },
      licenceId: licence.id,
      lineRef: 'L1',
    });
    expect(d.restrictions.at(-1)).toMatchObject({
      prohibitedDestinations: ['CU', 'US'],
      useOnlyIn: 'IN',
      extendsToProducts: true,
      certificateId: id,
    });
    await revokeCertificate(ctx, IMPORTER, id, 'superseded');
    expect((await getLicence(ctx, licence.id)).status).toBe('suspended');
    expect((await getCertificate(ctx, id)).claims).toEqual([
      expect.objectContaining({
        ceilingGrams: 1_000_000,
        claimedGrams: 600_000,
        remainingGrams: 400_000,
        claims: [expect.objectContaining({ licenceId: licence.id, grams: 600_000, status: 'suspended' })],
      }),
    ]);
    const before = await dumpProjections(current().store.db);
    expect(before.certificate_claims).toHaveLength(1);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it("migration 0019's backfill suspends and marks exactly as the certificate.revoked projector does", async () => {
    const id = await certificate(ctx, 1_000_000);
    const licence = (
      await decideApplication(ctx, 'cn-mofcom', (await apply(ctx, id, 600_000)).id, {
        decision: 'approve',
        conditions: { prohibitedReexportDestinations: ['US'] },
      })
    ).licence!;
    await createLot(ctx, EXPORTER, {
      id: 'MAG-1',
      holder: EXPORTER,
      location: 'CN',
      item: magnet,
      massGrams: 1_000_000,
      value: { currency: 'USD', minor: 8_000_000 },
    });
    await dispatchShipment(ctx, EXPORTER, {
      id: 'SH-1',
      fromLot: 'MAG-1',
      to: IMPORTER,
      destination: 'IN',
      grams: 100_000,
      value: { currency: 'USD', minor: 800_000 },
      licenceId: licence.id,
      lineRef: 'L1',
    });
    await revokeCertificate(ctx, IMPORTER, id, 'superseded');
    const db = current().store.db;
    const after = await dumpProjections(db);
    // As a database from before 0019 would hold it: the licence active, the material unmarked.
    const strip = sql`(select jsonb_agg(x.r - 'certificateRevoked' order by x.ord) from jsonb_array_elements(restrictions) with ordinality as x(r, ord))`;
    await sql`update lots set restrictions = ${strip} where jsonb_array_length(restrictions) > 0`.execute(db);
    await sql`update shipments set restrictions = ${strip} where jsonb_array_length(restrictions) > 0`.execute(db);
    await sql`update licences set status = 'active', suspended_seq = null, suspension_reason = null`.execute(db);
    expect((await dumpProjections(db)).shipments).not.toEqual(after.shipments);
    const migration = readFileSync(new URL('../../migrations/0019_certificate_claims.sql', import.meta.url), 'utf8');
    const backfill = migration.slice(migration.indexOf('update licences l'));
    // One statement at a time (PGlite's extended protocol takes one per query); the migration runner runs the file whole.
    for (const statement of backfill
      .split(';\n')
      .map((x) => x.replace(/^\s*--.*$/gm, '').trim())
      .filter((x) => x !== ''))
      await sql.raw(statement).execute(db);
    const again = await dumpProjections(db);
    expect(again.licences).toEqual(after.licences);
    expect(again.shipments).toEqual(after.shipments);
    expect(again.lots.map((l) => l.restrictions)).toEqual(after.lots.map((l) => l.restrictions));
  });

  it("the ledger's CHECK refuses an overclaim even if a use case were wrong", async () => {
    const id = await certificate(ctx, 1_000);
    await expect(
      current()
        .store.db.updateTable('certificate_lines')
        .set({ claimed_grams: 1_001 })
        .where('certificate_id', '=', id)
        .execute(),
    ).rejects.toBeInstanceOf(StoreError);
  });

  if (kind === 'postgres') {
    it('a revocation racing 30 concurrent shipments under the licence: no shipment is recorded after the revocation', async () => {
      const id = await certificate(ctx, 1_000_000);
      const licence = (
        await decideApplication(ctx, 'cn-mofcom', (await apply(ctx, id, 1_000_000)).id, {
          decision: 'approve',
          conditions: { prohibitedReexportDestinations: ['US'] },
        })
      ).licence!;
      await createLot(ctx, EXPORTER, {
        id: 'MAG-1',
        holder: EXPORTER,
        location: 'CN',
        item: magnet,
        massGrams: 1_000_000,
        value: { currency: 'USD', minor: 8_000_000 },
      });
      const ships = Array.from({ length: 30 }, (_, i) =>
        dispatchShipment(ctx, EXPORTER, {
          id: `C-${i}`,
          fromLot: 'MAG-1',
          to: IMPORTER,
          destination: 'IN',
          grams: 10_000,
          value: { currency: 'USD', minor: 80_000 },
          licenceId: licence.id,
          lineRef: 'L1',
        }).then(
          (d) => d.seq,
          (e: unknown) => (e instanceof RefusedError ? e.refusals.map((r) => r.rule).join(',') : String(e)),
        ),
      );
      const revoked = revokeCertificate(ctx, IMPORTER, id, 'withdrawn');
      const results = await Promise.all(ships);
      await revoked;
      const revokedSeq = (
        await current()
          .store.db.selectFrom('certificates')
          .select('revoked_seq')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).revoked_seq!;
      for (const r of results) {
        if (typeof r === 'number') expect(r).toBeLessThan(revokedSeq);
        else expect(r).toBe('CERTIFICATE_REVOKED');
      }
      const shipped = await current()
        .store.db.selectFrom('shipments')
        .select(['seq', 'restrictions'])
        .where('licence_id', '=', licence.id)
        .execute();
      expect(shipped.every((x) => x.seq < revokedSeq)).toBe(true);
    }, 120_000);

    it('40 concurrent approvals of 100 kg on a 1 t certificate: exactly 10 are granted, the rest refused CERTIFICATE_OVERCLAIMED; the ledger equals the granted licences', async () => {
      const id = await certificate(ctx, 1_000_000);
      const apps = [];
      for (let i = 0; i < 40; i++) apps.push(await apply(ctx, id, 100_000));
      const results = await Promise.all(
        apps.map((a) =>
          decideApplication(ctx, 'cn-mofcom', a.id, {
            decision: 'approve',
            conditions: { prohibitedReexportDestinations: ['US'] },
          }).then(
            (r) => r.licence?.id ?? 'none',
            (e: unknown) => (e instanceof RefusedError ? e.refusals.map((r) => r.rule).join(',') : String(e)),
          ),
        ),
      );
      const granted = results.filter((r) => r.startsWith('LIC-'));
      expect(granted).toHaveLength(10);
      expect(new Set(results.filter((r) => !r.startsWith('LIC-')))).toEqual(new Set(['CERTIFICATE_OVERCLAIMED']));
      const ledger = (await getCertificate(ctx, id)).claims[0]!;
      expect(ledger).toMatchObject({ claimedGrams: 1_000_000, remainingGrams: 0 });
      expect(ledger.claims.map((c) => c.licenceId).sort()).toEqual([...granted].sort());
    }, 120_000);
  }
});
