/**
 * Group commit through the HTTP API (issue 21, item 3), on both stores: a group of POSTs first runs
 * as one batch in one transaction (its Idempotency-Keys locked and read in one statement, its answers
 * and nonces written with one statement each), and runs again with a savepoint per request when one
 * of them is refused — that one writes nothing but its stored answer, the others commit. Requests
 * are queued one after another (each waits until the previous one is in the group's queue), so the
 * order inside the group is known.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLog, rebuild, signRequest, verifyEntry } from '../../src/app/index.js';
import { createServer } from '../../src/http/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { clock, example, harness, type Caller, type Harness } from './support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const lot = (id: string, massGrams = 1000) => ({ id, holder: EXPORTER, location: 'CN', item: magnet, massGrams });

describe.each(STORES)('group commit over HTTP (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  let as: Caller;
  /** A server over the same context whose groups do not wait, for the calls made alone. */
  let alone: FastifyInstance;
  beforeAll(async () => {
    ts = await freshStore(kind);
    // Groups of 4 that wait up to 10 s to fill: each test's 4 requests are one group.
    h = await harness(ts.store, { list: false, server: { groupCommit: { maxWaitMs: 10_000, maxBatch: 4 } } });
    as = await h.credential(EXPORTER, 'exporter');
    alone = await createServer(h.ctx, { rateLimit: false, groupCommit: { maxWaitMs: 0 } });
  }, 120_000);
  afterAll(async () => {
    await alone.close();
    await h.app.close();
    await ts.dispose();
  });
  const db = () => h.ctx.store.db;
  const journal = () => journalRepo.count(db());
  const checkpoints = async () => (await db().selectFrom('log_checkpoint_history').select('size').execute()).length;
  const answers = async (keys: readonly string[]) =>
    (
      await db()
        .selectFrom('idempotency_keys')
        .select(['key', 'status'])
        .where('credential_id', '=', as.credentialId)
        .where('key', 'in', keys)
        .orderBy('key')
        .execute()
    ).map((r) => [r.key, r.status]);

  /** Sends the calls one after another into the same group: each once the previous one is queued. */
  async function inOneGroup(
    calls: readonly (() => ReturnType<Harness['call']>)[],
  ): Promise<Awaited<ReturnType<Harness['call']>>[]> {
    const group = h.app.groupCommit;
    const sent: ReturnType<Harness['call']>[] = [];
    for (const [i, call] of calls.entries()) {
      sent.push(call());
      // The last one fills the group, which then runs at once.
      if (i < calls.length - 1) while (group.waiting < i + 1) await new Promise((r) => setImmediate(r));
    }
    return Promise.all(sent);
  }

  it('a request refused mid-batch writes nothing but its answer; the others of its group commit, with one checkpoint', async () => {
    const before = {
      journal: await journal(),
      checkpoints: await checkpoints(),
      stats: { ...h.app.groupCommit.stats },
    };
    const post = (id: string, key: string) => () =>
      h.call(as, 'POST', '/v1/lots', { body: lot(id), idempotencyKey: key });
    const [a, b, dup, c] = await inOneGroup([
      post('GB-A', 'gb-a'),
      post('GB-B', 'gb-b'),
      post('GB-A', 'gb-dup'), // refused: GB-A was made earlier in the same group
      post('GB-C', 'gb-c'),
    ]);
    expect([a?.statusCode, b?.statusCode, dup?.statusCode, c?.statusCode]).toEqual([201, 201, 409, 201]);
    expect(dup?.json()).toMatchObject({ code: 'ALREADY_EXISTS', field: 'lot.id' });
    const stats = h.app.groupCommit.stats;
    expect(stats.groups - before.stats.groups).toBe(1);
    expect(stats.requests - before.stats.requests).toBe(4);
    // The shared attempt was rolled back and the group ran again, one savepoint per request.
    expect(stats.isolated - before.stats.isolated).toBe(1);
    const lots = await db().selectFrom('lots').select('id').where('id', 'like', 'GB-%').orderBy('id').execute();
    expect(lots.map((l) => l.id)).toEqual(['GB-A', 'GB-B', 'GB-C']);
    // Three records, one checkpoint for them; every answer stored, the refusal's too.
    expect(await journal()).toBe(before.journal + 3);
    expect(await checkpoints()).toBe(before.checkpoints + 1);
    expect(await answers(['gb-a', 'gb-b', 'gb-c', 'gb-dup'])).toEqual([
      ['gb-a', 201],
      ['gb-b', 201],
      ['gb-c', 201],
      ['gb-dup', 409],
    ]);
    // The refused request's retry is answered from its stored answer, and writes nothing.
    const retry = await h.call(as, 'POST', '/v1/lots', { body: lot('GB-A'), idempotencyKey: 'gb-dup', app: alone });
    expect(retry.statusCode).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await journal()).toBe(before.journal + 3);
    expect(await checkLog(h.ctx)).toMatchObject({ size: before.journal + 3 });
  });

  it('a group whose requests act on the same lot in order: each sees the ones before it, as one batch', async () => {
    await h.call(as, 'POST', '/v1/lots', { body: lot('GB-SAME', 5000), app: alone });
    const before = {
      journal: await journal(),
      checkpoints: await checkpoints(),
      stats: { ...h.app.groupCommit.stats },
    };
    const consume = (grams: number) => () =>
      h.call(as, 'POST', '/v1/consumptions', { body: { lotId: 'GB-SAME', grams, purpose: 'test' } });
    const settled = await inOneGroup([consume(1000), consume(1500), consume(2000), consume(500)]);
    expect(settled.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    // One batch: the shared attempt committed, no savepoints.
    expect(h.app.groupCommit.stats.isolated).toBe(before.stats.isolated);
    expect(h.app.groupCommit.stats.groups - before.stats.groups).toBe(1);
    const row = await db().selectFrom('lots').select('mass_grams').where('id', '=', 'GB-SAME').executeTakeFirst();
    expect(row?.mass_grams).toBe(0);
    expect(await journal()).toBe(before.journal + 4);
    expect(await checkpoints()).toBe(before.checkpoints + 1);
    // Each record carries its own request and verifies; the seqs follow the order of the group.
    const seqs = settled.map((r) => r.json<{ seq: number }>().seq);
    expect(seqs).toEqual([1, 2, 3, 4].map((k) => before.journal + k));
    await h.ctx.store.transaction(async (tx) => {
      for (const r of await journalRepo.read(tx, { fromSeq: before.journal + 1 })) await verifyEntry(tx, h.ctx, r);
    });
  });

  it('a group whose requests act on the same lot, one of them past what is left: it alone is refused, in order', async () => {
    await h.call(as, 'POST', '/v1/lots', { body: lot('GB-SHORT', 5000), app: alone });
    const before = await journal();
    const consume = (grams: number) => () =>
      h.call(as, 'POST', '/v1/consumptions', { body: { lotId: 'GB-SHORT', grams, purpose: 'test' } });
    const settled = await inOneGroup([consume(1000), consume(1500), consume(3000), consume(500)]);
    // 2,500 g are left when the third asks for 3,000: refused; the fourth still finds 2,500.
    expect(settled.map((r) => r.statusCode)).toEqual([201, 201, 422, 201]);
    expect(settled[2]?.json()).toMatchObject({ code: 'REFUSED' });
    const row = await db().selectFrom('lots').select('mass_grams').where('id', '=', 'GB-SHORT').executeTakeFirst();
    expect(row?.mass_grams).toBe(2000);
    expect(await journal()).toBe(before + 3);
    // The projections are what a replay of the journal makes.
    const projected = await dumpProjections(db());
    await rebuild(h.ctx);
    expect(await dumpProjections(db())).toEqual(projected);
  });

  it('one signed request sent twice into the same group (two Idempotency-Keys) is recorded once; the replay is refused', async () => {
    await h.call(as, 'POST', '/v1/lots', { body: lot('GB-REPLAY', 5000), app: alone });
    const before = await journal();
    // A consumption could be made twice: only its nonce tells the replay from a second request.
    const body = JSON.stringify({ lotId: 'GB-REPLAY', grams: 100, purpose: 'test' });
    const signature = signRequest(h.ctx.keystore.signer(EXPORTER), {
      method: 'POST',
      path: '/v1/consumptions',
      body,
      now: clock(),
    });
    const send = (key: string) => () =>
      h.call(as, 'POST', '/v1/consumptions', { raw: body, signature, idempotencyKey: key });
    const other = (id: string) => () => h.call(as, 'POST', '/v1/lots', { body: lot(id), idempotencyKey: id });
    const settled = await inOneGroup([
      send('gb-r1'),
      other('GB-OTHER'),
      send('gb-r2'),
      async () => {
        // The same key again while its request waits in the group: told it is in progress, and not queued.
        const twice = await other('GB-OTHER')();
        expect(twice.statusCode).toBe(409);
        expect(twice.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
        expect(twice.headers['retry-after']).toBe('1');
        return other('GB-FOURTH')();
      },
    ]);
    expect(settled.map((r) => r.statusCode)).toEqual([201, 201, 409, 201]);
    expect(settled[2]?.json(), settled[2]?.body).toMatchObject({ code: 'REPLAYED', field: 'nonce' });
    expect(await journal()).toBe(before + 3);
    const row = await db().selectFrom('lots').select('mass_grams').where('id', '=', 'GB-REPLAY').executeTakeFirst();
    expect(row?.mass_grams).toBe(4900);
  });
});
