/**
 * The federation page of the console (issue 24 item 7) against a real server and store: the demo's
 * node follows a second node `in` (its own store, log key and origin). The peer's records and
 * checkpoint reach this node through the same use cases the NATS transport calls (mirror, judge and
 * cosign, apply), so the page shows a real peer: its replication lag and the last checkpoint this
 * node cosigned. Read by the operator and the authorities; a trade party gets 403 from the route
 * and has no link to the page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptPeerCheckpoint,
  addPeer,
  applyPeerRecords,
  federationIdentity,
  latestCheckpoint,
  mirrorPeerRecord,
  openApp,
  registerParty,
  type AppContext,
} from '../../src/app/index.js';
import { issueCredential } from '../../src/http/index.js';
import { AUTHORITY, EXPORTER, GOVERNMENT, openWorld, SKIP, type World } from './roles/world.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

describe.skipIf(SKIP)('the federation page', () => {
  let w: World;
  let peer: AppContext;
  const peerDir = mkdtempSync(join(tmpdir(), 'lodestone-peer-'));
  let close = (): Promise<void> => Promise.resolve();

  /** What the transport does with the peer's stream: mirror each record, then judge (and cosign) its checkpoint. */
  async function hear(): Promise<string> {
    const rows = await peer.store.db.selectFrom('journal').select(['seq', 'canonical']).orderBy('seq').execute();
    for (const r of rows) await mirrorPeerRecord(w.ctx, 'in', r.seq, r.canonical);
    const cp = await latestCheckpoint(peer);
    return (await acceptPeerCheckpoint(w.ctx, 'in', cp?.body ?? '')).status;
  }

  beforeAll(async () => {
    w = await openWorld();
    await seedPgliteDataDir(peerDir); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    peer = await openApp({ dataDir: peerDir, logOrigin: 'in.lodestone.example/log' });
    close = async () => {
      await w.close();
      await peer.close();
      rmSync(peerDir, { recursive: true, force: true });
    };
    await registerParty(peer, { id: 'pune-magnetics', name: 'Pune Magnetics Pvt Ltd', country: 'IN', sector: 'other' });
    const id = await federationIdentity(peer, 'in');
    await addPeer(w.ctx, {
      node: 'in',
      logKey: id.logKey,
      witnessKey: id.witnessKey,
      trustRoot: id.trustRoot,
      // Not IN: this node's own trust list (the demo's) names India's countersigner, and a peer never overrides it.
      countries: ['BD'],
    });
    expect(await hear()).toBe('cosigned');
    await applyPeerRecords(w.ctx, 'in');
    // One more record on in, heard and cosigned here but not applied yet: a lag of one.
    await registerParty(peer, { id: 'nagpur-motors', name: 'Nagpur Motors Ltd', country: 'IN', sector: 'other' });
    expect(await hear()).toBe('cosigned');
  }, 240_000);
  afterAll(() => close());

  it('shows the authority each peer, its replication lag and the last checkpoint this node cosigned; no serious axe violation', async () => {
    const { page } = w;
    await w.signIn(AUTHORITY, 'licensing-authority');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Federation' }).click();
    await page.getByRole('heading', { name: 'Federation', level: 1 }).waitFor();
    const card = page.getByRole('region', { name: 'Peer in' });
    await card.waitFor();
    expect(await card.textContent()).toContain('in.lodestone.example/log');
    expect(await page.getByTestId('lag-in').textContent()).toBe('1 record');
    expect(await card.getByText('1 record behind').count()).toBe(1);
    // The last checkpoint this node cosigned: the peer's whole log, with this node's cosignature on it.
    const size = (await latestCheckpoint(peer))?.checkpoint.size ?? 0;
    expect(await card.textContent()).toContain(`size ${size}`);
    const note = (await page.getByTestId('cosigned-in').textContent()) ?? '';
    expect(note.split('\n')[0]).toBe('in.lodestone.example/log');
    expect(note.split('\n')[1]).toBe(String(size));
    const witness = (await federationIdentity(w.ctx, 'x')).witnessKey.split('+')[0] ?? '';
    expect(note).toContain(`— ${witness} `);
    await w.shot('federation');
    expect(await w.accessibility()).toEqual([]);
  });

  it('is for the operator and the authorities: the government sees it, a trade party gets no link and a 403', async () => {
    const signOut = () => w.page.getByRole('button', { name: 'Sign out' }).click();
    await signOut();
    await w.signIn(GOVERNMENT, 'importing-government');
    await w.page.goto(`${w.base}/federation`);
    await w.page.getByRole('region', { name: 'Peer in' }).waitFor();

    await signOut();
    await w.signIn(EXPORTER, 'exporter');
    expect(
      await w.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Federation' }).count(),
    ).toBe(0);
    const key = (await issueCredential(w.ctx, { partyId: EXPORTER, role: 'exporter' })).key;
    const refused = await fetch(`${w.base}/v1/federation/status`, { headers: { authorization: `Bearer ${key}` } });
    expect(refused.status).toBe(403);
    const admin = (await issueCredential(w.ctx, { role: 'operator-admin' })).key;
    const ok = await fetch(`${w.base}/v1/federation/status`, { headers: { authorization: `Bearer ${admin}` } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { peers: { node: string; lag: number; cosignedSize: number }[] };
    expect(body.peers).toEqual([expect.objectContaining({ node: 'in', lag: 1 })]);
    // The route is in the OpenAPI document the server serves, with who may read it.
    const doc = (await (await fetch(`${w.base}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { operationId?: string; description?: string } }>;
    };
    const op = doc.paths['/v1/federation/status']?.get;
    expect(op?.operationId).toBe('getFederationStatus');
    expect(JSON.stringify(op)).toMatch(/licensing authorities and importing governments/);
  });
});
