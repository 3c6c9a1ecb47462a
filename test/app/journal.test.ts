import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AppError,
  createApp,
  rebuild,
  recordClassification,
  registerParty,
  runDemo,
  verifyEntry,
  type AppContext,
} from '../../src/app/index.js';
import { ValidationError } from '../../src/domain/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { sql } from 'kysely';
import { STORES, useFreshStore } from '../support/stores.js';

const magnet = {
  form: 'magnet',
  magnetFamily: 'NdFeB',
  hsCode: '850511',
  composition: { Nd: 300000, Dy: 40000, Fe: 650000, B: 10000 },
  origin: 'CN',
};
const exporter = {
  id: 'ganzhou-hengyuan-magnetics',
  name: 'Ganzhou Hengyuan Magnetics Co., Ltd.',
  country: 'CN',
  sector: 'magnet-manufacturing',
};

describe.each(STORES)('signed journal and projections on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date((t += 1000)) });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  async function counts() {
    const db = current().store.db;
    return {
      journal: await journalRepo.count(db),
      parties: Number((await sql<{ n: number }>`select count(*)::int as n from parties`.execute(db)).rows[0]?.n),
      classifications: Number(
        (await sql<{ n: number }>`select count(*)::int as n from classifications`.execute(db)).rows[0]?.n,
      ),
    };
  }

  it('rebuild reproduces the projections exactly', async () => {
    await runDemo(ctx);
    await recordClassification(ctx, 'chakan-drive-systems', {
      item: magnet,
      asOf: '2026-03-01',
      label: 'during the suspension',
    });
    const before = await dumpProjections(current().store.db);
    expect(before.classifications).toHaveLength(1);
    expect(before.parties).toHaveLength(8);
    expect(before.rule_packs).toHaveLength(1);
    expect(before.licences).toHaveLength(2); // the scenario licence and the spares licence suspended by a revocation
    expect(before.lots.length).toBeGreaterThanOrEqual(4);
    expect(before.custody_ledger.length).toBeGreaterThan(0);
    expect(before.certificates).toHaveLength(2);
    expect(before.certificate_claims).toHaveLength(2);
    expect(before.licences.map((l) => l.status).sort()).toEqual(['active', 'suspended']);
    expect(before.list_imports).toHaveLength(1);
    let progressCalls = 0;
    const r = await rebuild(ctx, () => progressCalls++);
    expect(r.entries).toBe(await journalRepo.count(current().store.db));
    expect(progressCalls).toBe(r.entries);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('each record is signed by its actor and verifies from the stored bytes', async () => {
    await registerParty(ctx, exporter);
    const c = await recordClassification(ctx, exporter.id, { item: magnet, asOf: '2026-11-24' });
    const rows = await journalRepo.read(current().store.db);
    expect(rows.map((r) => r.type)).toEqual(['party.registered', 'rulepack.loaded', 'item.classified']);
    expect(rows.every((r) => r.actor === exporter.id)).toBe(true);
    await current().store.transaction(async (tx) => {
      for (const row of rows) await verifyEntry(tx, ctx, row);
    });
    expect(c.classification.codes).toEqual(['1C905.a']);
  });

  it('bad input writes nothing to the journal or the projections', async () => {
    await registerParty(ctx, exporter);
    const before = await counts();
    const bad: [unknown, RegExp][] = [
      [{ ...magnet, composition: { Nd: 900000, Dy: 200000 } }, /item\.composition: sums to 1100000 ppm/],
      [{ ...magnet, composition: { Nd: 1, Qq: 1 } }, /item\.composition\.Qq: unknown element symbol/],
      [{ ...magnet, massGrams: -3 }, /item\.massGrams: must be a non-negative whole number/],
      [{ ...magnet, massGrams: 2.5 }, /item\.massGrams/],
      [{ ...magnet, form: 'widget' }, /item\.form: must be one of/],
    ];
    for (const [item, message] of bad) {
      await expect(recordClassification(ctx, exporter.id, { item })).rejects.toThrow(message);
    }
    await expect(recordClassification(ctx, exporter.id, { item: magnet, asOf: '2026-02-30' })).rejects.toThrow(
      ValidationError,
    );
    await expect(recordClassification(ctx, 'nobody-here', { item: magnet })).rejects.toThrow(AppError);
    await expect(registerParty(ctx, { ...exporter, id: 'x y' })).rejects.toThrow(/party\.id/);
    await expect(registerParty(ctx, exporter)).rejects.toThrow(/already registered/);
    expect(await counts()).toEqual(before);
  });

  it('a use case that fails after journalling rolls back its journal entries and projection rows', async () => {
    await registerParty(ctx, exporter);
    const before = await counts();
    // The keystore loses the exporter's key after the pack record was signed: the classification fails mid-transaction.
    const failing = createApp(current().store, { keysDir, clock: ctx.clock });
    let calls = 0;
    const signer = failing.keystore.signer.bind(failing.keystore);
    failing.keystore.signer = (id: string) => {
      if (++calls === 2) throw new AppError('KEY_MISSING', 'key went away');
      return signer(id);
    };
    await expect(recordClassification(failing, exporter.id, { item: magnet })).rejects.toThrow('key went away');
    expect(await counts()).toEqual(before);
    const next = await recordClassification(ctx, exporter.id, { item: magnet });
    expect(next.seq).toBe(before.journal + 2);
  });

  it('rebuild repairs tampered projections from the journal', async () => {
    await runDemo(ctx);
    const before = await dumpProjections(current().store.db);
    await sql`update parties set name = 'Someone Else' where id = 'chakan-drive-systems'`.execute(current().store.db);
    await sql`delete from classifications`.execute(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it("rebuild refuses a journal entry altered behind the system's back, and keeps the old projections", async () => {
    await runDemo(ctx);
    const db = current().store.db;
    const before = await dumpProjections(db);
    // Only an administrator bypassing the append-only trigger can do this; the signature still catches it.
    await sql`alter table journal disable trigger journal_no_update_or_delete`.execute(db);
    await sql`update journal set canonical = replace(canonical, '"Chakan Drive Systems Private Limited"', '"Chakan Drive Systems Pte"') where type = 'party.registered'`.execute(
      db,
    );
    await sql`alter table journal enable trigger journal_no_update_or_delete`.execute(db);
    await expect(rebuild(ctx)).rejects.toThrow(/^journal entry 3: .*signature/i);
    expect(await dumpProjections(db)).toEqual(before);
  });
});
