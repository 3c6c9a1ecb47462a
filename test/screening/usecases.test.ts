import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createApp,
  importList,
  listSnapshots,
  rebuild,
  registerParty,
  screenNames,
  screenPartiesInTx,
  type AppContext,
} from '../../src/app/index.js';
import { parseParty, ValidationError } from '../../src/domain/index.js';
import { MATCHER_VERSION } from '../../src/screening/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const fixtures = new URL('../fixtures/screening/', import.meta.url);
const path = (f: string): string => new URL(f, fixtures).pathname;
const officer = { id: 'compliance-desk', name: 'Compliance Desk', country: 'IN' };

describe.each(STORES)('screening use cases on %s', (kind) => {
  const current = useFreshStore(kind);
  let dir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lodestone-screening-'));
    ctx = createApp(current().store, { keysDir: join(dir, 'keys'), clock: () => new Date((t += 1000)) });
    await registerParty(ctx, officer);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a list as a journalled snapshot; the same content again is "unchanged"; a changed list records its delta', async () => {
    const first = await importList(ctx, {
      path: path('plain.csv'),
      format: 'csv',
      list: 'cn-control',
      actor: officer.id,
    });
    expect(first).toMatchObject({
      status: 'imported',
      entries: 4,
      added: ['SYN-001', 'SYN-002', 'SYN-003', 'SYN-006'],
      removed: [],
      changed: [],
    });
    expect(first.errors.map((e) => e.line)).toEqual([5, 6, 7]);
    const again = await importList(ctx, {
      path: path('plain.csv'),
      format: 'csv',
      list: 'cn-control',
      actor: officer.id,
    });
    expect(again.status).toBe('unchanged');

    const text =
      readFileSync(path('plain.csv'), 'utf8')
        .replace('Harbin Polar Aerospace Institute', 'Harbin Polar Aerospace Research Institute')
        .replace(/^Xiamen.*\n/m, '') + 'Novel Entity Ltd,,CN,entity,Synthetic control list,SYN-007\n';
    const second = await importList(ctx, { text, format: 'csv', list: 'cn-control', actor: officer.id });
    expect(second).toMatchObject({
      status: 'imported',
      previous: first.sha256,
      added: ['SYN-007'],
      removed: ['SYN-002'],
      changed: ['SYN-006'],
    });

    const rows = await journalRepo.read(current().store.db);
    expect(rows.map((r) => r.type)).toEqual(['party.registered', 'list.imported', 'list.imported']);
    const snaps = await listSnapshots(ctx);
    expect(snaps).toMatchObject([
      { list: 'cn-control', sha256: second.sha256, entries: 4, added: 1, removed: 1, changed: 1 },
    ]);

    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('bad list files are clear validation errors and the previous snapshot stays in force', async () => {
    const ok = await importList(ctx, { path: path('plain.csv'), format: 'csv', list: 'cn-control', actor: officer.id });
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const binary = join(dir, 'bin.csv');
    writeFileSync(binary, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2]));
    await expect(
      importList(ctx, { path: empty, format: 'csv', list: 'cn-control', actor: officer.id }),
    ).rejects.toThrow(/file: is empty/);
    await expect(
      importList(ctx, { path: binary, format: 'csv', list: 'cn-control', actor: officer.id }),
    ).rejects.toThrow(/binary/);
    await expect(
      importList(ctx, { path: path('sdn.csv'), format: 'csv', list: 'cn-control', actor: officer.id }),
    ).rejects.toThrow(/header/);
    await expect(
      importList(ctx, { path: path('plain.csv'), format: 'xlsx', list: 'cn-control', actor: officer.id }),
    ).rejects.toThrow(ValidationError);
    await expect(
      importList(ctx, { path: path('plain.csv'), format: 'csv', list: 'Bad List!', actor: officer.id }),
    ).rejects.toThrow(/^list:/);
    await expect(
      importList(ctx, { path: join(dir, 'missing.csv'), format: 'csv', list: 'cn-control', actor: officer.id }),
    ).rejects.toThrow(/cannot read/);
    expect((await listSnapshots(ctx)).map((s) => s.sha256)).toEqual([ok.sha256]);
    expect(await journalRepo.count(current().store.db)).toBe(2);
  });

  it('screens names against every list in force, with explanations', async () => {
    await importList(ctx, { path: path('plain.csv'), format: 'csv', list: 'cn-control', actor: officer.id });
    await importList(ctx, {
      path: path('sdn.csv'),
      alt: path('alt.csv'),
      add: path('add.csv'),
      format: 'sdn-csv',
      list: 'ofac-sdn',
      actor: officer.id,
    });
    await importList(ctx, { path: path('un-consolidated.xml'), format: 'un-xml', list: 'un-sc', actor: officer.id });
    const r = await screenNames(ctx, [
      'BAOTOU STEEL',
      '包头钢铁',
      'Baotou Gangtie',
      'National Bank of Cuba',
      'صدام حسين',
      'Maria Fernandez Lopez',
    ]);
    expect(r[0]?.hits[0]).toMatchObject({ list: 'cn-control', entryId: 'SYN-001' });
    expect(r[1]?.hits[0]).toMatchObject({ list: 'cn-control', entryId: 'SYN-001' });
    expect(r[2]?.hits[0]).toMatchObject({ list: 'cn-control', entryId: 'SYN-001' });
    expect(r[3]?.hits[0]).toMatchObject({ list: 'ofac-sdn', entryId: '306', name: 'BANCO NACIONAL DE CUBA' });
    expect(r[3]?.hits[0]?.explanation).toContain('NATIONAL BANK OF CUBA');
    expect(r[4]?.hits[0]?.name).toMatch(/SADDAM HUSSEIN/i);
    expect(r[4]?.hits[0]?.explanation).toContain('transliterated arabic');
    expect(r[5]?.hits).toEqual([]);
    await expect(screenNames(ctx, ['...!!!'])).rejects.toThrow(/query: has no letters/);
    await expect(screenNames(ctx, ['x'.repeat(10_240)])).rejects.toThrow(/at most 1000/);
    await expect(screenNames(ctx, ['Baotou'], { threshold: 2 })).rejects.toThrow(/threshold/);
  });

  it('screenPartiesInTx screens names, aliases and owners (50 % through a chain), recording snapshots and matcher version', async () => {
    const imp = await importList(ctx, {
      path: path('sdn.csv'),
      alt: path('alt.csv'),
      add: path('add.csv'),
      format: 'sdn-csv',
      list: 'ofac-sdn',
      actor: officer.id,
    });
    await registerParty(ctx, {
      id: 'holdco-one',
      name: 'Holdco One Ltd',
      country: 'AE',
      owners: [{ name: 'BANK MELLAT', country: 'IR', sharePpm: 600_000 }],
    });
    const clean = parseParty({ id: 'clean-magnets', name: 'Pune Clean Magnets Pvt Ltd', country: 'IN' });
    const owned = parseParty({
      id: 'owned-trader',
      name: 'Harbour Trading FZE',
      country: 'AE',
      owners: [
        { partyId: 'holdco-one', name: 'Holdco One Ltd', sharePpm: 500_000 },
        { name: 'Someone Else', sharePpm: 500_000 },
      ],
    });
    const minority = parseParty({
      id: 'minority-trader',
      name: 'Gulf Minority Trading LLC',
      country: 'AE',
      owners: [{ name: 'Bank Mellat', sharePpm: 490_000 }],
    });
    const listed = parseParty({ id: 'listed-bank', name: 'Banco Nacional de Cuba S.A.', country: 'CU' });
    const r = await current().store.transaction((tx) => screenPartiesInTx(tx, [clean, owned, minority, listed]));
    expect(r.map((p) => p.partyId)).toEqual(['clean-magnets', 'owned-trader', 'minority-trader', 'listed-bank']);
    expect(r[0]).toMatchObject({
      hits: [],
      snapshots: [{ list: 'ofac-sdn', sha256: imp.sha256 }],
      matcherVersion: MATCHER_VERSION,
    });
    expect(r[1]?.hits[0]).toMatchObject({ list: 'ofac-sdn', entryId: '25019', via: ['Holdco One Ltd', 'BANK MELLAT'] });
    expect(r[1]?.hits[0]?.explanation).toMatch(/owned 50\.00 %/);
    expect(r[2]?.hits).toEqual([]);
    expect(r[3]?.hits[0]).toMatchObject({ entryId: '306' });
    expect(r[3]?.hits[0]?.via).toBeUndefined();
  });
});
