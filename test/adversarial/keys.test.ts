/**
 * Issue 18, item 9 — keys and credentials, attacked through the public interfaces (the HTTP API with
 * API keys and signed requests; the `lodestone` CLI; `lodestone verify` on an exported bundle), on
 * both stores. Uses only interfaces that exist before the fix, so on the base commit each test fails
 * on an assertion, not on an import.
 */
import { randomUUID, sign as edSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { publishCheckpoint, signRequest } from '../../src/app/index.js';
import { createServer, issueCredential } from '../../src/http/index.js';
import { journalRepo } from '../../src/store/index.js';
import { canonicalJson, generateKeyPair, signerFromPem, signRecord } from '../../src/trust/index.js';
import { freshStore, STORES, type TestStore } from '../support/stores.js';
import { example, harness, type Caller } from '../http/support.js';
import { world, type World } from './keys.support.js';

const EXPORTER = 'ganzhou-hengyuan-magnetics';
const NOW = new Date('2026-11-24T10:00:00Z');
const magnet = example('items/ndfeb-45sh-dy-magnet.json');
const exporterParty = (example('scenario/parties.json') as { id: string }[]).find((p) => p.id === EXPORTER);

describe.each(STORES)(
  'item 9: keys and credentials — privilege order, signing-key rotation and revocation, key validity in verify (%s)',
  (kind) => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });
    const store = async (): Promise<TestStore> => {
      const ts = await freshStore(kind);
      cleanup.push(() => ts.dispose());
      return ts;
    };
    const fresh = async (): Promise<World> => {
      const w = await world(kind);
      cleanup.push(() => w.dispose());
      return w;
    };

    it("an auditor credential cannot rotate, revoke or mint its party's exporter credential (HTTP 403 naming the rule; nothing changes)", async () => {
      const h = await harness((await store()).store, { list: false });
      cleanup.push(() => h.app.close());
      const exporter = await h.credential(EXPORTER, 'exporter');
      const auditor = await h.credential(EXPORTER, 'auditor');
      const rotate = await h.call(auditor, 'POST', `/v1/credentials/${exporter.credentialId}/rotate`);
      expect(rotate.statusCode, rotate.body).toBe(403);
      expect(rotate.json<{ code: string; detail: string }>()).toMatchObject({
        code: 'CREDENTIAL_PRIVILEGE',
        detail: expect.stringMatching(
          /credential\.privilege: a auditor credential may not manage a exporter credential/,
        ) as unknown,
      });
      const revoke = await h.call(auditor, 'POST', `/v1/credentials/${exporter.credentialId}/revoke`);
      expect(revoke.statusCode, revoke.body).toBe(403);
      expect(revoke.json<{ code: string }>().code).toBe('CREDENTIAL_PRIVILEGE');
      const mint = await h.call(auditor, 'POST', '/v1/credentials', { body: { partyId: EXPORTER, role: 'exporter' } });
      expect(mint.statusCode, mint.body).toBe(403);
      expect(mint.json<{ code: string }>().code).toBe('CREDENTIAL_PRIVILEGE');
      // The exporter's key still works, was never rotated, and no new credential exists.
      const list = await h.call(exporter, 'GET', '/v1/credentials');
      expect(list.statusCode).toBe(200);
      const creds = list.json<{ id: string; role: string; rotatedAt: string | null; revokedAt: string | null }[]>();
      expect(creds.find((c) => c.id === exporter.credentialId)).toMatchObject({ rotatedAt: null, revokedAt: null });
      expect(creds.filter((c) => c.role === 'exporter')).toHaveLength(1);
    });

    it("a rotated credential keeps its own role, never the caller's", async () => {
      const h = await harness((await store()).store, { list: false });
      cleanup.push(() => h.app.close());
      const exporter = await h.credential(EXPORTER, 'exporter');
      const auditor = await h.credential(EXPORTER, 'auditor');
      // The escalation: an auditor rotating the exporter's credential must not get an exporter key.
      const escalate = await h.call(auditor, 'POST', `/v1/credentials/${exporter.credentialId}/rotate`);
      expect(escalate.statusCode, escalate.body).toBe(403);
      expect(escalate.body).not.toMatch(/lsk_/);
      // The exporter rotates its auditor credential: the new key is still an auditor's (read-only).
      const rotated = await h.call(exporter, 'POST', `/v1/credentials/${auditor.credentialId}/rotate`);
      expect(rotated.statusCode, rotated.body).toBe(201);
      const r = rotated.json<{ id: string; role: string; partyId: string; key: string }>();
      expect(r).toMatchObject({ id: auditor.credentialId, role: 'auditor', partyId: EXPORTER });
      const newAuditor: Caller = { party: EXPORTER, role: 'auditor', key: r.key, credentialId: r.id };
      const write = await h.call(newAuditor, 'POST', '/v1/classifications', { body: { item: magnet } });
      expect(write.statusCode, write.body).toBe(403);
      expect(write.json<{ code: string }>().code).toBe('ROLE_FORBIDDEN');
      expect((await h.call(auditor, 'GET', '/v1/credentials')).statusCode).toBe(401);
      expect((await h.call(newAuditor, 'GET', '/v1/credentials')).statusCode).toBe(200);
    });

    it('after `lodestone keys revoke`, a signed request (and a CLI record) with the old key is refused, naming the revocation, and writes nothing', async () => {
      const w = await fresh();
      expect((await w.run('parties', 'register', w.file('exporter.json', exporterParty))).code).toBe(0);
      const old = w.keyFile(EXPORTER);
      const revoked = await w.run('keys', 'revoke', EXPORTER, old.keyId, '--reason', 'key file on a stolen laptop');
      expect(revoked.code, revoked.err).toBe(0);
      // The CLI itself signs with the keystore's (revoked) key: refused, exit 7, nothing recorded.
      const cli = await w.run('classify', w.file('magnet.json', magnet), '--record', '--actor', EXPORTER);
      expect(cli.code, cli.out).toBe(7);
      expect(cli.err).toMatch(/revoked at journal entry \d+/);
      const ctx = await w.open(() => NOW);
      cleanup.push(() => ctx.close());
      const before = await journalRepo.count(ctx.store.db);
      const app = await createServer(ctx, { rateLimit: false });
      cleanup.push(() => app.close());
      const cred = await issueCredential(ctx, { partyId: EXPORTER, role: 'exporter' });
      const body = JSON.stringify({ item: magnet });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/classifications',
        payload: body,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${cred.key}`,
          'idempotency-key': randomUUID(),
          'lodestone-signature': signRequest(signerFromPem(old.privateKeyPem), {
            method: 'POST',
            path: '/v1/classifications',
            body,
            now: NOW,
          }),
        },
      });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json<{ code: string; detail: string }>()).toMatchObject({
        code: 'UNAUTHENTICATED',
        detail: expect.stringMatching(/revoked at journal entry \d+ \(key file on a stolen laptop\)/) as unknown,
      });
      expect(await journalRepo.count(ctx.store.db)).toBe(before);
    }, 120_000);

    it('a bundle holding a record signed with a key after its revocation fails `lodestone verify` (and `rebuild` refuses the journal)', async () => {
      const w = await fresh();
      const demo = await w.run('demo', '--out', w.dir);
      expect(demo.code, demo.err).toBe(0);
      const licence = (JSON.parse(readFileSync(`${w.dir}/audit-bundle.json`, 'utf8')) as { licence: string }).licence;
      const logKey = w.keyFile('lodestone-log').publicKey;
      const stolen = w.keyFile(EXPORTER);
      const revoked = await w.run('keys', 'revoke', EXPORTER, stolen.keyId, '--reason', 'compromised');
      expect(revoked.code, revoked.err).toBe(0);
      // The honest log after the revocation verifies.
      const honest = w.file('honest.json', '');
      expect((await w.run('audit', 'export', '--licence', licence, '--out', honest)).code).toBe(0);
      const ok = await w.run('verify', honest, '--log-key', logKey);
      expect(ok.code, ok.err).toBe(0);
      // A thief with the revoked key (and an operator that lets it in) re-keys the party to its own key.
      const thief = generateKeyPair();
      const statement = canonicalJson({
        purpose: 'lodestone-key-possession/v1',
        party: EXPORTER,
        previousKeyId: stolen.keyId,
        keyId: thief.keyId,
      });
      const proof = edSign(
        null,
        Buffer.from(statement, 'utf8'),
        signerFromPem(thief.privateKeyPem).privateKey,
      ).toString('base64url');
      const forged = signRecord(
        {
          v: 1,
          type: 'party.key.rotated',
          actor: EXPORTER,
          at: new Date().toISOString(),
          body: {
            party: EXPORTER,
            previousKeyId: stolen.keyId,
            key: { algorithm: 'Ed25519', keyId: thief.keyId, publicKey: thief.publicKey },
            proof,
          },
        },
        signerFromPem(stolen.privateKeyPem),
      );
      const ctx = await w.open();
      try {
        await ctx.store.transaction(async (tx) => {
          await journalRepo.append(tx, forged);
          await publishCheckpoint(tx, ctx);
        });
      } finally {
        await ctx.close();
      }
      const bundle = w.file('forged.json', '');
      expect((await w.run('audit', 'export', '--licence', licence, '--out', bundle)).code).toBe(0);
      expect(readFileSync(bundle, 'utf8')).toContain(thief.keyId);
      const v = await w.run('verify', bundle, '--log-key', logKey);
      expect(v.code, v.out).toBe(6);
      expect(v.err).toMatch(
        new RegExp(`with key ${stolen.keyId} after its validity ended at entry \\d+ \\(revoked: compromised\\)`),
      );
      const rebuilt = await w.run('rebuild');
      expect(rebuilt.code, rebuilt.out).toBe(6);
      expect(rebuilt.err).toMatch(/revoked at journal entry \d+/);
    }, 240_000);
  },
);
