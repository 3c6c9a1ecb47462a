/**
 * A peer's settings are a journal record signed by the operator's root key (issue 24; docs/federation.md
 * "What each node trusts"): `federation.peer.followed` carries the peer's identity whole and the
 * countries this node takes roles for from the peer's trust list; federation_peers' pins are its
 * projection, and a rebuild writes them again. On both stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addPeer,
  AppError,
  applyPeerRecords,
  createApp,
  ensureTrustListEntries,
  federationIdentity,
  getTrustList,
  publishTrustList,
  rebuild,
  registerParty,
  TRUST_ROOT_ID,
  trustRootKey,
  type AppContext,
} from '../../src/app/index.js';
import { commit } from '../../src/app/journal.js';
import { requireTrusted } from '../../src/app/trustlist.js';
import { ValidationError } from '../../src/domain/index.js';
import { dumpProjections, federationRepo, journalRepo, jsonText } from '../../src/store/index.js';
import {
  formatVerifierKey,
  generateKeyPair,
  parseCanonicalJson,
  parseSignedRecord,
  signRecord,
  verifyRecord,
} from '../../src/trust/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { readExample } from '../support/scenario.js';
import { STORES, useFreshStore } from '../support/stores.js';

const PARTIES = readExample('scenario/parties.json') as { id: string; country: string }[];

/** A peer node's identity as `lodestone federation identity` prints it there, with a field a later version adds. */
function peerIdentity(node = 'in') {
  const log = generateKeyPair();
  const witness = generateKeyPair();
  const root = generateKeyPair();
  const origin = `${node}.lodestone.example/log`;
  return {
    node,
    origin,
    logKey: formatVerifierKey({ name: origin, publicKey: log.publicKey }),
    witnessKey: formatVerifierKey({ name: `${origin}/witness`, publicKey: witness.publicKey }),
    trustRoot: root.publicKey,
    publicUrl: `https://${node}.lodestone.example`,
  };
}

