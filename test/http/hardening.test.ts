import { createHash } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signRequest } from '../../src/app/index.js';
import { SERVED_ROUTES as ROUTES } from '../../src/http/index.js';
import { idempotencyRepo, journalRepo } from '../../src/store/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { clock, example, harness, type Harness } from './support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const lot = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  holder: EXPORTER,
  location: 'CN',
  item: magnet,
  massGrams: 1000,
  ...extra,
});

describe.each(STORES)('hardening (%s)', (kind) => {
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

  it('Idempotency-Key: a retry returns the stored response without recording; another body with the same key is refused', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journal();
    const first = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-1'), idempotencyKey: 'k-1' });
    expect(first.statusCode).toBe(201);
    const after = await journal();
    expect(after).toBeGreaterThan(before);
    // A retry signs afresh (new nonce) but carries the same key and body.
    const retry = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-1'), idempotencyKey: 'k-1' });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(await journal()).toBe(after);
    const other = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-2'), idempotencyKey: 'k-1' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'Idempotency-Key' });
    expect(await journal()).toBe(after);
    const missing = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-3'), idempotencyKey: null });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(await journal()).toBe(after);
  });

  it('Idempotency-Key: a claim left in progress by a server that died is taken over once its holder is past its lease, not "in progress" forever', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const raw = JSON.stringify(lot('IDEM-STALE'));
    const hash = createHash('sha256').update(`POST\n/v1/lots\n${raw}`).digest('hex');
    const db = h.ctx.store.db;
    // A fresh claim in progress: the retry is told so, and nothing is written.
    await db
      .insertInto('idempotency_keys')
      .values({ credential_id: as.credentialId, key: 'k-live', request_hash: hash })
      .execute();
    const before = await journal();
    const live = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-live' });
    expect(live.statusCode).toBe(409);
    expect(live.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(await journal()).toBe(before);
    // A claim ten minutes old whose server never finished: the retry runs and its answer is kept.
    await db
      .insertInto('idempotency_keys')
      .values({
        credential_id: as.credentialId,
        key: 'k-dead',
        request_hash: hash,
        created_at: new Date(Date.now() - 600_000),
      })
      .execute();
    const retried = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-dead' });
    expect(retried.statusCode).toBe(201);
    expect(await journal()).toBeGreaterThan(before);
    const again = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-dead' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // A claim whose work committed (marked in the use case's transaction) but whose answer was never
    // stored is not taken over, however old: the retry is told to look the result up.
    await db
      .insertInto('idempotency_keys')
      .values({
        credential_id: as.credentialId,
        key: 'k-lost',
        request_hash: hash,
        status: 0,
        created_at: new Date(Date.now() - 600_000),
      })
      .execute();
    const lost = await h.call(as, 'POST', '/v1/lots', { raw, idempotencyKey: 'k-lost' });
    expect(lost.statusCode).toBe(409);
    expect(lost.json()).toMatchObject({ code: 'IDEMPOTENCY_RESPONSE_LOST', field: 'Idempotency-Key' });
  });

  it("Idempotency-Key: the answer is stored in the work's own transaction, so work and answer commit together or not at all", async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const db = h.ctx.store.db;
    const status = async (key: string) =>
      (
        await db
          .selectFrom('idempotency_keys')
          .select('status')
          .where('credential_id', '=', as.credentialId)
          .where('key', '=', key)
          .executeTakeFirst()
      )?.status;
    const ok = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-MARK'), idempotencyKey: 'k-mark-ok' });
    expect(ok.statusCode).toBe(201);
    expect(await status('k-mark-ok')).toBe(201);
    // Refused by the use case (the id is taken): its work rolls back; the stored answer is the refusal.
    const refused = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-MARK'), idempotencyKey: 'k-mark-bad' });
    expect(refused.statusCode).toBe(409);
    expect(await status('k-mark-bad')).toBe(409);
    // Storing the answer fails after the work was done: the work is rolled back with it (500, nothing
    // kept under the key), so the retry does the work, once, and its answer is kept.
    const before = await journal();
    const spy = vi.spyOn(idempotencyRepo, 'record').mockRejectedValue(new Error('the server stopped')); // on every attempt: a group's shared attempt that fails runs again, one savepoint per request
    try {
      const died = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-DIED'), idempotencyKey: 'k-died' });
      expect(died.statusCode).toBe(500);
    } finally {
      spy.mockRestore();
    }
    expect(await status('k-died')).toBeUndefined();
    expect(await journal()).toBe(before);
    const retry = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-DIED'), idempotencyKey: 'k-died' });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(await journal()).toBe(before + 1);
    const again = await h.call(as, 'POST', '/v1/lots', { body: lot('IDEM-DIED'), idempotencyKey: 'k-died' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await journal()).toBe(before + 1);
  });

  it('Idempotency-Key on a credential: the API key is never stored; a retry is told what was done, and a refused rotate leaves no mark', async () => {
    const admin = await h.credential(null, 'operator-admin');
    const db = h.ctx.store.db;
    const stored = (key: string) =>
      db
        .selectFrom('idempotency_keys')
        .select(['status', 'response'])
        .where('credential_id', '=', admin.credentialId)
        .where('key', '=', key)
        .executeTakeFirst();
    const body = { partyId: EXPORTER, role: 'exporter', label: 'idempotent issue' };
    const first = await h.call(admin, 'POST', '/v1/credentials', { body, idempotencyKey: 'k-cred' });
    expect(first.statusCode, first.body).toBe(201);
    const issued = first.json<{ id: string; key: string }>();
    const row = await stored('k-cred');
    expect(row?.status).toBe(409);
    expect(row?.response).not.toContain(issued.key);
    const retry = await h.call(admin, 'POST', '/v1/credentials', { body, idempotencyKey: 'k-cred' });
    expect(retry.statusCode).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toMatchObject({ code: 'IDEMPOTENCY_SECRET_NOT_KEPT', field: 'Idempotency-Key' });
    expect(retry.json<{ detail: string }>().detail).toContain(issued.id);
    expect(retry.body).not.toContain(issued.key);
    // Issued once: the retry made no second credential, and the first key works.
    const mine = await db.selectFrom('credentials').select('id').where('label', '=', 'idempotent issue').execute();
    expect(mine.map((c) => c.id)).toEqual([issued.id]);
    const rotated = await h.call(admin, 'POST', `/v1/credentials/${issued.id}/rotate`, { idempotencyKey: 'k-rot' });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const rotatedKey = rotated.json<{ key: string }>().key;
    expect((await stored('k-rot'))?.response).not.toContain(rotatedKey);
    const rotRetry = await h.call(admin, 'POST', `/v1/credentials/${issued.id}/rotate`, { idempotencyKey: 'k-rot' });
    expect(rotRetry.json()).toMatchObject({ code: 'IDEMPOTENCY_SECRET_NOT_KEPT' });
    // The retry did not rotate again: the key from the first rotation still authenticates.
    expect(
      (
        await h.call(
          { ...admin, key: rotatedKey, party: EXPORTER, role: 'exporter', credentialId: issued.id },
          'GET',
          `/v1/lots/IDEM-1`,
        )
      ).statusCode,
    ).not.toBe(401);
    // Storing the answer fails after issuing: the credential is rolled back with it, so a retry
    // issues one credential, not a second.
    const spy = vi.spyOn(idempotencyRepo, 'record').mockRejectedValue(new Error('the server stopped')); // on every attempt: a group's shared attempt that fails runs again, one savepoint per request
    try {
      expect(
        (
          await h.call(admin, 'POST', '/v1/credentials', {
            body: { ...body, label: 'died' },
            idempotencyKey: 'k-cred-died',
          })
        ).statusCode,
      ).toBe(500);
    } finally {
      spy.mockRestore();
    }
    expect(await stored('k-cred-died')).toBeUndefined();
    expect(await db.selectFrom('credentials').select('id').where('label', '=', 'died').execute()).toHaveLength(0);
    const reissued = await h.call(admin, 'POST', '/v1/credentials', {
      body: { ...body, label: 'died' },
      idempotencyKey: 'k-cred-died',
    });
    expect(reissued.statusCode).toBe(201);
    expect(await db.selectFrom('credentials').select('id').where('label', '=', 'died').execute()).toHaveLength(1);
    // Rotating a revoked credential: refused inside the use case's transaction (404), so the claim's
    // mark rolls back with it and the stored answer is the refusal, not a committed 0.
    expect(
      (await h.call(admin, 'POST', `/v1/credentials/${issued.id}/revoke`, { idempotencyKey: 'k-rev' })).statusCode,
    ).toBe(201);
    const revoked = await h.call(admin, 'POST', `/v1/credentials/${issued.id}/rotate`, {
      idempotencyKey: 'k-rot-revoked',
    });
    expect(revoked.statusCode).toBe(404);
    expect(revoked.json()).toMatchObject({ code: 'NOT_FOUND', field: 'credential' });
    expect((await stored('k-rot-revoked'))?.status).toBe(404);
    expect((await stored('k-rev'))?.status).toBe(201);
  });

  it('POST /v1/custody/events: a batch is one transaction; the first failure names its event and nothing of the batch is written', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journal();
    const bad = await h.call(as, 'POST', '/v1/custody/events', {
      body: {
        events: [
          { kind: 'lot', input: lot('BATCH-1') },
          { kind: 'lot', input: lot('BATCH-2', { massGrams: 0.5 }) },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'events[1].lot.massGrams' });
    const dup = await h.call(as, 'POST', '/v1/custody/events', {
      body: {
        events: [
          { kind: 'lot', input: lot('BATCH-3') },
          { kind: 'lot', input: lot('BATCH-3') },
        ],
      },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'ALREADY_EXISTS', field: 'events[1].lot.id' });
    const notMine = await h.call(as, 'POST', '/v1/custody/events', {
      body: { events: [{ kind: 'lot', input: lot('BATCH-4', { holder: 'chakan-drive-systems', location: 'IN' }) }] },
    });
    expect(notMine.statusCode).toBe(403);
    const tooMany = await h.call(as, 'POST', '/v1/custody/events', {
      body: { events: Array.from({ length: 1001 }, (_, i) => ({ kind: 'lot', input: lot(`BATCH-X${i}`) })) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ field: 'body.events' });
    expect(await journal()).toBe(before);
    const ok = await h.call(as, 'POST', '/v1/custody/events', {
      body: {
        events: [
          { kind: 'lot', input: lot('BATCH-5') },
          { kind: 'lot', input: lot('BATCH-6') },
        ],
      },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json<{ events: { kind: string; lot: { id: string } }[] }>().events.map((e) => e.lot.id)).toEqual([
      'BATCH-5',
      'BATCH-6',
    ]);
    expect(await journal()).toBe(before + 2);
  });

  it("signatures: a replayed signature, a missing one, another party's, a tampered body, a wrong path — refused, nothing written", async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const raw = JSON.stringify(lot('SIG-1'));
    const sig = signRequest(h.ctx.keystore.signer(EXPORTER), {
      method: 'POST',
      path: '/v1/lots',
      body: raw,
      now: clock(),
    });
    expect((await h.call(as, 'POST', '/v1/lots', { raw, signature: sig })).statusCode).toBe(201);
    const before = await journal();
    const replay = await h.call(as, 'POST', '/v1/lots', { raw, signature: sig });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'REPLAYED' });
    expect(replay.json<{ detail: string }>().detail).toMatch(/nonce was already used/);
    const raw2 = JSON.stringify(lot('SIG-2'));
    const unsigned = await h.call(as, 'POST', '/v1/lots', { raw: raw2, sign: false });
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json()).toMatchObject({ code: 'UNAUTHENTICATED', field: 'Lodestone-Signature' });
    const byOther = await h.call(as, 'POST', '/v1/lots', {
      raw: raw2,
      signature: signRequest(h.ctx.keystore.signer('chakan-drive-systems'), {
        method: 'POST',
        path: '/v1/lots',
        body: raw2,
        now: clock(),
      }),
    });
    expect(byOther.statusCode).toBe(401);
    expect(byOther.json<{ detail: string }>().detail).toMatch(/chakan-drive-systems/);
    const tampered = await h.call(as, 'POST', '/v1/lots', {
      raw: raw2,
      signature: signRequest(h.ctx.keystore.signer(EXPORTER), {
        method: 'POST',
        path: '/v1/lots',
        body: JSON.stringify(lot('SIG-3')),
        now: clock(),
      }),
    });
    expect(tampered.statusCode).toBe(401);
    const wrongPath = await h.call(as, 'POST', '/v1/lots', {
      raw: raw2,
      signature: signRequest(h.ctx.keystore.signer(EXPORTER), {
        method: 'POST',
        path: '/v1/consumptions',
        body: raw2,
        now: clock(),
      }),
    });
    expect(wrongPath.statusCode).toBe(401);
    expect(wrongPath.json<{ detail: string }>().detail).toMatch(/path/);
    expect(await journal()).toBe(before);
  });

  it('bad input: malformed JSON, wrong types, unknown fields, oversized bodies — the right 4xx naming the problem, nothing written', async () => {
    const as = await h.credential(EXPORTER, 'exporter');
    const before = await journal();
    const malformed = await h.call(as, 'POST', '/v1/lots', { raw: '{"id": "X",', sign: false });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'INVALID_JSON' });
    const wrongType = await h.call(as, 'POST', '/v1/lots', { body: lot('BAD-1', { massGrams: '1000' }) });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.massGrams' });
    const unknown = await h.call(as, 'POST', '/v1/lots', { body: lot('BAD-2', { colour: 'red' }) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.colour' });
    expect(unknown.json<{ detail: string }>().detail).toMatch(/unknown field/);
    const big = await h.call(as, 'POST', '/v1/lots', {
      raw: JSON.stringify(lot('BIG', { pad: 'x'.repeat(1024 * 1024) })),
      sign: false,
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    const epcisBig = await h.call(as, 'POST', '/v1/epcis/capture', {
      raw: JSON.stringify({ type: 'EPCISDocument', pad: 'x'.repeat(50 * 1024 * 1024) }),
      sign: false,
    });
    expect(epcisBig.statusCode).toBe(413);
    const notJson = await h.call(as, 'POST', '/v1/lots', {
      raw: 'id=1',
      headers: { 'content-type': 'text/plain' },
      sign: false,
    });
    expect(notJson.statusCode).toBe(415);
    const badQuery = await h.call(as, 'GET', '/v1/export-check?lot=MAG&to=x&destination=ZZZ');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json()).toMatchObject({ field: 'query.destination' });
    expect(await journal()).toBe(before);
  });

  it('401 for missing, malformed, revoked and rotated keys; 404 for unknown routes; security headers; request ids', async () => {
    const cred = await h.credential(EXPORTER, 'exporter');
    expect((await h.call(null, 'GET', '/v1/lots')).statusCode).toBe(401);
    expect((await h.call({ ...cred, key: 'lsk_nope' }, 'GET', '/v1/lots')).statusCode).toBe(401);
    const admin = await h.credential(null, 'operator-admin');
    const issued = (
      await h.call(admin, 'POST', '/v1/credentials', { body: { partyId: EXPORTER, role: 'exporter' } })
    ).json<{ id: string; key: string }>();
    const mine = { ...cred, key: issued.key, credentialId: issued.id };
    expect((await h.call(mine, 'GET', '/v1/lots')).statusCode).toBe(200);
    const rotated = (await h.call(mine, 'POST', `/v1/credentials/${issued.id}/rotate`)).json<{ key: string }>();
    expect((await h.call(mine, 'GET', '/v1/lots')).statusCode).toBe(401);
    const next = { ...mine, key: rotated.key };
    expect((await h.call(next, 'GET', '/v1/lots')).statusCode).toBe(200);
    expect((await h.call(next, 'POST', `/v1/credentials/${issued.id}/revoke`)).statusCode).toBe(201);
    expect((await h.call(next, 'GET', '/v1/lots')).statusCode).toBe(401);
    const list = (await h.call(admin, 'GET', '/v1/credentials')).body;
    expect(list).not.toMatch(/lsk_/);
    const none = await h.call(cred, 'GET', '/v1/nothing-here');
    expect(none.statusCode).toBe(404);
    expect(none.headers['content-type']).toMatch(/problem\+json/);
    const res = await h.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
  });

  it('rate limits per credential (429 problem)', async () => {
    const limited = await harness(h.ctx.store, {
      parties: false,
      server: { rateLimit: { max: 3, timeWindow: '1 minute' } },
    });
    const a = await limited.credential(EXPORTER, 'exporter');
    const b = await limited.credential('chakan-drive-systems', 'importer');
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await limited.call(a, 'GET', '/v1/lots')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    expect((await limited.call(b, 'GET', '/v1/lots')).statusCode).toBe(200);
    const p = (await limited.call(a, 'GET', '/v1/lots')).json<{ code: string }>();
    expect(p.code).toBe('RATE_LIMITED');
    await limited.app.close();
  });

  it('the OpenAPI 3.1 document validates, names every route and its access rule; /docs renders without scripts', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; 'x-lodestone-access': { roles: string[] } }>>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    const ops = Object.values(doc.paths).flatMap((m) => Object.values(m));
    expect(ops.map((o) => o.operationId)).toEqual(expect.arrayContaining(ROUTES.map((r) => r.id)));
    expect(ops.every((o) => o['x-lodestone-access'].roles.length > 0)).toBe(true);
    const page = await h.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/createLot/);
    expect(page.body).not.toMatch(/<script/);
  });
});
