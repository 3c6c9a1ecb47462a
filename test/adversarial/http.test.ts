/**
 * Issue 18, item 12 — the HTTP edge's holes, attacked through the public interfaces (the HTTP API
 * via fastify inject with signed requests, the CLI in-process), on both stores where the store
 * matters. Each test failed on b9a1824 and passes after the fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createServer } from '../../src/http/index.js';
import {
  IDEMPOTENCY_LOCK_CLASS,
  journalRepo,
  MEMORY,
  openPgliteStore,
  openPostgresStore,
  type Store,
} from '../../src/store/index.js';
import { pgliteInitdbDump } from '../support/pglite-cache.js';
import { emptyPostgresDatabase, freshStore, STORES, type TestStore } from '../support/stores.js';
import { example, harness, TODAY, type Caller, type Harness } from '../http/support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const IMPORTER = 'chakan-drive-systems';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const lot = (id: string) => ({ id, holder: EXPORTER, location: 'CN', item: magnet, massGrams: 1000 });

/** Resolves to 'still waiting' if `p` has not settled within `ms` (a hang is a failed assertion, not a stuck test). */
async function within<T>(ms: number, p: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([p, sleep(ms).then(() => 'still waiting' as const)]);
}

async function until(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(10);
  }
}

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  const code = await main(['node', 'lodestone', ...args], { out: sink(() => undefined), err: sink((s) => (err += s)) });
  return { code, err };
}

