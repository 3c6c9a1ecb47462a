import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  actingAs,
  consumeLot,
  createApp,
  exportAuditBundle,
  ingestCustodyEvents,
  listLots,
  LOG_ID,
  rebuild,
  registerParty,
  runDemo,
  signRequest,
  verifySignedRequest,
  type AppContext,
} from '../../src/app/index.js';
import { sql } from 'kysely';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import {
  generateKeyPair,
  parseCanonicalJson,
  sha256Hex,
  signerFromPem,
  type SignedRecord,
} from '../../src/trust/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

const trader = {
  id: 'mumbai-magnet-traders',
  name: 'Mumbai Magnet Traders Pvt Ltd',
  country: 'IN',
  sector: 'distribution',
};

describe.each(STORES)('signed API requests on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');
  // The party's key is the client's: it never enters the server's keystore.
  const clientKey = generateKeyPair();
  const client = signerFromPem(clientKey.privateKeyPem);

  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date(t) });
    t += 1000;
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });

  const signed = (path: string, body: unknown, opts: { nonce?: string; now?: Date } = {}) => {
    const raw = JSON.stringify(body);
    return {
      raw,
      jws: signRequest(client, {
        method: 'POST',
        path,
        body: raw,
        now: opts.now ?? new Date(t),
        ...(opts.nonce === undefined ? {} : { nonce: opts.nonce }),
      }),
    };
  };

  async function registerOverApi(): Promise<void> {
    const { raw, jws } = signed('/v1/parties', { party: trader, publicKey: clientKey.publicKey });
    const req = await verifySignedRequest(ctx, jws, {
      method: 'POST',
      path: '/v1/parties',
      rawBody: raw,
      registering: { partyId: trader.id, keyId: clientKey.keyId, publicKey: clientKey.publicKey },
    });
    expect(req.partyId).toBe(trader.id);
    await registerParty(actingAs(ctx, req), trader, { publicKey: clientKey.publicKey });
  }

  it('a record made on a signed request carries it, is signed by the operator, and no party key is on the server', async () => {
    await registerOverApi();
    const rows = await journalRepo.read(current().store.db);
    const record = parseCanonicalJson(rows.at(-1)!.canonical) as SignedRecord;
    expect(record.payload.actor).toBe(trader.id);
    expect(record.payload.request).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(record.signature.keyId).toBe(ctx.keystore.get(LOG_ID).keyId);
    expect(ctx.keystore.has(trader.id)).toBe(false);
  });

  it('refuses a tampered body, another path, a stale clock, an unknown key and a replayed nonce — and writes nothing', async () => {
    await registerOverApi();
    const n = await journalRepo.count(current().store.db);
    const body = { lotId: 'LOT-X', grams: 1, purpose: 'test' };
    const { raw, jws } = signed('/v1/consumptions', body);
    await expect(
      verifySignedRequest(ctx, jws, { method: 'POST', path: '/v1/consumptions', rawBody: raw.replace('1', '2') }),
    ).rejects.toThrow(/signature does not verify/);
    await expect(verifySignedRequest(ctx, jws, { method: 'POST', path: '/v1/lots', rawBody: raw })).rejects.toThrow(
      /signed for path \/v1\/consumptions/,
    );
    await expect(
      verifySignedRequest(ctx, jws, { method: 'PUT', path: '/v1/consumptions', rawBody: raw }),
    ).rejects.toThrow(/signed for method POST/);
    const stale = signed('/v1/consumptions', body, { now: new Date(t - 600_000) });
    await expect(
      verifySignedRequest(ctx, stale.jws, { method: 'POST', path: '/v1/consumptions', rawBody: stale.raw }),
    ).rejects.toThrow(/more than 300 s from the server's clock/);
    await expect(
      verifySignedRequest(ctx, undefined, { method: 'POST', path: '/v1/consumptions', rawBody: raw }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(
      verifySignedRequest(ctx, 'e30..AAAA', { method: 'POST', path: '/v1/consumptions', rawBody: raw }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const stranger = signerFromPem(generateKeyPair().privateKeyPem);
    const s = signRequest(stranger, { method: 'POST', path: '/v1/consumptions', body: raw, now: new Date(t) });
    await expect(
      verifySignedRequest(ctx, s, { method: 'POST', path: '/v1/consumptions', rawBody: raw }),
    ).rejects.toThrow(/is not registered/);
    expect(await journalRepo.count(current().store.db)).toBe(n);

    // A replay: the registration's nonce used again for another request.
    const first = parseCanonicalJson((await journalRepo.read(current().store.db)).at(-1)!.canonical) as SignedRecord;
    const nonce = (
      JSON.parse(Buffer.from(first.payload.request!.split('.')[0]!, 'base64url').toString()) as { nonce: string }
    ).nonce;
    const again = signed('/v1/consumptions', body, { nonce });
    await expect(
      verifySignedRequest(ctx, again.jws, { method: 'POST', path: '/v1/consumptions', rawBody: again.raw }),
    ).rejects.toMatchObject({ code: 'REPLAYED' });
  });

  it('a request acts only for the party that signed it', async () => {
    await registerOverApi();
    const { raw, jws } = signed('/v1/parties', { party: { ...trader, id: 'someone-else' } });
    const req = await verifySignedRequest(ctx, jws, { method: 'POST', path: '/v1/parties', rawBody: raw });
    await expect(
      registerParty(actingAs(ctx, req), { ...trader, id: 'someone-else' }, { publicKey: clientKey.publicKey }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(registerParty(actingAs(ctx, req), { ...trader, id: 'someone-else' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it('two records of one request spend its nonce once; the same nonce on a second transaction is refused at commit', async () => {
    await runDemo(ctx);
    const lot = (await listLots(ctx)).find((l) => l.restrictions.length > 0 && l.massGrams > 10)!;
    // The holder's key as its client holds it (the demo created it in the keystore).
    const holder = signerFromPem(ctx.keystore.get(lot.holder).privateKeyPem);
    const body = { lotId: lot.id, grams: 1, purpose: 'destructive test of one magnet' };
    const raw = JSON.stringify(body);
    const jws = signRequest(holder, { method: 'POST', path: '/v1/consumptions', body: raw, now: new Date(t) });
    const req = await verifySignedRequest(ctx, jws, { method: 'POST', path: '/v1/consumptions', rawBody: raw });
    await consumeLot(actingAs(ctx, req), lot.holder, body);
    // A second use of the same verified request (a retry that skipped the check) is refused at commit.
    const reused = {
      ...req,
      jws: signRequest(holder, {
        method: 'POST',
        path: '/v1/consumptions',
        body: raw,
        now: new Date(t),
        nonce: req.nonce,
      }).replace('..', `.${Buffer.from(raw).toString('base64url')}.`),
    };
    const n = await journalRepo.count(current().store.db);
    await expect(consumeLot(actingAs(ctx, reused), lot.holder, body)).rejects.toMatchObject({ code: 'REPLAYED' });
    expect(await journalRepo.count(current().store.db)).toBe(n);

    // The audit bundle of the licence verifies offline, request-made record included…
    const licenceId = lot.restrictions[0]!.licenceId;
    const bundle = await exportAuditBundle(ctx, licenceId);
    const text = JSON.stringify(bundle);
    const summary = verifyBundle(text, { logKey: ctx.keystore.get(LOG_ID).publicKey });
    expect(summary.recordTypes['lot.consumed']).toBeGreaterThanOrEqual(1);
    // …and a record whose request was swapped for another party's words does not.
    const entry = bundle.entries.find((e) => e.record.includes('"request"'));
    expect(entry).toBeDefined();
    // Rebuild replays the nonces with everything else.
    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('a capture document is carried once: its first record holds the request, later ones name it by hash; the bundle verifies, and without the carrier does not', async () => {
    await runDemo(ctx);
    const lot = (await listLots(ctx)).find((l) => l.restrictions.length > 0 && l.massGrams > 10)!;
    const holder = signerFromPem(ctx.keystore.get(lot.holder).privateKeyPem);
    const events = [1, 2, 3].map((k) => ({
      kind: 'consumption' as const,
      input: { lotId: lot.id, grams: 1, purpose: `destructive test ${k}` },
    }));
    const raw = JSON.stringify(events);
    const jws = signRequest(holder, { method: 'POST', path: '/v1/custody/events', body: raw, now: new Date(t) });
    const req = await verifySignedRequest(ctx, jws, { method: 'POST', path: '/v1/custody/events', rawBody: raw });
    const before = await journalRepo.count(current().store.db);
    await ingestCustodyEvents(actingAs(ctx, req), lot.holder, events);
    const made = (await journalRepo.read(current().store.db, { fromSeq: before + 1 })).map(
      (r) => parseCanonicalJson(r.canonical) as SignedRecord,
    );
    expect(made.map((r) => r.payload.type)).toEqual(['lot.consumed', 'lot.consumed', 'lot.consumed']);
    expect(made[0]!.payload.request).toBe(req.jws);
    expect(made.slice(1).map((r) => [r.payload.request, r.payload.requestSha256])).toEqual([
      [undefined, sha256Hex(req.jws)],
      [undefined, sha256Hex(req.jws)],
    ]);

    const bundle = await exportAuditBundle(ctx, lot.restrictions[0]!.licenceId);
    const logKey = ctx.keystore.get(LOG_ID).publicKey;
    expect(verifyBundle(JSON.stringify(bundle), { logKey }).recordTypes['lot.consumed']).toBeGreaterThanOrEqual(3);
    // Without the record that carries the request, the records that name it are not covered by any party's signature.
    const carrier = bundle.entries.findIndex((e) => e.record.includes(`"request":"${req.jws}"`));
    expect(carrier).toBeGreaterThanOrEqual(0);
    const cut = {
      ...bundle,
      entries: bundle.entries.filter((_, i) => i !== carrier),
      leafIndexes: bundle.leafIndexes.filter((_, i) => i !== carrier),
    };
    expect(() => verifyBundle(JSON.stringify(cut), { logKey })).toThrow(
      /entry \d+ .*lot\.consumed.*made on signed request [0-9a-f]{64}, which no earlier record in the bundle carries/,
    );
    // Rebuild re-checks the hash-named records against the carried request and reproduces the projections.
    const dump = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(dump);
  });

  it('a transaction that appends several records publishes one checkpoint, at its end', async () => {
    await registerOverApi();
    const db = current().store.db;
    const before = await journalRepo.count(db);
    await runDemo(ctx);
    const after = await journalRepo.count(db);
    const history = (
      await sql<{
        size: number;
      }>`select size from log_checkpoint_history where log_id = ${LOG_ID} order by size`.execute(db)
    ).rows.map((r) => r.size);
    // Each use case's transaction published exactly once: fewer checkpoints than records, and the last is the journal's size.
    expect(history.at(-1)).toBe(after);
    expect(history.filter((s) => s > before).length).toBeLessThan(after - before);
  });
});
