/**
 * Judging a peer's checkpoint in O(new records + log n) (issue 24 item 5): the follower keeps the
 * compact range of the peer's tree at the checkpoint it cosigned, and extends it with the records
 * mirrored since. Driven through the use cases the NATS transport calls, on two embedded stores: an
 * honest extension is cosigned; a checkpoint signed with the peer's log key whose tree rewrote an
 * already-cosigned record — larger than the cosigned one, so only the consistency check can catch
 * it — is a split view: alert with both checkpoints, the peer's records refused from then on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptPeerCheckpoint,
  addPeer,
  applyPeerRecords,
  federationAlerts,
  federationIdentity,
  latestCheckpoint,
  mirrorPeerRecord,
  openApp,
  registerParty,
  type AppContext,
} from '../../src/app/index.js';
import { federationRepo } from '../../src/store/index.js';
import { importPrivateKey, leafHash, rootFromLeafHashes, signCheckpoint } from '../../src/trust/index.js';

describe('a peer checkpoint judged against the compact range of the one cosigned', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-consistency-'));
  let me: AppContext;
  let peer: AppContext;
  const party = (id: string) => ({ id, name: `Party ${id}`, country: 'IN', sector: 'other' });

  async function records(): Promise<{ seq: number; canonical: string }[]> {
    return peer.store.db.selectFrom('journal').select(['seq', 'canonical']).orderBy('seq').execute();
  }
  async function mirrorAll(): Promise<void> {
    for (const r of await records()) await mirrorPeerRecord(me, 'in', r.seq, r.canonical);
  }

  beforeAll(async () => {
    me = await openApp({ dataDir: join(dir, 'cn'), logOrigin: 'cn.lodestone.example/log' });
    peer = await openApp({ dataDir: join(dir, 'in'), logOrigin: 'in.lodestone.example/log' });
    await federationIdentity(me, 'cn'); // this node's log key, which signs its federation records
    const id = await federationIdentity(peer, 'in');
    await addPeer(me, {
      node: 'in',
      logKey: id.logKey,
      witnessKey: id.witnessKey,
      trustRoot: id.trustRoot,
      countries: [],
    });
  }, 120_000);
  afterAll(async () => {
    await me.close();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cosigns honest extensions, keeping one hash per 1 bit of the size', async () => {
    for (const batch of [['p-1', 'p-2', 'p-3'], ['p-4'], ['p-5', 'p-6']]) {
      for (const p of batch) await registerParty(peer, party(p));
      await mirrorAll();
      const cp = await latestCheckpoint(peer);
      expect((await acceptPeerCheckpoint(me, 'in', cp?.body ?? '')).status).toBe('cosigned');
      const row = await federationRepo.peer(me.store.db, 'in');
      const size = cp?.checkpoint.size ?? 0;
      expect(row?.cosigned_size).toBe(size);
      expect((JSON.parse(row?.cosigned_range ?? '[]') as string[]).length).toBe(
        size.toString(2).replace(/0/g, '').length,
      );
      // The same checkpoint again is stale; nothing new is cosigned.
      expect((await acceptPeerCheckpoint(me, 'in', cp?.body ?? '')).status).toBe('stale');
    }
    await applyPeerRecords(me, 'in');
  });

  it('a larger checkpoint whose tree rewrote a cosigned record is a split view, and the peer is refused after it', async () => {
    await registerParty(peer, party('p-7'));
    await mirrorAll();
    const held = await records();
    const cosigned = await federationRepo.peer(me.store.db, 'in');
    // The peer's log key signs a tree of the new size in which record 2 (already cosigned here) is another.
    const forkedLeaves = held.map((r) => leafHash(r.seq === 2 ? `${r.canonical} ` : r.canonical));
    const key = peer.keystore.get('lodestone-log');
    const forged = signCheckpoint(
      { origin: 'in.lodestone.example/log', size: held.length, root: rootFromLeafHashes(forkedLeaves) },
      'in.lodestone.example/log',
      importPrivateKey(key.privateKeyPem),
      key.publicKey,
    );
    expect(held.length).toBeGreaterThan(cosigned?.cosigned_size ?? 0);
    const out = await acceptPeerCheckpoint(me, 'in', forged);
    expect(out.status).toBe('split');
    expect(out.status === 'split' ? out.explanation : '').toMatch(
      /extended with the records it published since gives .*not an extension of it/,
    );
    const [alert] = await federationAlerts(me);
    expect(alert?.cosigned).toBe(cosigned?.cosigned_body);
    expect(alert?.shown).toBe(forged);
    // The honest checkpoint of the same size is refused too now: the operators must resolve the split view.
    const honest = await latestCheckpoint(peer);
    expect((await acceptPeerCheckpoint(me, 'in', honest?.body ?? '')).status).toBe('refused');
    expect((await federationRepo.peer(me.store.db, 'in'))?.cosigned_size).toBe(cosigned?.cosigned_size);
  });
});
