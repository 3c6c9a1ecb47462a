/**
 * Set-based ingest in the store (issue 21), on every store: the lots and shipments a batch holds are
 * answered from its transaction's memo exactly as the database has them; a custody write carries its
 * ledger rows in the same statement (the running holder totals follow); one provenance step reads
 * what the separate queries read; a batch that defers its writes holds its rows in memory exactly as
 * the database will have them, writes them first whenever SQL reads those tables, and leaves the same
 * projections as the writes one at a time.
 */
import { sql, type Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  heldRowsRepo,
  holderTotalsRepo,
  journalRepo,
  ledgerRepo,
  lotsRepo,
  dumpProjections,
  rememberReadsIn,
  shipmentsRepo,
  type ProjectionDump,
  type Database,
  type Store,
} from '../../src/store/index.js';
import { testParty, testRecord } from '../support/records.js';
import { STORES, useFreshStore } from '../support/stores.js';

const alice = testParty('alice-magnets');
const restriction = (licenceId: string, grams: number) => [{ licenceId, licensedGrams: grams }];

const lot = (id: string, holder: string, seq: number, grams = 100) => ({
  id,
  holder,
  location: 'IN',
  item: { form: 'magnet' },
  mass_grams: grams,
  units: null,
  value_minor: 1000,
  currency: 'USD',
  restrictions: restriction('LIC-1', grams),
  licence_ids: ['LIC-1'],
  created_seq: seq,
  updated_seq: seq,
});

const shipment = (id: string, fromLot: string, from: string, to: string, seq: number) => ({
  id,
  seq,
  from_lot: fromLot,
  from_holder: from,
  to_party: to,
  destination: 'IN',
  grams: 40,
  units: null,
  value_minor: 400,
  currency: 'USD',
  declared_value_minor: null,
  licence_id: null,
  line_ref: null,
  shipped_on: '2026-11-24',
  restrictions: restriction('LIC-1', 40),
});

async function entry(tx: Transaction<Database>): Promise<number> {
  return (await journalRepo.append(tx, testRecord(alice, Math.floor(Math.random() * 1e9)))).seq;
}

const fromDb = {
  lot: (tx: Transaction<Database>, id: string) =>
    tx.selectFrom('lots').selectAll().where('id', '=', id).executeTakeFirst(),
  shipment: (tx: Transaction<Database>, id: string) =>
    tx.selectFrom('shipments').selectAll().where('id', '=', id).executeTakeFirst(),
};

