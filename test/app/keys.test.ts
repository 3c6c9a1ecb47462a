/**
 * Signing-key rotation and revocation (issue 18, item 9) at the use-case level and over HTTP, on
 * both stores: windows in party_keys, refusals that write nothing, the keystore hand-over, rebuild
 * equality, and the offline verifier's key windows.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commit,
  createApp,
  exportAuditBundle,
  issueCertificate,
  prepareCertificate,
  submitCertificate,
  verifyStoredCertificate,
  listPartyKeys,
  publishCheckpoint,
  rebuild,
  recordClassification,
  registerParty,
  revokeSigningKey,
  rotateSigningKey,
  runDemo,
  signRequest,
  type AppContext,
} from '../../src/app/index.js';
import { dumpProjections, journalRepo } from '../../src/store/index.js';
import {
  attachRequestBody,
  generateKeyPair,
  signCredential,
  signerFromPem,
  signKeyPossession,
  signRecord,
} from '../../src/trust/index.js';
import { verifyBundle } from '../../src/verify/index.js';
import { certificateBody, IMPORTER } from '../http/fixture.js';
import { harness } from '../http/support.js';
import { STORES, useFreshStore } from '../support/stores.js';
import { EXPORTER, magnet } from '../support/scenario.js';

const trader = {
  id: 'mumbai-magnet-traders',
  name: 'Mumbai Magnet Traders Pvt Ltd',
  country: 'IN',
  sector: 'distribution',
};

describe.each(STORES)('signing keys: rotation and revocation on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  beforeEach(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date('2026-11-24T09:00:00.000Z') });
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });
  const journalSize = () => journalRepo.count(ctx.store.db);

  it('rotates through the keystore: both keys sign, the windows close and open at the rotation, the old key signs nothing after, rebuild reproduces the keys', async () => {
    const reg = await registerParty(ctx, trader);
    const oldPem = ctx.keystore.get(trader.id).privateKeyPem;
    const r = await rotateSigningKey(ctx, trader.id);
    expect(r.previousKeyId).toBe(reg.keyId);
    expect(ctx.keystore.get(trader.id).keyId).toBe(r.keyId);
    expect(ctx.keystore.staged(trader.id)).toBeUndefined();
    const keys = await listPartyKeys(ctx, trader.id);
    expect(keys).toMatchObject([
      {
        keyId: reg.keyId,
        validFromSeq: reg.seq,
        validUntilSeq: r.seq,
        replacedBy: r.keyId,
        inForce: false,
        revokedSeq: null,
      },
      { keyId: r.keyId, validFromSeq: r.seq, validUntilSeq: null, inForce: true },
    ]);
    // The new key signs; the old one (a copy of its key file elsewhere) is refused and writes nothing.
    await recordClassification(ctx, trader.id, { item: magnet });
    const oldDir = mkdtempSync(join(tmpdir(), 'lodestone-oldkey-'));
    const stale = createApp(current().store, { keysDir: oldDir, clock: ctx.clock });
    stale.keystore.import(trader.id, oldPem);
    cpSync(join(keysDir, 'lodestone-log.key.json'), join(oldDir, 'lodestone-log.key.json'));
    const before = await journalSize();
    await expect(recordClassification(stale, trader.id, { item: magnet })).rejects.toThrow(
      new RegExp(`key ${reg.keyId} was replaced by ${r.keyId} at journal entry ${r.seq}`),
    );
    expect(await journalSize()).toBe(before);
    rmSync(oldDir, { recursive: true, force: true });
    const dump = await dumpProjections(ctx.store.db);
    await rebuild(ctx);
    expect(await dumpProjections(ctx.store.db)).toEqual(dump);
  });

  it('rotates to a given PEM; refuses the key in force as the new key and a malformed PEM — writing nothing, leaving no staged key', async () => {
    await registerParty(ctx, trader);
    const next = generateKeyPair();
    const r = await rotateSigningKey(ctx, trader.id, { newKeyPem: next.privateKeyPem });
    expect(r.keyId).toBe(next.keyId);
    const before = await journalSize();
    await expect(rotateSigningKey(ctx, trader.id, { newKeyPem: next.privateKeyPem })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'newKey',
    });
    await expect(rotateSigningKey(ctx, trader.id, { newKeyPem: 'not a key' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'newKey',
    });
    expect(await journalSize()).toBe(before);
    expect(ctx.keystore.staged(trader.id)).toBeUndefined();
    expect(ctx.keystore.get(trader.id).keyId).toBe(next.keyId);
  });

  it('finishes a rotation that committed but whose key was never promoted (a crash in between)', async () => {
    const reg = await registerParty(ctx, trader);
    const staged = ctx.keystore.stageNext(trader.id);
    const proof = signKeyPossession(signerFromPem(staged.privateKeyPem), {
      party: trader.id,
      previousKeyId: reg.keyId,
    });
    await ctx.store.transaction((tx) =>
      commit(tx, ctx, 'party.key.rotated', trader.id, {
        party: trader.id,
        previousKeyId: reg.keyId,
        key: { algorithm: 'Ed25519', keyId: staged.keyId, publicKey: staged.publicKey },
        proof,
      }),
    );
    const before = await journalSize();
    const r = await rotateSigningKey(ctx, trader.id);
    expect(r).toMatchObject({ resumed: true, keyId: staged.keyId });
    expect(ctx.keystore.get(trader.id).keyId).toBe(staged.keyId);
    expect(await journalSize()).toBe(before);
  });

  it('refuses a rotation record signed with another key than the one it retires, or with a proof by another key', async () => {
    const reg = await registerParty(ctx, trader);
    const other = generateKeyPair();
    const intruder = generateKeyPair();
    const before = await journalSize();
    // The proof is made by another key than the one named.
    const badProof = signKeyPossession(signerFromPem(intruder.privateKeyPem), {
      party: trader.id,
      previousKeyId: reg.keyId,
    });
    await expect(
      ctx.store.transaction((tx) =>
        commit(tx, ctx, 'party.key.rotated', trader.id, {
          party: trader.id,
          previousKeyId: reg.keyId,
          key: { algorithm: 'Ed25519', keyId: other.keyId, publicKey: other.publicKey },
          proof: badProof,
        }),
      ),
    ).rejects.toThrow(/key\.rotation: the proof of possession/);
    // It names a previous key that is not the one signing it.
    const proof = signKeyPossession(signerFromPem(other.privateKeyPem), {
      party: trader.id,
      previousKeyId: intruder.keyId,
    });
    await expect(
      ctx.store.transaction((tx) =>
        commit(tx, ctx, 'party.key.rotated', trader.id, {
          party: trader.id,
          previousKeyId: intruder.keyId,
          key: { algorithm: 'Ed25519', keyId: other.keyId, publicKey: other.publicKey },
          proof,
        }),
      ),
    ).rejects.toThrow(/key\.rotation: must be signed with the key it retires/);
    expect(await journalSize()).toBe(before);
  });

  it('revokes with a reason and a compromise time; refusals (unknown key, twice, no reason, future compromise) write nothing', async () => {
    const reg = await registerParty(ctx, trader);
    const r1 = await rotateSigningKey(ctx, trader.id);
    const before = await journalSize();
    await expect(
      revokeSigningKey(ctx, trader.id, 'ed25519:AAAAAAAAAAAAAAAAAAAAAA', { reason: 'x' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'keyId' });
    await expect(revokeSigningKey(ctx, trader.id, reg.keyId, { reason: '  ' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'reason',
    });
    await expect(
      revokeSigningKey(ctx, trader.id, reg.keyId, { reason: 'x', compromisedAt: '2099-01-01T00:00:00Z' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'compromisedAt' });
    expect(await journalSize()).toBe(before);
    // An already replaced key can be revoked (it keeps its earlier end); signed with the key in force.
    const v = await revokeSigningKey(ctx, trader.id, reg.keyId, {
      reason: 'old laptop lost',
      compromisedAt: '2026-11-20T00:00:00Z',
    });
    expect(v.noKeyLeft).toBe(false);
    await expect(revokeSigningKey(ctx, trader.id, reg.keyId, { reason: 'again' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    const keys = await listPartyKeys(ctx, trader.id);
    expect(keys[0]).toMatchObject({
      validUntilSeq: r1.seq,
      revokedSeq: v.seq,
      revocationReason: 'old laptop lost',
      compromisedAt: '2026-11-20T00:00:00.000Z',
    });
    // Revoking the key in force leaves the party without a key: it signs nothing more.
    const last = await revokeSigningKey(ctx, trader.id, r1.keyId, { reason: 'stolen' });
    expect(last.noKeyLeft).toBe(true);
    await expect(recordClassification(ctx, trader.id, { item: magnet })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/revoked at journal entry/) as unknown,
    });
    const dump = await dumpProjections(ctx.store.db);
    await rebuild(ctx);
    expect(await dumpProjections(ctx.store.db)).toEqual(dump);
  });

  it('the verifier follows rotations and revocations in log order, and refuses a record signed with a replaced key after its rotation', async () => {
    const demo = await runDemo(ctx);
    const licence = demo.report.licences[0]?.licence.id ?? '';
    const first = ctx.keystore.get(EXPORTER);
    const r1 = await rotateSigningKey(ctx, EXPORTER);
    const r2 = await rotateSigningKey(ctx, EXPORTER);
    await revokeSigningKey(ctx, EXPORTER, first.keyId, { reason: 'retired laptop' });
    const logKey = ctx.keystore.get('lodestone-log').publicKey;
    const ok = verifyBundle(JSON.stringify(await exportAuditBundle(ctx, licence)), { logKey });
    expect(ok.recordTypes).toMatchObject({ 'party.key.rotated': 2, 'party.key.revoked': 1 });
    // A record signed with the first key after its rotation, let into the log by the operator.
    const forged = signRecord(
      {
        v: 1,
        type: 'party.key.rotated',
        actor: EXPORTER,
        at: '2026-11-24T09:00:00.000Z',
        body: {
          party: EXPORTER,
          previousKeyId: first.keyId,
          key: { algorithm: 'Ed25519', keyId: r2.keyId, publicKey: ctx.keystore.get(EXPORTER).publicKey },
          proof: signKeyPossession(ctx.keystore.signer(EXPORTER), { party: EXPORTER, previousKeyId: first.keyId }),
        },
      },
      signerFromPem(first.privateKeyPem),
    );
    await ctx.store.transaction(async (tx) => {
      await journalRepo.append(tx, forged);
      await publishCheckpoint(tx, ctx);
    });
    const tampered = JSON.stringify(await exportAuditBundle(ctx, licence));
    expect(() => verifyBundle(tampered, { logKey })).toThrow(
      new RegExp(`with key ${first.keyId} after its validity ended at entry ${r1.seq} \\(replaced by a rotation\\)`),
    );
  }, 120_000);

  it('the verifier refuses an operator-signed record carrying a request signed with a revoked key', async () => {
    const demo = await runDemo(ctx);
    const licence = demo.report.licences[0]?.licence.id ?? '';
    const stolen = ctx.keystore.signer(EXPORTER);
    const v = await revokeSigningKey(ctx, EXPORTER, stolen.keyId, { reason: 'HSM compromised' });
    const body = { party: EXPORTER, keyId: stolen.keyId, reason: 'again, by the thief' };
    const raw = JSON.stringify(body);
    const request = attachRequestBody(
      signRequest(stolen, { method: 'POST', path: `/v1/parties/${EXPORTER}/keys/revoke`, body: raw, now: ctx.clock() }),
      raw,
    );
    const forged = signRecord(
      { v: 1, type: 'party.key.revoked', actor: EXPORTER, at: ctx.clock().toISOString(), body, request },
      ctx.keystore.signer('lodestone-log'),
    );
    await ctx.store.transaction(async (tx) => {
      await journalRepo.append(tx, forged);
      await publishCheckpoint(tx, ctx);
    });
    const bundle = JSON.stringify(await exportAuditBundle(ctx, licence));
    expect(() => verifyBundle(bundle, { logKey: ctx.keystore.get('lodestone-log').publicKey })).toThrow(
      new RegExp(
        `requested with key ${stolen.keyId} after its validity ended at entry ${v.seq} \\(revoked: HSM compromised\\)`,
      ),
    );
  }, 120_000);

  it('a new certificate signature must be by a key in force; certificates signed before a rotation still verify', async () => {
    const h = await harness(current().store, { list: false });
    try {
      const c = h.ctx;
      const oldSigner = c.keystore.signer(IMPORTER);
      const before = await issueCertificate(c, IMPORTER, certificateBody());
      await rotateSigningKey(c, IMPORTER);
      const size = await journalRepo.count(c.store.db);
      const stale = await signCredential(await prepareCertificate(c, IMPORTER, certificateBody()), oldSigner);
      await expect(submitCertificate(c, IMPORTER, stale)).rejects.toMatchObject({
        code: 'CERTIFICATE_REFUSED',
        message: expect.stringMatching(/certificate\.signature.*was replaced by/) as unknown,
      });
      expect(await journalRepo.count(c.store.db)).toBe(size);
      const fresh = await signCredential(
        await prepareCertificate(c, IMPORTER, certificateBody()),
        c.keystore.signer(IMPORTER),
      );
      expect((await submitCertificate(c, IMPORTER, fresh)).id).toMatch(/^urn:uuid:/);
      expect((await verifyStoredCertificate(c, before.id)).ok).toBe(true);
    } finally {
      await h.app.close();
    }
  });

  it('over HTTP: the party rotates with a request signed by its key in force; the old key is refused after, the new one accepted; a bad proof is 400 and writes nothing', async () => {
    const h = await harness(current().store, { list: false });
    try {
      const exporter = await h.credential(EXPORTER, 'exporter');
      const old = h.ctx.keystore.get(EXPORTER);
      const next = generateKeyPair();
      const nextSigner = signerFromPem(next.privateKeyPem);
      const before = await journalRepo.count(h.ctx.store.db);
      const wrong = signKeyPossession(nextSigner, { party: EXPORTER, previousKeyId: next.keyId });
      const bad = await h.call(exporter, 'POST', `/v1/parties/${EXPORTER}/keys/rotate`, {
        body: { publicKey: next.publicKey, proof: wrong },
      });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json<{ field: string }>().field).toBe('proof');
      expect(await journalRepo.count(h.ctx.store.db)).toBe(before);
      const res = await h.call(exporter, 'POST', `/v1/parties/${EXPORTER}/keys/rotate`, {
        body: {
          publicKey: next.publicKey,
          proof: signKeyPossession(nextSigner, { party: EXPORTER, previousKeyId: old.keyId }),
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ party: EXPORTER, previousKeyId: old.keyId, keyId: next.keyId });
      const stale = await h.call(exporter, 'POST', '/v1/classifications', { body: { item: magnet } });
      expect(stale.statusCode, stale.body).toBe(401);
      expect(stale.json<{ detail: string }>().detail).toMatch(
        new RegExp(`key ${old.keyId} was replaced by ${next.keyId}`),
      );
      h.useSigner(EXPORTER, nextSigner);
      expect((await h.call(exporter, 'POST', '/v1/classifications', { body: { item: magnet } })).statusCode).toBe(201);
      const keys = await h.call(exporter, 'GET', `/v1/parties/${EXPORTER}/keys`);
      expect(keys.json<{ keyId: string; inForce: boolean }[]>().map((k) => [k.keyId, k.inForce])).toEqual([
        [old.keyId, false],
        [next.keyId, true],
      ]);
      // Revocation over HTTP: the rotated-out key, signed with the key in force.
      const rv = await h.call(exporter, 'POST', `/v1/parties/${EXPORTER}/keys/revoke`, {
        body: { keyId: old.keyId, reason: 'decommissioned HSM' },
      });
      expect(rv.statusCode, rv.body).toBe(201);
      expect(rv.json()).toMatchObject({ keyId: old.keyId, noKeyLeft: false });
      const dump = await dumpProjections(h.ctx.store.db);
      await rebuild(h.ctx);
      expect(await dumpProjections(h.ctx.store.db)).toEqual(dump);
    } finally {
      await h.app.close();
    }
  });
});

describe('signing keys under concurrency (PostgreSQL)', () => {
  const current = useFreshStore('postgres');
  it('records racing a revocation of their key either precede it in the journal or are refused: rebuild accepts every entry', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'lodestone-keys-'));
    try {
      const ctx = createApp(current().store, { keysDir });
      const reg = await registerParty(ctx, trader);
      await recordClassification(ctx, trader.id, { item: magnet }); // rule packs journalled once, before the race
      const writers = Array.from({ length: 24 }, () =>
        recordClassification(ctx, trader.id, { item: magnet }).then(
          () => 'ok',
          (e: unknown) => (e as Error).message,
        ),
      );
      const revoked = revokeSigningKey(ctx, trader.id, reg.keyId, { reason: 'race' });
      const [outcomes, v] = await Promise.all([Promise.all(writers), revoked]);
      for (const o of outcomes) if (o !== 'ok') expect(o).toMatch(/revoked at journal entry/);
      const after = await journalRepo.read(ctx.store.db, { fromSeq: v.seq + 1, limit: 1000 });
      expect(after.filter((r) => r.actor === trader.id)).toEqual([]);
      await rebuild(ctx);
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  }, 120_000);
});