describe.each(STORES)('peer settings as root-signed journal records on %s', (kind) => {
  const current = useFreshStore(kind);
  let keysDir: string;
  let ctx: AppContext;
  let t = Date.parse('2026-12-01T09:00:00.000Z');
  beforeEach(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'lodestone-peers-'));
    ctx = createApp(current().store, {
      keysDir,
      logOrigin: 'cn.lodestone.example/log',
      clock: () => new Date((t += 1000)),
    });
    for (const p of PARTIES.filter((p) => p.country === 'CN')) await registerParty(ctx, p);
    await ensureTrustListEntries(ctx, [{ party: 'cn-mofcom', role: 'licensing-authority', country: 'CN' }]);
  });
  afterEach(() => {
    rmSync(keysDir, { recursive: true, force: true });
  });
  const db = () => current().store.db;
  const state = async () => ({
    journal: await journalRepo.count(db()),
    peers: await federationRepo.peers(db()),
  });

  it('peer add journals the identity verbatim and the countries, signed by the root key, in one transaction with the row', async () => {
    const id = peerIdentity();
    const before = await journalRepo.count(db());
    const row = await addPeer(ctx, { ...id, countries: ['IN', 'BD', 'IN'] });
    expect(await journalRepo.count(db())).toBe(before + 1);
    expect(row).toMatchObject({
      node: 'in',
      origin: 'in.lodestone.example/log',
      log_vkey: id.logKey,
      witness_vkey: id.witnessKey,
      trust_root_key: id.trustRoot,
      countries: ['BD', 'IN'],
      followed_seq: before + 1,
    });
    const entry = await journalRepo.get(db(), before + 1);
    expect(entry).toMatchObject({ type: 'federation.peer.followed', actor: TRUST_ROOT_ID });
    const record = parseSignedRecord(parseCanonicalJson(entry?.canonical ?? ''));
    const root = trustRootKey(ctx);
    expect(record.signature.keyId).toBe(root.keyId);
    expect(record.signature.keyId).not.toBe(ctx.keystore.get('lodestone-log').keyId);
    expect(() => {
      verifyRecord(record, root.publicKey);
    }).not.toThrow();
    // Every field of the identity, publicUrl included, as read; the countries sorted, each once.
    expect(record.payload.body).toEqual({
      identity: id,
      countries: ['BD', 'IN'],
      root: { algorithm: 'Ed25519', keyId: root.keyId, publicKey: root.publicKey },
    });
    // Linked on the peer's subject chain, like every record with a subject.
    expect(record.payload.links).toEqual([{ subject: 'peer:in', prev: null }]);

    // Changing the countries is another record on the same chain; the row follows it.
    const again = await addPeer(ctx, { ...id, countries: ['IN'] });
    expect(again).toMatchObject({ countries: ['IN'], followed_seq: before + 2 });
    const second = parseSignedRecord(parseCanonicalJson((await journalRepo.get(db(), before + 2))?.canonical ?? ''));
    expect(second.payload.links).toEqual([
      { subject: 'peer:in', prev: { seq: before + 1, leafHash: entry?.leaf_hash } },
    ]);
  });

  it('refuses, naming the field and writing nothing: a bad identity or country, a locally governed country, this node, other keys, the same settings, an API request', async () => {
    const id = peerIdentity();
    await addPeer(ctx, { ...id, countries: ['IN'] });
    const before = await state();
    const refused = async (input: unknown, field: RegExp, c: AppContext = ctx) => {
      const e = await expectRejectsCode(addPeer(c, input), ValidationError, 'INVALID_INPUT');
      expect(e.message).toMatch(field);
    };
    const other = peerIdentity('bd');
    await refused({ ...other, logKey: 'not a key', countries: ['BD'] }, /peer\.logKey/);
    await refused({ ...other, trustRoot: 'short', countries: ['BD'] }, /peer\.trustRoot/);
    await refused({ ...other, node: 'BD!', countries: ['BD'] }, /peer\.node/);
    await refused(
      { ...other, origin: 'elsewhere.example/log', countries: ['BD'] },
      /peer\.origin.*logKey is the key of/,
    );
    await refused({ ...other, countries: ['XX'] }, /peer\.countries\.0.*ISO 3166-1 alpha-2/);
    await refused({ ...other, countries: ['bd'] }, /peer\.countries\.0/);
    await refused({ ...other, countries: 'BD' }, /peer\.countries/);
    await refused(
      { ...other, countries: ['BD'], note: 'x'.repeat(20_000) },
      /peer: is \d+ characters of JSON, over 16384/,
    );
    // A country this node's own trust list governs: a peer never overrides local authority.
    const local = await expectRejectsCode(
      addPeer(ctx, { ...other, countries: ['BD', 'CN'] }),
      ValidationError,
      'INVALID_INPUT',
    );
    expect(local.message).toMatch(/peer\.countries\.1.*CN.*own trust list.*cn-mofcom/);
    // This node itself: its own log, its own root key, its own witness key.
    const self = await federationIdentity(ctx, 'cn');
    await refused({ ...self, node: 'cn2', countries: ['BD'] }, /peer\.logKey.*own log/);
    await refused({ ...other, trustRoot: self.trustRoot, countries: ['BD'] }, /peer\.trustRoot.*own root key/);
    await refused({ ...other, witnessKey: self.witnessKey, countries: ['BD'] }, /peer\.witnessKey.*own witness key/);
    // A peer already pinned: its keys stay; another node name for the same log is refused.
    await refused({ ...id, witnessKey: other.witnessKey, countries: ['IN'] }, /peer\.witnessKey.*pinned once/);
    await refused(
      { ...id, logKey: other.logKey, origin: other.origin, countries: ['IN'] },
      /peer\.logKey.*pinned once/,
    );
    await refused({ ...id, node: 'in2', countries: ['IN'] }, /peer\.logKey.*follows as in/);
    // The same settings again: nothing to journal.
    await expectRejectsCode(addPeer(ctx, { ...id, countries: ['IN'] }), AppError, 'ALREADY_EXISTS');
    // Only where the root key is: never on a party's signed API request.
    const onRequest = { ...ctx, request: { partyId: 'cn-mofcom', keyId: 'k', jws: 'x.y.z', nonce: 'n' } };
    await expectRejectsCode(addPeer(onRequest, { ...other, countries: ['BD'] }), AppError, 'FORBIDDEN');
    expect(await state()).toEqual(before);
  });

  it("trust-list set refuses a country this node follows from a peer, naming the entry's field and the peer, and writes nothing", async () => {
    const id = peerIdentity();
    await addPeer(ctx, { ...id, countries: ['IN'] });
    await addPeer(ctx, { ...peerIdentity('bd'), countries: [] });
    const before = await state();
    const trustListBefore = await getTrustList(ctx);
    const e = await expectRejectsCode(
      publishTrustList(ctx, {
        entries: [
          { party: 'cn-mofcom', role: 'licensing-authority', country: 'CN' },
          { party: 'cn-mofcom', role: 'countersigner', country: 'IN' },
        ],
      }),
      ValidationError,
      'INVALID_INPUT',
    );
    expect(e.field).toBe('trustList.entries[1].country');
    expect(e.message).toMatch(/IN.*peer "in".*federation\.peer\.followed.*journal entry \d+/);
    expect(await state()).toEqual(before);
    expect(await getTrustList(ctx)).toEqual(trustListBefore);
    // A peer followed for no country (bd) governs nothing here; once in is followed for none, IN is free again.
    await addPeer(ctx, { ...id, countries: [] });
    const published = await publishTrustList(ctx, {
      entries: [
        { party: 'cn-mofcom', role: 'licensing-authority', country: 'CN' },
        { party: 'cn-mofcom', role: 'countersigner', country: 'IN' },
      ],
    });
    expect(published.entries).toHaveLength(2);
  });

  it('a peer record not made and signed by the root key is refused: at commit, and in the journal on rebuild', async () => {
    const id = peerIdentity();
    const root = trustRootKey(ctx);
    const body = { identity: id, countries: ['IN'], root: { algorithm: 'Ed25519' as const, ...root } };
    const before = await state();
    // Made by the log operator (its key), not the root key.
    const byLog = await expectRejectsCode(
      ctx.store.transaction((tx) => commit(tx, ctx, 'federation.peer.followed', 'lodestone-log', body)),
      AppError,
      'FORBIDDEN',
    );
    expect(byLog.message).toMatch(/operator root key/);
    expect(await state()).toEqual(before);
    // Signed by another key in the root's name, let into the journal by hand: a rebuild refuses it.
    const forged = signRecord(
      { v: 1, type: 'federation.peer.followed', actor: TRUST_ROOT_ID, at: ctx.clock().toISOString(), body },
      ctx.keystore.signer('lodestone-log'),
    );
    await ctx.store.transaction(async (tx) => {
      await journalRepo.append(tx, forged);
    });
    const e = await expectRejectsCode(rebuild(ctx), AppError, 'JOURNAL_INVALID');
    expect(e.message).toMatch(/federation\.peer\.followed record must name and be signed by the operator root key/);
  });

  it('rebuild writes the pins again from the records; a peer pinned without a record is neither trusted nor applied until peer add journals it', async () => {
    const id = peerIdentity();
    await registerParty(
      ctx,
      PARTIES.find((p) => p.id === 'in-dgft'),
    );
    await addPeer(ctx, { ...id, countries: ['IN'] });
    await addPeer(ctx, { ...id, countries: ['BD', 'IN'] });
    const pins = await federationRepo.peer(db(), 'in');
    const projections = await dumpProjections(db());
    // Pins edited in the database, behind the journal's back: a rebuild writes the signed ones again.
    await db()
      .updateTable('federation_peers')
      .set({ countries: ['US'], trust_root_key: generateKeyPair().publicKey, followed_seq: 1 })
      .where('node', '=', 'in')
      .execute();
    await rebuild(ctx);
    expect(await federationRepo.peer(db(), 'in')).toEqual(pins);
    expect(await dumpProjections(db())).toEqual(projections);

    // A peer pinned before its settings were journalled (a row of migration 0030 with no record).
    const old = peerIdentity('bd');
    await db()
      .insertInto('federation_peers')
      .values({
        node: 'bd',
        origin: old.origin,
        log_vkey: old.logKey,
        witness_vkey: old.witnessKey,
        trust_root_key: old.trustRoot,
        countries: ['BD'],
        cosigned_size: 1,
      })
      .execute();
    await rebuild(ctx);
    expect((await federationRepo.peer(db(), 'bd'))?.followed_seq).toBeNull();
    await db()
      .insertInto('federation_trust_lists')
      .values({
        node: 'bd',
        version: 1,
        entries: jsonText([{ party: 'in-dgft', role: 'countersigner', country: 'BD' }]),
        record_hash: 'a'.repeat(64),
        imported_seq: 1,
      })
      .execute();
    const trusted = () => ctx.store.transaction((tx) => requireTrusted(tx, 'in-dgft', 'countersigner', 'BD', 'RULE'));
    // Its countries are not signed: its trust list is not relied on, and nothing of it is applied.
    await expect(trusted()).rejects.toThrow(/not listed as countersigner/);
    expect(await applyPeerRecords(ctx, 'bd')).toEqual({ imported: 0, skipped: 0 });
    expect((await federationRepo.peer(db(), 'bd'))?.last_error).toMatch(/re-run lodestone federation peer add/);
    // The operator re-runs peer add: journalled, trusted, the note cleared.
    const journalled = await addPeer(ctx, { ...old, countries: ['BD'] });
    expect(journalled.followed_seq).toBe(await journalRepo.count(db()));
    expect(journalled.last_error).toBeNull();
    expect(journalled.cosigned_size).toBe(1);
    expect(await trusted()).toEqual({ version: 1, recordHash: 'a'.repeat(64) });
  });
});