describe.each(STORES)('set-based ingest in the store on %s', (kind) => {
  const fresh = useFreshStore(kind);
  const store = (): Store => fresh().store;

  it("answers the batch's held lots and shipments from the memo, exactly as the database has them", async () => {
    const seq = await store().transaction(async (tx) => {
      const s = await entry(tx);
      await lotsRepo.insert(tx, lot('L-mine', 'alice-magnets', s));
      await lotsRepo.insert(tx, lot('L-other', 'bob', s));
      await shipmentsRepo.insert(tx, shipment('S-to-me', 'L-other', 'bob', 'alice-magnets', s));
      await shipmentsRepo.insert(tx, shipment('S-to-carol', 'L-other', 'bob', 'carol', s));
      return s;
    });
    await store().transaction(async (tx) => {
      rememberReadsIn(tx);
      await heldRowsRepo.lockFor(tx, 'alice-magnets', {
        lots: ['L-mine', 'L-other', 'L-new'],
        shipments: ['S-to-me', 'S-to-carol', 'S-new'],
      });
      // Changed behind the memo's back (Lodestone never does this to a row it holds): the held row
      // (alice's lot, the shipment addressed to her) is answered from the memo; the rows of others
      // are not held and are read from the database.
      await sql`update lots set location = 'XX' where id in ('L-mine', 'L-other')`.execute(tx);
      await sql`update shipments set destination = 'XX' where id in ('S-to-me', 'S-to-carol')`.execute(tx);
      expect((await lotsRepo.lock(tx, 'L-mine'))?.location).toBe('IN');
      expect((await lotsRepo.get(tx, 'L-mine'))?.location).toBe('IN');
      expect((await lotsRepo.get(tx, 'L-other'))?.location).toBe('XX');
      expect((await shipmentsRepo.lock(tx, 'S-to-me'))?.destination).toBe('IN');
      expect((await shipmentsRepo.get(tx, 'S-to-carol'))?.destination).toBe('XX');
      // Ids that named nothing are known absent.
      expect(await lotsRepo.get(tx, 'L-new')).toBeUndefined();
      expect(await lotsRepo.lock(tx, 'L-new')).toBeUndefined();
      expect(await shipmentsRepo.get(tx, 'S-new')).toBeUndefined();
      await sql`update lots set location = 'IN' where id = 'L-mine'`.execute(tx);
      await sql`update shipments set destination = 'IN' where id = 'S-to-me'`.execute(tx);
      // Every write through the repository keeps the row the database returned.
      await lotsRepo.insert(tx, lot('L-new', 'alice-magnets', seq));
      expect(await lotsRepo.get(tx, 'L-new')).toEqual(await fromDb.lot(tx, 'L-new'));
      await lotsRepo.setMass(tx, 'L-mine', 60, restriction('LIC-1', 60), seq, 600);
      expect(await lotsRepo.lock(tx, 'L-mine')).toEqual(await fromDb.lot(tx, 'L-mine'));
      expect((await lotsRepo.get(tx, 'L-mine'))?.mass_grams).toBe(60);
      await lotsRepo.setRestrictions(tx, 'L-mine', [], seq);
      expect(await lotsRepo.get(tx, 'L-mine')).toEqual(await fromDb.lot(tx, 'L-mine'));
      await shipmentsRepo.insert(tx, shipment('S-new', 'L-mine', 'alice-magnets', 'bob', seq));
      expect(await shipmentsRepo.get(tx, 'S-new')).toEqual(await fromDb.shipment(tx, 'S-new'));
      await shipmentsRepo.markReceived(tx, 'S-to-me', 40, 'L-new', seq);
      const received = await shipmentsRepo.lock(tx, 'S-to-me');
      expect(received).toEqual(await fromDb.shipment(tx, 'S-to-me'));
      expect(received?.status).toBe('received');
      // byIds: the held rows from the memo, the others from the database, each once, in journal order.
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      const some = await shipmentsRepo.byIds(tx, ['S-new', 'S-to-carol', 'S-to-me', 'S-new', 'nope']);
      expect(some.map((r) => r.seq)).toEqual(some.map((r) => r.seq).sort((a, b) => a - b));
      expect([...some].sort(byId)).toEqual(
        (
          await tx.selectFrom('shipments').selectAll().where('id', 'in', ['S-new', 'S-to-carol', 'S-to-me']).execute()
        ).sort(byId),
      );
    });
  });

  it('without a memo reads and writes the database as before, and a held id another batch inserts fails on the key', async () => {
    await store().transaction(async (tx) => {
      const s = await entry(tx);
      await heldRowsRepo.lockFor(tx, 'alice-magnets', { lots: ['L-1'], shipments: [] });
      await lotsRepo.insert(tx, lot('L-1', 'alice-magnets', s));
      await sql`update lots set location = 'XX' where id = 'L-1'`.execute(tx);
      expect((await lotsRepo.get(tx, 'L-1'))?.location).toBe('XX');
    });
    await expect(
      store().transaction(async (tx) => {
        rememberReadsIn(tx);
        const s = await entry(tx);
        await heldRowsRepo.lockFor(tx, 'alice-magnets', { lots: ['L-2'], shipments: [] });
        expect(await lotsRepo.get(tx, 'L-2')).toBeUndefined();
        // Inserted behind the memo's back (as another transaction committing meanwhile would):
        // the batch's own insert of that id is refused by the primary key, and nothing is kept.
        await sql`insert into lots select 'L-2', holder, location, item, mass_grams, units, value_minor, currency, restrictions, licence_ids, created_seq, updated_seq from lots where id = 'L-1'`.execute(
          tx,
        );
        await lotsRepo.insert(tx, lot('L-2', 'alice-magnets', s));
      }),
    ).rejects.toThrow(/lots_pkey|already exists/);
    expect(await lotsRepo.get(store().db, 'L-2')).toBeUndefined();
  });

  it('writes a custody record and its ledger rows in one statement; the holder totals follow', async () => {
    await store().transaction(async (tx) => {
      const s = await entry(tx);
      const ledger = (kind: 'created' | 'shipped' | 'received', grams: number, holder: string, lotId: string) => ({
        seq: s,
        licence_id: 'LIC-1',
        holder,
        lot_id: lotId,
        kind,
        grams,
      });
      await lotsRepo.insert(tx, lot('L-a', 'alice-magnets', s), [ledger('created', 100, 'alice-magnets', 'L-a')]);
      await lotsRepo.setMass(tx, 'L-a', 60, restriction('LIC-1', 60), s, 600, [
        ledger('shipped', 40, 'alice-magnets', 'L-a'),
      ]);
      await shipmentsRepo.insert(tx, shipment('S-a', 'L-a', 'alice-magnets', 'bob', s));
      await lotsRepo.insert(tx, lot('L-b', 'bob', s, 40));
      await shipmentsRepo.markReceived(tx, 'S-a', 40, 'L-b', s, [ledger('received', 40, 'bob', 'L-b')]);
      expect((await ledgerRepo.forLicence(tx, 'LIC-1')).map((r) => [r.kind, r.holder, r.grams])).toEqual(
        expect.arrayContaining([
          ['created', 'alice-magnets', 100],
          ['shipped', 'alice-magnets', 40],
          ['received', 'bob', 40],
        ]),
      );
      const totals = await holderTotalsRepo.forLicences(tx, ['LIC-1']);
      expect(totals.map((t) => [t.holder, t.created_grams, t.net_grams, t.on_hand_grams])).toEqual([
        ['alice-magnets', 100, 60, 60],
        ['bob', 0, 40, 40],
      ]);
    });
  });

  it('reads one provenance step as the separate queries do: receipts into the lots, and the transformations that made them', async () => {
    await store().transaction(async (tx) => {
      const s1 = await entry(tx);
      const s2 = await entry(tx);
      await lotsRepo.insert(tx, lot('M', 'alice-magnets', s1));
      await lotsRepo.insert(tx, lot('R', 'bob', s1, 40));
      await lotsRepo.insert(tx, lot('P', 'bob', s2, 40));
      await shipmentsRepo.insert(tx, shipment('S', 'M', 'alice-magnets', 'bob', s1));
      await shipmentsRepo.markReceived(tx, 'S', 40, 'R', s1);
      await ledgerRepo.add(tx, [
        { seq: s2, licence_id: 'LIC-1', holder: 'bob', lot_id: 'R', kind: 'transformed-out', grams: 40 },
        { seq: s2, licence_id: 'LIC-1', holder: 'bob', lot_id: 'P', kind: 'transformed-in', grams: 40 },
        { seq: s2, licence_id: 'LIC-2', holder: 'bob', lot_id: 'P', kind: 'transformed-in', grams: 1 },
      ]);
      const step = await ledgerRepo.provenanceStep(tx, ['R', 'P'], ['LIC-1']);
      expect(step.received).toEqual([await fromDb.shipment(tx, 'S')]);
      expect(step.transformations).toEqual(
        await tx
          .selectFrom('custody_ledger')
          .selectAll()
          .where('seq', '=', s2)
          .where('licence_id', '=', 'LIC-1')
          .orderBy('seq')
          .orderBy('lot_id')
          .execute(),
      );
      expect(step.transformations.map((t) => [t.lot_id, t.kind])).toEqual([
        ['P', 'transformed-in'],
        ['R', 'transformed-out'],
      ]);
      expect(await ledgerRepo.provenanceStep(tx, ['R'], [])).toEqual({
        received: [await fromDb.shipment(tx, 'S')],
        transformations: [],
      });
      expect(await ledgerRepo.provenanceStep(tx, [], ['LIC-1'])).toEqual({ received: [], transformations: [] });
    });
  });

  it("defers a batch's lot, shipment and ledger writes: held rows as the database will have them, SQL reads flush first, the same projections as one at a time", async () => {
    const base = await store().transaction(async (tx) => {
      const s = await entry(tx);
      await lotsRepo.insert(tx, lot('L-old', 'alice-magnets', s), [
        { seq: s, licence_id: 'LIC-1', holder: 'alice-magnets', lot_id: 'L-old', kind: 'created', grams: 100 },
      ]);
      await lotsRepo.insert(tx, lot('L-bob', 'bob', s));
      await shipmentsRepo.insert(tx, shipment('S-in', 'L-bob', 'bob', 'alice-magnets', s));
      return s;
    });
    const led = (seq: number, lotId: string, kind: 'shipped' | 'received' | 'consumed', grams: number) => ({
      seq,
      licence_id: 'LIC-1',
      holder: 'alice-magnets',
      lot_id: lotId,
      kind,
      grams,
    });
    // The same writes, one at a time (no memo) and deferred; each transaction rolls back after its dump,
    // so both start from the same state and take the same journal seqs.
    const run = async (defer: boolean): Promise<ProjectionDump> => {
      let dump: ProjectionDump | undefined;
      await store()
        .transaction(async (tx) => {
          if (defer) {
            rememberReadsIn(tx);
            await heldRowsRepo.lockFor(tx, 'alice-magnets', {
              lots: ['L-old', 'L-new', 'L-got'],
              shipments: ['S-in', 'S-out', 'S-loop'],
            });
            heldRowsRepo.deferWrites(tx);
          }
          const s1 = await entry(tx);
          const s2 = await entry(tx);
          await lotsRepo.insert(tx, { ...lot('L-new', 'alice-magnets', s1, 70), units: 3 });
          await lotsRepo.setMass(tx, 'L-old', 60, restriction('LIC-1', 60), s1, 600, [led(s1, 'L-old', 'shipped', 40)]);
          await shipmentsRepo.insert(tx, shipment('S-out', 'L-old', 'alice-magnets', 'bob', s1));
          await shipmentsRepo.insert(tx, shipment('S-loop', 'L-new', 'alice-magnets', 'alice-magnets', s1));
          await lotsRepo.setMass(tx, 'L-new', 30, restriction('LIC-1', 30), s2, undefined, [
            led(s2, 'L-new', 'shipped', 40),
          ]);
          await lotsRepo.insert(tx, lot('L-got', 'alice-magnets', s2, 40), [led(s2, 'L-got', 'received', 40)]);
          await shipmentsRepo.markReceived(tx, 'S-in', 40, 'L-got', s2);
          await shipmentsRepo.markReceived(tx, 'S-loop', 40, 'L-got', s2);
          await shipmentsRepo.setRestrictions(tx, 'S-out', []);
          await lotsRepo.setRestrictions(tx, 'L-old', [], s2);
          await ledgerRepo.add(tx, [led(s2, 'L-old', 'consumed', 60)]);
          if (defer) {
            // Nothing is written yet; what the batch holds is what the database will have after the flush.
            expect(await fromDb.lot(tx, 'L-new')).toBeUndefined();
            const held = {
              lots: await Promise.all(['L-old', 'L-new', 'L-got'].map((id) => lotsRepo.get(tx, id))),
              shipments: await Promise.all(['S-in', 'S-out', 'S-loop'].map((id) => shipmentsRepo.get(tx, id))),
            };
            // A read SQL answers (here the running totals, which the tables' triggers keep) writes them first.
            const totals = await holderTotalsRepo.forLicences(tx, ['LIC-1']);
            expect(totals.find((t) => t.holder === 'alice-magnets')).toMatchObject({
              net_grams: 100 - 40 - 40 + 40 - 60,
            });
            expect(held.lots).toEqual(await Promise.all(['L-old', 'L-new', 'L-got'].map((id) => fromDb.lot(tx, id))));
            expect(held.shipments).toEqual(
              await Promise.all(['S-in', 'S-out', 'S-loop'].map((id) => fromDb.shipment(tx, id))),
            );
            // Writes after a flush are deferred again, and a list read sees them.
            await lotsRepo.setMass(tx, 'L-got', 10, restriction('LIC-1', 10), s2);
            expect(
              (await lotsRepo.list(tx, { holder: 'alice-magnets' })).find((l) => l.id === 'L-got')?.mass_grams,
            ).toBe(10);
          } else await lotsRepo.setMass(tx, 'L-got', 10, restriction('LIC-1', 10), s2);
          dump = await dumpProjections(tx);
          throw new Error('roll back');
        })
        .catch((e: unknown) => {
          if (!(e instanceof Error && e.message === 'roll back')) throw e;
        });
      if (dump === undefined) throw new Error('no dump');
      return dump;
    };
    const oneAtATime = await run(false);
    const deferred = await run(true);
    expect(deferred).toEqual(oneAtATime);
    expect(oneAtATime.lots.map((l) => l.id)).toEqual(['L-bob', 'L-got', 'L-new', 'L-old']);
    expect(oneAtATime.custody_ledger.length).toBe(5);
    expect(base).toBeGreaterThan(0);
  });
});
