import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AppError,
  createApp,
  decideApplication,
  getTrustList,
  importList,
  publishTrustList,
  rebuild,
  RefusedError,
  registerParty,
  submitApplication,
  TRUST_ROOT_ID,
  trustRootKey,
  type AppContext,
} from '../../src/app/index.js';
import { commit } from '../../src/app/journal.js';
import { ValidationError } from '../../src/domain/index.js';
import { dumpProjections, journalRepo, trustListsRepo } from '../../src/store/index.js';
import { generateKeyPair, sha256Hex } from '../../src/trust/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { DEMO_TRUST_LIST, EXAMPLES_ROOT, magnet, readExample, TODAY } from '../support/scenario.js';
import { STORES, useFreshStore } from '../support/stores.js';

describe.each(STORES)('the trust list on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-11-24T09:00:00.000Z');
  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-trust-'));
    ctx = createApp(current().store, { keysDir, clock: () => new Date((t += 1000)) });
    for (const p of readExample('scenario/parties.json') as { id: string }[]) await registerParty(ctx, p);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });
  const snapshot = async () => ({
    journal: await journalRepo.count(current().store.db),
    projections: await dumpProjections(current().store.db),
  });

  it("versions chain by the previous record's hash under the operator root key (not the log key), and rebuild reproduces them", async () => {
    expect(await getTrustList(ctx)).toBeUndefined();
    const v1 = await publishTrustList(ctx, DEMO_TRUST_LIST);
    expect(v1).toMatchObject({ version: 1, previous: null, root: trustRootKey(ctx), entries: DEMO_TRUST_LIST.entries });
    expect(ctx.keystore.get(TRUST_ROOT_ID).keyId).not.toBe(ctx.keystore.get('lodestone-log').keyId);
    const row = await journalRepo.get(current().store.db, v1.seq);
    expect(row).toMatchObject({ type: 'trustlist.published', actor: TRUST_ROOT_ID });
    expect(JSON.parse(row!.canonical)).toMatchObject({ signature: { keyId: trustRootKey(ctx).keyId } });
    expect(v1.recordHash).toBe(sha256Hex(row!.canonical));
    const v2 = await publishTrustList(ctx, {
      version: 2,
      entries: [{ party: 'cn-mofcom', role: 'licensing-authority', country: 'CN' }],
    });
    expect(v2).toMatchObject({ version: 2, previous: v1.recordHash });
    expect((await getTrustList(ctx))?.version).toBe(2);
    const before = await dumpProjections(current().store.db);
    await rebuild(ctx);
    expect(await dumpProjections(current().store.db)).toEqual(before);
  });

  it('refuses bad input, unregistered parties, an unchanged list, a stale version and a signed API request; writes nothing', async () => {
    await publishTrustList(ctx, DEMO_TRUST_LIST);
    const before = await snapshot();
    expect(
      (
        await expectRejectsCode(
          publishTrustList(ctx, { entries: [{ party: 'cn-mofcom', role: 'approver', country: 'CN' }] }),
          ValidationError,
          'INVALID_INPUT',
        )
      ).message,
    ).toMatch(/trustList\.entries\.0\.role/);
    expect(
      (
        await expectRejectsCode(
          publishTrustList(ctx, { entries: [{ party: 'cn-mofcom', role: 'countersigner', country: 'XX' }] }),
          ValidationError,
          'INVALID_INPUT',
        )
      ).message,
    ).toMatch(/trustList\.entries\.0\.country/);
    expect(
      (
        await expectRejectsCode(
          publishTrustList(ctx, { entries: [...DEMO_TRUST_LIST.entries, DEMO_TRUST_LIST.entries[0]] }),
          ValidationError,
          'INVALID_INPUT',
        )
      ).message,
    ).toMatch(/twice/);
    expect(
      (
        await expectRejectsCode(
          publishTrustList(ctx, { entries: [{ party: 'nobody-here', role: 'countersigner', country: 'IN' }] }),
          AppError,
          'NOT_FOUND',
        )
      ).message,
    ).toMatch(/trustList\.entries\[0\]\.party/);
    await expectRejectsCode(publishTrustList(ctx, DEMO_TRUST_LIST), AppError, 'ALREADY_EXISTS');
    expect(
      (await expectRejectsCode(publishTrustList(ctx, { version: 5, entries: [] }), ValidationError, 'INVALID_INPUT'))
        .message,
    ).toMatch(/must be 2/);
    const onRequest = { ...ctx, request: { partyId: 'cn-mofcom', keyId: 'k', jws: 'x.y.z', nonce: 'n' } };
    await expectRejectsCode(publishTrustList(onRequest, { entries: [] }), AppError, 'FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });

  it("only the root key in this node's keystore may sign a version; no party takes the reserved ids", async () => {
    await publishTrustList(ctx, DEMO_TRUST_LIST);
    const before = await snapshot();
    const body = {
      version: 2,
      previous: (await getTrustList(ctx))!.recordHash,
      root: { algorithm: 'Ed25519' as const, ...trustRootKey(ctx) },
      entries: [],
    };
    // A party signing a trust list as itself.
    await expectRejectsCode(
      current()
        .store.db.transaction()
        .execute((tx) => commit(tx, ctx, 'trustlist.published', 'cn-mofcom', body)),
      AppError,
      'FORBIDDEN',
    );
    // Another root key (swapped into the keystore file under another name, then named in the body).
    const other = generateKeyPair();
    writeFileSync(
      join(keysDir, 'rogue-root.key.json'),
      JSON.stringify({
        partyId: 'rogue-root',
        keyId: other.keyId,
        publicKey: other.publicKey,
        privateKeyPem: other.privateKeyPem,
      }),
    );
    await expectRejectsCode(
      current()
        .store.db.transaction()
        .execute((tx) =>
          commit(tx, ctx, 'trustlist.published', 'rogue-root', {
            ...body,
            root: { algorithm: 'Ed25519', keyId: other.keyId, publicKey: other.publicKey },
          }),
        ),
      AppError,
      'FORBIDDEN',
    );
    await expectRejectsCode(
      registerParty(ctx, { id: TRUST_ROOT_ID, name: 'Not the operator', country: 'CN' }),
      ValidationError,
      'INVALID_INPUT',
    );
    await expectRejectsCode(
      registerParty(ctx, { id: 'lodestone-log', name: 'Not the log', country: 'CN' }),
      ValidationError,
      'INVALID_INPUT',
    );
    expect(await snapshot()).toEqual(before);
  });

  it('a decision judged while a new version is being published waits for it and is judged by it (no decision by a dropped authority lands after the drop)', async () => {
    if (kind !== 'postgres') return; // PGlite serves one connection: nothing runs concurrently
    await publishTrustList(ctx, DEMO_TRUST_LIST);
    await importList(ctx, {
      path: new URL('scenario/demo-control-list.csv', EXAMPLES_ROOT).pathname,
      format: 'csv',
      list: 'cn-control-list',
      actor: 'cn-mofcom',
      authority: 'MOFCOM (demonstration)',
      effect: 'deny',
      country: 'CN',
    });
    const app = await submitApplication(ctx, {
      authority: 'cn-mofcom',
      applicant: 'ganzhou-hengyuan-magnetics',
      importer: 'chakan-drive-systems',
      endUser: 'chakan-drive-systems',
      destination: 'IN',
      endUse: { description: 'Rotor magnets', purposes: ['civil-automotive'] },
      licenceType: 'single',
      lines: [{ ref: 'L1', item: magnet, quantityGrams: 1000, value: { currency: 'USD', minor: 8000 } }],
      validFrom: TODAY,
      validUntil: '2027-06-30',
    });
    const v1 = (await getTrustList(ctx))!;
    let decided: Promise<unknown> | undefined;
    let settled = false;
    // A publisher holds the head (as publishTrustList does) while the authority decides on another connection.
    await current()
      .store.db.transaction()
      .execute(async (tx) => {
        await trustListsRepo.lockHead(tx, 'update');
        decided = decideApplication(ctx, 'cn-mofcom', app.id, {
          decision: 'request-info',
          questions: ['which motors?'],
        }).finally(() => {
          settled = true;
        });
        decided.catch(() => undefined);
        await new Promise((r) => setTimeout(r, 400));
        expect(settled).toBe(false);
        await commit(tx, ctx, 'trustlist.published', TRUST_ROOT_ID, {
          version: 2,
          previous: v1.recordHash,
          root: { algorithm: 'Ed25519', ...trustRootKey(ctx) },
          entries: [{ party: 'in-dgft', role: 'countersigner', country: 'IN' }],
        });
      });
    const e = await expectRejectsCode(decided!, RefusedError, 'REFUSED');
    expect(e.message).toMatch(/TRUST_LIST_AUTHORITY.*"cn-mofcom" is not listed .* in trust list version 2/);
  });
});
