/**
 * Group commit (issue 21, item 3), as a contract on both stores: requests' work in one transaction,
 * each in its own savepoint; a refused request rolls back alone; every acknowledged request is
 * committed; a group whose commit fails acknowledges nothing and keeps nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkLog,
  consumeLot,
  createApp,
  createLot,
  GroupCommit,
  rebuild,
  registerParty,
  verifyEntry,
  type AppContext,
} from '../../src/app/index.js';
import { dumpProjections, journalRepo, type Store } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const root = new URL('../../examples/', import.meta.url);
const read = (p: string): unknown => JSON.parse(readFileSync(new URL(p, root), 'utf8')) as unknown;
const magnet = read('items/ndfeb-plain-magnet.json');
const MAKER = 'ganzhou-hengyuan-magnetics';
const lot = (id: string) => ({ id, holder: MAKER, location: 'CN', item: magnet, massGrams: 5000 });

describe.each(STORES)('group commit on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir });
    for (const p of read('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  /** The use cases of one request, run against the store the group gives it. */
  const as = (store: Store): AppContext => ({ ...ctx, store });
  const lotIds = async (db = current().store.db) =>
    (await db.selectFrom('lots').select('id').orderBy('id').execute()).map((r) => r.id);
  const checkpoints = () =>
    current().store.db.selectFrom('log_checkpoint_history').select('size').orderBy('size').execute();

  it('runs concurrent requests in one transaction with one checkpoint; a refused request rolls back alone', async () => {
    const group = new GroupCommit(ctx, { maxWaitMs: 1000, maxBatch: 4 });
    const before = await journalRepo.count(current().store.db);
    const sizesBefore = (await checkpoints()).length;
    const settled = await Promise.allSettled([
      group.run((store) => createLot(as(store), MAKER, lot('G-1'))),
      // Refused after its first transaction wrote a lot: that transaction is rolled back, and the request with it.
      group.run(async (store) => {
        await createLot(as(store), MAKER, lot('G-REFUSED'));
        return createLot(as(store), MAKER, lot('G-1'));
      }),
      group.run((store) => createLot(as(store), MAKER, lot('G-2'))),
      group.run(async (store) => {
        await createLot(as(store), MAKER, lot('G-3'));
        return consumeLot(as(store), MAKER, { lotId: 'G-3', grams: 1000, purpose: 'test' });
      }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_EXISTS' });
    // A refusal after writing: the shared attempt was rolled back and the group ran again with a savepoint per request.
    expect(group.stats).toEqual({ groups: 1, requests: 4, largest: 4, isolated: 1 });
    expect(await lotIds()).toEqual(['G-1', 'G-2', 'G-3']);
    // Four records (three lots and a consumption), gapless, each verifying; one checkpoint for all of them.
    expect(await journalRepo.count(current().store.db)).toBe(before + 4);
    const sizes = (await checkpoints()).map((c) => c.size);
    expect(sizes.length).toBe(sizesBefore + 1);
    expect(sizes.at(-1)).toBe(before + 4);
    expect(await checkLog(ctx)).toMatchObject({ size: before + 4 });
    await current().store.transaction(async (tx) => {
      for (const row of await journalRepo.read(tx, { fromSeq: before + 1 })) await verifyEntry(tx, ctx, row);
    });
    // The projections are what a replay of the journal makes.
    const projected = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(projected);
  });

  it("a transaction that fails inside a request rolls back alone; the request's later transactions are kept", async () => {
    const group = new GroupCommit(ctx, { maxWaitMs: 0 });
    const out = await group.run(async (store) => {
      await expect(createLot(as(store), MAKER, { ...lot('T-1'), massGrams: -1 })).rejects.toMatchObject({
        field: expect.stringContaining('massGrams') as unknown,
      });
      await expect(
        store.transaction(async (tx) => {
          await createLot({ ...as(store), store: { ...store, transaction: (fn) => fn(tx) } }, MAKER, lot('T-GONE'));
          throw new Error('refused after writing');
        }),
      ).rejects.toThrow('refused after writing');
      return createLot(as(store), MAKER, lot('T-2'));
    });
    expect(out.id).toBe('T-2');
    expect(await lotIds()).toEqual(['T-2']);
    expect(await checkLog(ctx)).toMatchObject({ size: await journalRepo.count(current().store.db) });
  });

  it('every acknowledged request is committed: the store opened again has it', async () => {
    const group = new GroupCommit(ctx, { maxWaitMs: 5, maxBatch: 3 });
    const ids = Array.from({ length: 7 }, (_, i) => `ACK-${String(i)}`);
    const acked: string[] = [];
    await Promise.all(
      ids.map((id) =>
        group
          .run((store) => createLot(as(store), MAKER, lot(id)))
          .then((l) => {
            acked.push(l.id);
          }),
      ),
    );
    expect(group.stats.groups).toBeGreaterThanOrEqual(3); // at most 3 per group
    const reopened = await current().reopen();
    expect(await lotIds(reopened.db)).toEqual([...acked].sort());
    expect(acked).toHaveLength(7);
  });

  it("a request that would fail the deferred checks at commit is refused at its own end, not the group's", async () => {
    const group = new GroupCommit(ctx, { maxWaitMs: 1000, maxBatch: 2 });
    const settled = await Promise.allSettled([
      // A projection row naming a journal entry that never exists: caught by the deferred foreign key.
      group.run((store) =>
        store.transaction(async (tx) => {
          await sql`insert into subject_heads (subject, seq, leaf_hash) values ('lot:NOWHERE', 999999, ${'00'.repeat(32)})`.execute(
            tx,
          );
        }),
      ),
      group.run((store) => createLot(as(store), MAKER, lot('D-1'))),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
    expect(await lotIds()).toEqual(['D-1']);
  });

  it('the savepoint a request finds open (opened as the previous one was released) rolls back alone when its work throws', async () => {
    const group = new GroupCommit(ctx, { maxWaitMs: 1000, maxBatch: 4 });
    const settled = await Promise.allSettled([
      group.run((store) => createLot(as(store), MAKER, lot('S-1'))),
      group.run(async (store) => {
        await createLot(as(store), MAKER, lot('S-2'));
        throw new Error('refused after its work');
      }),
      group.run((store) => createLot(as(store), MAKER, lot('S-3'))),
      // Two transactions in one request, both kept.
      group.run(async (store) => {
        await createLot(as(store), MAKER, lot('S-4'));
        await createLot(as(store), MAKER, lot('S-5'));
      }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await lotIds()).toEqual(['S-1', 'S-3', 'S-4', 'S-5']);
    expect(group.stats.largest).toBe(4);
  });

  it.runIf(kind === 'postgres')(
    'a group whose commit fails acknowledges no request and keeps nothing (the connection dies mid-group)',
    async () => {
      const group = new GroupCommit(ctx, { maxWaitMs: 1000, maxBatch: 3 });
      const before = await journalRepo.count(current().store.db);
      const settled = await Promise.allSettled([
        group.run((store) => createLot(as(store), MAKER, lot('C-1'))),
        group.run(async (store) => {
          await sql`select pg_terminate_backend(pg_backend_pid())`.execute(store.db);
        }),
        group.run((store) => createLot(as(store), MAKER, lot('C-2'))),
      ]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      const reopened = await current().reopen();
      expect(await lotIds(reopened.db)).toEqual([]);
      expect(await journalRepo.count(reopened.db)).toBe(before);
      // The next group runs on a fresh connection.
      const again = new GroupCommit(createApp(reopened, { keysDir }), { maxWaitMs: 0 });
      await again.run((store) => createLot({ ...createApp(reopened, { keysDir }), store }, MAKER, lot('C-3')));
      expect(await lotIds(reopened.db)).toEqual(['C-3']);
    },
  );
  // PGlite runs in this process: there is no connection to lose, and a crash takes the waiting requests with it.
});