describe.each(STORES)('issue 18 item 12 — HTTP edge (%s)', (kind) => {
  let ts: TestStore;
  let h: Harness;
  beforeAll(async () => {
    ts = await freshStore(kind);
    h = await harness(ts.store, { list: false });
  }, 120_000);
  afterAll(async () => {
    await h.app.close();
    await ts.dispose();
  });
  const journal = () => journalRepo.count(h.ctx.store.db);

  it("item 12a: deeply nested JSON is 400 naming the depth limit (not 500), over HTTP and in the CLI's file readers", async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journal();
    const deep = `{"id":"DEEP","extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await h.call(as, 'POST', '/v1/lots', { raw: deep });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({ code: 'JSON_TOO_DEEP', type: 'urn:lodestone:problem:json-too-deep' });
    expect(r.json<{ detail: string }>().detail).toMatch(/more than 64 deep/);
    // Just past the limit is refused too; the limit itself is accepted as JSON (then judged by the route's schema).
    const at = (n: number) => `{"id":"DEEP","extra":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect((await h.call(as, 'POST', '/v1/lots', { raw: at(65) })).json()).toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect((await h.call(as, 'POST', '/v1/lots', { raw: at(64) })).json()).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await journal()).toBe(before);
    // The CLI: a file nested past the limit is bad input (exit 2) naming the file and the limit.
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-adv-http-'));
    try {
      const file = join(dir, 'deep-application.json');
      writeFileSync(file, `{"lines":${'['.repeat(100)}${']'.repeat(100)}}`);
      const run = await cli(['--data-dir', join(dir, 'data'), 'apply', file]);
      expect(run.code).toBe(2);
      expect(run.err).toContain('deep-application.json');
      expect(run.err).toMatch(/more than 64 deep/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('item 12b: a flood of bad API keys from one address is rate-limited (429 with Retry-After) before authentication', async () => {
    const limited = await harness(h.ctx.store, {
      parties: false,
      server: { rateLimit: { max: 5, maxPerAddress: 8, timeWindow: '1 minute' } },
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 12; i++)
        codes.push(
          (
            await limited.call(
              { party: EXPORTER, role: 'exporter', key: `lsk_guess${String(i)}`, credentialId: 'x' },
              'GET',
              '/v1/lots',
            )
          ).statusCode,
        );
      expect(codes.slice(0, 8)).toEqual(Array(8).fill(401));
      expect(codes.slice(8)).toEqual(Array(4).fill(429));
      const last = await limited.call(
        { party: EXPORTER, role: 'exporter', key: 'lsk_guess-more', credentialId: 'x' },
        'GET',
        '/v1/lots',
      );
      expect(last.statusCode).toBe(429);
      expect(last.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
      // Requests with no key at all count too; so would a valid credential from the same address.
      expect((await limited.app.inject({ url: '/v1/lots' })).statusCode).toBe(429);
    } finally {
      await limited.app.close();
    }
  });

  it("item 12d: the EPCIS query filters to the caller's own events before applying limit", async () => {
    const exporter = await h.credential(EXPORTER, 'exporter');
    const importer = await h.credential(IMPORTER, 'importer');
    const doc = (...events: Record<string, unknown>[]) => ({
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: `${TODAY}T09:00:00Z`,
      epcisBody: { eventList: events },
    });
    const observe = (hhmm: string, serial: string) => ({
      type: 'ObjectEvent',
      eventTime: `${TODAY}T${hhmm}:00+00:00`,
      eventTimeZoneOffset: '+00:00',
      epcList: [`urn:epc:id:sgtin:4012345.012345.${serial}`],
      action: 'OBSERVE',
      bizStep: 'inspecting',
    });
    // Another party's events come first in time; the caller's one comes last.
    const others = await h.call(exporter, 'POST', '/v1/epcis/capture', {
      body: doc(observe('06:00', '501'), observe('06:01', '502'), observe('06:02', '503')),
    });
    expect(others.statusCode, others.body).toBe(201);
    const mine = await h.call(importer, 'POST', '/v1/epcis/capture', { body: doc(observe('07:00', '601')) });
    expect(mine.statusCode, mine.body).toBe(201);
    const q = await h.call(importer, 'GET', '/v1/epcis/events?limit=1');
    expect(q.statusCode, q.body).toBe(200);
    const events = q.json<{ events: { capturedBy: string; eventTime: string }[] }>().events;
    expect(events.map((e) => e.capturedBy)).toEqual([IMPORTER]);
    // With a MATCH_ filter too (read page by page, not a fixed over-read).
    const matched = await h.call(
      importer,
      'GET',
      `/v1/epcis/events?limit=1&MATCH_epc=${encodeURIComponent('urn:epc:idpat:sgtin:4012345.012345.*')}`,
    );
    expect(matched.json<{ events: { capturedBy: string }[] }>().events.map((e) => e.capturedBy)).toEqual([IMPORTER]);
    // The exporter still sees its own three, and none of the importer's.
    const theirs = await h.call(exporter, 'GET', '/v1/epcis/events?limit=10');
    expect(theirs.json<{ events: { capturedBy: string }[] }>().events.map((e) => e.capturedBy)).toEqual([
      EXPORTER,
      EXPORTER,
      EXPORTER,
    ]);
  });

  it('item 12e: a concurrent identical idempotent request is told "in progress" (409 + Retry-After), never that the response was lost', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const raw = JSON.stringify(lot('IDEM-RACE'));
    const db = h.ctx.store.db;
    // A server over the same context whose groups wait (up to a minute) for a second request: the
    // first request waits in its group, in flight, with nothing written yet.
    const slow = await createServer(h.ctx, { rateLimit: false, groupCommit: { maxWaitMs: 60_000, maxBatch: 2 } });
    try {
      const first = h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-race', app: slow });
      await until(() => Promise.resolve(slow.groupCommit.waiting === 1));
      const second = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-race', app: slow });
      expect(second.statusCode, second.body).toBe(409);
      expect(second.json()).toMatchObject({
        code: 'IDEMPOTENCY_IN_PROGRESS',
        type: 'urn:lodestone:problem:idempotency-in-progress',
        field: 'Idempotency-Key',
      });
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
      // Another request fills the group: both run in one transaction and are answered after its commit.
      const other = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-RACE-2'), app: slow });
      expect(other.statusCode, other.body).toBe(201);
      expect((await first).statusCode).toBe(201);
      expect(slow.groupCommit.stats).toMatchObject({ groups: 1, requests: 2 });
    } finally {
      await slow.close();
    }
    const third = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-race' });
    expect(third.statusCode).toBe(201);
    expect(third.headers['idempotent-replayed']).toBe('true');
    if (kind === 'postgres') {
      // Another server process working on the key (its transaction holds the key's lock, its answer
      // not committed): "in progress", and nothing is done here.
      await db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(${IDEMPOTENCY_LOCK_CLASS}, hashtext(${`${as.credentialId}\nk-elsewhere`}))`.execute(
          tx,
        );
        const before = await journal();
        const busy = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-elsewhere' });
        expect(busy.statusCode, busy.body).toBe(409);
        expect(busy.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
        expect(await journal()).toBe(before);
      });
    }
    // A row left by a server before group commit (claim marked committed, answer not stored):
    // "in progress" while its holder's lease is fresh, "response lost" only once it is past it.
    const hash = (
      await db
        .selectFrom('idempotency_keys')
        .select('request_hash')
        .where('credential_id', '=', as.credentialId)
        .where('key', '=', 'k-race')
        .executeTakeFirstOrThrow()
    ).request_hash;
    await db
      .insertInto('idempotency_keys')
      .values({
        credential_id: as.credentialId,
        key: 'k-other',
        request_hash: hash,
        status: 0,
        holder: 'elsewhere:1:x',
        alive_at: new Date(),
      })
      .execute();
    const busy = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-other' });
    expect(busy.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await db
      .updateTable('idempotency_keys')
      .set({ alive_at: new Date(Date.now() - 600_000) })
      .where('key', '=', 'k-other')
      .execute();
    const lost = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-other' });
    expect(lost.json()).toMatchObject({ code: 'IDEMPOTENCY_RESPONSE_LOST' });
  });

  it('item 12f: duplicate member names in a signed JSON body are refused (400 naming the path) before the signature is checked', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journal();
    const body = JSON.stringify(lot('DUP-A'));
    // The same name twice: one parser reads DUP-A, another DUP-B — the signature covers both readings.
    const dup = body.replace('"id":"DUP-A"', '"id":"DUP-A","id":"DUP-B"');
    const r = await h.call(as, 'POST', '/v1/lots', { raw: dup });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({
      code: 'JSON_DUPLICATE_KEY',
      field: 'body.id',
      type: 'urn:lodestone:problem:json-duplicate-key',
    });
    // Escaped spellings of one name are the same name; nested objects are checked too.
    const escaped = body.replace('"id":"DUP-A"', '"id":"DUP-A","\\u0069d":"DUP-B"');
    expect((await h.call(as, 'POST', '/v1/lots', { raw: escaped })).json()).toMatchObject({
      code: 'JSON_DUPLICATE_KEY',
      field: 'body.id',
    });
    const nested = body.replace('"location":"CN"', '"location":"CN","item":{"a":1,"a":2}');
    expect((await h.call(as, 'POST', '/v1/lots', { raw: nested })).json()).toMatchObject({
      code: 'JSON_DUPLICATE_KEY',
      field: 'body.item.a',
    });
    // Refused before the signature: a bad signature changes nothing in the answer.
    expect((await h.call(as, 'POST', '/v1/lots', { raw: dup, signature: 'not-a-signature' })).json()).toMatchObject({
      code: 'JSON_DUPLICATE_KEY',
    });
    expect(await journal()).toBe(before);
  });
});

/**
 * The bounds below are the store's own (a 1 s lock or acquire timeout, /readyz's 2 s) with room for a
 * loaded machine (this file runs beside others): what they tell apart is a quick refusal from a wait
 * for the lock's release (which comes only after the probe, so a waiting call is 'still waiting') or
 * for a statement timeout (60 s on the PostgreSQL store, longer than both bounds).
 */
const QUICK_MS = 20_000;
const WAIT_MS = 30_000;

describe('issue 18 item 12c — a frozen database answers 503 within seconds, and /readyz too', () => {
  const probe = async (h: Harness, as: Caller) => {
    const started = Date.now();
    const write = await within(WAIT_MS, h.call(as, 'POST', '/v1/lots', { body: lot(`FROZEN-${String(started)}`) }));
    const writeMs = Date.now() - started;
    const readyStarted = Date.now();
    const ready = await within(WAIT_MS, h.app.inject({ url: '/readyz' }));
    const readyMs = Date.now() - readyStarted;
    return { write, writeMs, ready, readyMs };
  };

  it.runIf(STORES.includes('postgres'))(
    'item 12c (postgres): LOCK TABLE journal_head from another session → a write is 503 STORE_UNAVAILABLE and /readyz 503 within seconds; on release all works',
    async () => {
      const { databaseUrl, drop } = await emptyPostgresDatabase();
      let store: Store | undefined;
      let h: Harness | undefined;
      const other = new pg.Client({ connectionString: databaseUrl });
      try {
        store = await openPostgresStore({
          databaseUrl,
          timeouts: { lockMs: 1000, statementMs: 60_000, acquireMs: 2000 },
        });
        h = await harness(store, { list: false });
        const as = await h.credential(EXPORTER, 'exporter');
        await other.connect();
        await other.query('begin');
        await other.query('lock table journal_head in access exclusive mode');
        const frozen = await probe(h, as);
        await other.query('rollback');
        expect(frozen.write).not.toBe('still waiting');
        if (frozen.write === 'still waiting' || frozen.ready === 'still waiting') throw new Error('unreachable');
        expect(frozen.write.statusCode, frozen.write.body).toBe(503);
        expect(frozen.write.json()).toMatchObject({
          code: 'STORE_UNAVAILABLE',
          type: 'urn:lodestone:problem:store-unavailable',
        });
        expect(frozen.writeMs).toBeLessThan(QUICK_MS);
        expect(frozen.ready.statusCode).toBe(503);
        expect(frozen.readyMs).toBeLessThan(QUICK_MS);
        // Released: the same kind of write goes through, and the node is ready again.
        const after = await probe(h, as);
        if (after.write === 'still waiting' || after.ready === 'still waiting') throw new Error('still frozen');
        expect(after.write.statusCode, after.write.body).toBe(201);
        expect(after.ready.statusCode).toBe(200);
      } finally {
        await other.end().catch(() => undefined);
        await h?.app.close();
        await store?.close();
        await drop();
      }
    },
    120_000,
  );

  it.runIf(STORES.includes('pglite'))(
    'item 12c (pglite): a transaction that holds the one connection → a write is 503 STORE_UNAVAILABLE and /readyz 503 within seconds; on release all works',
    async () => {
      const store = await openPgliteStore({
        dataDir: MEMORY,
        loadDataDir: await pgliteInitdbDump(),
        timeouts: { acquireMs: 1000 },
      });
      const h = await harness(store, { list: false });
      const as = await h.credential(EXPORTER, 'exporter');
      try {
        let letGo: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => {
          letGo = resolve;
        });
        let held: () => void = () => undefined;
        const inside = new Promise<void>((resolve) => {
          held = resolve;
        });
        const holding = store.transaction(async () => {
          held();
          await gate;
        });
        await inside; // the transaction holds the one connection now
        const frozen = await probe(h, as);
        letGo();
        await holding;
        expect(frozen.write).not.toBe('still waiting');
        if (frozen.write === 'still waiting' || frozen.ready === 'still waiting') throw new Error('unreachable');
        expect(frozen.write.statusCode, frozen.write.body).toBe(503);
        expect(frozen.write.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect(frozen.writeMs).toBeLessThan(QUICK_MS);
        expect(frozen.ready.statusCode).toBe(503);
        expect(frozen.readyMs).toBeLessThan(QUICK_MS);
        const after = await probe(h, as);
        if (after.write === 'still waiting' || after.ready === 'still waiting') throw new Error('still frozen');
        expect(after.write.statusCode, after.write.body).toBe(201);
        expect(after.ready.statusCode).toBe(200);
      } finally {
        await h.app.close();
        await store.close();
      }
    },
    120_000,
  );
});
