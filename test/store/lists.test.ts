/**
 * The caseload lists in SQL (listsRepo), on every store: only the caller's rows (the visibility rule
 * is in the query), each search word matched case-insensitively with `%`, `_` and `\` taken
 * literally, filters, the total counted over every match, pages that neither overlap nor skip
 * (ties in journal order), and every row when the window has no limit (CSV).
 */
import { describe, expect, it } from 'vitest';
import { containsPattern, journalRepo, listsRepo, lotsRepo, type ListWindow } from '../../src/store/index.js';
import { testParty, testRecord } from '../support/records.js';
import { STORES, useFreshStore } from '../support/stores.js';

const lot = (id: string, holder: string, n: number, grams: number, description: string, licence?: string) => ({
  id,
  holder,
  location: n % 2 === 0 ? 'IN' : 'AE',
  item: { form: 'alloy', description },
  mass_grams: grams,
  units: null,
  value_minor: 1000,
  currency: 'USD',
  restrictions: licence === undefined ? [] : [{ licenceId: licence, licensedGrams: grams }],
  licence_ids: licence === undefined ? [] : [licence],
  created_seq: n,
  updated_seq: n,
});
const alice = testParty('alice-magnets');

const window = (o: Partial<ListWindow> = {}): ListWindow => ({
  words: [],
  sort: 'id',
  order: 'asc',
  limit: 50,
  offset: 0,
  ...o,
});

describe('LIKE patterns (pure)', () => {
  it('escapes the characters LIKE gives a meaning', () => {
    expect(containsPattern('100%')).toBe('%100\\%%');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
    expect(containsPattern('x\\y')).toBe('%x\\\\y%');
    expect(containsPattern('plain')).toBe('%plain%');
  });
});

describe.each(STORES)('caseload lists in SQL (%s)', (kind) => {
  const current = useFreshStore(kind);

  async function seed(): Promise<void> {
    const rows = [
      lot('LOT-A', 'holder-1', 1, 500, 'Magnet 100% NdFeB', 'LIC-1'),
      lot('LOT-B', 'holder-1', 2, 500, 'magnet 100 pct'),
      lot('LOT-C', 'holder-1', 3, 300, 'a_b block', 'LIC-1'),
      lot('LOT-D', 'holder-1', 4, 700, 'axb block'),
      lot('LOT-E', 'holder-1', 5, 500, 'back\\slash'),
      lot('LOT-F', 'holder-1', 6, 100, 'backslash'),
      lot('LOT-Z', 'holder-2', 7, 900, 'Magnet 100% NdFeB a_b back\\slash', 'LIC-1'),
    ];
    // Each lot is created at a journal entry of its own (lots.created_seq references the journal).
    await current().store.transaction(async (tx) => {
      for (const r of rows) {
        const { seq } = await journalRepo.append(tx, testRecord(alice, r.created_seq));
        await lotsRepo.insert(tx, { ...r, created_seq: seq, updated_seq: seq });
      }
    });
  }
  const ids = (p: { rows: { id: string }[] }) => p.rows.map((r) => r.id);

  it('searches case-insensitively, with %, _ and \\ taken literally, and only the holder’s rows', async () => {
    await seed();
    const db = current().store.db;
    const find = (...words: string[]) => listsRepo.lots(db, 'holder-1', {}, window({ words }));
    expect(ids(await find('MAGNET'))).toEqual(['LOT-A', 'LOT-B']);
    expect(ids(await find('%'))).toEqual(['LOT-A']);
    expect(ids(await find('100%'))).toEqual(['LOT-A']);
    expect(ids(await find('_'))).toEqual(['LOT-C']);
    expect(ids(await find('a_b'))).toEqual(['LOT-C']);
    expect(ids(await find('\\'))).toEqual(['LOT-E']);
    expect(ids(await find('back\\slash'))).toEqual(['LOT-E']);
    // Every word must occur (in any field: the restriction's licence id is searchable too).
    expect(ids(await find('block', 'lic-1'))).toEqual(['LOT-C']);
    expect(ids(await find('block', 'nosuchword'))).toEqual([]);
    expect((await find('%')).total).toBe(1);
  });

  it('filters, counts every match and pages in a total order (ties in journal order)', async () => {
    await seed();
    const db = current().store.db;
    const byMass = (o: Partial<ListWindow>) => listsRepo.lots(db, 'holder-1', {}, window({ sort: 'mass', ...o }));
    const all = await byMass({ order: 'desc', limit: undefined });
    expect(ids(all)).toEqual(['LOT-D', 'LOT-A', 'LOT-B', 'LOT-E', 'LOT-C', 'LOT-F']);
    expect(all.total).toBe(6);
    const pages = await Promise.all([0, 2, 4].map((offset) => byMass({ order: 'desc', limit: 2, offset })));
    expect(pages.flatMap(ids)).toEqual(ids(all));
    expect(pages.map((p) => p.total)).toEqual([6, 6, 6]);
    expect(ids(await byMass({ order: 'asc', limit: 3 }))).toEqual(['LOT-F', 'LOT-C', 'LOT-A']);
    expect(ids(await byMass({ offset: 6 }))).toEqual([]);

    expect(ids(await listsRepo.lots(db, 'holder-1', { restricted: 'yes' }, window()))).toEqual(['LOT-A', 'LOT-C']);
    expect(ids(await listsRepo.lots(db, 'holder-1', { restricted: 'no' }, window()))).toEqual([
      'LOT-B',
      'LOT-D',
      'LOT-E',
      'LOT-F',
    ]);
    expect(ids(await listsRepo.lots(db, 'holder-1', { licence: 'LIC-1', location: 'AE' }, window()))).toEqual([
      'LOT-A',
      'LOT-C',
    ]);
    const other = await listsRepo.lots(db, 'holder-2', {}, window());
    expect([ids(other), other.total]).toEqual([['LOT-Z'], 1]);
    expect((await listsRepo.lots(db, 'nobody', {}, window())).total).toBe(0);
  });

  it('refuses a sort key the list does not have (the HTTP schema never lets one through)', async () => {
    await expect(listsRepo.lots(current().store.db, 'holder-1', {}, window({ sort: 'colour' }))).rejects.toThrow(
      /no sort key "colour"/,
    );
  });
});
